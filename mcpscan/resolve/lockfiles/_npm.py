"""package-lock.json / npm-shrinkwrap.json, lockfileVersion 1, 2 and 3.

v2 and v3 key every installed copy by its folder (``node_modules/a/node_modules/b``); a
dependency of the package at folder F is the first ``<ancestor>/node_modules/<name>`` that
exists, walking from F up to the project root, exactly as Node's module lookup does. v1 nests
the same tree under ``dependencies``; it is flattened into the same folder keys so both share
the lookup.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mcpscan.resolve.lockfiles._common import (
    LockedDependency,
    LockedPackage,
    Lockfile,
    LockfileError,
    artifact_url,
    load_json,
    npm_source,
    split_npm_descriptor,
    sri_digests,
    table,
    text_field,
)

_NM = "node_modules/"


def read_package_lock(path: Path, text: str) -> Lockfile:
    data = load_json(path, text)
    version = data.get("lockfileVersion", 1)
    if not isinstance(version, int) or version < 1:
        raise LockfileError("lockfileVersion is not a positive integer", file=str(path))
    packages = data.get("packages")
    records_scripts = False
    if version >= 2 and isinstance(packages, Mapping):
        entries = dict(packages)
        records_scripts = True
    elif isinstance(data.get("dependencies"), Mapping):
        entries = _flatten_v1(path, data)
    elif version >= 2:
        raise LockfileError('lockfile has no "packages" object', file=str(path))
    else:
        entries = {"": {}}
    return _build(path, f"package-lock-v{version}", entries, records_scripts=records_scripts)


def _flatten_v1(path: Path, data: Mapping[str, Any]) -> dict[str, Any]:
    """v1's nested ``dependencies`` tree -> v2-style folder keys.

    v1 keeps no entry for the project, so its direct dependencies stay unknown (the top level
    also holds every hoisted transitive dependency).
    """
    entries: dict[str, Any] = {}
    stack: list[tuple[str, Mapping[str, Any]]] = [("", table(data.get("dependencies")))]
    while stack:
        prefix, deps = stack.pop()
        for name, entry in deps.items():
            if not isinstance(entry, Mapping):
                raise LockfileError(f"entry for {name} is not an object", file=str(path))
            key = f"{prefix}{_NM}{name}"
            converted = dict(entry)
            converted["dependencies"] = dict(table(entry.get("requires")))
            spec = text_field(entry.get("version")) or ""
            if spec.startswith("npm:"):  # alias: "npm:real-name@1.2.3"
                real, real_version = split_npm_descriptor(spec[4:])
                converted["name"], converted["version"] = real, real_version
            elif not spec[:1].isdigit() and spec:
                # git and file dependencies record their source where the version would be
                converted["resolved"] = converted.get("resolved") or spec
                converted["version"] = ""
            entries[key] = converted
            stack.append((key + "/", table(entry.get("dependencies"))))
    return dict(sorted(entries.items()))


def _ancestors(folder: str) -> Iterator[str]:
    yield folder
    while folder:
        cut = folder.rfind("/" + _NM)
        folder = folder[:cut] if cut >= 0 else ""
        yield folder


def _lookup(entries: Mapping[str, Any], folder: str, name: str) -> str | None:
    for ancestor in _ancestors(folder):
        candidate = f"{ancestor}/{_NM}{name}" if ancestor else f"{_NM}{name}"
        entry = entries.get(candidate)
        if isinstance(entry, Mapping):
            if entry.get("link") is True:
                target = text_field(entry.get("resolved"))
                return target if target is not None and target in entries else None
            return candidate
    return None


def _name_from_key(key: str) -> str:
    cut = key.rfind(_NM)
    return key[cut + len(_NM) :] if cut >= 0 else key.rsplit("/", 1)[-1]


def _dependencies(
    entries: Mapping[str, Any], folder: str, entry: Mapping[str, Any], *, is_project: bool
) -> tuple[LockedDependency, ...]:
    peer_meta = table(entry.get("peerDependenciesMeta"))
    sections = [
        ("dependencies", "prod"),
        ("optionalDependencies", "optional"),
        ("peerDependencies", "peer"),
    ]
    if is_project:
        sections.append(("devDependencies", "dev"))
    # A name in several sections takes the kind of the last one, as npm's Arborist does
    # (optionalDependencies override dependencies; a peer overrides both).
    found: dict[str, LockedDependency] = {}
    for section, kind in sections:
        for name, spec in table(entry.get(section)).items():
            if kind == "dev" and name in found:
                continue  # also a production dependency: that is what matters for a root
            target = _lookup(entries, folder, name)
            dep_kind = kind
            if kind == "peer" and table(peer_meta.get(name)).get("optional") is True:
                dep_kind = "optional"
            if target is not None and table(entries.get(target)).get("inBundle") is True:
                dep_kind = "bundled"
            found[name] = LockedDependency(name, str(spec), dep_kind, target)
    return tuple(found.values())


def _build(
    path: Path, fmt: str, entries: dict[str, Any], *, records_scripts: bool = False
) -> Lockfile:
    packages: list[LockedPackage] = []
    direct: tuple[LockedDependency, ...] | None = None
    notes: list[str] = []
    for key, entry in entries.items():
        if not isinstance(entry, Mapping):
            raise LockfileError(f"entry {key!r} is not an object", file=str(path))
        if key == "":
            direct = _dependencies(entries, "", entry, is_project=True)
            continue
        if entry.get("link") is True:
            continue  # the folder it points to is its own entry
        name = text_field(entry.get("name")) or _name_from_key(key)
        version = text_field(entry.get("version")) or ""
        resolved = text_field(entry.get("resolved"))
        integrity = text_field(entry.get("integrity"))
        in_node_modules = key.startswith(_NM) or f"/{_NM}" in key
        if not in_node_modules:
            source = "workspace"
        elif entry.get("inBundle") is True:
            source = "bundled"
        else:
            source = npm_source(resolved)
        if source == "git":
            notes.append(f"{name} is installed from a git repository")
        packages.append(
            LockedPackage(
                key=key,
                name=name,
                version=version,
                digests=sri_digests(integrity, path=path, what=name) if integrity else (),
                dependencies=_dependencies(entries, key, entry, is_project=not in_node_modules),
                dev=entry.get("dev") is True,
                optional=entry.get("optional") is True,
                resolved=artifact_url(resolved),
                source=source,
                top_level=key.count(_NM) <= 1,
                # package-lock v2+ records the flag only when true: absent means "no script";
                # v1 never records it, so there it stays unknown.
                has_install_script=(entry.get("hasInstallScript") is True)
                if records_scripts
                else None,
            )
        )
    return Lockfile(
        path=path,
        ecosystem="npm",
        format=fmt,
        packages=tuple(packages),
        direct=direct,
        notes=tuple(notes),
    )
