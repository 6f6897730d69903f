"""A directory target whose lockfile locks the launched package: the lockfile wins."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.support.registry_server import RegistryServer

from .conftest import Env, npx, rules, run_scan, sha512_hex, write_config

LOCKS = Path(__file__).resolve().parents[1] / "fixtures" / "lockfiles"
MEMORY = "@modelcontextprotocol/server-memory"


def _locked_set(lock: dict[str, Any]) -> set[tuple[str, str]]:
    """(name, version) of every non-dev entry of a package-lock v3, nested copies included."""
    return {
        (path.rsplit("node_modules/", 1)[1], entry["version"])
        for path, entry in lock["packages"].items()
        if path and not entry.get("dev")
    }


def test_lockfile_decides_the_graph(server: RegistryServer, env: Env) -> None:
    project = env.cwd / "project"
    project.mkdir()
    for name in ("package-lock.json", "package.json"):
        shutil.copy(LOCKS / "npm-v3" / name, project / name)
    write_config(project / ".mcp.json", {"memory": npx(MEMORY)})
    lock = json.loads((project / "package-lock.json").read_text())

    run = run_scan(server, project, "-f", "json", cache=env.tmp / "cache")
    assert run.code == 1, run.stderr  # SC01: npx without a version, lockfile or not
    report = run.json()
    assert report["incomplete"] is False
    [conn] = report["connectors"]
    graph = conn["graph"]
    root_purl = "pkg:npm/%40modelcontextprotocol/server-memory@2026.8.31"
    assert graph["roots"] == [
        {"purl": root_purl, "name": MEMORY, "version": "2026.8.31", "decided_by": "lockfile"}
    ]
    assert {n["decided_by"] for n in graph["nodes"]} == {"lockfile"}
    assert {(n["name"], n["version"]) for n in graph["nodes"]} == _locked_set(lock)
    assert graph["size"] == 96  # the dev dependency is-odd (and is-number) left out
    assert ("is-odd", "3.0.1") not in {(n["name"], n["version"]) for n in graph["nodes"]}
    [root] = [n for n in graph["nodes"] if n["purl"] == root_purl]
    integrity = lock["packages"][f"node_modules/{MEMORY}"]["integrity"]
    assert root["digests"][0] == {"algorithm": "sha512", "value": sha512_hex(integrity)}
    assert graph["problems"] == []

    found = rules(report, "memory")
    # The registry was not asked about locked packages: their facts are unknown, and the
    # report says so (a registry gap, once) instead of claiming anything about them.
    assert "SC09" not in found
    gaps = {g["fact"]: g for g in conn["registry_gaps"]}
    assert gaps["a source repository"]["rule"] == "SC09"
    assert gaps["a source repository"]["packages"] == [root_purl]
    assert conn["score"] <= 99
    # package-lock v2+ records hasInstallScript on every package that has one, so its absence
    # is a fact, not an unknown: none of these locked packages runs code at install.
    assert "SC07" not in found


def test_lockfile_install_script_flag_reaches_sc07(server: RegistryServer, env: Env) -> None:
    project = env.cwd / "project"
    project.mkdir()
    integrity = "sha512-" + "A" * 86 + "=="
    lock = {
        "name": "project",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {
            "": {
                "name": "project",
                "version": "1.0.0",
                "dependencies": {"installer-mcp": "^1.0.0"},
            },
            "node_modules/installer-mcp": {
                "version": "1.0.0",
                "resolved": "https://registry.npmjs.org/installer-mcp/-/installer-mcp-1.0.0.tgz",
                "integrity": integrity,
                "hasInstallScript": True,
            },
        },
    }
    (project / "package-lock.json").write_text(json.dumps(lock, indent=2))
    write_config(project / ".mcp.json", {"installer": npx("installer-mcp@1.0.0")})
    run = run_scan(server, project, "-f", "json")
    report = run.json()
    [conn] = report["connectors"]
    assert conn["graph"]["roots"][0]["decided_by"] == "lockfile"
    assert [(f["severity"], f["component"]) for f in rules(report, "installer")["SC07"]] == [
        ("high", "pkg:npm/installer-mcp@1.0.0")
    ]
