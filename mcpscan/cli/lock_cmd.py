"""``mcpscan approve`` and ``mcpscan diff``: the approval lock.

Both take the shared scan options and need the facts of a scan; they get them from a
``run_scan`` function handed to :func:`register` (by default :func:`mcpscan.wiring.run_scan`),
so these commands never build the scan's components themselves.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpscan.cli import output
from mcpscan.cli.exit_codes import ExitCode, for_approval, for_diff
from mcpscan.cli.options import FoundLockOpt, target_argument
from mcpscan.cli.scan_options import RunOptions, scan_options
from mcpscan.errors import UsageError
from mcpscan.wiring import ScanSettings

if TYPE_CHECKING:
    from mcpscan.lock import Lock
    from mcpscan.lock.signing import ApprovalVerifier
    from mcpscan.models import ConnectorResult, ScanResult
    from mcpscan.progress import Progress
    from mcpscan.redaction import Redactor
    from mcpscan.ruleset import Policy

RunScan = Callable[[list[str], ScanSettings, "Progress"], "ScanResult"]


def _default_run_scan(targets: list[str], settings: ScanSettings, progress: Progress) -> ScanResult:
    from mcpscan.wiring import run_scan

    return run_scan(targets, settings, progress=progress).result


def _scan(
    run_scan: RunScan, targets: list[str], settings: ScanSettings, run: RunOptions
) -> ScanResult:
    """The scan, with the transient progress display on a terminal (not with -q)."""
    from mcpscan.cli.progress import scan_progress

    with scan_progress(quiet=run.quiet) as progress:
        return run_scan(targets, settings, progress)


def _stop_unless_scanned(result: ScanResult, code: ExitCode, run: RunOptions) -> Redactor:
    """End the command when there was nothing to scan or nothing could be read (as scan
    does); print the diagnostics otherwise (unless -q). The redactor of the result."""
    from mcpscan.scan import result_redactor

    redactor = result_redactor(result)
    if code is ExitCode.USAGE:
        output.diagnostics(result, redactor, fatal_only=True)
        raise typer.Exit(int(code))
    if not run.quiet:
        output.diagnostics(result, redactor)
    if code is ExitCode.NOTHING_TO_SCAN:
        output.nothing_to_scan(result.targets, redactor)
        raise typer.Exit(int(code))
    return redactor


def _why_incomplete(result: ScanResult, run: RunOptions) -> str:
    """Why a scan is incomplete, in one line: the diagnostics (unless already printed),
    else the coverage gaps."""
    if result.diagnostics and not run.quiet:
        return "the diagnostics above say why"
    reasons = [str(d) for d in result.diagnostics]
    if not reasons:
        from mcpscan.report._common import coverage_gaps

        reasons = [f"{name}: {line}" for name, line in coverage_gaps(result)]
    shown = "; ".join(reasons[:3]) + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")
    return shown or "a source did not answer"


def register(app: typer.Typer, run_scan: RunScan | None = None) -> None:
    """Add ``approve`` and ``diff`` to the mcpscan application."""
    scan = run_scan or _default_run_scan

    # --lock here is the lock approve writes and diff compares with, not the scan's own.
    @app.command("approve")
    @scan_options(without=("lock_path",))
    def approve_cmd(
        targets: Annotated[list[str], target_argument("What to approve (as for `mcpscan scan`).")],
        approver: Annotated[
            str,
            typer.Option(
                "--approver",
                envvar="MCPSCAN_APPROVER",
                metavar="NAME",
                help="Who approves them (a principal of allowed_signers).",
            ),
        ],
        owner: Annotated[
            str | None,
            typer.Option(
                "--owner",
                envvar="MCPSCAN_OWNER",
                metavar="NAME",
                help="Who owns these connectors (default: the CODEOWNERS entry of each config).",
            ),
        ] = None,
        note: Annotated[
            str,
            typer.Option(
                "--note", envvar="MCPSCAN_NOTE", metavar="TEXT", help="Why, ticket, scope..."
            ),
        ] = "",
        sign: Annotated[
            str | None,
            typer.Option(
                "--sign",
                envvar="MCPSCAN_SIGN",
                metavar="KEY",
                help="Sign the approval with this SSH key: a private key file, or a .pub file "
                "(or key::ssh-ed25519 AAAA...) of a key held by ssh-agent.",
            ),
        ] = None,
        add_signature: Annotated[
            str | None,
            typer.Option(
                "--add-signature",
                envvar="MCPSCAN_ADD_SIGNATURE",
                metavar="KEY",
                help="Co-sign the existing, unchanged entries as --approver with this key "
                "(for min_approvals).",
            ),
        ] = None,
        lock_path: Annotated[
            Path | None,
            typer.Option(
                "--lock",
                envvar="MCPSCAN_LOCK",
                metavar="FILE",
                help="Lock file (default: mcpscan.lock beside the policy, else here).",
            ),
        ] = None,
        *,
        settings: ScanSettings,
        run: RunOptions,
    ) -> None:
        """Record the scanned connectors in mcpscan.lock with their owner and approver,
        signed with --sign KEY; or co-sign existing entries with --add-signature KEY."""
        from mcpscan.lock import Lock, default_lock_path, load_lock, save_lock
        from mcpscan.lock.approving import Request, apply
        from mcpscan.lock.keys import load_signer

        with output.errors_exit():
            if not approver.strip() or (owner is not None and not owner.strip()):
                raise UsageError("--owner and --approver must not be empty")
            if sign and add_signature:
                raise UsageError("use --sign KEY or --add-signature KEY, not both")
            policy_file, rules = load_policy(settings.policy_path, settings.rules_dir)
            path = lock_path or default_lock_path(Path.cwd(), policy_file)
            lock = load_lock(path) if path.exists() else Lock(path=str(path))
            key = sign or add_signature
            signer = load_signer(key) if key else None
            result = _scan(scan, list(targets), settings, run)
            code = for_approval(result, allow_incomplete=run.allow_incomplete)
            redactor = _stop_unless_scanned(result, code, run)
            if code is ExitCode.INCOMPLETE:
                output.fail(
                    f"the scan is incomplete ({_why_incomplete(result, run)}); an approval "
                    "must record what was fully established: nothing written "
                    "(--allow-incomplete records what the scan could establish)",
                    code,
                    redactor,
                )
            if result.incomplete and not run.quiet:
                output.note(
                    "approving from an incomplete scan (--allow-incomplete): what it could "
                    "not establish is not recorded and will show as not compared"
                )
            request = Request(
                approver=approver.strip(),
                owner=owner.strip() if owner else None,
                note=note.strip(),
                signer=signer,
                cosign=add_signature is not None,
            )
            updated = apply(lock, result.connectors, request, rules, today=_dt.date.today())
            save_lock(updated, path)
        names = ", ".join(r.connector.name for r in result.connectors)
        verb = "co-signed" if add_signature else "approved"
        signed = " (signed)" if signer is not None and not add_signature else ""
        typer.echo(f"{verb} {len(result.connectors)} connector(s) in {path}{signed}: {names}")

    @app.command("diff")
    @scan_options(without=("lock_path",))
    def diff_cmd(
        targets: Annotated[
            list[str] | None, target_argument("What to compare (as for `mcpscan scan`).")
        ] = None,
        lock_path: FoundLockOpt = None,
        *,
        settings: ScanSettings,
        run: RunOptions,
    ) -> None:
        """Print what changed since approval and every approval that does not hold
        (unverified, expired, self-approved, too few): exit 1 on any, 0 when none."""
        with output.errors_exit():
            policy_file, rules = load_policy(settings.policy_path, settings.rules_dir)
            path, lock = load_found_lock(lock_path, policy_file)
            verifier = approval_verifier(rules)
            result = _scan(scan, list(targets or []), settings, run)
        lines, drift = _drift_lines(lock, result, verifier, rules)
        code = for_diff(result, drift=drift, allow_incomplete=run.allow_incomplete)
        redactor = _stop_unless_scanned(result, code, run)
        if not drift:
            lines.append(f"no drift from {path}")
        sys.stdout.write("\n".join(lines) + "\n")
        if result.incomplete:
            output.note(
                f"scan incomplete ({_why_incomplete(result, run)}): the comparison may be partial",
                redactor,
            )
        if code is not ExitCode.PASS:
            raise typer.Exit(int(code))


def load_policy(policy: Path | None, rules_dir: Path | None) -> tuple[Path | None, Policy]:
    """The policy file (``--policy``, else the one found from here) and what it holds (the
    default policy when there is none); also read by ``approvals``."""
    from mcpscan.ruleset import Policy, find_policy, load_catalogue
    from mcpscan.ruleset import load_policy as read_policy

    policy_file = policy if policy is not None else find_policy(Path.cwd())
    if policy_file is None:
        return None, Policy()
    return policy_file, read_policy(policy_file, rule_ids=load_catalogue(rules_dir).ids)


def load_found_lock(lock_path: Path | None, policy_file: Path | None) -> tuple[Path, Lock]:
    """The lock ``diff`` and ``approvals`` read: ``--lock``, else the one found beside the
    policy or here (a usage error when there is none)."""
    from mcpscan.lock import find_lock, load_lock

    path = lock_path or find_lock(Path.cwd(), policy_file)
    if path is None:
        raise UsageError("no approval lock: pass --lock or run `mcpscan approve` first")
    return path, load_lock(path)


def approval_verifier(policy: Policy) -> ApprovalVerifier:
    from mcpscan.lock import allowed_signers_for
    from mcpscan.lock.signing import ApprovalVerifier

    return ApprovalVerifier.for_policy(
        policy, today=_dt.date.today(), allowed_signers=allowed_signers_for(policy.allowed_signers)
    )


def _content_changes(result: ConnectorResult) -> list[str]:
    """What the files of a package hold now that its approved version's did not: the SC20
    findings against the approved version (when the scan inspected the artifacts)."""
    from mcpscan.inspect.releases import APPROVED

    return [
        f"content: {f.message} ({f.evidence})"
        for f in result.findings
        if f.rule_id == "SC20" and APPROVED in f.message
    ]


def _drift_lines(
    lock: Lock, result: ScanResult, verifier: ApprovalVerifier, policy: Policy
) -> tuple[list[str], bool]:
    """What ``diff`` prints for each connector, and whether anything drifted or an
    approval it relies on does not hold."""
    from mcpscan.lock import approval_facts
    from mcpscan.ruleset.lock_checks import approval_problems

    lines: list[str] = []
    drift = False
    seen: set[str] = set()
    scanned_files: set[str] = set()
    for r in result.connectors:
        facts = approval_facts(
            lock, r.connector, r.launch, r.graph, r.provenance, verifier=verifier
        )
        seen.add(facts.key)
        scanned_files.add(facts.observed.file)
        if facts.entry is None:
            drift = True
            lines.append(f"+ {r.connector.name} ({facts.key}): not in the lock")
            continue
        if facts.changes:
            drift = True
            lines.append(f"~ {r.connector.name} ({facts.key}):")
            lines += [f"    {c.describe()}" for c in facts.changes]
            lines += [f"    {line}" for line in _content_changes(r)]
        lines += [f"  {r.connector.name}: not compared: {u}" for u in facts.unchecked]
        problems = approval_problems(r.connector, r.launch, facts, policy)
        drift = drift or bool(problems)
        lines += [f"! {r.connector.name}: {p}" for p in problems]
    # An approved connector gone from a file that was scanned is drift too (only files
    # this run read: scanning one config says nothing about the others in the lock).
    for entry in lock.entries:
        if entry.key not in seen and entry.file in scanned_files:
            drift = True
            lines.append(f"- {entry.name} ({entry.key}): approved but no longer configured")
    return lines, drift
