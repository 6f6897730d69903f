"""``mcpscan scan`` and its short form ``mcpscan sbom``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from mcpscan.cli import output
from mcpscan.cli.exit_codes import ExitCode, for_error, for_result
from mcpscan.cli.options import (
    FORMATS,
    AllowIncompleteOpt,
    AttestKeyOpt,
    AttestOpt,
    FormatOpt,
    NoColorOpt,
    OutputOpt,
    QuietOpt,
    ReproducibleOpt,
    SarifOpt,
    SbomOpt,
    TargetsArg,
    scan_options,
)
from mcpscan.errors import McpscanError, UsageError
from mcpscan.redaction import Redactor
from mcpscan.wiring import ScanSettings


@scan_options()
def scan(
    targets: TargetsArg = None,
    fmt: FormatOpt = "table",
    output_path: OutputOpt = None,
    allow_incomplete: AllowIncompleteOpt = False,
    no_color: NoColorOpt = False,
    quiet: QuietOpt = False,
    sarif_path: SarifOpt = None,
    sbom_path: SbomOpt = None,
    reproducible: ReproducibleOpt = False,
    attest_path: AttestOpt = None,
    attest_key: AttestKeyOpt = None,
    *,
    settings: ScanSettings,
) -> None:
    """Scan MCP connectors and report a pass/fail verdict."""
    reports = [(fmt, output_path)]
    reports += [("sarif", sarif_path)] if sarif_path else []
    reports += [("cyclonedx", sbom_path)] if sbom_path else []
    _scan_and_report(
        list(targets or []),
        settings,
        _Reporting(
            reports,
            allow_incomplete,
            quiet,
            reproducible,
            color=output.use_color(output_path, no_color),
            attest_path=attest_path,
            attest_key=attest_key,
        ),
    )


@scan_options()
def sbom(
    targets: TargetsArg = None,
    output_path: OutputOpt = None,
    reproducible: ReproducibleOpt = False,
    allow_incomplete: AllowIncompleteOpt = False,
    quiet: QuietOpt = False,
    *,
    settings: ScanSettings,
) -> None:
    """Short for `mcpscan scan -f cyclonedx`: a CycloneDX 1.6 SBOM of the connectors."""
    reporting = _Reporting([("cyclonedx", output_path)], allow_incomplete, quiet, reproducible)
    _scan_and_report(list(targets or []), settings, reporting)


@dataclass(frozen=True)
class _Reporting:
    """What to do with a scan's result: which reports go where, and how to exit."""

    reports: list[tuple[str, Path | None]]  # (format, file or None for stdout)
    allow_incomplete: bool
    quiet: bool
    reproducible: bool
    color: bool = False
    attest_path: Path | None = None
    attest_key: Path | None = None


def _scan_and_report(targets: list[str], settings: ScanSettings, how: _Reporting) -> None:
    from mcpscan.wiring import renderer, run_scan

    redactor: Redactor | None = None
    attest_path, attest_key = how.attest_path, how.attest_key
    try:
        for fmt, _ in how.reports:
            if fmt not in FORMATS:
                raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
        if attest_path is not None and attest_key is None:
            raise UsageError("--attest needs --attest-key (create one with `mcpscan keygen`)")
        run = run_scan(targets, settings)
        result, redactor = run.result, run.redactor
        code = for_result(result, allow_incomplete=how.allow_incomplete)
        if code is ExitCode.USAGE:
            # Nothing could be read: no report (it would say "pass"), only why, even with -q.
            for diag in result.diagnostics:
                if diag.fatal:
                    output.error(str(diag), redactor)
            raise typer.Exit(int(code))

        def text(fmt: str, *, color: bool, reproducible: bool) -> str:
            r = renderer(fmt, catalogue=run.catalogue, reproducible=reproducible, color=color)
            return output.scrub_report(r.render(result), fmt, redactor or Redactor())

        # Every report is rendered before any is written: a failure leaves no partial set.
        texts = [
            (text(fmt, color=how.color and path is None, reproducible=how.reproducible), path)
            for fmt, path in how.reports
        ]
        for body, path in texts:
            output.write(body, path)
        if attest_path is not None and attest_key is not None:
            from mcpscan.cli.attest_cmd import write_attestation

            report = text("json", color=False, reproducible=True)
            subjects = [Path(f) for f in run.loaded.files_read]
            write_attestation(report, subjects, attest_key, attest_path)
        if not how.quiet:
            for diag in result.diagnostics:
                output.note(str(diag), redactor)
        if code is ExitCode.NOTHING_TO_SCAN and not how.quiet:
            where = ", ".join(result.targets) or "any known client config location"
            output.note(f"nothing to scan: no MCP connector found in {where}")
        if code is ExitCode.INCOMPLETE and not how.quiet:
            output.note(
                "scan incomplete: some inputs or registry data could not be read "
                "(use --allow-incomplete to exit with the verdict anyway)"
            )
        raise typer.Exit(int(code))
    except McpscanError as exc:
        output.fail(str(exc), for_error(exc), redactor)


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
    app.command("sbom")(sbom)
