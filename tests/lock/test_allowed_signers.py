"""Allowed-signers files in OpenSSH's (and git's) format."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest

from mcpscan.lock.allowed_signers import load_allowed_signers, parse_allowed_signers
from mcpscan.lock.interface import LockError
from mcpscan.lock.sshsig import parse_public_line
from tests.lock.keys import allowed_line, make_key, public_text

NS = "mcpscan-approval"
DAY = _dt.date(2026, 11, 25)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    return {name: make_key(tmp_path, name) for name in ("alice", "bob", "carol")}


def blob(key: Path) -> bytes:
    return parse_public_line(public_text(key))


def test_principals_options_and_comments(keys: dict[str, Path]) -> None:
    text = (
        "# who may approve connectors\n\n"
        + allowed_line("sec-lead,alice@example.com", keys["alice"])
        + allowed_line(
            '"*@security.example.com,!intern@security.example.com"',
            keys["bob"],
            'namespaces="git,mcpscan-approval"',
        )
        + allowed_line("carol", keys["carol"], 'namespaces="git"')
    )
    signers = parse_allowed_signers(text, "allowed_signers")
    assert [s.line for s in signers.signers] == [3, 4, 5]
    assert signers.check("sec-lead", blob(keys["alice"]), NS, DAY).ok
    assert signers.check("alice@example.com", blob(keys["alice"]), NS, DAY).ok
    assert signers.check("dan@security.example.com", blob(keys["bob"]), NS, DAY).ok
    negated = signers.check("intern@security.example.com", blob(keys["bob"]), NS, DAY)
    assert not negated.ok
    assert "not as intern@security.example.com" in negated.problem
    other = signers.check("sec-lead", blob(keys["bob"]), NS, DAY)
    assert not other.ok
    assert "allowed to sign as" in other.problem
    assert "not as sec-lead" in other.problem
    namespace = signers.check("carol", blob(keys["carol"]), NS, DAY)
    assert not namespace.ok
    assert "may not sign for namespace mcpscan-approval" in namespace.problem


def test_an_unknown_key_is_named_by_fingerprint(keys: dict[str, Path], tmp_path: Path) -> None:
    signers = parse_allowed_signers(allowed_line("sec-lead", keys["alice"]), "as")
    stranger = make_key(tmp_path, "stranger")
    verdict = signers.check("sec-lead", blob(stranger), NS, DAY)
    assert not verdict.ok
    assert verdict.problem.startswith("key SHA256:")
    assert "is not in the allowed signers" in (verdict.problem)


def test_validity_window(keys: dict[str, Path]) -> None:
    text = allowed_line(
        "sec-lead", keys["alice"], 'valid-after="20260101",valid-before="20261201Z"'
    )
    signers = parse_allowed_signers(text, "as")
    key = blob(keys["alice"])
    assert signers.check("sec-lead", key, NS, DAY).ok
    assert not signers.check("sec-lead", key, NS, _dt.date(2025, 12, 30)).ok
    late = signers.check("sec-lead", key, NS, _dt.date(2026, 12, 1))
    assert not late.ok
    assert "was not valid on 2026-12-01" in late.problem
    undated = signers.check("sec-lead", key, NS, None)
    assert not undated.ok
    assert "limited in time" in undated.problem


def test_certificate_authorities_never_match(keys: dict[str, Path]) -> None:
    text = allowed_line("*", keys["alice"], "cert-authority")
    signers = parse_allowed_signers(text, "as")
    assert not signers.check("sec-lead", blob(keys["alice"]), NS, DAY).ok


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("sec-lead", "expected 'principals"),
        ('sec-lead bogus="x" ssh-ed25519 AAAA', "unknown option 'bogus'"),
        ("sec-lead namespaces=git ssh-ed25519 AAAA", "must be in double quotes"),
        ('sec-lead valid-after="2026" ssh-ed25519 AAAA', "not YYYYMMDD"),
        ("sec-lead ssh-ed25519 !!!", "not valid base64"),
        ('sec-lead namespaces="git ssh-ed25519 AAAA', "unterminated quote"),
    ],
)
def test_errors_name_the_line(line: str, problem: str) -> None:
    with pytest.raises(LockError, match=problem) as caught:
        parse_allowed_signers("# header\n" + line + "\n", "allowed_signers")
    assert caught.value.file == "allowed_signers"
    assert caught.value.line == 2


def test_loading_is_bounded(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"#" * (1024 * 1024 + 10))
    with pytest.raises(LockError, match="larger than"):
        load_allowed_signers(big)
    with pytest.raises(LockError, match="not found"):
        load_allowed_signers(tmp_path / "missing")
