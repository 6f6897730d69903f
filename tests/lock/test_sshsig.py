"""SSHSIG signatures: made and checked here, and interchangeable with ssh-keygen -Y."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mcpscan.lock.interface import SignatureError
from mcpscan.lock.keys import load_signer
from mcpscan.lock.sshsig import armor, dearmor, sign, verify
from tests.lock.keys import SSH_KEYGEN, allowed_line, keygen_key, make_key, needs_ssh_keygen

NS = "mcpscan-approval"
KINDS = ("ed25519", "ecdsa-256", "ecdsa-384", "ecdsa-521")


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_with_keys_made_by_cryptography(tmp_path: Path, kind: str) -> None:
    signer = load_signer(str(make_key(tmp_path, "k", kind)))
    sig = sign(b"approve this", signer, NS)
    assert sig.startswith("-----BEGIN SSH SIGNATURE-----\n")
    assert all(len(line) <= 70 for line in sig.splitlines())
    checked = verify(b"approve this", sig, NS)
    assert checked.public_blob == signer.public_blob
    assert checked.key_fingerprint.startswith("SHA256:")
    with pytest.raises(SignatureError, match="does not match the message"):
        verify(b"approve that", sig, NS)


def test_a_signature_for_another_namespace_is_refused(tmp_path: Path) -> None:
    signer = load_signer(str(make_key(tmp_path, "k")))
    sig = sign(b"m", signer, "git")
    with pytest.raises(SignatureError, match="namespace 'git', not 'mcpscan-approval'"):
        verify(b"m", sig, NS)


def test_a_signature_with_another_key_put_in_is_refused(tmp_path: Path) -> None:
    alice = load_signer(str(make_key(tmp_path, "alice")))
    mallory = load_signer(str(make_key(tmp_path, "mallory")))
    real = dearmor(sign(b"m", mallory, NS))
    # Mallory's signature relabelled as Alice's key must not verify as Alice's.
    forged = armor(
        type(real)(alice.public_blob, real.namespace, real.hash_algorithm, real.signature)
    )
    with pytest.raises(SignatureError, match="does not match"):
        verify(b"m", forged, NS)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not a signature", "enclosed in"),
        ("-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----", "base64"),
        ("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----", "truncated"),
        (
            "-----BEGIN SSH SIGNATURE-----\nAAAAAAAAAAAA\n-----END SSH SIGNATURE-----",
            "no SSHSIG preamble",
        ),
        (
            "-----BEGIN SSH SIGNATURE-----\n" + "A" * 20000 + "\n-----END SSH SIGNATURE-----",
            "far too large",
        ),
    ],
)
def test_malformed_signatures_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(SignatureError, match=problem):
        verify(b"m", text, NS)


def test_an_encrypted_key_takes_its_passphrase(tmp_path: Path) -> None:
    key = make_key(tmp_path, "k", passphrase=b"correct horse")
    asked: list[str] = []

    def passphrase(prompt: str) -> bytes:
        asked.append(prompt)
        return b"correct horse"

    signer = load_signer(str(key), passphrase=passphrase)
    verify(b"m", sign(b"m", signer, NS), NS)
    assert asked == [f"Enter passphrase for {key}: "]
    with pytest.raises(SignatureError, match="wrong passphrase"):
        load_signer(str(key), passphrase=lambda _: b"wrong")
    with pytest.raises(SignatureError, match="the key is encrypted"):
        load_signer(str(key), passphrase=lambda _: None)


def test_the_passphrase_comes_from_the_askpass_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = make_key(tmp_path, "k", passphrase=b"s3cret")
    program = tmp_path / "askpass"
    program.write_text("#!/bin/sh\necho s3cret\n")
    program.chmod(0o755)
    monkeypatch.setenv("MCPSCAN_ASKPASS", str(program))
    signer = load_signer(str(key))
    verify(b"m", sign(b"m", signer, NS), NS)
    failing = tmp_path / "nope"
    failing.write_text("#!/bin/sh\nexit 3\n")
    failing.chmod(0o755)
    monkeypatch.setenv("MCPSCAN_ASKPASS", str(failing))
    with pytest.raises(SignatureError, match="exited with 3"):
        load_signer(str(key))


def test_a_file_that_is_no_key_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_text("hello\n")
    with pytest.raises(SignatureError, match="not an SSH private or public key"):
        load_signer(str(junk))
    with pytest.raises(SignatureError, match="cannot read signing key"):
        load_signer(str(tmp_path / "missing"))


@needs_ssh_keygen
@pytest.mark.parametrize("kind", KINDS)
def test_ssh_keygen_verifies_our_signatures(tmp_path: Path, kind: str) -> None:
    key = make_key(tmp_path, "k", kind)
    message = tmp_path / "msg"
    message.write_bytes(b'{"approval":"yes"}')
    (tmp_path / "msg.sig").write_text(sign(message.read_bytes(), load_signer(str(key)), NS))
    (tmp_path / "allowed").write_text(allowed_line("sec-lead", key))
    assert SSH_KEYGEN is not None
    done = subprocess.run(
        [
            SSH_KEYGEN,
            "-Y",
            "verify",
            "-n",
            NS,
            "-f",
            str(tmp_path / "allowed"),
            "-I",
            "sec-lead",
            "-s",
            str(tmp_path / "msg.sig"),
        ],
        stdin=message.open("rb"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert 'Good "mcpscan-approval" signature for sec-lead' in done.stdout


@needs_ssh_keygen
@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-256", "ecdsa-521"])
def test_we_verify_what_ssh_keygen_signs(tmp_path: Path, kind: str) -> None:
    key = keygen_key(tmp_path, "k", kind, passphrase="pw")
    message = tmp_path / "msg"
    message.write_bytes(b"the bytes")
    assert SSH_KEYGEN is not None
    subprocess.run(
        [SSH_KEYGEN, "-Y", "sign", "-n", NS, "-f", str(key), "-P", "pw", str(message)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    signature = (tmp_path / "msg.sig").read_text()
    ours = load_signer(str(key), passphrase=lambda _: b"pw")
    assert verify(b"the bytes", signature, NS).public_blob == ours.public_blob
    with pytest.raises(SignatureError):
        verify(b"other bytes", signature, NS)
