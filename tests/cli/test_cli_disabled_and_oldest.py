"""Issue 10: entries the client will not start, and the earliest server.json generation.

A disabled entry is reported with the verdict "disabled": its findings are shown at info
level (with the severity they would have once enabled) and count for neither the score nor
the exit code. Each client that has such a switch (client-configs.md) has a row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.cli.conftest import CliFn, Workspace

UNPINNED = ["-y", "some-unpinned-server"]  # SC01 high when it runs
PINNED = ["-y", "some-pinned-server@1.0.0"]


@dataclass(frozen=True)
class Client:
    id: str
    path: str  # where the config lives, relative to the working directory
    text: str  # a disabled "srv-off" entry (unpinned npx), an enabled "srv-on" one (pinned)


def _json(doc: object) -> str:
    return json.dumps(doc, indent=2)


CLIENTS = [
    Client(
        "cline disabled: true",
        "cline_mcp_settings.json",
        _json(
            {
                "mcpServers": {
                    "srv-off": {
                        "command": "npx",
                        "args": UNPINNED,
                        "disabled": True,
                        "autoApprove": [],
                    },
                    "srv-on": {"command": "npx", "args": PINNED, "disabled": False},
                }
            }
        ),
    ),
    Client(
        "roo disabled: true",
        "rooveterinaryinc.roo-cline/settings/cline_mcp_settings.json",
        _json(
            {
                "mcpServers": {
                    "srv-off": {"command": "npx", "args": UNPINNED, "disabled": True},
                    "srv-on": {"command": "npx", "args": PINNED},
                }
            }
        ),
    ),
    Client(
        "windsurf disabled: true",
        ".codeium/windsurf/mcp_config.json",
        _json(
            {
                "mcpServers": {
                    "srv-off": {"command": "npx", "args": UNPINNED, "disabled": True},
                    "srv-on": {"command": "npx", "args": PINNED},
                }
            }
        ),
    ),
    Client(
        "goose enabled: false",
        ".config/goose/config.yaml",
        "\n".join(
            [
                "extensions:",
                "  srv-off:",
                "    type: stdio",
                "    name: srv-off",
                "    enabled: false",
                "    cmd: npx",
                f"    args: {json.dumps(UNPINNED)}",
                "  srv-on:",
                "    type: stdio",
                "    name: srv-on",
                "    enabled: true",
                "    cmd: npx",
                f"    args: {json.dumps(PINNED)}",
                "",
            ]
        ),
    ),
    Client(
        "codex enabled = false",
        ".codex/config.toml",
        "\n".join(
            [
                "[mcp_servers.srv-off]",
                'command = "npx"',
                f"args = {json.dumps(UNPINNED)}",
                "enabled = false",
                "",
                "[mcp_servers.srv-on]",
                'command = "npx"',
                f"args = {json.dumps(PINNED)}",
                "",
            ]
        ),
    ),
    Client(
        "zed enabled: false",
        ".config/zed/settings.json",
        _json(
            {
                "context_servers": {
                    "srv-off": {
                        "source": "custom",
                        "command": "npx",
                        "args": UNPINNED,
                        "enabled": False,
                    },
                    "srv-on": {"source": "custom", "command": "npx", "args": PINNED},
                }
            }
        ),
    ),
    Client(
        "opencode enabled: false",
        "opencode.json",
        _json(
            {
                "mcp": {
                    "srv-off": {"type": "local", "command": ["npx", *UNPINNED], "enabled": False},
                    "srv-on": {"type": "local", "command": ["npx", *PINNED], "enabled": True},
                }
            }
        ),
    ),
    Client(
        "gemini mcp.excluded",
        ".gemini/settings.json",
        _json(
            {
                "mcp": {"excluded": ["srv-off"]},
                "mcpServers": {
                    "srv-off": {"command": "npx", "args": UNPINNED},
                    "srv-on": {"command": "npx", "args": PINNED},
                },
            }
        ),
    ),
]


@pytest.mark.parametrize("client", CLIENTS, ids=[c.id for c in CLIENTS])
def test_disabled_entries_are_info_and_do_not_count(
    cli: CliFn, workspace: Workspace, client: Client
) -> None:
    path = workspace.cwd / client.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(client.text, encoding="utf-8")
    run = cli("scan", str(path), "-f", "json")
    report = run.json()
    by_name = {c["name"]: c for c in report["connectors"]}
    off, on = by_name["srv-off"], by_name["srv-on"]
    assert off["enabled"] is False
    assert off["verdict"] == "disabled"
    [sc01] = [f for f in off["findings"] if f["rule_id"] == "SC01"]
    assert sc01["severity"] == "info"
    assert sc01["message"].endswith("(entry disabled; high if enabled)")
    assert {f["severity"] for f in off["findings"]} == {"info"}
    assert on["enabled"] is True
    assert on["verdict"] == "pass"
    # Excluded from the verdict and the overall score: only the enabled entry counts.
    assert (report["verdict"], report["score"]) == ("pass", on["score"])
    assert run.code == 0, report
    # Enabled, the same entry fails the scan.
    path.write_text(
        client.text.replace("some-pinned-server@1.0.0", "some-unpinned-server"), encoding="utf-8"
    )
    assert cli("scan", str(path), "-f", "json").code == 1


def test_every_client_with_a_disable_switch_is_covered() -> None:
    # client-configs.md: Cline/Roo and Windsurf "disabled"; Goose, Codex, Zed and opencode
    # "enabled"; Gemini's global mcp.excluded.
    names = {c.id.split()[0] for c in CLIENTS}
    assert names == {"cline", "roo", "windsurf", "goose", "codex", "zed", "opencode", "gemini"}


# The pre-release template of modelcontextprotocol/registry (tools/publisher/server.json at
# 81e5174, reference/client-configs.md §5.5 (c)), with a branch where a version belongs.
PRERELEASE = {
    "description": "<your description here>",
    "name": "io.github.acme/weather",
    "packages": [
        {
            "registry_name": "npm",
            "name": "@acme/weather-mcp",
            "version": "main",
            "package_arguments": [
                {
                    "description": "Specify services and permissions.",
                    "is_required": True,
                    "format": "string",
                    "value": "-s",
                    "default": "-s",
                    "type": "positional",
                    "value_hint": "-s",
                },
            ],
            "environment_variables": [
                {"description": "API Key to access the server", "name": "API_KEY"},
            ],
        },
        {"registry_name": "pypi", "name": "acme-weather", "version": "master"},
        {
            "registry_name": "docker",
            "name": "acme/weather-cli",
            "version": "0.123.223",
            "runtime_hint": "docker",
        },
    ],
    "repository": {"url": "https://github.com/acme/weather", "source": "github"},
    "version_detail": {"version": "0.0.1-dev"},
}


def test_the_earliest_server_json_yields_its_connectors(cli: CliFn, workspace: Workspace) -> None:
    path = workspace.cwd / "server.json"
    path.write_text(json.dumps(PRERELEASE), encoding="utf-8")
    run = cli("scan", str(path), "-f", "json")
    report = run.json()
    by_name = {c["name"]: c for c in report["connectors"]}
    assert set(by_name) == {
        "io.github.acme/weather [npm @acme/weather-mcp]",
        "io.github.acme/weather [pypi acme-weather]",
        "io.github.acme/weather [oci acme/weather-cli]",
    }
    npm = by_name["io.github.acme/weather [npm @acme/weather-mcp]"]
    pypi = by_name["io.github.acme/weather [pypi acme-weather]"]
    oci = by_name["io.github.acme/weather [oci acme/weather-cli]"]
    # A branch as the version is a tag that moves: SC01, for npm and PyPI alike.
    for conn, spec in ((npm, "@acme/weather-mcp@main"), (pypi, "acme-weather@master")):
        [pkg] = conn["packages"]
        assert (pkg["spec"], pkg["version_kind"], pkg["pinned"]) == (spec, "tag", False)
        assert "SC01" in {f["rule_id"] for f in conn["findings"]}
    assert [e["name"] for e in npm["env"]] == ["API_KEY"]
    assert npm["server_name"] == "io.github.acme/weather"
    assert npm["repository"] == "https://github.com/acme/weather"
    # "docker" is the pre-release name of the OCI registry type: the image is unchecked.
    [image] = oci["packages"]
    assert (image["ecosystem"], image["spec"]) == ("oci", "acme/weather-cli:0.123.223")
    assert "EX04" in {f["rule_id"] for f in oci["findings"]}
    assert report["diagnostics"] == []
    assert run.code == 1


# Clients that read no per-entry switch start the entry whatever it says: a "disabled" or
# "enabled" key written there must not take a connector out of the verdict.
IGNORED_SWITCHES = [
    ("claude desktop", "claude_desktop_config.json", "mcpServers"),
    ("claude code", ".mcp.json", "mcpServers"),
    ("cursor", ".cursor/mcp.json", "mcpServers"),
    ("vscode", ".vscode/mcp.json", "servers"),
]


@pytest.mark.parametrize(
    ("client", "name", "section"), IGNORED_SWITCHES, ids=[c for c, _, _ in IGNORED_SWITCHES]
)
def test_a_switch_the_client_does_not_read_hides_nothing(
    cli: CliFn, workspace: Workspace, client: str, name: str, section: str
) -> None:
    path = workspace.cwd / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        _json(
            {
                section: {
                    "srv-off": {
                        "command": "npx",
                        "args": UNPINNED,
                        "disabled": True,
                        "enabled": False,
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    run = cli("scan", str(path), "-f", "json")
    [connector] = run.json()["connectors"]
    assert connector["verdict"] != "disabled"
    assert any(f["rule_id"] == "SC01" and f["severity"] == "high" for f in connector["findings"])
    assert run.json()["verdict"] == "fail"
