"""npm resolution: the package set ``npm install`` would put on disk, without running npm.

This is a model of npm's own ideal-tree builder (``@npmcli/arborist``), because the set of
(name, version) pairs npm installs depends on its placement algorithm, not only on semver:

* a queue of tree nodes, shallowest first, then by path in npm's collation order;
* for each node, its "problem edges" (missing or unsatisfied, skipping bundled deps and
  missing optional peers); one version is picked per edge with npm-pick-manifest's rules
  (exact version, dist-tag, or highest satisfying version, preferring the ``latest`` tag,
  non-deprecated versions and a compatible ``engines.node``), together with its peer set;
* the picked node and its peers are placed at the shallowest ``node_modules`` where they
  conflict with nothing (KEEP an existing satisfying copy, REPLACE an older one whose
  dependents the new one satisfies, or nest), and deeper duplicates this makes redundant
  are pruned;
* the result is every node of the finished tree (npm does not prune a fresh install's
  tree), minus optional nodes the target platform cannot install (``os``/``cpu``/``libc``)
  and whatever only they needed.

Packuments are fetched breadth-first: whenever the node being processed needs a package not
yet fetched, everything the queued nodes will reach next is fetched in one concurrent batch
(:meth:`HttpClient.map`); each name is fetched once per resolver, and names whose trimmed
packument is fresh on disk are read in this thread without a request. The finished graph is
kept by :class:`~mcpscan.resolve.graph_cache.GraphCache`, so a warm or offline rescan of the
same roots resolves nothing.

Not modelled (known gaps): bundled dependencies' contents (they ship inside the parent
tarball; recorded as ``bundled`` edges only), ``overrides``, git/file/URL dependencies
(recorded as ``unsupported-spec`` problems), and npm's ERESOLVE refusals: where npm would
stop on a peer conflict, the set ``npm install --force`` installs is returned.
"""

from __future__ import annotations

import heapq
import platform as _platform
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from mcpscan.ecosystems.npm import semver
from mcpscan.ecosystems.npm.purl import npm_purl
from mcpscan.ecosystems.npm.spec import Spec, parse_spec, split_name
from mcpscan.models import (
    Decision,
    Edge,
    Graph,
    PackageFacts,
    PackageRef,
    ResolutionProblem,
    ResolvedPackage,
)
from mcpscan.registry.interface import PackageNotFound
from mcpscan.registry.npm import NpmRegistry, NpmVersion, Packument
from mcpscan.resolve.graph_cache import GraphCache
from mcpscan.resolve.interface import Resolver

MAX_NODES = 20000  # a graph larger than this is not a real install; stop instead of looping

# -- target platform --------------------------------------------------------------------

_ARCH = {
    "x86_64": "x64", "amd64": "x64", "x64": "x64",
    "aarch64": "arm64", "arm64": "arm64", "armv8l": "arm64",
    "i386": "ia32", "i486": "ia32", "i586": "ia32", "i686": "ia32", "x86": "ia32",
    "armv6l": "arm", "armv7l": "arm", "arm": "arm",
    "ppc64le": "ppc64", "ppc64": "ppc64", "s390x": "s390x", "riscv64": "riscv64",
    "loongarch64": "loong64", "mips64": "mips64el",
}


def npm_os(py_platform: str = sys.platform) -> str:
    """Python's ``sys.platform`` as node's ``process.platform`` ("freebsd14" -> "freebsd")."""
    if py_platform.startswith(("win", "cygwin", "msys")):
        return "win32"
    return re.sub(r"\d+$", "", py_platform)


def npm_arch(machine: str | None = None) -> str:
    """``platform.machine()`` as node's ``process.arch`` (x86_64 -> x64, aarch64 -> arm64)."""
    raw = (machine if machine is not None else _platform.machine()).lower()
    return _ARCH.get(raw, raw)


def npm_libc(os_name: str) -> str | None:
    """npm's libc detection: only Linux has one; glibc unless the C library says musl."""
    if os_name != "linux":
        return None
    lib, _ = _platform.libc_ver()
    return "glibc" if lib == "glibc" else "musl"


def _check_list(value: str | None, allowed: tuple[str, ...]) -> bool:
    """npm-install-checks ``checkList``: ``!x`` excludes, any plain entry must match."""
    if allowed == ("any",):
        return True
    negated, match = 0, False
    for entry in allowed:
        if entry.startswith("!"):
            negated += 1
            if value == entry[1:]:
                return False
        else:
            match = match or value == entry
    return match or negated == len(allowed)


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


# -- specs (npm-package-arg, for registry dependencies) -----------------------------------

# The grammar (npm-package-arg) is ecosystems/npm/spec.py: Spec, parse_spec, split_name.


def dep_valid(version: str, spec: Spec) -> bool:
    """arborist ``depValid`` for registry specs: does ``version`` satisfy ``spec``?"""
    if spec.kind == "tag":
        return True  # npm trusts that a registry copy came from the tag
    if spec.kind == "range" and spec.fetch in ("", "*"):
        return True
    if spec.kind in ("range", "version"):
        return semver.satisfies(version, spec.fetch)
    return False


# -- picking a version (npm-pick-manifest) ------------------------------------------------


class _Failure(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


Ordered = list[tuple[semver.Version, str]]


def descending(packument: Packument) -> Ordered:
    """The packument's valid versions, highest first (equal versions keep their order).

    Only the version strings are read: a stored packument decodes a version's manifest on
    first use, and picking one usually looks at a handful."""
    out = []
    for text in packument.versions:
        try:
            out.append((semver.parse(text), text))
        except semver.InvalidVersion:
            continue
    out.sort(key=lambda item: item[0].sort_key, reverse=True)
    return out


def pick_version(
    packument: Packument,
    spec: Spec,
    node_version: str | None = None,
    ordered: Ordered | None = None,
) -> NpmVersion:
    """npm-pick-manifest: the version npm installs for ``spec``. Raises _Failure.

    ``ordered`` is :func:`descending` of the packument, when the caller keeps it."""
    versions = packument.versions
    tags = packument.dist_tags
    if spec.kind == "tag" and spec.fetch:
        chosen = versions.get(tags.get(spec.fetch, ""))
        if chosen is None:
            raise _Failure("no-matching-version",
                           f"{packument.name} has no dist-tag {spec.fetch!r}")
        return chosen
    if spec.kind == "version":
        cleaned = semver.clean(spec.fetch) or ""
        chosen = versions.get(cleaned)
        if chosen is None:
            raise _Failure("no-matching-version",
                           f"{packument.name} has no version {spec.fetch}")
        return chosen
    rng = spec.fetch if spec.kind == "range" and spec.fetch else "*"

    def engine_ok(v: NpmVersion) -> bool:
        if node_version is None or v.engines_node is None:
            return True
        return semver.satisfies(node_version, v.engines_node, include_prerelease=True)

    latest = tags.get("latest")
    if latest is not None and (rng == "*" or semver.satisfies(latest, rng)):
        candidate = versions.get(latest)
        if candidate is not None and engine_ok(candidate) and not candidate.deprecated:
            return candidate
    # npm sorts the satisfying versions by (not deprecated and engine ok, engine ok, not
    # deprecated, version); walking them highest first, the first fully good one wins.
    matcher = semver.parse_range(rng)
    best: tuple[tuple[bool, bool, bool], NpmVersion] | None = None
    for parsed, text in ordered if ordered is not None else descending(packument):
        if not matcher.test(parsed):
            continue
        v = versions[text]
        ok_engine = engine_ok(v)
        rank = (not v.deprecated and ok_engine, ok_engine, not v.deprecated)
        if best is None or rank > best[0]:
            best = (rank, v)
            if all(rank):
                break
    if best is None:
        raise _Failure("no-matching-version",
                       f"no version of {packument.name} matches {spec.raw or '*'}")
    return best[1]


# -- the tree -------------------------------------------------------------------------------

KEEP, OK, REPLACE, CONFLICT = "keep", "ok", "replace", "conflict"


class _Edge:
    __slots__ = ("failure", "kind", "name", "peer_conflicted", "raw", "source", "spec")

    def __init__(self, source: _Node, name: str, raw: str, kind: str) -> None:
        self.source = source
        self.name = name
        self.raw = raw
        self.kind = kind
        self.spec = parse_spec(name, raw)
        self.failure: _Failure | None = None
        self.peer_conflicted = False
        if not self.spec.registry:
            self.failure = _Failure(
                "unsupported-spec",
                f"{name}@{raw} is a {self.spec.why}: not resolved from the registry",
            )

    @property
    def peer(self) -> bool:
        return self.kind in ("peer", "peerOptional")

    @property
    def optional(self) -> bool:
        return self.kind in ("optional", "peerOptional")

    def to(self) -> _Node | None:
        return self.source.resolve(self.name)

    def satisfied_by(self, node: _Node) -> bool:
        return node.name == self.name and node.pkg is not None and dep_valid(
            node.pkg.version, self.spec
        )

    def valid(self) -> bool:
        target = self.to()
        if target is None:
            return self.optional
        if self.peer and target.parent is self.source and not self.source.is_root:
            return False  # a peer must be a sibling, not a child ("PEER LOCAL")
        return self.satisfied_by(target)


class _Node:
    __slots__ = ("children", "edges", "is_root", "name", "parent", "peer_set", "pkg",
                 "requested", "requester")

    def __init__(self, name: str, pkg: NpmVersion | None, requester: _Node | None = None,
                 requested: str = "") -> None:
        self.name = name
        self.pkg = pkg
        self.parent: _Node | None = None
        self.children: dict[str, _Node] = {}
        self.edges: dict[str, _Edge] = {}
        self.is_root = pkg is None
        self.requester = requester
        self.requested = requested
        self.peer_set: dict[str, _Node] = {}

    def add_edges(self, groups: Iterable[tuple[str, Mapping[str, str]]]) -> None:
        # Later groups replace earlier ones but keep the first position, as arborist's
        # edge Map does: a name in both peer and prod deps is a prod edge.
        for kind, deps in groups:
            for dep_name, raw in deps.items():
                self.edges[dep_name] = _Edge(self, dep_name, raw, kind)

    def ancestry(self) -> Iterator[_Node]:
        node: _Node | None = self
        while node is not None:
            yield node
            node = node.parent

    def resolve(self, name: str) -> _Node | None:
        node: _Node | None = self
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

    def is_descendant_of(self, other: _Node) -> bool:
        return any(n is other for n in self.ancestry())

    def matches(self, other: _Node) -> bool:
        return (
            self is other
            or (self.name == other.name and self.pkg is not None and other.pkg is not None
                and self.pkg.name == other.pkg.name and self.pkg.version == other.pkg.version)
        )


def _not_into(node: _Node, *, valid_only: bool) -> Callable[[_Edge], bool]:
    """An edge filter for dependency-set walks: edges not pointing back at ``node``."""

    def keep(edge: _Edge) -> bool:
        return edge.to() is not node and (not valid_only or edge.valid())

    return keep


def _deepest_target(start: _Node, name: str) -> _Node:
    """The deepest node_modules where ``name`` may go: not inside a node that has it as a
    peer dependency (a peer must be a sibling of its dependent)."""
    for target in start.ancestry():
        if target.is_root or target.parent is None:
            return target
        edge = target.edges.get(name)
        if edge is None or not edge.peer:
            return target
    return start


class _DepsQueue:
    """arborist's DepsQueue: shallowest first, then by path in npm's collation, then in
    the order pushed. A node's path never changes while it is in the tree (a replacement
    takes the same name and place), so the key is computed once, at push time."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, tuple[tuple[int, ...], tuple[int, ...]], int, _Node]] = []
        self._members: set[int] = set()
        self._pushed = 0

    def __len__(self) -> int:
        return len(self._heap)

    def __iter__(self) -> Iterator[_Node]:
        return (item[3] for item in self._heap)

    def push(self, node: _Node) -> None:
        if id(node) not in self._members:
            self._members.add(id(node))
            self._pushed += 1
            heapq.heappush(self._heap, (node.depth, locale_key(node.location), self._pushed,
                                        node))

    def pop(self) -> _Node:
        node = heapq.heappop(self._heap)[3]
        self._members.discard(id(node))
        return node


# -- the resolver ---------------------------------------------------------------------------


class NpmResolver(Resolver):
    """Resolves npm packages as ``npm install --package-lock-only --ignore-scripts`` would.

    ``platform``/``arch``/``libc`` are the target machine in node's terms ("linux", "x64",
    "glibc"); ``platform=None`` keeps optional packages of every platform (what a
    package-lock.json lists). ``node_version`` enables npm's ``engines.node`` preference.
    """

    ecosystem = "npm"

    def __init__(
        self,
        registry: NpmRegistry,
        *,
        platform: str | None = sys.platform,
        arch: str | None = None,
        libc: str | None = None,
        node_version: str | None = None,
    ) -> None:
        self.registry = registry
        self.os = npm_os(platform) if platform is not None else None
        self.arch = (arch or npm_arch()) if self.os is not None else None
        self.libc = (libc or npm_libc(self.os)) if self.os is not None else None
        self.node_version = node_version
        self._packuments: dict[str, Packument | _Failure] = {}
        self._full: set[str] = set()  # names whose full document is cached
        self._ordered: dict[str, tuple[Packument, Ordered]] = {}

    # -- fetching ------------------------------------------------------------------------

    def prefetch(self, names: Iterable[str], *, full: bool = False) -> None:
        """Fetch every packument not yet cached, concurrently (one request per name)."""
        wanted = sorted({n for n in names if n not in self._packuments
                         or (full and n not in self._full)})
        if not wanted:
            return
        # Fresh copies on disk are read here, in this thread: a warm scan then starts no
        # worker thread and opens no HTTP session at all.
        missing: list[str] = []
        for name in wanted:
            try:
                hit = self.registry.cached(name, abbreviated=not full)
            except PackageNotFound as exc:
                self._packuments[name] = _Failure("not-found", str(exc))
                continue
            if hit is None:
                missing.append(name)
                continue
            self._packuments[name] = hit
            if full:
                self._full.add(name)
        wanted = missing

        def fetch(name: str) -> Packument | _Failure:
            try:
                return self.registry.package(name, abbreviated=not full)
            except PackageNotFound as exc:
                return _Failure("not-found", str(exc))

        for name, result in zip(wanted, self.registry.client.map(fetch, wanted), strict=True):
            self._packuments[name] = result
            if full and isinstance(result, Packument):
                self._full.add(name)

    def ordered(self, packument: Packument) -> Ordered:
        found = self._ordered.get(packument.name)
        if found is None or found[0] is not packument:
            found = (packument, descending(packument))
            self._ordered[packument.name] = found
        return found[1]

    def packument(self, name: str) -> Packument:
        self.prefetch([name])
        result = self._packuments[name]
        if isinstance(result, _Failure):
            raise result
        return result

    # -- Resolver ------------------------------------------------------------------------

    def resolve(self, roots: Sequence[PackageRef]) -> Graph:
        store = GraphCache.for_roots(self.registry.client, "npm", {
            "registry": self.registry.base_url,
            "scopes": self.registry.scope_registries,
            "target": [self.os, self.arch, self.libc, self.node_version],
            "roots": [[r.ecosystem, r.name, r.requested, r.spec, r.alias_of] for r in roots],
        })
        cached = store.load() if store is not None else None
        if cached is not None:
            return cached
        graph = self._resolve(roots)
        if store is not None:
            store.save(graph)
        return graph

    def _resolve(self, roots: Sequence[PackageRef]) -> Graph:
        requests = [_root_request(ref) for ref in roots if ref.ecosystem == "npm"]
        self.prefetch([r.spec.package for r in requests if r.spec.registry], full=True)
        # A project cannot depend on one name twice; each group is one install.
        groups: list[list[_RootRequest]] = []
        for req in requests:
            for group in groups:
                if all(other.name != req.name for other in group):
                    group.append(req)
                    break
            else:
                groups.append([req])
        builder = _GraphBuilder(self)
        for group in groups:
            run = _Build(self, group)
            run.build()
            run.emit(builder)
        return builder.graph()


@dataclass(frozen=True)
class _RootRequest:
    name: str  # the folder name (an alias, when one is used)
    raw: str
    spec: Spec
    decision: Decision


def _root_request(ref: PackageRef) -> _RootRequest:
    requested = (ref.requested or "").strip()
    if ref.alias_of:
        target, alias_spec = split_name(ref.alias_of)
        raw = f"npm:{target}@{alias_spec or requested}" if (alias_spec or requested) \
            else f"npm:{target}"
    else:
        raw = requested
    spec = parse_spec(ref.name, raw)
    if spec.kind == "version":
        decision = Decision.PINNED
    elif spec.kind == "tag":
        decision = Decision.LATEST if spec.fetch == "latest" else Decision.DIST_TAG
    elif spec.kind == "range" and spec.fetch in ("", "*"):
        decision = Decision.LATEST
    else:
        decision = Decision.RANGE
    return _RootRequest(ref.name, raw, spec, decision)


class _Build:
    """One simulated ``npm install`` of a set of roots into an empty project."""

    def __init__(self, resolver: NpmResolver, requests: Sequence[_RootRequest]) -> None:
        self.resolver = resolver
        self.requests = {r.name: r for r in requests}
        self.root = _Node("", None)
        self.root.add_edges([("prod", {r.name: r.raw for r in requests})])
        self._edges_by_name: dict[str, list[_Edge]] = {}
        self._nodes_by_name: dict[str, list[_Node]] = {}
        self._register(self.root)
        self.queue = _DepsQueue()
        self.seen: set[int] = set()
        self._picks: dict[tuple[str, Spec], NpmVersion | _Failure] = {}
        self.created = 0
        self.truncated = False

    # -- bookkeeping ---------------------------------------------------------------------

    def _register(self, node: _Node) -> None:
        for edge in node.edges.values():
            self._edges_by_name.setdefault(edge.name, []).append(edge)
        if not node.is_root:
            self._nodes_by_name.setdefault(node.name, []).append(node)

    def attached(self, node: _Node) -> bool:
        top = node
        while top.parent is not None:
            top = top.parent
        return top is self.root

    def edges_in(self, node: _Node) -> list[_Edge]:
        return [
            e for e in self._edges_by_name.get(node.name, ())
            if e.source.resolve(e.name) is node and self.attached(e.source)
        ]

    def _new_node(self, name: str, pkg: NpmVersion, requester: _Node, requested: str) -> _Node:
        node = _Node(name, pkg, requester, requested)
        node.add_edges([
            ("peer", {k: v for k, v in pkg.peer_dependencies.items()
                      if k not in pkg.peer_optional}),
            ("peerOptional", {k: v for k, v in pkg.peer_dependencies.items()
                              if k in pkg.peer_optional}),
            ("prod", pkg.dependencies),
            ("optional", pkg.optional_dependencies),
        ])
        self._register(node)
        self.created += 1
        return node

    def _pick(self, spec: Spec) -> NpmVersion:
        key = (spec.package, spec)
        cached = self._picks.get(key)
        if cached is None:
            try:
                packument = self.resolver.packument(spec.package)
                cached = pick_version(packument, spec, self.resolver.node_version,
                                      self.resolver.ordered(packument))
            except _Failure as failure:
                cached = failure
            self._picks[key] = cached
        if isinstance(cached, _Failure):
            raise cached
        return cached

    # -- the build loop ------------------------------------------------------------------

    def build(self) -> None:
        self.queue.push(self.root)
        steps = 0
        while len(self.queue):
            node = self.queue.pop()
            if id(node) in self.seen or not self.attached(node):
                continue
            self.seen.add(id(node))
            steps += 1
            if self.created > MAX_NODES or steps > 10 * MAX_NODES:
                self.truncated = True
                return
            self._step(node)

    def _problem_edges(self, node: _Node) -> list[_Edge]:
        bundled = set(node.pkg.bundle_dependencies) if node.pkg is not None else set()
        problems: list[_Edge] = []
        for edge in node.edges.values():
            if edge.name in bundled or edge.failure is not None or edge.peer_conflicted:
                continue
            target = edge.to()
            if target is None:
                if edge.kind != "peerOptional":
                    problems.append(edge)
            elif not edge.valid():
                problems.append(edge)
        return problems

    def _prefetch_for(self, edges: Sequence[_Edge]) -> None:
        have = self.resolver._packuments
        if all(e.spec.package in have for e in edges):
            return
        # A miss. Fetch, in one concurrent batch, every package the queued nodes will
        # reach next: follow their edges through packages already fetched (picking the
        # version each spec gets) down to the first ones not fetched yet. This makes one
        # batch per level of the graph instead of one per node. Peers are fetched but not
        # followed: which version a peer gets depends on the tree, so a guess would fetch
        # the dependencies of versions that are never installed.
        specs: list[tuple[Spec, bool]] = [(e.spec, not e.peer) for e in edges]
        for queued in self.queue:
            bundled = queued.pkg.bundle_dependencies if queued.pkg is not None else ()
            specs.extend((e.spec, not e.peer) for e in queued.edges.values()
                         if e.failure is None and e.name not in bundled)
        names: set[str] = set()
        done: set[tuple[Spec, bool]] = set()
        while specs:
            spec, expand = specs.pop()
            if (spec, expand) in done:
                continue
            done.add((spec, expand))
            if spec.package not in have:
                names.add(spec.package)
                continue
            if not expand:
                continue
            try:
                pkg = self._pick(spec)
            except _Failure:
                continue
            for deps, follow in ((pkg.peer_dependencies, False), (pkg.dependencies, True),
                                 (pkg.optional_dependencies, True)):
                for name, raw in deps.items():
                    dep_spec = parse_spec(name, raw)
                    if dep_spec.registry and name not in pkg.bundle_dependencies:
                        specs.append((dep_spec, follow))
        self.resolver.prefetch(names)

    def _step(self, node: _Node) -> None:
        problems = self._problem_edges(node)
        if not problems:
            return
        self._prefetch_for(problems)
        tasks: list[tuple[_Edge, _Node]] = []
        for edge in problems:
            try:
                dep = self._node_from_edge(edge, node)
            except _Failure as failure:
                edge.failure = failure
                continue
            tasks.append((edge, dep))
        self.resolver.prefetch(
            e.spec.package for _, dep in tasks for e in dep.edges.values()
            if e.peer and e.failure is None
        )
        for _, dep in tasks:
            self._load_peer_set(dep, dep.peer_set, node)
        tasks.sort(key=lambda t: locale_key(t[0].name))
        for edge, dep in tasks:
            for placed in self._place_dep(dep, edge):
                for edge_in in self.edges_in(placed):
                    if edge_in is not edge and not edge_in.peer_conflicted \
                            and not edge_in.valid():
                        self.seen.discard(id(edge_in.source))
                        self.queue.push(edge_in.source)
                self.queue.push(placed)

    def _node_from_edge(self, edge: _Edge, requester: _Node) -> _Node:
        pkg = self._pick(edge.spec)
        dep = self._new_node(edge.name, pkg, requester, edge.raw)
        dep.peer_set[edge.name] = dep
        return dep

    def _load_peer_set(self, node: _Node, vset: dict[str, _Node], source: _Node) -> None:
        """Pick ``node``'s peers (and theirs) in a virtual root shared by the set.

        Optional peers are picked too: npm installs them only when something else put an
        unsatisfying copy in the way, but they always limit where the set can be placed.
        When the requesting package also depends on a peer itself, its own spec is tried
        first, and the peer's spec only if that pick does not satisfy the peer."""
        peer_edges = sorted(
            (e for e in node.edges.values() if e.peer and e.failure is None),
            key=lambda e: locale_key(e.name),
        )
        entry = next(iter(vset.values()))
        for edge in peer_edges:
            current = vset.get(edge.name)
            if current is not None and edge.satisfied_by(current):
                continue
            try:
                if current is not None:
                    # Something in the set already holds the name and does not fit: take
                    # ours instead only if every member's peer edge accepts it.
                    pkg = self._pick(edge.spec)
                    if current is entry or not all(
                        dep_valid(pkg.version, e.spec)
                        for m in vset.values() if m is not current
                        for e in (m.edges.get(edge.name),) if e is not None and e.peer
                    ):
                        continue
                else:
                    pkg = self._pick_for_peer(edge, source.edges.get(edge.name))
            except _Failure:
                continue  # processing the dependent later records the failure on its edge
            peer = self._new_node(edge.name, pkg, node, edge.raw)
            peer.peer_set = vset
            vset[edge.name] = peer
            self._load_peer_set(peer, vset, source)

    def _pick_for_peer(self, edge: _Edge, parent_edge: _Edge | None) -> NpmVersion:
        if parent_edge is None or parent_edge.failure is not None:
            return self._pick(edge.spec)
        pkg = self._pick(parent_edge.spec)
        if not dep_valid(pkg.version, edge.spec):
            try:
                second = self._pick(edge.spec)
            except _Failure:
                return pkg
            if dep_valid(second.version, parent_edge.spec):
                return second
        return pkg

    # -- placement (arborist PlaceDep / CanPlaceDep) ---------------------------------------

    def _place_dep(
        self,
        dep: _Node,
        edge: _Edge,
        parent: tuple[_Node, _Node, _Edge] | None = None,
    ) -> list[_Node]:
        """Place ``dep`` for ``edge``, then its peers; returns the nodes placed.

        ``parent`` is (start, deepest target, entry edge) of the dependent whose peer this
        is: a peer set is placed from where its entry package was."""
        if edge.to() is not None and edge.valid():
            return []
        if parent is None:
            start = _deepest_target(edge.source, edge.name)
            deepest, entry = start, edge
        else:
            start = _deepest_target(parent[0], edge.name)
            deepest, entry = parent[1], parent[2]
        chosen: tuple[_Node, str] | None = None
        chosen_self: tuple[_Node, str] | None = None
        for target in start.ancestry():
            target_edge = target.edges.get(edge.name)
            if not target.is_root and target_edge is not None and target_edge.peer:
                continue
            can, can_self = self._can_place(dep, edge, target, deepest, edge.peer, (), entry)
            if can_self != CONFLICT:
                chosen_self = (target, can_self)
            if can == CONFLICT:
                break
            chosen = (target, can)
        if chosen is None:
            if chosen_self is None:
                edge.peer_conflicted = edge.peer
                return []
            chosen = chosen_self
        target, how = chosen
        if how == KEEP:
            if edge.peer and not edge.valid():
                edge.peer_conflicted = True
            self._prune_dedupable(target, descend=True)
            return []
        old = target.children.get(edge.name)
        if old is not None:
            self._replace(old, dep)
        else:
            dep.parent = target
            target.children[edge.name] = dep
        if edge.peer and not edge.satisfied_by(dep):
            edge.peer_conflicted = True
        for other in list(self._nodes_by_name.get(edge.name, ())):
            if other is not dep and other.parent is not None and self.attached(other) \
                    and other.is_descendant_of(target) and other is not target:
                self._prune_dedupable(other, descend=False)
                if self.attached(other):
                    for kid in sorted(other.children.values(), key=lambda k: locale_key(
                            k.location)):
                        self._prune_dedupable(kid, descend=False)
        placed = [dep]
        for peer_edge in list(dep.edges.values()):
            if not peer_edge.peer or peer_edge.valid() or peer_edge.peer_conflicted:
                continue
            peer = dep.peer_set.get(peer_edge.name)
            if peer is None or peer.parent is not None or not peer_edge.satisfied_by(peer):
                continue
            placed.extend(self._place_dep(peer, peer_edge, (start, deepest, entry)))
        return placed

    def _can_place(
        self,
        dep: _Node,
        edge: _Edge,
        target: _Node,
        deepest: _Node,
        prefer_dedupe: bool,
        peer_path: tuple[_Node, ...],
        entry_edge: _Edge,
    ) -> tuple[str, str]:
        """(canPlace, canPlaceSelf): KEEP, OK, REPLACE or CONFLICT for ``dep`` at ``target``."""
        current = target.children.get(edge.name)
        target_edge = target.edges.get(edge.name)
        if target_edge is not None and target_edge.peer and not target.is_root:
            return CONFLICT, CONFLICT
        if current is None and target_edge is not None and target_edge is not edge \
                and not target_edge.satisfied_by(dep):
            return CONFLICT, CONFLICT

        def peers(state: str) -> tuple[str, str]:
            return self._can_place_peers(dep, target, deepest, state, peer_path,
                                         entry_edge), state

        if current is None:
            visible = target.resolve(edge.name) if target is not entry_edge.source else None
            if visible is not None:
                for edge_in in self.edges_in(visible):
                    if edge_in.source.is_descendant_of(target) and edge_in.valid() \
                            and not edge_in.satisfied_by(dep):
                        return CONFLICT, CONFLICT
            return peers(OK)
        assert current.pkg is not None
        assert dep.pkg is not None
        if dep.matches(current) and (edge.satisfied_by(current) or not edge.satisfied_by(dep)):
            return KEEP, KEEP
        try_replace = semver.compare(semver.parse(dep.pkg.version),
                                     semver.parse(current.pkg.version)) >= 0
        if try_replace and self._can_replace(current, dep):
            result = peers(REPLACE)
            if result[0] != CONFLICT:
                return result
        if edge.satisfied_by(current):
            return KEEP, KEEP
        if prefer_dedupe and not try_replace and self._can_replace(current, dep):
            result = peers(REPLACE)
            if result[0] != CONFLICT:
                return result
        if target is not deepest:
            return CONFLICT, CONFLICT
        if not edge.peer and target is edge.source:
            return peers(REPLACE)
        if not edge.peer and not peer_path:
            return CONFLICT, CONFLICT
        if self._can_replace_peer_group(current, dep, edge, entry_edge, target):
            return peers(REPLACE)
        return CONFLICT, CONFLICT

    def _can_replace_peer_group(self, current: _Node, dep: _Node, edge: _Edge,
                                entry_edge: _Edge, target: _Node) -> bool:
        """A peer may clobber ``current`` at its deepest target when every set that brought
        ``current`` in either accepts the replacement set or can be nested deeper."""
        for entry, members in self._peer_entry_sets(current):
            if entry is edge or entry is entry_edge:
                continue
            entry_node = entry.to()
            assert entry_node is not None
            rep = dep.peer_set.get(entry_node.name)
            if rep is not None and self._can_replace(entry_node, rep):
                continue
            if rep is None and self._peers_accept(entry_node, dep.peer_set):
                continue
            for member in members:
                nest_at = _deepest_target(entry.source, member.name)
                if nest_at is target or target.is_descendant_of(nest_at):
                    return False
        return True

    def _peers_accept(self, start: _Node, vset: Mapping[str, _Node]) -> bool:
        """Every valid peer edge reachable from ``start`` accepts the set's copy, if any."""
        walk = [start]
        seen = {id(start)}
        while walk:
            node = walk.pop()
            for edge in node.edges.values():
                if not edge.peer or not edge.valid():
                    continue
                rep = vset.get(edge.name)
                target = edge.to()
                if rep is None:
                    if target is not None and id(target) not in seen:
                        seen.add(id(target))
                        walk.append(target)
                elif not edge.satisfied_by(rep):
                    return False
        return True

    def _peer_entry_sets(self, node: _Node) -> list[tuple[_Edge, list[_Node]]]:
        """arborist ``peerEntrySets``: the edges entering ``node``'s peer group from
        outside it, each with the part of the group it brings in."""
        union: dict[int, _Node] = {id(node): node}
        work = [node]
        while work:
            current = work.pop()
            linked = [e.to() for e in current.edges.values() if e.peer and e.valid()]
            linked += [e.source for e in self.edges_in(current) if e.peer and e.valid()]
            for other in linked:
                if other is not None and id(other) not in union:
                    union[id(other)] = other
                    work.append(other)
        entries: list[tuple[_Edge, list[_Node]]] = []
        for peer in union.values():
            for edge in self.edges_in(peer):
                if not edge.valid() or (edge.peer and not edge.source.is_root):
                    continue
                sub: dict[int, _Node] = {id(peer): peer}
                grow = [peer]
                while grow:
                    member = grow.pop()
                    for out in member.edges.values():
                        to = out.to()
                        if out.peer and out.valid() and to is not None and id(to) not in sub:
                            sub[id(to)] = to
                            grow.append(to)
                if id(node) in sub:
                    entries.append((edge, list(sub.values())))
        return entries

    def _can_place_peers(self, dep: _Node, target: _Node, deepest: _Node, state: str,
                         peer_path: tuple[_Node, ...], entry_edge: _Edge) -> str:
        path = (*peer_path, dep)
        conflict = False
        for peer_edge in dep.edges.values():
            if not peer_edge.peer:
                continue
            peer = dep.peer_set.get(peer_edge.name)
            if peer is None or peer is dep or peer in path or peer.parent is not None:
                continue
            peer_target = _deepest_target(target, peer.name)
            can, _ = self._can_place(peer, peer_edge, peer_target, deepest, True, path,
                                     entry_edge)
            conflict = conflict or can == CONFLICT
        return CONFLICT if conflict else state

    def _can_replace(self, current: _Node, replacement: _Node) -> bool:
        """arborist ``canReplaceWith``: every dependent of ``current`` (outside its own
        dependency set) is satisfied by ``replacement``."""
        if current.pkg is None or replacement.pkg is None \
                or current.pkg.name != replacement.pkg.name:
            return False
        own = self._gather_dep_set([current], _not_into(current, valid_only=True))
        return all(
            e.source in own or e.satisfied_by(replacement) for e in self.edges_in(current)
        )

    def _gather_dep_set(self, start: Iterable[_Node], keep: Callable[[_Edge], bool]
                        ) -> set[_Node]:
        """arborist ``gatherDepSet``: ``start`` plus the dependencies only they need."""
        initial = list(start)
        deps: dict[int, _Node] = {id(n): n for n in initial}
        frontier = list(initial)
        while frontier:
            node = frontier.pop()
            for edge in node.edges.values():
                target = edge.to()
                if target is not None and id(target) not in deps and keep(edge):
                    deps[id(target)] = target
                    frontier.append(target)
        changed = True
        while changed and deps:
            changed = False
            for key, dep in list(deps.items()):
                for edge in self.edges_in(dep):
                    if id(edge.source) not in deps and keep(edge):
                        del deps[key]
                        changed = True
                        break
        return set(deps.values())

    def _detach(self, node: _Node) -> None:
        if node.parent is not None and node.parent.children.get(node.name) is node:
            del node.parent.children[node.name]
        node.parent = None

    def _replace(self, old: _Node, new: _Node) -> None:
        old_deps: set[_Node] = set()
        for name, edge in old.edges.items():
            target = edge.to()
            if name not in new.edges and target is not None:
                old_deps |= self._gather_dep_set([target], _not_into(target, valid_only=False))
        parent = old.parent
        assert parent is not None
        new.parent = parent
        parent.children[old.name] = new
        for kid in list(old.children.values()):
            kid.parent = new
            new.children[kid.name] = kid
        old.children = {}
        old.parent = None
        # Whatever the old copy needed and the new one does not is now dead weight.
        invalid = {e.to() for e in new.edges.values() if e.to() is not None and not e.valid()}
        for dep in old_deps:
            invalid |= self._gather_dep_set([dep], _not_into(dep, valid_only=True))
        doomed = self._gather_dep_set(
            [n for n in invalid if n is not None],
            lambda e: e.source is not new and e.to() is not new and e.valid(),
        )
        for node in doomed:
            self._detach(node)

    def _prune_dedupable(self, node: _Node, *, descend: bool) -> None:
        if self._can_dedupe(node):
            for dep in self._gather_dep_set([node], _not_into(node, valid_only=True)):
                self._detach(dep)
            return
        if descend:
            for child in sorted(node.children.values(), key=lambda c: locale_key(c.location)):
                self._prune_dedupable(child, descend=True)

    def _can_dedupe(self, node: _Node) -> bool:
        if node.parent is None or node.parent.parent is None or node.pkg is None:
            return False
        if not self.edges_in(node):
            return True
        other = node.parent.parent.resolve(node.name)
        if other is None or other.pkg is None:
            return False
        if other.matches(node):
            return True
        if not self._can_replace(node, other):
            return False
        return semver.compare(semver.parse(other.pkg.version),
                              semver.parse(node.pkg.version)) >= 0

    # -- the result ----------------------------------------------------------------------

    def platform_ok(self, pkg: NpmVersion) -> bool:
        r = self.resolver
        if r.os is None:
            return True
        if pkg.os and not _check_list(r.os, pkg.os):
            return False
        if pkg.cpu and not _check_list(r.arch, pkg.cpu):
            return False
        return not pkg.libc or (r.libc is not None and _check_list(r.libc, pkg.libc))

    def emit(self, out: _GraphBuilder) -> None:
        """Write the finished tree into ``out``: every node in it (npm does not prune a
        fresh install's tree), minus optional nodes this platform cannot install and what
        only they need."""
        tree: dict[int, _Node] = {}
        stack = [self.root]
        while stack:
            node = stack.pop()
            tree[id(node)] = node
            stack.extend(node.children.values())
        # arborist calcDepFlags: optional unless some path of required edges reaches it.
        optional: dict[int, bool] = dict.fromkeys(tree, True)
        optional[id(self.root)] = False
        work = [self.root]
        while work:
            node = work.pop()
            for edge in node.edges.values():
                target = edge.to()
                if target is None or target is node or edge.optional or optional[id(node)]:
                    continue
                if optional.get(id(target)):
                    optional[id(target)] = False
                    work.append(target)
        inert: set[int] = set()
        for key, node in tree.items():
            if node.is_root or not optional[key]:
                continue
            assert node.pkg is not None
            bundled = node.pkg.bundle_dependencies
            failed = any(e.failure is not None and not e.optional and e.name not in bundled
                         for e in node.edges.values())
            if not self.platform_ok(node.pkg) or failed:
                inert |= {id(n) for n in self._optional_set(node)}
        root_nodes = {id(e.to()): self.requests[e.name] for e in self.root.edges.values()
                      if e.failure is None and e.to() is not None}
        for key, node in tree.items():
            if key in inert or node.is_root:
                continue
            assert node.pkg is not None
            out.add_node(node, root_nodes.get(key))
            if not optional[key] and not self.platform_ok(node.pkg):
                out.problem(node, "unsupported-platform",
                            f"{node.pkg.name}@{node.pkg.version} does not support "
                            f"{self.resolver.os}/{self.resolver.arch}", node.pkg.name,
                            node.requested)
        for key, node in tree.items():
            if key in inert:
                continue
            in_bundle = node.pkg.bundle_dependencies if node.pkg is not None else ()
            for edge in node.edges.values():
                if edge.name in in_bundle:
                    if node.pkg is not None:
                        out.bundled(node, edge)
                    continue
                if edge.failure is not None:
                    if not edge.optional and not optional[key]:
                        out.problem(node, edge.failure.reason, edge.failure.message,
                                    edge.spec.package, edge.raw)
                    continue
                target = edge.to()
                if target is None or node.is_root or id(target) in inert \
                        or id(target) not in tree:
                    continue
                kind = "optional" if edge.kind == "optional" else \
                    "peer" if edge.peer else "prod"
                out.edge(node, target, edge.raw, kind)
        if self.truncated:
            out.problem(self.root, "too-large",
                        f"stopped after {MAX_NODES} packages: the graph is not a real install",
                        "", "")

    def _optional_set(self, node: _Node) -> set[_Node]:
        """arborist ``optionalSet``: the node, what requires it, and what only they need."""
        members: dict[int, _Node] = {id(node): node}
        frontier = [node]
        while frontier:
            current = frontier.pop()
            for edge in self.edges_in(current):
                if not edge.optional and id(edge.source) not in members \
                        and not edge.source.is_root:
                    members[id(edge.source)] = edge.source
                    frontier.append(edge.source)
        member_ids = set(members)
        return self._gather_dep_set(members.values(),
                                    lambda e: id(e.to()) not in member_ids)


# -- graph assembly -------------------------------------------------------------------------


class _GraphBuilder:
    def __init__(self, resolver: NpmResolver) -> None:
        self.resolver = resolver
        self.nodes: dict[str, ResolvedPackage] = {}
        self.roots: list[str] = []
        self.edges: dict[tuple[str, str, str, str], Edge] = {}
        self.problems: dict[tuple[str, str, str, tuple[str, ...]], ResolutionProblem] = {}

    @staticmethod
    def purl(node: _Node) -> str:
        assert node.pkg is not None
        return npm_purl(node.pkg.name, node.pkg.version)

    def add_node(self, node: _Node, root: _RootRequest | None) -> None:
        pkg = node.pkg
        assert pkg is not None
        purl = self.purl(node)
        if purl in self.nodes and (root is None or purl in self.roots):
            return  # a root's own decision wins over how a dependency reached it
        if root is not None:
            self.roots.append(purl)
        packument = self.resolver._packuments.get(pkg.name)
        self.nodes[purl] = ResolvedPackage(
            ecosystem="npm",
            name=pkg.name,
            version=pkg.version,
            purl=purl,
            decided_by=root.decision if root is not None else Decision.RANGE,
            requested=root.raw if root is not None else node.requested,
            digests=pkg.digests,
            facts=_facts(pkg, packument if isinstance(packument, Packument) else None),
        )

    def edge(self, parent: _Node, child: _Node, spec: str, kind: str) -> None:
        key = (self.purl(parent), self.purl(child), spec, kind)
        self.edges.setdefault(key, Edge(parent=key[0], child=key[1], spec=spec, kind=kind))

    def bundled(self, parent: _Node, edge: _Edge) -> None:
        child = npm_purl(edge.spec.package, None)
        key = (self.purl(parent), child, edge.raw, "bundled")
        self.edges.setdefault(key, Edge(parent=key[0], child=child, spec=edge.raw,
                                        kind="bundled"))

    def problem(self, node: _Node, reason: str, message: str, name: str, spec: str) -> None:
        path = _path_to(node)
        key = (name, spec, reason, path)
        self.problems.setdefault(key, ResolutionProblem(
            ecosystem="npm", name=name, spec=spec, reason=reason, message=message, path=path,
        ))

    def graph(self) -> Graph:
        nodes = sorted(self.nodes.values(), key=lambda p: (p.name, semver.valid(p.version)
                                                            or p.version))
        return Graph(
            roots=tuple(self.roots),
            nodes=tuple(nodes),
            edges=tuple(sorted(self.edges.values(),
                               key=lambda e: (e.parent, e.child, e.kind, e.spec))),
            problems=tuple(self.problems.values()),
        )


def _path_to(node: _Node) -> tuple[str, ...]:
    """purls from the root package down to ``node``, following who requested each node."""
    chain: list[str] = []
    seen: set[int] = set()
    current: _Node | None = node
    while current is not None and not current.is_root and id(current) not in seen:
        seen.add(id(current))
        assert current.pkg is not None
        chain.append(npm_purl(current.pkg.name, current.pkg.version))
        current = current.requester
    return tuple(reversed(chain))


def _facts(pkg: NpmVersion, packument: Packument | None) -> PackageFacts:
    maintainers = pkg.maintainers
    previous: tuple[str, ...] | None = None
    if packument is not None:
        if maintainers is None:
            maintainers = packument.maintainers
        previous = _previous_maintainers(packument, pkg.version)
    return PackageFacts(
        published=packument.times.get(pkg.version) if packument is not None else None,
        package_created=packument.created if packument is not None else None,
        maintainers=maintainers,
        previous_maintainers=previous,
        repository=pkg.repository,
        homepage=pkg.homepage,
        license=pkg.license,
        deprecated=pkg.deprecated,
        install_scripts=pkg.install_scripts,
        has_install_script=pkg.has_install_script,
        mcp_name=pkg.mcp_name,
        artifact_url=pkg.tarball,
        artifact_size=pkg.unpacked_size,
    )


def _previous_maintainers(packument: Packument, version: str) -> tuple[str, ...] | None:
    """Maintainers recorded on the release published just before ``version``."""
    times = packument.times
    mine = times.get(version)
    if mine is None:
        return None
    earlier = [(t, v) for v, t in times.items() if t < mine and v in packument.versions]
    if not earlier:
        return None
    return packument.versions[max(earlier)[1]].maintainers
