"""Whole scans with provenance on: real npm attestation vectors served by the local registry,
verified offline against the embedded Sigstore trust root (no socket leaves 127.0.0.1)."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mcpscan.report import schema
from tests.support.registry_server import RegistryServer, Route

from .conftest import Env, npx, packument, publish, rules, run_scan, write_config

NPM = Path(__file__).resolve().parents[1] / "fixtures" / "provenance" / "npm"
ATT = NPM / "attestations"
KEYS = NPM / "registry-signatures" / "v1-keys.json"
PLAYWRIGHT_REPO = "https://github.com/microsoft/playwright-cli"
NOT_PROVIDED = "the registry did not provide it"

# name, version, tarball the integrity is computed from, attestations file, repository
Package = tuple[str, str, str, str, "str | None"]
PLAYWRIGHT: Package = (
    "@playwright/cli",
    "0.1.1",
    "playwright-cli-0.1.1.tgz",
    "@playwright__cli@0.1.1.attestations.json",
    PLAYWRIGHT_REPO,
)
GUNDAM: Package = (
    "gundam-visor",
    "1.0.1",
    "gundam-visor-1.0.1.tgz",
    "gundam-visor@1.0.1.attestations.json",
    None,
)


def _sri(tarball: str) -> str:
    return (
        "sha512-" + base64.b64encode(hashlib.sha512((ATT / tarball).read_bytes()).digest()).decode()
    )


def _serve(server: RegistryServer, pkg: Package, attestations: bytes | None) -> None:
    """The packument (what the resolver reads), the version document, the registry keys and,
    unless ``attestations`` is None, the attestations at the path npm serves them under."""
    name, version, tarball, _, repo = pkg
    doc = packument(name, {version: {}})
    manifest = doc["versions"][version]
    manifest["dist"] = {
        "integrity": _sri(tarball),
        "tarball": f"https://registry.npmjs.org/{name}/-/{tarball}",
    }
    if attestations is not None:  # declared, as npm declares them
        manifest["dist"]["attestations"] = {
            "url": f"https://registry.npmjs.org/-/npm/v1/attestations/{name}@{version}"
        }
    if repo is not None:
        manifest["repository"] = {"type": "git", "url": f"git+{repo}.git"}
    publish(server, doc)
    encoded = name.replace("/", "%2F")
    server.add(f"/{encoded}/{version}", json.dumps(manifest))
    server.add("/-/npm/v1/keys", KEYS)
    if attestations is not None:
        server.add(f"/-/npm/v1/attestations/{encoded}@{version}", attestations)


@contextmanager
def loopback_only(mp: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Record every connection; refuse any that would leave 127.0.0.1."""
    seen: list[object] = []
    connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> None:
        seen.append(address)
        if not (isinstance(address, tuple) and address[0] == "127.0.0.1"):
            raise AssertionError(f"a socket was opened to {address!r}")
        connect(self, address)

    with mp.context() as inner:
        inner.setattr(socket.socket, "connect", guarded)
        yield seen


def _scan(server: RegistryServer, env: Env, spec: str, *extra: str) -> tuple[int, dict[str, Any]]:
    config = write_config(env.cwd / ".mcp.json", {"pkg": npx(spec)})
    with loopback_only(env.mp) as seen:
        run = run_scan(server, config, "-f", "json", "--provenance", *extra)
    assert seen, "the scan asked the local registry nothing"
    report: dict[str, Any] = run.json()
    jsonschema.Draft202012Validator(schema()).validate(report)
    return run.code, report


def _by_kind(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    [conn] = report["connectors"]
    return {p["kind"]: p for p in conn["provenance"]}


def test_genuine_attestations_verify(server: RegistryServer, env: Env) -> None:
    _serve(server, PLAYWRIGHT, (ATT / PLAYWRIGHT[3]).read_bytes())
    code, report = _scan(server, env, "@playwright/cli@0.1.1")
    assert code == 0, report["diagnostics"]
    assert report["incomplete"] is False
    proofs = _by_kind(report)
    prov = proofs["npm-provenance"]
    assert prov["state"] == "verified", prov["reason"]
    assert prov["purl"] == "pkg:npm/%40playwright/cli@0.1.1"
    assert prov["source_repository"] == PLAYWRIGHT_REPO
    assert prov["commit"] == "d1c6d1113932ddcee243e8b111b6d4aea553df20"
    assert proofs["npm-publish"]["state"] == "verified"
    assert prov["source_identity"] == PLAYWRIGHT_REPO
    found = rules(report, "pkg")
    assert not {"SC02", "SC03", "SC04", "SC12"} & set(found), found
    # The report says what "verified" was anchored in: the pinned anchors (the tests
    # disable the TUF refresh), never the registry's keys endpoint.
    anchors = {a["name"]: a for a in report["trust_anchors"]}
    assert anchors["npm-registry-keys"]["source"] == "pinned"
    assert anchors["npm-registry-keys"]["sha256"] == (
        "160677eb6e1c7083c89b166b20f8fe4e837fb71181506aff1991b80b89184f7d"
    )
    assert anchors["sigstore-trusted-root"]["source"] == "pinned"
    assert anchors["npm-registry-keys"]["note"] == (
        "not refreshed: TUF refresh is disabled; using the pinned copy"
    )
    # The scoped name is requested with its slash escaped, the version after "@".
    assert server.count("/-/npm/v1/attestations/@playwright%2Fcli@0.1.1") == 1
    assert server.count("/@playwright%2Fcli/0.1.1") == 1


def _flip_provenance_signature(raw: bytes) -> bytes:
    doc = json.loads(raw)
    [entry] = [e for e in doc["attestations"] if e["predicateType"].startswith("https://slsa")]
    sig = entry["bundle"]["dsseEnvelope"]["signatures"][0]
    flipped = bytearray(base64.b64decode(sig["sig"]))
    flipped[-1] ^= 0x01
    sig["sig"] = base64.b64encode(bytes(flipped)).decode()
    return json.dumps(doc).encode()


# gundam-visor's bundle is checked by mcpscan's own verifier, playwright's (a DSSE bundle with
# a checkpoint) by sigstore-python: each words the broken signature its own way.
@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("gundam-visor tampered", "step 1: the DSSE signature does not verify"),
        ("playwright flipped byte", "DSSE: invalid signature"),
    ],
)
def test_tampered_provenance_is_critical(
    server: RegistryServer, env: Env, case: str, reason: str
) -> None:
    if case.startswith("gundam"):
        pkg = GUNDAM
        served = (ATT / "gundam-visor@1.0.1.attestations.INVALID-provenance-sig.json").read_bytes()
    else:
        pkg = PLAYWRIGHT
        served = _flip_provenance_signature((ATT / PLAYWRIGHT[3]).read_bytes())
    _serve(server, pkg, served)
    code, report = _scan(server, env, f"{pkg[0]}@{pkg[1]}")
    assert code == 1
    assert report["verdict"] == "fail"
    [invalid] = rules(report, "pkg")["SC03"]
    assert invalid["severity"] == "critical"
    assert invalid["message"] == f"{pkg[0]}@{pkg[1]}: npm-provenance does not verify"
    assert invalid["evidence"].startswith("provenance attestation: ")
    assert invalid["evidence"].endswith(reason)
    proofs = _by_kind(report)
    assert proofs["npm-provenance"]["state"] == "invalid"
    assert proofs["npm-provenance"]["source_repository"] is None
    # The publish attestation is untouched and still verifies.
    assert proofs["npm-publish"]["state"] == "verified"


def test_registry_without_attestations_is_a_registry_gap_not_a_finding(
    server: RegistryServer, env: Env
) -> None:
    # A mirror that serves neither signatures nor attestations says nothing about the
    # package: one registry gap for the scan and the connector, no SC02, no clean 100.
    _serve(server, GUNDAM, attestations=None)
    code, report = _scan(server, env, "gundam-visor@1.0.1")
    assert code == 0, report["diagnostics"]
    assert report["incomplete"] is False
    found = rules(report, "pkg")
    assert "SC02" not in found
    assert "SC03" not in found
    [conn] = report["connectors"]
    assert conn["score"] == 99
    gaps = {g["fact"]: g for g in conn["registry_gaps"]}
    assert gaps["build provenance"] == {
        "family": "provenance",
        "fact": "build provenance",
        "rule": "SC02",
        "packages": ["pkg:npm/gundam-visor@1.0.1"],
    }
    assert {
        "fact": "build provenance",
        "packages": 1,
        "message": "the registry did not provide build provenance for 1 package",
    } in report["registry_gaps"]
    proofs = _by_kind(report)
    for kind in ("npm-provenance", "npm-publish"):
        assert proofs[kind]["state"] == "absent"
        assert proofs[kind]["registry_gap"] is True
        assert proofs[kind]["reason"].startswith(NOT_PROVIDED), proofs[kind]["reason"]
    # Attestations are fetched only where the version document declares them.
    assert server.count("/-/npm/v1/attestations/gundam-visor@1.0.1") == 0


def test_require_provenance_keeps_a_registry_gap_a_finding(
    server: RegistryServer, env: Env
) -> None:
    # The policy demands proof; a registry that gives none cannot supply it.
    (env.cwd / "mcpscan.toml").write_text("require_provenance = true\n", encoding="utf-8")
    _serve(server, GUNDAM, attestations=None)  # no dist.attestations: nothing declared
    code, report = _scan(server, env, "gundam-visor@1.0.1")
    assert code == 1, report["diagnostics"]
    assert report["incomplete"] is False
    found = rules(report, "pkg")
    [missing] = found["SC02"]
    assert missing["severity"] == "high"
    assert missing["message"] == (
        "the launched package gundam-visor@1.0.1 has no verified build provenance"
    )
    assert "SC03" not in found
    proofs = _by_kind(report)
    for kind in ("npm-provenance", "npm-publish"):
        assert proofs[kind]["state"] == "absent"
        assert proofs[kind]["reason"].startswith(NOT_PROVIDED), proofs[kind]["reason"]
    # Attestations are fetched only where the version document declares them.
    assert server.count("/-/npm/v1/attestations/gundam-visor@1.0.1") == 0


def test_no_provenance_flag_checks_nothing(server: RegistryServer, env: Env) -> None:
    _serve(server, PLAYWRIGHT, (ATT / PLAYWRIGHT[3]).read_bytes())
    config = write_config(env.cwd / ".mcp.json", {"pkg": npx("@playwright/cli@0.1.1")})
    run = run_scan(server, config, "-f", "json", "--no-provenance")
    assert run.code == 0, run.stderr
    [conn] = run.json()["connectors"]
    assert conn["provenance"] is None
    assert server.count("/-/npm/v1/attestations/@playwright%2Fcli@0.1.1") == 0


def _company_registry(server: RegistryServer, tmp: Path) -> Path:
    """A registry that signs with a key of its own (not npm's): its keys file, as a user
    would save it, is returned; the registry's keys endpoint serves the same key."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    doc = packument("corp-server", {"1.0.0": {}})
    manifest = doc["versions"]["1.0.0"]
    integrity = manifest["dist"]["integrity"]
    keyid = "SHA256:corp-registry-key-2026"
    manifest["dist"]["signatures"] = [
        {
            "keyid": keyid,
            "sig": base64.b64encode(
                key.sign(f"corp-server@1.0.0:{integrity}".encode(), ec.ECDSA(hashes.SHA256()))
            ).decode(),
        }
    ]
    publish(server, doc)
    server.add("/corp-server/1.0.0", json.dumps(manifest))
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    keys = json.dumps(
        {"keys": [{"keyid": keyid, "key": base64.b64encode(spki).decode(), "expires": None}]}
    )
    server.add("/-/npm/v1/keys", keys)
    path = tmp / "corp-keys.json"
    path.write_text(keys)
    return path


def test_a_registrys_own_keys_are_trusted_only_when_named(server: RegistryServer, env: Env) -> None:
    keys = _company_registry(server, env.tmp)
    # Unnamed: the registry's keys endpoint is not an anchor, the signature is not verified.
    code, report = _scan(server, env, "corp-server@1.0.0")
    signature = _by_kind(report)["npm-registry-signature"]
    assert signature["state"] == "invalid", signature["reason"]
    assert "not among the trusted npm keys" in signature["reason"]
    assert code == 1
    # Named with --npm-keys: verified, and the report says whose keys they were.
    code, report = _scan(server, env, "corp-server@1.0.0", "--npm-keys", f"{server.url}={keys}")
    signature = _by_kind(report)["npm-registry-signature"]
    assert signature["state"] == "verified", signature["reason"]
    anchors = {a["name"]: a for a in report["trust_anchors"]}
    assert anchors["npm-registry-keys"]["source"] == "user"
    assert str(keys) in anchors["npm-registry-keys"]["description"]


def test_npm_keys_option_needs_registry_and_file(server: RegistryServer, env: Env) -> None:
    config = write_config(env.cwd / ".mcp.json", {"pkg": npx("corp-server@1.0.0")})
    run = run_scan(server, config, "--provenance", "--npm-keys", "keys.json")
    assert run.code == 2
    assert "expected REGISTRY_URL=FILE" in run.stderr


def test_declared_attestations_unreachable_make_the_scan_incomplete(
    server: RegistryServer, env: Env
) -> None:
    _serve(server, PLAYWRIGHT, None)
    doc_path = "/@playwright%2Fcli/0.1.1"
    manifest = json.loads(server.routes[doc_path].body)
    manifest["dist"]["attestations"] = {
        "url": "https://registry.npmjs.org/-/npm/v1/attestations/@playwright%2fcli@0.1.1"
    }
    server.add(doc_path, json.dumps(manifest))
    server.add(
        "/-/npm/v1/attestations/@playwright%2Fcli@0.1.1", Route(status=503, body=b"upstream")
    )
    code, report = _scan(server, env, "@playwright/cli@0.1.1")
    assert code == 3, report["diagnostics"]
    assert report["incomplete"] is True
    messages = " ".join(d["message"] for d in report["diagnostics"])
    assert "/-/npm/v1/attestations/@playwright%2Fcli@0.1.1 answered 503" in messages
    proofs = _by_kind(report)
    assert proofs["npm-provenance"]["state"] == "unknown"
    assert proofs["npm-publish"]["state"] == "unknown"
    # The coverage ledger's "integrity and provenance" family says it was not done.
    [conn] = report["connectors"]
    family = {c["family"]: c for c in conn["coverage"]}
    provenance = next(c for name, c in family.items() if "provenance" in name)
    assert provenance["state"] != "done", provenance
