"""The typer application: the root command and its command groups.

The CLI only parses options and prints. Each command group lives in its own module
(``*_cmd.py``); the shared scan options are defined once in :mod:`mcpscan.cli.options`;
the components of a scan are built by :mod:`mcpscan.wiring`; exit codes are decided in
:mod:`mcpscan.cli.exit_codes`; everything printed goes through :mod:`mcpscan.cli.output`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mcpscan import __version__
from mcpscan.cli import approvals_cmd, attest_cmd, discover_cmd, fix_cmd, lock_cmd, scan_cmd
from mcpscan.cli.db_cmd import db_app
from mcpscan.cli.options import FORMATS, LIST_FORMATS
from mcpscan.cli.policy_cmd import policy_app
from mcpscan.cli.rules_cmd import rules_app

__all__ = ["FORMATS", "LIST_FORMATS", "app"]

app = typer.Typer(
    name="mcpscan",
    help="Scan MCP connectors for supply-chain risk before they are installed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mcpscan {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """mcpscan: what would this connector run, who built it, and who approved it?"""


scan_cmd.register(app)
lock_cmd.register(app)
fix_cmd.register(app)
approvals_cmd.register(app)
discover_cmd.register(app)
app.add_typer(rules_app, name="rules")
app.add_typer(policy_app, name="policy")
app.add_typer(db_app, name="db")
attest_cmd.register(app)
