"""``mcpscan approvals``: who approved what, until when, and whether each signature holds.

Read from the lock alone (no scan): each entry's approvals judged against the policy's
allowed signers, re-review period and separation of duties. Whether the connector still
matches its entry is ``mcpscan diff``'s question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from mcpscan.lock.model import ApprovalStatus, Lock, LockEntry, SignatureState
from mcpscan.lock.signing import ApprovalVerifier

if TYPE_CHECKING:
    from mcpscan.ruleset.policy import Policy

SCHEMA_VERSION = 1


def holds(status: ApprovalStatus, *, require_signed: bool) -> bool:
    """Whether one approval stands: verified (or unsigned where signatures are optional),
    not expired and not a self-approval."""
    signed_ok = status.state is SignatureState.VERIFIED or (
        status.state is SignatureState.UNSIGNED and not require_signed
    )
    return signed_ok and not status.expired and not status.self_approval


@dataclass(frozen=True)
class EntryAudit:
    entry: LockEntry
    approvals: tuple[ApprovalStatus, ...]
    needed: int  # from min_approvals and the [[min_approvals_for]] that name it by target
    counted: int  # approvals by different people that stand
    # [[min_approvals_for]] with `holding` need a scan to judge what the connector holds.
    needs_scan: bool = False

    @property
    def ok(self) -> bool:
        return self.counted >= self.needed


def audit(lock: Lock, verifier: ApprovalVerifier, policy: Policy) -> tuple[EntryAudit, ...]:
    found = []
    for entry in lock.entries:
        statuses = verifier.check(entry)
        standing = {
            s.approver.lower()
            for s in statuses
            if holds(s, require_signed=policy.require_signed_approvals)
        }
        names = [entry.name] + [n for p in entry.packages for n in (p.name, p.purl)]
        needed = policy.min_approvals
        needs_scan = False
        for req in policy.min_approvals_for:
            if req.names(names):
                if req.holding is None:
                    needed = max(needed, req.count)
                else:
                    needs_scan = True
        found.append(EntryAudit(entry, statuses, needed, len(standing), needs_scan))
    return tuple(found)


def all_hold(audits: Sequence[EntryAudit], policy: Policy) -> bool:
    """Whether every approval stands and every entry has as many as it needs."""
    require = policy.require_signed_approvals
    return all(a.ok and all(holds(s, require_signed=require) for s in a.approvals) for a in audits)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def to_json(
    lock: Lock, audits: Sequence[EntryAudit], policy: Policy, allowed_signers: str | None
) -> dict[str, Any]:
    require = policy.require_signed_approvals
    return {
        "schema_version": SCHEMA_VERSION,
        "lock": lock.path,
        "allowed_signers": allowed_signers,
        "require_signed_approvals": require,
        "approval_valid_days": policy.approval_valid_days,
        "ok": all_hold(audits, policy),
        "connectors": [
            {
                "key": a.entry.key,
                "client": a.entry.client,
                "file": a.entry.file,
                "name": a.entry.name,
                "owner": a.entry.owner,
                "fingerprint": a.entry.fingerprint,
                "packages": [p.purl for p in a.entry.packages],
                "approvals_needed": a.needed,
                "approvals_counted": a.counted,
                "needs_scan": a.needs_scan,
                "approvals": [
                    {
                        "approver": s.approver,
                        "approved": _day(s.approved),
                        "expires": _day(s.expires),
                        "expired": s.expired,
                        "self_approval": s.self_approval,
                        "signature": s.state.value,
                        "key": s.key,
                        "problem": s.problem,
                        "line": s.line,
                        "holds": holds(s, require_signed=require),
                    }
                    for s in a.approvals
                ],
            }
            for a in audits
        ],
    }
