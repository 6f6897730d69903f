"""The attestation seam: a signed in-toto statement about one scan.

The statement's subjects are the scanned config files (by sha256) and its predicate is the
JSON report. It travels in a DSSE envelope; :class:`Attestor` signs one and
:class:`AttestationVerifier` checks one. Today both use a local key file; a KMS or keyless
signer would be another implementation of the same two classes.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mcpscan.errors import ReportError

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://mcpscan.dev/attestation/scan-report/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"


class AttestationError(ReportError):
    """An attestation could not be written or read."""


class AttestationInputError(AttestationError):
    """An input (envelope, key or subject file) cannot be read at all (exit 2)."""


class VerificationFailure(AttestationError):
    """The attestation was read and does not hold: bad signature, wrong key, a subject
    that changed, or a statement mcpscan did not write (exit 1)."""


def json_object(text: str | bytes, error: type[AttestationError], what: str) -> dict[str, Any]:
    """``text`` as a JSON object, else ``error`` saying ``what`` is not one."""
    try:
        doc = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise error(f"{what} is not JSON") from None
    if not isinstance(doc, dict):
        raise error(f"{what} is not a JSON object")
    return doc


@dataclass(frozen=True)
class Subject:
    """A scanned file as the statement names it."""

    name: str  # relative to the working directory when the file is under it
    sha256: str  # lowercase hex


@dataclass(frozen=True)
class VerifiedStatement:
    """An in-toto statement whose signature checked out with the given key."""

    keyid: str
    subjects: tuple[Subject, ...]
    predicate: Mapping[str, Any] = field(compare=False)


class Attestor(ABC):
    @property
    @abstractmethod
    def keyid(self) -> str:
        """Identifier of the signing key, as recorded in the envelope."""

    @abstractmethod
    def sign(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        """The DSSE envelope (JSON object) carrying ``statement``, signed."""


class AttestationVerifier(ABC):
    @abstractmethod
    def verify(self, envelope: Mapping[str, Any]) -> VerifiedStatement:
        """Check the envelope's signature and that it carries an mcpscan statement.

        Raises :class:`VerificationFailure` with the precise reason when it does not, and
        :class:`AttestationInputError` when the envelope is not a DSSE envelope at all.
        """
