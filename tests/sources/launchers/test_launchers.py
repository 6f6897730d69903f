"""Tests for mcpscan.sources.launchers: command lines -> launcher, packages, proxies, remotes."""

from __future__ import annotations

import dataclasses
import shlex
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcpscan.models import (
    Connector,
    Launch,
    PackageRef,
    Sensitive,
    Setting,
    SourceLocation,
    VersionKind,
)
from mcpscan.redaction import value_kind
from mcpscan.sources.launchers import (
    MAX_DEPTH,
    NpmSpec,
    format_npm_spec,
    package_ref,
    parse_npm_spec,
    parse_remote,
    split_command,
    unwrap,
)

# Fake credentials in recognisable formats (never real ones).
GHP = "ghp_" + "A1b2C3d4E5" * 4
SK = "sk-" + "abcDEF123456" * 2
SHA40 = "0123456789abcdef0123456789abcdef01234567"
SHA256 = "a" * 64

LOC = SourceLocation(file="test.json", line=1, client="test")


def conn(
    command: str | None = None,
    args: tuple[str, ...] = (),
    *,
    url: str | None = None,
    transport: str = "stdio",
    env: dict[str, str] | None = None,
    declared: tuple[PackageRef, ...] = (),
) -> Connector:
    return Connector(
        name="t",
        source=LOC,
        transport=transport,
        command=command,
        args=args,
        url=Sensitive(url) if url is not None else None,
        env=tuple(Setting(k, Sensitive(v), value_kind(v)) for k, v in (env or {}).items()),
        declared_packages=declared,
    )


def run(command: str | None, *args: str, **kw: object) -> Launch:
    return unwrap(conn(command, args, **kw))  # type: ignore[arg-type]


def only(launch: Launch) -> PackageRef:
    assert len(launch.packages) == 1, launch.packages
    return launch.packages[0]


def secrets_of(launch: Launch) -> list[tuple[str, int, str]]:
    return [(s.flag, s.index, s.value.reveal()) for s in launch.secret_args]


# ------------------------------------------------------------------------------------------
# split_command


@pytest.mark.parametrize(
    ("command", "args", "expected"),
    [
        ("npx", ["-y", "pkg"], ["npx", "-y", "pkg"]),
        ("npx -y pkg", [], ["npx", "-y", "pkg"]),
        ("npx -y 'my pkg'", ["extra"], ["npx", "-y", "my pkg", "extra"]),
        ("cmd", ["/c", "npx", "-y", "pkg"], ["npx", "-y", "pkg"]),
        ("cmd.exe", ["/C", "npx -y pkg"], ["npx", "-y", "pkg"]),
        ("cmd /d /s /c npx -y pkg", [], ["npx", "-y", "pkg"]),
        ("C:\\Windows\\System32\\cmd.exe", ["/c", "uvx", "x"], ["uvx", "x"]),
        (
            "C:\\Program Files\\nodejs\\npx.cmd -y pkg",
            [],
            ["C:\\Program Files\\nodejs\\npx.cmd", "-y", "pkg"],
        ),
        (
            '"C:\\Program Files\\nodejs\\npx.cmd" -y pkg',
            [],
            ["C:\\Program Files\\nodejs\\npx.cmd", "-y", "pkg"],
        ),
        ("cmd", ["/k"], []),
        ("cmd", ["dir"], ["cmd", "dir"]),
        ("", ["a"], ["a"]),
    ],
)
def test_split_command(command: str, args: list[str], expected: list[str]) -> None:
    assert split_command(command, args) == expected


def test_split_command_keeps_existing_path_with_spaces(tmp_path: object) -> None:
    path = f"{tmp_path}/my server"
    with open(path, "w") as fh:
        fh.write("")
    assert split_command(path, ["--x"]) == [path, "--x"]


def test_unbalanced_quotes_are_split_on_whitespace_with_a_note() -> None:
    launch = run("npx -y 'pkg")
    assert "the command has unbalanced quotes; it was split on whitespace" in launch.notes
    assert launch.launcher == "npx"


# ------------------------------------------------------------------------------------------
# npm spec parsing


@pytest.mark.parametrize(
    ("spec", "kind", "name", "version", "version_kind"),
    [
        ("@scope/name@1.2.3", "registry", "@scope/name", "1.2.3", VersionKind.EXACT),
        ("name@v1.2.3", "registry", "name", "v1.2.3", VersionKind.EXACT),
        ("name@=1.2.3", "registry", "name", "=1.2.3", VersionKind.EXACT),
        (
            "name@1.2.3-beta.1+build.5",
            "registry",
            "name",
            "1.2.3-beta.1+build.5",
            VersionKind.EXACT,
        ),
        ("name@^1", "registry", "name", "^1", VersionKind.RANGE),
        ("name@~1.2", "registry", "name", "~1.2", VersionKind.RANGE),
        ("name@>=1 <2", "registry", "name", ">=1 <2", VersionKind.RANGE),
        ("name@>= 1.0.0", "registry", "name", ">= 1.0.0", VersionKind.RANGE),
        ("name@1.x", "registry", "name", "1.x", VersionKind.RANGE),
        ("name@*", "registry", "name", "*", VersionKind.RANGE),
        ("name@1.2", "registry", "name", "1.2", VersionKind.RANGE),
        ("name@1.2.3 - 2.0.0", "registry", "name", "1.2.3 - 2.0.0", VersionKind.RANGE),
        ("name@^1 || ^2", "registry", "name", "^1 || ^2", VersionKind.RANGE),
        ("name@latest", "registry", "name", "latest", VersionKind.LATEST),
        ("name@next", "registry", "name", "next", VersionKind.TAG),
        ("@scope/name@beta", "registry", "@scope/name", "beta", VersionKind.TAG),
        ("name", "registry", "name", None, VersionKind.UNSPECIFIED),
        ("@scope/name", "registry", "@scope/name", None, VersionKind.UNSPECIFIED),
        ("name@", "registry", "name", "", VersionKind.UNSPECIFIED),
        ("npm:bar@1.0.0", "registry", "bar", "1.0.0", VersionKind.EXACT),
        ("foo@npm:@s/bar@^2", "alias", "@s/bar", "^2", VersionKind.RANGE),
        ("github:owner/repo#" + SHA40, "git", "github:owner/repo", SHA40, VersionKind.URL),
        ("owner/repo", "git", "owner/repo", None, VersionKind.URL),
        ("owner/repo#main", "git", "owner/repo", "main", VersionKind.URL),
        (
            "git+https://github.com/o/r.git#" + SHA40,
            "git",
            "git+https://github.com/o/r.git",
            SHA40,
            VersionKind.URL,
        ),
        (
            "git+ssh://git@github.com/o/r.git#main",
            "git",
            "git+ssh://git@github.com/o/r.git",
            "main",
            VersionKind.URL,
        ),
        ("git@github.com:o/r.git", "git", "git@github.com:o/r.git", None, VersionKind.URL),
        ("https://github.com/o/r#v1", "git", "https://github.com/o/r", "v1", VersionKind.URL),
        (
            "https://example.com/pkg-1.0.0.tgz",
            "url",
            "https://example.com/pkg-1.0.0.tgz",
            None,
            VersionKind.URL,
        ),
        ("./local-dir", "file", "./local-dir", None, VersionKind.URL),
        ("file:../x", "file", "file:../x", None, VersionKind.URL),
    ],
)
def test_parse_npm_spec(
    spec: str, kind: str, name: str, version: str | None, version_kind: VersionKind
) -> None:
    parsed = parse_npm_spec(spec)
    assert (parsed.kind, parsed.name, parsed.version) == (kind, name, version)
    if kind in ("registry", "alias"):
        assert parsed.version_kind is version_kind
    assert format_npm_spec(parsed) == spec


def test_parse_npm_spec_alias_keeps_alias_name() -> None:
    parsed = parse_npm_spec("foo@npm:bar@1.0.0")
    assert parsed.alias == "foo"
    assert parsed.version_kind is VersionKind.EXACT


def test_npm_spec_validity() -> None:
    assert parse_npm_spec("ok-name@1.0.0").valid_name
    assert not parse_npm_spec("bad name").valid_name
    assert not parse_npm_spec("name@not a tag!").valid_version
    assert parse_npm_spec("name@next").valid_version


@st.composite
def npm_specs(draw: st.DrawFn) -> tuple[str, VersionKind]:
    word = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,12}", fullmatch=True)
    name = draw(word)
    if draw(st.booleans()):
        name = f"@{draw(word)}/{name}"
    num = st.integers(min_value=0, max_value=999).map(str)
    major, minor, patch = draw(num), draw(num), draw(num)
    pre = draw(st.sampled_from(["", "-beta.1", "-rc.0", "-alpha"]))
    version, kind = draw(
        st.sampled_from(
            [
                (None, VersionKind.UNSPECIFIED),
                (f"{major}.{minor}.{patch}{pre}", VersionKind.EXACT),
                (f"v{major}.{minor}.{patch}", VersionKind.EXACT),
                (f"^{major}.{minor}", VersionKind.RANGE),
                (f"~{major}", VersionKind.RANGE),
                (f">={major} <{minor}", VersionKind.RANGE),
                (f"{major}.x", VersionKind.RANGE),
                ("*", VersionKind.RANGE),
                ("latest", VersionKind.LATEST),
                ("next", VersionKind.TAG),
                ("canary-build", VersionKind.TAG),
            ]
        )
    )
    spec = name if version is None else f"{name}@{version}"
    form = draw(st.sampled_from(["plain", "prefix", "alias"]))
    if form == "prefix":
        spec = "npm:" + spec
    elif form == "alias":
        spec = f"{draw(word)}@npm:{spec}"
    return spec, kind


@given(npm_specs())
def test_npm_spec_round_trip(case: tuple[str, VersionKind]) -> None:
    spec, kind = case
    parsed = parse_npm_spec(spec)
    assert format_npm_spec(parsed) == spec
    assert parsed.version_kind is kind
    assert parsed.kind in ("registry", "alias")
    assert parsed.valid_name


# ------------------------------------------------------------------------------------------
# npm-family launchers


def test_npx_filesystem_server() -> None:
    launch = run(
        "npx",
        "-y",
        "@modelcontextprotocol/server-filesystem",
        "/Users/alice/Desktop",
        "/Users/alice/Downloads",
    )
    assert launch.launcher == "npx"
    assert launch.auto_install
    ref = only(launch)
    assert (ref.ecosystem, ref.name, ref.requested) == (
        "npm",
        "@modelcontextprotocol/server-filesystem",
        None,
    )
    assert ref.version_kind is VersionKind.UNSPECIFIED
    assert ref.purl == "pkg:npm/%40modelcontextprotocol/server-filesystem"
    assert ref.role == "server"
    assert launch.path_args == ("/Users/alice/Desktop", "/Users/alice/Downloads")
    assert launch.secret_args == ()


@pytest.mark.parametrize(
    ("spec", "kind", "purl"),
    [
        ("@scope/pkg@1.2.3", VersionKind.EXACT, "pkg:npm/%40scope/pkg@1.2.3"),
        ("pkg@v2.0.0", VersionKind.EXACT, "pkg:npm/pkg@2.0.0"),
        ("pkg@^1", VersionKind.RANGE, "pkg:npm/pkg"),
        ("pkg@latest", VersionKind.LATEST, "pkg:npm/pkg"),
        ("pkg@next", VersionKind.TAG, "pkg:npm/pkg"),
        ("pkg", VersionKind.UNSPECIFIED, "pkg:npm/pkg"),
        ("github:o/r#" + SHA40, VersionKind.DIGEST, f"pkg:github/o/r@{SHA40}"),
        ("github:o/r#main", VersionKind.URL, "pkg:github/o/r"),
        ("git+https://gitlab.com/o/r.git#" + SHA40, VersionKind.DIGEST, None),
        ("https://example.com/x/pkg-1.0.0.tgz", VersionKind.URL, None),
    ],
)
def test_npx_version_kinds(spec: str, kind: VersionKind, purl: str | None) -> None:
    ref = only(run("npx", "-y", spec))
    assert ref.version_kind is kind
    assert ref.spec == spec
    if purl is not None:
        assert ref.purl == purl
    assert ref.pinned == (kind in (VersionKind.EXACT, VersionKind.DIGEST))


def test_npx_git_and_url_ecosystems() -> None:
    git = only(run("npx", "git+https://gitlab.com/o/r.git#" + SHA40))
    assert git.ecosystem == "git"
    assert git.requested == SHA40
    assert git.purl.startswith("pkg:generic/r@")
    assert "vcs_url=" in git.purl
    tarball = only(run("npx", "https://example.com/x/pkg-1.0.0.tgz"))
    assert tarball.ecosystem == "url"
    assert tarball.purl.startswith("pkg:generic/pkg-1.0.0.tgz?download_url=")


def test_npx_alias() -> None:
    ref = only(run("npx", "-y", "foo@npm:bar@1.0.0"))
    assert (ref.name, ref.alias_of, ref.requested) == ("foo", "bar", "1.0.0")
    assert ref.purl == "pkg:npm/bar@1.0.0"


def test_npx_without_yes_still_installs_but_no_refuses() -> None:
    assert run("npx", "pkg").auto_install
    assert not run("npx", "--no", "pkg").auto_install


@pytest.mark.parametrize(
    "argv",
    [
        ("npx", "-y", "--", "pkg@1.0.0", "--port", "1"),
        ("npx", "--yes", "--registry=https://registry.npmjs.org", "pkg@1.0.0"),
        ("/usr/local/bin/npx", "-y", "pkg@1.0.0"),
        ("C:\\Program Files\\nodejs\\npx.cmd", "-y", "pkg@1.0.0"),
        ("NPX.CMD", "-y", "pkg@1.0.0"),
    ],
)
def test_npx_forms(argv: tuple[str, ...]) -> None:
    launch = run(argv[0], *argv[1:])
    assert launch.launcher == "npx"
    ref = only(launch)
    assert (ref.name, ref.version_kind) == ("pkg", VersionKind.EXACT)


def test_npx_package_flag_runs_a_bin() -> None:
    launch = run("npx", "-y", "-p", "@scope/tool@1.0.0", "--package=other@^2", "tool", "/data")
    names = {p.name: p.version_kind for p in launch.packages}
    assert names == {"@scope/tool": VersionKind.EXACT, "other": VersionKind.RANGE}
    assert launch.path_args == ("/data",)


def test_npx_call_is_analysed() -> None:
    launch = run("npx", "-y", "-c", "uvx mcp-server-fetch")
    assert launch.launcher == "npx"
    assert only(launch).ecosystem == "pypi"


@pytest.mark.parametrize(
    ("argv", "launcher"),
    [
        (("bunx", "pkg@1.0.0"), "bunx"),
        (("bun", "x", "pkg@1.0.0"), "bunx"),
        (("pnpm", "dlx", "pkg@1.0.0"), "pnpm dlx"),
        (("pnpx", "pkg@1.0.0"), "pnpm dlx"),
        (("pnpm", "--silent", "dlx", "--package", "pkg@1.0.0", "pkg"), "pnpm dlx"),
        (("yarn", "dlx", "-p", "pkg@1.0.0", "pkg"), "yarn dlx"),
        (("yarn", "dlx", "pkg@1.0.0"), "yarn dlx"),
        (("npm", "exec", "--", "pkg@1.0.0"), "npm exec"),
        (("npm", "x", "-y", "pkg@1.0.0"), "npm exec"),
    ],
)
def test_other_npm_launchers(argv: tuple[str, ...], launcher: str) -> None:
    launch = run(argv[0], *argv[1:])
    assert launch.launcher == launcher
    assert launch.auto_install
    ref = only(launch)
    assert (ref.ecosystem, ref.name, ref.version_kind) == ("npm", "pkg", VersionKind.EXACT)


def test_package_manager_running_local_code() -> None:
    launch = run("npm", "run", "start")
    assert launch.launcher == "npm"
    assert launch.packages == ()
    assert any("does not analyse" in n for n in launch.notes)


def test_npx_local_path_is_not_a_package() -> None:
    launch = run("npx", "./server")
    assert launch.packages == ()
    assert any("local path" in n for n in launch.notes)


def test_invalid_npm_name_is_noted_but_kept() -> None:
    launch = run("npx", "Bad Name!")
    assert only(launch).name == "Bad Name!"
    assert any("not a valid npm package name" in n for n in launch.notes)


# ------------------------------------------------------------------------------------------
# Python launchers


@pytest.mark.parametrize(
    ("spec", "name", "requested", "kind", "purl"),
    [
        (
            "mcp-server-fetch",
            "mcp-server-fetch",
            None,
            VersionKind.UNSPECIFIED,
            "pkg:pypi/mcp-server-fetch",
        ),
        (
            "mcp-server-fetch==1.2.3",
            "mcp-server-fetch",
            "==1.2.3",
            VersionKind.EXACT,
            "pkg:pypi/mcp-server-fetch@1.2.3",
        ),
        (
            "Mcp_Server.Fetch==1.0",
            "Mcp_Server.Fetch",
            "==1.0",
            VersionKind.EXACT,
            "pkg:pypi/mcp-server-fetch@1.0",
        ),
        ("pkg===1.0-weird", "pkg", "===1.0-weird", VersionKind.EXACT, "pkg:pypi/pkg@1.0-weird"),
        ("pkg>=1", "pkg", ">=1", VersionKind.RANGE, "pkg:pypi/pkg"),
        ("pkg~=1.2", "pkg", "~=1.2", VersionKind.RANGE, "pkg:pypi/pkg"),
        ("pkg!=1.0", "pkg", "!=1.0", VersionKind.RANGE, "pkg:pypi/pkg"),
        ("pkg==1.*", "pkg", "==1.*", VersionKind.RANGE, "pkg:pypi/pkg"),
        ("pkg[extra]==2.0", "pkg", "==2.0", VersionKind.EXACT, "pkg:pypi/pkg@2.0"),
        ("pkg@1.2", "pkg", "1.2", VersionKind.EXACT, "pkg:pypi/pkg@1.2"),
        ("pkg@latest", "pkg", "latest", VersionKind.LATEST, "pkg:pypi/pkg"),
    ],
)
def test_uvx_specs(
    spec: str, name: str, requested: str | None, kind: VersionKind, purl: str
) -> None:
    launch = run("uvx", spec)
    assert launch.launcher == "uvx"
    assert launch.auto_install
    ref = only(launch)
    assert (ref.ecosystem, ref.name, ref.requested, ref.version_kind, ref.purl) == (
        "pypi",
        name,
        requested,
        kind,
        purl,
    )


def test_uvx_from_with_python() -> None:
    launch = run(
        "uvx",
        "--python",
        "3.12",
        "--from",
        "mcp-foo==1.0.0",
        "--with",
        "extra-dep>=2,other==1.0",
        "mcp-foo-cli",
        "~/notes",
    )
    names = {p.name: p.version_kind for p in launch.packages}
    assert names == {
        "mcp-foo": VersionKind.EXACT,
        "extra-dep": VersionKind.RANGE,
        "other": VersionKind.EXACT,
    }
    assert launch.path_args == ("~/notes",)


@pytest.mark.parametrize(
    ("spec", "kind", "requested"),
    [
        (f"git+https://github.com/o/r@{SHA40}", VersionKind.DIGEST, SHA40),
        ("git+https://github.com/o/r.git@v1.0", VersionKind.URL, "v1.0"),
        ("git+https://github.com/o/r", VersionKind.URL, None),
        (f"name @ git+https://github.com/o/r@{SHA40}", VersionKind.DIGEST, SHA40),
    ],
)
def test_uvx_git_specs(spec: str, kind: VersionKind, requested: str | None) -> None:
    ref = only(run("uvx", "--from", spec, "cmd"))
    assert (ref.ecosystem, ref.version_kind, ref.requested) == ("git", kind, requested)
    assert ref.purl.startswith("pkg:github/o/r")


def test_uvx_wheel_url_with_hash_is_pinned() -> None:
    ref = only(
        run(
            "uvx",
            "--from",
            f"https://files.example.com/p-1.0-py3-none-any.whl#sha256={SHA256}",
            "p",
        )
    )
    assert (ref.ecosystem, ref.version_kind, ref.sha256) == ("url", VersionKind.DIGEST, SHA256)
    assert f"checksum=sha256:{SHA256}" in ref.purl


@pytest.mark.parametrize(
    ("argv", "launcher"),
    [
        (("uv", "tool", "run", "pkg==1.0"), "uv tool run"),
        (("uv", "--quiet", "tool", "run", "--from", "pkg==1.0", "pkg"), "uv tool run"),
        (("pipx", "run", "pkg==1.0"), "pipx run"),
        (("pipx", "run", "--spec", "pkg==1.0", "pkg-cli"), "pipx run"),
    ],
)
def test_other_python_launchers(argv: tuple[str, ...], launcher: str) -> None:
    launch = run(argv[0], *argv[1:])
    assert launch.launcher == launcher
    assert launch.auto_install
    ref = only(launch)
    assert (ref.name, ref.version_kind) == ("pkg", VersionKind.EXACT)


def test_uv_run_only_fetches_with_packages() -> None:
    launch = run("uv", "run", "--with", "mcp==1.2.0", "server.py")
    assert launch.launcher == "uv run"
    assert only(launch).name == "mcp"
    assert any("local project" in n for n in launch.notes)


def test_non_default_index_is_noted() -> None:
    launch = run("uvx", "--extra-index-url", "https://pypi.example.com/simple", "pkg")
    assert "uvx installs from a non-default package index (--extra-index-url)" in launch.notes


@pytest.mark.parametrize(
    ("argv", "note"),
    [
        (("python", "-m", "mcp_server_time", "--tz=UTC"), "python runs a local module"),
        (("python3.11", "-u", "-m", "mod"), "python runs a local module"),
        (("/usr/bin/python3", "server.py", "/srv"), "python runs a local script"),
        (("py", "-c", "print(1)"), "python runs inline code"),
    ],
)
def test_python(argv: tuple[str, ...], note: str) -> None:
    launch = run(argv[0], *argv[1:])
    assert launch.launcher == "python"
    assert launch.packages == ()
    # Inline code is something mcpscan cannot follow (EX02); the rest is local code.
    assert any(n.startswith(note) for n in (*launch.notes, *launch.opaque))


def test_python_script_args_are_server_args() -> None:
    assert run("python3", "server.py", "/").path_args == ("/",)


# ------------------------------------------------------------------------------------------
# node, deno, binaries, shells


@pytest.mark.parametrize(
    ("script", "note"),
    [
        ("/path/to/server.js", "node runs a local script"),
        ("./node_modules/.bin/mcp-server", "node runs a package installed in a local node_modules"),
        ("C:\\app\\node_modules\\pkg\\dist\\index.js", "node runs a package installed"),
    ],
)
def test_node(script: str, note: str) -> None:
    launch = run("node", "--max-old-space-size=4096", script, "--root", "~")
    assert launch.launcher == "node"
    assert launch.packages == ()
    assert any(n.startswith(note) for n in launch.notes)
    assert launch.path_args == ("~",)


def test_node_inline_code() -> None:
    assert any("inline code" in n for n in run("node", "-e", "require('x')").opaque)


def test_deno_npm_jsr_url_and_local() -> None:
    npm = run("deno", "run", "-A", "npm:@scope/pkg@1.2.3", "/tmp")
    assert npm.launcher == "deno"
    ref = only(npm)
    assert (ref.ecosystem, ref.name, ref.version_kind, ref.spec) == (
        "npm",
        "@scope/pkg",
        VersionKind.EXACT,
        "npm:@scope/pkg@1.2.3",
    )
    assert npm.path_args == ("/tmp",)
    jsr = only(run("deno", "run", "--allow-net", "jsr:@std/http@^1"))
    assert (jsr.ecosystem, jsr.name, jsr.version_kind) == ("jsr", "@std/http", VersionKind.RANGE)
    url = only(run("deno", "run", "https://deno.land/x/server/mod.ts"))
    assert (url.ecosystem, url.version_kind) == ("url", VersionKind.URL)
    local = run("deno", "run", "main.ts")
    assert local.packages == ()
    assert any("local module" in n for n in local.notes)


def test_direct_binary() -> None:
    launch = run("/opt/bin/my-server", "--dir", "/home/alice")
    assert launch.launcher == "binary"
    assert launch.packages == ()
    assert "runs the local program 'my-server'; its provenance is not checked" in launch.notes
    assert launch.path_args == ("/home/alice",)


def test_shell_wrapper_is_unwrapped() -> None:
    launch = run("bash", "-lc", "npx -y pkg@1.0.0 ~ && echo done")
    assert launch.launcher == "npx"
    assert only(launch).version_kind is VersionKind.EXACT
    assert launch.path_args == ("~",)
    assert launch.shell == "bash -lc"
    assert launch.opaque == ()  # the whole script was read: echo is setup


def test_env_wrapper_checks_assignments() -> None:
    launch = run("env", f"GITHUB_TOKEN={GHP}", "DEBUG=1", "npx", "-y", "pkg")
    assert launch.launcher == "npx"
    assert secrets_of(launch) == [("GITHUB_TOKEN", 1, GHP)]


def test_nested_cmd_inside_supergateway() -> None:
    launch = run("supergateway", "--stdio", "cmd /c npx -y pkg@1.0.0")
    assert [p.name for p in launch.packages] == ["pkg"]


# ------------------------------------------------------------------------------------------
# Containers


@pytest.mark.parametrize(
    ("image", "name", "requested", "kind", "sha", "repository_url"),
    [
        (
            "ghcr.io/github/github-mcp-server",
            "ghcr.io/github/github-mcp-server",
            None,
            VersionKind.LATEST,
            None,
            "ghcr.io/github/github-mcp-server",
        ),
        (
            "mcp/fetch:latest",
            "mcp/fetch",
            "latest",
            VersionKind.LATEST,
            None,
            "docker.io/mcp/fetch",
        ),
        ("ubuntu:24.04", "ubuntu", "24.04", VersionKind.TAG, None, "docker.io/library/ubuntu"),
        (
            f"ghcr.io/o/img@sha256:{SHA256}",
            "ghcr.io/o/img",
            f"sha256:{SHA256}",
            VersionKind.DIGEST,
            SHA256,
            "ghcr.io/o/img",
        ),
        (
            f"ghcr.io/o/img:1.0@sha256:{SHA256}",
            "ghcr.io/o/img",
            f"sha256:{SHA256}",
            VersionKind.DIGEST,
            SHA256,
            "ghcr.io/o/img",
        ),
        (
            "localhost:5000/img:tag",
            "localhost:5000/img",
            "tag",
            VersionKind.TAG,
            None,
            "localhost:5000/img",
        ),
        (
            "localhost:5000/img",
            "localhost:5000/img",
            None,
            VersionKind.LATEST,
            None,
            "localhost:5000/img",
        ),
        (
            "registry.example.com:8443/team/img:2",
            "registry.example.com:8443/team/img",
            "2",
            VersionKind.TAG,
            None,
            "registry.example.com:8443/team/img",
        ),
    ],
)
def test_docker_images(
    image: str,
    name: str,
    requested: str | None,
    kind: VersionKind,
    sha: str | None,
    repository_url: str,
) -> None:
    launch = run("docker", "run", "-i", "--rm", image)
    assert launch.launcher == "docker"
    ref = only(launch)
    assert (ref.ecosystem, ref.name, ref.requested, ref.version_kind, ref.sha256) == (
        "oci",
        name,
        requested,
        kind,
        sha,
    )
    assert ref.purl.startswith("pkg:oci/")
    assert f"repository_url={repository_url}" in ref.purl
    if kind is VersionKind.DIGEST:
        assert f"@sha256:{SHA256}" in ref.purl
    assert launch.container is not None
    assert launch.container.image == image


def test_malformed_digest_does_not_pin() -> None:
    launch = run("docker", "run", "img@sha256:abc")
    assert only(launch).version_kind is VersionKind.TAG
    assert any("malformed" in n for n in launch.notes)


def test_docker_github_example_from_reference() -> None:
    launch = run(
        "docker",
        "run",
        "-i",
        "--rm",
        "-e",
        "GITHUB_PERSONAL_ACCESS_TOKEN",
        "ghcr.io/github/github-mcp-server",
        env={"GITHUB_PERSONAL_ACCESS_TOKEN": GHP},
    )
    assert launch.container is not None
    assert launch.container.env_literals == ()
    assert launch.secret_args == ()
    assert launch.auto_install


def test_docker_hardening_flags() -> None:
    launch = run(
        "docker",
        "run",
        "-it",
        "--rm",
        "--privileged",
        "--network=host",
        "--pid",
        "host",
        "--cap-add",
        "SYS_ADMIN",
        "--cap-add=NET_ADMIN",
        "--security-opt",
        "seccomp=unconfined",
        "-v",
        "/:/host:ro",
        "--volume=${HOME}/.ssh:/root/.ssh",
        "-v",
        "named-vol:/data",
        "--mount",
        "type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock",
        "--mount",
        "type=volume,source=cache,target=/cache",
        "-e",
        f"API_TOKEN={GHP}",
        "-eDEBUG=1",
        "--env=MY_SECRET=hunter2hunter2",
        "--name",
        "srv",
        "-p",
        "8080:80",
        "-w",
        "/app",
        "-u",
        "1000",
        "--entrypoint",
        "/bin/sh",
        "ghcr.io/o/img:1",
        "--root",
        "/projects",
        SK,
    )
    facts = launch.container
    assert facts is not None
    assert (facts.privileged, facts.host_network, facts.host_pid) == (True, True, True)
    assert facts.cap_add == ("SYS_ADMIN", "NET_ADMIN")
    assert facts.security_opts == ("seccomp=unconfined",)
    assert facts.mounts == ("/", "${HOME}/.ssh", "/var/run/docker.sock")
    assert facts.env_literals == ("API_TOKEN", "DEBUG", "MY_SECRET")
    assert only(launch).name == "ghcr.io/o/img"
    found = secrets_of(launch)
    assert ("-e", 23, GHP) in found
    assert ("--env", 25, "hunter2hunter2") in found
    assert ("", 39, SK) in found
    assert len(found) == 3
    # Arguments after the image are paths inside the container, not on the host.
    assert launch.path_args == ()
    assert "docker run overrides the image's entrypoint" in launch.notes


def test_docker_unknown_option_is_noted() -> None:
    launch = run("docker", "run", "--frobnicate", "img")
    assert any("unknown option --frobnicate" in n for n in launch.notes)
    assert only(launch).name == "img"


@pytest.mark.parametrize(
    "argv",
    [
        ("podman", "run", "-i", "img:1"),
        ("docker", "container", "run", "img:1"),
        ("docker", "--context", "remote", "run", "img:1"),
    ],
)
def test_container_forms(argv: tuple[str, ...]) -> None:
    launch = run(argv[0], *argv[1:])
    assert launch.launcher == argv[0]
    assert (only(launch).name, only(launch).requested) == ("img", "1")


def test_docker_pull_never_does_not_auto_install() -> None:
    assert not run("docker", "run", "--pull=never", "img").auto_install


def test_docker_other_subcommand() -> None:
    launch = run("docker", "exec", "-i", "ctr", "server")
    assert launch.packages == ()
    assert launch.container is None
    assert any("subcommand" in n for n in launch.opaque)


# ------------------------------------------------------------------------------------------
# Proxy hops


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


# ------------------------------------------------------------------------------------------
# Remotes


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


# ------------------------------------------------------------------------------------------
# Secrets and path arguments


def test_secret_arguments() -> None:
    launch = run(
        "npx",
        "-y",
        "pkg",
        GHP,
        "--api-key",
        SK,
        "--token=abcdefgh12",
        "--api-key=${API_KEY}",
        "--name",
        "@modelcontextprotocol/server-filesystem",
        "--password",
        "your_password",
    )
    assert secrets_of(launch) == [("", 3, GHP), ("--api-key", 5, SK), ("--token", 6, "abcdefgh12")]
    assert GHP not in repr(launch)
    assert SK not in repr(launch)


def test_credential_where_a_package_was_expected() -> None:
    launch = run("npx", "-y", GHP)
    assert launch.packages == ()
    assert secrets_of(launch) == [("", 2, GHP)]
    assert GHP not in repr(launch)


def test_secret_reused_elsewhere_is_scrubbed_from_every_fact() -> None:
    # The same credential as an inner server argument and as a (nonsensical) listen host.
    launch = run("supergateway", "--stdio", f"srv {GHP}", "--host", GHP)
    assert secrets_of(launch) == [("", 2, GHP)]
    hop = launch.proxies[0]
    assert hop.listen_host is not None
    assert hop.listen_host.startswith("<redacted sha256:")
    assert GHP not in repr(launch)


def test_short_secret_does_not_corrupt_other_facts() -> None:
    # "exact" under a secret-named flag counts as a secret, and also occurs in VersionKind.
    launch = run("npx", "-y", "pkg@1.0.0", "--token", "exact")
    assert secrets_of(launch) == [("--token", 4, "exact")]
    assert only(launch).version_kind is VersionKind.EXACT


def test_empty_command_gets_one_note() -> None:
    assert run("", "").opaque == ("the connector's command is empty",)


def test_credentials_in_launcher_urls() -> None:
    launch = run("npx", "--registry", "https://user:Sup3rS3cret99@npm.example.com/", "pkg")
    # The whole user-info is the credential (the user name is not shown either).
    assert secrets_of(launch) == [("--registry", 2, "user:Sup3rS3cret99")]
    assert launch.secret_args[0].in_url
    assert "npx installs from a non-default package index (--registry)" in launch.notes
    git = run("npx", f"git+https://{GHP}@github.com/o/r.git#main")
    ref = only(git)
    assert ref.name == "git+https://github.com/o/r.git"
    assert secrets_of(git) == [("", 1, GHP)]
    assert GHP not in repr(git)


@pytest.mark.parametrize(
    ("arg", "is_path"),
    [
        ("/", True),
        ("~", True),
        ("~/x", True),
        ("$HOME", True),
        ("${HOME}", True),
        ("${userHome}", True),
        ("C:\\", True),
        ("/Users/x", True),
        ("/home/x", True),
        ("./x", True),
        (".", True),
        ("..", True),
        ("D:/data", True),
        ("%USERPROFILE%", True),
        ("${workspaceFolder}", True),
        ("$HOME/notes", True),
        ("foo", False),
        ("https://x.example/y", False),
        ("8080", False),
        ("$HOMEWORK", False),
        (".env-file-name", False),
    ],
)
def test_path_args(arg: str, is_path: bool) -> None:
    launch = run("npx", "-y", "pkg", arg)
    assert launch.path_args == ((arg,) if is_path else ())


def test_path_in_flag_value() -> None:
    assert run("uvx", "pkg", "--root=/", "--dir", "~").path_args == ("/", "~")


def test_package_ref_helper() -> None:
    npm = package_ref("npm", "@scope/x@1.0.0")
    assert npm is not None
    assert npm.purl == "pkg:npm/%40scope/x@1.0.0"
    pypi = package_ref("pypi", "x==1.0", role="proxy")
    assert pypi is not None
    assert pypi.role == "proxy"
    oci = package_ref("oci", "ghcr.io/o/x:1")
    assert oci is not None
    assert oci.version_kind is VersionKind.TAG
    assert package_ref("npm", "./local") is None
    with pytest.raises(ValueError, match="unknown ecosystem"):
        package_ref("cargo", "x")  # type: ignore[arg-type]


def test_npm_spec_dataclass_is_frozen() -> None:
    spec = parse_npm_spec("x@1.0.0")
    assert isinstance(spec, NpmSpec)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "y"  # type: ignore[misc]


# ------------------------------------------------------------------------------------------
# Properties

_VOCAB = [
    "npx",
    "-y",
    "--yes",
    "--no",
    "-p",
    "--package",
    "-c",
    "--",
    "uvx",
    "uv",
    "tool",
    "run",
    "--from",
    "--with",
    "pipx",
    "--spec",
    "docker",
    "podman",
    "-i",
    "-e",
    "-v",
    "--mount",
    "--privileged",
    "--network",
    "host",
    "-it",
    "node",
    "python",
    "-m",
    "deno",
    "npm:x@1",
    "jsr:@a/b",
    "bash",
    "-c",
    "sh",
    "env",
    "cmd",
    "/c",
    "mcp-remote",
    "supergateway",
    "mcp-proxy",
    "--stdio",
    "--sse",
    "--streamableHttp",
    "--header",
    "--headers",
    "--oauth2Bearer",
    "--cors",
    "--host",
    "--port",
    "--allow-origin",
    "--named-server",
    "--pass-environment",
    "--allow-http",
    "pkg@1.0.0",
    "@s/p@^1",
    "img:1",
    "img@sha256:x",
    "https://h.example/sse",
    "http://localhost:1/x?key=v",
    "/",
    "~",
    ".",
    "=",
    "",
    " ",
    "'",
    '"',
    "K=V",
    "Authorization: Bearer",
    GHP,
    SK,
    f"Bearer {GHP}",
    f"TOKEN={GHP}",
    f"https://u:{SK}@h.example/",
    f"npx -y pkg {GHP}",
    f"https://h.example/?q={GHP}",
    "type=bind,source=/",
    "http://[::1",
    "https://[x/p.tgz",
    "git+https://github.com/o/r@" + SHA40,
    "\u00e9\u6f22\u0000",
]


@st.composite
def argvs(draw: st.DrawFn) -> tuple[str | None, tuple[str, ...]]:
    token = st.one_of(st.sampled_from(_VOCAB), st.text(max_size=12))
    tokens = draw(st.lists(token, max_size=12))
    command = draw(
        st.one_of(
            st.none(),
            st.sampled_from(_VOCAB),
            st.text(max_size=20),
            st.builds(" ".join, st.lists(token, max_size=6)),
        )
    )
    return command, tuple(tokens)


@given(
    argvs(),
    st.sampled_from(["stdio", "http", "sse", "unknown"]),
    st.one_of(st.none(), st.sampled_from(_VOCAB), st.text(max_size=30)),
)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_unwrap_never_raises_and_never_leaks(
    case: tuple[str | None, tuple[str, ...]], transport: str, url: str | None
) -> None:
    command, args = case
    launch = unwrap(conn(command, args, url=url, transport=transport))
    assert isinstance(launch, Launch)
    assert not any("internal error" in n for n in launch.notes), launch.notes
    # Every string value the launch holds (not its field names: "--oauth2Bearer host" makes
    # "host" a secret, and "host=" is in any repr of a Remote).
    text = "\n".join(_strings(launch))
    for secret in launch.secret_args:
        raw = secret.value.reveal()
        if len(raw) >= 4:
            assert raw not in text
            assert not any(raw in n for n in launch.notes)
    for known in (GHP, SK):
        assert not any(known in n for n in launch.notes)


def _strings(value: object) -> list[str]:
    """The string values inside ``value`` (dataclasses, tuples, enums' values), not a
    Sensitive's hidden one."""
    if isinstance(value, Sensitive):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (tuple, list, frozenset, set)):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for pair in value.items() for s in _strings(pair)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in _strings(getattr(value, f.name))]
    return [str(value)] if value is not None else []


@given(st.lists(st.text(), max_size=8), st.text())
@settings(max_examples=200, deadline=None)
def test_unwrap_never_raises_on_arbitrary_text(args: list[str], command: str) -> None:
    launch = unwrap(conn(command, tuple(args)))
    assert isinstance(launch, Launch)
    assert not any("internal error" in n for n in launch.notes), launch.notes


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_parse_remote_never_raises(url: str) -> None:
    remote = parse_remote(url, transport="http")
    assert remote.transport == "http"
    if remote.scheme:
        assert "@" not in urlsplit(remote.display_url).netloc
