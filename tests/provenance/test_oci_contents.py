"""The packages a verified SBOM attestation lists become the image's children in the graph,
so the advisory stage checks them; unverified SBOMs add nothing. [key] path: the SBOMs are
signed with a test key named to the verifier."""

from __future__ import annotations

from mcpscan.models import Decision, Graph, ResolvedPackage
from mcpscan.provenance.oci.contents import sbom_node, with_image_contents
from mcpscan.provenance.oci.cosign import NamedKey
from mcpscan.provenance.oci.verifier import ImageSubject, OciProvenance
from mcpscan.provenance.service import ProvenanceService
from mcpscan.provenance.trust import TrustStore
from tests.support.cosign_images import (
    Blobs,
    attach_attestations,
    dsse_envelope,
    new_key,
    statement,
)

DIGEST = "sha256:" + "cd" * 32
IMAGE = ResolvedPackage(
    "oci",
    "ghcr.io/acme/server",
    DIGEST,
    f"pkg:oci/server@sha256%3A{'cd' * 32}?repository_url=ghcr.io/acme/server",
    Decision.PINNED,
)
CYCLONEDX = {
    "bomFormat": "CycloneDX",
    "components": [
        {"type": "library", "purl": "pkg:npm/%40modelcontextprotocol/sdk@1.0.0"},
        {
            "type": "library",
            "purl": "pkg:pypi/Requests@2.19.0",
            "components": [
                {"type": "library", "purl": "pkg:deb/debian/openssl@3.0.11-1?arch=amd64"}
            ],
        },
        {"type": "library", "name": "no purl"},
        {"type": "library", "purl": "pkg:npm/unversioned"},
    ],
}


def service(store: Blobs, keys: tuple[NamedKey, ...]) -> ProvenanceService:
    oci = OciProvenance(
        lambda n: ImageSubject(store, (n.version,)), trust=TrustStore(None, tuf_url=None), keys=keys
    )
    return ProvenanceService({"oci": oci})


def signed_sbom(key_signs: bool = True) -> tuple[Blobs, tuple[NamedKey, ...]]:
    key = new_key()
    store = Blobs()
    signer = key if key_signs else new_key()
    envelope = dsse_envelope(signer, statement(DIGEST, "https://cyclonedx.org/bom", CYCLONEDX))
    attach_attestations(store, DIGEST, [envelope])
    return store, (NamedKey("cosign.pub", key.public_key()),)


def test_sbom_purls_become_nodes_of_their_ecosystems() -> None:
    npm = sbom_node("pkg:npm/%40modelcontextprotocol/sdk@1.0.0")
    assert npm is not None
    assert (npm.ecosystem, npm.name, npm.version) == ("npm", "@modelcontextprotocol/sdk", "1.0.0")
    pypi = sbom_node("pkg:pypi/Requests@2.19.0")
    assert pypi is not None
    assert (pypi.ecosystem, pypi.name, pypi.decided_by) == ("pypi", "requests", Decision.SBOM)
    deb = sbom_node("pkg:deb/debian/openssl@3.0.11-1?arch=amd64")
    assert deb is not None
    assert (deb.ecosystem, deb.name) == ("deb", "debian/openssl")
    assert sbom_node("pkg:npm/unversioned") is None
    assert sbom_node("not a purl") is None


def test_a_verified_sbom_adds_the_image_contents_to_the_graph() -> None:
    store, keys = signed_sbom()
    graph = Graph(roots=(IMAGE.purl,), nodes=(IMAGE,))
    [extended] = service(store, keys).image_contents([graph])
    assert extended is not None
    names = {(n.ecosystem, n.name, n.version) for n in extended.nodes if n is not IMAGE}
    assert names == {
        ("npm", "@modelcontextprotocol/sdk", "1.0.0"),
        ("pypi", "requests", "2.19.0"),
        ("deb", "debian/openssl", "3.0.11-1"),
    }
    assert {e.parent for e in extended.edges} == {IMAGE.purl}
    assert extended.roots == (IMAGE.purl,)
    assert extended.paths[sbom_node("pkg:pypi/Requests@2.19.0").purl] == (  # type: ignore[union-attr]
        IMAGE.label,
        "requests@2.19.0",
    )


def test_an_sbom_signed_by_another_key_adds_nothing() -> None:
    store, keys = signed_sbom(key_signs=False)
    graph = Graph(roots=(IMAGE.purl,), nodes=(IMAGE,))
    assert service(store, keys).image_contents([graph]) == [graph]


def test_image_contents_get_no_registry_provenance_check_of_their_own() -> None:
    store, keys = signed_sbom()
    svc = service(store, keys)
    [extended] = svc.image_contents([Graph(roots=(IMAGE.purl,), nodes=(IMAGE,))])
    [found] = svc.check([extended])
    assert found is not None
    assert {r.purl for r in found} == {IMAGE.purl}
    assert ("oci-sbom", "verified") in {(r.kind, r.state.value) for r in found}


def test_graphs_without_images_are_left_alone() -> None:
    other = ResolvedPackage("npm", "x", "1.0.0", "pkg:npm/x@1.0.0", Decision.PINNED)
    graph = Graph(roots=(other.purl,), nodes=(other,))
    store, keys = signed_sbom()
    assert service(store, keys).image_contents([graph, None]) == [graph, None]
    assert with_image_contents(graph, {}) is graph


def test_contents_gap_says_what_inside_an_image_was_not_checked() -> None:
    from mcpscan.models import PackageRef, VersionKind
    from mcpscan.provenance.oci.contents import contents_gap

    ref = PackageRef("oci", "ghcr.io/acme/server", DIGEST, VersionKind.DIGEST, IMAGE.purl)
    bare = Graph(roots=(IMAGE.purl,), nodes=(IMAGE,))
    assert "no verified SBOM attestation" in (contents_gap(bare, ref) or "")
    assert "not resolved" in (contents_gap(None, ref) or "")
    store, keys = signed_sbom()
    [inside] = service(store, keys).image_contents([bare])
    # The CycloneDX SBOM lists an npm, a PyPI and a Debian package: OSV data for the first
    # two is what mcpscan checks; the Debian one is named as not checked.
    assert contents_gap(inside, ref) == (
        "its verified SBOM lists 3 packages; 1 of them (deb) are of ecosystems mcpscan "
        "has no advisories for"
    )
    only_npm = Graph(
        roots=inside.roots,  # type: ignore[union-attr]
        nodes=tuple(n for n in inside.nodes if n.ecosystem != "deb"),  # type: ignore[union-attr]
        edges=tuple(e for e in inside.edges if "deb" not in e.child),  # type: ignore[union-attr]
    )
    assert contents_gap(only_npm, ref) is None
