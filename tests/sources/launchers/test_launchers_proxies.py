"""Proxy hops: mcp-remote, supergateway, mcp-proxy."""

from __future__ import annotations

import shlex

import pytest

from mcpscan.models import VersionKind
from mcpscan.sources.launchers import MAX_DEPTH
from tests.support.launchers import GHP, SK, only, run, secrets_of


def test_mcp_remote_reference_example() -> None:
    launch = run(
        "npx",
        "mcp-remote",
        "https://remote.mcp.server/sse",
        "--header",
        "Authorization:${AUTH_HEADER}",
        env={"AUTH_HEADER": "Bearer abc"},
    )
    ref = only(launch)
    assert (ref.name, ref.role) == ("mcp-remote", "proxy")
    (hop,) = launch.proxies
    assert (hop.kind, hop.mode, hop.package, hop.token_store) == (
        "mcp-remote",
        "client",
        ref,
        "~/.mcp-auth",
    )
    assert hop.flags == ("--header",)
    (remote,) = launch.remotes
    assert (remote.scheme, remote.host, remote.transport, remote.via, remote.allow_http) == (
        "https",
        "remote.mcp.server",
        "sse",
        "mcp-remote",
        False,
    )
    assert launch.secret_args == ()  # ${AUTH_HEADER} is an indirection


def test_mcp_remote_literal_header_and_allow_http() -> None:
    launch = run(
        "npx",
        "-y",
        "mcp-remote@0.1.16",
        "http://mcp.example.com/mcp",
        "9876",
        "--header",
        f"Authorization: Bearer {GHP}",
        "--allow-http",
        "--transport",
        "http-only",
    )
    ref = only(launch)
    assert (ref.version_kind, ref.purl) == (VersionKind.EXACT, "pkg:npm/mcp-remote@0.1.16")
    (remote,) = launch.remotes
    assert (remote.scheme, remote.allow_http, remote.transport) == ("http", True, "http")
    assert secrets_of(launch) == [("--header", 6, f"Bearer {GHP}")]
    assert launch.proxies[0].flags == ("--header", "--allow-http", "--transport")


def test_mcp_remote_config_dir_changes_token_store() -> None:
    launch = run(
        "npx", "mcp-remote", "https://x.example/mcp", env={"MCP_REMOTE_CONFIG_DIR": "/tmp/a"}
    )
    assert launch.proxies[0].token_store == "$MCP_REMOTE_CONFIG_DIR"


def test_mcp_remote_static_client_info_secret() -> None:
    info = '{"client_id": "abc", "client_secret": "s3cr3t-Value-99"}'
    launch = run("npx", "mcp-remote", "https://x.example/mcp", "--static-oauth-client-info", info)
    assert secrets_of(launch) == [("--static-oauth-client-info", 4, "s3cr3t-Value-99")]


def test_mcp_remote_via_package_flag_and_direct_binary() -> None:
    via_p = run("npx", "-p", "mcp-remote@0.1.16", "mcp-remote-client", "https://x.example/mcp")
    assert only(via_p).role == "proxy"
    assert via_p.proxies[0].kind == "mcp-remote"
    direct = run("mcp-remote", "https://x.example/mcp")
    assert direct.launcher == "binary"
    assert direct.packages == ()
    assert direct.proxies[0].package is None
    assert "proxy binary of unknown provenance: it is run from the local PATH" in direct.notes
    assert direct.remotes[0].host == "x.example"


def test_supergateway_client_mode() -> None:
    launch = run(
        "npx",
        "-y",
        "supergateway",
        "--sse",
        "https://mcp-server-x.supermachine.app",
        "--oauth2Bearer",
        SK,
    )
    (hop,) = launch.proxies
    assert (hop.kind, hop.mode, hop.listen_host, hop.port) == ("supergateway", "client", None, None)
    assert only(launch).role == "proxy"
    (remote,) = launch.remotes
    assert (remote.transport, remote.via) == ("sse", "supergateway")
    assert secrets_of(launch) == [("--oauth2Bearer", 6, SK)]


def test_supergateway_streamable_http_client() -> None:
    launch = run(
        "supergateway",
        "--streamable-http",
        "https://h.example/mcp",
        "--header",
        f"X-Api-Key: {GHP}",
    )
    assert launch.remotes[0].transport == "http"
    assert secrets_of(launch) == [("--header", 4, GHP)]


def test_supergateway_server_mode_recurses() -> None:
    launch = run(
        'npx -y supergateway --stdio "npx -y @modelcontextprotocol/server-filesystem ./my-folder" '
        "--outputTransport streamableHttp --port 8000"
    )
    assert launch.launcher == "npx"
    assert [(p.name, p.role) for p in launch.packages] == [
        ("supergateway", "proxy"),
        ("@modelcontextprotocol/server-filesystem", "server"),
    ]
    (hop,) = launch.proxies
    # Without --host supergateway listens on every interface.
    assert (hop.mode, hop.listen_host, hop.port, hop.allow_origin) == (
        "server",
        "0.0.0.0",
        8000,
        None,
    )
    assert launch.path_args == ("./my-folder",)


@pytest.mark.parametrize(
    ("cors", "expected"),
    [
        (("--cors",), "*"),
        (("--cors", "http://a.example", "/b\\.example$/"), "http://a.example,/b\\.example$/"),
    ],
)
def test_supergateway_cors(cors: tuple[str, ...], expected: str) -> None:
    launch = run(
        "supergateway", "--stdio", "uvx mcp-server-git", *cors, "--host", "127.0.0.1", "--port=9000"
    )
    hop = launch.proxies[0]
    assert (hop.allow_origin, hop.listen_host, hop.port) == (expected, "127.0.0.1", 9000)
    assert [p.ecosystem for p in launch.packages] == ["pypi"]


def test_supergateway_inner_secret_points_at_stdio_argument() -> None:
    launch = run(
        "npx",
        "-y",
        "supergateway",
        "--stdio",
        f"npx -y pkg --token {GHP}",
        "--apiKey",
        "k3y-Value-1234",
    )
    assert sorted(secrets_of(launch)) == [("--apiKey", 6, "k3y-Value-1234"), ("--token", 4, GHP)]


def test_supergateway_inner_docker() -> None:
    launch = run("supergateway", "--stdio", "docker run -i --privileged img:1")
    assert launch.container is not None
    assert launch.container.privileged


def test_mcp_proxy_client_reference_example() -> None:
    launch = run("mcp-proxy", "http://example.io/sse", env={"API_ACCESS_TOKEN": "access-token"})
    (hop,) = launch.proxies
    assert (hop.kind, hop.mode, hop.package) == ("mcp-proxy", "client", None)
    (remote,) = launch.remotes
    assert (remote.scheme, remote.transport, remote.via, remote.loopback) == (
        "http",
        "sse",
        "mcp-proxy",
        False,
    )


def test_mcp_proxy_server_reference_example() -> None:
    launch = run(
        "mcp-proxy --host=0.0.0.0 --port=8080 --pass-environment --allow-origin='*' "
        "uvx mcp-server-fetch"
    )
    (hop,) = launch.proxies
    assert (hop.mode, hop.listen_host, hop.port, hop.allow_origin, hop.pass_environment) == (
        "server",
        "0.0.0.0",
        8080,
        "*",
        True,
    )
    assert only(launch).name == "mcp-server-fetch"


def test_mcp_proxy_defaults_to_loopback() -> None:
    launch = run(
        "uvx",
        "mcp-proxy==0.8.0",
        "--port",
        "8080",
        "--",
        "uvx",
        "mcp-server-git",
        "--repository",
        "/repo",
    )
    (hop,) = launch.proxies
    assert (hop.listen_host, hop.port, hop.pass_environment) == ("127.0.0.1", 8080, False)
    assert hop.package is not None
    assert (hop.package.ecosystem, hop.package.role) == ("pypi", "proxy")
    assert [p.name for p in launch.packages] == ["mcp-proxy", "mcp-server-git"]
    assert launch.path_args == ("/repo",)


def test_mcp_proxy_options_secrets_and_named_servers() -> None:
    launch = run(
        "mcp-proxy",
        "--headers",
        "Authorization",
        f"Bearer {GHP}",
        "--transport",
        "streamablehttp",
        "https://remote.example/mcp",
    )
    assert launch.remotes[0].transport == "http"
    assert secrets_of(launch) == [("--headers", 3, f"Bearer {GHP}")]

    named = run(
        "mcp-proxy",
        "--sse-host",
        "0.0.0.0",
        "--named-server",
        "fetch",
        "uvx mcp-server-fetch",
        "--named-server",
        "gh",
        "npx -y @modelcontextprotocol/server-github",
        "-e",
        "GITHUB_TOKEN",
        GHP,
        "--pass-env",
    )
    hop = named.proxies[0]
    assert (hop.mode, hop.listen_host, hop.pass_environment) == ("server", "0.0.0.0", True)
    assert [p.name for p in named.packages] == [
        "mcp-server-fetch",
        "@modelcontextprotocol/server-github",
    ]
    assert secrets_of(named) == [("--env", 11, GHP)]


def test_npm_alias_of_a_proxy_is_that_proxy() -> None:
    launch = run("npx", "-y", "remote@npm:mcp-remote@0.1.16", "https://x.example/mcp")
    ref = only(launch)
    assert (ref.name, ref.alias_of, ref.role) == ("remote", "mcp-remote", "proxy")
    assert launch.proxies[0].kind == "mcp-remote"
    assert launch.remotes[0].host == "x.example"


def test_npm_mcp_proxy_is_not_sparfenyuk() -> None:
    launch = run("npx", "mcp-proxy", "--port", "8080")
    assert launch.proxies == ()
    assert only(launch).role == "server"
    assert any("not the Python mcp-proxy" in n for n in launch.notes)


def test_nesting_depth_is_limited() -> None:
    inner = "npx -y pkg"
    for _ in range(MAX_DEPTH + 3):
        inner = "sh -c " + shlex.quote(inner)
    launch = run(inner)
    assert f"commands nested more than {MAX_DEPTH} levels deep were not analysed" in launch.opaque
    assert launch.packages == ()
