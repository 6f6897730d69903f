"""`mcpscan approvals`: the auditor's list, and the bytes ssh-keygen checks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mcpscan.cli.app import app
from tests.lock.keys import SSH_KEYGEN, needs_ssh_keygen
from tests.lock.test_approval_rules import World

KEY = "claude-code:.mcp.json#memory"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    return World(tmp_path)


def approvals(*args: str) -> Result:
    # The table is drawn at the terminal's width: a wide one, so no note wraps.
    return CliRunner().invoke(
        app, ["approvals", *args], catch_exceptions=False, env={"COLUMNS": "160"}
    )


def test_the_list_says_who_until_when_and_whether_it_verifies(world: World) -> None:
    world.policy("approval_valid_days = 90\n")
    assert world.approve("--owner", "platform").exit_code == 0
    run = approvals("-f", "json")
    assert run.exit_code == 0, run.output
    doc = json.loads(run.stdout)
    assert doc["ok"] is True
    assert doc["allowed_signers"] == str(world.root / "allowed_signers")
    (conn,) = doc["connectors"]
    assert (conn["key"], conn["owner"], conn["approvals_needed"]) == (KEY, "platform", 1)
    (first,) = conn["approvals"]
    assert first["approver"] == "sec"
    assert first["signature"] == "verified"
    assert first["key"].startswith("SHA256:")
    assert first["expires"] is not None
    assert first["holds"] is True
    table = approvals()
    assert table.exit_code == 0
    assert "verified" in table.stdout
    assert "sec" in table.stdout


def test_a_broken_signature_or_too_few_approvals_exit_1(world: World) -> None:
    world.policy("min_approvals = 2\n")
    assert world.approve("--owner", "platform").exit_code == 0
    doc = json.loads(approvals("-f", "json").stdout)
    assert doc["ok"] is False
    assert doc["connectors"][0]["approvals_counted"] == 1
    assert (
        world.approve(
            "--add-signature", str(world.keys["lead"]), approver="lead", key=None
        ).exit_code
        == 0
    )
    run = approvals("-f", "json")
    assert run.exit_code == 0
    assert [a["approver"] for a in json.loads(run.stdout)["connectors"][0]["approvals"]] == [
        "sec",
        "lead",
    ]
    lock = world.root / "mcpscan.lock"
    lock.write_text(lock.read_text().replace('owner = "platform"', 'owner = "me"', 1))
    run = approvals("-f", "json")
    assert run.exit_code == 1
    states = [a["signature"] for a in json.loads(run.stdout)["connectors"][0]["approvals"]]
    assert states == ["invalid", "invalid"]
    assert "does not match the message" in approvals().stdout


def test_unknown_entries_and_unsigned_approvals(world: World) -> None:
    assert world.approve("--owner", "platform", key=None).exit_code == 0
    run = approvals("--signature", KEY)
    assert run.exit_code == 2
    assert "is not signed" in run.output
    run = approvals("--message", "nope")
    assert run.exit_code == 2
    assert f"entries: {KEY}" in run.output
    doc = json.loads(approvals("-f", "json").stdout)
    assert doc["connectors"][0]["approvals"][0]["signature"] == "unsigned"
    assert doc["ok"] is True


@needs_ssh_keygen
def test_message_and_signature_verify_with_ssh_keygen(world: World) -> None:
    assert world.approve("--owner", "platform").exit_code == 0
    message = CliRunner().invoke(app, ["approvals", "--message", KEY]).stdout_bytes
    assert message.startswith(b'{"approval":{"approved":')
    assert not message.endswith(b"\n")
    (world.root / "msg").write_bytes(message)
    (world.root / "msg.sig").write_text(approvals("--signature", KEY).stdout)
    assert SSH_KEYGEN is not None
    done = subprocess.run(
        [
            SSH_KEYGEN,
            "-Y",
            "verify",
            "-n",
            "mcpscan-approval",
            "-f",
            str(world.root / "allowed_signers"),
            "-I",
            "sec",
            "-s",
            str(world.root / "msg.sig"),
        ],
        stdin=(world.root / "msg").open("rb"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert 'Good "mcpscan-approval" signature for sec' in done.stdout
