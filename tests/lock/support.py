"""Builders for lock tests: connectors from real config files, graphs and provenance."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mcpscan.models import (
    ConnectorResult,
    Decision,
    Digest,
    Graph,
    PackageFacts,
    ProvenanceResult,
    ProvenanceState,
    ResolvedPackage,
    ScanResult,
)
from mcpscan.progress import SILENT, Progress
from mcpscan.wiring import ScanSettings

TODAY = _dt.date(2026, 11, 25)
PKG = "@modelcontextprotocol/server-memory"
PURL = "pkg:npm/%40modelcontextprotocol/server-memory@{v}"
DIGEST = "ab" * 64
REPO = "https://github.com/modelcontextprotocol/servers"
WORKFLOW = ".github/workflows/release.yml"


def write_config(directory: Path, servers: Mapping[str, Any]) -> Path:
    path = directory / ".mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}, indent=2) + "\n", encoding="utf-8")
    return path


def server(
    version: str = "2025.8.4",
    *,
    extra_args: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"command": "npx", "args": ["-y", f"{PKG}@{version}", *extra_args]}
    if env:
        doc["env"] = dict(env)
    return doc


def graph(
    version: str = "2025.8.4",
    *,
    digest: str = DIGEST,
    maintainers: tuple[str, ...] | None = ("alice", "bob"),
) -> Graph:
    purl = PURL.format(v=version)
    node = ResolvedPackage(
        ecosystem="npm",
        name=PKG,
        version=version,
        purl=purl,
        decided_by=Decision.PINNED,
        digests=(Digest("sha512", digest),),
        facts=PackageFacts(maintainers=maintainers),
    )
    return Graph(roots=(purl,), nodes=(node,))


def provenance(
    version: str = "2025.8.4", *, repo: str = REPO, workflow: str = WORKFLOW
) -> tuple[ProvenanceResult, ...]:
    return (
        ProvenanceResult(
            purl=PURL.format(v=version),
            kind="npm-provenance",
            state=ProvenanceState.VERIFIED,
            source_repository=repo,
            workflow=workflow,
        ),
    )


Enrich = Callable[[ConnectorResult], ConnectorResult]


def fake_run_scan(cwd: Path, enrich: Enrich | None = None) -> Callable[..., ScanResult]:
    """A real config-only scan, with resolution and provenance facts added by ``enrich``
    (standing in for the registry stages, which need the network). The settings are
    those of the command line; this scan ignores them."""

    def run(
        targets: list[str], settings: ScanSettings | None = None, progress: Progress = SILENT
    ) -> ScanResult:
        from mcpscan.ruleset import Engine, Policy, load_catalogue
        from mcpscan.scan import Scanner, ScanOptions
        from mcpscan.sources import load_targets

        loaded = load_targets(targets, cwd=cwd)
        engine = Engine(load_catalogue(), Policy())
        result = Scanner(engine, ScanOptions(today=TODAY)).scan(targets, loaded)
        if enrich is None:
            return result
        return dataclasses.replace(result, connectors=tuple(enrich(c) for c in result.connectors))

    return run


def with_facts(g: Graph | None, p: tuple[ProvenanceResult, ...] | None) -> Enrich:
    def enrich(c: ConnectorResult) -> ConnectorResult:
        return dataclasses.replace(c, graph=g, provenance=p)

    return enrich
