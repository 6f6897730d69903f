"""``--help`` at the widths people use: every command's variables are readable whole (a name
cut to ``MCPSCAN_INSPECT_MAX_EN…`` documents nothing), and no line is wider than the
terminal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from mcpscan.cli.app import app
from mcpscan.cli.help_layout import envvar_names


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = sorted(_commands(typer.main.get_command(app)), key=lambda item: item[0])


def test_the_walk_finds_the_commands_with_long_variable_names() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"scan", "approve", "diff", "sbom", "fix", "db update"} <= names


@pytest.mark.parametrize("width", [60, 80])
@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_help_shows_every_variable_whole(width: int, path: tuple[str, ...], command: Any) -> None:
    env = {"COLUMNS": str(width), "NO_COLOR": "1"}
    run = CliRunner().invoke(app, [*path, "--help"], env=env)
    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    assert max(len(line) for line in lines) <= width
    shown = [var for param in command.params for var in envvar_names(param)]
    assert run.stdout.count("[env var:") == len(shown)
    for var in shown:  # on one line, not folded, not ended with an ellipsis
        whole = re.search(rf"(?<![A-Z0-9_]){re.escape(var)}(?![A-Z0-9_…])", run.stdout)
        assert whole is not None, (path, width, var)
