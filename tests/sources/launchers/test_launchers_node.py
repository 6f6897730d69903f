"""The npm family (npx, npm exec, bunx, pnpm/yarn dlx), node and deno."""

from __future__ import annotations

import pytest

from mcpscan.models import VersionKind
from tests.support.launchers import SHA40, only, run


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
