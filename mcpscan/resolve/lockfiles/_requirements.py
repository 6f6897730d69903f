"""requirements*.txt as a lock: every line ``name==version`` with ``--hash``.

A file counts as a lock only when all its requirements are pinned and hashed (pip's
hash-checking mode); otherwise ``complete`` is False and no graph is built from it. Edges come
from the ``# via`` annotations pip-compile and ``uv pip compile`` write; without them the file
is one flat install set. ``-r`` includes are followed (relative, depth-limited); ``-e``, direct
URLs and other options are skipped with a note. Notes and errors never quote a line: index URLs
and direct URLs often carry credentials.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from mcpscan.models import Digest
from mcpscan.resolve.lockfiles._common import (
    LockedDependency,
    LockedPackage,
    Lockfile,
    LockfileError,
    prefixed_digest,
    python_key,
    read_text,
)

MAX_INCLUDE_DEPTH = 8

_COMMENT_LINE = re.compile(r"^\s*#")
_VIA_START = re.compile(r"^\s*#\s*via\b\s*(.*?)\s*$")
_VIA_MORE = re.compile(r"^\s*#\s+(\S.*?)\s*$")
_INLINE_COMMENT = re.compile(r"(^|\s)#.*$")
_HASH_OPTION = re.compile(r"--hash(?:=|\s+)(\S+)")
_OPTION_START = re.compile(r"\s(?=-)")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?$")
_INCLUDE = ("-r", "--requirement")
_CONSTRAINT = ("-c", "--constraint")
_EDITABLE = ("-e", "--editable")
_INDEX = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host")


@dataclass
class _Entry:
    name: str
    version: str
    spec: str
    digests: tuple[Digest, ...]
    marker: str | None
    via: list[str] = field(default_factory=list)
    direct: bool = False


@dataclass
class _State:
    entries: list[_Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    complete: bool = True
    annotated: bool = False


def read_requirements(path: Path, text: str) -> Lockfile:
    state = _State()
    _parse(path, text, state, (path.resolve(),))
    taken: set[str] = set()
    keys = [python_key(entry.name, entry.version, taken) for entry in state.entries]
    by_name: dict[str, list[int]] = {}
    for position, entry in enumerate(state.entries):
        by_name.setdefault(canonicalize_name(entry.name), []).append(position)
    children: dict[int, list[LockedDependency]] = {}
    direct: list[LockedDependency] = []
    for position, entry in enumerate(state.entries):
        edge = LockedDependency(entry.name, entry.spec, "prod", keys[position])
        if entry.direct:
            direct.append(edge)
        for parent in entry.via:
            for parent_position in by_name.get(canonicalize_name(parent), ()):
                children.setdefault(parent_position, []).append(edge)
    packages = tuple(
        LockedPackage(
            key=keys[position],
            name=entry.name,
            version=entry.version,
            digests=entry.digests,
            dependencies=tuple(children.get(position, ())),
            marker=entry.marker,
        )
        for position, entry in enumerate(state.entries)
    )
    return Lockfile(
        path=path,
        ecosystem="pypi",
        format="requirements",
        packages=packages,
        direct=tuple(direct) if state.annotated else None,
        complete=state.complete,
        flat=not state.annotated,
        notes=tuple(dict.fromkeys(state.notes)),
    )


def _logical_lines(text: str) -> list[tuple[int, str, bool]]:
    """(first line number, text, is a comment line); ``\\`` continues a line."""
    result: list[tuple[int, str, bool]] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
            if _COMMENT_LINE.match(raw):
                result.append((number, raw, True))
                continue
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            buffer.append(stripped[:-1])
            continue
        buffer.append(raw)
        result.append((start, " ".join(buffer), False))
        buffer = []
    if buffer:
        result.append((start, " ".join(buffer), False))
    return result


def _option_value(tokens: list[str], names: tuple[str, ...]) -> str | None:
    """The value of ``-r x`` / ``-rx`` / ``--requirement=x`` when the line is that option."""
    head = tokens[0]
    for name in names:
        if head == name:
            return tokens[1] if len(tokens) > 1 else ""
        if name.startswith("--") and head.startswith(name + "="):
            return head[len(name) + 1 :]
        if not name.startswith("--") and head.startswith(name) and len(head) > len(name):
            return head[len(name) :]
    return None


def _parse(path: Path, text: str, state: _State, stack: tuple[Path, ...]) -> None:
    where = path.name
    current: _Entry | None = None  # the requirement that following `# via` lines annotate
    in_via = False
    for number, line, is_comment in _logical_lines(text):
        if is_comment:
            if current is not None and (via := _VIA_START.match(line)) is not None:
                in_via = True
                state.annotated = True
                if via.group(1):
                    _annotate(current, via.group(1))
            elif current is not None and in_via and (more := _VIA_MORE.match(line)):
                _annotate(current, more.group(1))
            else:
                in_via = False
            continue
        in_via = False
        content = _INLINE_COMMENT.sub("", line).strip()
        if not content:
            continue
        current = None
        if content.startswith("-"):
            _option(path, content, number, state, stack)
            continue
        current = _requirement(path, content, number, state, where)


def _annotate(entry: _Entry, text: str) -> None:
    if text.startswith(("-r", "--requirement")) or "(" in text:
        entry.direct = True  # named in the input file or the project's own metadata
    elif _NAME.match(text):
        entry.via.append(text.split("[", 1)[0])


def _option(path: Path, content: str, number: int, state: _State, stack: tuple[Path, ...]) -> None:
    tokens = content.split()
    where = f"{path.name}:{number}"
    if (target := _option_value(tokens, _INCLUDE)) is not None:
        _include(path, target, number, state, stack)
    elif _option_value(tokens, _CONSTRAINT) is not None:
        state.notes.append(f"{where}: a constraints file only limits versions; not read")
    elif _option_value(tokens, _EDITABLE) is not None:
        state.notes.append(f"{where}: an editable requirement was ignored")
    elif _option_value(tokens, _INDEX) is not None:
        state.notes.append(
            f"{where}: {tokens[0].split('=', 1)[0]} changes where packages come from"
        )
    # the remaining global options (--require-hashes, --pre, --no-binary…) do not change
    # which versions are installed


def _include(path: Path, target: str, number: int, state: _State, stack: tuple[Path, ...]) -> None:
    if not target or "://" in target:
        state.complete = False  # a remote or missing include cannot be checked
        state.notes.append(f"{path.name}:{number}: an included requirements file was not read")
        return
    if len(stack) > MAX_INCLUDE_DEPTH:
        raise LockfileError(
            f"requirements includes nest deeper than {MAX_INCLUDE_DEPTH}",
            file=str(path),
            line=number,
        )
    included = (path.parent / target).resolve()
    if included in stack:
        state.notes.append(f"{path.name}:{number}: include cycle through {included.name} skipped")
        return
    if not included.is_file():
        raise LockfileError(f"included file {target} does not exist", file=str(path), line=number)
    _parse(included, read_text(included), state, (*stack, included))


def _requirement(path: Path, content: str, number: int, state: _State, where: str) -> _Entry | None:
    hashes = _HASH_OPTION.findall(content)
    requirement_text = _OPTION_START.split(_HASH_OPTION.sub("", content), maxsplit=1)[0].strip()
    try:
        requirement = Requirement(requirement_text)
    except InvalidRequirement:
        raise LockfileError("not a valid requirement", file=str(path), line=number) from None
    name = requirement.name
    if requirement.url:
        state.notes.append(f"{where}:{number}: {name} from a direct URL was ignored")
        return None
    specifiers = list(requirement.specifier)
    pinned = (
        len(specifiers) == 1
        and specifiers[0].operator in ("==", "===")
        and "*" not in specifiers[0].version
    )
    if not pinned:
        state.complete = False
        state.notes.append(f"{where}:{number}: {name} is not pinned to one version")
        return None
    digests = tuple(dict.fromkeys(prefixed_digest(value, path=path, what=name) for value in hashes))
    if not digests:
        state.complete = False
        state.notes.append(f"{where}:{number}: {name} has no --hash")
    entry = _Entry(
        name=name,
        version=specifiers[0].version,
        spec=requirement_text,
        digests=digests,
        marker=str(requirement.marker) if requirement.marker else None,
    )
    state.entries.append(entry)
    return entry
