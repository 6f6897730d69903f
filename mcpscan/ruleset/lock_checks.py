"""Checks against the approval lock (GV01 not-approved, GV02 approval-drift) and of its
approvals (GV04 approval-unverified, GV05 approval-expired, GV06 self-approval).

Both rules need "lock" facts: the scan provides them when a lock was given or found, or
when the policy sets ``require_approval`` (then a missing lock leaves every connector
unapproved).
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpscan.lock.model import ApprovalFacts, ApprovalStatus, Change, SignatureState
from mcpscan.models import Connector, Launch, Severity
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
    lines += _content_diffs(facts, changes)
    yield Hit(
        f"{facts.connector.name} changed since it was approved: {kinds}",
        evidence="; ".join(lines),
    )


def _content_diffs(facts: ConnectorFacts, changes: list[Change]) -> list[str]:
    """What the files of each package whose version changed now hold that the approved
    version's did not (the release diff against the lock, when inspection ran)."""
    from mcpscan.inspect.releases import APPROVED

    bumped = {c.subject for c in changes if c.kind == "version"}
    lines = []
    for diff in facts.releases or ():
        if APPROVED not in diff.against:
            continue
        name = diff.label.rsplit("@", 1)[0].lower()
        if not any(subject.lower().endswith("/" + name) for subject in bumped):
            continue
        lines.append(
            f"content of {diff.label} against the approved {diff.baseline}: "
            + diff.summary(everything=True)
        )
    return lines


# -- approvals: GV04 approval-unverified, GV05 approval-expired, GV06 self-approval --------


def approval_problems(
    connector: Connector, launch: Launch, approval: ApprovalFacts, policy: Policy
) -> list[str]:
    """What GV04-GV06 report about ``approval``, as ``[rule id] message (evidence)`` lines
    (for ``mcpscan diff``, which judges approvals without running a whole rule engine)."""
    facts = ConnectorFacts(connector=connector, launch=launch, approval=approval)
    lines = []
    for rule_id, fn in (
        ("GV04", approval_unverified),
        ("GV05", approval_expired),
        ("GV06", self_approval),
    ):
        lines += [f"{rule_id} {hit.message} ({hit.evidence})" for hit in fn(facts, policy)]
    return lines


def _where(facts: ConnectorFacts, line: int | None) -> str:
    approval = facts.approval
    lock = approval.lock_file if approval is not None else None
    return f"{lock}:{line}" if lock and line else str(lock or "")


def _approvals(facts: ConnectorFacts) -> tuple[ApprovalStatus, ...]:
    approval = facts.approval
    return approval.approvals if approval is not None and approval.entry is not None else ()


def _holds(facts: ConnectorFacts, policy: Policy) -> set[str]:
    """What the connector holds, by the verdicts of ID01/ID03 and ID02 themselves."""
    from mcpscan.ruleset.config_checks import broad_credential, literal_secret, secret_in_url

    held = set()
    if any(literal_secret(facts, policy)) or any(secret_in_url(facts, policy)):
        held.add("literal-secret")
    if any(broad_credential(facts, policy)):
        held.add("broad-credential")
    return held


def required_approvals(facts: ConnectorFacts, policy: Policy) -> tuple[int, str]:
    """How many approvals by different people the connector needs, and why."""
    needed, why = policy.min_approvals, "min_approvals"
    if not policy.min_approvals_for:
        return needed, why
    names = [facts.connector.name] + [
        n for ref in facts.launch.packages for n in (ref.name, ref.purl)
    ]
    held = _holds(facts, policy)
    for req in policy.min_approvals_for:
        if not req.names(names):
            continue
        if req.holding == "credential" and not held:
            continue
        if req.holding not in (None, "credential") and req.holding not in held:
            continue
        if req.count > needed:
            where = f" ({policy.source}:{req.line})" if policy.source and req.line else ""
            holding = f" holding {req.holding}" if req.holding else ""
            needed, why = req.count, f"[[min_approvals_for]] {req.target}{holding}{where}"
    return needed, why


def _counts(status: ApprovalStatus, policy: Policy) -> bool:
    if status.self_approval:
        return False
    if status.state is SignatureState.VERIFIED:
        return True
    return status.state is SignatureState.UNSIGNED and not policy.require_signed_approvals


@check("approval_unverified")
def approval_unverified(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    statuses = _approvals(facts)
    if not statuses:
        return
    name = facts.connector.name
    explained = False
    for s in statuses:
        if s.state is SignatureState.VERIFIED:
            continue
        if s.state is SignatureState.UNSIGNED:
            if policy.require_signed_approvals:
                explained = True
                yield Hit(
                    f"{name}: the approval by {s.approver} is not signed, and the policy "
                    "requires signed approvals",
                    evidence=f"{_where(facts, s.line)}; require_signed_approvals = true",
                )
            continue
        explained = True
        what = {
            SignatureState.INVALID: "does not verify",
            SignatureState.UNKNOWN_SIGNER: "is by an unknown key",
            SignatureState.NOT_ALLOWED: "is by a key not allowed for them",
        }[s.state]
        yield Hit(
            f"{name}: the signature of the approval by {s.approver} {what}",
            evidence=f"{_where(facts, s.line)}: {s.problem}",
        )
    needed, why = required_approvals(facts, policy)
    counted = sorted(
        {s.approver.lower(): s.approver for s in statuses if _counts(s, policy)}.values()
    )
    explained = explained or any(s.self_approval for s in statuses)
    if len(counted) < needed and (needed > 1 or not explained):
        yield Hit(
            f"{name} has {len(counted)} of the {needed} approvals by different people the "
            "policy requires",
            evidence=f"needed by {why}; counted: {', '.join(counted) or 'none'}",
        )


@check("approval_expired")
def approval_expired(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    statuses = [s for s in _approvals(facts) if s.expired]
    if not statuses:
        return
    held = _holds(facts, policy)
    severity = Severity.HIGH if held else None
    because = f" (it holds a {' and a '.join(sorted(held))})" if held else ""
    for s in statuses:
        when = f"approved {s.approved.isoformat()}" if s.approved else "no approval date"
        until = f", valid until {s.expires.isoformat()}" if s.expires else ""
        period = (
            f"; approval_valid_days = {policy.approval_valid_days}"
            if policy.approval_valid_days is not None
            else ""
        )
        yield Hit(
            f"{facts.connector.name}: the approval by {s.approver} is due for re-review{because}",
            evidence=f"{when}{until}{period}; {_where(facts, s.line)}",
            severity=severity,
        )


@check("self_approval")
def self_approval(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    approval = facts.approval
    statuses = _approvals(facts)
    needed, _ = required_approvals(facts, policy)
    independent = {s.approver.lower() for s in statuses if _counts(s, policy)}
    if len(independent) >= needed:
        return  # others approved it too, as many as the policy requires
    for s in statuses:
        if s.self_approval and approval is not None and approval.entry is not None:
            yield Hit(
                f"{facts.connector.name} was approved by its own owner {s.approver}",
                evidence=f"owner {approval.entry.owner}, approver {s.approver}; "
                f"{_where(facts, s.line)}; allow_self_approval = false",
            )
