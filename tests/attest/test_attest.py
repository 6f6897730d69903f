"""Attestations: keygen, signing the JSON report as an in-toto statement in a DSSE
envelope, and verify-attestation's verdicts and exit codes."""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from mcpscan.attest import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    AttestationError,
    AttestationInputError,
    VerificationFailure,
    sign_report,
    verify_envelope,
)
from mcpscan.attest.dsse import DsseAttestor
from mcpscan.attest.keys import generate_keypair, load_signer
from mcpscan.cli.attest_cmd import register, write_attestation
from mcpscan.report.json_report import JsonRenderer
from mcpscan.ruleset import Engine, Policy, load_catalogue
from mcpscan.scan import Scanner, ScanOptions
from mcpscan.sources import load_targets

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "claude_desktop_config.json"

app = typer.Typer()
register(app)


def cli(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".mcp.json").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / ".vscode" / "mcp.json").write_text('{"servers": {}}\n', encoding="utf-8")
    return tmp_path


@pytest.fixture(params=["ecdsa-p256", "ed25519"])
def key(request: pytest.FixtureRequest, work: Path) -> Path:
    prefix = work / "keys" / "mcpscan"
    prefix.parent.mkdir()
    code, out, err = cli("keygen", "--out", prefix, "--algorithm", request.param)
    assert code == 0, err
    assert "key id:" in out
    return prefix


def report_json(work: Path) -> str:
    loaded = load_targets([".mcp.json"], cwd=work)
    scanner = Scanner(Engine(load_catalogue(), Policy()), ScanOptions(today=_dt.date(2026, 1, 15)))
    return JsonRenderer().render(scanner.scan([".mcp.json"], loaded))


def attest(work: Path, key: Path) -> Path:
    out = work / "scan.intoto.json"
    write_attestation(report_json(work), [Path(".mcp.json"), work / ".vscode/mcp.json"], key, out)
    return out


def payload(envelope_path: Path) -> dict[str, Any]:
    env = json.loads(envelope_path.read_text(encoding="utf-8"))
    doc: dict[str, Any] = json.loads(base64.b64decode(env["payload"]))
    return doc


# -- keygen --------------------------------------------------------------------------------


def test_keygen_writes_a_private_key_only_its_owner_can_read(key: Path) -> None:
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    pub = key.with_name(key.name + ".pub")
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in pub.read_text()


def test_keygen_never_overwrites_without_force(key: Path) -> None:
    before = key.read_bytes()
    code, _, err = cli("keygen", "--out", key)
    assert code == 2
    assert "exists" in err
    assert "--force" in err
    assert key.read_bytes() == before
    code, _, _ = cli("keygen", "--out", key, "--force")
    assert code == 0
    assert key.read_bytes() != before
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_keygen_rejects_an_unknown_algorithm(work: Path) -> None:
    code, _, err = cli("keygen", "--out", work / "k", "--algorithm", "dsa")
    assert code == 2
    assert "ecdsa-p256" in err
    assert not (work / "k").exists()


# -- the statement --------------------------------------------------------------------------


def test_statement_names_the_scanned_files_and_carries_the_report(work: Path, key: Path) -> None:
    envelope = json.loads(attest(work, key).read_text(encoding="utf-8"))
    assert envelope["payloadType"] == PAYLOAD_TYPE
    assert len(envelope["signatures"]) == 1
    statement = payload(work / "scan.intoto.json")
    assert statement["_type"] == STATEMENT_TYPE
    assert statement["predicateType"] == PREDICATE_TYPE
    import hashlib

    assert statement["subject"] == [
        {
            "name": ".mcp.json",
            "digest": {"sha256": hashlib.sha256((work / ".mcp.json").read_bytes()).hexdigest()},
        },
        {
            "name": ".vscode/mcp.json",
            "digest": {"sha256": hashlib.sha256(b'{"servers": {}}\n').hexdigest()},
        },
    ]
    assert statement["predicate"] == json.loads(report_json(work))


def test_a_file_outside_the_working_directory_keeps_its_absolute_name(
    work: Path, key: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "mcp.json"
    outside.write_text("{}\n", encoding="utf-8")
    text = sign_report('{"verdict": "pass"}', [outside, outside], key, cwd=work)
    statement = json.loads(base64.b64decode(json.loads(text)["payload"]))
    assert [s["name"] for s in statement["subject"]] == [outside.as_posix()]


def test_nothing_to_attest_or_no_report_is_an_error(work: Path, key: Path) -> None:
    with pytest.raises(AttestationError, match="read no config file"):
        sign_report('{"verdict": "pass"}', [], key, cwd=work)
    with pytest.raises(AttestationError, match="not JSON"):
        sign_report("verdict: pass", [Path(".mcp.json")], key, cwd=work)
    with pytest.raises(AttestationInputError, match="cannot read"):
        sign_report('{"verdict": "pass"}', [Path("missing.json")], key, cwd=work)


def test_an_unreadable_or_public_key_cannot_sign(work: Path, key: Path) -> None:
    with pytest.raises(AttestationInputError, match="not a PEM private key"):
        load_signer(key.with_name(key.name + ".pub"))
    with pytest.raises(AttestationInputError, match="cannot read private key"):
        load_signer(work / "nope")


# -- verification ----------------------------------------------------------------------------


def test_round_trip(work: Path, key: Path) -> None:
    path = attest(work, key)
    code, out, err = cli("verify-attestation", path, "--key", f"{key}.pub")
    assert code == 0, err
    assert "attestation verified" in out
    assert "subject .mcp.json: sha256 matches" in out
    assert "subject .vscode/mcp.json: sha256 matches" in out
    code, out, _ = cli("verify-attestation", path, "--key", f"{key}.pub", "--subject", ".mcp.json")
    assert code == 0
    assert "subject .mcp.json: sha256 matches" in out
    assert ".vscode" not in out


def test_one_changed_byte_of_the_payload_fails(work: Path, key: Path) -> None:
    path = attest(work, key)
    env = json.loads(path.read_text(encoding="utf-8"))
    raw = bytearray(base64.b64decode(env["payload"]))
    at = raw.index(b'"verdict":"fail"') + len(b'"verdict":"')
    raw[at : at + 4] = b"pass"
    env["payload"] = base64.b64encode(bytes(raw)).decode()
    path.write_text(json.dumps(env), encoding="utf-8")
    code, out, err = cli("verify-attestation", path, "--key", f"{key}.pub")
    assert code == 1
    assert out == ""
    assert "does not match the signed payload" in err


def test_one_changed_byte_of_the_payload_type_fails(work: Path, key: Path) -> None:
    path = attest(work, key)
    env = json.loads(path.read_text(encoding="utf-8"))
    env["payloadType"] = env["payloadType"].replace("json", "jsoN")
    with pytest.raises(VerificationFailure, match="does not match the signed payload"):
        verify_envelope(json.dumps(env), Path(f"{key}.pub"), [], cwd=work)


def test_a_changed_subject_file_fails(work: Path, key: Path) -> None:
    path = attest(work, key)
    config = work / ".vscode" / "mcp.json"
    config.write_bytes(config.read_bytes().replace(b"{}", b"{ }"))
    code, _, err = cli("verify-attestation", path, "--key", f"{key}.pub")
    assert code == 1
    assert "subject .vscode/mcp.json changed since it was attested" in err
    code, _, err = cli("verify-attestation", path, "--key", f"{key}.pub", "--subject", config)
    assert code == 1
    assert "changed since it was attested" in err


def test_a_file_that_is_not_a_subject_fails(work: Path, key: Path) -> None:
    path = attest(work, key)
    other = work / "other.json"
    other.write_text('{"mcpServers": {}}\n', encoding="utf-8")
    code, _, err = cli("verify-attestation", path, "--key", f"{key}.pub", "--subject", other)
    assert code == 1
    assert "other.json is not a subject of this attestation" in err


def test_a_moved_subject_matches_by_content(work: Path, key: Path) -> None:
    path = attest(work, key)
    moved = work / "moved.json"
    (work / ".mcp.json").rename(moved)
    code, out, err = cli("verify-attestation", path, "--key", f"{key}.pub")
    assert code == 0, err
    assert "subject .mcp.json: not present, not checked" in out
    code, out, _ = cli("verify-attestation", path, "--key", f"{key}.pub", "--subject", moved)
    assert code == 0
    assert "subject .mcp.json: sha256 matches (as moved.json)" in out


def test_the_wrong_key_is_rejected(work: Path, key: Path) -> None:
    path = attest(work, key)
    other = work / "keys" / "other"
    generate_keypair(other)
    code, _, err = cli("verify-attestation", path, "--key", f"{other}.pub")
    assert code == 1
    assert "not signed by the given key" in err


def test_a_forged_keyid_does_not_help(work: Path, key: Path) -> None:
    """The keyid is an unsigned hint: a signature by another key that claims our keyid
    fails as a bad signature, and ours verifies whatever keyid it claims."""
    path = attest(work, key)
    env = json.loads(path.read_text(encoding="utf-8"))
    env["signatures"][0]["keyid"] = "0" * 64
    statement, _ = verify_envelope(json.dumps(env), Path(f"{key}.pub"), [], cwd=work)
    assert statement.keyid != "0" * 64
    other = work / "keys" / "other"
    real_keyid = generate_keypair(other, "ed25519")
    forged = json.loads(sign_report('{"verdict": "pass"}', [Path(".mcp.json")], other, cwd=work))
    assert forged["signatures"][0]["keyid"] == real_keyid
    forged["signatures"][0]["keyid"] = load_signer(key).public_key.keyid
    with pytest.raises(VerificationFailure, match="does not match the signed payload"):
        verify_envelope(json.dumps(forged), Path(f"{key}.pub"), [], cwd=work)


def test_a_signed_statement_of_another_kind_is_rejected(work: Path, key: Path) -> None:
    attestor = DsseAttestor(load_signer(key))
    foreign = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": "x", "digest": {"sha256": "0" * 64}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {},
    }
    envelope = attestor.sign(foreign)
    assert envelope["signatures"][0]["keyid"] == attestor.keyid
    with pytest.raises(VerificationFailure, match="predicate type"):
        verify_envelope(json.dumps(envelope), Path(f"{key}.pub"), [], cwd=work)
    old = {**foreign, "_type": "https://in-toto.io/Statement/v0.1", "predicateType": PREDICATE_TYPE}
    with pytest.raises(VerificationFailure, match="statement type"):
        verify_envelope(json.dumps(attestor.sign(old)), Path(f"{key}.pub"), [], cwd=work)
    no_subject = {**foreign, "predicateType": PREDICATE_TYPE, "subject": []}
    with pytest.raises(VerificationFailure, match="names no subject"):
        verify_envelope(json.dumps(attestor.sign(no_subject)), Path(f"{key}.pub"), [], cwd=work)


def test_an_unsigned_envelope_fails(work: Path, key: Path) -> None:
    env = json.loads(attest(work, key).read_text(encoding="utf-8"))
    env["signatures"] = []
    with pytest.raises(VerificationFailure, match="no signature"):
        verify_envelope(json.dumps(env), Path(f"{key}.pub"), [], cwd=work)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"payload": "e30="}', "no payloadType, signatures"),
        (
            '{"payload": "!!", "payloadType": "x", "signatures": [{"keyid": "a", "sig": "%%"}]}',
            "not a DSSE envelope",
        ),
    ],
)
def test_unreadable_input_exits_2(work: Path, key: Path, content: str, message: str) -> None:
    path = work / "bad.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = cli("verify-attestation", path, "--key", f"{key}.pub")
    assert code == 2
    assert message in err


def test_missing_files_exit_2(work: Path, key: Path) -> None:
    path = attest(work, key)
    code, _, err = cli("verify-attestation", work / "missing.json", "--key", f"{key}.pub")
    assert code == 2
    assert "cannot read attestation" in err
    code, _, err = cli("verify-attestation", path, "--key", work / "missing.pub")
    assert code == 2
    assert "cannot read public key" in err
    code, _, err = cli("verify-attestation", path, "--key", key)
    assert code == 2
    assert "pass the .pub file" in err
    code, _, err = cli(
        "verify-attestation", path, "--key", f"{key}.pub", "--subject", work / "missing.json"
    )
    assert code == 2
    assert "missing.json" in err


def test_the_attestation_file_gets_the_usual_mode(work: Path, key: Path) -> None:
    previous = os.umask(0o022)
    try:
        path = attest(work, key)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_importing_the_commands_loads_no_crypto() -> None:
    code = (
        "import sys, mcpscan.attest, mcpscan.cli.attest_cmd; "
        "print(sorted(m for m in ('securesystemslib', 'cryptography') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.strip() == "[]"
