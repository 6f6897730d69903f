"""What a scan establishes about a connector, in the form the lock records.

The fingerprint is a sha256 over a canonical JSON of the config record: command basename,
args, URL, env names and header names. Values of env vars and headers never enter it, and
a credential in the command, an argument or the URL enters only as its fingerprint marker
(in its place, so a rotated secret changes the marker and nothing else), so neither the
lock nor a drift message can leak a secret.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

from mcpscan.ecosystems.purl import pinned_version
from mcpscan.lock.model import ConfigRecord, LockedPackage, LockEntry
from mcpscan.models import (
    Connector,
    Graph,
    Launch,
    PackageRef,
    ProvenanceResult,
    ProvenanceState,
    ResolvedPackage,
)
from mcpscan.provenance.source_identity import canonical_url

_DIGEST_PREFERENCE = ("sha512", "sha256", "sha1")


def relative_file(file: str, base_dir: Path, home: Path | None = None) -> str:
    """The config file as the lock names it, whatever directory the scan runs from:
    relative to the lock's directory when inside it, ``~/...`` under the home directory,
    else relative to the lock's directory with ``..``. A target that is not a file (a
    package spec) stays as written."""
    path = Path(file)
    if not path.is_absolute():
        if not path.exists():
            return file
        path = Path.cwd() / path
    path = path.resolve()
    base = base_dir.resolve()
    if path.is_relative_to(base):
        return path.relative_to(base).as_posix()
    if home is not None and path.is_relative_to(home.resolve()):
        return "~/" + path.relative_to(home.resolve()).as_posix()
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()


def _basename(command: str) -> str:
    # Windows paths use "\\", and "npx.cmd" is "npx".
    name = PureWindowsPath(command).name if "\\" in command else PurePosixPath(command).name
    lowered = name.lower()
    for suffix in (".cmd", ".exe", ".bat"):
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name


def config_record(connector: Connector, launch: Launch) -> ConfigRecord:
    """The record the lock keeps: every credential in the command, args and URL replaced
    in place by its fingerprint marker (:func:`~mcpscan.redaction.redact_argv`)."""
    from mcpscan.redaction import redact_argv

    known = [sa.value for sa in launch.secret_args]
    # A whole command line in "command" ("env TOKEN=... npx") is redacted like an argument.
    command = redact_argv([connector.command], known)[0] if connector.command else None
    url = redact_argv([connector.url.reveal().strip()], known)[0] if connector.url else None
    return ConfigRecord(
        transport=connector.transport,
        command=_basename(command) if command else None,
        args=redact_argv(connector.args, known),
        url=url,
        env=tuple(sorted({s.name for s in connector.env})),
        headers=tuple(sorted({s.name for s in connector.headers})),
        secrets=_setting_secrets(connector),
    )


def _setting_secrets(connector: Connector) -> tuple[str, ...]:
    from mcpscan.redaction import marker, secrets_of

    found = set(secrets_of(connector))
    return tuple(
        sorted(
            f"{origin} {s.name} {marker(s.value)}"
            for origin, settings in (("env", connector.env), ("header", connector.headers))
            for s in settings
            if s.value in found
        )
    )


def fingerprint(record: ConfigRecord) -> str:
    doc: dict[str, object] = {
        "transport": record.transport,
        "command": record.command,
        "args": list(record.args),
        "url": record.url,
        "env": list(record.env),
        "headers": list(record.headers),
    }
    if record.secrets:  # absent when there are none: earlier fingerprints stay valid
        doc["secrets"] = list(record.secrets)
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _digests(node: ResolvedPackage) -> tuple[str, ...]:
    return tuple(sorted({f"{d.algorithm.lower()}:{d.value.lower()}" for d in node.digests}))


def _identity(
    purl: str, provenance: Sequence[ProvenanceResult] | None
) -> tuple[str | None, str | None]:
    for result in provenance or ():
        if (
            result.purl == purl
            and result.state is ProvenanceState.VERIFIED
            and (result.source_repository or result.workflow)
        ):
            # The canonical spelling: one repository is recorded one way.
            return canonical_url(
                result.source_repository
            ) or result.source_repository, result.workflow
    return None, None


def _from_node(
    node: ResolvedPackage, provenance: Sequence[ProvenanceResult] | None
) -> LockedPackage:
    repository, workflow = _identity(node.purl, provenance)
    maintainers = node.facts.maintainers
    return LockedPackage(
        purl=node.purl,
        ecosystem=node.ecosystem,
        name=node.name,
        version=node.version,
        digests=_digests(node),
        provenance_repository=repository,
        provenance_workflow=workflow,
        maintainers=tuple(sorted(set(maintainers))) if maintainers is not None else None,
    )


def _from_ref(ref: PackageRef) -> LockedPackage:
    # Not resolved: only a pinned request names a version; a declared digest still counts.
    # An exact pin is recorded as the version a resolver reports ("0.6.2", never the
    # specifier "==0.6.2"), so a later resolving scan of the same config shows no drift.
    return LockedPackage(
        purl=ref.purl,
        ecosystem=ref.ecosystem,
        name=ref.name,
        version=pinned_version(ref) or ref.requested if ref.pinned else None,
        digests=(f"sha256:{ref.sha256.lower()}",) if ref.sha256 else (),
    )


def packages(
    launch: Launch, graph: Graph | None, provenance: Sequence[ProvenanceResult] | None
) -> tuple[LockedPackage, ...]:
    """The root packages: resolved from the graph when there is one, else as launched."""
    found: dict[str, LockedPackage] = {}
    if graph is not None:
        for purl in graph.roots:
            node = graph.by_purl.get(purl)
            if node is not None:
                pkg = _from_node(node, provenance)
                found.setdefault(pkg.identity, pkg)
    resolved_names = set(found)
    for ref in launch.packages:
        pkg = _from_ref(ref)
        if pkg.identity not in resolved_names:
            found.setdefault(pkg.identity, pkg)
    return tuple(sorted(found.values(), key=lambda p: (p.identity, p.purl)))


def observe(
    connector: Connector,
    launch: Launch,
    graph: Graph | None,
    provenance: Sequence[ProvenanceResult] | None,
    *,
    base_dir: Path,
    home: Path | None = None,
) -> LockEntry:
    """The lock entry this scan would write for ``connector`` (without owner/approver)."""
    record = config_record(connector, launch)
    return LockEntry(
        client=connector.source.client,
        file=relative_file(connector.source.file, base_dir, home),
        name=connector.name,
        fingerprint=fingerprint(record),
        config=record,
        packages=packages(launch, graph, provenance),
    )


def default_home() -> Path | None:
    home = os.environ.get("HOME") or os.environ.get("USERPROFILE")
    return Path(home) if home else None
