"""Build what cosign attaches to an image, as bytes: signature and attestation manifests,
referrer manifests and indexes, signed with a test key (cosign's ``--key`` path).

The recorded keyless material lives in ``tests/fixtures/oci-signatures/``; this module only
signs with keys the tests generate, and every test that uses it says so.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mcpscan.provenance.oci.material import (
    ANNOTATION_BUNDLE,
    ANNOTATION_CERTIFICATE,
    ANNOTATION_SIGNATURE,
    COSIGN_SIG_ARTIFACT,
    DSSE_ENVELOPE,
    SIMPLE_SIGNING,
    tag_for,
)
from mcpscan.provenance.sigstore_manual import pae

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "oci-signatures"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
EMPTY_CONFIG = b"{}"
EMPTY_CONFIG_TYPE = "application/vnd.oci.empty.v1+json"
BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


@dataclass
class Blobs:
    """Manifests (by tag and digest) and blobs of one repository, as bytes."""

    manifests: dict[str, bytes] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    referrers_api: bool = True

    def add_blob(self, data: bytes) -> dict[str, Any]:
        self.blobs[digest_of(data)] = data
        return {"size": len(data), "digest": digest_of(data)}

    def add_manifest(self, data: bytes, tag: str | None = None) -> str:
        digest = digest_of(data)
        self.manifests[digest] = data
        if tag is not None:
            self.manifests[tag] = data
        return digest

    # -- the ImageStore protocol ------------------------------------------------------

    def manifest(self, reference: str) -> bytes | None:
        return self.manifests.get(reference)

    def blob(self, digest: str, max_bytes: int) -> bytes:
        return self.blobs[digest][: max_bytes + 1]

    def referrers(self, digest: str) -> bytes | None:
        return self.index_of(digest) if self.referrers_api else None

    def index_of(self, digest: str) -> bytes:
        """The referrers index of ``digest``, built from the stored manifests' subjects."""
        found = []
        for key, raw in self.manifests.items():
            if not key.startswith("sha256:"):
                continue
            try:
                doc = json.loads(raw)
            except (ValueError, RecursionError):
                continue  # a hostile manifest names no subject
            if isinstance(doc, dict) and (doc.get("subject") or {}).get("digest") == digest:
                found.append(
                    {
                        "mediaType": OCI_MANIFEST,
                        "digest": key,
                        "size": len(raw),
                        "artifactType": doc.get("artifactType")
                        or doc.get("config", {}).get("mediaType"),
                    }
                )
        return canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": found})


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sign(key: ec.EllipticCurvePrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, ec.ECDSA(hashes.SHA256()))).decode()


def simple_signing_payload(reference: str, digest: str) -> bytes:
    """The payload ``cosign sign`` signs (Go's json.Marshal order, compact)."""
    doc = {
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": None,
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def signature_manifest(
    store: Blobs, payload: bytes, annotations: Mapping[str, str], *, subject: str | None = None
) -> bytes:
    """A ``.sig`` manifest (or, with ``subject``, a cosign OCI 1.1 signature referrer)."""
    layer = {
        "mediaType": SIMPLE_SIGNING,
        **store.add_blob(payload),
        "annotations": dict(annotations),
    }
    doc: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            **store.add_blob(b"{}"),
        },
        "layers": [layer],
    }
    if subject is not None:
        doc["artifactType"] = COSIGN_SIG_ARTIFACT
        doc["subject"] = {"mediaType": OCI_MANIFEST, "digest": subject, "size": 1}
    return canonical(doc)


def attach_signature(
    store: Blobs,
    digest: str,
    payload: bytes,
    annotations: Mapping[str, str],
) -> None:
    store.add_manifest(signature_manifest(store, payload, annotations), tag_for(digest, ".sig"))


def key_signature(
    key: ec.EllipticCurvePrivateKey, reference: str, digest: str
) -> tuple[bytes, dict[str, str]]:
    payload = simple_signing_payload(reference, digest)
    return payload, {ANNOTATION_SIGNATURE: sign(key, payload)}


def statement(digest: str, predicate_type: str, predicate: Any, name: str = "image") -> bytes:
    return canonical(
        {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": name, "digest": {"sha256": digest.split(":", 1)[1]}}],
            "predicateType": predicate_type,
            "predicate": predicate,
        }
    )


def dsse_envelope(key: ec.EllipticCurvePrivateKey, payload: bytes) -> bytes:
    kind = "application/vnd.in-toto+json"
    return canonical(
        {
            "payloadType": kind,
            "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": "", "sig": sign(key, pae(kind, payload))}],
        }
    )


def attach_attestations(store: Blobs, digest: str, envelopes: Sequence[bytes]) -> None:
    """cosign's ``.att`` tag: one DSSE layer per attestation."""
    layers = [
        {
            "mediaType": DSSE_ENVELOPE,
            **store.add_blob(env),
            "annotations": {ANNOTATION_SIGNATURE: ""},
        }
        for env in envelopes
    ]
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            **store.add_blob(b"{}"),
        },
        "layers": layers,
    }
    store.add_manifest(canonical(doc), tag_for(digest, ".att"))


def bundle_referrer(store: Blobs, subject: str, bundle: bytes, subject_size: int = 0) -> str:
    """cosign's new bundle format: an OCI 1.1 artifact whose subject is the image."""
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE_V03,
        "config": {"mediaType": EMPTY_CONFIG_TYPE, **store.add_blob(EMPTY_CONFIG)},
        "layers": [{"mediaType": BUNDLE_V03, **store.add_blob(bundle)}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": subject_size},
        "annotations": {
            "dev.sigstore.bundle.predicateType": "https://cosign.sigstore.dev/attestation/v1"
        },
    }
    return store.add_manifest(canonical(doc))


def referrers_index(store: Blobs, digest: str) -> None:
    """OCI 1.1's fallback for registries without the referrers API: the index at the tag
    ``sha256-<hex>``."""
    store.manifests[tag_for(digest)] = store.index_of(digest)


def fixture(*parts: str) -> bytes:
    return FIXTURES.joinpath(*parts).read_bytes()


def recorded_keyless_signature() -> tuple[str, bytes, dict[str, str]]:
    """The recorded 2021 keyless cosign signature (digest, payload, annotations)."""
    payload = fixture("legacy-keyless", "payload.json")
    annotations = {
        ANNOTATION_SIGNATURE: fixture("legacy-keyless", "signature.b64").decode().strip(),
        ANNOTATION_CERTIFICATE: fixture("legacy-keyless", "certificate.pem").decode(),
        ANNOTATION_BUNDLE: fixture("legacy-keyless", "rekor-bundle.json").decode(),
    }
    digest = json.loads(payload)["critical"]["image"]["docker-manifest-digest"]
    return digest, payload, annotations


def publish(registry: Any, repository: str, store: Blobs) -> None:
    """Push everything ``store`` holds to a real registry (``tests.support.oci_registry``
    LocalRegistry): blobs first, then manifests by digest, then the tags."""
    for blob in store.blobs.values():
        registry.push_blob(repository, blob)
    ordered = sorted(store.manifests.items(), key=lambda kv: not kv[0].startswith("sha256:"))
    for reference, raw in ordered:
        media = json.loads(raw).get("mediaType") or OCI_MANIFEST
        registry.push_manifest(repository, reference, raw, media)


# An SPDX SBOM listing one npm package with a known advisory (mcp-remote 0.1.15,
# GHSA-6xpm-ggf7-wc3p): what the image-contents tests attest.
SPDX = {
    "spdxVersion": "SPDX-2.3",
    "packages": [
        {
            "name": "mcp-remote",
            "externalRefs": [
                {"referenceType": "purl", "referenceLocator": "pkg:npm/mcp-remote@0.1.15"}
            ],
        }
    ],
}
