"""``mcpscan fix`` end to end: the real CLI, a fake HOME, and the registries served by the
local registry server, so the versions fix pins are the ones the real resolvers chose."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcpscan.cli.app import app
from tests.cli.conftest import Run
from tests.fixtures.pypi.server import SyntheticIndex
from tests.scan.conftest import isolate, packument, publish
from tests.support.registry_server import RegistryServer


def registry_args(server: RegistryServer, cache: Path | None = None) -> list[str]:
    where = ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    return [
        "--npm-registry",
        server.url,
        "--pypi-url",
        f"{server.url}/simple",
        "--python-version",
        "3.11",
        "--platform",
        "linux",
        *where,
    ]


def invoke(*argv: str | Path) -> Run:
    result = CliRunner().invoke(app, [str(a) for a in argv])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def run_fix(server: RegistryServer, *args: str | Path) -> Run:
    return invoke("fix", *args, *registry_args(server))


def run_scan_json(server: RegistryServer, *args: str | Path) -> Run:
    return invoke("scan", "-f", "json", "--allow-incomplete", *args, *registry_args(server))


def rule_ids(run: Run, connector: str) -> set[str]:
    [found] = [c for c in run.json()["connectors"] if c["name"] == connector]
    return {f["rule_id"] for f in found["findings"]}


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def registry(registry_server: RegistryServer) -> RegistryServer:
    """npm: acme-mcp 1.0.0 and 1.2.3 (latest), acme-proxy 2.0.0; PyPI: acme-tool 1.0 and
    2.0.1."""
    publish(
        registry_server,
        packument("acme-mcp", {"1.0.0": {}, "1.2.3": {}}),
        packument("@acme/server", {"0.9.0": {}, "0.9.1": {}}),
    )
    index = SyntheticIndex(registry_server)
    index.add("acme-tool", "1.0").add("acme-tool", "2.0.1")
    index.publish()
    return registry_server
