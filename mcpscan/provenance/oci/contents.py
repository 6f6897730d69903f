"""The packages inside an image, as its verified SBOM attestation lists them, as graph nodes.

Only a *verified* SBOM counts (an unsigned one is the image author's unchecked claim, and
one signed for another digest is invalid). Its packages become children of the image node,
decided by :attr:`~mcpscan.models.Decision.SBOM`, so the advisory stage checks them like
any resolved package (OSV knows npm and PyPI here; other package types are kept, listed in
the SBOM, and reported as not checked). They are not fetched by anyone, so the provenance
and integrity stages leave them to the image's own signature.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from mcpscan.models import Decision, Edge, Graph, PackageRef, ResolvedPackage

# Package types whose purl maps to an ecosystem mcpscan resolves and checks.
_ECOSYSTEMS = {"npm": "npm", "pypi": "pypi"}
MAX_IMAGE_PACKAGES = 20_000
SBOM_EDGE = "sbom"  # the spec of an edge from an image to a package its SBOM lists


def sbom_node(purl: str) -> ResolvedPackage | None:
    """The node an SBOM purl stands for; None when it is not a versioned purl."""
    from packageurl import PackageURL

    from mcpscan.ecosystems.npm.purl import npm_purl
    from mcpscan.ecosystems.purl import build
    from mcpscan.ecosystems.pypi.purl import pypi_purl

    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    version = str(parsed.version or "")
    if not version:
        return None
    kind = str(parsed.type).lower()
    ecosystem = _ECOSYSTEMS.get(kind, kind)
    namespace = str(parsed.namespace or "")
    if kind == "npm":
        name = f"{namespace}/{parsed.name}" if namespace else str(parsed.name)
        canonical = npm_purl(name, version)
    elif kind == "pypi":
        name = str(parsed.name)
        canonical = pypi_purl(name, version)
    else:
        name = f"{namespace}/{parsed.name}" if namespace else str(parsed.name)
        qualifiers = {str(k): str(v) for k, v in (parsed.qualifiers or {}).items()}
        canonical = build(
            kind, str(parsed.name), namespace=namespace, version=version, qualifiers=qualifiers
        )
    return ResolvedPackage(
        ecosystem=ecosystem,
        name=name,
        version=version,
        purl=canonical,
        decided_by=Decision.SBOM,
        requested="listed by the image's SBOM attestation",
    )


def with_image_contents(graph: Graph, contents: Mapping[str, Sequence[str]]) -> Graph:
    """``graph`` with the SBOM packages of its image nodes (``contents``: image purl ->
    SBOM purls) added as their children; the graph itself when there are none."""
    nodes = list(graph.nodes)
    known = {n.purl for n in nodes}
    edges = list(graph.edges)
    added = 0
    for image in [n for n in graph.nodes if n.purl in contents]:
        for node in _nodes(contents[image.purl]):
            if added >= MAX_IMAGE_PACKAGES:
                break
            if node.purl not in known:
                known.add(node.purl)
                nodes.append(node)
                added += 1
            edges.append(Edge(parent=image.purl, child=node.purl, spec=SBOM_EDGE))
    if not added and len(edges) == len(graph.edges):
        return graph
    return Graph(roots=graph.roots, nodes=tuple(nodes), edges=tuple(edges), problems=graph.problems)


def _nodes(purls: Iterable[str]) -> Iterable[ResolvedPackage]:
    for purl in purls:
        node = sbom_node(purl)
        if node is not None:
            yield node


def contents_gap(graph: Graph | None, image: PackageRef) -> str | None:
    """Why the packages inside the launched image ``image`` were not all checked against
    advisories; None when its verified SBOM attestation listed them and every one is of an
    ecosystem the advisory stage checks. (EX04 and the coverage ledger both ask this.)"""
    from mcpscan.advisories.service import SUPPORTED

    node = image_node(graph, image)
    if graph is None or node is None:
        return "the image was not resolved, so nothing inside it is known"
    inside = [
        graph.by_purl[e.child]
        for e in graph.edges_from.get(node.purl, ())
        if e.spec == SBOM_EDGE and e.child in graph.by_purl
    ]
    if not inside:
        return (
            f"mcpscan resolved it to {node.version} and verified those bytes, but no verified "
            "SBOM attestation lists what is inside it, so the packages inside it are not "
            "checked against advisories"
        )
    unchecked = sorted({n.ecosystem for n in inside if n.ecosystem not in SUPPORTED})
    if not unchecked:
        return None
    count = sum(1 for n in inside if n.ecosystem not in SUPPORTED)
    return (
        f"its verified SBOM lists {len(inside)} packages; {count} of them "
        f"({', '.join(unchecked)}) are of ecosystems mcpscan has no advisories for"
    )


def image_node(graph: Graph | None, ref: PackageRef) -> ResolvedPackage | None:
    """The graph root the launched image ``ref`` resolved to."""
    if graph is None:
        return None
    return next(
        (n for n in graph.root_nodes if n.ecosystem == ref.ecosystem and n.name == ref.name),
        None,
    )
