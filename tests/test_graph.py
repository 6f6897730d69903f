"""The queries every consumer asks of a Graph, answered by the Graph itself."""

from __future__ import annotations

import dataclasses

from mcpscan.models import Decision, Edge, Graph, ResolvedPackage


def node(name: str, version: str) -> ResolvedPackage:
    return ResolvedPackage("npm", name, version, f"pkg:npm/{name}@{version}", Decision.RANGE)


A, B, C, D, E = (
    node(n, v)
    for n, v in [("a", "1.0.0"), ("b", "2.0.0"), ("c", "3.0.0"), ("d", "4.0.0"), ("e", "5.0.0")]
)


def edge(parent: ResolvedPackage, child: ResolvedPackage | str) -> Edge:
    target = child if isinstance(child, str) else child.purl
    return Edge(parent.purl, target, "*")


# a -> b -> d, a -> c -> d (a diamond), d -> a (a cycle), e is a second root; a dangling
# edge to a purl that is no node, and a root that is no node.
GRAPH = Graph(
    roots=(E.purl, A.purl, "pkg:npm/missing@1"),
    nodes=(A, B, C, D, E),
    edges=(edge(A, B), edge(A, C), edge(B, D), edge(C, D), edge(D, A), edge(C, "pkg:npm/ghost@0")),
)


def test_roots_and_root_nodes() -> None:
    assert GRAPH.root_set == {E.purl, A.purl, "pkg:npm/missing@1"}
    assert GRAPH.is_root(A.purl)
    assert not GRAPH.is_root(B.purl)
    # node order, and a root without a node is left out
    assert GRAPH.root_nodes == (A, E)


def test_labels() -> None:
    assert A.label == "a@1.0.0"
    assert GRAPH.label(D.purl) == "d@4.0.0"
    assert GRAPH.label("pkg:npm/ghost@0") == "pkg:npm/ghost@0"


def test_nodes_and_edges_by_purl() -> None:
    assert GRAPH.by_purl[C.purl] is C
    assert [e.child for e in GRAPH.edges_from[A.purl]] == [B.purl, C.purl]
    assert D.purl in GRAPH.edges_from
    assert E.purl not in GRAPH.edges_from


def test_paths_are_shortest_from_a_root_and_survive_cycles() -> None:
    assert dict(GRAPH.paths) == {
        E.purl: ("e@5.0.0",),
        A.purl: ("a@1.0.0",),
        B.purl: ("a@1.0.0", "b@2.0.0"),
        C.purl: ("a@1.0.0", "c@3.0.0"),
        D.purl: ("a@1.0.0", "b@2.0.0", "d@4.0.0"),  # first in edge order of the diamond
    }


def test_unreachable_nodes_have_no_path() -> None:
    graph = dataclasses.replace(GRAPH, roots=(E.purl,))
    assert dict(graph.paths) == {E.purl: ("e@5.0.0",)}


def test_answers_are_computed_once_and_do_not_change_equality() -> None:
    graph = Graph(roots=GRAPH.roots, nodes=GRAPH.nodes, edges=GRAPH.edges)
    assert graph.paths is graph.paths
    assert graph.by_purl is graph.by_purl
    assert graph == Graph(roots=GRAPH.roots, nodes=GRAPH.nodes, edges=GRAPH.edges)
    assert hash(graph) == hash(Graph(roots=GRAPH.roots, nodes=GRAPH.nodes, edges=GRAPH.edges))
    assert dataclasses.fields(graph) == dataclasses.fields(Graph)
