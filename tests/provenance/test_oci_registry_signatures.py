"""Image signatures and attestations read from a real registry (Debian's docker-registry on
127.0.0.1, the CNCF distribution registry 2.8, which has no referrers API: the client takes
the OCI 1.1 fallback tag ``sha256-<hex>``) through mcpscan's OCI client.

Paths: [sigstore-python] the recorded v0.3 bundle over the pushed empty image;
[manual keyless] the recorded cosign signature (attached to another image: invalid);
[key] a multi-arch index signed and attested with a test key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpscan.models import Decision, ResolvedPackage
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.provenance.oci.cosign import NamedKey
from mcpscan.provenance.oci.store import RegistryStore
from mcpscan.provenance.oci.verifier import ImageSubject, OciProvenance
from mcpscan.provenance.trust import TrustStore
from mcpscan.registry.oci.client import DistributionClient
from tests.support.cosign_images import (
    SPDX,
    Blobs,
    attach_attestations,
    attach_signature,
    bundle_referrer,
    dsse_envelope,
    fixture,
    key_signature,
    new_key,
    publish,
    recorded_keyless_signature,
    referrers_index,
    statement,
)
from tests.support.oci_registry import LocalRegistry, build_image, free_port
from tests.support.registry_server import RegistryServer, Route


@pytest.fixture
def client(tmp_path: Path) -> Iterator[DistributionClient]:
    with HttpClient(HttpConfig(cache_dir=tmp_path / "cache", retries=0)) as http:
        yield DistributionClient(http)


def examine(
    client: DistributionClient, repository: str, digests: tuple[str, ...], *keys: NamedKey
) -> dict[str, list[tuple[str, str]]]:
    verifier = OciProvenance(
        lambda n: ImageSubject(RegistryStore(client, repository), digests),
        trust=TrustStore(None, tuf_url=None),
        keys=keys,
    )
    node = ResolvedPackage(
        "oci", repository, digests[0], f"pkg:oci/x@{digests[0]}", Decision.PINNED
    )
    found: dict[str, list[tuple[str, str]]] = {}
    for r in verifier.check(node):
        found.setdefault(r.kind, []).append((r.state.value, r.reason))
    return found


def test_recorded_bundle_found_through_the_fallback_tag_verifies(
    oci_registry_server: LocalRegistry, client: DistributionClient
) -> None:
    """[sigstore-python] the real cosign test bundle, on the image it was made for."""
    store = Blobs()
    store.add_blob(fixture("referrer-bundle", "empty-image-config.json"))
    digest = store.add_manifest(fixture("referrer-bundle", "empty-image-manifest.json"), "v1")
    bundle_referrer(store, digest, fixture("referrer-bundle", "oci-attestation.sigstore.json"))
    referrers_index(store, digest)
    publish(oci_registry_server, "ocisign/empty", store)
    found = examine(client, f"{oci_registry_server.host}/ocisign/empty", (digest,))
    [(state, reason)] = found["oci-attestation"]
    assert state == "verified", reason
    assert "https://cosign.sigstore.dev/attestation/v1" in reason


def test_a_recorded_signature_pushed_for_another_image_is_invalid(
    oci_registry_server: LocalRegistry, client: DistributionClient
) -> None:
    """[manual keyless] the signature verifies, but signs another digest."""
    image = build_image()
    oci_registry_server.push_image("ocisign/copied", image, "v1")
    signed, payload, annotations = recorded_keyless_signature()
    store = Blobs()
    attach_signature(store, image.digest, payload, annotations)
    publish(oci_registry_server, "ocisign/copied", store)
    found = examine(client, f"{oci_registry_server.host}/ocisign/copied", (image.digest,))
    [(state, reason)] = found["oci-signature"]
    assert state == "invalid"
    assert f"the signature is for {signed}" in reason


def test_a_multi_arch_image_signed_and_attested_with_a_key(
    oci_registry_server: LocalRegistry, client: DistributionClient
) -> None:
    """[key] cosign sign/attest --key on the index; the scan reads the index and amd64."""
    amd, arm = build_image(architecture="amd64"), build_image(architecture="arm64")
    index = oci_registry_server.push_index(
        "ocisign/multi", "v1", [(amd, "linux/amd64"), (arm, "linux/arm64")]
    )
    key = new_key()
    repository = f"{oci_registry_server.host}/ocisign/multi"
    store = Blobs()
    payload, annotations = key_signature(key, repository, index)
    attach_signature(store, index, payload, annotations)
    slsa = {
        "buildDefinition": {
            "externalParameters": {"workflow": {"repository": "https://github.com/acme/server"}}
        }
    }
    attach_attestations(
        store,
        index,
        [
            dsse_envelope(key, statement(index, "https://slsa.dev/provenance/v1", slsa)),
            dsse_envelope(key, statement(index, "https://spdx.dev/Document", SPDX)),
        ],
    )
    publish(oci_registry_server, "ocisign/multi", store)
    named = NamedKey("cosign.pub", key.public_key())
    found = examine(client, repository, (index, amd.digest), named)
    assert {k: [s for s, _ in v] for k, v in found.items()} == {
        "oci-signature": ["verified"],
        "oci-provenance": ["verified"],
        "oci-sbom": ["verified"],
    }
    # Without the key nothing verifies, and nothing is called absent.
    unnamed = examine(client, repository, (index, amd.digest))
    assert [s for s, _ in unnamed["oci-signature"]] == ["unknown"]


def test_a_tampered_signature_blob_in_the_registry_is_invalid(
    oci_registry_server: LocalRegistry, client: DistributionClient
) -> None:
    image = build_image(architecture="riscv64")
    oci_registry_server.push_image("ocisign/tampered", image, "v1")
    key = new_key()
    store = Blobs()
    payload, annotations = key_signature(key, "ocisign/tampered", image.digest)
    attach_signature(store, image.digest, payload, annotations)
    publish(oci_registry_server, "ocisign/tampered", store)
    layer = next(d for d, b in store.blobs.items() if b == payload)
    path = oci_registry_server.blob_path(layer)
    path.write_bytes(json.dumps(json.loads(payload) | {"optional": {"x": 1}}).encode())
    named = NamedKey("cosign.pub", key.public_key())
    found = examine(client, f"{oci_registry_server.host}/ocisign/tampered", (image.digest,), named)
    [(state, reason)] = found["oci-signature"]
    assert state == "invalid"
    assert "digest" in reason


def test_the_referrers_api_itself(registry_server: RegistryServer, tmp_path: Path) -> None:
    """[sigstore-python] a registry with the OCI 1.1 referrers API (replayed on 127.0.0.1:
    the docker-registry under test predates it): the recorded bundle is found through
    ``GET /v2/<name>/referrers/<digest>``, and the fallback tag is not asked for."""
    store = Blobs()
    store.add_blob(fixture("referrer-bundle", "empty-image-config.json"))
    digest = store.add_manifest(fixture("referrer-bundle", "empty-image-manifest.json"))
    bundle_referrer(store, digest, fixture("referrer-bundle", "oci-attestation.sigstore.json"))
    registry_server.add(
        f"/v2/ocisign/api/referrers/{digest}",
        Route(store.index_of(digest), content_type="application/vnd.oci.image.index.v1+json"),
    )
    for key, raw in store.manifests.items():
        media = json.loads(raw).get("mediaType") or "application/vnd.oci.image.manifest.v1+json"
        registry_server.add(f"/v2/ocisign/api/manifests/{key}", Route(raw, content_type=media))
    for key, raw in store.blobs.items():
        registry_server.add(
            f"/v2/ocisign/api/blobs/{key}", Route(raw, content_type="application/octet-stream")
        )
    host = registry_server.url.split("://", 1)[1].rstrip("/")
    with HttpClient(HttpConfig(cache_dir=tmp_path / "cache", retries=0)) as http:
        found = examine(DistributionClient(http), f"{host}/ocisign/api", (digest,))
    [(state, reason)] = found["oci-attestation"]
    assert state == "verified", reason
    asked = [path for path, _ in registry_server.requests]
    assert f"/v2/ocisign/api/referrers/{digest}" in asked
    assert not any(p.endswith(f"/manifests/sha256-{digest.split(':')[1]}") for p in asked)


def test_an_unreachable_registry_leaves_the_image_signature_unknown(tmp_path: Path) -> None:
    """The provenance stage: attachments that cannot be read are an UNKNOWN image signature
    and an incomplete scan, never ABSENT."""
    from mcpscan.models import Graph
    from mcpscan.provenance.service import ProvenanceService

    port = free_port()  # nothing listens there
    repository = f"127.0.0.1:{port}/ocisign/down"
    digest = "sha256:" + "ef" * 32
    node = ResolvedPackage("oci", repository, digest, f"pkg:oci/down@{digest}", Decision.PINNED)
    with HttpClient(HttpConfig(cache_dir=None, retries=0)) as http:
        verifier = OciProvenance(
            lambda n: ImageSubject(RegistryStore(DistributionClient(http), repository), (digest,)),
            trust=TrustStore(None, tuf_url=None),
        )
        report = ProvenanceService({"oci": verifier}).check_report(
            [Graph(roots=(node.purl,), nodes=(node,))]
        )
    [results] = report.results
    assert results is not None
    assert [(r.kind, r.state.value) for r in results] == [("oci-signature", "unknown")]
    assert report.incomplete
