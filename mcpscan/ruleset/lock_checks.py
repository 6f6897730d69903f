"""Checks against the approval lock (GV01 not-approved, GV02 approval-drift).

Both rules need "lock" facts: the scan provides them when a lock was given or found, or
when the policy sets ``require_approval`` (then a missing lock leaves every connector
unapproved).
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpscan.ruleset.interface import ConnectorFacts, Hit
from mcpscan.ruleset.policy import Policy
from mcpscan.ruleset.registry import check


@check("not_approved")
def not_approved(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    approval = facts.approval
    if approval is None:
        # Lock facts were asked for but not established for this connector: unknown is
        # not approved.
        if policy.require_approval:
            yield Hit(
                f"{facts.connector.name} could not be checked against an approval lock",
                evidence="the policy sets require_approval",
            )
        return
    if approval.entry is not None:
        return
    if approval.lock_file is None:
        yield Hit(
            f"{facts.connector.name} is not approved: the policy requires approval and "
            "there is no mcpscan.lock",
            evidence=f"lock key: {approval.key}",
        )
        return
    yield Hit(
        f"{facts.connector.name} is not recorded in the approval lock {approval.lock_file}",
        evidence=f"lock key: {approval.key}",
    )


@check("approval_drift")
def approval_drift(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    approval = facts.approval
    if approval is None or approval.entry is None:
        return
    changes = [
        c for c in approval.changes if c.kind != "secret" or policy.rotation_requires_approval
    ]
    if not changes:
        return
    entry = approval.entry
    kinds = ", ".join(dict.fromkeys(c.kind for c in changes))
    when = f" on {entry.approved.isoformat()}" if entry.approved else ""
    where = f"{approval.lock_file}:{entry.line}" if entry.line else str(approval.lock_file)
    lines = [f"approved by {entry.approver}{when} (owner {entry.owner}), {where}"]
    lines += [f"changed {c.describe()}" for c in changes]
    yield Hit(
        f"{facts.connector.name} changed since it was approved: {kinds}",
        evidence="; ".join(lines),
    )
