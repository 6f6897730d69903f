"""npm's engine-aware choice (npm-pick-manifest with npm-install-checks' ``checkEngine``),
on recorded real packuments whose ``engines.node`` rises across versions, and the node
runtime a scan resolves for."""

from __future__ import annotations

import copy
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcpscan.ecosystems.npm.spec import parse_spec
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.registry.npm import UNREADABLE_ENGINE, NpmRegistry, Packument
from mcpscan.resolve.npm import node as node_runtime
from mcpscan.resolve.npm.pick import pick_version
from tests.support.registry_server import RegistryServer

ENGINES = Path(__file__).parents[1] / "fixtures" / "npm" / "engines"


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(HttpConfig(cache_dir=None, retries=0, timeout=5)) as http:
        yield http


def packument(server: RegistryServer, client: HttpClient, doc: dict[str, Any]) -> Packument:
    name = doc["name"]
    server.add("/" + name.replace("/", "%2F"), json.dumps(doc))
    return NpmRegistry(client, server.url).package(name)


def recorded(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((ENGINES / f"{name}.json").read_text())
    return found


def pick(p: Packument, spec: str, node: str | None, npm: str | None = None) -> str:
    parsed = parse_spec(p.name, spec)
    return pick_version(p, parsed, node, npm_version=npm).version


# -- picking ---------------------------------------------------------------------------------


def test_latest_needs_a_newer_node_so_the_highest_compatible_wins(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    # md-to-pdf asks for puppeteer >=8.0.0; latest 25.16.0 needs node >=22.12.0.
    p = packument(registry_server, client, recorded("puppeteer"))
    assert p.dist_tags["latest"] == "25.16.0"
    assert pick(p, ">=8.0.0", "20.20.2") == "24.43.1"  # what npm 11 on node 20 locks
    assert pick(p, ">=8.0.0", "22.12.0") == "25.16.0"
    assert pick(p, ">=8.0.0", "22.11.0") == "24.43.1"
    assert pick(p, ">=8.0.0", None) == "25.16.0"  # no node: no preference


def test_a_range_within_the_compatible_versions(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    # desktop-commander asks for @supabase/supabase-js ^2.89.0; 2.110.0 on need node >=22.
    p = packument(registry_server, client, recorded("supabase-supabase-js"))
    assert pick(p, "^2.89.0", "20.20.2") == "2.109.0"
    assert pick(p, "^2.89.0", "22.0.0") == "2.119.1"
    assert pick(p, "~2.110.0", "20.20.2") == "2.110.9"  # nothing fits: the highest anyway


def test_prereleases_of_node_satisfy_engines_as_in_checkEngine(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    p = packument(registry_server, client, recorded("puppeteer"))
    assert pick(p, ">=8.0.0", "22.12.0-pre") == "24.43.1"  # below 22.12.0
    assert pick(p, ">=8.0.0", "23.0.0-nightly") == "25.16.0"  # includePrerelease


def test_engines_npm_counts_with_the_npm_version(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    doc = copy.deepcopy(recorded("supabase-supabase-js"))
    doc["versions"]["2.109.0"]["engines"]["npm"] = ">=12"  # a forged variant
    p = packument(registry_server, client, doc)
    assert pick(p, "^2.89.0", "20.20.2", "11.19.1") == "2.108.2"
    assert pick(p, "^2.89.0", "20.20.2", None) == "2.109.0"  # npm unknown: not checked
    assert pick(p, "^2.89.0", "20.20.2", "12.0.0") == "2.109.0"


def test_deprecation_ranks_below_engines(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    doc = copy.deepcopy(recorded("supabase-supabase-js"))
    doc["versions"]["2.109.0"]["deprecated"] = "use 2.108.2"
    p = packument(registry_server, client, doc)
    # not deprecated and engine ok first, then engine ok, then not deprecated
    assert pick(p, "^2.89.0", "20.20.2") == "2.108.2"
    assert pick(p, "2.109.0 || 2.119.1", "20.20.2") == "2.109.0"  # engine ok beats deprecated


@pytest.mark.parametrize("bad", [18, ["node >=0.4"], True])
def test_engines_that_are_not_a_range(
    registry_server: RegistryServer, client: HttpClient, bad: object
) -> None:
    doc = copy.deepcopy(recorded("supabase-supabase-js"))
    doc["versions"]["2.119.1"]["engines"] = {"node": bad}
    p = packument(registry_server, client, doc)
    assert p.versions["2.119.1"].engines_node == UNREADABLE_ENGINE
    # semver.satisfies(node, 18) is false in node: such a version is not engine-ok
    assert pick(p, "2.119.1 || 2.108.2", "22.0.0") == "2.108.2"


def test_engines_that_are_not_an_object_are_no_constraint(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    doc = copy.deepcopy(recorded("supabase-supabase-js"))
    doc["versions"]["2.119.1"]["engines"] = ["node >= 99"]
    p = packument(registry_server, client, doc)
    assert p.versions["2.119.1"].engines_node is None
    assert pick(p, "^2.89.0", "20.20.2") == "2.119.1"


# -- the runtime ------------------------------------------------------------------------------


def _program(folder: Path, name: str, script: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_node_on_path_is_asked_once(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    _program(bin_dir, "node", f'echo x >> "{calls}"\necho v20.20.2\n')
    env = {"PATH": str(bin_dir)}
    cache = tmp_path / "cache"
    first = node_runtime.node_runtime(None, env=env, cache_dir=cache)
    assert (first.node, first.npm) == ("20.20.2", None)
    assert first.source == f"node on PATH ({bin_dir / 'node'})"
    assert node_runtime.node_runtime(None, env=env, cache_dir=cache).node == "20.20.2"
    assert calls.read_text().count("x") == 1  # the answer was kept


def test_the_npm_version_is_read_not_run(tmp_path: Path) -> None:
    lib = tmp_path / "lib" / "node_modules" / "npm"
    cli = _program(lib / "bin", "npm-cli.js", "exit 99\n")
    (lib / "package.json").write_text(json.dumps({"name": "npm", "version": "11.19.1"}))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(cli, bin_dir / "npm")
    found = node_runtime.node_runtime("22.1.0", env={"PATH": str(bin_dir)})
    assert (found.node, found.npm, found.source) == ("22.1.0", "11.19.1", "--node-version")


def test_no_node_means_the_current_lts(tmp_path: Path) -> None:
    found = node_runtime.node_runtime(None, env={"PATH": str(tmp_path)})
    assert found.node == node_runtime.LTS_NODE
    assert found.source == "the current LTS"


@pytest.mark.parametrize("output", ["v20\n", "hello\n", "", "v20.1.2; rm -rf /\n"])
def test_a_node_that_prints_no_version_is_not_believed(tmp_path: Path, output: str) -> None:
    bin_dir = tmp_path / "bin"
    _program(bin_dir, "node", f"printf '{output}'\n")
    found = node_runtime.node_runtime(None, env={"PATH": str(bin_dir)})
    assert found.node == node_runtime.LTS_NODE


def test_relative_path_entries_are_not_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _program(tmp_path / "planted", "node", "echo v1.2.3\n")
    monkeypatch.chdir(tmp_path)
    found = node_runtime.node_runtime(None, env={"PATH": "planted"})
    assert found.node == node_runtime.LTS_NODE


def test_node_options_are_not_passed_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    _program(
        bin_dir, "node", 'if [ -n "$NODE_OPTIONS" ]; then echo v6.6.6; else echo v20.0.1; fi\n'
    )
    monkeypatch.setenv("NODE_OPTIONS", "--require /tmp/evil.js")
    assert node_runtime.node_runtime(None, env={"PATH": str(bin_dir)}).node == "20.0.1"


@pytest.mark.parametrize("wanted", ["twenty", ">=20", "v20.1.2.3", "20.x", ""])
def test_a_node_version_option_that_is_not_a_version(wanted: str) -> None:
    with pytest.raises(ValueError, match="not a node version"):
        node_runtime.node_runtime(wanted, env={"PATH": ""})


@pytest.mark.parametrize(
    ("wanted", "node"), [("v22.12.0", "22.12.0"), ("20", "20.0.0"), ("22.4", "22.4.0")]
)
def test_a_node_version_option(wanted: str, node: str) -> None:
    assert node_runtime.node_runtime(wanted, env={"PATH": ""}).node == node
