"""Everything the CLI prints or writes: reports, errors, diagnostics.

Every text that may hold a value read from a config goes through a
:class:`~mcpscan.redaction.Redactor` here before it reaches stdout, stderr or a file.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from mcpscan._internal import jsontext
from mcpscan.cli.exit_codes import ExitCode, for_error
from mcpscan.errors import McpscanError, UsageError
from mcpscan.fileio import atomic_write_text

if TYPE_CHECKING:
    from mcpscan.models import ScanResult
    from mcpscan.redaction import Redactor


def error(message: str, redactor: Redactor | None = None) -> None:
    from mcpscan.redaction import scrub_text

    typer.echo(f"mcpscan: error: {scrub_text(message, redactor)}", err=True)


def note(message: str, redactor: Redactor | None = None) -> None:
    """A line on stderr (diagnostics, "nothing to scan", "incomplete")."""
    from mcpscan.redaction import scrub_text

    typer.echo(f"mcpscan: {scrub_text(message, redactor)}", err=True)


def diagnostics(
    result: ScanResult, redactor: Redactor | None = None, *, fatal_only: bool = False
) -> None:
    """Each diagnostic of a scan (why it is incomplete, what could not be read) and the
    scan's registry-gap summary on stderr: for the commands that print no table, which
    would list them itself."""
    from mcpscan.ledger import describe_registry_gap, registry_gap_summary

    for diag in result.diagnostics:
        if fatal_only and diag.fatal:
            error(str(diag), redactor)  # why nothing could be read: the command's error
        elif not fatal_only:
            note(str(diag), redactor)
    if not fatal_only:
        for fact, count in registry_gap_summary(cr.coverage for cr in result.connectors):
            note(describe_registry_gap(fact, count), redactor)


def nothing_to_scan(targets: Sequence[str], redactor: Redactor | None = None) -> None:
    where = ", ".join(targets) or "any known client config location"
    note(f"nothing to scan: no MCP connector found in {where}", redactor)


def fail(message: str, code: ExitCode, redactor: Redactor | None = None) -> NoReturn:
    error(message, redactor)
    raise typer.Exit(int(code))


@contextmanager
def errors_exit(redactor: Redactor | None = None) -> Iterator[None]:
    """An McpscanError raised inside ends the command with its message and its exit code
    (:func:`mcpscan.cli.exit_codes.for_error`)."""
    try:
        yield
    except McpscanError as exc:
        fail(str(exc), for_error(exc), redactor)


def write(text: str, output: Path | None) -> None:
    """Write a report only once it is complete: a failed scan leaves no half file."""
    if output is None:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
        return
    output = output.expanduser()
    if output.parent and not output.parent.exists():
        raise UsageError(f"cannot write {output}: directory {output.parent} does not exist")
    try:
        atomic_write_text(output, text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None


def scrub_report(text: str, fmt: str, redactor: Redactor) -> str:
    """The report without any known secret.

    JSON is scrubbed value by value: replacing text in the whole document could hit a key
    ("file") or a literal (``true``) equal to a secret and leave invalid or off-schema JSON.
    """
    if fmt not in ("json", "sarif", "cyclonedx") or not len(redactor):
        return redactor.scrub(text)
    return jsontext.dumps(_scrub_values(json.loads(text), redactor)) + "\n"


def _scrub_values(doc: object, redactor: Redactor) -> object:
    if isinstance(doc, str):
        return redactor.scrub(doc)
    if isinstance(doc, list):
        return [_scrub_values(item, redactor) for item in doc]
    if isinstance(doc, dict):
        return {key: _scrub_values(value, redactor) for key, value in doc.items()}
    return doc


MIN_WIDTH = 40  # narrower, a table cannot show a name and its version side by side


def terminal_width() -> int:
    """The width tables are drawn for: ``COLUMNS`` when set, else the terminal's, else 100
    (a pipe or a file); never under :data:`MIN_WIDTH`."""
    import shutil

    return max(shutil.get_terminal_size(fallback=(100, 24)).columns, MIN_WIDTH)


def use_color(output: Path | None, no_color: bool) -> bool:
    return output is None and not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ
