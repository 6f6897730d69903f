"""Signed approvals: what a signature covers, making one, and judging each approval.

The message an approver signs (SSHSIG namespace ``mcpscan-approval``) is the UTF-8 bytes,
with no trailing newline, of this JSON with keys sorted and no spaces
(``json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``)::

    {"approval": {"approved": "2026-11-25", "approver": "sec-lead", "expires": "2027-02-22"},
     "connector": {"client": "claude-code", "file": ".mcp.json", "name": "memory"},
     "fingerprint": "sha256:…", "note": "…", "owner": "platform",
     "packages": [{"digests": ["sha512:…"], "ecosystem": "npm", "maintainers": ["…"],
                   "name": "…", "provenance_repository": "…", "provenance_workflow": "…",
                   "purl": "pkg:npm/…", "version": "…"}],
     "type": "mcpscan-approval/1"}

(absent values are ``null``; ``expires`` is ``null`` when no expiry was recorded). The
``fingerprint`` covers the config record (command, args, URL, env and header names);
packages carry versions, artifact and image digests, provenance identity and maintainers.
``mcpscan approvals --message KEY`` prints these bytes, so
``ssh-keygen -Y verify -n mcpscan-approval -f allowed_signers -I APPROVER -s sig < msg``
checks the same signature.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcpscan.lock.allowed_signers import AllowedSigners
from mcpscan.lock.fingerprint import fingerprint as config_fingerprint
from mcpscan.lock.interface import SignatureError
from mcpscan.lock.model import (
    Approval,
    ApprovalStatus,
    LockEntry,
    SignatureState,
)
from mcpscan.lock.sshsig import Signer, dearmor, sign, verify

if TYPE_CHECKING:
    from mcpscan.ruleset.policy import Policy

NAMESPACE = "mcpscan-approval"
MESSAGE_TYPE = "mcpscan-approval/1"


def is_owner(owner: str, approver: str) -> bool:
    """Whether ``approver`` is (one of) ``owner`` (CODEOWNERS may name several:
    ``@org/team @alice``), ignoring case and a leading ``@``."""
    owners = {o.lstrip("@").lower() for o in owner.replace(",", " ").split()}
    return approver.strip().lstrip("@").lower() in owners


def _day(value: _dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def message(entry: LockEntry, approval: Approval) -> bytes:
    """The exact bytes ``approval`` of ``entry`` signs (see the module docstring)."""
    doc = {
        "type": MESSAGE_TYPE,
        "connector": {"client": entry.client, "file": entry.file, "name": entry.name},
        "fingerprint": entry.fingerprint,
        "owner": entry.owner,
        "note": entry.note,
        "packages": [
            {
                "purl": p.purl,
                "ecosystem": p.ecosystem,
                "name": p.name,
                "version": p.version,
                "digests": list(p.digests),
                "maintainers": list(p.maintainers) if p.maintainers is not None else None,
                "provenance_repository": p.provenance_repository,
                "provenance_workflow": p.provenance_workflow,
            }
            for p in entry.packages
        ],
        "approval": {
            "approver": approval.approver,
            "approved": _day(approval.approved),
            "expires": _day(approval.expires),
        },
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def sign_entry(entry: LockEntry, signer: Signer) -> LockEntry:
    """``entry`` with its first approval (owner, approver, date, expiry) signed."""
    first = entry.approvals[0]
    return dataclasses.replace(entry, signature=sign(message(entry, first), signer, NAMESPACE))


def cosign_entry(
    entry: LockEntry,
    signer: Signer,
    *,
    approver: str,
    today: _dt.date,
    expires: _dt.date | None,
) -> LockEntry:
    """``entry`` with one more signed approval by ``approver``, replacing an earlier
    co-signature of theirs. The first approval cannot be co-signed by its own approver."""
    if approver.strip().lower() == entry.approver.strip().lower():
        raise SignatureError(
            f"{approver} is already the approver of {entry.name}: a co-signature must come "
            "from someone else (re-approve to renew the first approval)"
        )
    added = Approval(approver, today, expires)
    added = dataclasses.replace(added, signature=sign(message(entry, added), signer, NAMESPACE))
    kept = tuple(a for a in entry.cosignatures if a.approver.lower() != approver.lower())
    return dataclasses.replace(entry, cosignatures=(*kept, added))


@dataclass(frozen=True)
class ApprovalVerifier:
    """Judges every approval of a lock entry against the policy's allowed signers, its
    re-review period and its separation of duties."""

    today: _dt.date
    allowed_signers: AllowedSigners | None = None
    valid_days: int | None = None  # approval_valid_days; None: no re-review period
    allow_self_approval: bool = False

    @classmethod
    def for_policy(
        cls, policy: Policy, *, today: _dt.date, allowed_signers: AllowedSigners | None
    ) -> ApprovalVerifier:
        """The verifier ``policy`` asks for (``allowed_signers``: its file, read)."""
        return cls(
            today=today,
            allowed_signers=allowed_signers,
            valid_days=policy.approval_valid_days,
            allow_self_approval=policy.allow_self_approval,
        )

    def check(self, entry: LockEntry) -> tuple[ApprovalStatus, ...]:
        return tuple(self._one(entry, a) for a in entry.approvals)

    def expiry(self, approval: Approval) -> _dt.date | None:
        """The last day ``approval`` is valid: the earlier of the recorded expiry and the
        policy's period (``valid_days`` 0 ends it before it starts)."""
        ends = [approval.expires] if approval.expires is not None else []
        if self.valid_days is not None and approval.approved is not None:
            ends.append(approval.approved + _dt.timedelta(days=self.valid_days - 1))
        return min(ends) if ends else None

    def _one(self, entry: LockEntry, approval: Approval) -> ApprovalStatus:
        expires = self.expiry(approval)
        # No date with a re-review period: its age is unknown, so it is due (fail closed).
        undated = self.valid_days is not None and approval.approved is None
        base = ApprovalStatus(
            approver=approval.approver,
            approved=approval.approved,
            expires=expires,
            state=SignatureState.UNSIGNED,
            expired=undated or (expires is not None and expires < self.today),
            self_approval=(
                not self.allow_self_approval and is_owner(entry.owner, approval.approver)
            ),
            line=approval.line,
        )
        if approval.signature is None:
            return base
        state, key, problem = self._signature(entry, approval)
        return dataclasses.replace(base, state=state, key=key, problem=problem)

    def _signature(
        self, entry: LockEntry, approval: Approval
    ) -> tuple[SignatureState, str | None, str]:
        assert approval.signature is not None
        try:
            key = dearmor(approval.signature).key_fingerprint
        except SignatureError as exc:
            return SignatureState.INVALID, None, exc.message
        if config_fingerprint(entry.config) != entry.fingerprint:
            return (
                SignatureState.INVALID,
                key,
                "the recorded config no longer matches the fingerprint that was signed",
            )
        try:
            sig = verify(message(entry, approval), approval.signature, NAMESPACE)
        except SignatureError as exc:
            return (
                SignatureState.INVALID,
                key,
                f"{exc.message}: the entry was edited after it was signed, or the "
                "signature is not for it",
            )
        if self.allowed_signers is None:
            return (
                SignatureState.UNKNOWN_SIGNER,
                key,
                f"signed by key {key}, but the policy names no allowed_signers file to "
                "check it against",
            )
        verdict = self.allowed_signers.check(
            approval.approver, sig.public_blob, NAMESPACE, approval.approved
        )
        if verdict.ok:
            return SignatureState.VERIFIED, key, ""
        known = any(s.key_blob == sig.public_blob for s in self.allowed_signers.signers)
        state = SignatureState.NOT_ALLOWED if known else SignatureState.UNKNOWN_SIGNER
        return state, key, verdict.problem
