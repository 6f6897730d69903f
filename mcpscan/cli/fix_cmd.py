"""``mcpscan fix``: apply the mechanical remediations to the scanned config files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpscan.cli import output
from mcpscan.cli.exit_codes import ExitCode, for_fix
from mcpscan.cli.options import FLAG, target_argument
from mcpscan.cli.scan_options import RunOptions, scan_options
from mcpscan.errors import McpscanError
from mcpscan.wiring import ScanSettings

if TYPE_CHECKING:
    from mcpscan.redaction import Redactor


# An incomplete scan leaves its connectors unfixed: there is nothing to allow.
@scan_options(without=("allow_incomplete",))
def fix(
    targets: Annotated[
        list[str],
        target_argument("Client config files, or directories of project configs, to fix."),
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            envvar="MCPSCAN_DRY_RUN",
            metavar=FLAG,
            help="Print the changes as a unified diff and write nothing (exit 1 when there "
            "are changes to make).",
        ),
    ] = False,
    *,
    settings: ScanSettings,
    run: RunOptions,
) -> None:
    """Scan, then fix what is mechanical in place: pin each unpinned launch to the version
    the scan resolved (or the version that fixes an advisory), pin images to their digest,
    and move literal secrets into the client's own indirection. Comments and formatting
    are kept; a file that cannot be rewritten faithfully is left alone, and says why."""
    from mcpscan.fix import document
    from mcpscan.fix.interface import FixError
    from mcpscan.fix.pins import published_versions
    from mcpscan.fix.plan import plan_files
    from mcpscan.wiring import run_scan

    redactor: Redactor | None = None
    quiet = run.quiet
    try:
        scanned = run_scan(list(targets), settings)
        result, redactor = scanned.result, scanned.redactor
        if not result.connectors:
            code = for_fix(result, pending=False, left=False, incomplete=False)
            for diag in result.diagnostics:
                if diag.fatal or not quiet:
                    output.note(str(diag), redactor)
            if code is ExitCode.NOTHING_TO_SCAN:
                output.note(f"nothing to fix: no MCP connector found in {', '.join(targets)}")
            raise typer.Exit(int(code))
        if not quiet:
            for diag in result.diagnostics:
                output.note(str(diag), redactor)
        plans = plan_files(
            result,
            scanned.loaded.files_read,
            scanned.loaded.files_failed,
            Path.cwd(),
            published_versions(scanned.registries),
        )
        pending = left = incomplete = changed = False
        verb = "would fix" if dry_run else "fixed"
        for plan, doc in plans:
            if plan.refused is not None or doc is None:
                output.note(f"{plan.file}: not fixed: {plan.refused}", redactor)
                left = True
                continue
            for skip in plan.skipped:
                where = f"{plan.file}:{skip.line}" if skip.line else plan.file
                output.note(f"{where}: {skip.connector}: {skip.rule_id}: {skip.reason}", redactor)
                left = True
                incomplete = incomplete or skip.incomplete
            if not plan.edits:
                continue
            try:
                new = document.rewrite(doc, plan.edits)
                if new != doc.text and not dry_run:
                    document.write(doc, new)
            except FixError as exc:
                output.note(f"{plan.file}: not fixed: {exc.message}", redactor)
                left = True
                continue
            if new == doc.text:
                continue
            changed = True
            if dry_run:
                pending = True
                sys.stdout.write(redactor.scrub(document.unified_diff(doc, new)))
            for fixed in plan.remediations:
                if not quiet:
                    output.note(
                        f"{plan.file}:{fixed.line}: {fixed.connector}: {verb} {fixed.rule_id}: "
                        f"{fixed.summary}",
                        redactor,
                    )
                if fixed.action:
                    output.note(f"{plan.file}: {fixed.connector}: {fixed.action}", redactor)
        if changed and any(r.approval is not None and r.approval.entry for r in result.connectors):
            # The lock fingerprints each connector's command line and versions.
            output.note(
                "the approval lock records these connectors as they were: after the fix, "
                "`mcpscan approve` records them again (until then a scan reports GV02 drift)"
            )
        if incomplete:
            output.note(
                "scan incomplete: connectors whose scan could not be completed were not fixed"
            )
        raise typer.Exit(int(for_fix(result, pending=pending, left=left, incomplete=incomplete)))
    except McpscanError as exc:
        from mcpscan.cli.exit_codes import for_error

        output.fail(str(exc), for_error(exc), redactor)


def register(app: typer.Typer) -> None:
    app.command("fix")(fix)
