"""DSSE envelopes signed and verified with a local key (securesystemslib)."""

from __future__ import annotations

import binascii
import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mcpscan.attest.interface import (
    PAYLOAD_TYPE,
    AttestationInputError,
    AttestationVerifier,
    Attestor,
    VerificationFailure,
    VerifiedStatement,
)
from mcpscan.attest.statement import parse_statement, serialize

if TYPE_CHECKING:
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import Key, Signer


class DsseAttestor(Attestor):
    def __init__(self, signer: Signer) -> None:
        self._signer = signer

    @property
    def keyid(self) -> str:
        keyid: str = self._signer.public_key.keyid
        return keyid

    def sign(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        from securesystemslib.dsse import Envelope

        envelope = Envelope(serialize(statement), PAYLOAD_TYPE, {})
        envelope.sign(self._signer)
        signed: dict[str, Any] = envelope.to_dict()
        return signed


def _envelope(doc: Mapping[str, Any]) -> Envelope:
    from securesystemslib.dsse import Envelope
    from securesystemslib.exceptions import FormatError

    missing = [k for k in ("payload", "payloadType", "signatures") if k not in doc]
    if missing:
        raise AttestationInputError(f"not a DSSE envelope: no {', '.join(missing)}")
    if not isinstance(doc["signatures"], list) or not all(
        isinstance(s, dict) for s in doc["signatures"]
    ):
        raise AttestationInputError("not a DSSE envelope: signatures is not a list of objects")
    try:
        # from_dict rewrites the signature entries it is given.
        return Envelope.from_dict(copy.deepcopy(dict(doc)))
    except (KeyError, TypeError, ValueError, binascii.Error, FormatError) as exc:
        raise AttestationInputError(
            f"not a DSSE envelope: {exc.__class__.__name__} in its fields"
        ) from None


class DsseVerifier(AttestationVerifier):
    def __init__(self, key: Key) -> None:
        self._key = key

    def verify(self, envelope: Mapping[str, Any]) -> VerifiedStatement:
        from securesystemslib.exceptions import UnverifiedSignatureError, VerificationError
        from securesystemslib.signer import Signature

        env = _envelope(envelope)
        if not env.signatures:
            raise VerificationFailure("the envelope carries no signature")
        pae = env.pae()
        keyid = self._key.keyid
        verified = False
        for sig in env.signatures.values():
            # The keyid in the envelope is an unsigned hint: try the key on every signature.
            try:
                self._key.verify_signature(Signature(keyid, sig.signature), pae)
            except (UnverifiedSignatureError, VerificationError):
                continue
            verified = True
            break
        if not verified:
            if keyid in env.signatures:
                raise VerificationFailure(
                    f"the signature by key {keyid} does not match the signed payload: "
                    "the attestation was changed after it was signed"
                )
            signers = ", ".join(sorted(env.signatures))
            raise VerificationFailure(
                f"not signed by the given key {keyid}: the envelope is signed by {signers}"
            )
        if env.payload_type != PAYLOAD_TYPE:
            raise VerificationFailure(
                f"the payload type is {env.payload_type!r}, expected {PAYLOAD_TYPE!r}"
            )
        subjects, predicate = parse_statement(env.payload)
        return VerifiedStatement(keyid=keyid, subjects=subjects, predicate=predicate)
