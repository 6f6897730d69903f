"""The manual verifier against sigstore-python: every recorded bundle both paths accept, and
each forged variant of them, goes through both; they must agree on the verdict, the
identity (certificate, payload, integrated time) and the class of the reason."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mcpscan.provenance.sigstore_manual import (
    BundleVerificationError,
    TrustMaterial,
    VerifiedDsse,
    verify_dsse_bundle,
)
from mcpscan.provenance.sigstore_python import (
    sigstore_python_supports,
    sigstore_verifier,
    verify_with_sigstore,
)

FIX = Path(__file__).parents[1] / "fixtures" / "provenance"
ROOT = (FIX / "npm" / "trusted_root.production.json").read_bytes()


def _recorded() -> dict[str, dict[str, Any]]:
    """Every recorded DSSE bundle, by name."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((FIX / "npm" / "attestations").glob("*.attestations.json")):
        if "INVALID" in path.name:
            continue
        for entry in json.loads(path.read_text())["attestations"]:
            kind = "publish" if "npm/attestation" in entry["predicateType"] else "provenance"
            found[f"{path.name.split('.attestations')[0]} {kind}"] = entry["bundle"]
    for path in sorted((FIX / "sigstore-bundles").glob("*.sigstore.json")):
        found[path.name.removesuffix(".sigstore.json")] = json.loads(path.read_text())
    return found


RECORDED = _recorded()
# What both paths take: certificate bundles with dsse 0.0.1 entries (sigstore-python 4.5.1
# refuses public-key bundles, intoto 0.0.2 entries and SET-only v0.1 bundles).
BOTH = sorted(name for name, bundle in RECORDED.items() if sigstore_python_supports(bundle))


def test_the_differential_covers_the_recorded_bundles_both_paths_take() -> None:
    assert BOTH == ["@playwright__cli@0.1.1 provenance", "happy-path-intoto-in-dsse-v3"]


def _tlog(bundle: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = bundle["verificationMaterial"]["tlogEntries"][0]
    return entry


def _other(name: str) -> dict[str, Any]:
    return RECORDED[next(n for n in BOTH if n != name)]


def _payload(bundle: dict[str, Any], name: str) -> None:
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["predicate"] = {"edited": True}
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()


def _signature(bundle: dict[str, Any], name: str) -> None:
    raw = bytearray(base64.b64decode(bundle["dsseEnvelope"]["signatures"][0]["sig"]))
    raw[-1] ^= 0x01
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(raw)).decode()


def _certificate(bundle: dict[str, Any], name: str) -> None:
    bundle["verificationMaterial"]["certificate"] = copy.deepcopy(
        _other(name)["verificationMaterial"]["certificate"]
    )


def _tlog_entry(bundle: dict[str, Any], name: str) -> None:
    bundle["verificationMaterial"]["tlogEntries"] = copy.deepcopy(
        _other(name)["verificationMaterial"]["tlogEntries"]
    )


def _no_set(bundle: dict[str, Any], name: str) -> None:
    _tlog(bundle).pop("inclusionPromise")


def _time(bundle: dict[str, Any], name: str) -> None:
    entry = _tlog(bundle)
    entry["integratedTime"] = str(int(entry["integratedTime"]) + 1)


def _no_checkpoint(bundle: dict[str, Any], name: str) -> None:
    _tlog(bundle)["inclusionProof"].pop("checkpoint")


def _fake_proof(bundle: dict[str, Any], name: str) -> None:
    entry = _tlog(bundle)
    leaf = hashlib.sha256(b"\x00" + base64.b64decode(entry["canonicalizedBody"])).digest()
    entry["inclusionProof"].update(
        logIndex="0", treeSize="1", hashes=[], rootHash=base64.b64encode(leaf).decode()
    )


def _other_checkpoint(bundle: dict[str, Any], name: str) -> None:
    _tlog(bundle)["inclusionProof"]["checkpoint"] = copy.deepcopy(
        _tlog(_other(name))["inclusionProof"]["checkpoint"]
    )


FORGERIES: dict[str, tuple[Callable[[dict[str, Any], str], None], str]] = {
    "payload edited": (_payload, "signature"),
    "signature flipped": (_signature, "signature"),
    "certificate swapped": (_certificate, "certificate"),
    "tlog entry of another artifact": (_tlog_entry, "certificate"),
    "no SET": (_no_set, "timestamp"),
    "integrated time edited": (_time, "timestamp"),
    "checkpoint removed": (_no_checkpoint, "inclusion"),
    "fabricated inclusion proof": (_fake_proof, "inclusion"),
    "checkpoint of another tree": (_other_checkpoint, "inclusion"),
}


def reason_class(message: str) -> str:
    """The failed check a message names, for either path."""
    text = message.lower()
    classes = (
        ("signature", ("step 1", "dsse: invalid signature")),
        ("certificate", ("step 2", "step 3", "certificate chain", "cert is not valid")),
        ("timestamp", ("step 4", "inclusion promise", "set:")),
        ("binding", ("step 5",)),
        ("inclusion", ("step 6", "inclusion proof")),
    )
    for name, needles in classes:
        if any(n in text for n in needles):
            return name
    return f"unclassified: {message}"


@pytest.fixture(scope="module")
def paths() -> dict[str, Callable[[dict[str, Any]], VerifiedDsse]]:
    trust, verifier = TrustMaterial.from_json(ROOT), sigstore_verifier(ROOT)
    return {
        "manual": lambda bundle: verify_dsse_bundle(bundle, trust),
        "sigstore-python": lambda bundle: verify_with_sigstore(bundle, verifier),
    }


def _outcome(
    verify: Callable[[dict[str, Any]], VerifiedDsse], bundle: dict[str, Any]
) -> tuple[str, Any]:
    try:
        verified = verify(bundle)
    except BundleVerificationError as exc:
        return "invalid", reason_class(exc.message)
    assert verified.certificate is not None
    return "verified", (
        verified.certificate.fingerprint(
            verified.certificate.signature_hash_algorithm or _sha256()
        ),
        verified.payload_type,
        verified.payload,
        verified.integrated_time,
    )


def _sha256() -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


@pytest.mark.parametrize("name", BOTH)
def test_both_paths_verify_the_genuine_bundle_with_the_same_identity(
    paths: dict[str, Callable[[dict[str, Any]], VerifiedDsse]], name: str
) -> None:
    outcomes = {path: _outcome(verify, RECORDED[name]) for path, verify in paths.items()}
    assert outcomes["manual"][0] == "verified"
    assert outcomes["manual"] == outcomes["sigstore-python"]


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
@pytest.mark.parametrize("name", BOTH)
def test_both_paths_reject_each_forgery_for_the_same_reason(
    paths: dict[str, Callable[[dict[str, Any]], VerifiedDsse]], name: str, forgery: str
) -> None:
    change, expected = FORGERIES[forgery]
    bundle = copy.deepcopy(RECORDED[name])
    change(bundle, name)
    outcomes = {path: _outcome(verify, bundle) for path, verify in paths.items()}
    assert outcomes == {"manual": ("invalid", expected), "sigstore-python": ("invalid", expected)}


def test_a_rekor_v2_entry_names_the_manual_verifiers_gap() -> None:
    bundle = copy.deepcopy(RECORDED["happy-path-intoto-in-dsse-v3"])
    _tlog(bundle)["kindVersion"] = {"kind": "dsse", "version": "0.0.2"}
    assert not sigstore_python_supports(bundle)
    with pytest.raises(BundleVerificationError, match="Rekor v2 entry") as caught:
        verify_dsse_bundle(bundle, TrustMaterial.from_json(ROOT))
    assert "documented gap" in caught.value.message
