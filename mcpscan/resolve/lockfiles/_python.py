"""uv.lock, poetry.lock (lock-version 1.x and 2.x) and pylock.toml (PEP 751).

All three are TOML with one table per package. uv and pylock name a dependency by name (plus
version/source when several entries share the name); poetry writes the constraint the
dependency declared, which picks among same-named entries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from mcpscan.models import Digest
from mcpscan.resolve.lockfiles._common import (
    LockedDependency,
    LockedPackage,
    Lockfile,
    LockfileError,
    artifact_url,
    hex_digest,
    load_toml,
    mark_dev,
    prefixed_digest,
    python_key,
    table,
    text_field,
    unique,
)


def _entries(path: Path, data: Mapping[str, Any], section: str) -> list[Mapping[str, Any]]:
    raw = data.get(section, [])
    if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
        raise LockfileError(f"[[{section}]] must be an array of tables", file=str(path))
    for item in raw:
        if not isinstance(item.get("name"), str):
            raise LockfileError(f"a [[{section}]] entry has no name", file=str(path))
    return raw


def _list(value: object) -> Sequence[Any]:
    return value if isinstance(value, list) else ()


class _Index:
    """The entries of a lockfile keyed (name and version, made unique), and by canonical name
    to resolve a dependency that names only a package. ``source`` is the text a dependency
    names an entry's source by (uv's ``source = {...}``)."""

    def __init__(
        self, entries: Iterable[Mapping[str, Any]], source: Callable[[Mapping[str, Any]], str]
    ) -> None:
        self.by_name: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        self.version: dict[str, str] = {}  # key -> the entry's version
        self.keyed: list[tuple[str, Mapping[str, Any]]] = []
        taken: set[str] = set()
        for entry in entries:
            version = str(entry.get("version", ""))
            key = python_key(entry["name"], version, taken)
            self.by_name[canonicalize_name(entry["name"])].append((version, source(entry), key))
            self.version[key] = version
            self.keyed.append((key, entry))

    def find(self, name: str, version: str | None = None, source: str | None = None) -> list[str]:
        candidates = self.by_name.get(canonicalize_name(name), [])
        if version is not None:
            candidates = [c for c in candidates if c[0] == version]
        if source is not None and len(candidates) > 1:
            candidates = [c for c in candidates if c[1] == source] or candidates
        return [key for _, _, key in candidates]


def _spec(
    name: str, extras: Iterable[str] = (), marker: str | None = None, constraint: str = ""
) -> str:
    """A PEP 508-shaped requirement text for an edge (poetry's constraint kept in its own
    syntax, in parentheses, as poetry writes it)."""
    extras = sorted(extras)
    text = f"{name}[{','.join(extras)}]" if extras else name
    if constraint:
        text = f"{text} ({constraint})"
    return f"{text}; {marker}" if marker else text


# --- uv.lock -----------------------------------------------------------------------------------


def _uv_source(source: Mapping[str, Any]) -> tuple[str, str]:
    """(kind, a stable text for matching ``source = {...}`` in a dependency)."""
    for field, kind in (
        ("registry", "registry"),
        ("git", "git"),
        ("url", "url"),
        ("path", "file"),
        ("directory", "directory"),
        ("editable", "project"),
        ("virtual", "project"),
    ):
        if field in source:
            return kind, f"{field}={source[field]}"
    return "registry", ""


def _uv_digests(path: Path, name: str, entry: Mapping[str, Any]) -> tuple[Digest, ...]:
    found: list[Digest] = []
    artifacts = [table(entry.get("sdist")), *(table(w) for w in _list(entry.get("wheels")))]
    for artifact in artifacts:
        text = text_field(artifact.get("hash"))
        if text:
            found.append(prefixed_digest(text, path=path, what=name))
    return unique(found)


def read_uv_lock(path: Path, text: str) -> Lockfile:
    data = load_toml(path, text)
    if not isinstance(data.get("version"), int):
        raise LockfileError("uv.lock has no integer version", file=str(path))
    entries = _entries(path, data, "package")
    index = _Index(entries, lambda entry: _uv_source(table(entry.get("source")))[1])

    def resolve(items: object, kind: str) -> tuple[LockedDependency, ...]:
        found = []
        for item in _list(items):
            dep = table(item)
            name = str(dep.get("name", ""))
            version = text_field(dep.get("version"))
            _, source_text = _uv_source(table(dep.get("source")))
            targets: list[str | None] = [*index.find(name, version, source_text or None)]
            extras = tuple(str(e) for e in _list(dep.get("extra")))
            spec = _spec(name, extras, text_field(dep.get("marker")))
            for target in targets or [None]:
                found.append(LockedDependency(name, spec, kind, target, extras))
        return tuple(found)

    packages: list[LockedPackage] = []
    direct: list[LockedDependency] = []
    notes: list[str] = []
    for key, entry in index.keyed:
        kind, _ = _uv_source(table(entry.get("source")))
        name = entry["name"]
        dependencies = resolve(entry.get("dependencies"), "prod")
        extras = tuple(
            (str(extra), resolve(items, "prod"))
            for extra, items in table(entry.get("optional-dependencies")).items()
        )
        dev = tuple(
            dep
            for items in table(entry.get("dev-dependencies")).values()
            for dep in resolve(items, "dev")
        )
        if kind == "project":
            # the project (or a workspace member) itself: what it asks for is direct
            direct.extend(dependencies + dev)
            dependencies = dependencies + dev
        elif kind == "git":
            notes.append(f"{name} is installed from a git repository")
        elif kind == "url":
            notes.append(f"{name} is installed from a direct URL")
        digests = _uv_digests(path, name, entry)
        own_url = text_field(table(entry.get("source")).get("url"))
        has_sdist = text_field(table(entry.get("sdist")).get("url")) is not None
        url = _artifact_url(entry, own_url, has_sdist=has_sdist)
        packages.append(
            LockedPackage(
                key=key,
                name=name,
                version=index.version[key],
                digests=digests,
                dependencies=dependencies,
                resolved=artifact_url(url),
                source=kind,
                extras=extras,
            )
        )
    lock = Lockfile(
        path=path,
        ecosystem="pypi",
        format="uv-lock",
        packages=tuple(packages),
        direct=tuple(direct),
        notes=tuple(notes),
    )
    return mark_dev(lock) if direct else lock


# --- poetry.lock -------------------------------------------------------------------------------

_POETRY_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _poetry_constraints(value: object) -> list[Mapping[str, Any]]:
    """A dependency value: ``">=1"``, ``{version = ">=1", markers = "…"}`` or a list of them."""
    if isinstance(value, str):
        return [{"version": value}]
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [item if isinstance(item, Mapping) else {"version": str(item)} for item in value]
    return []


def _satisfies(version: str, constraint: str) -> bool:
    """Whether ``version`` meets a poetry constraint; True when it cannot be told, so a
    same-named entry is never dropped on a constraint this reader does not understand."""
    text = constraint.replace(" ", "")
    if text in ("", "*"):
        return True
    try:
        return any(
            Version(version) in SpecifierSet(part if part[0] in "<>=!~" else f"=={part}")
            for part in text.split("||")
        )
    except (InvalidSpecifier, InvalidVersion, IndexError):
        return True


def read_poetry_lock(path: Path, text: str) -> Lockfile:
    data = load_toml(path, text)
    metadata = table(data.get("metadata"))
    entries = _entries(path, data, "package")
    old_files = table(metadata.get("files"))  # lock-version 1.x
    index = _Index(entries, lambda _: "")

    def resolve(name: str, value: object, kind: str) -> list[LockedDependency]:
        found: list[LockedDependency] = []
        for constraint in _poetry_constraints(value):
            spec_text = str(constraint.get("version", ""))
            extras = tuple(str(e) for e in _list(constraint.get("extras")))
            marker = text_field(constraint.get("markers"))
            spec = _spec(name, extras, marker, spec_text if spec_text != "*" else "")
            targets: list[str | None] = [
                key for key in index.find(name) if _satisfies(index.version[key], spec_text)
            ]
            targets = targets or [None]
            found.extend(LockedDependency(name, spec, kind, t, extras) for t in targets)
        return found

    packages: list[LockedPackage] = []
    notes: list[str] = []
    for key, entry in index.keyed:
        name = entry["name"]
        declared = table(entry.get("dependencies"))
        dependencies: list[LockedDependency] = []
        optional_names: set[str] = set()
        for dep_name, value in declared.items():
            if any(c.get("optional") is True for c in _poetry_constraints(value)):
                optional_names.add(canonicalize_name(dep_name))
                continue  # installed only through an extra, below
            dependencies.extend(resolve(dep_name, value, "prod"))
        extras: list[tuple[str, tuple[LockedDependency, ...]]] = []
        declared_by_name = {canonicalize_name(n): (n, v) for n, v in declared.items()}
        for extra, requirements in table(entry.get("extras")).items():
            deps: list[LockedDependency] = []
            for requirement in _list(requirements):
                match = _POETRY_REQUIREMENT_NAME.match(str(requirement))
                if match is None:
                    continue
                dep_name, value = declared_by_name.get(
                    canonicalize_name(match.group(1)), (match.group(1), "*")
                )
                deps.extend(resolve(dep_name, value, "prod"))
            extras.append((str(extra), tuple(deps)))
        files = entry.get("files") if "files" in entry else old_files.get(name, [])
        digests = unique(
            [
                prefixed_digest(str(table(f).get("hash")), path=path, what=name)
                for f in _list(files)
                if table(f).get("hash")
            ]
        )
        source = table(entry.get("source"))
        source_type = text_field(source.get("type")) or "registry"
        kind = {"legacy": "registry", "git": "git", "url": "url", "file": "file"}.get(
            source_type, "directory" if source_type == "directory" else "registry"
        )
        if kind == "git":
            notes.append(f"{name} is installed from a git repository")
        groups = _list(entry.get("groups"))
        # 2.x lists groups; 1.x has a category
        dev = "main" not in groups if groups else entry.get("category") == "dev"
        packages.append(
            LockedPackage(
                key=key,
                name=name,
                version=index.version[key],
                digests=digests,
                dependencies=tuple(dependencies),
                dev=dev,
                optional=entry.get("optional") is True,
                resolved=artifact_url(text_field(source.get("url"))) if kind == "url" else None,
                source=kind,
                marker=text_field(entry.get("markers")),
                extras=tuple(extras),
            )
        )
    return Lockfile(
        path=path,
        ecosystem="pypi",
        format=f"poetry-lock-v{metadata.get('lock-version', '?')}",
        packages=tuple(packages),
        notes=tuple(notes),
    )


# --- pylock.toml (PEP 751) -------------------------------------------------------------------


def _pylock_digests(path: Path, name: str, entry: Mapping[str, Any]) -> tuple[Digest, ...]:
    artifacts = [
        table(entry.get("sdist")),
        table(entry.get("archive")),
        *(table(w) for w in _list(entry.get("wheels"))),
    ]
    found = [
        hex_digest(str(algorithm), str(value), path=path, what=name)
        for artifact in artifacts
        for algorithm, value in table(artifact.get("hashes")).items()
    ]
    return unique(found)


def read_pylock(path: Path, text: str) -> Lockfile:
    data = load_toml(path, text)
    lock_version = text_field(data.get("lock-version"))
    if lock_version is None:
        raise LockfileError("pylock.toml has no lock-version", file=str(path))
    if not lock_version.startswith("1."):
        raise LockfileError(f"pylock lock-version {lock_version} is not supported", file=str(path))
    entries = _entries(path, data, "packages")
    index = _Index(entries, lambda _: "")
    flat = not any("dependencies" in entry for entry in entries)
    packages: list[LockedPackage] = []
    notes: list[str] = []
    for key, entry in index.keyed:
        name = entry["name"]
        dependencies: list[LockedDependency] = []
        for item in _list(entry.get("dependencies")):
            dep = table(item)
            dep_name = str(dep.get("name", ""))
            targets: list[str | None] = [*index.find(dep_name, text_field(dep.get("version")))]
            dependencies.extend(
                LockedDependency(dep_name, dep_name, "prod", t) for t in targets or [None]
            )
        if "vcs" in entry:
            source = "git"
            notes.append(f"{name} is installed from version control")
        elif "directory" in entry:
            source = "directory"
        elif "archive" in entry:
            source = "url"
            notes.append(f"{name} is installed from a direct URL")
        else:
            source = "registry"
        url = _artifact_url(
            entry, text_field(table(entry.get("archive")).get("url")), has_sdist="sdist" in entry
        )
        packages.append(
            LockedPackage(
                key=key,
                name=name,
                version=index.version[key],
                digests=_pylock_digests(path, name, entry),
                dependencies=tuple(dependencies),
                resolved=artifact_url(url),
                source=source,
                marker=text_field(entry.get("marker")),
            )
        )
    return Lockfile(
        path=path,
        ecosystem="pypi",
        format=f"pylock-v{lock_version}",
        packages=tuple(packages),
        flat=flat,
        notes=tuple(notes),
    )


def _artifact_url(entry: Mapping[str, Any], url: str | None, *, has_sdist: bool) -> str | None:
    """The one artifact a locked package installs from, when the entry says which: its own
    URL, else its sdist when it has no wheel, else its only wheel when it has no sdist."""
    wheels = _list(entry.get("wheels"))
    if url is None and not wheels:
        return text_field(table(entry.get("sdist")).get("url"))
    if url is None and not has_sdist and len(wheels) == 1:
        return text_field(table(wheels[0]).get("url"))
    return url
