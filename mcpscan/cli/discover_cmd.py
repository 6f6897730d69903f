"""``mcpscan discover``: the client configs on this machine and their connectors."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mcpscan.cli import output
from mcpscan.cli.exit_codes import for_discovery
from mcpscan.cli.options import LIST_FORMATS, ListFormatOpt
from mcpscan.errors import UsageError
from mcpscan.redaction import Redactor


def discover(
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR", help="Project directory to include (default: the current directory)."
        ),
    ] = None,
    fmt: ListFormatOpt = "table",
) -> None:
    """List the MCP client configs found on this machine and their connectors (no network)."""
    from mcpscan.scan import redactor_for
    from mcpscan.sources import discover as find_configs
    from mcpscan.sources import load_discovered
    from mcpscan.wiring import system

    with output.errors_exit():
        if fmt not in LIST_FORMATS:
            raise UsageError(f"unknown format {fmt!r} (choose from table, json)")
    cwd = (directory or Path.cwd()).resolve()
    found = find_configs(home=Path.home(), cwd=cwd, system=system(), env=dict(os.environ))
    rows: list[dict[str, Any]] = []
    redactor = Redactor()
    for d in found:
        loaded = load_discovered([d], cwd=cwd)
        redactor.merge(redactor_for(loaded))
        rows.append(
            {
                "path": str(d.path),
                "client": d.client,
                "scope": d.scope,
                "connectors": [
                    {"name": c.name, "line": c.source.line, "transport": c.transport}
                    for c in loaded.connectors
                ],
                "errors": [str(x) for x in loaded.diagnostics],
            }
        )
    if fmt == "json":
        text = output.scrub_report(json.dumps({"configs": rows}, indent=2), fmt, redactor)
    else:
        text = redactor.scrub(_table(rows)) if rows else "No MCP client configs found.\n"
    sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
    raise typer.Exit(int(for_discovery(rows)))


def _table(rows: list[dict[str, Any]]) -> str:
    from io import StringIO

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    def cell(value: str) -> Text:
        # Config text is never rich markup ("[/]" in a name would crash the table) nor
        # terminal control sequences.
        return Text(re.sub(r"[\x00-\x1f\x7f-\x9f]", "?", value))

    table = Table(title="MCP client configs found", show_lines=False)
    for col in ("client", "scope", "path", "connectors"):
        # Fold, never cut: a long path shortened with "…" no longer names the file.
        table.add_column(col, overflow="fold")
    for r in rows:
        names = ", ".join(c["name"] for c in r["connectors"])
        # An unreadable config must not look like an empty one.
        errors = "; ".join(r["errors"])
        table.add_row(
            cell(str(r["client"])),
            cell(str(r["scope"])),
            cell(str(r["path"])),
            cell(names or (f"(unreadable: {errors})" if errors else "(none)")),
        )
    buf = StringIO()
    Console(file=buf, width=output.terminal_width(), force_terminal=False).print(table)
    return buf.getvalue()


def register(app: typer.Typer) -> None:
    app.command("discover")(discover)
