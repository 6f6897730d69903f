"""Whole scans whose registry answers decide the outcome: a missing package fails closed, a
broken registry makes the scan incomplete, an install script is reported, and
``--no-resolve`` asks no registry at all."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.support.registry_server import RegistryServer, Route

from .conftest import Env, no_sockets, npx, packument, publish, rules, run_scan, uvx, write_config

REGISTRY_RULES = ("SC07", "SC08", "SC09", "SC10", "SC11", "SC13", "SC14")


def test_missing_packages_fail_closed(server: RegistryServer, env: Env) -> None:
    # Nothing is published: the registry answers 404 for both (the server's default).
    config = write_config(
        env.cwd / ".mcp.json",
        {
            "ghost": npx("ghost-mcp-server@1.0.0"),
            "pyghost": uvx("ghost-mcp-server-py==1.0"),
        },
    )
    run = run_scan(server, config, "-f", "json", cache=env.tmp / "cache")
    assert run.code == 1, run.stderr
    report = run.json()
    assert (report["verdict"], report["incomplete"]) == ("fail", False)
    npm_hit = rules(report, "ghost")["SC13"]
    assert [(f["severity"], f["message"]) for f in npm_hit] == [
        ("high", "npm package ghost-mcp-server (1.0.0) does not exist on the registry")
    ]
    [py_hit] = rules(report, "pyghost")["SC13"]
    assert py_hit["severity"] == "high"
    assert "ghost-mcp-server-py" in py_hit["message"]
    assert "does not exist" in py_hit["message"]
    for name in ("ghost", "pyghost"):
        [conn] = [c for c in report["connectors"] if c["name"] == name]
        assert conn["verdict"] == "fail"
        assert [p["reason"] for p in conn["graph"]["problems"]] == ["not-found"]
    assert server.count("/ghost-mcp-server") == 1
    assert server.count("/simple/ghost-mcp-server-py/") == 1


def test_a_misspelled_well_known_package_says_did_you_mean(
    server: RegistryServer, env: Env
) -> None:
    # Nothing is published: the vendor's scope has no "server-filesystm" (404).
    config = write_config(
        env.cwd / ".mcp.json", {"fs": npx("@modelcontextprotocol/server-filesystm", "/tmp")}
    )
    run = run_scan(server, config, "-f", "json")
    assert run.code == 1, run.stderr
    found = rules(run.json(), "fs")
    [hint] = found["SC10"]
    assert hint["message"] == (
        "server package @modelcontextprotocol/server-filesystm does not exist on the "
        "registry: did you mean @modelcontextprotocol/server-filesystem?"
    )
    assert hint["severity"] == "high"
    assert [f["severity"] for f in found["SC13"]] == ["high"]


def test_missing_dependency_fails_closed_naming_its_path(server: RegistryServer, env: Env) -> None:
    publish(server, packument("host-mcp", {"1.0.0": {"dependencies": {"gone-dep": "^2.0.0"}}}))
    config = write_config(env.cwd / ".mcp.json", {"host": npx("host-mcp@1.0.0")})
    run = run_scan(server, config, "-f", "json")
    assert run.code == 1, run.stderr
    [hit] = rules(run.json(), "host")["SC13"]
    assert hit["message"] == "npm package gone-dep (^2.0.0) does not exist on the registry"
    assert hit["evidence"] == "required via pkg:npm/host-mcp@1.0.0"


@pytest.mark.usefixtures("fast_retries")
def test_registry_answering_500_is_incomplete_never_a_pass(
    server: RegistryServer, env: Env
) -> None:
    server.fallback = lambda path: Route(
        status=500, body=b"upstream down", content_type="text/plain"
    )
    # Pinned: with the registry answering, these would pass; unanswered, they must not.
    config = write_config(
        env.cwd / ".mcp.json",
        {
            "remote": npx("mcp-remote@0.1.16"),
            "time": uvx("mcp-server-time==2026.10.19"),
        },
    )
    run = run_scan(server, config, "-f", "json")
    assert run.code == 3
    assert "npm resolution failed" in run.stderr
    assert "answered 500" in run.stderr
    assert "pypi resolution failed" in run.stderr
    assert "scan incomplete" in run.stderr
    report = run.json()
    assert report["incomplete"] is True
    assert {d["message"].split(":")[0] for d in report["diagnostics"]} == {"remote", "time"}
    # Retried before giving up (the CLI's three retries), then reported, not skipped.
    assert server.count("/mcp-remote") == 4
    assert server.count("/simple/mcp-server-time/") == 4

    allowed = run_scan(server, config, "-f", "json", "--allow-incomplete")
    report = allowed.json()
    assert report["incomplete"] is True
    assert allowed.code == {"pass": 0, "fail": 1}[report["verdict"]]
    assert "scan incomplete" not in allowed.stderr


@pytest.mark.usefixtures("fast_retries")
def test_500_with_allow_incomplete_keeps_a_failing_verdict(
    server: RegistryServer, env: Env
) -> None:
    server.fallback = lambda path: Route(status=503, body=b"", content_type="text/plain")
    config = write_config(env.cwd / ".mcp.json", {"remote": npx("mcp-remote")})  # SC01 high
    assert run_scan(server, config).code == 3  # incomplete outranks fail
    assert run_scan(server, config, "--allow-incomplete").code == 1


def test_no_resolve_opens_no_socket_and_lists_registry_rules_not_run(
    server: RegistryServer, env: Env
) -> None:
    config = write_config(
        env.cwd / ".mcp.json",
        {
            "remote": npx("mcp-remote@0.1.16"),
            "time": uvx("mcp-server-time==2026.10.19"),
        },
    )
    with no_sockets(env.mp) as attempts:
        run = run_scan(server, config, "-f", "json", "--no-resolve", cache=env.tmp / "cache")
    assert attempts == []
    assert server.requests == []
    assert not (env.tmp / "cache").exists()
    assert run.code == 0, run.stderr
    report = run.json()
    assert [c["graph"] for c in report["connectors"]] == [None, None]
    [line] = [line for line in report["checks_not_run"] if "registry" in line]
    assert line.startswith(", ".join(REGISTRY_RULES) + " (need registry data")
    assert "need registry data" in run_scan(server, config, "--no-resolve").stdout
    # The opt-out is a visible gap: never a clean 100, but the exit code follows the verdict.
    for conn in report["connectors"]:
        coverage = {c["family"]: c for c in conn["coverage"]}
        assert coverage["resolution"]["cause"] == "disabled"
        assert coverage["resolution"]["reason"] == "disabled by the user (--no-resolve)"
        assert coverage["advisories"]["state"] == "not-run"
        assert conn["score"] <= 99
    assert report["connectors"][1]["findings"] == []
    assert report["connectors"][1]["score"] == 99  # no finding, yet not a clean 100
    assert report["summary"]["coverage_gaps"] == 2


def test_no_resolve_from_the_environment(server: RegistryServer, env: Env) -> None:
    env.mp.setenv("MCPSCAN_RESOLVE", "false")
    config = write_config(env.cwd / ".mcp.json", {"remote": npx("mcp-remote@0.1.16")})
    with no_sockets(env.mp) as attempts:
        run = run_scan(server, config, "-f", "json")
    assert attempts == []
    assert run.code == 0
    assert run.json()["connectors"][0]["graph"] is None


def _installer(scripts: dict[str, str], **fields: Any) -> dict[str, Any]:
    return packument(
        "installer-mcp",
        {
            "0.9.0": {},
            "1.0.0": {
                "scripts": {"build": "tsc", **scripts},
                "dependencies": {"native-addon": "^3.1.0"},
                **fields,
            },
        },
    )


def test_install_script_of_the_launched_package_and_of_a_dependency(
    server: RegistryServer, env: Env
) -> None:
    publish(
        server,
        _installer({"postinstall": "node ./collect.js"}),
        # binding.gyp and no script of its own: npm runs node-gyp, the registry flags it.
        packument("native-addon", {"3.1.4": {"gypfile": True, "hasInstallScript": True}}),
    )
    config = write_config(env.cwd / ".mcp.json", {"installer": npx("installer-mcp@1.0.0")})
    run = run_scan(server, config, "-f", "json")
    assert run.code == 1, run.stderr
    report = run.json()
    found = {f["component"]: f for f in rules(report, "installer")["SC07"]}
    root, dep = found["pkg:npm/installer-mcp@1.0.0"], found["pkg:npm/native-addon@3.1.4"]
    assert (root["severity"], root["evidence"]) == ("high", "scripts: postinstall")
    assert "the launched package installer-mcp@1.0.0 runs code at install time" in root["message"]
    assert (dep["severity"], dep["evidence"]) == ("medium", "scripts: install")
    assert report["verdict"] == "fail"
    # Only SC07 blocks: the rest of the packument is unremarkable.
    assert {
        f["rule_id"] for c in report["connectors"] for f in c["findings"] if f["severity"] == "high"
    } == {"SC07"}


def test_scripts_that_do_not_run_at_install_are_not_reported(
    server: RegistryServer, env: Env
) -> None:
    publish(
        server,
        _installer({"prepare": "tsc", "test": "vitest"}),
        packument("native-addon", {"3.1.4": {}}),
    )
    config = write_config(env.cwd / ".mcp.json", {"installer": npx("installer-mcp@1.0.0")})
    run = run_scan(server, config, "-f", "json")
    assert run.code == 0, run.stderr
    assert "SC07" not in rules(run.json(), "installer")


@pytest.mark.usefixtures("fast_retries")
def test_unreachable_registry_is_incomplete(env: Env) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_config(env.cwd / ".mcp.json", {"remote": npx("mcp-remote@0.1.16")})
    run = run_scan(f"http://127.0.0.1:{port}", config, "-f", "json")
    assert run.code == 3
    assert f"remote: npm resolution failed: cannot reach http://127.0.0.1:{port}" in run.stderr
    assert run.json()["incomplete"] is True
