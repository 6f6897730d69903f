"""Pinning launches: each package a launcher fetches gets the exact version the scan
resolved (SC01), or the version that fixes an advisory against the version it would run
(SC05); an image gets the digest the scan resolved for it.

Pins are spelt as the launcher grammar reads them (:mod:`mcpscan.sources.launchers`): npm
``name@1.2.3`` (aliases and ``npm:`` kept), PyPI ``name==1.2.3`` or uv's ``name@1.2.3``
when that is how it was written, an image ``ref@sha256:…``. Only the argument that holds the
package is edited: the whole argument, the value of ``--flag=value``, or the one word it is
in an inner command string (``supergateway --stdio "npx -y pkg"``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from mcpscan._internal.nodes import Node
from mcpscan.fix.entries import EntryFields, node_at
from mcpscan.fix.interface import Edit, Remediation, Skipped
from mcpscan.models import (
    PINNED_KINDS,
    AdvisoryHit,
    CheckFamily,
    ConnectorResult,
    GapCause,
    PackageRef,
    ResolvedPackage,
    VersionKind,
)

if TYPE_CHECKING:
    from mcpscan.wiring import Registries

PINNABLE = frozenset({"npm", "pypi", "oci"})
# (ecosystem, name) -> the versions the registry publishes, None when not known.
Published = Callable[[str, str], "frozenset[str] | None"]
# A content digest an image reference may carry (OCI image-spec: sha256 or sha512, hex).
_DIGEST_RE = re.compile(r"^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")


def launched(result: ConnectorResult) -> list[PackageRef]:
    """The packages the connector's launch fetches, each once."""
    refs = [*result.launch.packages]
    refs += [hop.package for hop in result.launch.proxies if hop.package is not None]
    seen: set[tuple[str, str]] = set()
    out = []
    for ref in refs:
        key = (ref.ecosystem, ref.spec)
        if key not in seen and ref.ecosystem in PINNABLE:
            seen.add(key)
            out.append(ref)
    return out


def incomplete_reason(result: ConnectorResult) -> str | None:
    """Why the scan of this connector cannot be trusted to pin from, or None."""
    coverage = result.coverage
    if coverage is None:
        return None
    for family in (CheckFamily.RESOLUTION, CheckFamily.ADVISORIES):
        entry = coverage[family]
        if entry.cause is GapCause.SOURCE_FAILED:
            return f"the scan of this connector is incomplete ({family.label}: {entry.reason})"
    return None


def plan(
    result: ConnectorResult, root: Node, where: EntryFields, published: Published
) -> Iterator[Remediation | Skipped]:
    """The pins of one connector: a remediation per package that gets one, a skip (with
    the reason) per package that needs one and cannot get it here."""
    connector = result.connector
    line = connector.source.line
    incomplete = incomplete_reason(result)
    if incomplete is not None:
        # Nothing is pinned from a partial scan, and a package already pinned could not be
        # checked for a version that fixes an advisory either: both are said.
        for ref in launched(result):
            if ref.ecosystem == "oci" and ref.pinned:
                continue
            done = "not checked for a fixed version" if ref.pinned else "not pinned"
            rule = "SC05" if ref.pinned else "SC01"
            yield Skipped(
                connector.name, line, rule, f"{ref.name}: {done}: {incomplete}", incomplete=True
            )
        return
    wanted = [r for r in launched(result) if _needs_pin(r, result)]
    for ref in wanted:
        rule = "SC01" if not ref.pinned else "SC05"
        if where.args_problem is not None:
            yield Skipped(
                connector.name, line, rule, f"{ref.name}: not pinned: {where.args_problem}"
            )
            continue
        target = _target(ref, result, published)
        if isinstance(target, str):
            yield Skipped(connector.name, line, rule, f"{ref.name}: {target}")
            continue
        new_spec, summary, rule = target
        edit = _argument_edit(root, where, connector.args, ref.spec, new_spec)
        if edit is None:
            yield Skipped(
                connector.name,
                line,
                rule,
                f"{ref.name}: the argument that names it could not be found in the file",
            )
            continue
        yield Remediation(connector.name, line, rule, summary, (edit,))


def _needs_pin(ref: PackageRef, result: ConnectorResult) -> bool:
    if ref.version_kind not in PINNED_KINDS:
        return ref.version_kind is not VersionKind.URL  # a git/tarball URL: no version to pin
    node = _root_node(ref, result) if ref.ecosystem != "oci" else None
    return node is not None and bool(_fixes(ref, result, node.version))


def _root_node(ref: PackageRef, result: ConnectorResult) -> ResolvedPackage | None:
    graph = result.graph
    if graph is None:
        return None
    name = ref.alias_of or ref.name
    for node in graph.root_nodes:
        if node.ecosystem == ref.ecosystem and _same_name(ref.ecosystem, node.name, name):
            return node
    return None


def _same_name(ecosystem: str, a: str, b: str) -> bool:
    if ecosystem == "pypi":
        from packaging.utils import canonicalize_name

        return canonicalize_name(a) == canonicalize_name(b)
    return a == b


def _fixes(ref: PackageRef, result: ConnectorResult, version: str) -> list[AdvisoryHit]:
    """The advisories against the launched package at ``version`` (not its dependencies)."""
    name = ref.alias_of or ref.name
    return [
        hit
        for hit in result.advisories or ()
        if hit.ecosystem == ref.ecosystem
        and _same_name(ref.ecosystem, hit.name, name)
        and hit.version is not None
        and _equal(ref.ecosystem, hit.version, version)
        and len(hit.path) <= 1
    ]


def _target(
    ref: PackageRef, result: ConnectorResult, published: Published
) -> tuple[str, str, str] | str:
    """(new spec, summary, rule) of the pin, or why there is none."""
    if ref.ecosystem == "oci":
        return _digest_target(ref, result)
    node = _root_node(ref, result)
    if node is None:
        return "not pinned: the scan did not resolve which version it would run"
    version, rule, why = node.version, "SC01", "the version the scan resolved"
    hits = _fixes(ref, result, version)
    if hits:
        ids = ", ".join(sorted({h.advisory.id for h in hits}))
        required = _fix_version(ref.ecosystem, version, hits)
        available = published(ref.ecosystem, ref.alias_of or ref.name) if required else None
        chosen = _lowest_published(ref.ecosystem, required, available) if required else None
        if chosen is None:
            if required is None:
                problem = "no fixed version is known"
            elif available is None:
                problem = f"whether {required}, which fixes it, is published could not be checked"
            else:
                problem = f"no version from {required} on, which fixes it, is published"
            if ref.pinned:
                return f"not changed: {ids}: {problem}"
            why = f"the version the scan resolved (still affected by {ids}: {problem})"
        else:
            version, why = chosen, f"the first published version that fixes {ids}"
            rule = "SC05" if ref.pinned else "SC01"
    new_spec = _pinned(ref, version)
    if new_spec is None:
        return "not pinned: this kind of package argument has no version to pin"
    return new_spec, f"pinned {ref.ecosystem} package {ref.name} to {version} ({why})", rule


def _digest_target(ref: PackageRef, result: ConnectorResult) -> tuple[str, str, str] | str:
    node = _root_node(ref, result)
    found = [f"{d.algorithm}:{d.value}" for d in node.digests] if node is not None else []
    digest = next((d for d in found if _DIGEST_RE.match(d)), None)
    if digest is None:
        return "not pinned: the scan did not resolve the image's digest"
    spec = ref.spec.partition("@")[0]
    algorithm, _, value = digest.partition(":")
    return (
        f"{spec}@{digest}",
        f"pinned image {ref.name} to its digest {algorithm}:{value[:12]}…",
        "SC01",
    )


def _pinned(ref: PackageRef, version: str) -> str | None:
    if ref.ecosystem == "npm":
        from mcpscan.ecosystems.npm.spec import pinned_spec

        return pinned_spec(ref.spec, version)
    from mcpscan.ecosystems.pypi.spec import pinned_requirement

    return pinned_requirement(ref.spec, version)


def _fix_version(ecosystem: str, current: str, hits: list[AdvisoryHit]) -> str | None:
    """The lowest version above ``current`` that every advisory says is fixed, or None when
    one of them names no such version."""
    import functools

    def cmp(a: str, b: str) -> int:
        return _compare(ecosystem, a, b)

    order = functools.cmp_to_key(cmp)
    best: str | None = None
    for hit in hits:
        later = [v for v in hit.fixed if _compare(ecosystem, v, current) > 0]
        if not later:
            return None
        lowest = min(later, key=order)
        if best is None or _compare(ecosystem, lowest, best) > 0:
            best = lowest
    return best


def _lowest_published(
    ecosystem: str, required: str, available: frozenset[str] | None
) -> str | None:
    """The lowest published version from ``required`` on (a pre-release only when the fix
    itself is one), or None."""
    if available is None:
        return None
    pre = _is_prerelease(ecosystem, required)
    later = [
        v
        for v in available
        if _compare(ecosystem, v, required) >= 0 and (pre or not _is_prerelease(ecosystem, v))
    ]
    best: str | None = None
    for v in later:
        if best is None or _compare(ecosystem, v, best) < 0:
            best = v
    return best


def _is_prerelease(ecosystem: str, version: str) -> bool:
    try:
        if ecosystem == "npm":
            from mcpscan.ecosystems.npm import semver

            return bool(semver.parse(version).prerelease)
        from packaging.version import Version

        return Version(version).is_prerelease
    except ValueError:
        return True  # not a version: never chosen on its own


def published_versions(registries: Registries | None) -> Published:
    """(ecosystem, name) -> the versions its registry publishes, or None when that cannot
    be known here (no registries, or the registry failed). Answers come from the documents
    the scan already fetched (the registry clients keep them)."""
    memo: dict[tuple[str, str], frozenset[str] | None] = {}

    def lookup(ecosystem: str, name: str) -> frozenset[str] | None:
        key = (ecosystem, name)
        if key not in memo:
            memo[key] = _versions(registries, ecosystem, name)
        return memo[key]

    return lookup


def _versions(registries: Registries | None, ecosystem: str, name: str) -> frozenset[str] | None:
    from mcpscan.errors import McpscanError

    if registries is None:
        return None
    try:
        if ecosystem == "npm":
            return frozenset(registries.npm.package(name).versions)
        if ecosystem == "pypi":
            return frozenset(str(v) for v in registries.pypi.index(name).versions)
    except McpscanError:
        return None
    return None


def _compare(ecosystem: str, a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` is below, equal to or above ``b``; a version that does not
    parse is equal only to the same text and below everything else."""
    try:
        if ecosystem == "npm":
            from mcpscan.ecosystems.npm import semver

            return semver.compare(semver.parse(a), semver.parse(b))
        from packaging.version import Version

        x, y = Version(a), Version(b)
        return (x > y) - (x < y)
    except ValueError:
        return 0 if a == b else -1


def _equal(ecosystem: str, a: str, b: str) -> bool:
    return _compare(ecosystem, a, b) == 0


def _argument_edit(
    root: Node, where: EntryFields, args: tuple[str, ...], spec: str, new_spec: str
) -> Edit | None:
    """The edit of the first argument that names ``spec``: the whole argument, the value of
    ``--flag=spec``, or one word of an inner command line."""
    if where.args is None:
        return None
    word = re.compile(rf"(?<![^\s'\"]){re.escape(spec)}(?![^\s'\"])")
    for index, arg in enumerate(args):
        path = (*where.args, index + where.args_offset)
        if node_at(root, path) is None:
            return None
        if arg.strip() == spec:
            new = arg.replace(spec, new_spec, 1)
        elif arg.startswith("-") and arg.partition("=")[2].strip() == spec:
            flag, _, value = arg.partition("=")
            new = f"{flag}={value.replace(spec, new_spec, 1)}"
        elif len(word.findall(arg)) == 1 and " " in arg.strip():
            new = word.sub(new_spec.replace("\\", "\\\\"), arg, count=1)
        else:
            continue
        return Edit("replace", path, new)
    return None
