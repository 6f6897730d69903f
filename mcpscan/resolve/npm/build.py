"""One simulated ``npm install`` of a set of roots into an empty project: the queue loop,
version picks and peer sets, and the platform-filtered result."""

from __future__ import annotations

from collections.abc import Sequence

from mcpscan.ecosystems.npm.spec import Spec, parse_spec
from mcpscan.registry.npm import NpmVersion
from mcpscan.resolve.npm.graph import GraphBuilder
from mcpscan.resolve.npm.packuments import Packuments
from mcpscan.resolve.npm.pick import PickFailure, dep_valid, pick_version
from mcpscan.resolve.npm.placement import Placement
from mcpscan.resolve.npm.roots import RootRequest
from mcpscan.resolve.npm.target import Target
from mcpscan.resolve.npm.tree import DepsQueue, TreeEdge, TreeNode, locale_key

MAX_NODES = 20000  # a graph larger than this is not a real install; stop instead of looping


class Build(Placement):
    """One simulated ``npm install`` of a set of roots into an empty project."""

    def __init__(
        self, packuments: Packuments, target: Target, requests: Sequence[RootRequest]
    ) -> None:
        self.packuments = packuments
        self.target = target
        self.requests = {r.name: r for r in requests}
        self.root = TreeNode("", None)
        self.root.add_edges([("prod", {r.name: r.raw for r in requests})])
        self._edges_by_name: dict[str, list[TreeEdge]] = {}
        self._nodes_by_name: dict[str, list[TreeNode]] = {}
        self._register(self.root)
        self.queue = DepsQueue()
        self.seen: set[int] = set()
        self._picks: dict[tuple[str, Spec], NpmVersion | PickFailure] = {}
        self.created = 0
        self.truncated = False

    def _new_node(
        self, name: str, pkg: NpmVersion, requester: TreeNode, requested: str
    ) -> TreeNode:
        node = TreeNode(name, pkg, requester, requested)
        node.add_edges(
            [
                (
                    "peer",
                    {k: v for k, v in pkg.peer_dependencies.items() if k not in pkg.peer_optional},
                ),
                (
                    "peerOptional",
                    {k: v for k, v in pkg.peer_dependencies.items() if k in pkg.peer_optional},
                ),
                ("prod", pkg.dependencies),
                ("optional", pkg.optional_dependencies),
            ]
        )
        self._register(node)
        self.created += 1
        return node

    def _pick(self, spec: Spec) -> NpmVersion:
        key = (spec.package, spec)
        cached = self._picks.get(key)
        if cached is None:
            try:
                packument = self.packuments.packument(spec.package)
                cached = pick_version(
                    packument,
                    spec,
                    self.target.node_version,
                    self.packuments.ordered(packument),
                    npm_version=self.target.npm_version,
                )
            except PickFailure as failure:
                cached = failure
            self._picks[key] = cached
        if isinstance(cached, PickFailure):
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

    def _problem_edges(self, node: TreeNode) -> list[TreeEdge]:
        bundled = set(node.pkg.bundle_dependencies) if node.pkg is not None else set()
        problems: list[TreeEdge] = []
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

    def _prefetch_for(self, edges: Sequence[TreeEdge]) -> None:
        have = self.packuments
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
            specs.extend(
                (e.spec, not e.peer)
                for e in queued.edges.values()
                if e.failure is None and e.name not in bundled
            )
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
            except PickFailure:
                continue
            for deps, follow in (
                (pkg.peer_dependencies, False),
                (pkg.dependencies, True),
                (pkg.optional_dependencies, True),
            ):
                for name, raw in deps.items():
                    dep_spec = parse_spec(name, raw)
                    if dep_spec.registry and name not in pkg.bundle_dependencies:
                        specs.append((dep_spec, follow))
        self.packuments.prefetch(names)

    def _step(self, node: TreeNode) -> None:
        problems = self._problem_edges(node)
        if not problems:
            return
        self._prefetch_for(problems)
        tasks: list[tuple[TreeEdge, TreeNode]] = []
        for edge in problems:
            try:
                dep = self._node_from_edge(edge, node)
            except PickFailure as failure:
                edge.failure = failure
                continue
            tasks.append((edge, dep))
        self.packuments.prefetch(
            e.spec.package
            for _, dep in tasks
            for e in dep.edges.values()
            if e.peer and e.failure is None
        )
        for _, dep in tasks:
            self._load_peer_set(dep, dep.peer_set, node)
        tasks.sort(key=lambda t: locale_key(t[0].name))
        for edge, dep in tasks:
            for placed in self._place_dep(dep, edge):
                for edge_in in self.edges_in(placed):
                    if edge_in is not edge and not edge_in.peer_conflicted and not edge_in.valid():
                        self.seen.discard(id(edge_in.source))
                        self.queue.push(edge_in.source)
                self.queue.push(placed)

    def _node_from_edge(self, edge: TreeEdge, requester: TreeNode) -> TreeNode:
        pkg = self._pick(edge.spec)
        dep = self._new_node(edge.name, pkg, requester, edge.raw)
        dep.peer_set[edge.name] = dep
        return dep

    def _load_peer_set(self, node: TreeNode, vset: dict[str, TreeNode], source: TreeNode) -> None:
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
                        for m in vset.values()
                        if m is not current
                        for e in (m.edges.get(edge.name),)
                        if e is not None and e.peer
                    ):
                        continue
                else:
                    pkg = self._pick_for_peer(edge, source.edges.get(edge.name))
            except PickFailure:
                continue  # processing the dependent later records the failure on its edge
            peer = self._new_node(edge.name, pkg, node, edge.raw)
            peer.peer_set = vset
            vset[edge.name] = peer
            self._load_peer_set(peer, vset, source)

    def _pick_for_peer(self, edge: TreeEdge, parent_edge: TreeEdge | None) -> NpmVersion:
        if parent_edge is None or parent_edge.failure is not None:
            return self._pick(edge.spec)
        pkg = self._pick(parent_edge.spec)
        if not dep_valid(pkg.version, edge.spec):
            try:
                second = self._pick(edge.spec)
            except PickFailure:
                return pkg
            if dep_valid(second.version, parent_edge.spec):
                return second
        return pkg

    # -- the result ----------------------------------------------------------------------

    def emit(self, out: GraphBuilder) -> None:
        """Write the finished tree into ``out``: every node in it (npm does not prune a
        fresh install's tree), minus optional nodes this platform cannot install and what
        only they need."""
        tree: dict[int, TreeNode] = {}
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
            failed = any(
                e.failure is not None and not e.optional and e.name not in bundled
                for e in node.edges.values()
            )
            if not self.target.accepts(node.pkg) or failed:
                inert |= {id(n) for n in self._optional_set(node)}
        root_nodes = {
            id(e.to()): self.requests[e.name]
            for e in self.root.edges.values()
            if e.failure is None and e.to() is not None
        }
        for key, node in tree.items():
            if key in inert or node.is_root:
                continue
            assert node.pkg is not None
            out.add_node(node, root_nodes.get(key))
            if not optional[key] and not self.target.accepts(node.pkg):
                out.problem(
                    node,
                    "unsupported-platform",
                    f"{node.pkg.name}@{node.pkg.version} does not support "
                    f"{self.target.os}/{self.target.arch}",
                    node.pkg.name,
                    node.requested,
                )
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
                        out.problem(
                            node,
                            edge.failure.reason,
                            edge.failure.message,
                            edge.spec.package,
                            edge.raw,
                        )
                    continue
                target = edge.to()
                if target is None or node.is_root or id(target) in inert or id(target) not in tree:
                    continue
                kind = "optional" if edge.kind == "optional" else "peer" if edge.peer else "prod"
                out.edge(node, target, edge.raw, kind)
        if self.truncated:
            out.problem(
                self.root,
                "too-large",
                f"stopped after {MAX_NODES} packages: the graph is not a real install",
                "",
                "",
            )

    def _optional_set(self, node: TreeNode) -> set[TreeNode]:
        """arborist ``optionalSet``: the node, what requires it, and what only they need."""
        members: dict[int, TreeNode] = {id(node): node}
        frontier = [node]
        while frontier:
            current = frontier.pop()
            for edge in self.edges_in(current):
                if not edge.optional and id(edge.source) not in members and not edge.source.is_root:
                    members[id(edge.source)] = edge.source
                    frontier.append(edge.source)
        member_ids = set(members)
        return self._gather_dep_set(members.values(), lambda e: id(e.to()) not in member_ids)
