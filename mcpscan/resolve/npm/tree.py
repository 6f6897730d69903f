"""The tree an npm build grows: nodes, their dependency edges, npm's collation order and the
queue of nodes to process (arborist's ``Node``, ``Edge`` and ``DepsQueue``)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache

from mcpscan.ecosystems.npm.spec import parse_spec
from mcpscan.registry.npm import NpmVersion
from mcpscan.resolve.npm.pick import PickFailure, dep_valid

# -- npm's collation (Intl.Collator("en")), used for queue and placement order ------------

_PUNCT = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"


@lru_cache(maxsize=65536)
def locale_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sort key matching ICU's "en" collation for package paths: punctuation (in ICU's
    order) before digits before letters, case-insensitive first, lower case first on ties."""
    primary: list[int] = []
    tertiary: list[int] = []
    for ch in text:
        low = ch.lower()
        if low in _PUNCT:
            primary.append(_PUNCT.index(low))
        elif low.isdigit():
            primary.append(100 + ord(low))
        elif low.isalpha():
            primary.append(1000 + ord(low))
        else:
            primary.append(ord(low) - 100 if ord(low) < 100 else 100000 + ord(low))
        tertiary.append(1 if ch != low else 0)
    return tuple(primary), tuple(tertiary)


# -- the tree -------------------------------------------------------------------------------


class TreeEdge:
    __slots__ = ("failure", "kind", "name", "peer_conflicted", "raw", "source", "spec")

    def __init__(self, source: TreeNode, name: str, raw: str, kind: str) -> None:
        self.source = source
        self.name = name
        self.raw = raw
        self.kind = kind
        self.spec = parse_spec(name, raw)
        self.failure: PickFailure | None = None
        self.peer_conflicted = False
        if not self.spec.registry:
            self.failure = PickFailure(
                "unsupported-spec",
                f"{name}@{raw} is a {self.spec.why}: not resolved from the registry",
            )

    @property
    def peer(self) -> bool:
        return self.kind in ("peer", "peerOptional")

    @property
    def optional(self) -> bool:
        return self.kind in ("optional", "peerOptional")

    def to(self) -> TreeNode | None:
        return self.source.resolve(self.name)

    def satisfied_by(self, node: TreeNode) -> bool:
        return (
            node.name == self.name
            and node.pkg is not None
            and dep_valid(node.pkg.version, self.spec)
        )

    def valid(self) -> bool:
        target = self.to()
        if target is None:
            return self.optional
        if self.peer and target.parent is self.source and not self.source.is_root:
            return False  # a peer must be a sibling, not a child ("PEER LOCAL")
        return self.satisfied_by(target)


class TreeNode:
    __slots__ = (
        "children",
        "edges",
        "is_root",
        "name",
        "parent",
        "peer_set",
        "pkg",
        "requested",
        "requester",
    )

    def __init__(
        self,
        name: str,
        pkg: NpmVersion | None,
        requester: TreeNode | None = None,
        requested: str = "",
    ) -> None:
        self.name = name
        self.pkg = pkg
        self.parent: TreeNode | None = None
        self.children: dict[str, TreeNode] = {}
        self.edges: dict[str, TreeEdge] = {}
        self.is_root = pkg is None
        self.requester = requester
        self.requested = requested
        self.peer_set: dict[str, TreeNode] = {}

    def add_edges(self, groups: Iterable[tuple[str, Mapping[str, str]]]) -> None:
        # Later groups replace earlier ones but keep the first position, as arborist's
        # edge Map does: a name in both peer and prod deps is a prod edge.
        for kind, deps in groups:
            for dep_name, raw in deps.items():
                self.edges[dep_name] = TreeEdge(self, dep_name, raw, kind)

    def ancestry(self) -> Iterator[TreeNode]:
        node: TreeNode | None = self
        while node is not None:
            yield node
            node = node.parent

    def resolve(self, name: str) -> TreeNode | None:
        node: TreeNode | None = self
        while node is not None:
            child = node.children.get(name)
            if child is not None:
                return child
            node = node.parent
        return None

    @property
    def depth(self) -> int:
        return sum(1 for _ in self.ancestry()) - 1

    @property
    def location(self) -> str:
        parts = [n.name for n in self.ancestry() if not n.is_root]
        return "/".join(f"node_modules/{p}" for p in reversed(parts))

    def is_descendant_of(self, other: TreeNode) -> bool:
        return any(n is other for n in self.ancestry())

    def matches(self, other: TreeNode) -> bool:
        return self is other or (
            self.name == other.name
            and self.pkg is not None
            and other.pkg is not None
            and self.pkg.name == other.pkg.name
            and self.pkg.version == other.pkg.version
        )


def not_into(node: TreeNode, *, valid_only: bool) -> Callable[[TreeEdge], bool]:
    """An edge filter for dependency-set walks: edges not pointing back at ``node``."""

    def keep(edge: TreeEdge) -> bool:
        return edge.to() is not node and (not valid_only or edge.valid())

    return keep


def deepest_target(start: TreeNode, name: str) -> TreeNode:
    """The deepest node_modules where ``name`` may go: not inside a node that has it as a
    peer dependency (a peer must be a sibling of its dependent)."""
    for target in start.ancestry():
        if target.is_root or target.parent is None:
            return target
        edge = target.edges.get(name)
        if edge is None or not edge.peer:
            return target
    return start


class DepsQueue:
    """arborist's DepsQueue: shallowest first, then by path in npm's collation, then in
    the order pushed. A node's path never changes while it is in the tree (a replacement
    takes the same name and place), so the key is computed once, at push time."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, tuple[tuple[int, ...], tuple[int, ...]], int, TreeNode]] = []
        self._members: set[int] = set()
        self._pushed = 0

    def __len__(self) -> int:
        return len(self._heap)

    def __iter__(self) -> Iterator[TreeNode]:
        return (item[3] for item in self._heap)

    def push(self, node: TreeNode) -> None:
        if id(node) not in self._members:
            self._members.add(id(node))
            self._pushed += 1
            heapq.heappush(self._heap, (node.depth, locale_key(node.location), self._pushed, node))

    def pop(self) -> TreeNode:
        node = heapq.heappop(self._heap)[3]
        self._members.discard(id(node))
        return node
