"""Choosing one version for a spec, as npm-pick-manifest does, and arborist's ``depValid``."""

from __future__ import annotations

from mcpscan.ecosystems.npm import semver
from mcpscan.ecosystems.npm.spec import Spec
from mcpscan.registry.npm import UNREADABLE_ENGINE, NpmVersion, Packument


def dep_valid(version: str, spec: Spec) -> bool:
    """arborist ``depValid`` for registry specs: does ``version`` satisfy ``spec``?"""
    if spec.kind == "tag":
        return True  # npm trusts that a registry copy came from the tag
    if spec.kind == "range" and spec.fetch in ("", "*"):
        return True
    if spec.kind in ("range", "version"):
        return semver.satisfies(version, spec.fetch)
    return False


# -- picking a version (npm-pick-manifest) ------------------------------------------------


class PickFailure(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


Ordered = list[tuple[semver.Version, str]]


def descending(packument: Packument) -> Ordered:
    """The packument's valid versions, highest first (equal versions keep their order).

    Only the version strings are read: a stored packument decodes a version's manifest on
    first use, and picking one usually looks at a handful."""
    out = []
    for text in packument.versions:
        try:
            out.append((semver.parse(text), text))
        except semver.InvalidVersion:
            continue
    out.sort(key=lambda item: item[0].sort_key, reverse=True)
    return out


def pick_version(
    packument: Packument,
    spec: Spec,
    node_version: str | None = None,
    ordered: Ordered | None = None,
    *,
    npm_version: str | None = None,
) -> NpmVersion:
    """npm-pick-manifest: the version npm installs for ``spec``. Raises PickFailure.

    ``node_version`` and ``npm_version`` are what npm passes as ``nodeVersion`` and
    ``npmVersion`` (``process.version`` and its own); None leaves that engine unchecked.
    ``ordered`` is :func:`descending` of the packument, when the caller keeps it."""
    versions = packument.versions
    tags = packument.dist_tags
    if spec.kind == "tag" and spec.fetch:
        chosen = versions.get(tags.get(spec.fetch, ""))
        if chosen is None:
            raise PickFailure(
                "no-matching-version", f"{packument.name} has no dist-tag {spec.fetch!r}"
            )
        return chosen
    if spec.kind == "version":
        cleaned = semver.clean(spec.fetch) or ""
        chosen = versions.get(cleaned)
        if chosen is None:
            raise PickFailure(
                "no-matching-version", f"{packument.name} has no version {spec.fetch}"
            )
        return chosen
    rng = spec.fetch if spec.kind == "range" and spec.fetch else "*"

    def engine_ok(v: NpmVersion) -> bool:
        return _engine_ok(v.engines_node, node_version) and _engine_ok(v.engines_npm, npm_version)

    latest = tags.get("latest")
    if latest is not None and (rng == "*" or semver.satisfies(latest, rng)):
        candidate = versions.get(latest)
        if candidate is not None and engine_ok(candidate) and not candidate.deprecated:
            return candidate
    # npm sorts the satisfying versions by (not deprecated and engine ok, engine ok, not
    # deprecated, version); walking them highest first, the first fully good one wins.
    matcher = semver.parse_range(rng)
    best: tuple[tuple[bool, bool, bool], NpmVersion] | None = None
    for parsed, text in ordered if ordered is not None else descending(packument):
        if not matcher.test(parsed):
            continue
        v = versions[text]
        ok_engine = engine_ok(v)
        rank = (not v.deprecated and ok_engine, ok_engine, not v.deprecated)
        if best is None or rank > best[0]:
            best = (rank, v)
            if all(rank):
                break
    if best is None:
        raise PickFailure(
            "no-matching-version", f"no version of {packument.name} matches {spec.raw or '*'}"
        )
    return best[1]


def _engine_ok(wanted: str | None, running: str | None) -> bool:
    """npm-install-checks ``checkEngine`` for one engine: strict (not loose) semver with
    prereleases included; an entry that is not a range never satisfies."""
    if running is None or wanted is None:
        return True
    if wanted == UNREADABLE_ENGINE:
        return False
    return semver.satisfies(running, wanted, loose=False, include_prerelease=True)
