"""Pinning container images to the digest the scan resolved, from the scan result's graph
node (the shape mcpscan/resolve gives an image: ecosystem "oci", the digest as version and
in ``digests``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcpscan.fix import document
from mcpscan.fix.plan import plan_files
from mcpscan.models import (
    ConnectorResult,
    Decision,
    Digest,
    Graph,
    ResolvedPackage,
    ScanResult,
    Severity,
)
from mcpscan.sources import parse_file
from mcpscan.sources.launchers import unwrap
from tests.support.oci_registry import LocalRegistry, build_image

from .conftest import rule_ids, run_fix, run_scan_json

DIGEST = "4f1cd6ea0d7c0e6b1b2a4bd6bbdf0e0a3c3c1d4ee0f1b7c3a59e4a1f0b2c3d4e"
CONFIG = {
    "mcpServers": {
        "github": {
            "command": "docker",
            "args": [
                "run",
                "-i",
                "--rm",
                "-e",
                "GITHUB_PERSONAL_ACCESS_TOKEN",
                "ghcr.io/github/github-mcp-server:v0.4.0",
            ],
            "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${env:GITHUB_PERSONAL_ACCESS_TOKEN}"},
        },
        "unresolved": {"command": "docker", "args": ["run", "-i", "--rm", "acme/other"]},
    }
}


def _scan(config: Path, digests: dict[str, str]) -> ScanResult:
    """A scan result of ``config`` whose graph resolved each image named in ``digests``."""
    parsed = parse_file(config, display=config.name)
    results = []
    for connector in parsed.connectors:
        launch = unwrap(connector)
        nodes = tuple(
            ResolvedPackage(
                ecosystem="oci",
                name=ref.name,
                version=digests[ref.name],
                purl=ref.purl,
                decided_by=Decision.DIST_TAG,
                digests=(Digest(*digests[ref.name].split(":")),),
            )
            for ref in launch.packages
            if ref.name in digests
        )
        graph = Graph(roots=tuple(n.purl for n in nodes), nodes=nodes) if nodes else None
        results.append(ConnectorResult(connector, launch, (), 100, "pass", graph=graph))
    return ScanResult(
        targets=(config.name,),
        connectors=tuple(results),
        diagnostics=(),
        checks_not_run=(),
        verdict="pass",
        score=100,
        fail_on=Severity.HIGH,
        min_score=0,
    )


def test_an_image_is_pinned_to_the_digest_the_scan_resolved(tmp_path: Path) -> None:
    config = tmp_path / ".cursor" / "mcp.json"
    config.parent.mkdir()
    text = json.dumps(CONFIG, indent=2) + "\n"
    config.write_text(text, encoding="utf-8")
    result = _scan(config, {"ghcr.io/github/github-mcp-server": f"sha256:{DIGEST}"})

    [(plan, doc)] = plan_files(result, [config.name], [], tmp_path / ".cursor")

    assert doc is not None
    [pinned] = plan.remediations
    assert pinned.rule_id == "SC01"
    assert pinned.summary == (
        f"pinned image ghcr.io/github/github-mcp-server to its digest sha256:{DIGEST[:12]}…"
    )
    [skipped] = plan.skipped
    assert skipped.connector == "unresolved"
    assert skipped.reason == "acme/other: not pinned: the scan did not resolve the image's digest"
    new = document.rewrite(doc, plan.edits)
    assert new == text.replace(
        '"ghcr.io/github/github-mcp-server:v0.4.0"',
        f'"ghcr.io/github/github-mcp-server:v0.4.0@sha256:{DIGEST}"',
    )
    # Read back, the image is pinned: nothing is left for the fixer to do.
    config.write_text(new, encoding="utf-8")
    again = _scan(config, {"ghcr.io/github/github-mcp-server": f"sha256:{DIGEST}"})
    [(plan, _)] = plan_files(again, [config.name], [], tmp_path / ".cursor")
    assert plan.remediations == ()


def test_fix_pins_a_docker_image_resolved_from_a_real_registry(
    cwd: Path, registry: Any, oci_registry_server: LocalRegistry
) -> None:
    image = build_image(labels={"org.opencontainers.image.source": "https://github.com/acme/w"})
    digest = oci_registry_server.push_image("acme/fixme", image, tag="1.2.0")
    ref = f"{oci_registry_server.host}/acme/fixme"
    doc = {
        "mcpServers": {
            "weather": {"command": "docker", "args": ["run", "-i", "--rm", f"{ref}:1.2.0"]}
        }
    }
    text = json.dumps(doc, indent=2) + "\n"
    config = cwd / ".cursor" / "mcp.json"
    config.parent.mkdir()
    config.write_text(text, encoding="utf-8")
    assert "SC01" in rule_ids(run_scan_json(registry, config), "weather")

    run = run_fix(registry, config)

    assert run.code == 0, run.stderr
    assert digest.startswith("sha256:")
    assert config.read_text(encoding="utf-8") == text.replace(
        f'"{ref}:1.2.0"', f'"{ref}:1.2.0@{digest}"'
    )
    assert f"fixed SC01: pinned image {ref} to its digest {digest[:19]}…" in run.stderr
    assert "SC01" not in rule_ids(run_scan_json(registry, config), "weather")
