"""The resolved npm tree as a :class:`~mcpscan.models.Graph`: nodes with their registry
facts, edges, and the problems found on the way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcpscan.ecosystems.npm import semver
from mcpscan.ecosystems.npm.purl import npm_purl
from mcpscan.models import Decision, Edge, Graph, PackageFacts, ResolutionProblem, ResolvedPackage
from mcpscan.registry.npm import NpmVersion, Packument
from mcpscan.resolve.npm.roots import RootRequest
from mcpscan.resolve.npm.tree import TreeEdge, TreeNode

# -- graph assembly -------------------------------------------------------------------------

if TYPE_CHECKING:  # pragma: no cover
    from mcpscan.resolve.npm.packuments import Packuments


class GraphBuilder:
    def __init__(self, packuments: Packuments) -> None:
        self.packuments = packuments
        self.nodes: dict[str, ResolvedPackage] = {}
        self.roots: list[str] = []
        self.edges: dict[tuple[str, str, str, str], Edge] = {}
        self.problems: dict[tuple[str, str, str, tuple[str, ...]], ResolutionProblem] = {}

    @staticmethod
    def purl(node: TreeNode) -> str:
        assert node.pkg is not None
        return npm_purl(node.pkg.name, node.pkg.version)

    def add_node(self, node: TreeNode, root: RootRequest | None) -> None:
        pkg = node.pkg
        assert pkg is not None
        purl = self.purl(node)
        if purl in self.nodes and (root is None or purl in self.roots):
            return  # a root's own decision wins over how a dependency reached it
        if root is not None:
            self.roots.append(purl)
        packument = self.packuments.fetched(pkg.name)
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

    def edge(self, parent: TreeNode, child: TreeNode, spec: str, kind: str) -> None:
        key = (self.purl(parent), self.purl(child), spec, kind)
        self.edges.setdefault(key, Edge(parent=key[0], child=key[1], spec=spec, kind=kind))

    def bundled(self, parent: TreeNode, edge: TreeEdge) -> None:
        child = npm_purl(edge.spec.package, None)
        key = (self.purl(parent), child, edge.raw, "bundled")
        self.edges.setdefault(key, Edge(parent=key[0], child=child, spec=edge.raw, kind="bundled"))

    def problem(self, node: TreeNode, reason: str, message: str, name: str, spec: str) -> None:
        path = _path_to(node)
        key = (name, spec, reason, path)
        self.problems.setdefault(
            key,
            ResolutionProblem(
                ecosystem="npm",
                name=name,
                spec=spec,
                reason=reason,
                message=message,
                path=path,
            ),
        )

    def graph(self) -> Graph:
        nodes = sorted(
            self.nodes.values(), key=lambda p: (p.name, semver.valid(p.version) or p.version)
        )
        return Graph(
            roots=tuple(self.roots),
            nodes=tuple(nodes),
            edges=tuple(
                sorted(self.edges.values(), key=lambda e: (e.parent, e.child, e.kind, e.spec))
            ),
            problems=tuple(self.problems.values()),
        )


def _path_to(node: TreeNode) -> tuple[str, ...]:
    """purls from the root package down to ``node``, following who requested each node."""
    chain: list[str] = []
    seen: set[int] = set()
    current: TreeNode | None = node
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
