"""Remote endpoints: ``parse_remote`` and remote connectors."""

from __future__ import annotations

import pytest

from mcpscan.models import PackageRef, VersionKind
from mcpscan.sources.launchers import parse_npm_spec, parse_remote, unwrap
from tests.support.launchers import GHP, SHA256, SK, conn, run


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "loopback"),
    [
        ("https://api.example.com/mcp", "https", "api.example.com", None, False),
        ("http://localhost:3000/mcp", "http", "localhost", 3000, True),
        ("http://LOCALHOST/mcp", "http", "localhost", None, True),
        ("http://foo.localhost/x", "http", "foo.localhost", None, True),
        ("http://127.0.0.5:80/", "http", "127.0.0.5", 80, True),
        ("http://[::1]:8080/", "http", "::1", 8080, True),
        ("http://[::ffff:127.0.0.1]/", "http", "::ffff:127.0.0.1", None, True),
        ("http://10.0.0.1/", "http", "10.0.0.1", None, False),
        ("http://0.0.0.0:8000/", "http", "0.0.0.0", 8000, False),
        ("wss://ws.example.com/socket", "wss", "ws.example.com", None, False),
        ("unix:///tmp/mcp.sock", "unix", "", None, True),
    ],
)
def test_parse_remote_hosts(
    url: str, scheme: str, host: str, port: int | None, loopback: bool
) -> None:
    remote = parse_remote(url, transport="http")
    assert (remote.scheme, remote.host, remote.port, remote.loopback) == (
        scheme,
        host,
        port,
        loopback,
    )
    assert remote.display_url == url
    assert (remote.has_userinfo, remote.secret_query_keys) == (False, ())


@pytest.mark.parametrize(
    ("url", "display", "keys", "userinfo"),
    [
        ("https://user:pa55word@h.example/x", "https://h.example/x", (), True),
        (
            "https://h.example/x?api_key=abc&mode=fast",
            "https://h.example/x?api_key=REDACTED&mode=REDACTED",
            ("api_key",),
            False,
        ),
        (f"https://h.example/x?q={GHP}", "https://h.example/x?q=REDACTED", ("q",), False),
        ("https://h.example/x?token=${TOKEN}", "https://h.example/x?token=REDACTED", (), False),
        (
            f"https://actions.zapier.com/mcp/{SK}/sse",
            "https://actions.zapier.com/mcp/REDACTED/sse",
            ("<path>",),
            False,
        ),
        (
            "https://actions.zapier.com/mcp/YOUR_MCP_KEY/sse",
            "https://actions.zapier.com/mcp/YOUR_MCP_KEY/sse",
            (),
            False,
        ),
        (
            f"https://h.example/cb#access_token={GHP}",
            "https://h.example/cb#REDACTED",
            ("access_token",),
            False,
        ),
    ],
)
def test_parse_remote_redaction(
    url: str, display: str, keys: tuple[str, ...], userinfo: bool
) -> None:
    remote = parse_remote(url, transport="sse", via="mcp-remote", allow_http=True)
    assert (remote.display_url, remote.secret_query_keys, remote.has_userinfo) == (
        display,
        keys,
        userinfo,
    )
    assert (remote.transport, remote.via, remote.allow_http) == ("sse", "mcp-remote", True)
    assert "pa55word" not in repr(remote)
    assert GHP not in repr(remote)


@pytest.mark.parametrize(
    "url",
    [
        "${API_BASE_URL:-https://api.example.com}/mcp",
        "localhost:3000/mcp",
        "http://host:99999/",
        "not a url",
        "",
        "ftp://files.example.com/x",
    ],
)
def test_parse_remote_unparseable(url: str) -> None:
    assert parse_remote(url, transport="http").scheme == ""


@pytest.mark.parametrize(
    "argv",
    [
        ("npx", "https://[x/pkg.tgz"),
        ("npx", "-y", "http://[::1/x"),
        ("mcp-remote", "http://[::1"),
        ("uvx", "--from", "https://[x/p.whl", "p"),
    ],
)
def test_malformed_urls_in_arguments_are_handled(argv: tuple[str, ...]) -> None:
    launch = run(argv[0], *argv[1:])
    assert launch.launcher != "unknown"
    assert not any("internal error" in n for n in launch.notes)


def test_parse_npm_spec_with_malformed_url() -> None:
    assert parse_npm_spec("https://[x/a.tgz").kind == "url"


def test_remote_connector() -> None:
    launch = unwrap(conn(url="https://mcp.notion.com/mcp", transport="http"))
    assert launch.launcher == "remote"
    assert [r.host for r in launch.remotes] == ["mcp.notion.com"]
    assert launch.remotes[0].via == "config"
    bad = unwrap(conn(url="${API_BASE_URL:-https://api.example.com}/mcp", transport="http"))
    assert bad.remotes[0].scheme == ""
    assert "a remote URL could not be parsed (it may be built from a variable)" in bad.notes


def test_connector_without_command_or_url() -> None:
    launch = unwrap(conn())
    assert launch.launcher == "none"
    assert launch.opaque == ("the connector has neither a command nor a URL",)


def test_connector_with_declared_packages_only() -> None:
    mcpb = PackageRef(
        "mcpb",
        "https://github.com/o/r/releases/download/v1/x.mcpb",
        "1.0.0",
        VersionKind.DIGEST,
        "pkg:generic/x.mcpb",
        sha256=SHA256,
    )
    launch = unwrap(conn(declared=(mcpb,)))
    assert launch.launcher == "declared"
    assert launch.packages == (mcpb,)


def test_connector_with_command_and_url() -> None:
    launch = unwrap(conn("npx", ("pkg",), url="https://h.example/mcp", transport="http"))
    assert launch.launcher == "npx"
    assert len(launch.remotes) == 1
    assert "the connector has both a command and a URL" in launch.notes
