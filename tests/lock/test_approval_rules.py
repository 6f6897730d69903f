"""GV04 approval-unverified, GV05 approval-expired, GV06 self-approval: `mcpscan approve`
writes the lock, a real config-only scan judges it under a real policy file."""

from __future__ import annotations

import datetime as _dt
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from mcpscan.cli.lock_cmd import register
from mcpscan.lock import Lock, allowed_signers_for, approve, load_lock, save_lock
from mcpscan.lock.keys import load_signer
from mcpscan.models import Finding, ScanResult, Severity
from mcpscan.ruleset import Engine, load_catalogue, load_policy
from mcpscan.scan import Scanner, ScanOptions
from mcpscan.sources import load_targets
from tests.lock.keys import allowed_line, make_key
from tests.lock.support import TODAY, fake_run_scan, graph, provenance, server, with_facts

GH_ENV = {"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_TOKEN}"}


class World:
    """A repository with a config, keys for sec, lead and mallory, and a policy."""

    def __init__(self, root: Path) -> None:
        self.root = root
        keys = root / "keys"
        keys.mkdir()
        self.keys = {n: make_key(keys, n) for n in ("sec", "lead", "mallory")}
        (root / "allowed_signers").write_text(
            allowed_line("sec", self.keys["sec"]) + allowed_line("lead", self.keys["lead"])
        )
        self.policy("")
        self.config({"memory": server()})

    def policy(self, extra: str) -> None:
        (self.root / "mcpscan.toml").write_text('allowed_signers = "allowed_signers"\n' + extra)

    def config(self, servers: dict[str, Any]) -> Path:
        import json

        path = self.root / ".mcp.json"
        path.write_text(json.dumps({"mcpServers": servers}, indent=2) + "\n")
        return path

    def cli(self, *args: str) -> Result:
        app = typer.Typer()
        register(app, run_scan=fake_run_scan(self.root, with_facts(graph(), provenance())))
        return CliRunner().invoke(app, list(args), catch_exceptions=False)

    def approve(self, *args: str, approver: str = "sec", key: str | None = "sec") -> Result:
        sign = ["--sign", str(self.keys[key])] if key else []
        return self.cli("approve", ".mcp.json", "--approver", approver, *sign, *args)

    def scan(self, today: _dt.date = TODAY) -> ScanResult:
        policy = load_policy(self.root / "mcpscan.toml", rule_ids=load_catalogue().ids)
        lock = load_lock(self.root / "mcpscan.lock")
        options = ScanOptions(
            today=today,
            check_approval=True,
            lock=lock,
            allowed_signers=allowed_signers_for(policy.allowed_signers),
        )
        targets = [str(self.root / ".mcp.json")]
        loaded = load_targets(targets, cwd=self.root)
        return Scanner(Engine(load_catalogue(), policy), options).scan(targets, loaded)

    def findings(self, today: _dt.date = TODAY) -> list[Finding]:
        return [
            f
            for f in self.scan(today).connectors[0].findings
            if f.rule_id in ("GV04", "GV05", "GV06")
        ]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    return World(tmp_path)


def rules(findings: list[Finding]) -> list[tuple[str, Severity]]:
    return [(f.rule_id, f.severity) for f in findings]


def test_a_signed_approval_by_an_allowed_key_passes(world: World) -> None:
    run = world.approve("--owner", "platform")
    assert run.exit_code == 0, run.output
    assert "(signed)" in run.stdout
    assert world.findings() == []
    (status,) = world.scan().connectors[0].approval.approvals  # type: ignore[union-attr]
    assert status.state.value == "verified"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('approver = "sec"', 'approver = "lead"'),
        ('owner = "platform"', 'owner = "platform-2"'),
        ('"sha512:' + "ab" * 64, '"sha512:' + "cd" * 64),
        ("approved = 2026-", "approved = 2025-"),
    ],
)
def test_a_hand_edited_lock_is_gv04(world: World, before: str, after: str) -> None:
    assert world.approve("--owner", "platform").exit_code == 0
    lock = world.root / "mcpscan.lock"
    text = lock.read_text()
    assert before in text
    lock.write_text(text.replace(before, after, 1))
    found = world.findings(today=_dt.date.today())
    assert ("GV04", Severity.HIGH) in rules(found)
    gv04 = next(f for f in found if f.rule_id == "GV04")
    assert "does not verify" in gv04.message
    assert "mcpscan.lock:" in gv04.evidence


def test_a_signer_who_is_not_allowed(world: World) -> None:
    # approve refuses a key the allowed-signers file does not list for the approver
    run = world.approve("--owner", "platform", key="mallory")
    assert run.exit_code == 2
    assert "may not sign as sec" in run.output
    run = world.approve("--owner", "platform", approver="sec", key="lead")
    assert run.exit_code == 2
    assert "allowed to sign as lead, not as sec" in run.output
    # ... and the scan catches one written around it (here: through the library)
    results = fake_run_scan(world.root, with_facts(graph(), provenance()))(
        [str(world.root / ".mcp.json")]
    )
    path = world.root / "mcpscan.lock"
    for key, problem in (("mallory", "unknown key"), ("lead", "not allowed for them")):
        lock = approve(
            Lock(path=str(path)),
            results.connectors,
            owner="platform",
            approver="sec",
            today=TODAY,
            signer=load_signer(str(world.keys[key])),
        )
        save_lock(lock, path)
        (gv04,) = world.findings()
        assert problem in gv04.message
        assert gv04.severity is Severity.HIGH


def test_an_expired_approval_is_gv05_and_high_with_a_broad_credential(world: World) -> None:
    world.policy("approval_valid_days = 30\n")
    assert world.approve("--owner", "platform").exit_code == 0
    assert "expires = " in (world.root / "mcpscan.lock").read_text()
    today = _dt.date.today()
    assert world.findings(today + _dt.timedelta(days=29)) == []
    (gv05,) = world.findings(today + _dt.timedelta(days=30))
    assert (gv05.rule_id, gv05.severity) == ("GV05", Severity.MEDIUM)
    assert "approval_valid_days = 30" in gv05.evidence
    world.config({"memory": server(env=GH_ENV)})
    assert world.approve("--owner", "platform").exit_code == 0
    (gv05,) = world.findings(today + _dt.timedelta(days=31))
    assert (gv05.rule_id, gv05.severity) == ("GV05", Severity.HIGH)
    assert "broad-credential" in gv05.message
    # 0 forces a re-review of every approval at once
    world.policy("approval_valid_days = 0\n")
    assert rules(world.findings(today)) == [("GV05", Severity.HIGH)]


def test_self_approval_is_refused_by_approve_and_gv06_in_the_scan(world: World) -> None:
    run = world.approve("--owner", "sec")
    assert run.exit_code == 2
    assert "does not allow self-approval" in run.output
    world.policy("allow_self_approval = true\n")
    assert world.approve("--owner", "sec").exit_code == 0
    assert world.findings() == []
    world.policy("")
    assert rules(world.findings()) == [("GV06", Severity.MEDIUM)]
    # an independent co-signature satisfies separation of duties
    assert (
        world.approve(
            "--add-signature", str(world.keys["lead"]), approver="lead", key=None
        ).exit_code
        == 0
    )
    assert world.findings() == []


def test_two_signers_for_min_approvals_2(world: World) -> None:
    world.policy("min_approvals = 2\n")
    assert world.approve("--owner", "platform").exit_code == 0
    (gv04,) = world.findings()
    assert gv04.message == (
        "memory has 1 of the 2 approvals by different people the policy requires"
    )
    assert "counted: sec" in gv04.evidence
    before = (world.root / "mcpscan.lock").read_text()
    run = world.approve("--add-signature", str(world.keys["lead"]), approver="lead", key=None)
    assert run.exit_code == 0, run.output
    assert "co-signed 1 connector(s)" in run.stdout
    after = (world.root / "mcpscan.lock").read_text()
    assert after.startswith(before)  # the co-signature is appended to the entry
    assert world.findings() == []
    # the same person twice is one approval
    run = world.approve("--add-signature", str(world.keys["sec"]), approver="sec", key=None)
    assert run.exit_code == 2
    assert "already the approver" in run.output


def test_min_approvals_for_connectors_holding_a_broad_credential(world: World) -> None:
    world.policy('[[min_approvals_for]]\nholding = "broad-credential"\ncount = 2\n')
    assert world.approve("--owner", "platform").exit_code == 0
    assert world.findings() == []
    world.config({"memory": server(env=GH_ENV)})
    assert world.approve("--owner", "platform").exit_code == 0
    (gv04,) = world.findings()
    assert "1 of the 2" in gv04.message
    assert "[[min_approvals_for]] * holding broad-credential" in gv04.evidence


def test_unsigned_approvals(world: World) -> None:
    assert world.approve("--owner", "platform", key=None).exit_code == 0
    assert world.findings() == []
    (status,) = world.scan().connectors[0].approval.approvals  # type: ignore[union-attr]
    assert status.state.value == "unsigned"
    world.policy("require_signed_approvals = true\n")
    (gv04,) = world.findings()
    assert "is not signed, and the policy requires signed approvals" in gv04.message
    run = world.approve("--owner", "platform", key=None)
    assert run.exit_code == 2
    assert "requires signed approvals" in run.output


def test_require_signed_approvals_needs_allowed_signers(world: World) -> None:
    (world.root / "mcpscan.toml").write_text("require_signed_approvals = true\n")
    with pytest.raises(Exception, match="needs allowed_signers"):
        load_policy(world.root / "mcpscan.toml", rule_ids=load_catalogue().ids)


def test_cosigning_a_changed_entry_is_refused(world: World) -> None:
    assert world.approve("--owner", "platform").exit_code == 0
    world.config({"memory": server(extra_args=("--verbose",))})
    run = world.approve("--add-signature", str(world.keys["lead"]), approver="lead", key=None)
    assert run.exit_code == 2
    assert "changed since it was approved" in run.output


def test_owner_defaults_to_codeowners(world: World) -> None:
    run = world.approve()
    assert run.exit_code == 2
    assert "no --owner given and no CODEOWNERS rule" in run.output
    subprocess.run(["git", "init", "-q", str(world.root)], check=True, timeout=30)
    (world.root / "CODEOWNERS").write_text("* @org/everyone\n/.mcp.json @org/platform\n")
    assert world.approve().exit_code == 0
    (entry,) = load_lock(world.root / "mcpscan.lock").entries
    assert entry.owner == "@org/platform"
    assert world.findings() == []
    # the approver is one of the owners CODEOWNERS names: a self-approval
    (world.root / "CODEOWNERS").write_text("/.mcp.json @org/platform @sec\n")
    run = world.approve()
    assert run.exit_code == 2
    assert "sec owns memory" in run.output


def test_diff_verifies_every_approval_it_uses(world: World) -> None:
    assert world.approve("--owner", "platform").exit_code == 0
    run = world.cli("diff", ".mcp.json")
    assert run.exit_code == 0, run.output
    lock = world.root / "mcpscan.lock"
    lock.write_text(lock.read_text().replace('approver = "sec"', 'approver = "lead"', 1))
    run = world.cli("diff", ".mcp.json")
    assert run.exit_code == 1
    (line,) = [x for x in run.stdout.splitlines() if x.startswith("!")]
    assert line.startswith("! memory: GV04 memory: the signature of the approval by lead")
