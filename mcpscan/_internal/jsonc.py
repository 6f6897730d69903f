"""A small JSON-with-comments parser that records the line of every value.

Client configs are JSONC in practice (VS Code, Zed and Cursor write comments and trailing
commas), and mcpscan needs the line of each server entry for SARIF. No maintained library
gives both, so this is a plain recursive-descent parser. Strings and numbers are decoded by
the standard library's JSON decoder, so escapes, surrogates and number forms behave exactly
as in :func:`json.loads`.
"""

from __future__ import annotations

import bisect
import json
import re

from mcpscan._internal.nodes import DuplicateHook, ErrorFactory, Node
from mcpscan.errors import InputError, McpscanError

MAX_DEPTH = 128


_BLANK_RE = re.compile(r"(?:[ \t\r\n]+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_NUMBER_START = frozenset("-0123456789NI")
_LITERALS = (("true", True), ("false", False), ("null", None))
_DECODER = json.JSONDecoder(strict=True)


class _Parser:
    def __init__(
        self, text: str, file: str, error: ErrorFactory, on_duplicate: DuplicateHook | None
    ) -> None:
        self.text = text
        self.file = file
        self.error = error
        self.on_duplicate = on_duplicate
        self.pos = 0
        self._newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    # -- positions -------------------------------------------------------------------------
    def line_of(self, pos: int) -> int:
        return bisect.bisect_right(self._newlines, pos - 1) + 1

    def column_of(self, pos: int) -> int:
        index = bisect.bisect_right(self._newlines, pos - 1)
        start = self._newlines[index - 1] + 1 if index else 0
        return pos - start + 1

    def fail(self, message: str, pos: int | None = None) -> McpscanError:
        at = self.pos if pos is None else pos
        line = self.line_of(at)
        return self.error(
            f"{message} at line {line}, column {self.column_of(at)}", file=self.file, line=line
        )

    # -- lexing ----------------------------------------------------------------------------
    def skip_blank(self) -> None:
        match = _BLANK_RE.match(self.text, self.pos)
        if match:
            self.pos = match.end()
        if self.text.startswith("/*", self.pos):
            raise self.fail("unterminated /* comment")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def describe_here(self) -> str:
        # Name the character class, never the text: the text may be a secret.
        ch = self.peek()
        if not ch:
            return "end of file"
        if ch in "{}[],:\"'":
            return f"'{ch}'"
        return "unexpected text"

    # -- grammar ---------------------------------------------------------------------------
    def document(self) -> Node:
        if self.text.startswith("\ufeff"):
            self.pos = 1
        self.skip_blank()
        if self.pos >= len(self.text):
            raise self.fail("empty document")
        node = self.value(0)
        self.skip_blank()
        if self.pos < len(self.text):
            raise self.fail(f"expected end of document, found {self.describe_here()}")
        return node

    def value(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH} levels")
        ch = self.peek()
        start = self.pos
        value: object
        if ch == "{":
            value = self.obj(depth)
        elif ch == "[":
            value = self.array(depth)
        elif ch == '"':
            value = self.string()
        elif literal := next((w for w in _LITERALS if self.text.startswith(w[0], start)), None):
            self.pos += len(literal[0])
            value = literal[1]
        elif ch in _NUMBER_START:
            value = self.number()
        else:
            raise self.fail(f"expected a value, found {self.describe_here()}")
        return Node(value, self.line_of(start), start, self.pos)

    def string(self) -> str:
        try:
            text, end = _DECODER.raw_decode(self.text, self.pos)
        except json.JSONDecodeError as err:
            if self.text[err.pos : err.pos + 1] == "\n" or err.pos >= len(self.text):
                raise self.fail("unterminated string", self.pos) from None
            raise self.fail(_short(err.msg).lower(), err.pos) from None
        assert isinstance(text, str)  # raw_decode at a '"' can only produce a string
        self.pos = end
        return text

    def number(self) -> int | float:
        try:
            number, end = _DECODER.raw_decode(self.text, self.pos)
        except json.JSONDecodeError:
            raise self.fail("invalid number") from None
        except ValueError:  # int too large to convert
            raise self.fail("number too large") from None
        if not isinstance(number, (int, float)) or isinstance(number, bool):
            raise self.fail("invalid number")
        self.pos = end
        return number

    def obj(self, depth: int) -> dict[str, Node]:
        members: dict[str, Node] = {}
        if self.opens("}"):
            return members
        while True:
            if self.peek() != '"':
                raise self.fail(f"expected a '\"'-quoted key, found {self.describe_here()}")
            key_line = self.line_of(self.pos)
            key = self.string()
            self.skip_blank()
            if self.peek() != ":":
                raise self.fail(f"expected ':' after a key, found {self.describe_here()}")
            self.pos += 1
            self.skip_blank()
            value = self.value(depth + 1)
            if key in members and self.on_duplicate is not None:
                self.on_duplicate(key_line, key)
            members[key] = Node(value.value, key_line, value.start, value.end)
            if self.closes("}"):
                return members

    def array(self, depth: int) -> list[Node]:
        items: list[Node] = []
        if self.opens("]"):
            return items
        while True:
            items.append(self.value(depth + 1))
            if self.closes("]"):
                return items

    def opens(self, close: str) -> bool:
        """Past the opening bracket and the blanks after it; True (and past ``close`` too)
        when the object or array is empty."""
        self.pos += 1
        self.skip_blank()
        if self.peek() != close:
            return False
        self.pos += 1
        return True

    def closes(self, close: str) -> bool:
        """After a member or an item: False past its ',' (more follow), True past ``close``
        (a trailing comma allowed, as JSONC has it)."""
        self.skip_blank()
        ch = self.peek()
        if ch == ",":
            self.pos += 1
            self.skip_blank()
            if self.peek() != close:
                return False
        elif ch != close:
            raise self.fail(f"expected ',' or '{close}', found {self.describe_here()}")
        self.pos += 1
        return True


def _short(message: str) -> str:
    # json's messages are generic ("Invalid \\escape", "Unterminated string starting at") and
    # never quote the input; drop their dangling "at", our caller adds line and column.
    for suffix in (" starting at", " at"):
        if message.endswith(suffix):
            return message[: -len(suffix)]
    return message


def parse(
    text: str,
    *,
    file: str = "<text>",
    error: ErrorFactory = InputError,
    on_duplicate: DuplicateHook | None = None,
) -> Node:
    """Parse JSON with comments and trailing commas; raise ``error`` (message, file, line) with
    line and column on anything else. A repeated key keeps its last value (as JSON.parse
    does) and is told to ``on_duplicate``."""
    return _Parser(text, file, error, on_duplicate).document()
