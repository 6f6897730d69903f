"""Shells and wrappers: sh -c, env, cmd /c."""

from __future__ import annotations

from mcpscan.models import VersionKind
from tests.support.launchers import GHP, only, run, secrets_of


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
