"""Package specs and purls as scan targets."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.conftest import EXAMPLES, CliFn, rule_ids

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("spec", "package"),
    [
        (
            "npm:@scope/x@1.2.3",
            {
                "ecosystem": "npm",
                "name": "@scope/x",
                "version": "1.2.3",
                "purl": "pkg:npm/%40scope/x@1.2.3",
            },
        ),
        (
            "pkg:npm/%40scope/x@1.2.3",
            {
                "ecosystem": "npm",
                "name": "@scope/x",
                "version": "1.2.3",
                "purl": "pkg:npm/%40scope/x@1.2.3",
            },
        ),
        (
            "pypi:x==1.0",
            {"ecosystem": "pypi", "name": "x", "version": "==1.0", "purl": "pkg:pypi/x@1.0"},
        ),
        ("pkg:pypi/mcp-server-fetch@2025.4.7", {"ecosystem": "pypi", "name": "mcp-server-fetch"}),
    ],
)
def test_pinned_spec_passes(cli: CliFn, spec: str, package: dict[str, Any]) -> None:
    run = cli("scan", spec, "-f", "json")
    assert run.code == 0, run.stdout
    report = run.json()
    (connector,) = report["connectors"]
    assert connector["name"] == spec
    assert connector["source"]["client"] == "package-spec"
    (pkg,) = connector["packages"]
    assert pkg["pinned"] is True
    assert package.items() <= pkg.items()
    assert "SC01" not in rule_ids(report)


def test_pinned_image_is_pinned_but_unchecked(cli: CliFn) -> None:
    # Issue 10: a digest (even a made-up one) pins the image. Resolution is off in these
    # tests, so nothing checks it (tests/cli/test_cli_oci.py resolves images).
    run = cli("scan", f"oci:ghcr.io/o/i@{DIGEST}", "-f", "json")
    assert run.code == 1, run.stdout
    report = run.json()
    (connector,) = report["connectors"]
    assert connector["packages"][0]["pinned"] is True
    assert rule_ids(report) >= {"EX04"}
    assert "SC01" not in rule_ids(report)
    coverage = {c["family"]: c for c in connector["coverage"]}
    assert coverage["resolution"]["cause"] == "disabled"
    (ex04,) = [f for f in connector["findings"] if f["rule_id"] == "EX04"]
    assert "it was not resolved in this scan" in ex04["message"]


@pytest.mark.parametrize(
    "spec",
    [
        "npm:x",
        "npm:@scope/x@latest",
        "npm:x@^1.2.0",
        "pypi:x",
        "pypi:x>=1.0",
        "oci:ghcr.io/o/i",
        "oci:ghcr.io/o/i:latest",
        "pkg:npm/x",
    ],
)
def test_unpinned_spec_fails_with_sc01(cli: CliFn, spec: str) -> None:
    run = cli("scan", spec, "-f", "json")
    assert run.code == 1
    report = run.json()
    assert "SC01" in rule_ids(report)
    assert report["connectors"][0]["packages"][0]["pinned"] is False


@pytest.mark.parametrize(
    "spec",
    [
        "npm:",
        "npm:-rf",
        "npm:x;rm -rf /",
        "pypi:",
        "pypi:x y",
        "oci:ghcr.io/o/i@sha256:abc",
        "pkg:cargo/x@1.0",
        "pkg:npm",
        "oci:",
    ],
)
def test_bad_spec_exits_2(cli: CliFn, spec: str) -> None:
    run = cli("scan", spec)
    assert run.code == 2
    assert "mcpscan: error:" in run.stderr
    assert run.stdout == ""


def test_bad_spec_among_good_targets_reads_nothing(cli: CliFn) -> None:
    run = cli("scan", EXAMPLES / "safe" / ".mcp.json", "npm:", "-f", "json")
    assert run.code == 2
    assert run.stdout == ""


def test_specs_mix_with_files(cli: CliFn) -> None:
    run = cli("scan", EXAMPLES / "safe" / ".mcp.json", "npm:@scope/x@1.2.3", "npm:y", "-f", "json")
    assert run.code == 1
    names = [c["name"] for c in run.json()["connectors"]]
    assert names[-2:] == ["npm:@scope/x@1.2.3", "npm:y"]
    assert len(names) == 6
