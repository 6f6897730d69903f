"""Every client format: connectors, names, file:line, transport, settings and options."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpscan.models import Connector, Setting, ValueKind
from mcpscan.sources import ParseResult, SourceError, parse_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "configs"
SECRET = "ghp_EXAMPLEexampleEXAMPLEexample00000000"


def parse(relative: str, **kwargs: str) -> ParseResult:
    return parse_file(FIXTURES / relative, display=relative, **kwargs)


def by_name(result: ParseResult) -> dict[str, Connector]:
    return {c.name: c for c in result.connectors}


def where(connector: Connector) -> str:
    return f"{connector.source.file}:{connector.source.line}"


def settings(items: tuple[Setting, ...]) -> dict[str, tuple[str, str, bool]]:
    return {s.name: (s.kind.value, s.origin, s.secret) for s in items}


def test_claude_code_project_file() -> None:
    result = parse("claude-code/.mcp.json")
    servers = by_name(result)
    assert list(servers) == ["airtable", "api-server", "ws-server", "whole-line", "literal"]
    airtable = servers["airtable"]
    assert where(airtable) == "claude-code/.mcp.json:4"
    assert airtable.source.client == "claude-code"
    assert airtable.source.key == "mcpServers.airtable"
    assert airtable.transport == "stdio"
    assert airtable.command == "npx"
    assert airtable.args == ("-y", "airtable-mcp-server")
    assert settings(airtable.env) == {
        "AIRTABLE_API_KEY": ("indirection", "env", False),
        "DEBUG": ("literal", "env", False),
        "PORT": ("literal", "env", False),
        "EMPTY": ("empty", "env", False),
    }
    assert [s.value.reveal() for s in airtable.env][1:3] == ["true", "8080"]

    api = servers["api-server"]
    assert (where(api), api.transport, api.command) == ("claude-code/.mcp.json:10", "http", None)
    assert api.url is not None
    assert api.url.reveal() == "${API_BASE_URL:-https://api.example.com}/mcp"
    assert settings(api.headers) == {"Authorization": ("indirection", "header", False)}
    assert servers["ws-server"].transport == "ws"

    # a whole command line in "command" is split like a shell would
    whole = servers["whole-line"]
    assert whole.command == "npx"
    assert whole.args == ("-y", "@scope/pkg@1.0.0", "--root", "/srv/my data")

    literal = servers["literal"]
    assert settings(literal.env) == {"GITHUB_PERSONAL_ACCESS_TOKEN": ("literal", "env", False)}
    assert SECRET not in repr(literal)


def test_bad_entries_are_skipped_with_a_diagnostic_each() -> None:
    result = parse("claude-code/.mcp.json")
    assert [(d.line, d.message, d.fatal) for d in result.diagnostics] == [
        (16, "server 'broken-type': unknown transport 'type'; entry skipped", False),
        (17, "server 'no-command': no 'command' and no URL; entry skipped", False),
        (18, "server 'bad-args': 'args' must be a list; entry skipped", False),
        (19, "server 'bad-env': 'env' must be an object; entry skipped", False),
        (20, "server 'not-an-object' is not an object; skipped", False),
    ]
    assert all(d.file == "claude-code/.mcp.json" for d in result.diagnostics)


def test_claude_user_file_reads_top_level_and_per_project_servers() -> None:
    result = parse("claude-code/.claude.json")
    assert result.diagnostics == ()
    notion, stripe = result.connectors
    assert (notion.name, where(notion), notion.source.scope) == (
        "notion",
        "claude-code/.claude.json:4",
        "user",
    )
    assert notion.source.key == "mcpServers.notion"
    assert (stripe.name, where(stripe), stripe.source.scope) == (
        "stripe",
        "claude-code/.claude.json:9",
        "local",
    )
    assert stripe.source.key == "projects./Users/alice/src/app.mcpServers.stripe"
    assert stripe.source.client == "claude-code"


def test_claude_plugin_flat_map() -> None:
    result = parse("claude-code/plugin/.mcp.json")
    db, api = result.connectors
    assert (db.name, db.source.line, db.source.key, db.source.client) == (
        "plugin-db",
        2,
        "plugin-db",
        "claude-code",
    )
    assert db.command == "${CLAUDE_PLUGIN_ROOT}/bin/db-server"
    assert (api.name, api.source.line, api.transport) == ("plugin-api", 6, "sse")


def test_vscode_servers_and_inputs() -> None:
    result = parse("vscode/.vscode/mcp.json")
    servers = by_name(result)
    assert list(servers) == ["perplexity", "remote", "sandboxed"]
    perplexity = servers["perplexity"]
    assert (where(perplexity), perplexity.source.client, perplexity.source.key) == (
        "vscode/.vscode/mcp.json:7",
        "vscode",
        "servers.perplexity",
    )
    # ${input:…} is an indirection; a password input marks the setting secret
    assert settings(perplexity.env) == {"PERPLEXITY_API_KEY": ("indirection", "env", True)}
    assert servers["sandboxed"].options == (("sandboxEnabled", "true"),)
    assert [(d.line, d.message) for d in result.diagnostics] == [
        (13, "server 'remote' uses input 'undeclared-token', which 'inputs' does not declare")
    ]


def test_vscode_legacy_settings() -> None:
    result = parse("vscode/.vscode/settings.json")
    (time,) = result.connectors
    assert (time.name, where(time), time.source.key) == (
        "time",
        "vscode/.vscode/settings.json:6",
        "mcp.servers.time",
    )
    assert time.args == ("run", "-i", "--rm", "mcp/time")


def test_gemini_transports_trust_and_tool_filters() -> None:
    result = parse("gemini/.gemini/settings.json")
    servers = by_name(result)
    github = servers["github"]
    assert (where(github), github.source.client) == ("gemini/.gemini/settings.json:4", "gemini")
    assert github.options == (
        ("trust", "true"),
        ("includeTools", "get_issue,list_issues"),
        ("excludeTools", "delete_repo"),
    )
    assert settings(github.env)["GITHUB_PERSONAL_ACCESS_TOKEN"][0] == "indirection"
    sse = servers["sseServer"]
    assert (sse.transport, sse.source.line, sse.enabled) == ("sse", 12, False)  # mcp.excluded
    http = servers["httpServer"]
    assert (http.transport, http.enabled) == ("http", True)
    assert settings(http.headers)["Authorization"][0] == "literal"


def test_windsurf_server_url_and_disabled() -> None:
    result = parse("windsurf/mcp_config.json")
    zapier, old = result.connectors
    assert (zapier.source.client, zapier.transport, zapier.source.line) == ("windsurf", "http", 3)
    assert zapier.url is not None
    assert "YOUR_MCP_KEY" in zapier.url.reveal()
    assert (old.enabled, old.source.line) == (False, 4)


def test_cline_auto_approve_options() -> None:
    result = parse("cline/cline_mcp_settings.json")
    local, remote = result.connectors
    assert local.source.client == "cline"
    assert local.options == (("autoApprove", ""),)
    assert remote.transport == "http"  # "streamableHttp"
    assert remote.options == (("autoApprove", "read_only_tool,write_file"), ("alwaysAllow", "x"))


def test_codex_toml_tables_headers_and_approval() -> None:
    result = parse("codex/config.toml")
    assert result.diagnostics == ()
    servers = by_name(result)
    assert list(servers) == ["filesystem", "remote-server", "quoted.name", "inline"]
    fs = servers["filesystem"]
    assert (where(fs), fs.source.client, fs.source.key) == (
        "codex/config.toml:4",
        "codex",
        "mcp_servers.filesystem",
    )
    assert settings(fs.env) == {
        "API_KEY": ("literal", "env", False),
        "HOME_TOKEN": ("indirection", "env_vars", False),
    }
    remote = servers["remote-server"]
    assert (remote.source.line, remote.transport, remote.enabled) == (12, "http", False)
    assert settings(remote.headers) == {
        "X-Team": ("literal", "header", False),
        "Authorization": ("indirection", "bearer_token_env_var", False),
    }
    assert [s.value.reveal() for s in remote.headers] == ["platform", "MCP_TOKEN"]
    quoted = servers["quoted.name"]
    assert quoted.source.line == 18
    assert settings(quoted.headers) == {"X-Lucid-Token": ("indirection", "env_http_header", False)}
    assert quoted.options == (("tools.add_memory.approval_mode", "approve"),)
    inline = servers["inline"]
    assert (inline.source.line, inline.command, inline.args) == (
        26,
        "uvx",
        ("mcp-server-fetch==2025.4.7",),
    )


def test_zed_both_shapes_and_extension_servers() -> None:
    result = parse("zed/settings.json")
    github, old = result.connectors
    assert (github.name, where(github), github.source.client) == (
        "github",
        "zed/settings.json:4",
        "zed",
    )
    assert (old.name, old.source.line, old.command, old.args, old.enabled) == (
        "old-style",
        10,
        "uvx",
        ("mcp-server-git==2025.1.14",),
        False,
    )
    assert settings(old.env) == {"GIT_DIR": ("literal", "env", False)}
    assert [(d.line, d.fatal) for d in result.diagnostics] == [(18, False)]
    assert "Zed extension" in result.diagnostics[0].message


def test_continue_config_list() -> None:
    result = parse("continue/config.yaml")
    playwright, github, remote = result.connectors
    assert (playwright.name, where(playwright), playwright.source.key) == (
        "Playwright",
        "continue/config.yaml:5",
        "mcpServers[0]",
    )
    assert playwright.source.client == "continue"
    assert (github.source.line, github.args) == (8, ("-y", "@modelcontextprotocol/server-github"))
    assert settings(github.env)["GITHUB_PERSONAL_ACCESS_TOKEN"][0] == "indirection"
    assert (remote.source.line, remote.transport) == (15, "http")


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("continue/.continue/mcpServers/single.yaml", [("Single block", 1, "stdio")]),
        ("continue/.continue/mcpServers/list.yaml", [("first", 1, "stdio"), ("second", 4, "sse")]),
        ("continue/.continue/mcpServers/copied.json", [("copied", 3, "stdio")]),
    ],
)
def test_continue_block_files(relative: str, expected: list[tuple[str, int, str]]) -> None:
    result = parse(relative)
    assert result.diagnostics == ()
    assert [(c.name, c.source.line, c.transport) for c in result.connectors] == expected
    assert {c.source.client for c in result.connectors} == {"continue"}


def test_goose_extensions() -> None:
    result = parse("goose/config.yaml")
    fs, remote = result.connectors  # builtin "developer" is not a connector
    assert (fs.name, where(fs), fs.source.key, fs.source.client) == (
        "filesystem",
        "goose/config.yaml:7",
        "extensions.filesystem",
        "goose",
    )
    assert fs.command == "npx"
    assert settings(fs.env) == {
        "LOG_LEVEL": ("literal", "env", False),
        "FS_TOKEN": ("indirection", "env_keys", False),
    }
    assert fs.options == (("GOOSE_MODE", "auto"),)
    assert (remote.transport, remote.enabled, remote.source.line) == ("http", False, 15)
    assert remote.url is not None
    assert remote.url.reveal() == "https://example.com/mcp"
    assert settings(remote.headers)["Authorization"][0] == "indirection"
    assert [(d.line, d.message) for d in result.diagnostics] == [
        (22, "server 'inline': unknown transport 'type'; entry skipped")
    ]


def test_opencode_command_arrays() -> None:
    result = parse("opencode/opencode.jsonc")
    fs, remote = result.connectors
    assert (fs.name, where(fs), fs.source.client, fs.source.key) == (
        "filesystem",
        "opencode/opencode.jsonc:4",
        "opencode",
        "mcp.filesystem",
    )
    assert fs.command == "npx"
    assert fs.args == ("-y", "@modelcontextprotocol/server-filesystem", "/Users/alice/src")
    assert settings(fs.env) == {"API_KEY": ("literal", "env", False)}
    assert (remote.transport, remote.source.line) == ("http", 10)
    assert [(d.line, d.message) for d in result.diagnostics] == [
        (15, "server 'empty': 'command' is an empty list; entry skipped"),
        (16, "server 'odd': unknown transport 'type'; entry skipped"),
    ]


def test_explicit_client_overrides_the_path(tmp_path: Path) -> None:
    path = tmp_path / "anything.json"
    path.write_text('{"mcpServers": {"a": {"url": "https://x.example/sse"}}}')
    (gemini,) = parse_file(path, client="gemini").connectors
    assert (gemini.source.client, gemini.transport) == ("gemini", "sse")
    (generic,) = parse_file(path).connectors
    assert (generic.source.client, generic.transport) == ("mcp-json", "http")


@pytest.mark.parametrize(
    ("name", "text", "client"),
    [
        ("mcp.json", '{"servers": {"a": {"command": "x"}}}', "vscode"),
        ("mcp.json", '{"mcpServers": {"a": {"command": "x"}}}', "mcp-json"),
        ("tools.json", '{"context_servers": {"a": {"command": "x"}}}', "zed"),
        ("cfg.yaml", "extensions:\n  a:\n    type: stdio\n    cmd: x\n", "goose"),
        ("cfg.yaml", "mcpServers:\n  - name: a\n    command: x\n", "continue"),
        ("thing.json", '{"mcp": {"a": {"type": "local", "command": ["x"]}}}', "opencode"),
        ("cfg.toml", '[mcp_servers.a]\ncommand = "x"\n', "codex"),
    ],
)
def test_unknown_file_names_are_recognised_by_shape(
    tmp_path: Path, name: str, text: str, client: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    (connector,) = parse_file(path).connectors
    assert (connector.name, connector.command, connector.source.client) == ("a", "x", client)


def test_file_without_mcp_section_gives_a_diagnostic() -> None:
    result = parse("malformed/no-section.json")
    assert result.connectors == ()
    assert [(d.message, d.fatal) for d in result.diagnostics] == [
        ("no MCP server section found in this file", False)
    ]


@pytest.mark.parametrize(
    ("relative", "line", "message"),
    [
        ("malformed/missing-comma.json", 4, "expected ',' or '}', found '\"' at line 4, column 5"),
        ("malformed/unterminated-string.json", 3, "unterminated string at line 3, column 39"),
        ("malformed/unterminated-comment.json", 1, "unterminated /* comment at line 1, column 3"),
        ("malformed/bad.toml", 3, "invalid TOML: Invalid value (at end of document)"),
    ],
)
def test_malformed_files_raise_with_file_line_and_column(
    relative: str, line: int, message: str
) -> None:
    with pytest.raises(SourceError) as caught:
        parse(relative)
    assert (caught.value.file, caught.value.line, caught.value.message) == (relative, line, message)


def test_yaml_error_has_position_but_not_the_offending_text() -> None:
    with pytest.raises(SourceError) as caught:
        parse("malformed/bad.yaml")
    assert caught.value.line == 4
    assert "at line 4, column 4" in caught.value.message
    assert SECRET not in str(caught.value)
    assert "indentation" not in str(caught.value)


def test_toml_error_position(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[mcp_servers.a]\ncommand = "npx"\nargs = ["-y" "x"]\n')
    with pytest.raises(SourceError) as caught:
        parse_file(path)
    assert caught.value.line == 3
    assert "(at line 3, column" in caught.value.message


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(
            f"{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, "
            f"*{prev}, *{prev}, *{prev}, *{prev}]"
        )
    lines.append("mcpServers: *i")
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SourceError, match="alias expansion"):
        parse_file(path)


def test_yaml_only_safe_tags(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("mcpServers: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(SourceError, match="constructor"):
        parse_file(path)
    path.write_text("mcpServers:\n  - name: !!python/name:os.system\n")
    with pytest.raises(SourceError, match="constructor") as caught:
        parse_file(path)
    assert caught.value.line == 2


def test_utf16_file_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "mcp.json"
    path.write_bytes('{"mcpServers": {"a": {"command": "npx"}}}'.encode("utf-16"))
    assert [c.name for c in parse_file(path).connectors] == ["a"]


def test_invalid_utf8_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "mcp.json"
    path.write_bytes(b'{\n"a": "\xff"}')
    with pytest.raises(SourceError, match="not valid UTF-8-SIG text") as caught:
        parse_file(path)
    assert caught.value.line == 2


def test_windows_command_path_with_spaces_is_not_split(tmp_path: Path) -> None:
    path = tmp_path / "mcp.json"
    path.write_text(
        '{"mcpServers": {'
        '"win": {"command": "C:\\\\Program Files\\\\nodejs\\\\npx.cmd"},'
        f'"real": {{"command": "{tmp_path}/my server"}},'
        '"quotes": {"command": "npx -y \'unbalanced"}'
        "}}"
    )
    (tmp_path / "my server").write_text("")
    result = parse_file(path)
    win, real, quotes = result.connectors
    assert (win.command, win.args) == ("C:\\Program Files\\nodejs\\npx.cmd", ())
    assert (real.command, real.args) == (f"{tmp_path}/my server", ())
    assert (quotes.command, quotes.args) == ("npx -y 'unbalanced", ())
    assert [d.message for d in result.diagnostics] == [
        "server 'quotes': 'command' has unbalanced quotes"
    ]


def test_values_kinds_come_from_the_secret_classifier(tmp_path: Path) -> None:
    path = tmp_path / ".mcp.json"
    path.write_text(
        '{"mcpServers": {"a": {"command": "x", "env": {'
        '"A": "${input:k}", "B": "$HOME_TOKEN", "C": "", "D": "plain", "E": "Bearer ${T}"}}}}'
    )
    (a,) = parse_file(path).connectors
    assert [s.kind for s in a.env] == [
        ValueKind.INDIRECTION,
        ValueKind.INDIRECTION,
        ValueKind.EMPTY,
        ValueKind.LITERAL,
        ValueKind.INDIRECTION,
    ]


def test_nested_env_value_is_reported_and_ignored(tmp_path: Path) -> None:
    path = tmp_path / ".mcp.json"
    path.write_text('{"mcpServers": {"a": {"command": "x",\n "env": {"OK": "1",\n "BAD": {}}}}}')
    result = parse_file(path)
    (a,) = result.connectors
    assert [s.name for s in a.env] == ["OK"]
    assert [(d.line, d.message) for d in result.diagnostics] == [
        (3, "server 'a': env 'BAD' is not a single value; ignored")
    ]


def test_toml_lines_for_every_way_of_naming_a_server(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'note = """\n'  # 1
        "[mcp_servers.fake]\n"  # 2: inside a multi-line string
        '"""\n'  # 3
        "mcp_servers.dotted.command = 'a'\n"  # 4
        "mcp_servers.dotted.args = ['x']\n"  # 5
        "mcp_servers.inline = { command = 'b' }\n"  # 6
        '[ mcp_servers . "spaced" ]  # comment\n'  # 7
        "command = 'd'\n"  # 8
    )
    result = parse_file(path)
    assert [(c.name, c.source.line) for c in result.connectors] == [
        ("dotted", 4),
        ("inline", 6),
        ("spaced", 7),
    ]
    path.write_text(
        "[mcp_servers]\n"  # 1
        "'single quoted' = { url = 'https://x.example/mcp' }\n"  # 2
        "later.command = 'c'\n"  # 3
        "[mcp_servers.later.env]\n"  # 4
        "A = '1'\n"  # 5
    )
    result = parse_file(path)
    assert [(c.name, c.source.line) for c in result.connectors] == [
        ("single quoted", 2),
        ("later", 3),
    ]
