"""Hostile input to the signature, allowed-signers and CODEOWNERS parsers: any bytes give
a clear error of the lock seam (or, for CODEOWNERS, no owner), never a crash."""

from __future__ import annotations

import base64
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from mcpscan.lock.allowed_signers import parse_allowed_signers
from mcpscan.lock.codeowners import parse_codeowners
from mcpscan.lock.interface import LockError, SignatureError
from mcpscan.lock.sshsig import BEGIN, END, verify

NS = "mcpscan-approval"


def armored(blob: bytes) -> str:
    return f"{BEGIN}\n{base64.b64encode(blob).decode()}\n{END}\n"


def _string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_refused_as_a_signature_error(text: str) -> None:
    try:
        verify(b"m", text, NS)
    except SignatureError:
        return
    raise AssertionError("an arbitrary text verified")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([b"", b"SSHSIG", b"SSHSIG\x00\x00\x00\x01"]))
def test_any_blob_behind_the_armor_is_refused(tail: bytes, head: bytes) -> None:
    try:
        verify(b"m", armored(head + tail), NS)
    except SignatureError:
        return
    raise AssertionError("an arbitrary blob verified")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=120), st.binary(max_size=120))
def test_well_framed_nonsense_is_refused(key: bytes, signature: bytes) -> None:
    blob = (
        b"SSHSIG"
        + struct.pack(">I", 1)
        + _string(b"\x00\x00\x00\x0bssh-ed25519" + key)
        + _string(NS.encode())
        + _string(b"")
        + _string(b"sha512")
        + _string(signature)
    )
    try:
        verify(b"m", armored(blob), NS)
    except SignatureError:
        return
    raise AssertionError("a forged blob verified")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_allowed_signers_text_gives_a_lock_error_or_signers(text: str) -> None:
    error: LockError | None = None
    try:
        parse_allowed_signers(text, "allowed_signers")
    except LockError as exc:
        error = exc
    if error is not None:  # every problem names the file and the line
        assert error.file == "allowed_signers"
        assert error.line is not None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.text(max_size=60))
def test_codeowners_never_raises(text: str, path: str) -> None:
    parse_codeowners(text, "CODEOWNERS").owners_of(path)
