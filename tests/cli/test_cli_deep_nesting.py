"""A config (or registry answer) nested 100,000 deep is that input's error: the other inputs
are still scanned, the report is written, and the scan says it is incomplete."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from mcpscan.errors import RegistryError
from mcpscan.net.http import HttpClient, HttpConfig
from tests.support import hostile_server as hs

from .conftest import CliFn, Workspace, write_json

DEPTH = 100_000
GOOD = {"mcpServers": {"good": {"command": "npx", "args": ["-y", "good-mcp@1.0.0"]}}}

DEEP = {
    "deep.json": '{"mcpServers": {"a": {"command": "npx", "env": '
    + "[" * DEPTH
    + "]" * DEPTH
    + "}}}",
    "deep.yaml": "mcpServers:\n  a:\n    x: " + "[" * DEPTH + "]" * DEPTH + "\n",
    "deep.toml": '[mcp_servers.a]\ncommand = "npx"\nx = ' + "[" * DEPTH + "]" * DEPTH + "\n",
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(DEEP))
def test_a_deeply_nested_config_is_its_own_error(
    name: str, cli: CliFn, workspace: Workspace
) -> None:
    deep = workspace.cwd / name
    deep.write_text(DEEP[name], encoding="utf-8")
    good = write_json(workspace.cwd / "good.json", GOOD)
    run = cli("scan", deep, good, "-f", "json")
    assert run.code == 3, run.stderr
    assert "internal error" not in run.stderr
    assert f"{name}" in run.stderr
    report = json.loads(run.stdout)
    assert [c["name"] for c in report["connectors"]] == ["good"]
    assert report["incomplete"] is True


@pytest.fixture
def hostile() -> Iterator[hs.HostileServer]:
    yield from hs.running()


@pytest.mark.timeout(30)
def test_a_deeply_nested_registry_answer_is_a_registry_error(hostile: hs.HostileServer) -> None:
    hostile.routes["/pkg"] = hs.answer(b"[" * DEPTH + b"]" * DEPTH)
    with (
        HttpClient(HttpConfig(backoff=0.0)) as http,
        pytest.raises(RegistryError, match="nested too deeply"),
    ):
        http.get_json(f"{hostile.url}/pkg")
