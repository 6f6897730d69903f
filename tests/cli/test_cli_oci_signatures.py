"""`mcpscan scan` of signed container images end to end, against a real registry
(docker-registry on 127.0.0.1, which has no referrers API: the OCI 1.1 fallback tag).

Paths: [key] a multi-arch index signed (`.sig`) and attested (`.att`: SLSA provenance and an
SPDX SBOM) with a test key named by `--cosign-key`; [sigstore-python] the recorded v0.3
bundle from cosign's tests, attached as a referrer to the image it was made for; [manual
keyless] the recorded 2021 cosign signature, copied onto another image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import CliFn, Workspace, write_json
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
    public_pem,
    publish,
    recorded_keyless_signature,
    referrers_index,
    statement,
)
from tests.support.oci_registry import LocalRegistry, build_image

REPO = "https://github.com/acme/weather"


@pytest.fixture
def scanning(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """Resolution and provenance on, advisories off (they would ask OSV)."""
    monkeypatch.setenv("MCPSCAN_RESOLVE", "true")
    monkeypatch.setenv("MCPSCAN_ADVISORIES", "false")
    monkeypatch.setenv("MCPSCAN_CACHE_DIR", str(workspace.cwd / "cache"))
    return workspace


def signed_weather(registry: LocalRegistry, key_dir: Path, *, built_from: str = REPO) -> str:
    """A two-platform index, signed and attested with a test key; returns its reference."""
    labels = {"org.opencontainers.image.source": REPO}
    amd = build_image(labels=labels, user="1000")
    arm = build_image(architecture="arm64", variant="v8", labels=labels, user="1000")
    repository = f"{registry.host}/signed/weather"
    index = registry.push_index(
        "signed/weather", "1.0.0", [(amd, "linux/amd64"), (arm, "linux/arm64/v8")]
    )
    key = new_key()
    (key_dir / "cosign.pub").write_bytes(public_pem(key))
    store = Blobs()
    payload, annotations = key_signature(key, repository, index)
    attach_signature(store, index, payload, annotations)
    slsa = {"buildDefinition": {"externalParameters": {"workflow": {"repository": built_from}}}}
    attach_attestations(
        store,
        index,
        [
            dsse_envelope(key, statement(index, "https://slsa.dev/provenance/v1", slsa)),
            dsse_envelope(key, statement(index, "https://spdx.dev/Document", SPDX)),
        ],
    )
    publish(registry, "signed/weather", store)
    return f"{repository}@{index}"


def provenance(report: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for r in report["connectors"][0]["provenance"]:
        found.setdefault(r["kind"], []).append(r["state"])
    return found


def rules(report: dict[str, Any]) -> set[str]:
    return {f["rule_id"] for c in report["connectors"] for f in c["findings"]}


def test_a_signed_multi_arch_image_verifies_end_to_end(
    cli: CliFn, scanning: Workspace, oci_registry_server: LocalRegistry
) -> None:
    """[key] signature, SLSA provenance and SBOM verified; the SBOM's packages join the
    graph under the image; SC02/SC03/SC04 quiet."""
    ref = signed_weather(oci_registry_server, scanning.cwd)
    key = str(scanning.cwd / "cosign.pub")
    run = cli("scan", f"oci:{ref}", "-f", "json", "--cosign-key", key, "--platform", "linux/arm64")
    report = run.json()
    assert provenance(report) == {
        "oci-signature": ["verified"],
        "oci-provenance": ["verified"],
        "oci-sbom": ["verified"],
    }, run.stderr
    nodes = {
        (n["ecosystem"], n["name"], n["decided_by"])
        for n in report["connectors"][0]["graph"]["nodes"]
    }
    assert ("npm", "mcp-remote", "sbom") in nodes
    assert not rules(report) & {"SC02", "SC03", "SC04"}
    anchors = {a["name"]: a["source"] for a in report["trust_anchors"]}
    assert anchors["sigstore-trusted-root"] == "pinned"


def test_without_the_key_the_signed_image_has_no_verified_provenance(
    cli: CliFn, scanning: Workspace, oci_registry_server: LocalRegistry
) -> None:
    ref = signed_weather(oci_registry_server, scanning.cwd)
    report = cli("scan", f"oci:{ref}", "-f", "json").json()
    assert provenance(report)["oci-signature"] == ["unknown"]
    assert "SC02" in rules(report)
    assert "SC03" not in rules(report)


def test_the_key_from_the_environment(
    cli: CliFn,
    scanning: Workspace,
    oci_registry_server: LocalRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ref = signed_weather(oci_registry_server, scanning.cwd)
    monkeypatch.setenv("MCPSCAN_COSIGN_KEY", str(scanning.cwd / "cosign.pub"))
    report = cli("scan", f"oci:{ref}", "-f", "json").json()
    assert provenance(report)["oci-signature"] == ["verified"]


def test_provenance_built_elsewhere_is_sc04(
    cli: CliFn, scanning: Workspace, oci_registry_server: LocalRegistry
) -> None:
    ref = signed_weather(
        oci_registry_server, scanning.cwd, built_from="https://github.com/evil/weather"
    )
    key = str(scanning.cwd / "cosign.pub")
    report = cli("scan", f"oci:{ref}", "-f", "json", "--cosign-key", key).json()
    [hit] = [f for c in report["connectors"] for f in c["findings"] if f["rule_id"] == "SC04"]
    assert "https://github.com/evil/weather" in hit["message"]


def test_a_signature_copied_from_another_image_is_sc03(
    cli: CliFn, scanning: Workspace, oci_registry_server: LocalRegistry
) -> None:
    """[manual keyless] the recorded signature verifies but names another digest."""
    image = build_image(architecture="s390x", os="linux")
    digest = oci_registry_server.push_image("signed/copied", image, "1.0.0")
    store = Blobs()
    _, payload, annotations = recorded_keyless_signature()
    attach_signature(store, digest, payload, annotations)
    publish(oci_registry_server, "signed/copied", store)
    ref = f"{oci_registry_server.host}/signed/copied@{digest}"
    run = cli("scan", f"oci:{ref}", "-f", "json", "--platform", "linux/s390x")
    assert run.code == 1
    assert provenance(run.json())["oci-signature"] == ["invalid"]
    assert "SC03" in rules(run.json())


def test_the_recorded_bundle_verifies_in_a_scan(
    cli: CliFn, scanning: Workspace, oci_registry_server: LocalRegistry
) -> None:
    """[sigstore-python] the real keyless bundle over the empty image, found through the
    referrers fallback tag, verified against the pinned root."""
    store = Blobs()
    store.add_blob(fixture("referrer-bundle", "empty-image-config.json"))
    digest = store.add_manifest(fixture("referrer-bundle", "empty-image-manifest.json"), "v1")
    bundle_referrer(store, digest, fixture("referrer-bundle", "oci-attestation.sigstore.json"))
    referrers_index(store, digest)
    publish(oci_registry_server, "signed/empty", store)
    ref = f"{oci_registry_server.host}/signed/empty@{digest}"
    report = cli("scan", f"oci:{ref}", "-f", "json").json()
    [attested] = [
        r for r in report["connectors"][0]["provenance"] if r["kind"] == "oci-attestation"
    ]
    assert attested["state"] == "verified"
    assert attested["signer"] == "cody@soyland.com"


def test_an_unreadable_cosign_key_is_a_usage_error(cli: CliFn, scanning: Workspace) -> None:
    bad = write_json(scanning.cwd / "not-a-key.pub", {"no": "key"})
    run = cli("scan", "oci:127.0.0.1:9/none@sha256:" + "0" * 64, "--cosign-key", str(bad))
    assert run.code == 2
    assert "not-a-key.pub is not a PEM public key" in run.stderr


def test_a_vulnerable_package_inside_the_image_is_found_through_its_sbom(
    cli: CliFn,
    scanning: Workspace,
    oci_registry_server: LocalRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """[key] the verified SPDX SBOM lists mcp-remote 0.1.15 (CVE-2025-6514): SC05 from the
    recorded OSV record, the image's contents count as checked (no EX04, advisories done)."""
    monkeypatch.setenv("MCPSCAN_ADVISORIES", "true")
    ref = signed_weather(oci_registry_server, scanning.cwd)
    key = str(scanning.cwd / "cosign.pub")
    osv = str(Path(__file__).resolve().parents[1] / "fixtures" / "osv")
    run = cli("scan", f"oci:{ref}", "-f", "json", "--cosign-key", key, "--advisory-db", osv)
    report = run.json()
    sc05 = [f for c in report["connectors"] for f in c["findings"] if f["rule_id"] == "SC05"]
    assert [f["component"] for f in sc05] == ["pkg:npm/mcp-remote@0.1.15"], run.stderr
    assert "EX04" not in rules(report)
    coverage = {x["family"]: x["state"] for x in report["connectors"][0]["coverage"]}
    assert coverage["advisories"] == "done"


def test_without_a_verified_sbom_the_image_contents_are_a_gap(
    cli: CliFn,
    scanning: Workspace,
    oci_registry_server: LocalRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MCPSCAN_ADVISORIES", "true")
    ref = signed_weather(oci_registry_server, scanning.cwd)
    osv = str(Path(__file__).resolve().parents[1] / "fixtures" / "osv")
    report = cli("scan", f"oci:{ref}", "-f", "json", "--advisory-db", osv).json()  # no key
    [ex04] = [f for c in report["connectors"] for f in c["findings"] if f["rule_id"] == "EX04"]
    assert "no verified SBOM attestation" in ex04["message"]
    [advisories] = [x for x in report["connectors"][0]["coverage"] if x["family"] == "advisories"]
    assert advisories["state"] == "not-run"
    assert "no verified SBOM attestation" in advisories["reason"]
