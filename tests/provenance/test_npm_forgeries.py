"""Attacks on npm provenance, one test each, against the forging registry (loopback, real
recorded vectors). A forged case never yields VERIFIED; a genuine one always does."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mcpscan.models import (
    Decision,
    Digest,
    PackageFacts,
    PackageRef,
    ProvenanceResult,
    ProvenanceState,
    ResolvedPackage,
    VersionKind,
)
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.provenance.interface import ProvenanceIncomplete
from mcpscan.provenance.npm import (
    KIND_KEYS,
    KIND_PROVENANCE,
    KIND_PUBLISH,
    KIND_SIGNATURE,
    NpmProvenance,
)
from mcpscan.provenance.npm_statement import npm_purl
from mcpscan.provenance.service import build_provenance_service
from mcpscan.provenance.sigstore_manual import (
    BundleVerificationError,
    TrustMaterial,
    verify_dsse_bundle,
)
from mcpscan.registry.npm import NpmRegistry
from mcpscan.resolve.npm import NpmResolver
from tests.support.forging_registry import (
    ATT,
    DISTS,
    NEW_KEY,
    OLD_KEY,
    ROOT,
    ForgingRegistry,
    Version,
    attestations,
    sri_hex,
)
from tests.support.registry_server import RegistryServer, Route

VERIFIED, INVALID, UNKNOWN = (
    ProvenanceState.VERIFIED,
    ProvenanceState.INVALID,
    ProvenanceState.UNKNOWN,
)


@pytest.fixture
def forge(registry_server: RegistryServer) -> ForgingRegistry:
    return ForgingRegistry(registry_server)


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(HttpConfig(cache_dir=None, retries=0, timeout=5)) as http:
        yield http


def node_for(
    entry: Version, *, sha512: str | None = None, dated: bool = True, version: str | None = None
) -> ResolvedPackage:
    integrity = entry.dist.get("integrity")
    digest = sha512 or (sri_hex(integrity) if integrity else None)
    v = version or entry.version
    return ResolvedPackage(
        ecosystem="npm",
        name=entry.name,
        version=v,
        purl=npm_purl(entry.name, v),
        decided_by=Decision.PINNED,
        digests=(Digest("sha512", digest),) if digest else (),
        facts=PackageFacts(published=entry.time if dated else None),
    )


def check(
    forge: ForgingRegistry, client: HttpClient, node: ResolvedPackage
) -> dict[str, ProvenanceResult]:
    results = NpmProvenance(client, forge.url, ROOT).check(node)
    found = {r.kind: r for r in results}
    assert len(found) == len(results)
    return found


def incomplete(
    forge: ForgingRegistry, client: HttpClient, node: ResolvedPackage
) -> tuple[str, dict[str, ProvenanceResult]]:
    with pytest.raises(ProvenanceIncomplete) as caught:
        NpmProvenance(client, forge.url, ROOT).check(node)
    return caught.value.message, {r.kind: r for r in caught.value.results}


def never_verified(results: dict[str, ProvenanceResult], *kinds: str) -> None:
    for kind in kinds:
        assert results[kind].state is not VERIFIED, results[kind].reason


def edit(spec: str, change: Any) -> dict[str, Any]:
    """The recorded attestations of ``spec`` with ``change(kind, bundle)`` applied."""
    doc = attestations(spec)
    for entry in doc["attestations"]:
        kind = "publish" if "npm/attestation" in entry["predicateType"] else "provenance"
        change(kind, entry["bundle"])
    return doc


def tlog(bundle: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = bundle["verificationMaterial"]["tlogEntries"][0]
    return entry


# -- genuine vectors ---------------------------------------------------------------------


@pytest.mark.parametrize("spec", sorted(DISTS))
def test_every_genuine_signature_verifies(
    forge: ForgingRegistry, client: HttpClient, spec: str
) -> None:
    entry = forge.genuine(spec)
    results = check(forge, client, node_for(entry))
    assert results[KIND_SIGNATURE].state is VERIFIED, results[KIND_SIGNATURE].reason


@pytest.mark.parametrize(
    "spec", ["sigstore@1.0.0", "tuf-js@1.0.0", "gundam-visor@1.0.1", "@playwright/cli@0.1.1"]
)
def test_every_genuine_attestation_verifies(
    forge: ForgingRegistry, client: HttpClient, spec: str
) -> None:
    entry = forge.genuine(spec)
    results = check(forge, client, node_for(entry))
    for kind in (KIND_PUBLISH, KIND_PROVENANCE):
        assert results[kind].state is VERIFIED, results[kind].reason


# -- registry keys -----------------------------------------------------------------------


def test_attacker_key_with_npms_keyid(forge: ForgingRegistry, client: HttpClient) -> None:
    # The registry serves the attacker's key under npm's key id, and signs with it.
    attacker = ec.generate_private_key(ec.SECP256R1())
    entry = forge.genuine("express@5.2.1")
    message = f"express@5.2.1:{entry.dist['integrity']}".encode()
    entry.dist["signatures"] = [
        {
            "keyid": NEW_KEY,
            "sig": base64.b64encode(attacker.sign(message, ec.ECDSA(hashes.SHA256()))).decode(),
        }
    ]
    forge.put(entry)
    spki = attacker.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forge.serve_keys(
        json.dumps(
            {
                "keys": [
                    {
                        "expires": None,
                        "keyid": NEW_KEY,
                        "keytype": "ecdsa-sha2-nistp256",
                        "scheme": "ecdsa-sha2-nistp256",
                        "key": base64.b64encode(spki).decode(),
                    }
                ]
            }
        ).encode()
    )
    results = check(forge, client, node_for(entry))
    assert results[KIND_SIGNATURE].state is INVALID
    assert "does not verify" in results[KIND_SIGNATURE].reason
    # The keys document contradicting the pinned keys is a finding of its own.
    assert results[KIND_KEYS].state is INVALID
    assert f"serves key id {NEW_KEY}" in results[KIND_KEYS].reason


@pytest.mark.parametrize(
    "keys",
    [
        Route(status=404, body=b"{}"),
        Route(body=b"<html>login</html>", content_type="text/html"),
        Route(body=b"\x00garbage"),
        Route(body=b'{"keys": []}'),
    ],
)
def test_keys_endpoint_missing_or_garbage_with_signatures_present(
    forge: ForgingRegistry, client: HttpClient, keys: Route
) -> None:
    entry = forge.genuine("node-fetch@1.7.1")
    forge.serve_keys(keys)
    assert check(forge, client, node_for(entry))[KIND_SIGNATURE].state is VERIFIED
    tampered = copy.deepcopy(entry)
    tampered.dist["signatures"][0]["sig"] = DISTS["kms-demo@1.0.0"]["signatures"][0]["sig"]
    forge.put(tampered)
    result = check(forge, client, node_for(tampered))[KIND_SIGNATURE]
    assert result.state is INVALID, result.reason


def test_tampered_signature(forge: ForgingRegistry, client: HttpClient) -> None:
    entry = forge.genuine("@anthropic-ai/claude-code@2.1.105")
    other = DISTS["@anthropic-ai/claude-code@2.1.107"]["signatures"][0]["sig"]
    entry.dist["signatures"][0]["sig"] = other  # a real signature, of another version
    forge.put(entry)
    result = check(forge, client, node_for(entry))[KIND_SIGNATURE]
    assert result.state is INVALID
    assert "does not verify over @anthropic-ai/claude-code@2.1.105:" in result.reason


def test_invalid_publish_attestation_with_keys_unavailable(
    forge: ForgingRegistry, client: HttpClient
) -> None:
    entry = forge.genuine("gundam-visor@1.0.1")
    forge.serve_attestations(
        "gundam-visor",
        "1.0.1",
        (ATT / "gundam-visor@1.0.1.attestations.INVALID-publish-sig.json").read_bytes(),
    )
    forge.serve_keys(Route(status=404, body=b"{}"))
    results = check(forge, client, node_for(entry))
    assert results[KIND_PUBLISH].state is INVALID
    assert results[KIND_PUBLISH].reason.endswith("step 1: the DSSE signature does not verify")
    assert results[KIND_PROVENANCE].state is VERIFIED


# -- declared attestations -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "why"),
    [
        (Route(status=404, body=b'{"error":"Not found"}'), "answered 404"),
        (Route(body=b"\x89garbage"), "invalid JSON"),
        (
            Route(body=b"<html><body>Sign in</body></html>", content_type="text/html"),
            "expected JSON",
        ),
        (Route(body=b'{"attestations": {"bundle": {}}}'), "holds no 'attestations' list"),
        (Route(body=b"[]"), "holds no 'attestations' list"),
    ],
)
def test_declared_attestations_unservable_is_invalid(
    forge: ForgingRegistry, client: HttpClient, route: Route, why: str
) -> None:
    entry = forge.genuine("sigstore@1.0.0")
    forge.serve_attestations("sigstore", "1.0.0", route)
    results = check(forge, client, node_for(entry))
    for kind in (KIND_PUBLISH, KIND_PROVENANCE):
        assert results[kind].state is INVALID
        assert why in results[kind].reason
    assert results[KIND_SIGNATURE].state is VERIFIED


@pytest.mark.parametrize("status", [500, 503, 403])
def test_declared_attestations_unreachable_is_incomplete(
    forge: ForgingRegistry, client: HttpClient, status: int
) -> None:
    entry = forge.genuine("tuf-js@1.0.0")
    forge.serve_attestations("tuf-js", "1.0.0", Route(status=status, body=b"upstream"))
    message, results = incomplete(forge, client, node_for(entry))
    assert f"/-/npm/v1/attestations/tuf-js@1.0.0 answered {status}" in message
    for kind in (KIND_PUBLISH, KIND_PROVENANCE):
        assert results[kind].state is UNKNOWN
    assert results[KIND_SIGNATURE].state is VERIFIED


def test_attestations_not_declared_are_not_fetched(
    forge: ForgingRegistry, client: HttpClient
) -> None:
    entry = forge.genuine("gundam-visor@1.0.1", with_attestations=False)
    results = check(
        forge, client, node_for(entry, sha512=sri_hex(DISTS["tuf-js@1.0.0"]["integrity"]))
    )
    assert results[KIND_PROVENANCE].state is ProvenanceState.ABSENT
    assert forge.server.count("/-/npm/v1/attestations/gundam-visor@1.0.1") == 0


# -- bundles of something else ---------------------------------------------------------------


def test_bundle_of_another_package(forge: ForgingRegistry, client: HttpClient) -> None:
    entry = forge.genuine("sigstore@1.0.0")
    forge.serve_attestations("sigstore", "1.0.0", attestations("tuf-js@1.0.0"))
    results = check(forge, client, node_for(entry))
    never_verified(results, KIND_PUBLISH, KIND_PROVENANCE)
    assert "no subject names pkg:npm/sigstore@1.0.0" in results[KIND_PROVENANCE].reason


def test_bundle_of_another_version(forge: ForgingRegistry, client: HttpClient) -> None:
    genuine = forge.genuine("gundam-visor@1.0.1")
    entry = Version("gundam-visor", "1.0.2", copy.deepcopy(genuine.dist), genuine.time)
    entry.dist["attestations"]["url"] = f"{forge.url}/-/npm/v1/attestations/gundam-visor@1.0.2"
    forge.put(entry)
    forge.serve_attestations("gundam-visor", "1.0.2", attestations("gundam-visor@1.0.1"))
    results = check(forge, client, node_for(entry))
    never_verified(results, KIND_PUBLISH, KIND_PROVENANCE)
    assert "no subject names pkg:npm/gundam-visor@1.0.2" in results[KIND_PROVENANCE].reason


def test_pointer_to_another_versions_attestations(
    forge: ForgingRegistry, client: HttpClient
) -> None:
    genuine = forge.genuine("gundam-visor@1.0.1")
    entry = Version("gundam-visor", "1.0.2", copy.deepcopy(genuine.dist), genuine.time)
    forge.put(entry)  # still points at 1.0.1's attestations
    results = check(forge, client, node_for(entry))
    never_verified(results, KIND_PUBLISH, KIND_PROVENANCE)
    assert "points at the attestations of gundam-visor@1.0.1" in results[KIND_PUBLISH].reason


def test_bundle_of_another_tarball(forge: ForgingRegistry, client: HttpClient) -> None:
    entry = forge.genuine("@playwright/cli@0.1.1")
    other = hashlib.sha512((ATT / "gundam-visor-1.0.1.tgz").read_bytes()).hexdigest()
    results = check(forge, client, node_for(entry, sha512=other))
    never_verified(results, KIND_PUBLISH, KIND_PROVENANCE)
    assert "the subject's sha512 is not the tarball's" in results[KIND_PROVENANCE].reason


# -- bundles edited ----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["sigstore@1.0.0", "gundam-visor@1.0.1", "@playwright/cli@0.1.1"])
def test_payload_edited(forge: ForgingRegistry, client: HttpClient, spec: str) -> None:
    def change(kind: str, bundle: dict[str, Any]) -> None:
        envelope = bundle["dsseEnvelope"]
        statement = json.loads(base64.b64decode(envelope["payload"]))
        statement["predicate"]["edited"] = True
        envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()

    entry = forge.genuine(spec)
    forge.serve_attestations(entry.name, entry.version, edit(spec, change))
    results = check(forge, client, node_for(entry))
    for kind in (KIND_PUBLISH, KIND_PROVENANCE):
        assert results[kind].state is INVALID, results[kind].reason


def test_certificate_swapped(forge: ForgingRegistry, client: HttpClient) -> None:
    # Another real Fulcio certificate (tuf-js's build) on sigstore's bundle.
    donor = next(
        e["bundle"]
        for e in attestations("tuf-js@1.0.0")["attestations"]
        if "slsa" in e["predicateType"]
    )

    def change(kind: str, bundle: dict[str, Any]) -> None:
        if kind == "provenance":
            bundle["verificationMaterial"]["x509CertificateChain"] = copy.deepcopy(
                donor["verificationMaterial"]["x509CertificateChain"]
            )

    entry = forge.genuine("sigstore@1.0.0")
    forge.serve_attestations("sigstore", "1.0.0", edit("sigstore@1.0.0", change))
    results = check(forge, client, node_for(entry))
    assert results[KIND_PROVENANCE].state is INVALID
    # Its 10-minute window does not hold the entry's integrated time (and its key did not
    # make the signature): checked in that order, as sigstore-python does.
    assert "step 3" in results[KIND_PROVENANCE].reason
    assert results[KIND_PUBLISH].state is VERIFIED


@pytest.mark.parametrize("kind", ["publish", "provenance"])
def test_tlog_entry_of_another_artifact(
    forge: ForgingRegistry, client: HttpClient, kind: str
) -> None:
    donor = {
        ("publish" if "npm/attestation" in e["predicateType"] else "provenance"): e["bundle"]
        for e in attestations("tuf-js@1.0.0")["attestations"]
    }

    def change(which: str, bundle: dict[str, Any]) -> None:
        if which == kind:  # a genuine, Rekor-signed entry: of tuf-js's envelope
            bundle["verificationMaterial"]["tlogEntries"] = copy.deepcopy(
                donor[which]["verificationMaterial"]["tlogEntries"]
            )

    entry = forge.genuine("sigstore@1.0.0")
    forge.serve_attestations("sigstore", "1.0.0", edit("sigstore@1.0.0", change))
    results = check(forge, client, node_for(entry))
    target = KIND_PUBLISH if kind == "publish" else KIND_PROVENANCE
    assert results[target].state is INVALID
    assert "step 5" in results[target].reason or "step 3" in results[target].reason


@pytest.mark.parametrize("spec", ["sigstore@1.0.0", "gundam-visor@1.0.1", "@playwright/cli@0.1.1"])
def test_no_set(forge: ForgingRegistry, client: HttpClient, spec: str) -> None:
    entry = forge.genuine(spec)
    forge.serve_attestations(
        entry.name,
        entry.version,
        edit(spec, lambda kind, bundle: tlog(bundle).pop("inclusionPromise")),
    )
    results = check(forge, client, node_for(entry))
    never_verified(results, KIND_PUBLISH, KIND_PROVENANCE)
    assert "signed entry timestamp" in results[KIND_PUBLISH].reason


def _one_leaf_proof(bundle: dict[str, Any], *, keep_checkpoint: bool) -> None:
    """A self-consistent fake: a one-leaf tree whose root is the entry's own leaf hash."""
    entry = tlog(bundle)
    body = base64.b64decode(entry["canonicalizedBody"])
    proof: dict[str, Any] = {
        "logIndex": "0",
        "treeSize": "1",
        "hashes": [],
        "rootHash": base64.b64encode(hashlib.sha256(b"\x00" + body).digest()).decode(),
    }
    if keep_checkpoint:
        proof["checkpoint"] = entry["inclusionProof"]["checkpoint"]
    entry["inclusionProof"] = proof


@pytest.mark.parametrize("keep_checkpoint", [False, True])
@pytest.mark.parametrize("spec", ["gundam-visor@1.0.1", "@playwright/cli@0.1.1"])
def test_fabricated_inclusion_proof(
    forge: ForgingRegistry, client: HttpClient, spec: str, keep_checkpoint: bool
) -> None:
    entry = forge.genuine(spec)
    forge.serve_attestations(
        entry.name,
        entry.version,
        edit(spec, lambda kind, bundle: _one_leaf_proof(bundle, keep_checkpoint=keep_checkpoint)),
    )
    results = check(forge, client, node_for(entry))
    never_verified(results, KIND_PUBLISH, KIND_PROVENANCE)


@pytest.mark.parametrize("spec", ["gundam-visor@1.0.1", "@playwright/cli@0.1.1"])
def test_checkpoint_removed(forge: ForgingRegistry, client: HttpClient, spec: str) -> None:
    entry = forge.genuine(spec)
    forge.serve_attestations(
        entry.name,
        entry.version,
        edit(spec, lambda kind, bundle: tlog(bundle)["inclusionProof"].pop("checkpoint")),
    )
    results = check(forge, client, node_for(entry))
    never_verified(results, KIND_PUBLISH, KIND_PROVENANCE)
    assert "checkpoint" in results[KIND_PUBLISH].reason


def test_checkpoint_of_another_tree(forge: ForgingRegistry, client: HttpClient) -> None:
    # A genuine, log-signed checkpoint, but of the tree the other entry was proven in.
    donor = attestations("@playwright/cli@0.1.1")["attestations"]
    checkpoint = tlog(donor[0]["bundle"])["inclusionProof"]["checkpoint"]
    entry = forge.genuine("gundam-visor@1.0.1")
    forge.serve_attestations(
        "gundam-visor",
        "1.0.1",
        edit(
            "gundam-visor@1.0.1",
            lambda kind, bundle: tlog(bundle)["inclusionProof"].update(checkpoint=checkpoint),
        ),
    )
    results = check(forge, client, node_for(entry))
    for kind in (KIND_PUBLISH, KIND_PROVENANCE):
        assert results[kind].state is INVALID
        assert "the checkpoint signs another tree" in results[kind].reason


@pytest.mark.parametrize("spec", ["gundam-visor@1.0.1", "@playwright/cli@0.1.1"])
def test_media_type_downgraded(forge: ForgingRegistry, client: HttpClient, spec: str) -> None:
    def change(kind: str, bundle: dict[str, Any]) -> None:
        bundle["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1"
        _one_leaf_proof(bundle, keep_checkpoint=False)

    entry = forge.genuine(spec)
    forge.serve_attestations(entry.name, entry.version, edit(spec, change))
    results = check(forge, client, node_for(entry))
    never_verified(results, KIND_PUBLISH, KIND_PROVENANCE)


def test_media_type_downgraded_and_proof_stripped_from_a_v03_bundle(
    forge: ForgingRegistry, client: HttpClient
) -> None:
    # (A v0.2 public-key bundle treated so looks exactly like a v0.1 one, and its Rekor SET
    # still vouches for it: that is genuine SET-only evidence, not a forgery.)
    def change(kind: str, bundle: dict[str, Any]) -> None:
        if kind == "provenance":
            bundle["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1"
            tlog(bundle).pop("inclusionProof")

    entry = forge.genuine("@playwright/cli@0.1.1")
    doc = edit("@playwright/cli@0.1.1", change)
    forge.serve_attestations(entry.name, entry.version, doc)
    results = check(forge, client, node_for(entry))
    assert results[KIND_PROVENANCE].state is INVALID
    # Neither path takes it: the provenance bundle holds a v0.3 "certificate", so its
    # content says v0.3 whatever the mediaType claims.
    bundle = next(e["bundle"] for e in doc["attestations"] if "slsa" in e["predicateType"])
    with pytest.raises(BundleVerificationError, match=r"required for bundle v0\.3"):
        verify_dsse_bundle(bundle, TrustMaterial.from_json(ROOT.read_bytes()))


# -- publish time ------------------------------------------------------------------------------


def test_old_key_dependencies_served_abbreviated_verify(
    forge: ForgingRegistry, client: HttpClient
) -> None:
    """The resolver reads dependencies as abbreviated documents (no time); the signature by
    npm's old key is judged at the full document's publish time, not today."""
    forge.genuine("node-fetch@1.7.1")
    forge.genuine("kms-demo@1.0.0")
    forge.genuine("express@5.2.1", dependencies={"node-fetch": "1.7.1", "kms-demo": "^1.0.0"})
    registry = NpmRegistry(client, forge.url)
    graph = NpmResolver(registry, platform="linux", arch="x64").resolve(
        [PackageRef("npm", "express", "5.2.1", VersionKind.EXACT, purl="")]
    )
    deps = [n for n in graph.nodes if n.name in ("node-fetch", "kms-demo")]
    assert len(deps) == 2
    assert all(n.facts.published is None for n in deps)
    corgi = [h for p, h in forge.server.requests if p == "/node-fetch"]
    assert corgi
    assert "application/vnd.npm.install-v1+json" in corgi[0].get("Accept", "")
    service = build_provenance_service(
        client,
        npm_registry_url=forge.url,
        pypi_integrity_url=None,
        trusted_root_path=ROOT,
        npm_registry=registry,
    )
    report = service.check_report([graph])
    assert report.incomplete == ()
    signatures = {r.purl: r for r in report.results[0] or () if r.kind == KIND_SIGNATURE}
    for dep in deps:
        assert signatures[dep.purl].state is VERIFIED, signatures[dep.purl].reason
        assert signatures[dep.purl].signer == OLD_KEY
    anchors = {a.name: a for a in report.trust}
    assert anchors["npm-registry-keys"].source == "pinned"
    assert anchors["sigstore-trusted-root"].source == "user"  # trusted_root_path=ROOT


def test_old_key_signature_dated_by_the_publish_attestation(
    forge: ForgingRegistry, client: HttpClient
) -> None:
    entry = forge.genuine("sigstore@1.0.0", time="")
    forge.put(entry)  # the full document carries no time for it either
    results = check(forge, client, node_for(entry, dated=False))
    assert results[KIND_SIGNATURE].state is VERIFIED, results[KIND_SIGNATURE].reason


def test_old_key_signature_without_any_time_is_unknown(
    forge: ForgingRegistry, client: HttpClient
) -> None:
    entry = forge.genuine("node-fetch@1.7.1", time="")
    results = check(forge, client, node_for(entry, dated=False))
    assert results[KIND_SIGNATURE].state is UNKNOWN
    assert "the publish time is unknown" in results[KIND_SIGNATURE].reason


def test_old_key_signature_after_its_expiry_is_invalid(
    forge: ForgingRegistry, client: HttpClient
) -> None:
    entry = forge.genuine("node-fetch@1.7.1", time="2025-03-01T00:00:00.000Z")
    result = check(forge, client, node_for(entry))[KIND_SIGNATURE]
    assert result.state is INVALID
    assert "expired 2025-01-29" in result.reason


def test_publish_time_source_unreachable_is_incomplete(
    forge: ForgingRegistry, client: HttpClient
) -> None:
    entry = forge.genuine("node-fetch@1.7.1")
    forge.server.add("/node-fetch", Route(status=503, body=b"upstream"))
    message, results = incomplete(forge, client, node_for(entry, dated=False))
    assert "/node-fetch answered 503" in message
    assert results[KIND_SIGNATURE].state is UNKNOWN
