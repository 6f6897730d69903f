"""Where a node and its peer set go in the tree (arborist's PlaceDep / CanPlaceDep): KEEP an
existing satisfying copy, REPLACE an older one whose dependents the new one satisfies, or
nest; and the deeper duplicates a placement makes redundant."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from mcpscan.ecosystems.npm import semver
from mcpscan.resolve.npm.tree import TreeEdge, TreeNode, deepest_target, locale_key, not_into

# What placing a node at a target can do (arborist CanPlaceDep).
KEEP, OK, REPLACE, CONFLICT = "keep", "ok", "replace", "conflict"


class Placement:
    """Placement over the tree a :class:`~mcpscan.resolve.npm.build.Build` grows; the build
    registers every node and edge it creates, so that the edges into a node are found by
    name."""

    root: TreeNode
    _edges_by_name: dict[str, list[TreeEdge]]
    _nodes_by_name: dict[str, list[TreeNode]]

    def _register(self, node: TreeNode) -> None:
        for edge in node.edges.values():
            self._edges_by_name.setdefault(edge.name, []).append(edge)
        if not node.is_root:
            self._nodes_by_name.setdefault(node.name, []).append(node)

    def attached(self, node: TreeNode) -> bool:
        top = node
        while top.parent is not None:
            top = top.parent
        return top is self.root

    def edges_in(self, node: TreeNode) -> list[TreeEdge]:
        return [
            e
            for e in self._edges_by_name.get(node.name, ())
            if e.source.resolve(e.name) is node and self.attached(e.source)
        ]

    # -- placement (arborist PlaceDep / CanPlaceDep) ---------------------------------------

    def _place_dep(
        self,
        dep: TreeNode,
        edge: TreeEdge,
        parent: tuple[TreeNode, TreeNode, TreeEdge] | None = None,
    ) -> list[TreeNode]:
        """Place ``dep`` for ``edge``, then its peers; returns the nodes placed.

        ``parent`` is (start, deepest target, entry edge) of the dependent whose peer this
        is: a peer set is placed from where its entry package was."""
        if edge.to() is not None and edge.valid():
            return []
        if parent is None:
            start = deepest_target(edge.source, edge.name)
            deepest, entry = start, edge
        else:
            start = deepest_target(parent[0], edge.name)
            deepest, entry = parent[1], parent[2]
        chosen: tuple[TreeNode, str] | None = None
        chosen_self: tuple[TreeNode, str] | None = None
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
            if (
                other is not dep
                and other.parent is not None
                and self.attached(other)
                and other.is_descendant_of(target)
                and other is not target
            ):
                self._prune_dedupable(other, descend=False)
                if self.attached(other):
                    for kid in sorted(
                        other.children.values(), key=lambda k: locale_key(k.location)
                    ):
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
        dep: TreeNode,
        edge: TreeEdge,
        target: TreeNode,
        deepest: TreeNode,
        prefer_dedupe: bool,
        peer_path: tuple[TreeNode, ...],
        entry_edge: TreeEdge,
    ) -> tuple[str, str]:
        """(canPlace, canPlaceSelf): KEEP, OK, REPLACE or CONFLICT for ``dep`` at ``target``."""
        current = target.children.get(edge.name)
        target_edge = target.edges.get(edge.name)
        if target_edge is not None and target_edge.peer and not target.is_root:
            return CONFLICT, CONFLICT
        if (
            current is None
            and target_edge is not None
            and target_edge is not edge
            and not target_edge.satisfied_by(dep)
        ):
            return CONFLICT, CONFLICT

        def peers(state: str) -> tuple[str, str]:
            return self._can_place_peers(dep, target, deepest, state, peer_path, entry_edge), state

        if current is None:
            visible = target.resolve(edge.name) if target is not entry_edge.source else None
            if visible is not None:
                for edge_in in self.edges_in(visible):
                    if (
                        edge_in.source.is_descendant_of(target)
                        and edge_in.valid()
                        and not edge_in.satisfied_by(dep)
                    ):
                        return CONFLICT, CONFLICT
            return peers(OK)
        assert current.pkg is not None
        assert dep.pkg is not None
        if dep.matches(current) and (edge.satisfied_by(current) or not edge.satisfied_by(dep)):
            return KEEP, KEEP
        try_replace = (
            semver.compare(semver.parse(dep.pkg.version), semver.parse(current.pkg.version)) >= 0
        )
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

    def _can_replace_peer_group(
        self,
        current: TreeNode,
        dep: TreeNode,
        edge: TreeEdge,
        entry_edge: TreeEdge,
        target: TreeNode,
    ) -> bool:
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
                nest_at = deepest_target(entry.source, member.name)
                if nest_at is target or target.is_descendant_of(nest_at):
                    return False
        return True

    def _peers_accept(self, start: TreeNode, vset: Mapping[str, TreeNode]) -> bool:
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

    def _peer_entry_sets(self, node: TreeNode) -> list[tuple[TreeEdge, list[TreeNode]]]:
        """arborist ``peerEntrySets``: the edges entering ``node``'s peer group from
        outside it, each with the part of the group it brings in."""
        union: dict[int, TreeNode] = {id(node): node}
        work = [node]
        while work:
            current = work.pop()
            linked = [e.to() for e in current.edges.values() if e.peer and e.valid()]
            linked += [e.source for e in self.edges_in(current) if e.peer and e.valid()]
            for other in linked:
                if other is not None and id(other) not in union:
                    union[id(other)] = other
                    work.append(other)
        entries: list[tuple[TreeEdge, list[TreeNode]]] = []
        for peer in union.values():
            for edge in self.edges_in(peer):
                if not edge.valid() or (edge.peer and not edge.source.is_root):
                    continue
                sub: dict[int, TreeNode] = {id(peer): peer}
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

    def _can_place_peers(
        self,
        dep: TreeNode,
        target: TreeNode,
        deepest: TreeNode,
        state: str,
        peer_path: tuple[TreeNode, ...],
        entry_edge: TreeEdge,
    ) -> str:
        path = (*peer_path, dep)
        conflict = False
        for peer_edge in dep.edges.values():
            if not peer_edge.peer:
                continue
            peer = dep.peer_set.get(peer_edge.name)
            if peer is None or peer is dep or peer in path or peer.parent is not None:
                continue
            peer_target = deepest_target(target, peer.name)
            can, _ = self._can_place(peer, peer_edge, peer_target, deepest, True, path, entry_edge)
            conflict = conflict or can == CONFLICT
        return CONFLICT if conflict else state

    def _can_replace(self, current: TreeNode, replacement: TreeNode) -> bool:
        """arborist ``canReplaceWith``: every dependent of ``current`` (outside its own
        dependency set) is satisfied by ``replacement``."""
        if (
            current.pkg is None
            or replacement.pkg is None
            or current.pkg.name != replacement.pkg.name
        ):
            return False
        own = self._gather_dep_set([current], not_into(current, valid_only=True))
        return all(e.source in own or e.satisfied_by(replacement) for e in self.edges_in(current))

    def _gather_dep_set(
        self, start: Iterable[TreeNode], keep: Callable[[TreeEdge], bool]
    ) -> set[TreeNode]:
        """arborist ``gatherDepSet``: ``start`` plus the dependencies only they need."""
        initial = list(start)
        deps: dict[int, TreeNode] = {id(n): n for n in initial}
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

    def _detach(self, node: TreeNode) -> None:
        if node.parent is not None and node.parent.children.get(node.name) is node:
            del node.parent.children[node.name]
        node.parent = None

    def _replace(self, old: TreeNode, new: TreeNode) -> None:
        old_deps: set[TreeNode] = set()
        for name, edge in old.edges.items():
            target = edge.to()
            if name not in new.edges and target is not None:
                old_deps |= self._gather_dep_set([target], not_into(target, valid_only=False))
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
            invalid |= self._gather_dep_set([dep], not_into(dep, valid_only=True))
        doomed = self._gather_dep_set(
            [n for n in invalid if n is not None],
            lambda e: e.source is not new and e.to() is not new and e.valid(),
        )
        for node in doomed:
            self._detach(node)

    def _prune_dedupable(self, node: TreeNode, *, descend: bool) -> None:
        if self._can_dedupe(node):
            for dep in self._gather_dep_set([node], not_into(node, valid_only=True)):
                self._detach(dep)
            return
        if descend:
            for child in sorted(node.children.values(), key=lambda c: locale_key(c.location)):
                self._prune_dedupable(child, descend=True)

    def _can_dedupe(self, node: TreeNode) -> bool:
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
        return semver.compare(semver.parse(other.pkg.version), semver.parse(node.pkg.version)) >= 0
