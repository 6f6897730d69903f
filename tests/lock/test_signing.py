"""Signed approvals in the lock: what is signed, what breaks a signature, co-signing."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import subprocess
from pathlib import Path

import pytest

from mcpscan.lock import Lock, SignatureState, approve, cosign, load_lock, save_lock
from mcpscan.lock.allowed_signers import parse_allowed_signers
from mcpscan.lock.interface import SignatureError
from mcpscan.lock.keys import load_signer
from mcpscan.lock.model import LockEntry
from mcpscan.lock.signing import NAMESPACE, ApprovalVerifier, message
from tests.lock.keys import SSH_KEYGEN, allowed_line, make_key, needs_ssh_keygen
from tests.lock.support import (
    TODAY,
    fake_run_scan,
    graph,
    provenance,
    server,
    with_facts,
    write_config,
)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    directory = tmp_path / "keys"
    directory.mkdir()
    return {
        name: make_key(directory, name, kind)
        for name, kind in (("sec", "ed25519"), ("lead", "ecdsa-256"), ("mallory", "ed25519"))
    }


def signed_lock(
    tmp_path: Path, key: Path, *, owner: str = "platform", approver: str = "sec"
) -> Path:
    config = write_config(tmp_path, {"memory": server()})
    results = fake_run_scan(tmp_path, with_facts(graph(), provenance()))([str(config)])
    path = tmp_path / "mcpscan.lock"
    lock = approve(
        Lock(path=str(path)),
        results.connectors,
        owner=owner,
        approver=approver,
        today=TODAY,
        expires=TODAY + _dt.timedelta(days=89),
        signer=load_signer(str(key)),
    )
    save_lock(lock, path)
    return path


def verifier(keys: dict[str, Path], text: str | None = None, **kw: object) -> ApprovalVerifier:
    text = (
        text
        if text is not None
        else (allowed_line("sec", keys["sec"]) + allowed_line("lead", keys["lead"]))
    )
    return ApprovalVerifier(today=TODAY, allowed_signers=parse_allowed_signers(text, "as"), **kw)  # type: ignore[arg-type]


def only(path: Path) -> LockEntry:
    (entry,) = load_lock(path).entries
    return entry


def test_a_signed_approval_verifies_after_a_round_trip(
    tmp_path: Path, keys: dict[str, Path]
) -> None:
    path = signed_lock(tmp_path, keys["sec"])
    text = path.read_text()
    assert "signature = '''\n-----BEGIN SSH SIGNATURE-----\n" in text
    assert "expires = 2027-02-22\n" in text
    (status,) = verifier(keys).check(only(path))
    assert status.state is SignatureState.VERIFIED, status.problem
    assert status.key
    assert status.key.startswith("SHA256:")
    assert (status.approver, status.approved, status.expires) == (
        "sec",
        TODAY,
        _dt.date(2027, 2, 22),
    )
    assert not status.expired
    assert not status.self_approval


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('approver = "sec"', 'approver = "lead"'),
        ('owner = "platform"', 'owner = "someone-else"'),
        ("approved = 2026-11-25", "approved = 2026-11-26"),
        ("expires = 2027-02-22", "expires = 2030-01-01"),
        ('"sha512:' + "ab" * 64, '"sha512:' + "cd" * 64),
        ('version = "2025.8.4"', 'version = "2025.9.0"'),
        (
            'provenance_repository = "https://github.com/modelcontextprotocol/servers"',
            'provenance_repository = "https://github.com/attacker/servers"',
        ),
        ('maintainers = ["alice", "bob"]', 'maintainers = ["alice", "mallory"]'),
        ('args = ["-y",', 'args = ["-y", "--evil",'),
    ],
)
def test_a_hand_edited_entry_breaks_the_signature(
    tmp_path: Path, keys: dict[str, Path], before: str, after: str
) -> None:
    path = signed_lock(tmp_path, keys["sec"])
    text = path.read_text()
    assert before in text
    path.write_text(text.replace(before, after, 1))
    (status,) = verifier(keys).check(only(path))
    assert status.state is SignatureState.INVALID
    assert "edited after it was signed" in status.problem or "fingerprint" in status.problem


def test_an_unknown_key_and_a_key_of_another_person(tmp_path: Path, keys: dict[str, Path]) -> None:
    path = signed_lock(tmp_path, keys["mallory"])
    (status,) = verifier(keys).check(only(path))
    assert status.state is SignatureState.UNKNOWN_SIGNER
    assert "is not in the allowed signers" in status.problem
    # Mallory's key is allowed, but for mallory: she cannot sign as "sec".
    text = allowed_line("sec", keys["sec"]) + allowed_line("mallory", keys["mallory"])
    (status,) = verifier(keys, text).check(only(path))
    assert status.state is SignatureState.NOT_ALLOWED
    assert "allowed to sign as mallory, not as sec" in status.problem
    (status,) = ApprovalVerifier(today=TODAY).check(only(path))
    assert status.state is SignatureState.UNKNOWN_SIGNER
    assert "names no allowed_signers file" in status.problem


def test_a_mangled_signature_is_invalid_not_absent(tmp_path: Path, keys: dict[str, Path]) -> None:
    path = signed_lock(tmp_path, keys["sec"])
    lines = path.read_text().splitlines(keepends=True)
    i = next(n for n, line in enumerate(lines) if line.startswith("-----BEGIN")) + 1
    lines[i] = "AAAA" + lines[i][4:]
    path.write_text("".join(lines))
    (status,) = verifier(keys).check(only(path))
    assert status.state is SignatureState.INVALID


def test_expiry_and_self_approval(tmp_path: Path, keys: dict[str, Path]) -> None:
    path = signed_lock(tmp_path, keys["sec"], owner="sec")
    entry = only(path)
    (status,) = verifier(keys).check(entry)
    assert status.self_approval
    assert status.state is SignatureState.VERIFIED
    (status,) = verifier(keys, allow_self_approval=True).check(entry)
    assert not status.self_approval
    # approval_valid_days shortens the recorded expiry; 0 makes it due at once.
    (status,) = verifier(keys, valid_days=30).check(entry)
    assert status.expires == TODAY + _dt.timedelta(days=29)
    assert not status.expired
    (status,) = verifier(keys, valid_days=0).check(entry)
    assert status.expired
    late = ApprovalVerifier(
        today=_dt.date(2027, 2, 23), allowed_signers=verifier(keys).allowed_signers
    )
    assert late.check(entry)[0].expired
    assert not dataclasses.replace(late, today=_dt.date(2027, 2, 22)).check(entry)[0].expired


def test_a_cosignature_is_a_block_of_added_lines(tmp_path: Path, keys: dict[str, Path]) -> None:
    path = signed_lock(tmp_path, keys["sec"])
    before = path.read_text()
    lock = load_lock(path)
    key = lock.entries[0].key
    updated = cosign(
        lock,
        [key],
        load_signer(str(keys["lead"])),
        approver="lead",
        today=TODAY + _dt.timedelta(days=1),
    )
    save_lock(updated, path)
    after = path.read_text()
    diff = [
        d
        for d in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm="")
        if not d.startswith(("---", "+++"))
    ]
    assert diff[0].startswith("@@")
    assert all(d.startswith("+") for d in diff[1:])
    assert "+[[connector.cosignature]]" in diff
    assert '+approver = "lead"' in diff
    statuses = verifier(keys).check(only(path))
    assert [(s.approver, s.state) for s in statuses] == [
        ("sec", SignatureState.VERIFIED),
        ("lead", SignatureState.VERIFIED),
    ]
    assert statuses[1].approved == TODAY + _dt.timedelta(days=1)
    with pytest.raises(SignatureError, match="already the approver"):
        cosign(updated, [key], load_signer(str(keys["sec"])), approver="sec", today=TODAY)


def test_re_approving_unchanged_content_keeps_cosignatures(
    tmp_path: Path, keys: dict[str, Path]
) -> None:
    path = signed_lock(tmp_path, keys["sec"])
    lock = load_lock(path)
    lock = cosign(
        lock, [lock.entries[0].key], load_signer(str(keys["lead"])), approver="lead", today=TODAY
    )
    save_lock(lock, path)
    config = tmp_path / ".mcp.json"
    run = fake_run_scan(tmp_path, with_facts(graph(), provenance()))
    again = approve(
        load_lock(path),
        run([str(config)]).connectors,
        owner="platform",
        approver="sec",
        today=TODAY,
        signer=load_signer(str(keys["sec"])),
    )
    assert [c.approver for c in again.entries[0].cosignatures] == ["lead"]
    changed = fake_run_scan(tmp_path, with_facts(graph("2025.9.0"), provenance("2025.9.0")))
    bumped = approve(
        load_lock(path),
        changed([str(config)]).connectors,
        owner="platform",
        approver="sec",
        today=TODAY,
        signer=load_signer(str(keys["sec"])),
    )
    assert bumped.entries[0].cosignatures == ()


@needs_ssh_keygen
def test_ssh_keygen_verifies_the_lock_signature(tmp_path: Path, keys: dict[str, Path]) -> None:
    path = signed_lock(tmp_path, keys["sec"])
    entry = only(path)
    assert entry.signature is not None
    (tmp_path / "msg").write_bytes(message(entry, entry.approvals[0]))
    (tmp_path / "sig").write_text(entry.signature)
    (tmp_path / "allowed").write_text(allowed_line("sec", keys["sec"]))
    assert SSH_KEYGEN is not None

    def keygen_verify(principal: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                SSH_KEYGEN,
                "-Y",
                "verify",
                "-n",
                NAMESPACE,
                "-f",
                str(tmp_path / "allowed"),
                "-I",
                principal,
                "-s",
                str(tmp_path / "sig"),
            ],
            stdin=(tmp_path / "msg").open("rb"),
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert keygen_verify("sec").returncode == 0
    assert keygen_verify("lead").returncode != 0
