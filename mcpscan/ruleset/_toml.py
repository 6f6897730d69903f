"""TOML reading with line numbers for validation errors.

tomllib reports the position of syntax errors but forgets where each key was once the
document parses, so a "missing approver" or "unknown key" error could not point at a line.
:class:`KeyLines` recovers those lines with a light scan of the text.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

from mcpscan.errors import McpscanError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

Path_ = tuple[str | int, ...]
ErrorFactory = Callable[..., McpscanError]

_POSITION_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_BARE_KEY = r"[A-Za-z0-9_-]+"
_QUOTED_KEY = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_KEY_PART = rf"(?:{_BARE_KEY}|{_QUOTED_KEY})"
_DOTTED_KEY = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_KEY_RE = re.compile(rf"^\s*({_DOTTED_KEY})\s*=")
_TABLE_RE = re.compile(rf"^\s*\[\s*({_DOTTED_KEY})\s*\]")
_ARRAY_TABLE_RE = re.compile(rf"^\s*\[\[\s*({_DOTTED_KEY})\s*\]\]")
_PART_RE = re.compile(_KEY_PART)


def parse(text: str, *, file: str, error: ErrorFactory) -> tuple[dict[str, Any], KeyLines]:
    """Parse ``text``; a syntax error becomes ``error(message, file=…, line=…)``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = None
        found = _POSITION_RE.search(message)
        if found:
            line = int(found.group(1))
            message = message[: found.start()]
        elif message.rstrip().endswith("(at end of document)"):
            # The document ended inside a value: the last non-blank line is where it opened
            # or was left unfinished.
            line = max(
                (n for n, text_line in enumerate(text.splitlines(), 1) if text_line.strip()),
                default=1,
            )
            message = message.rstrip().removesuffix("(at end of document)").rstrip()
        raise error(f"invalid TOML: {message}", file=file, line=line) from None
    return data, KeyLines(text)


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = []
    for part in _PART_RE.findall(dotted):
        if part[:1] in ('"', "'"):
            part = part[1:-1]
        parts.append(part)
    return tuple(parts)


class KeyLines:
    """Line (1-based) where each key or table of a TOML document is written.

    Paths are tuples: ``("rules", "SC01", "severity")``; the n-th ``[[waivers]]`` table
    is ``("waivers", n)``.
    """

    def __init__(self, text: str) -> None:
        self._lines: dict[Path_, int] = {}
        array_counts: dict[tuple[str, ...], int] = {}
        table: Path_ = ()
        in_multiline: str | None = None  # the closing delimiter while inside """ or '''
        depth = 0  # open [ and { of a value that spans lines
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline is not None:
                end = line.find(in_multiline)
                if end < 0:
                    continue
                rest = line[end + 3 :]
                in_multiline = None
            elif depth == 0 and (m := _ARRAY_TABLE_RE.match(line)):
                name = _split_key(m.group(1))
                index = array_counts.get(name, 0)
                array_counts[name] = index + 1
                table = (*name, index)
                self._lines.setdefault(table, number)
                self._lines.setdefault(name, number)
                continue
            elif depth == 0 and (m := _TABLE_RE.match(line)):
                table = self._resolve_table(_split_key(m.group(1)), array_counts)
                self._lines.setdefault(table, number)
                continue
            elif depth == 0 and (m := _KEY_RE.match(line)):
                self._lines.setdefault((*table, *_split_key(m.group(1))), number)
                rest = line[m.end() :]
            else:
                rest = line
            depth, in_multiline = _scan_value(rest, depth)

    @staticmethod
    def _resolve_table(name: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> Path_:
        # [waivers.extra] after [[waivers]] belongs to the latest waivers entry.
        path: list[str | int] = []
        for i, part in enumerate(name):
            path.append(part)
            count = arrays.get(name[: i + 1])
            if count and i + 1 < len(name):
                path.append(count - 1)
        return tuple(path)

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest written ancestor."""
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return None


def _scan_value(text: str, depth: int) -> tuple[int, str | None]:
    """Bracket depth after ``text``, and the delimiter of a multi-line string left open."""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "#":
            break
        if text.startswith('"""', i) or text.startswith("'''", i):
            delim = text[i : i + 3]
            end = text.find(delim, i + 3)
            if end < 0:
                return depth, delim
            i = end + 3
            continue
        if ch in "\"'":
            i = _skip_string(text, i)
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        i += 1
    return depth, None


def _skip_string(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    return i
