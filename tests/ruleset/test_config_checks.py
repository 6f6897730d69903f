"""Each config rule fires on its case and stays quiet on its near misses."""

from __future__ import annotations

import pytest

from mcpscan.models import PackageRef, Severity
from mcpscan.ruleset import ConnectorFacts

from .builders import (
    ContainerFacts,
    ProxyHop,
    SecretArg,
    Sensitive,
    VersionKind,
    connector,
    facts,
    hits,
    npm,
    remote,
    setting,
)

GHP = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # format-valid, fake
AKIA = "AKIA" + "IOSFODNN7EXAMPLE"
FINE = "github_pat_" + "11ABCDEFG0123456789_" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"

# --- SC01 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "why"),
    [
        (npm("@modelcontextprotocol/server-github"), "no version"),
        (npm("@playwright/mcp", "latest", VersionKind.LATEST), "'latest'"),
        (npm("some-server", "^1.2", VersionKind.RANGE), "range"),
        (npm("some-server", "next", VersionKind.TAG), "tag"),
        (
            PackageRef(
                "oci", "mcp/fetch", "latest", VersionKind.LATEST, "pkg:oci/fetch", "mcp/fetch"
            ),
            "'latest'",
        ),
        (
            PackageRef(
                "git",
                "server",
                None,
                VersionKind.URL,
                "pkg:generic/server",
                "git+https://tok3nVALUE@github.com/o/server.git",
            ),
            "without a commit",
        ),
    ],
)
def test_sc01_fires_on_unpinned(ref: PackageRef, why: str) -> None:
    found = hits("unpinned_launch", facts(packages=(ref,)))
    assert len(found) == 1
    assert why in found[0].message
    assert ref.name in found[0].message
    assert found[0].component == ref.purl
    assert "tok3nVALUE" not in found[0].evidence  # user-info of a git URL is stripped


def test_sc01_names_the_spec_as_written() -> None:
    [hit] = hits(
        "unpinned_launch", facts(packages=(npm("@playwright/mcp", "latest", VersionKind.LATEST),))
    )
    assert hit.evidence == "@playwright/mcp@latest"


def test_sc01_checks_proxy_hops_too() -> None:
    proxy_ref = npm("mcp-remote", role="proxy")
    hop = ProxyHop(kind="mcp-remote", package=proxy_ref, mode="client")
    server = npm("x", "1.0.0", VersionKind.EXACT)
    [hit] = hits("unpinned_launch", facts(packages=(server,), proxies=(hop,)))
    assert hit.message.startswith("proxy package mcp-remote")


def test_sc01_reports_a_ref_listed_twice_once() -> None:
    ref = npm("mcp-remote", role="proxy")
    hop = ProxyHop(kind="mcp-remote", package=ref, mode="client")
    assert len(hits("unpinned_launch", facts(packages=(ref,), proxies=(hop,)))) == 1


@pytest.mark.parametrize(
    "ref",
    [
        npm("pkg", "1.2.3", VersionKind.EXACT),
        PackageRef(
            "oci",
            "ghcr.io/github/github-mcp-server",
            "sha256:" + "a" * 64,
            VersionKind.DIGEST,
            "pkg:oci/github-mcp-server@sha256%3A" + "a" * 64,
        ),
    ],
)
def test_sc01_near_miss_pinned(ref: PackageRef) -> None:
    assert hits("unpinned_launch", facts(packages=(ref,))) == []


def test_sc01_declared_packages_of_server_json() -> None:
    conn = connector(declared_packages=(npm("srv", "^2", VersionKind.RANGE),))
    assert len(hits("unpinned_launch", facts(conn))) == 1


# --- PX02 --------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["http", "ws"])
def test_px02_fires_on_plaintext_non_loopback(scheme: str) -> None:
    [hit] = hits("plaintext_transport", facts(remotes=(remote("mcp.example.com", scheme),)))
    assert "mcp.example.com" in hit.message


def test_px02_fires_on_allow_http() -> None:
    hop = ProxyHop(
        kind="mcp-remote", package=npm("mcp-remote", "0.1.16", VersionKind.EXACT), mode="client"
    )
    r = remote("mcp.example.com", "https", allow_http=True, via="mcp-remote")
    [hit] = hits("plaintext_transport", facts(remotes=(r,), proxies=(hop,)))
    assert "--allow-http" in hit.message
    assert hit.component == "pkg:npm/mcp-remote@0.1.16"


@pytest.mark.parametrize(
    "r",
    [
        remote("localhost", "http"),
        remote("127.0.0.1", "http"),
        # loopback even when the launcher did not flag it
        remote("127.0.0.2", "http", loopback=False),
        remote("::1", "ws", loopback=False),
        remote("localhost", "http", allow_http=True),
        remote("mcp.example.com", "https"),
        remote("mcp.example.com", "wss"),
    ],
)
def test_px02_near_misses(r: object) -> None:
    assert hits("plaintext_transport", facts(remotes=(r,))) == []


# --- PX03 / PX04 -------------------------------------------------------------------------


def _proxy(**kw: object) -> ConnectorFacts:
    hop = ProxyHop(kind="mcp-proxy", package=None, mode="server", **kw)  # type: ignore[arg-type]
    return facts(launcher="uvx", proxies=(hop,))


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"listen_host": "0.0.0.0"}, "listens on 0.0.0.0"),
        ({"listen_host": "::"}, "listens on ::"),
        ({"listen_host": "192.168.1.20"}, "listens on 192.168.1.20"),
        ({"allow_origin": "*"}, "any web page"),
        ({"allow_origin": "https://a.example, *"}, "any web page"),
        ({"pass_environment": True}, "whole environment"),
    ],
)
def test_px03_fires(kw: dict[str, object], needle: str) -> None:
    [hit] = hits("proxy_exposure", _proxy(**kw))
    assert needle in hit.message


@pytest.mark.parametrize(
    "kw",
    [
        {},  # mcp-proxy default host (127.0.0.1)
        {"listen_host": "127.0.0.1"},
        {"listen_host": "localhost"},
        {"listen_host": "[::1]"},
        {"allow_origin": "https://app.example.com"},
    ],
)
def test_px03_near_misses(kw: dict[str, object]) -> None:
    assert hits("proxy_exposure", _proxy(**kw)) == []


def test_px04_token_store() -> None:
    hop = ProxyHop(
        kind="mcp-remote",
        package=npm("mcp-remote", "0.1.16", VersionKind.EXACT),
        mode="client",
        token_store="~/.mcp-auth",
    )
    [hit] = hits("proxy_token_store", facts(proxies=(hop,)))
    assert "~/.mcp-auth" in hit.message
    assert hit.component == "pkg:npm/mcp-remote@0.1.16"
    assert hits("proxy_token_store", _proxy()) == []


# --- ID01 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "kind"),
    [
        (setting("GITHUB_PERSONAL_ACCESS_TOKEN", GHP), "GitHub classic token"),
        (setting("Authorization", f"Bearer {GHP}", origin="header"), "GitHub classic token"),
        (setting("API_KEY", "s3cr3t-V4lue"), "value of a secret-named key"),
        (setting("CONFIG_BLOB", "hunter22", secret=True), "value of a secret-named key"),
    ],
)
def test_id01_fires_on_literal_secret(s: object, kind: str) -> None:
    [hit] = hits("literal_secret", facts(connector(env=(s,))))
    assert kind in hit.message
    assert s.name in hit.message  # type: ignore[attr-defined]
    assert s.value.fingerprint in hit.evidence  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "value",
    [
        "${input:github-token}",
        "${env:GITHUB_TOKEN}",
        "$GITHUB_TOKEN",
        "${GITHUB_TOKEN}",
        "${{ secrets.GITHUB_TOKEN }}",
        "",
        "your_api_key",
        "<ghp_token>",
        "Bearer ${input:api-token}",
    ],
)
def test_id01_near_misses(value: str) -> None:
    conn = connector(
        env=(setting("GITHUB_TOKEN", value),),
        headers=(setting("Authorization", value, origin="header"),),
    )
    assert hits("literal_secret", facts(conn)) == []


def test_id01_secret_args_name_the_flag_not_the_value() -> None:
    arg = SecretArg(flag="--oauth2Bearer", index=3, value=Sensitive(GHP))
    [hit] = hits("literal_secret", facts(secret_args=(arg,)))
    assert "--oauth2Bearer" in hit.message
    assert GHP not in hit.message + hit.evidence
    assert Sensitive(GHP).fingerprint in hit.evidence


# --- ID02 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "conn",
    [
        connector(env=(setting("AWS_SECRET_ACCESS_KEY", "${env:AWS_SECRET_ACCESS_KEY}"),)),
        connector(env=(setting("GOOGLE_APPLICATION_CREDENTIALS", "/keys/sa.json"),)),
        connector(env=(setting("GITHUB_PERSONAL_ACCESS_TOKEN", "$GITHUB_PERSONAL_ACCESS_TOKEN"),)),
        connector(env=(setting("MY_TOKEN", GHP),)),  # classic PAT by format
        connector(env=(setting("AWS_KEY", AKIA),)),
        connector(headers=(setting("X-Key", AKIA, origin="header"),)),
    ],
)
def test_id02_fires(conn: object) -> None:
    assert len(hits("broad_credential", facts(conn))) == 1  # type: ignore[arg-type]


def test_id02_pass_environment() -> None:
    [hit] = hits("broad_credential", _proxy(pass_environment=True))
    assert "--pass-environment" in hit.message


def test_id02_docker_env_literal() -> None:
    container = ContainerFacts(image="img", env_literals=("AZURE_CLIENT_SECRET",))
    [hit] = hits("broad_credential", facts(launcher="docker", container=container))
    assert "AZURE_CLIENT_SECRET" in hit.message


@pytest.mark.parametrize(
    "conn",
    [
        connector(env=(setting("GITHUB_PERSONAL_ACCESS_TOKEN", FINE),)),  # fine-grained
        connector(env=(setting("AWS_SESSION_TOKEN", "${env:AWS_SESSION_TOKEN}"),)),
        connector(env=(setting("GITHUB_TOKEN_READONLY", "${input:gh}"),)),
        connector(env=(setting("OPENAI_API_KEY", "${env:OPENAI_API_KEY}"),)),
    ],
)
def test_id02_near_misses(conn: object) -> None:
    assert hits("broad_credential", facts(conn)) == []  # type: ignore[arg-type]


def test_id02_one_hit_when_name_and_format_agree() -> None:
    conn = connector(env=(setting("GITHUB_PERSONAL_ACCESS_TOKEN", GHP),))
    assert len(hits("broad_credential", facts(conn))) == 1


@pytest.mark.parametrize(
    "value",
    [
        "YOUR_GITHUB_TOKEN",
        "<token>",
        "<YOUR_PERSONAL_ACCESS_TOKEN>",
        "xxx",
        "changeme",
        "REPLACE_WITH_YOUR_TOKEN",
        "insert-your-token-here",
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ],
)
def test_id02_and_id01_quiet_on_a_placeholder(value: str) -> None:
    conn = connector(env=(setting("GITHUB_PERSONAL_ACCESS_TOKEN", value),))
    assert hits("broad_credential", facts(conn)) == []
    assert hits("literal_secret", facts(conn)) == []


def test_id02_still_fires_on_the_real_token_the_placeholder_stood_for() -> None:
    conn = connector(env=(setting("GITHUB_PERSONAL_ACCESS_TOKEN", GHP),))
    assert len(hits("broad_credential", facts(conn))) == 1
    assert len(hits("literal_secret", facts(conn))) == 1


# --- ID03 --------------------------------------------------------------------------------


def test_id03_userinfo_and_query_keys() -> None:
    r = remote("mcp.example.com", has_userinfo=True, secret_query_keys=("api_key", "<path>"))
    found = hits("secret_in_url", facts(remotes=(r,)))
    messages = " | ".join(h.message for h in found)
    assert len(found) == 3
    assert "user-info" in messages
    assert "api_key" in messages
    assert "path" in messages


def test_id03_near_miss() -> None:
    assert hits("secret_in_url", facts(remotes=(remote("mcp.example.com"),))) == []


# --- SP01 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "~",
        "~/",
        "$HOME",
        "${HOME}",
        "${userHome}",
        "C:\\",
        "c:/",
        "/Users/alice",
        "/Users/alice/",
        "/home/bob",
        "/root",
        "C:\\Users\\alice",
        "/home",
    ],
)
def test_sp01_fires(path: str) -> None:
    [hit] = hits("broad_filesystem", facts(path_args=(path,)))
    assert hit.evidence == path


@pytest.mark.parametrize(
    "path",
    [
        "/home/me/project",
        "/Users/alice/Desktop",
        "~/notes",
        "./data",
        ".",
        "${workspaceFolder}",
        "/tmp/x",
        "$HOME/src",
    ],
)
def test_sp01_near_misses(path: str) -> None:
    assert hits("broad_filesystem", facts(path_args=(path,))) == []


def test_sp01_leaves_container_mounts_to_sp02() -> None:
    container = ContainerFacts(image="img", mounts=("/",))
    f = facts(launcher="docker", container=container, path_args=("/",))
    assert hits("broad_filesystem", f) == []
    assert len(hits("privileged_container", f)) == 1


# --- SP02 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("container", "needle"),
    [
        (ContainerFacts("img", privileged=True), "--privileged"),
        (ContainerFacts("img", host_network=True), "host network"),
        (ContainerFacts("img", host_pid=True), "process namespace"),
        (ContainerFacts("img", cap_add=("SYS_ADMIN",)), "SYS_ADMIN"),
        (ContainerFacts("img", mounts=("/",)), "root filesystem"),
        (ContainerFacts("img", mounts=("/var/run/docker.sock",)), "container engine socket"),
        (ContainerFacts("img", mounts=("/Users/alice",)), "home directory"),
        (ContainerFacts("img", mounts=("$HOME",)), "home directory"),
        (ContainerFacts("img", security_opts=("seccomp=unconfined",)), "confinement"),
        (ContainerFacts("img", security_opts=("apparmor:unconfined",)), "confinement"),
    ],
)
def test_sp02_fires(container: ContainerFacts, needle: str) -> None:
    [hit] = hits("privileged_container", facts(launcher="docker", container=container))
    assert needle in hit.message


@pytest.mark.parametrize(
    "container",
    [
        ContainerFacts("img"),
        ContainerFacts("img", mounts=("/home/me/project", "${PWD}")),
        ContainerFacts("img", security_opts=("no-new-privileges",)),
    ],
)
def test_sp02_near_misses(container: ContainerFacts) -> None:
    assert hits("privileged_container", facts(launcher="docker", container=container)) == []


def test_sp02_without_container() -> None:
    assert hits("privileged_container", facts()) == []


# --- SP03 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "client", "severity"),
    [
        ((("trust", "true"),), "gemini", None),
        ((("autoApprove", "read_file,write_file"),), "cline", None),
        ((("alwaysAllow", "search"),), "cline", None),
        ((("GOOSE_MODE", "auto"),), "goose", None),
        ((), "goose", None),  # unset GOOSE_MODE defaults to auto
        ((("default_tools_approval_mode", "approve"),), "codex", None),
        ((("tools.add_memory.approval_mode", "approve"),), "codex", None),
        ((("sandboxEnabled", "true"),), "vscode", Severity.LOW),
    ],
)
def test_sp03_fires(
    options: tuple[tuple[str, str], ...], client: str, severity: Severity | None
) -> None:
    [hit] = hits("confirmation_bypass", facts(connector(client=client, options=options)))
    assert hit.severity == severity


@pytest.mark.parametrize(
    ("options", "client"),
    [
        ((("trust", "false"),), "gemini"),
        ((("autoApprove", ""),), "cline"),
        ((("autoApprove", "[]"),), "cline"),
        ((("GOOSE_MODE", "smart_approve"),), "goose"),
        ((("GOOSE_MODE", "approve"),), "goose"),
        ((("tools.add_memory.approval_mode", "prompt"),), "codex"),
        ((("sandboxEnabled", "false"),), "vscode"),
        ((("includeTools", "get_issue"),), "gemini"),
    ],
)
def test_sp03_near_misses(options: tuple[tuple[str, str], ...], client: str) -> None:
    assert hits("confirmation_bypass", facts(connector(client=client, options=options))) == []
