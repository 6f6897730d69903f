"""The typer application: options, environment variables, choice of implementations.

Commands stay thin: they build the seams, call :class:`mcpscan.scan.Scanner`, render, and
hand the outcome to :mod:`mcpscan.cli.exit_codes`. Everything printed passes through the
scan's :class:`~mcpscan.secrets.Redactor`.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from mcpscan import __version__
from mcpscan.cli.exit_codes import ExitCode, for_error, for_result
from mcpscan.errors import McpscanError, UsageError
from mcpscan.secrets import Redactor

app = typer.Typer(
    name="mcpscan",
    help="Scan MCP connectors for supply-chain risk before they are installed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(help="Browse the rule catalogue.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

FORMATS = ("table", "json")


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


# -- helpers ------------------------------------------------------------------------------


def _fail(message: str, code: ExitCode, redactor: Redactor | None = None) -> NoReturn:
    text = redactor.scrub(message) if redactor else message
    typer.echo(f"mcpscan: error: {text}", err=True)
    raise typer.Exit(int(code))


def _system() -> str:
    return {"Darwin": "darwin", "Windows": "windows"}.get(platform.system(), "linux")


def _write_output(text: str, output: Path | None) -> None:
    """Write the report only once it is complete: a failed scan leaves no half file."""
    if output is None:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
        return
    output = output.expanduser()
    if output.parent and not output.parent.exists():
        raise UsageError(f"cannot write {output}: directory {output.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".mcpscan-", dir=str(output.parent or Path(".")))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
        os.replace(tmp, output)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None


def _use_color(output: Path | None, no_color: bool) -> bool:
    return output is None and not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _targets_or_discovered(targets: list[str], cwd: Path) -> list[str]:
    if targets:
        return targets
    from mcpscan.sources import discover

    found = discover(home=Path.home(), cwd=cwd, system=_system(), env=dict(os.environ))
    return [str(d.path) for d in found]


# -- scan ---------------------------------------------------------------------------------


@app.command()
def scan(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Config files, directories, server.json files or package specs "
            "(npm:name@1.2.3, pypi:name==1.0, oci:ref, pkg:npm/...). "
            "None: discover this user's client configs.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("-f", "--format", help=f"Report format: {', '.join(FORMATS)}.")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the report here (default stdout).")
    ] = None,
    policy_path: Annotated[
        Path | None,
        typer.Option("--policy", envvar="MCPSCAN_POLICY", help="Policy file (mcpscan.toml)."),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            envvar="MCPSCAN_FAIL_ON",
            help="Fail when a finding is at or above this severity "
            "(critical, high, medium, low, info). Overrides the policy.",
        ),
    ] = None,
    rules_dir: Annotated[
        Path | None, typer.Option("--rules", help="Use this rule catalogue directory.")
    ] = None,
    allow_incomplete: Annotated[
        bool,
        typer.Option(
            "--allow-incomplete", help="Exit with the verdict even when some data was missing."
        ),
    ] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colours in the table.")] = False,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="No diagnostics on stderr.")
    ] = False,
) -> None:
    """Scan MCP connectors and report a pass/fail verdict."""
    from mcpscan.models import Severity
    from mcpscan.report import get_renderer
    from mcpscan.ruleset import Engine, Policy, find_policy, load_catalogue, load_policy
    from mcpscan.scan import Scanner, ScanOptions, redactor_for
    from mcpscan.sources import load_targets

    cwd = Path.cwd()
    redactor: Redactor | None = None
    try:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
        override = None
        if fail_on is not None:
            try:
                override = Severity.parse(fail_on)
            except ValueError as exc:
                raise UsageError(f"--fail-on: {exc}") from None
        catalogue = load_catalogue(rules_dir)
        policy_file = policy_path or find_policy(cwd)
        policy = load_policy(policy_file, rule_ids=catalogue.ids) if policy_file else Policy()
        if override is not None:
            policy = policy.with_overrides(fail_on=override)
        wanted = _targets_or_discovered(list(targets or []), cwd)
        loaded = load_targets(wanted, cwd=cwd)
        redactor = redactor_for(loaded)
        engine = Engine(catalogue, policy)
        result = Scanner(engine, ScanOptions(today=_dt.date.today())).scan(wanted, loaded)
        for cr in result.connectors:
            for sa in cr.launch.secret_args:
                redactor.add(sa.value)
        renderer = get_renderer(fmt, color=_use_color(output, no_color))
        text = redactor.scrub(renderer.render(result))
        _write_output(text, output)
        if not quiet:
            for diag in result.diagnostics:
                typer.echo(redactor.scrub(f"mcpscan: {diag}"), err=True)
        code = for_result(result, allow_incomplete=allow_incomplete)
        if code is ExitCode.NOTHING_TO_SCAN and not quiet:
            where = ", ".join(wanted) if wanted else "any known client config location"
            typer.echo(f"mcpscan: nothing to scan: no MCP connector found in {where}", err=True)
        if code is ExitCode.INCOMPLETE and not quiet:
            typer.echo(
                "mcpscan: scan incomplete: some inputs could not be read "
                "(use --allow-incomplete to exit with the verdict anyway)",
                err=True,
            )
        raise typer.Exit(int(code))
    except McpscanError as exc:
        _fail(str(exc), for_error(exc), redactor)


# -- discover -----------------------------------------------------------------------------


@app.command()
def discover(
    directory: Annotated[
        Path | None,
        typer.Argument(help="Project directory to include (default: the current directory)."),
    ] = None,
    fmt: Annotated[str, typer.Option("-f", "--format", help="table or json.")] = "table",
) -> None:
    """List the MCP client configs found on this machine and their connectors (no network)."""
    import json

    from mcpscan.scan import redactor_for
    from mcpscan.sources import discover as find_configs
    from mcpscan.sources import load_targets

    if fmt not in ("table", "json"):
        _fail(f"unknown format {fmt!r} (choose from table, json)", ExitCode.USAGE)
    cwd = (directory or Path.cwd()).resolve()
    found = find_configs(home=Path.home(), cwd=cwd, system=_system(), env=dict(os.environ))
    rows = []
    redactor = Redactor()
    for d in found:
        loaded = load_targets([str(d.path)], cwd=cwd)
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
        text = json.dumps({"configs": rows}, indent=2)
    else:
        from io import StringIO

        from rich.console import Console
        from rich.table import Table

        table = Table(title="MCP client configs found", show_lines=False)
        for col in ("client", "scope", "path", "connectors"):
            table.add_column(col)
        for r in rows:
            names = ", ".join(c["name"] for c in r["connectors"]) or "(none)"  # type: ignore[index]
            table.add_row(str(r["client"]), str(r["scope"]), str(r["path"]), names)
        buf = StringIO()
        Console(file=buf, width=120, force_terminal=False).print(table)
        text = buf.getvalue() if rows else "No MCP client configs found.\n"
    sys.stdout.write(redactor.scrub(text) + ("" if text.endswith("\n") else "\n"))
    raise typer.Exit(0 if rows else int(ExitCode.NOTHING_TO_SCAN))


# -- rules --------------------------------------------------------------------------------


@rules_app.command("list")
def rules_list(
    fmt: Annotated[str, typer.Option("-f", "--format", help="table or json.")] = "table",
    rules_dir: Annotated[Path | None, typer.Option("--rules", help="Catalogue directory.")] = None,
) -> None:
    """List every rule with its severity and framework mappings."""
    import json

    from mcpscan.ruleset import load_catalogue

    try:
        catalogue = load_catalogue(rules_dir)
    except McpscanError as exc:
        _fail(str(exc), for_error(exc))
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
    Console(width=120, no_color=not sys.stdout.isatty()).print(table)


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="Rule id (e.g. SC01) or slug.")],
    rules_dir: Annotated[Path | None, typer.Option("--rules", help="Catalogue directory.")] = None,
) -> None:
    """Show one rule: what it tests, why, how to fix, and what it maps to."""
    from mcpscan.ruleset import load_catalogue

    try:
        catalogue = load_catalogue(rules_dir)
    except McpscanError as exc:
        _fail(str(exc), for_error(exc))
    wanted = rule_id.strip()
    rule = next(
        (r for r in catalogue.rules if wanted.upper() == r.id or wanted.lower() == r.slug), None
    )
    if rule is None:
        _fail(f"no rule {wanted!r} (see `mcpscan rules list`)", ExitCode.USAGE)
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
