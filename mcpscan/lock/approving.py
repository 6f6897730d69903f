"""``mcpscan approve``: the decisions between a finished scan and the new lock.

Refuses up front what a scan would report at once: an unsigned approval where the policy
requires signatures, a self-approval the policy does not allow, a signing key the
allowed-signers file does not list for the approver, and co-signing an entry that no
longer matches what is configured.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mcpscan.lock import allowed_signers_for, approval_facts, approve, cosign
from mcpscan.lock.codeowners import default_owner
from mcpscan.lock.interface import SignatureError
from mcpscan.lock.model import Lock
from mcpscan.lock.signing import NAMESPACE, is_owner
from mcpscan.lock.sshsig import Signer, fingerprint
from mcpscan.models import Connector, ConnectorResult

if TYPE_CHECKING:
    from mcpscan.ruleset.policy import Policy


class ApprovalRefused(SignatureError):
    """``approve`` would record an approval the policy rejects (exit 2)."""


@dataclass(frozen=True)
class Request:
    approver: str
    owner: str | None = None  # None: from CODEOWNERS
    note: str = ""
    signer: Signer | None = None
    cosign: bool = False  # add a signature to existing entries instead of replacing them


def expiry(policy: Policy, today: _dt.date) -> _dt.date | None:
    """The expiry recorded with a new approval: the last day of the re-review period
    (none when the policy sets no period, or 0, which the policy itself enforces)."""
    days = policy.approval_valid_days
    return today + _dt.timedelta(days=days - 1) if days else None


def _check_key(signer: Signer, approver: str, policy: Policy, today: _dt.date) -> None:
    signers = allowed_signers_for(policy.allowed_signers)
    if signers is None:
        return
    verdict = signers.check(approver, signer.public_blob, NAMESPACE, today)
    if not verdict.ok:
        raise ApprovalRefused(
            f"key {fingerprint(signer.public_blob)} may not sign as {approver}: {verdict.problem}"
        )


def owner_of(connector: Connector, given: str | None) -> str:
    if given:
        return given
    found = default_owner(Path(connector.source.file))
    if found is None:
        raise ApprovalRefused(
            f"no --owner given and no CODEOWNERS rule names an owner of {connector.source.file}"
        )
    return found[0]


def apply(
    lock: Lock,
    results: Sequence[ConnectorResult],
    request: Request,
    policy: Policy,
    *,
    today: _dt.date,
) -> Lock:
    """``lock`` with the scanned connectors approved (or co-signed) as ``request`` says."""
    if request.signer is None and (policy.require_signed_approvals or request.cosign):
        raise ApprovalRefused(
            "the policy requires signed approvals: pass --sign KEY (a private key file, or "
            "a .pub file of a key in ssh-agent)"
        )
    if request.signer is not None:
        _check_key(request.signer, request.approver, policy, today)
    # Keyed by the connector object: the same name may appear in several files.
    owners: dict[int, str] = {}
    if not request.cosign:
        owners = {id(r.connector): owner_of(r.connector, request.owner) for r in results}
    if request.cosign:
        keys = []
        for r in results:
            facts = approval_facts(lock, r.connector, r.launch, r.graph, r.provenance)
            if facts.entry is None:
                raise ApprovalRefused(
                    f"{r.connector.name} is not in the lock ({facts.key}): approve it first"
                )
            if facts.changes:
                raise ApprovalRefused(
                    f"{r.connector.name} changed since it was approved "
                    f"({facts.changes[0].describe()}): re-approve it instead of co-signing"
                )
            owners[id(r.connector)] = facts.entry.owner
            keys.append(facts.key)
    if not policy.allow_self_approval:
        for r in results:
            if is_owner(owners[id(r.connector)], request.approver):
                raise ApprovalRefused(
                    f"{request.approver} owns {r.connector.name}: the policy does not allow "
                    "self-approval (allow_self_approval = false)"
                )
    if request.cosign:
        assert request.signer is not None
        return cosign(
            lock,
            keys,
            request.signer,
            approver=request.approver,
            today=today,
            expires=expiry(policy, today),
        )
    return approve(
        lock,
        results,
        owner=lambda c: owners[id(c)],
        approver=request.approver,
        note=request.note,
        today=today,
        expires=expiry(policy, today),
        signer=request.signer,
    )
