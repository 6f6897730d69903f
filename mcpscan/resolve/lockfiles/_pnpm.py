"""pnpm-lock.yaml, lockfile versions 5.x, 6.x and 9.x.

Keys differ per generation: ``/name/1.0.0_peer@2.0.0`` (5.x), ``/name@1.0.0(peer@2.0.0)``
(6.x), and ``name@1.0.0`` in ``packages`` plus ``name@1.0.0(peer@2.0.0)`` in ``snapshots``
(9.x). A dependency is written as ``name: <reference>``, where the reference is a version
(with any peer suffix) or, for an alias, a whole key; the key of the copy a package uses is
built from it the way pnpm builds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mcpscan.resolve.lockfiles._common import (
    LockedDependency,
    LockedPackage,
    Lockfile,
    LockfileError,
    artifact_url,
    load_yaml,
    mark_dev,
    split_npm_descriptor,
    sri_digests,
    table,
    text_field,
)

_IMPORTER_SECTIONS = (
    ("dependencies", "prod"),
    ("optionalDependencies", "optional"),
    ("devDependencies", "dev"),
)


def read_pnpm_lock(path: Path, text: str) -> Lockfile:
    data = load_yaml(path, text)
    try:
        generation = int(float(str(data.get("lockfileVersion", ""))))
    except ValueError:
        raise LockfileError("lockfileVersion is missing or not a number", file=str(path)) from None
    if generation < 5:
        raise LockfileError(f"pnpm lockfile version {generation} is not supported", file=str(path))
    reader = _Reader(path, generation, data)
    return reader.read()


def _strip_peers(reference: str) -> str:
    """``1.0.0(zod@4.0.0)`` / ``1.0.0_zod@4.0.0`` -> ``1.0.0``."""
    reference = reference.split("(", 1)[0]
    return reference.split("_", 1)[0]


class _Reader:
    def __init__(self, path: Path, generation: int, data: Mapping[str, Any]) -> None:
        self.path = path
        self.generation = generation
        self.data = data
        self.packages = table(data.get("packages"))
        # 9.x moved per-copy data (dependencies, optional flag) to snapshots
        self.snapshots = table(data.get("snapshots")) if generation >= 9 else self.packages
        self.notes: list[str] = []

    def key_for(self, name: str, reference: str) -> str | None:
        if reference.startswith(("link:", "workspace:")):
            return None
        base = reference.split("(", 1)[0]
        if self.generation >= 9:
            # an alias names another package ("string-width-cjs: string-width@4.2.3"); a URL
            # reference ("git+ssh://git@host/…") is not one
            at = base.find("@", 1)
            return reference if at > 0 and ":" not in base[:at] else f"{name}@{reference}"
        if reference.startswith("/") or "/" in base:
            # already a key: an alias, or a tarball/git copy keyed by its URL path
            return reference
        separator = "/" if self.generation == 5 else "@"
        return f"/{name}{separator}{reference}"

    def dependencies(
        self,
        sections: Mapping[str, Any],
        *,
        importer: bool,
        meta: Mapping[str, Any] | None = None,
    ) -> tuple[LockedDependency, ...]:
        peers = table((meta or {}).get("peerDependencies"))
        peers_meta = table((meta or {}).get("peerDependenciesMeta"))
        found: list[LockedDependency] = []
        for section, kind in _IMPORTER_SECTIONS:
            if section == "devDependencies" and not importer:
                continue
            for name, value in table(sections.get(section)).items():
                # 6.x+ importers write {specifier, version}; everything else the bare reference
                if isinstance(value, Mapping):
                    reference = str(value.get("version", ""))
                    spec = str(value.get("specifier", reference))
                else:
                    # the range the package asked for is not recorded; the version it got is
                    reference = str(value)
                    spec = (
                        _strip_peers(reference)
                        if self.generation == 5
                        else reference.split("(", 1)[0]
                    )
                target = self.key_for(name, reference)
                if target is None:
                    self.notes.append(f"{name} is a local link and was not followed")
                    continue
                if target not in self.snapshots:
                    target = None
                dep_kind = kind
                if name in peers:  # a resolved peer
                    optional_peer = table(peers_meta.get(name)).get("optional") is True
                    dep_kind = "optional" if optional_peer or kind == "optional" else "peer"
                    spec = str(peers[name])
                found.append(LockedDependency(name, spec, dep_kind, target))
        return tuple(found)

    def identity(self, key: str, meta: Mapping[str, Any]) -> tuple[str, str]:
        name = text_field(meta.get("name"))
        version = text_field(meta.get("version"))
        if name and version:
            return name, version
        bare = key[1:] if key.startswith("/") else key
        if self.generation == 5:
            bare = bare.split("(", 1)[0]
            head, _, tail = bare.rpartition("/")
            return name or head, version or _strip_peers(tail)
        found_name, found_version = split_npm_descriptor(bare.split("(", 1)[0])
        return name or found_name, version or found_version

    def read(self) -> Lockfile:
        packages: list[LockedPackage] = []
        for key, raw in self.snapshots.items():
            snapshot = {} if raw is None else raw
            if not isinstance(snapshot, Mapping):
                raise LockfileError(f"entry {key!r} is not a mapping", file=str(self.path))
            meta_key = key.split("(", 1)[0] if self.generation >= 9 else key
            meta = table(self.packages.get(meta_key))
            name, version = self.identity(str(key), meta)
            resolution = table(meta.get("resolution"))
            integrity = text_field(resolution.get("integrity"))
            tarball = text_field(resolution.get("tarball"))
            source = "registry"
            if resolution.get("type") == "git" or text_field(resolution.get("repo")):
                source = "git"
                self.notes.append(f"{name} is installed from a git repository")
            elif resolution.get("type") == "directory":
                source = "directory"
            elif tarball and tarball.startswith("file:"):
                source = "file"
            packages.append(
                LockedPackage(
                    key=str(key),
                    name=name,
                    version=version,
                    digests=sri_digests(integrity, path=self.path, what=name) if integrity else (),
                    dependencies=self.dependencies(snapshot, importer=False, meta=meta),
                    dev=snapshot.get("dev", meta.get("dev")) is True,
                    optional=snapshot.get("optional", meta.get("optional")) is True,
                    resolved=artifact_url(tarball),
                    source=source,
                )
            )
        importers = table(self.data.get("importers"))
        if importers:
            direct = tuple(
                dep
                for importer in importers.values()
                for dep in self.dependencies(table(importer), importer=True)
            )
        else:
            direct = self.dependencies(self.data, importer=True)
        lock = Lockfile(
            path=self.path,
            ecosystem="npm",
            format=f"pnpm-lock-v{self.generation}",
            packages=tuple(packages),
            direct=direct,
            notes=tuple(dict.fromkeys(self.notes)),
        )
        if self.generation >= 9:
            lock = mark_dev(lock)
        return lock
