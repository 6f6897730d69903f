"""Image signatures and attestations over recorded bytes (the verification core).

Each test names the verification path it exercises:

* [sigstore-python] a Sigstore v0.3 bundle attached as an OCI referrer: the real bundle from
  cosign's test data, over go-containerregistry's empty image, against mcpscan's pinned
  public-good trusted root;
* [manual keyless] cosign's legacy ``.sig`` signature (payload, certificate, Rekor bundle
  annotation): the real 2021 signature from sigstore-rs' tests, same pinned root;
* [key] a signature verified with a cosign public key the test names: the real
  key-signed signature from sigstore-rs' tests, and attestations signed with a test key.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from mcpscan.errors import NetworkError
from mcpscan.models import Decision, ProvenanceState, ResolvedPackage
from mcpscan.provenance.interface import ProvenanceUnavailable
from mcpscan.provenance.oci.cosign import NamedKey, load_cosign_key
from mcpscan.provenance.oci.material import (
    ANNOTATION_BUNDLE,
    ANNOTATION_SIGNATURE,
    MAX_SIGNATURE_BYTES,
    tag_for,
)
from mcpscan.provenance.oci.verifier import ImageSubject, OciProvenance
from mcpscan.provenance.trust import TrustStore
from tests.support.cosign_images import (
    FIXTURES,
    Blobs,
    attach_attestations,
    attach_signature,
    bundle_referrer,
    dsse_envelope,
    fixture,
    key_signature,
    new_key,
    public_pem,
    recorded_keyless_signature,
    referrers_index,
    signature_manifest,
    statement,
)

EMPTY_IMAGE = "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4"
OTHER = "sha256:" + "ab" * 32
STAGING_ROOT = Path(
    "/work/shared/vectors/sigstore-bundles/conformance/rekor2-happy-path/trusted_root.json"
)


def node(digest: str) -> ResolvedPackage:
    return ResolvedPackage(
        ecosystem="oci",
        name="registry.test/app",
        version=digest,
        purl=f"pkg:oci/app@{digest.replace(':', '%3A')}?repository_url=registry.test/app",
        decided_by=Decision.PINNED,
    )


def verifier(store: Blobs, digests: tuple[str, ...], **kwargs: object) -> OciProvenance:
    return OciProvenance(
        lambda n: ImageSubject(store, digests),
        trust=TrustStore(None, tuf_url=None),
        **kwargs,  # type: ignore[arg-type]
    )


def results(store: Blobs, digest: str, **kwargs: object) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for r in verifier(store, (digest,), **kwargs).check(node(digest)):
        found.setdefault(r.kind, []).append((r.state.value, r.reason))
    return found


def empty_image(store: Blobs) -> str:
    store.add_blob(fixture("referrer-bundle", "empty-image-config.json"))
    return store.add_manifest(fixture("referrer-bundle", "empty-image-manifest.json"), "latest")


# --- [sigstore-python] a v0.3 bundle attached as a referrer ---------------------------------


def test_recorded_referrer_bundle_verifies_with_the_pinned_root() -> None:
    store = Blobs()
    digest = empty_image(store)
    assert digest == EMPTY_IMAGE  # the reconstructed image is the one the bundle names
    bundle_referrer(store, digest, fixture("referrer-bundle", "oci-attestation.sigstore.json"))
    found = verifier(store, (digest,)).check(node(digest))
    attested = [r for r in found if r.kind == "oci-attestation"]
    assert [r.state for r in attested] == [ProvenanceState.VERIFIED]
    assert attested[0].signer == "cody@soyland.com"
    assert attested[0].issuer == "https://github.com/login/oauth"
    assert attested[0].predicate_type == "https://cosign.sigstore.dev/attestation/v1"
    assert "pinned" in attested[0].reason
    # Nothing else is attached: no signature, provenance or SBOM, each said so.
    states = {r.kind: r.state for r in found if r.kind != "oci-attestation"}
    assert states == {
        "oci-signature": ProvenanceState.ABSENT,
        "oci-provenance": ProvenanceState.ABSENT,
        "oci-sbom": ProvenanceState.ABSENT,
    }


def test_referrer_fallback_tag_is_read_without_the_referrers_api() -> None:
    store = Blobs(referrers_api=False)
    digest = empty_image(store)
    bundle_referrer(store, digest, fixture("referrer-bundle", "oci-attestation.sigstore.json"))
    referrers_index(store, digest)
    assert results(store, digest)["oci-attestation"][0][0] == "verified"


def test_the_same_bundle_on_another_image_is_invalid_not_absent() -> None:
    store = Blobs()
    bundle_referrer(store, OTHER, fixture("referrer-bundle", "oci-attestation.sigstore.json"))
    ((state, reason),) = results(store, OTHER)["oci-attestation"]
    assert state == "invalid"
    assert f"not this image's {OTHER}" in reason


def test_a_tampered_bundle_payload_is_invalid() -> None:
    bundle = json.loads(fixture("referrer-bundle", "oci-attestation.sigstore.json"))
    statement_doc = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement_doc["predicate"]["Data"] = '{"foo": "evil"}\n'
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(
        json.dumps(statement_doc, separators=(",", ":")).encode()
    ).decode()
    store = Blobs()
    digest = empty_image(store)
    bundle_referrer(store, digest, json.dumps(bundle).encode())
    ((state, reason),) = results(store, digest)["oci-attestation"]
    assert state == "invalid"
    assert "sigstore verification failed" in reason


def test_the_bundle_does_not_verify_against_another_trusted_root() -> None:
    """The root comes from the scan (pinned or named), never from the bundle: under the
    staging root the production certificate does not chain."""
    store = Blobs()
    digest = empty_image(store)
    bundle_referrer(store, digest, fixture("referrer-bundle", "oci-attestation.sigstore.json"))
    found = results(store, digest, trusted_root_path=STAGING_ROOT)
    assert found["oci-attestation"][0][0] == "invalid"


def test_a_referrer_whose_manifest_names_another_subject_is_invalid() -> None:
    store = Blobs()
    digest = empty_image(store)
    ref = bundle_referrer(store, OTHER, fixture("referrer-bundle", "oci-attestation.sigstore.json"))
    index = {
        "schemaVersion": 2,
        "manifests": [
            {"digest": ref, "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json"}
        ],
    }
    store.referrers = lambda d: json.dumps(index).encode()  # type: ignore[method-assign,assignment]
    ((state, reason),) = results(store, digest)["oci-attestation"]
    assert state == "invalid"
    assert f"its subject is {OTHER}" in reason


# --- [manual keyless] cosign's legacy .sig signature --------------------------------------


def test_recorded_keyless_signature_verifies_with_the_pinned_root() -> None:
    digest, payload, annotations = recorded_keyless_signature()
    store = Blobs()
    attach_signature(store, digest, payload, annotations)
    found = [r for r in verifier(store, (digest,)).check(node(digest)) if r.kind == "oci-signature"]
    assert [r.state for r in found] == [ProvenanceState.VERIFIED]
    assert found[0].signer == "flavio@castelli.me"
    assert "keyless" in found[0].reason
    assert "SCTs" in found[0].reason


def test_a_tampered_keyless_payload_is_invalid() -> None:
    digest, payload, annotations = recorded_keyless_signature()
    store = Blobs()
    attach_signature(store, digest, payload.replace(b"kubewarden", b"kubewardeN"), annotations)
    ((state, reason),) = results(store, digest)["oci-signature"]
    assert state == "invalid"
    assert "step 1" in reason


def test_a_signature_for_another_digest_is_invalid() -> None:
    digest, payload, annotations = recorded_keyless_signature()
    store = Blobs()
    attach_signature(store, OTHER, payload, annotations)  # copied under another image
    ((state, reason),) = results(store, OTHER)["oci-signature"]
    assert state == "invalid"
    assert f"the signature is for {digest}, not this image's {OTHER}" in reason


def test_a_forged_log_time_is_invalid() -> None:
    digest, payload, annotations = recorded_keyless_signature()
    rekor = json.loads(annotations[ANNOTATION_BUNDLE])
    rekor["Payload"]["integratedTime"] += 60  # still inside the certificate's validity
    store = Blobs()
    attach_signature(store, digest, payload, {**annotations, ANNOTATION_BUNDLE: json.dumps(rekor)})
    ((state, reason),) = results(store, digest)["oci-signature"]
    assert state == "invalid"
    assert "step 4" in reason


def test_a_keyless_signature_without_its_rekor_bundle_is_invalid() -> None:
    digest, payload, annotations = recorded_keyless_signature()
    del annotations[ANNOTATION_BUNDLE]
    store = Blobs()
    attach_signature(store, digest, payload, annotations)
    ((state, reason),) = results(store, digest)["oci-signature"]
    assert state == "invalid"
    assert "without a Rekor bundle" in reason


def test_the_keyless_signature_does_not_verify_against_another_root() -> None:
    digest, payload, annotations = recorded_keyless_signature()
    store = Blobs()
    attach_signature(store, digest, payload, annotations)
    ((state, reason),) = results(store, digest, trusted_root_path=STAGING_ROOT)["oci-signature"]
    assert state == "invalid"
    assert "step 2" in reason


# --- [key] cosign --key ----------------------------------------------------------------------


def recorded_key_signature() -> tuple[str, bytes, dict[str, str]]:
    payload = fixture("legacy-key", "payload.json")
    digest = json.loads(payload)["critical"]["image"]["docker-manifest-digest"]
    return digest, payload, {ANNOTATION_SIGNATURE: fixture("legacy-key", "signature.b64").decode()}


def test_recorded_key_signature_verifies_with_the_named_key() -> None:
    digest, payload, annotations = recorded_key_signature()
    store = Blobs()
    attach_signature(store, digest, payload, annotations)
    key = load_cosign_key(FIXTURES / "legacy-key" / "cosign.pub")
    ((state, reason),) = results(store, digest, keys=[key])["oci-signature"]
    assert state == "verified"
    assert "cosign.pub" in reason
    assert "not logged" in reason


def test_a_key_signature_without_a_named_key_is_unknown_not_absent() -> None:
    digest, payload, annotations = recorded_key_signature()
    store = Blobs()
    attach_signature(store, digest, payload, annotations)
    ((state, reason),) = results(store, digest)["oci-signature"]
    assert state == "unknown"
    assert "--cosign-key" in reason


def test_a_key_signature_that_the_named_key_did_not_make_is_invalid() -> None:
    digest, payload, annotations = recorded_key_signature()
    store = Blobs()
    attach_signature(store, digest, payload, annotations)
    other = NamedKey("other.pub", new_key().public_key())
    ((state, reason),) = results(store, digest, keys=[other])["oci-signature"]
    assert state == "invalid"
    assert "other.pub" in reason


def test_key_signed_provenance_and_sbom_attestations(tmp_path: Path) -> None:
    """[key] cosign attest --key: SLSA provenance and an SPDX SBOM in the .att tag."""
    key = new_key()
    (tmp_path / "cosign.pub").write_bytes(public_pem(key))
    digest = "sha256:" + "cd" * 32
    slsa = {
        "buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1"},
        "runDetails": {"builder": {"id": "https://github.com/actions/runner"}},
    }
    spdx = {
        "spdxVersion": "SPDX-2.3",
        "packages": [
            {
                "name": "lodash",
                "externalRefs": [
                    {"referenceType": "purl", "referenceLocator": "pkg:npm/lodash@4.17.20"}
                ],
            },
            {"name": "none"},
        ],
    }
    store = Blobs()
    payload, annotations = key_signature(key, "registry.test/app", digest)
    attach_signature(store, digest, payload, annotations)
    attach_attestations(
        store,
        digest,
        [
            dsse_envelope(key, statement(digest, "https://slsa.dev/provenance/v1", slsa)),
            dsse_envelope(key, statement(digest, "https://spdx.dev/Document", spdx)),
            dsse_envelope(key, statement(OTHER, "https://spdx.dev/Document", spdx)),
        ],
    )
    checker = verifier(store, (digest,), keys=[load_cosign_key(tmp_path / "cosign.pub")])
    examined = checker.examine(node(digest))
    by_kind = {(r.kind, r.state.value) for r in examined.results}
    assert by_kind == {
        ("oci-signature", "verified"),
        ("oci-provenance", "verified"),
        ("oci-sbom", "verified"),
        ("oci-attestation", "invalid"),  # the statement about another image
    }
    provenance = next(r for r in examined.results if r.kind == "oci-provenance")
    assert "https://github.com/actions/runner" in provenance.reason
    assert examined.sbom == ("pkg:npm/lodash@4.17.20",)


# --- what is found, and what is not ------------------------------------------------------


def test_no_attachment_is_absent_and_says_where_it_looked() -> None:
    found = results(Blobs(), OTHER)
    assert {k: [s for s, _ in v] for k, v in found.items()} == {
        "oci-signature": ["absent"],
        "oci-provenance": ["absent"],
        "oci-sbom": ["absent"],
    }
    reason = found["oci-signature"][0][1]
    assert "referrers API" in reason
    assert tag_for(OTHER, ".sig") in reason


def test_a_blob_that_does_not_match_its_digest_is_invalid() -> None:
    digest, payload, annotations = recorded_keyless_signature()
    store = Blobs()
    attach_signature(store, digest, payload, annotations)
    layer_digest = next(d for d, b in store.blobs.items() if b == payload)
    store.blobs[layer_digest] = payload.replace(b"kubewarden", b"attacker!!")
    ((state, reason),) = results(store, digest)["oci-signature"]
    assert state == "invalid"
    assert "does not match its digest" in reason


def test_an_oversized_layer_is_invalid_and_not_fetched() -> None:
    store = Blobs()
    manifest = json.loads(signature_manifest(store, b"x", {ANNOTATION_SIGNATURE: "AA=="}))
    manifest["layers"][0]["size"] = MAX_SIGNATURE_BYTES + 1
    store.blobs.clear()  # a fetch would raise KeyError
    store.add_manifest(json.dumps(manifest).encode(), tag_for(OTHER, ".sig"))
    ((state, reason),) = results(store, OTHER)["oci-signature"]
    assert state == "invalid"
    assert "limit" in reason


def test_a_multi_arch_image_takes_signatures_of_the_index_and_the_platform() -> None:
    key = new_key()
    index, platform = "sha256:" + "01" * 32, "sha256:" + "02" * 32
    store = Blobs()
    payload, annotations = key_signature(key, "registry.test/app", index)
    attach_signature(store, index, payload, annotations)
    named = NamedKey("test.pub", key.public_key())
    found = verifier(store, (index, platform), keys=[named]).check(node(index))
    assert [(r.kind, r.state.value) for r in found if r.kind == "oci-signature"] == [
        ("oci-signature", "verified")
    ]


def test_an_unreachable_registry_is_unavailable_not_absent() -> None:
    class Down(Blobs):
        def referrers(self, digest: str) -> bytes | None:
            raise NetworkError("registry.test: connection refused")

    with pytest.raises(ProvenanceUnavailable, match="connection refused"):
        verifier(Down(), (OTHER,)).check(node(OTHER))


# --- hostile registries -------------------------------------------------------------------


def test_deeply_nested_json_is_invalid_not_a_crash() -> None:
    bomb = b"[" * 100_000 + b"]" * 100_000
    store = Blobs()
    store.add_manifest(bomb, tag_for(OTHER, ".sig"))
    attach_attestations(store, OTHER, [bomb])
    found = results(store, OTHER)
    assert found["oci-signature"][0][0] == "invalid"
    assert found["oci-attestation"][0][0] == "invalid"


def test_a_log_time_out_of_range_is_invalid() -> None:
    digest, payload, annotations = recorded_keyless_signature()
    rekor = json.loads(annotations[ANNOTATION_BUNDLE])
    rekor["Payload"]["integratedTime"] = 10**30
    store = Blobs()
    attach_signature(store, digest, payload, {**annotations, ANNOTATION_BUNDLE: json.dumps(rekor)})
    ((state, reason),) = results(store, digest)["oci-signature"]
    assert state == "invalid"
    assert "Rekor bundle annotation is malformed" in reason


def test_a_bundle_that_is_not_an_object_is_invalid() -> None:
    store = Blobs()
    bundle_referrer(store, OTHER, b'["not", "a", "bundle"]')
    ((state, reason),) = results(store, OTHER)["oci-attestation"]
    assert state == "invalid"
    assert "not a JSON object" in reason


def test_a_public_key_bundle_without_a_log_entry_verifies_with_the_named_key() -> None:
    """[key] cosign sign --key --new-bundle-format --tlog-upload=false: a v0.3 public-key
    bundle whose DSSE statement (cosign's sign predicate) is checked with the named key."""
    key = new_key()
    digest = "sha256:" + "ce" * 32
    envelope = json.loads(
        dsse_envelope(key, statement(digest, "https://sigstore.dev/cosign/sign/v1", {}))
    )
    bundle = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": "test"}, "tlogEntries": []},
        "dsseEnvelope": envelope,
    }
    store = Blobs()
    bundle_referrer(store, digest, json.dumps(bundle).encode())
    named = NamedKey("cosign.pub", key.public_key())
    ((state, reason),) = results(store, digest, keys=[named])["oci-signature"]
    assert state == "verified"
    assert "not logged" in reason
    other = NamedKey("other.pub", new_key().public_key())
    ((state, _),) = results(store, digest, keys=[other])["oci-attestation"]
    assert state == "invalid"
    ((state, _),) = results(store, digest)["oci-attestation"]
    assert state == "unknown"
