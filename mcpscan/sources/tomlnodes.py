"""TOML (Codex) to :class:`Node`.

tomllib gives values but no positions, so the lines of tables and keys are found by a
light scan of the text, which tomllib has already proven valid. Each table or key gets the
line where it is first named: a ``[a.b]`` header, a dotted key ``a.b.c = …``, or a key
inside an inline table header line. Values deeper than what the scan names inherit the
line of their nearest named ancestor.
"""

from __future__ import annotations

import re
import sys

from mcpscan.sources.interface import SourceError
from mcpscan.sources.nodes import Node

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_ERROR_POS_RE = re.compile(r"\(at line (\d+), column (\d+)\)")
_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_MULTILINE_QUOTES = ('"""', "'''")


def parse(text: str, *, file: str = "<text>") -> Node:
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as err:
        # tomllib's messages describe the problem and its position, never the text.
        message = str(err)
        pos = _ERROR_POS_RE.search(message)
        if pos:
            line: int | None = int(pos.group(1))
        elif "end of document" in message:
            line = len(text.splitlines()) or 1
        else:
            line = None
        raise SourceError(f"invalid TOML: {message}", file=file, line=line) from None
    lines = key_lines(text)
    return _to_node(data, (), lines, 1)


def _to_node(
    value: object, path: tuple[str, ...], lines: dict[tuple[str, ...], int], inherited: int
) -> Node:
    line = lines.get(path, inherited)
    if isinstance(value, dict):
        return Node(
            {str(k): _to_node(v, (*path, str(k)), lines, line) for k, v in value.items()}, line
        )
    if isinstance(value, list):
        return Node([_to_node(v, path, lines, line) for v in value], line)
    if isinstance(value, (str, int, float, bool)):
        return Node(value, line)
    # dates and times: keep their TOML spelling
    return Node(str(value), line)


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The first line naming each table or dotted key path."""
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_multiline: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            keys = _read_keys(line.lstrip("[").lstrip())
            if keys is not None:
                table = tuple(keys[0])
                _record(found, table, number)
            continue
        keys = _read_keys(line)
        if keys is None:
            continue
        dotted, rest = keys
        if not rest.startswith("="):
            continue
        _record(found, (*table, *dotted), number)
        for quote in _MULTILINE_QUOTES:
            if rest.count(quote) % 2 == 1:
                in_multiline = quote
                break
        inline = rest[1:].lstrip()
        if inline.startswith("{"):
            _record_inline(found, (*table, *dotted), inline, number)
    return found


def _record(found: dict[tuple[str, ...], int], path: tuple[str, ...], number: int) -> None:
    for end in range(1, len(path) + 1):
        found.setdefault(path[:end], number)


def _record_inline(
    found: dict[tuple[str, ...], int], path: tuple[str, ...], text: str, number: int
) -> None:
    # Inline tables are one line in TOML 1.0: every key in them is on this line.
    rest = text[1:]
    while rest:
        rest = rest.lstrip(" \t,")
        keys = _read_keys(rest)
        if keys is None:
            return
        dotted, rest = keys
        if not rest.startswith("="):
            return
        _record(found, (*path, *dotted), number)
        rest = rest[1:].lstrip()
        if rest.startswith("{"):
            _record_inline(found, (*path, *dotted), rest, number)
            return
        rest = _skip_value(rest)


def _skip_value(text: str) -> str:
    """Drop one simple value (string, number, bool, array) and return what follows."""
    depth = 0
    quote: str | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            if depth == 0:
                return ""
            depth -= 1
        elif ch == "," and depth == 0:
            return text[i + 1 :]
        i += 1
    return ""


def _read_keys(text: str) -> tuple[list[str], str] | None:
    """Read a dotted key from the start of ``text``; return its parts and the remainder."""
    parts: list[str] = []
    rest = text
    while True:
        rest = rest.lstrip(" \t")
        if rest.startswith('"'):
            end = _basic_string_end(rest)
            if end < 0:
                return None
            parts.append(_unescape(rest[1:end]))
            rest = rest[end + 1 :]
        elif rest.startswith("'"):
            end = rest.find("'", 1)
            if end < 0:
                return None
            parts.append(rest[1:end])
            rest = rest[end + 1 :]
        else:
            match = _BARE_KEY_RE.match(rest)
            if not match:
                return None
            parts.append(match.group(0))
            rest = rest[match.end() :]
        rest = rest.lstrip(" \t")
        if rest.startswith("."):
            rest = rest[1:]
            continue
        return parts, rest


def _basic_string_end(text: str) -> int:
    i = 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    return -1


def _unescape(body: str) -> str:
    try:
        value = tomllib.loads(f'k = "{body}"')["k"]
    except tomllib.TOMLDecodeError:
        return body
    return value if isinstance(value, str) else body
