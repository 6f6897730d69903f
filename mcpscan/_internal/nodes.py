"""A parsed document that remembers where each value was written.

JSON, YAML and TOML are all turned into the same tree so that the client formats read one
shape. For a member of a mapping, :attr:`Node.line` is the line of its *key* (that is the
line an editor or SARIF viewer should jump to); for a list item or the root it is the line
where the value starts. Lines are 1-based.

``start`` and ``end`` are the character offsets of the value itself in the parsed text (for a
mapping member: its value, not its key), so that ``mcpscan fix`` can rewrite one value and
leave every other character as it was; -1 where the reader does not know them (TOML).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mcpscan.errors import McpscanError

# The error a reader raises for a syntax error: ``error(message, file=..., line=...)``. Each
# caller passes its seam's own error class.
ErrorFactory = Callable[..., McpscanError]
# Told of every key a mapping repeats (line of the repeated key, the key): the readers keep
# the last one, as the clients' own parsers do, but a rewrite must not guess.
DuplicateHook = Callable[[int, str], None]


@dataclass(frozen=True, eq=False)
class Node:
    value: object  # None, bool, int, float, str, list[Node] or dict[str, Node]
    line: int
    start: int = -1
    end: int = -1

    def mapping(self) -> dict[str, Node] | None:
        return self.value if isinstance(self.value, dict) else None

    def items(self) -> list[Node] | None:
        return self.value if isinstance(self.value, list) else None

    def text(self) -> str | None:
        return self.value if isinstance(self.value, str) else None

    def get(self, key: str) -> Node | None:
        mapping = self.mapping()
        return mapping.get(key) if mapping is not None else None

    def path(self, *keys: str) -> Node | None:
        node: Node | None = self
        for key in keys:
            if node is None:
                return None
            node = node.get(key)
        return node


def pick(mapping: Mapping[str, Node], *keys: str) -> Node | None:
    """The first of ``keys`` present (for fields renamed between schema generations)."""
    for key in keys:
        if key in mapping:
            return mapping[key]
    return None


def plain(node: Node) -> object:
    """The Python value of ``node`` without positions."""
    if isinstance(node.value, dict):
        return {k: plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [plain(v) for v in node.value]
    return node.value


def scalar_text(value: object) -> str | None:
    """A scalar as a command-line / env string (JSON spelling for booleans and null)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    if isinstance(value, (int, float, str)):
        return str(value)
    return None
