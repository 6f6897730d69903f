"""The Python family: uvx, uv tool run, uv run, pipx run, python."""

from __future__ import annotations

import pytest

from mcpscan.models import VersionKind
from tests.support.launchers import SHA40, SHA256, only, run


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
