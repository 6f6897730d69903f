"""Secret canaries: literal credentials planted in the configs of several clients must never
reach any output of ``scan`` or ``discover`` (table, JSON, -o file, stderr), even when the
file breaks right after the secret. The findings must still name them (ID01/ID03), so
these tests fail if detection, not only redaction, breaks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import (
    PINNED,
    CliFn,
    Run,
    Workspace,
    run_subprocess,
    write_json,
    write_text,
)

ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _mixed(n: int) -> str:
    """Random alphanumerics that surely hold a digit and a letter (a "random-looking key")."""
    return _rand(n - 2) + secrets.choice(string.digits) + secrets.choice(string.ascii_letters)


@dataclass(frozen=True)
class Canaries:
    github: str = "ghp_" + _rand(36)
    anthropic: str = "sk-ant-api03-" + _rand(40)
    slack: str = f"xoxb-{_rand(12, string.digits)}-{_rand(12, string.digits)}-{_rand(24)}"
    aws: str = "AKIA" + _rand(16, string.ascii_uppercase + string.digits)
    base64: str = base64.b64encode(secrets.token_bytes(30)).decode()  # 40 chars
    gitlab: str = "glpat-" + _rand(20)
    huggingface: str = "hf_" + _rand(34)
    npm: str = "npm_" + _rand(36)
    openai: str = "sk-proj-" + _rand(40)
    supabase: str = "sbp_" + _rand(40)
    linear: str = "lin_api_" + _rand(40)
    entropy: str = _mixed(40)
    dockerfile: str = "ghp_" + _rand(36)  # only in files that break right after it

    def values(self) -> list[str]:
        return list(vars(self).values())


# connector name -> (rule ids it must be reported under, the token kind named in a message)
EXPECTED: dict[str, tuple[set[str], str | None]] = {
    "github": ({"ID01"}, "GitHub classic token"),
    "settings": ({"ID01"}, "high-entropy value"),
    "remote-proxy": ({"ID01"}, "Anthropic API key"),
    "gateway": ({"ID01"}, "Slack token"),
    "container": ({"ID01"}, "AWS access key id"),
    "userinfo": ({"ID03"}, None),
    "zapier": ({"ID03"}, None),
    "codex-remote": ({"ID01"}, "OpenAI API key"),
    "vscode-api": ({"ID01"}, None),
    "io.github.acme/canary [remote 1]": ({"ID01"}, "Supabase token"),
}
PROJECT_FILES = (".vscode/mcp.json", "server.json")
USER_FILES = (
    ".config/Claude/claude_desktop_config.json",
    ".cursor/mcp.json",
    ".codeium/windsurf/mcp_config.json",
    ".codex/config.toml",
)


def plant(home: Path, project: Path, c: Canaries) -> list[Path]:
    """Configs of six clients, at the places discovery looks on Linux; returns their paths."""
    mcp_remote = ["-y", "mcp-remote@0.1.29", "https://mcp.example.com/sse"]
    write_json(
        home / USER_FILES[0],
        {
            "mcpServers": {
                "github": {
                    "command": "npx",
                    "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
                    "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": c.github},
                },
                "settings": {**PINNED, "env": {"MY_SETTING": c.entropy}},
                "remote-proxy": {
                    "command": "npx",
                    "args": [*mcp_remote, "--header", f"Authorization:Bearer {c.anthropic}"],
                },
                "gateway": {
                    "command": "npx",
                    "args": [
                        "-y",
                        "supergateway@3.4.0",
                        "--sse",
                        "https://mcp.example.com/sse",
                        "--oauth2Bearer",
                        c.slack,
                    ],
                },
                "container": {
                    "command": "docker",
                    "args": [
                        "run",
                        "-i",
                        "--rm",
                        "-e",
                        f"AWS_ACCESS_KEY_ID={c.aws}",
                        "ghcr.io/acme/mcp@sha256:" + "0123456789abcdef" * 4,
                    ],
                },
            }
        },
    )
    write_json(
        home / USER_FILES[1],
        {"mcpServers": {"userinfo": {"url": f"https://deploy:{c.npm}@mcp.example.com/mcp"}}},
    )
    write_json(
        home / USER_FILES[2],
        {
            "mcpServers": {
                "zapier": {
                    "serverUrl": f"https://actions.zapier.com/mcp/{c.gitlab}/sse"
                    f"?api_key={c.huggingface}"
                }
            }
        },
    )
    write_text(
        home / USER_FILES[3],
        '[mcp_servers.codex-remote]\nurl = "https://mcp.example.com/mcp"\n'
        f'http_headers = {{ "Authorization" = "Bearer {c.openai}" }}\n',
    )
    write_json(
        project / PROJECT_FILES[0],
        {
            "inputs": [{"type": "promptString", "id": "tok", "password": True}],
            "servers": {
                "vscode-api": {
                    "type": "http",
                    "url": "https://api.example.com/mcp",
                    "headers": {"Authorization": f"Bearer {c.linear}", "X-Api-Key": c.base64},
                },
                "vscode-safe": {
                    "type": "http",
                    "url": "https://api.example.com/mcp",
                    "headers": {"Authorization": "Bearer ${input:tok}"},
                },
            },
        },
    )
    write_json(
        project / PROJECT_FILES[1],
        {
            "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
            "name": "io.github.acme/canary",
            "description": "canary",
            "version": "1.0.0",
            "remotes": [
                {
                    "type": "streamable-http",
                    "url": "https://canary.example.com/mcp",
                    "headers": [{"name": "X-Token", "value": c.supabase, "isSecret": True}],
                }
            ],
        },
    )
    return [home / f for f in USER_FILES] + [project / f for f in PROJECT_FILES]


@pytest.fixture
def canaries() -> Canaries:
    return Canaries()


@pytest.fixture
def planted(workspace: Workspace, canaries: Canaries) -> list[Path]:
    return plant(workspace.home, workspace.cwd, canaries)


def assert_clean(c: Canaries, *texts: str) -> None:
    leaked = [
        name
        for name, value in vars(c).items()
        for text in texts
        if value in text or f"Bearer {value}" in text
    ]
    assert leaked == [], f"secret canaries leaked: {sorted(set(leaked))}"


def _outputs(run: Run) -> tuple[str, str]:
    return run.stdout, run.stderr


def check_findings(report: dict[str, Any], c: Canaries) -> None:
    by_name = {conn["name"]: conn for conn in report["connectors"]}
    assert set(EXPECTED) <= by_name.keys(), sorted(by_name)
    for name, (rules, kind) in EXPECTED.items():
        findings = by_name[name]["findings"]
        assert rules <= {f["rule_id"] for f in findings}, (name, findings)
        if kind is not None:
            assert any(kind in f["message"] for f in findings), (name, kind, findings)
    assert not by_name["vscode-safe"]["findings"]  # ${input:tok} is not a literal secret
    # The scan saw the very value planted: the report carries its fingerprint, not the value.
    env = by_name["github"]["env"][0]
    assert env["kind"] == "literal"
    assert env["fingerprint"] == "sha256:" + hashlib.sha256(c.github.encode()).hexdigest()[:12]


# -- scan ----------------------------------------------------------------------------------


def test_scan_of_discovered_configs_leaks_no_canary(
    cli: CliFn, workspace: Workspace, canaries: Canaries, planted: list[Path]
) -> None:
    out = workspace.cwd / "report.json"
    table = cli("scan")
    as_json = cli("scan", "-f", "json")
    to_file = cli("scan", "-f", "json", "-o", out)
    assert table.code == as_json.code == to_file.code == 1
    report = as_json.json()
    assert sorted(report["targets"]) == sorted(str(p) for p in planted)
    check_findings(report, canaries)
    assert "github" in table.stdout
    assert_clean(
        canaries,
        *_outputs(table),
        *_outputs(as_json),
        *_outputs(to_file),
        out.read_text(encoding="utf-8"),
    )


def test_scan_of_named_files_leaks_no_canary(
    cli: CliFn, workspace: Workspace, canaries: Canaries, planted: list[Path]
) -> None:
    table = cli("scan", *planted, "--no-color")
    as_json = cli("scan", *planted, "-f", "json")
    directory = cli("scan", ".", "-f", "json")  # the project files only
    assert table.code == as_json.code == directory.code == 1
    check_findings(as_json.json(), canaries)
    assert {c["source"]["file"] for c in directory.json()["connectors"]} == set(PROJECT_FILES)
    assert_clean(canaries, *_outputs(table), *_outputs(as_json), *_outputs(directory))


def test_redaction_keeps_the_json_report_valid(
    cli: CliFn, workspace: Workspace, canaries: Canaries
) -> None:
    # A secret-named setting whose literal is a common word must not blank that word (or
    # "true") all over the report: the document would stop being JSON or lose its keys.
    write_json(
        workspace.cwd / ".mcp.json",
        {
            "mcpServers": {
                "words": {
                    **PINNED,
                    "env": {
                        "AUTH_ENABLED": "true",
                        "API_KEY": "value",
                        "SESSION_STORE": "file",
                        "GITHUB_TOKEN": canaries.github,
                    },
                }
            }
        },
    )
    run = cli("scan", ".mcp.json", "-f", "json")
    report = run.json()
    connector = report["connectors"][0]
    assert connector["source"]["file"] == ".mcp.json"
    assert connector["enabled"] is True
    assert "ID01" in {f["rule_id"] for f in connector["findings"]}
    assert_clean(canaries, *_outputs(run))


# -- discover ------------------------------------------------------------------------------


def test_discover_leaks_no_canary(
    cli: CliFn, workspace: Workspace, canaries: Canaries, planted: list[Path]
) -> None:
    table = cli("discover")
    as_json = cli("discover", "-f", "json")
    assert table.code == as_json.code == 0
    listed = {cfg["path"] for cfg in as_json.json()["configs"]}
    assert listed == {str(p) for p in planted}
    assert "zapier" in table.stdout
    assert_clean(canaries, *_outputs(table), *_outputs(as_json))


# -- files that break after the secret -----------------------------------------------------


def _broken_files(c: Canaries) -> dict[str, tuple[str, int]]:
    """file name -> (text with the secret, then a syntax error; line of the error)."""
    s = c.dockerfile
    return {
        "after.json": (
            '{\n  "mcpServers": {\n    "x": {"command": "npx", "env": {"GITHUB_TOKEN": '
            f'"{s}"\n      "NEXT": 1}}}}\n}}\n',
            4,
        ),
        "sameline.json": (f'{{"mcpServers": {{"x": {{"env": {{"T": "{s}" "U": 1}}}}}}}}\n', 1),
        "unquoted.json": (f'{{\n"mcpServers": {{"x": {{"env": {{"T": {s}}}}}}}}}\n', 2),
        "unterminated.json": (f'{{\n"mcpServers": {{"x": {{"env": {{"T": "{s}}}}}}}\n', 2),
        "after.toml": (
            f'[mcp_servers.x]\ncommand = "npx"\nenv = {{ GITHUB_TOKEN = "{s}" BAD }}\n',
            3,
        ),
        "unquoted.toml": (f'[mcp_servers.x]\ncommand = "npx"\nenv = {{ T = {s} }}\n', 3),
        "after.yaml": (
            f'mcpServers:\n  x:\n    command: npx\n    env:\n      GITHUB_TOKEN: "{s}"\n'
            "    args: [\n",
            7,
        ),
        "sameline.yaml": (f"mcpServers:\n  x:\n    env: {{T: {s}: {s}}}\n", 3),
    }


def test_parse_error_after_a_secret_does_not_quote_it(
    cli: CliFn, workspace: Workspace, canaries: Canaries
) -> None:
    good = write_json(workspace.cwd / "good.json", {"mcpServers": {"kept": PINNED}})
    out = workspace.cwd / "r.json"
    for name, (text, line) in _broken_files(canaries).items():
        write_text(workspace.cwd / name, text)
        alone = cli("scan", name)
        assert alone.code == 2, (name, alone.stderr)
        with_good = cli("scan", name, good, "-f", "json")
        assert with_good.code == 3, (name, with_good.stderr)
        assert f"{name}:" in alone.stderr
        assert f"{name}:{line}" in with_good.stderr, (name, with_good.stderr)
        # The report file of an incomplete scan, written with --allow-incomplete.
        assert cli("scan", name, good, "-f", "json", "-o", out, "--allow-incomplete").code == 0
        assert_clean(
            canaries, *_outputs(alone), *_outputs(with_good), out.read_text(encoding="utf-8")
        )


def test_discover_of_a_broken_config_shows_the_error_not_the_secret(
    cli: CliFn, workspace: Workspace, canaries: Canaries
) -> None:
    text, line = _broken_files(canaries)["after.json"]
    write_text(workspace.home / ".cursor" / "mcp.json", text)
    table = cli("discover")
    as_json = cli("discover", "-f", "json")
    assert table.code == as_json.code == 0
    (config,) = as_json.json()["configs"]
    assert config["connectors"] == []
    assert any(f"mcp.json:{line}" in e for e in config["errors"])
    assert "unreadable" in table.stdout  # an unreadable config must not look empty
    assert_clean(canaries, *_outputs(table), *_outputs(as_json))


# -- a real process ------------------------------------------------------------------------


def test_no_canary_in_a_real_process(
    workspace: Workspace, canaries: Canaries, planted: list[Path]
) -> None:
    text, _ = _broken_files(canaries)["after.toml"]
    write_text(workspace.cwd / "broken.toml", text)
    out = workspace.cwd / "r.json"
    kw: dict[str, Any] = {"cwd": workspace.cwd, "home": workspace.home}
    table = run_subprocess("scan", **kw)
    as_json = run_subprocess(
        "scan", *planted, "broken.toml", "-f", "json", "-o", out, "--allow-incomplete", **kw
    )
    found = run_subprocess("discover", "-f", "json", **kw)
    assert table.code == 1, table.stderr
    assert as_json.code == 1  # incomplete, taken as it is (--allow-incomplete)
    assert "broken.toml:3" in as_json.stderr
    assert found.code == 0
    check_findings(json.loads(out.read_text(encoding="utf-8")), canaries)
    assert_clean(
        canaries,
        *_outputs(table),
        *_outputs(as_json),
        *_outputs(found),
        out.read_text(encoding="utf-8"),
    )


def test_no_canary_when_registry_resolution_fails(
    cli: CliFn, workspace: Workspace, canaries: Canaries, planted: list[Path]
) -> None:
    # Resolution on, but offline with an empty cache: every package is a cache miss, and
    # none of the resulting diagnostics may carry a configured value.
    as_json = cli("scan", "--resolve", "--offline", "-f", "json")
    table = cli("scan", "--resolve", "--offline")
    assert as_json.code == table.code == 3
    assert "not in the cache" in as_json.stderr
    report = as_json.json()
    assert report["incomplete"] is True
    check_findings(report, canaries)
    assert_clean(canaries, *_outputs(as_json), *_outputs(table))


def _more_shapes() -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Other places a credential hides in a launch: (config, canaries, connector -> rule)."""
    c = {
        k: "ghp_" + _rand(36)
        for k in (
            "spaced",
            "proxy",
            "command",
            "query",
            "shell",
            "gitauth",
            "dockerenv",
            "wrapped",
            "fragment",
            "positional",
            "sse",
        )
    }
    c |= {"flag-eq": _mixed(40), "flag-sep": _mixed(40)}
    remote = ["-y", "mcp-remote@0.1.29"]
    servers = {
        "spaced": {
            "command": "npx",
            "args": [
                *remote,
                "https://h.example.com/mcp",
                "--header",
                f"Authorization: Bearer {c['spaced']}",
            ],
        },
        "proxy": {
            "command": "uvx",
            "args": [
                "mcp-proxy@0.8.0",
                "--headers",
                "Authorization",
                f"Bearer {c['proxy']}",
                "https://h.example.com/sse",
            ],
        },
        "flag-eq": {"command": "npx", "args": ["-y", "s@1.0.0", f"--api-key={c['flag-eq']}"]},
        "flag-sep": {"command": "npx", "args": ["-y", "s@1.0.0", "--token", c["flag-sep"]]},
        "command": {
            "command": f"/usr/bin/env GITHUB_TOKEN={c['command']} npx",
            "args": ["-y", "s@1.0.0"],
        },
        "query": {"command": "npx", "args": [*remote, f"https://h.example.com/mcp?t={c['query']}"]},
        "shell": {"command": "bash", "args": ["-c", f"GITHUB_TOKEN={c['shell']} npx -y s@1.0.0"]},
        "gitauth": {"command": "npx", "args": ["-y", f"https://{c['gitauth']}@github.com/o/r"]},
        "dockerenv": {
            "command": "docker",
            "args": [
                "run",
                "-i",
                "--rm",
                "--env",
                f"TOKEN={c['dockerenv']}",
                "i@sha256:" + "a" * 64,
            ],
        },
        "wrapped": {
            "command": "npx",
            "args": [
                "-y",
                "supergateway@3.4.0",
                "--stdio",
                f"npx -y s@1.0.0 --token {c['wrapped']}",
            ],
        },
        "fragment": {"url": f"https://h.example.com/mcp#{c['fragment']}"},
        "positional": {"command": "npx", "args": ["-y", "s@1.0.0", c["positional"]]},
        "sse": {"type": "sse", "url": f"https://h.example.com/{c['sse']}/sse"},
    }
    url_rule = {"query", "fragment", "sse", "gitauth"}
    expected = {name: ("ID03" if name in url_rule else "ID01") for name in servers}
    return {"mcpServers": servers}, c, expected


def test_other_credential_shapes_are_found_and_never_printed(
    cli: CliFn, workspace: Workspace
) -> None:
    config, planted, expected = _more_shapes()
    write_json(workspace.cwd / ".mcp.json", config)
    table = cli("scan", ".mcp.json")
    as_json = cli("scan", ".mcp.json", "-f", "json")
    assert table.code == as_json.code == 1
    found = {c["name"]: {f["rule_id"] for f in c["findings"]} for c in as_json.json()["connectors"]}
    missed = {name: rule for name, rule in expected.items() if rule not in found[name]}
    assert missed == {}
    texts = (*_outputs(table), *_outputs(as_json))
    leaked = sorted(name for name, value in planted.items() if any(value in t for t in texts))
    assert leaked == []
