"""``mcpscan approvals``: for auditors, who approved each connector in the lock, until
when, and whether each signature verifies against the policy's allowed signers.

``--message KEY`` and ``--signature KEY`` print the exact bytes an approval signs and its
signature, so ``ssh-keygen -Y verify -n mcpscan-approval`` can check it independently.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from mcpscan.cli import output
from mcpscan.cli.exit_codes import for_approvals
from mcpscan.cli.options import (
    LIST_FORMATS,
    FoundLockOpt,
    ListFormatOpt,
    PolicyOpt,
    RulesDirOpt,
)
from mcpscan.errors import UsageError

if TYPE_CHECKING:
    from mcpscan.lock import Lock
    from mcpscan.lock.audit import EntryAudit
    from mcpscan.lock.model import Approval, LockEntry
    from mcpscan.ruleset import Policy


def register(app: typer.Typer) -> None:
    app.command("approvals")(approvals_cmd)


def approvals_cmd(
    lock_path: FoundLockOpt = None,
    policy_path: PolicyOpt = None,
    rules_dir: RulesDirOpt = None,
    fmt: ListFormatOpt = "table",
    message: Annotated[
        str | None,
        typer.Option(
            "--message",
            metavar="KEY",
            help="Print the exact bytes the approval of lock entry KEY "
            "(client:file#name) signs, for ssh-keygen -Y verify.",
        ),
    ] = None,
    signature: Annotated[
        str | None,
        typer.Option("--signature", metavar="KEY", help="Print that approval's signature."),
    ] = None,
    approver: Annotated[
        str | None,
        typer.Option(
            "--approver",
            metavar="NAME",
            help="With --message/--signature: whose approval (default: the first).",
        ),
    ] = None,
) -> None:
    """List every approval in the lock: approver, date, expiry, signature state (exit 1 when
    any does not hold)."""
    from mcpscan.cli.lock_cmd import approval_verifier, load_found_lock, load_policy
    from mcpscan.lock.audit import all_hold, audit, to_json

    with output.errors_exit():
        if fmt not in LIST_FORMATS:
            raise UsageError(f"unknown format {fmt!r} (choose from table, json)")
        policy_file, policy = load_policy(policy_path, rules_dir)
        _, lock = load_found_lock(lock_path, policy_file)
        if message or signature:
            _print_one(lock, message, signature, approver)
            return
        audits = audit(lock, approval_verifier(policy), policy)
    doc = to_json(lock, audits, policy, policy.allowed_signers)
    if fmt == "json":
        typer.echo(json.dumps(doc, indent=2))
    else:
        _table(lock, audits, policy)
    raise typer.Exit(int(for_approvals(ok=all_hold(audits, policy))))


def _pick(lock: Lock, key: str, approver: str | None) -> tuple[LockEntry, Approval]:
    entry = lock.get(key)
    if entry is None:
        names = ", ".join(e.key for e in lock.entries) or "none"
        raise UsageError(f"no entry {key!r} in {lock.path} (entries: {names})")
    chosen = [
        a for a in entry.approvals if approver is None or a.approver.lower() == approver.lower()
    ]
    if not chosen:
        raise UsageError(f"{key} has no approval by {approver}")
    return entry, chosen[0]


def _print_one(lock: Lock, message: str | None, signature: str | None, who: str | None) -> None:
    from mcpscan.lock import signing

    if message and signature:
        raise UsageError("use --message KEY or --signature KEY, not both")
    entry, approval = _pick(lock, message or signature or "", who)
    if message:
        sys.stdout.buffer.write(signing.message(entry, approval))
        sys.stdout.flush()
        return
    if approval.signature is None:
        raise UsageError(f"the approval of {entry.key} by {approval.approver} is not signed")
    sys.stdout.write(approval.signature)


def _table(lock: Lock, audits: tuple[EntryAudit, ...], policy: Policy) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"approvals in {lock.path}")
    for col in ("connector", "owner", "approver", "approved", "expires", "signature", "note"):
        table.add_column(col)
    for a in audits:
        label = f"{a.entry.name}\n{a.entry.file}"
        for i, s in enumerate(a.approvals):
            notes = [s.problem] if s.problem else []
            if s.expired:
                notes.append("expired: due for re-review")
            if s.self_approval:
                notes.append("self-approval")
            if s.key and not s.problem:
                notes.append(s.key)
            table.add_row(
                label if i == 0 else "",
                a.entry.owner if i == 0 else "",
                s.approver,
                s.approved.isoformat() if s.approved else "-",
                s.expires.isoformat() if s.expires else "-",
                s.state.value,
                "; ".join(notes),
            )
        if not a.ok:
            table.add_row(
                "", "", "", "", "", "", f"{a.counted} of {a.needed} approvals by different people"
            )
    Console(width=output.terminal_width(), no_color=not sys.stdout.isatty()).print(table)
    if not audits:
        typer.echo("no approvals: the lock has no entries")
