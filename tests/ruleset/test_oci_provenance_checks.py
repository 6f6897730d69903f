"""SC02 / SC03 / SC04 for container images, over what the image verifier really returns for
recorded and test-key-signed material (tests/provenance/test_oci_signatures.py has the
verification paths themselves)."""

from __future__ import annotations

from mcpscan.models import Decision, Graph, Launch, PackageFacts, ResolvedPackage
from mcpscan.provenance.oci.cosign import NamedKey
from mcpscan.provenance.oci.verifier import ImageSubject, OciProvenance
from mcpscan.provenance.trust import TrustStore
from mcpscan.ruleset import ConnectorFacts, Policy
from tests.support.cosign_images import (
    Blobs,
    attach_attestations,
    attach_signature,
    dsse_envelope,
    key_signature,
    new_key,
    recorded_keyless_signature,
    statement,
)

from .builders import connector, hits

ACME = "https://github.com/acme/server"
OTHER = "sha256:" + "ab" * 32


def image(digest: str, label_source: str | None = ACME) -> ResolvedPackage:
    return ResolvedPackage(
        "oci",
        "ghcr.io/acme/server",
        digest,
        f"pkg:oci/server@{digest.replace(':', '%3A')}?repository_url=ghcr.io/acme/server",
        Decision.PINNED,
        facts=PackageFacts(repository=label_source),
    )


def facts_for(
    store: Blobs,
    node: ResolvedPackage,
    *,
    keys: tuple[NamedKey, ...] = (),
    server_repo: str | None = ACME,
) -> ConnectorFacts:
    verifier = OciProvenance(
        lambda n: ImageSubject(store, (node.version,)),
        trust=TrustStore(None, tuf_url=None),
        keys=keys,
    )
    return ConnectorFacts(
        connector(repository=server_repo),
        Launch("docker"),
        graph=Graph(roots=(node.purl,), nodes=(node,)),
        provenance=verifier.check(node),
    )


def test_sc02_fires_for_an_unsigned_image_and_says_where_it_looked() -> None:
    node = image(OTHER)
    [hit] = hits("provenance_missing", facts_for(Blobs(), node))
    assert hit.component == node.purl
    assert "sha256-" + "ab" * 32 + ".sig" in hit.evidence


def test_sc02_quiet_for_a_verified_keyless_signature() -> None:
    digest, payload, annotations = recorded_keyless_signature()
    store = Blobs()
    attach_signature(store, digest, payload, annotations)
    assert hits("provenance_missing", facts_for(store, image(digest))) == []


def test_sc02_fires_when_the_signing_key_was_not_named() -> None:
    key = new_key()
    store = Blobs()
    payload, annotations = key_signature(key, "ghcr.io/acme/server", OTHER)
    attach_signature(store, OTHER, payload, annotations)
    [hit] = hits("provenance_missing", facts_for(store, image(OTHER)))
    assert "--cosign-key" in hit.evidence
    assert hits("provenance_invalid", facts_for(store, image(OTHER))) == []


def test_sc03_fires_for_a_signature_copied_from_another_image() -> None:
    _, payload, annotations = recorded_keyless_signature()
    store = Blobs()
    attach_signature(store, OTHER, payload, annotations)
    [hit] = hits("provenance_invalid", facts_for(store, image(OTHER)))
    assert f"not this image's {OTHER}" in hit.evidence


def test_sc04_fires_when_key_signed_provenance_names_another_repository() -> None:
    key = new_key()
    store = Blobs()
    slsa = {
        "buildDefinition": {
            "externalParameters": {
                "workflow": {"repository": "https://github.com/evil/server", "ref": "refs/tags/v1"}
            }
        }
    }
    attach_attestations(
        store, OTHER, [dsse_envelope(key, statement(OTHER, "https://slsa.dev/provenance/v1", slsa))]
    )
    named = (NamedKey("cosign.pub", key.public_key()),)
    found = hits("source_mismatch", facts_for(store, image(OTHER), keys=named))
    wheres = sorted(h.message.split(", not from ")[1].split(" https")[0] for h in found)
    # Both the image label org.opencontainers.image.source and server.json disagree.
    assert wheres == ["the package's declared repository", "the server.json repository"]
    assert all("https://github.com/evil/server" in h.message for h in found)


def test_sc04_quiet_when_provenance_names_the_declared_repository() -> None:
    key = new_key()
    store = Blobs()
    slsa = {"buildDefinition": {"externalParameters": {"workflow": {"repository": ACME}}}}
    attach_attestations(
        store, OTHER, [dsse_envelope(key, statement(OTHER, "https://slsa.dev/provenance/v1", slsa))]
    )
    named = (NamedKey("cosign.pub", key.public_key()),)
    assert hits("source_mismatch", facts_for(store, image(OTHER), keys=named)) == []


def test_sc04_flags_a_verified_identity_that_is_not_a_trusted_publisher() -> None:
    """The wrong identity: the recorded keyless signature verifies, but its signer is not
    one the policy trusts, which is a finding (cosign's --certificate-identity mismatch)."""
    digest, payload, annotations = recorded_keyless_signature()
    store = Blobs()
    attach_signature(store, digest, payload, annotations)
    node = image(digest)
    policy = Policy(trusted_publishers=("https://github.com/acme/*",))
    [hit] = hits("source_mismatch", facts_for(store, node), policy)
    assert "flavio@castelli.me" in hit.message
    assert "not a trusted publisher" in hit.message
    trusted = Policy(trusted_publishers=("flavio@castelli.me",))
    assert hits("source_mismatch", facts_for(store, node), trusted) == []
