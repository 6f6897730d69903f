"""``mcpscan rules list|show``: browse the rule catalogue."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpscan.cli import output
from mcpscan.cli.options import LIST_FORMATS, ListFormatOpt, RulesDirOpt
from mcpscan.errors import UsageError

if TYPE_CHECKING:
    from mcpscan.ruleset import Catalogue

rules_app = typer.Typer(help="Browse the rule catalogue.", no_args_is_help=True)


def _catalogue(rules_dir: Path | None) -> Catalogue:
    from mcpscan.ruleset import load_catalogue

    return load_catalogue(rules_dir)


@rules_app.command("list")
def rules_list(
    fmt: ListFormatOpt = "table",
    rules_dir: RulesDirOpt = None,
) -> None:
    """List every rule with its severity and framework mappings."""
    with output.errors_exit():
        if fmt not in LIST_FORMATS:
            raise UsageError(f"unknown format {fmt!r} (choose from table, json)")
        catalogue = _catalogue(rules_dir)
    if fmt == "json":
        doc = [
            {
                "id": r.id,
                "slug": r.slug,
                "title": r.title,
                "severity": r.severity.label,
                "requires": r.requires,
                "frameworks": [f"{f.framework} {f.id}" for f in r.frameworks],
            }
            for r in catalogue.rules
        ]
        typer.echo(json.dumps(doc, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"mcpscan rules ({len(catalogue.rules)})")
    for col in ("id", "slug", "severity", "needs", "maps to"):
        table.add_column(col)
    for r in catalogue.rules:
        table.add_row(
            r.id, r.slug, r.severity.label, r.requires, ", ".join(f.id for f in r.frameworks)
        )
    Console(width=output.terminal_width(), no_color=not sys.stdout.isatty()).print(table)


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(metavar="RULE", help="Rule id (e.g. SC01) or slug.")],
    rules_dir: RulesDirOpt = None,
) -> None:
    """Show one rule: what it tests, why, how to fix, and what it maps to."""
    with output.errors_exit():
        catalogue = _catalogue(rules_dir)
        wanted = rule_id.strip()
        rule = next(
            (r for r in catalogue.rules if wanted.upper() == r.id or wanted.lower() == r.slug),
            None,
        )
        if rule is None:
            raise UsageError(f"no rule {wanted!r} (see `mcpscan rules list`)")
    lines = [
        f"{rule.id} {rule.slug}: {rule.title}",
        f"severity: {rule.severity.label}    needs: {rule.requires} data"
        + ("" if rule.enabled else "    (disabled by default)"),
        "",
        "Why:",
        f"  {rule.rationale}",
        "",
        "Fix:",
        f"  {rule.remediation}",
        "",
        "Maps to:",
        *(f"  {f.framework} {f.id} {f.title} ({f.version})" for f in rule.frameworks),
    ]
    typer.echo("\n".join(lines))
