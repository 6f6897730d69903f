"""What the approval lock records, and what a scan compares against it.

Nothing here holds a secret value: the config is recorded by names, redacted URLs and
fingerprint markers (see :mod:`mcpscan.lock.fingerprint`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

LOCK_FILE_NAME = "mcpscan.lock"
LOCK_VERSION = 1


@dataclass(frozen=True)
class ConfigRecord:
    """The connector's configuration entry as it is fingerprinted (names only for env and
    headers; secrets in args and URLs replaced by their fingerprint marker)."""

    transport: str
    command: str | None = None  # basename: "/usr/local/bin/npx" and "npx" are one launch
    args: tuple[str, ...] = ()
    url: str | None = None
    env: tuple[str, ...] = ()  # sorted names
    headers: tuple[str, ...] = ()  # sorted names
    # Literal secrets in env and headers, by name and fingerprint marker only
    # ("env API_TOKEN <redacted sha256:…>"), so that a rotation is seen without a value.
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class LockedPackage:
    """One root package the connector launches, as resolved when it was approved."""

    purl: str  # with version when one was established
    ecosystem: str
    name: str
    version: str | None = None  # None: not resolved
    digests: tuple[str, ...] = ()  # "sha512:<hex>", sorted
    # Identity of VERIFIED provenance; None: provenance not checked or none verified.
    provenance_repository: str | None = None
    provenance_workflow: str | None = None
    maintainers: tuple[str, ...] | None = None  # sorted; None: the registry did not say

    @property
    def identity(self) -> str:
        """Ecosystem and name: a version bump keeps the identity."""
        return f"{self.ecosystem}/{self.name}"

    @property
    def provenance(self) -> str | None:
        if self.provenance_repository is None and self.provenance_workflow is None:
            return None
        return f"{self.provenance_repository or '?'} ({self.provenance_workflow or '?'})"


@dataclass(frozen=True)
class Approval:
    """One person's approval of a lock entry, signed or not (see :mod:`mcpscan.lock.signing`
    for the bytes a signature covers)."""

    approver: str
    approved: date | None
    expires: date | None = None  # last day it is valid; None: only the policy limits it
    signature: str | None = None  # armored SSHSIG; None: unsigned
    line: int | None = None


@dataclass(frozen=True)
class LockEntry:
    """One approved connector.

    ``approver``/``approved``/``expires``/``signature`` are the first approval; further
    approvals (co-signatures, for ``min_approvals``) are in ``cosignatures``."""

    client: str
    file: str  # relative to the lock's directory, "~/..." or absolute
    name: str
    fingerprint: str  # "sha256:<hex>" of the canonical config record
    config: ConfigRecord
    packages: tuple[LockedPackage, ...] = ()
    owner: str = ""
    approver: str = ""
    note: str = ""
    approved: date | None = None
    line: int | None = None  # where the entry starts in the lock file (not compared)
    expires: date | None = None
    signature: str | None = None
    cosignatures: tuple[Approval, ...] = ()

    @property
    def key(self) -> str:
        return entry_key(self.client, self.file, self.name)

    @property
    def approvals(self) -> tuple[Approval, ...]:
        first = Approval(self.approver, self.approved, self.expires, self.signature, self.line)
        return (first, *self.cosignatures)


def entry_key(client: str, file: str, name: str) -> str:
    return f"{client}:{file}#{name}"


@dataclass(frozen=True)
class Lock:
    path: str  # the lock file; keys are relative to its directory
    entries: tuple[LockEntry, ...] = ()

    def get(self, key: str) -> LockEntry | None:
        return next((entry for entry in self.entries if entry.key == key), None)


@dataclass(frozen=True)
class Change:
    """One difference between the approved record and what the scan found."""

    kind: str  # see CHANGE_KINDS; "secret" is a rotation (``before`` says where)
    subject: str  # "config" or the package (ecosystem/name)
    before: str
    after: str

    def describe(self) -> str:
        if self.kind == "secret":
            # A rotation: the secret is in the same place, only its value changed. Neither
            # value is shown, only where it is.
            return f"{self.before}: a secret value changed (the values are not shown)"
        what = self.kind if self.subject == "config" else f"{self.kind} of {self.subject}"
        return f"{what}: {self.before or '(none)'} -> {self.after or '(none)'}"


# Every kind of drift, in the order they are reported.
CHANGE_KINDS = (
    "transport",
    "command",
    "args",
    "url",
    "secret",
    "secrets",
    "env",
    "headers",
    "fingerprint",
    "package-added",
    "package-removed",
    "version",
    "digest",
    "provenance",
    "maintainers",
)


class SignatureState(str, enum.Enum):
    VERIFIED = "verified"  # a valid signature by a key allowed for the named approver
    UNSIGNED = "unsigned"
    INVALID = "invalid"  # unreadable, or does not match the entry as it now reads
    UNKNOWN_SIGNER = "unknown-signer"  # valid, but by a key no allowed-signers line names
    NOT_ALLOWED = "not-allowed"  # a known key, not allowed to sign as this approver (now)


@dataclass(frozen=True)
class ApprovalStatus:
    """One approval of a lock entry, as a scan judged it."""

    approver: str
    approved: date | None
    expires: date | None  # effective last valid day (the earlier of recorded and policy)
    state: SignatureState
    key: str | None = None  # "SHA256:…" of the signing key, when the signature was readable
    problem: str = ""  # why the signature is not verified
    expired: bool = False
    self_approval: bool = False  # the approver is the entry's owner
    line: int | None = None


@dataclass(frozen=True)
class ApprovalFacts:
    """The approval state of one connector, as input to GV01/GV02."""

    key: str
    lock_file: str | None  # None: no lock exists (the policy requires approval)
    entry: LockEntry | None  # the approved record; None: not approved
    observed: LockEntry  # what this scan established, in lock form (no owner/approver)
    changes: tuple[Change, ...] = ()
    # What the lock records but this scan did not establish (e.g. resolution was off),
    # so it could not be compared: neither drift nor a confirmation.
    unchecked: tuple[str, ...] = field(default=())
    # Each approval of ``entry``, verified (empty when the connector is not approved).
    approvals: tuple[ApprovalStatus, ...] = ()

    @property
    def approved(self) -> bool:
        return self.entry is not None
