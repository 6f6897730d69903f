"""``mcpscan db``: offline advisory databases (mounted by the main app as ``db``)."""

from __future__ import annotations

from typing import Annotated

import typer

from mcpscan.cli import output
from mcpscan.cli.exit_codes import for_error
from mcpscan.cli.options import CacheDirOpt
from mcpscan.errors import McpscanError

db_app = typer.Typer(help="Manage the offline advisory databases.", no_args_is_help=True)


@db_app.callback()
def _db() -> None:
    """Offline advisory databases (OSV exports) for --offline and --advisory-db scans."""


@db_app.command("update")
def update(
    ecosystem: Annotated[
        list[str] | None,
        typer.Option(
            "--ecosystem",
            envvar="MCPSCAN_DB_ECOSYSTEM",
            metavar="NAME",
            help="Ecosystem to download (repeatable; the variable takes a space-separated "
            "list): npm, PyPI. Default: both.",
        ),
    ] = None,
    cache_dir: CacheDirOpt = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            envvar="MCPSCAN_OSV_EXPORT_URL",
            metavar="URL",
            help="Base URL of the OSV exports (URL/ECOSYSTEM/all.zip).",
        ),
    ] = None,
) -> None:
    """Download OSV's npm and PyPI advisory exports into the cache (CACHE/advisories/db/
    ECOSYSTEM/all.zip, osv-scanner's layout). Later scans that name no other source use
    them instead of the OSV API, --offline and --no-resolve scans included."""
    from mcpscan.advisories import db
    from mcpscan.net.http import HttpClient, HttpConfig
    from mcpscan.net.store import default_cache_dir

    root = cache_dir or default_cache_dir()
    try:
        with HttpClient(HttpConfig(cache_dir=None)) as client:
            done = db.update(
                client,
                root,
                ecosystem or ["npm", "PyPI"],
                base_url=url or db.DEFAULT_EXPORT_URL,
            )
    except McpscanError as exc:
        output.error(str(exc))
        raise typer.Exit(int(for_error(exc))) from None
    for entry in done:
        typer.echo(
            f"mcpscan: {entry.ecosystem}: {entry.size / 1e6:.1f} MB from {entry.url} "
            f"-> {entry.path} ({entry.downloaded})",
            err=True,
        )
