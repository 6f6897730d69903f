"""yarn.lock: the classic v1 format and berry (yarn 2+, YAML with ``__metadata``).

Both key an entry by every descriptor (``name@range``) that resolved to it, comma-separated;
a dependency ``name: range`` is found through the descriptor ``name@range``. Berry writes
ranges with their protocol (``npm:^1.0.0``); older berry files may leave ``npm:`` out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mcpscan.resolve.lockfiles._common import (
    LockedDependency,
    LockedPackage,
    Lockfile,
    LockfileError,
    artifact_url,
    hex_digest,
    load_json,
    load_yaml,
    npm_source,
    read_text,
    split_npm_descriptor,
    sri_digests,
    table,
    text_field,
)


def read_yarn_lock(path: Path, text: str) -> Lockfile:
    if re.search(r"^__metadata:", text, re.MULTILINE):
        return _read_berry(path, text)
    return _read_classic(path, text)


# --- classic (v1) ----------------------------------------------------------------------------

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s"]+')


def _unquote(token: str, path: Path, line: int) -> str:
    if token.startswith('"'):
        try:
            value = json.loads(token)
        except json.JSONDecodeError:
            raise LockfileError("malformed quoted string", file=str(path), line=line) from None
        return str(value)
    return token


def _split_keys(text: str, path: Path, line: int) -> list[str]:
    keys = []
    for part in re.findall(r'"(?:[^"\\]|\\.)*"|[^,]+', text):
        key = _unquote(part.strip(), path, line) if part.strip() else ""
        if key:
            keys.append(key)
    return keys


def _parse_classic(path: Path, text: str) -> list[tuple[list[str], dict[str, Any], int]]:
    """The v1 grammar is indentation (two spaces per level), ``key value`` pairs and
    ``key:`` blocks; entries are top-level blocks, their ``dependencies`` nested blocks."""
    blocks: list[tuple[list[str], dict[str, Any], int]] = []
    current: dict[str, Any] | None = None
    nested: dict[str, Any] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if "\t" in raw[: indent + 1] or indent % 2 or indent > 4:
            raise LockfileError("unexpected indentation", file=str(path), line=number)
        level = indent // 2
        if level == 0:
            if not stripped.endswith(":"):
                raise LockfileError(
                    "expected an entry key ending in ':'", file=str(path), line=number
                )
            keys = _split_keys(stripped[:-1], path, number)
            if not keys:
                raise LockfileError("entry without a descriptor", file=str(path), line=number)
            current, nested = {}, None
            blocks.append((keys, current, number))
            continue
        if current is None or (level == 2 and nested is None):
            raise LockfileError("indented line outside an entry", file=str(path), line=number)
        if level == 1 and stripped.endswith(":") and " " not in stripped.rstrip(":").strip('"'):
            nested = {}
            current[_unquote(stripped[:-1], path, number)] = nested
            continue
        tokens = _TOKEN.findall(stripped)
        if len(tokens) != 2:
            raise LockfileError("expected 'key value'", file=str(path), line=number)
        key, value = (_unquote(token, path, number) for token in tokens)
        if level == 1:
            nested = None
            current[key] = value
        else:
            assert nested is not None  # checked above
            nested[key] = value
    return blocks


def _read_classic(path: Path, text: str) -> Lockfile:
    blocks = _parse_classic(path, text)
    by_descriptor: dict[str, str] = {}
    for descriptors, _, _ in blocks:
        for descriptor in descriptors:
            by_descriptor[descriptor] = descriptors[0]
    packages: list[LockedPackage] = []
    notes: list[str] = []
    for descriptors, entry, line in blocks:
        key = descriptors[0]
        alias_name, range_ = split_npm_descriptor(key)
        name = alias_name
        if range_.startswith("npm:"):
            name = split_npm_descriptor(range_[4:])[0]
        version = text_field(entry.get("version"))
        if version is None:
            raise LockfileError(f"entry for {name} has no version", file=str(path), line=line)
        resolved = text_field(entry.get("resolved"))
        integrity = text_field(entry.get("integrity"))
        digests = sri_digests(integrity, path=path, what=name) if integrity else ()
        if not digests and resolved and "#" in resolved:
            # yarn 1 records the tarball's sha1 in the URL fragment when there is no integrity
            fragment = resolved.rsplit("#", 1)[1]
            if re.fullmatch(r"[0-9a-fA-F]{40}", fragment):
                digests = (hex_digest("sha1", fragment, path=path, what=name),)
        source = npm_source(resolved)
        if source == "git":
            notes.append(f"{name} is installed from a git repository")
        dependencies: list[LockedDependency] = []
        for section, kind in (("dependencies", "prod"), ("optionalDependencies", "optional")):
            for dep_name, spec in table(entry.get(section)).items():
                target = by_descriptor.get(f"{dep_name}@{spec}")
                dependencies.append(LockedDependency(dep_name, str(spec), kind, target))
        packages.append(
            LockedPackage(
                key=key,
                name=name,
                version=version,
                digests=digests,
                dependencies=tuple(dependencies),
                resolved=artifact_url(resolved),
                source=source,
            )
        )
    return Lockfile(
        path=path,
        ecosystem="npm",
        format="yarn-v1",
        packages=tuple(packages),
        direct=_classic_direct(path, by_descriptor),
        notes=tuple(notes),
    )


def _classic_direct(
    lock_path: Path, by_descriptor: Mapping[str, str]
) -> tuple[LockedDependency, ...] | None:
    """yarn 1 keeps the project's own requirements in package.json only; read them from
    there when it sits beside the lockfile, so a root picks the copy the project uses."""
    manifest = lock_path.with_name("package.json")
    if not manifest.is_file():
        return None
    try:
        data = load_json(manifest, read_text(manifest))
    except LockfileError:
        return None  # the lockfile stays usable without it
    found: list[LockedDependency] = []
    for section, kind in (
        ("dependencies", "prod"),
        ("optionalDependencies", "optional"),
        ("devDependencies", "dev"),
    ):
        for name, spec in table(data.get(section)).items():
            found.append(
                LockedDependency(name, str(spec), kind, by_descriptor.get(f"{name}@{spec}"))
            )
    return tuple(found)


# --- berry -----------------------------------------------------------------------------------


def _berry_source(resolution: str) -> str:
    protocol = split_npm_descriptor(resolution)[1].split(":", 1)[0]
    return {
        "npm": "registry",
        "workspace": "workspace",
        "patch": "patch",
        "portal": "link",
        "link": "link",
        "file": "file",
        "exec": "file",
    }.get(protocol, "git" if "git" in protocol or ".git#" in resolution else "url")


def _read_berry(path: Path, text: str) -> Lockfile:
    data = load_yaml(path, text)
    by_descriptor: dict[str, str] = {}
    entries: list[tuple[str, Mapping[str, Any]]] = []
    for raw_key, entry in data.items():
        if raw_key == "__metadata":
            continue
        if not isinstance(entry, Mapping):
            raise LockfileError(f"entry {raw_key!r} is not a mapping", file=str(path))
        resolution = text_field(entry.get("resolution"))
        if resolution is None:
            raise LockfileError(f"entry {raw_key!r} has no resolution", file=str(path))
        for descriptor in str(raw_key).split(","):
            by_descriptor[descriptor.strip()] = resolution
        entries.append((resolution, entry))

    def lookup(name: str, spec: str) -> str | None:
        found = by_descriptor.get(f"{name}@{spec}")
        if found is None and ":" not in spec:
            found = by_descriptor.get(f"{name}@npm:{spec}")
        return found

    packages: list[LockedPackage] = []
    direct: list[LockedDependency] = []
    notes: list[str] = []
    for resolution, entry in entries:
        name = split_npm_descriptor(resolution)[0]
        source = _berry_source(resolution)
        dependencies_meta = table(entry.get("dependenciesMeta"))
        dependencies = tuple(
            LockedDependency(
                dep_name,
                str(spec),
                "optional" if table(dependencies_meta.get(dep_name)).get("optional") else "prod",
                lookup(dep_name, str(spec)),
            )
            for dep_name, spec in table(entry.get("dependencies")).items()
        )
        if source == "workspace":
            # berry does not tell dev from prod dependencies of a workspace
            direct.extend(dependencies)
        elif source == "git":
            notes.append(f"{name} is installed from a git repository")
        checksum = text_field(entry.get("checksum"))
        packages.append(
            LockedPackage(
                key=resolution,
                name=name,
                version=str(entry.get("version", "")),
                dependencies=dependencies,
                source=source,
                checksum=checksum,
            )
        )
    metadata = table(data.get("__metadata"))
    return Lockfile(
        path=path,
        ecosystem="npm",
        format=f"yarn-berry-v{metadata.get('version', '?')}",
        packages=tuple(packages),
        direct=tuple(direct),
        notes=tuple(notes),
    )
