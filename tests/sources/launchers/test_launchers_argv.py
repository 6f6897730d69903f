"""Splitting a connector's command line into argv (``split_command``)."""

from __future__ import annotations

import pytest

from mcpscan.sources.launchers import split_command
from tests.support.launchers import run


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
