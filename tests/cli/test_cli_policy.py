"""``--fail-on``, the policy file found in the working directory, ``--policy``, waivers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLES, PINNED, UNPINNED, CliFn, Workspace, write_json, write_text


def _waiver(target: str, expires: str, rule: str = "SC01") -> str:
    return (
        f'[[waivers]]\nrule = "{rule}"\ntarget = "{target}"\nreason = "vendor pins later"\n'
        f'owner = "platform"\napprover = "security"\nexpires = {expires}\n\n'
    )


@pytest.fixture
def two_unpinned(workspace: Workspace) -> Path:
    return write_json(
        workspace.cwd / ".mcp.json", {"mcpServers": {"alpha": UNPINNED, "beta": UNPINNED}}
    )


def test_fail_on_critical_turns_a_high_only_fail_into_a_pass(cli: CliFn) -> None:
    assert cli("scan", "npm:x").code == 1
    run = cli("scan", "npm:x", "--fail-on", "critical", "-f", "json")
    assert run.code == 0
    report = run.json()
    assert report["verdict"] == "pass"
    assert report["fail_on"] == "critical"
    # The finding is still reported, it just no longer fails the scan.
    (finding,) = report["connectors"][0]["findings"]
    assert (finding["rule_id"], finding["severity"]) == ("SC01", "high")


def test_fail_on_is_case_insensitive_and_can_tighten(cli: CliFn, workspace: Workspace) -> None:
    write_json(
        workspace.cwd / "c.json",
        {"mcpServers": {"bypass": {**PINNED, "alwaysAllow": ["read_file"]}}},
    )
    run = cli("scan", "c.json", "-f", "json")
    assert run.code == 0, run.stdout  # SP03 is medium, below the default "high"
    assert "SP03" in {f["rule_id"] for f in run.json()["connectors"][0]["findings"]}
    assert cli("scan", "c.json", "--fail-on", "MEDIUM").code == 1


def test_fail_on_from_the_environment(cli: CliFn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPSCAN_FAIL_ON", "critical")
    assert cli("scan", "npm:x").code == 0


def test_policy_in_cwd_is_picked_up(cli: CliFn, workspace: Workspace) -> None:
    write_json(workspace.cwd / ".mcp.json", {"mcpServers": {"alpha": UNPINNED}})
    assert cli("scan", ".mcp.json").code == 1
    write_text(workspace.cwd / "mcpscan.toml", _waiver("alpha", "2099-12-31"))
    run = cli("scan", ".mcp.json", "-f", "json")
    assert run.code == 0
    (finding,) = run.json()["connectors"][0]["findings"]
    assert finding["rule_id"] == "SC01"
    assert finding["waived_by"]
    assert "mcpscan.toml" in finding["waived_by"]


def test_policy_is_looked_up_in_cwd_not_beside_the_target(cli: CliFn, workspace: Workspace) -> None:
    project = workspace.cwd / "project"
    write_json(project / ".mcp.json", {"mcpServers": {"alpha": UNPINNED}})
    write_text(project / "mcpscan.toml", 'fail_on = "critical"\n')
    assert cli("scan", project).code == 1
    assert cli("scan", ".", cwd=project).code == 0


def test_expired_waiver_is_reported_and_no_longer_applies(
    cli: CliFn, workspace: Workspace, two_unpinned: Path
) -> None:
    write_text(
        workspace.cwd / "mcpscan.toml",
        _waiver("alpha", "2099-12-31") + _waiver("beta", "2020-01-01"),
    )
    run = cli("scan", ".mcp.json", "-f", "json")
    assert run.code == 1
    report = run.json()
    by_name = {c["name"]: c for c in report["connectors"]}
    assert by_name["alpha"]["verdict"] == "pass"
    beta = {f["rule_id"]: f for f in by_name["beta"]["findings"]}
    assert beta["SC01"]["waived_by"] is None
    assert "GV03" in beta
    assert "2020-01-01" in beta["GV03"]["message"]
    (expired,) = report["expired_waivers"]
    assert "beta" in expired
    assert "mcpscan.toml:" in expired  # names where the waiver is written

    table = cli("scan", ".mcp.json")
    assert "Expired waivers" in table.stdout
    assert "GV03" in table.stdout


def test_unused_waiver_is_listed(cli: CliFn, workspace: Workspace, two_unpinned: Path) -> None:
    write_text(
        workspace.cwd / "mcpscan.toml",
        _waiver("*", "2099-12-31") + _waiver("gamma", "2099-12-31", rule="SP01"),
    )
    report = cli("scan", ".mcp.json", "-f", "json").json()
    assert report["verdict"] == "pass"
    assert len(report["unused_waivers"]) == 1
    assert "gamma" in report["unused_waivers"][0]


def test_policy_option_beats_the_file_in_cwd(
    cli: CliFn, workspace: Workspace, two_unpinned: Path
) -> None:
    write_text(workspace.cwd / "mcpscan.toml", 'fail_on = "critical"\n')
    strict = write_text(workspace.cwd / "elsewhere" / "strict.toml", 'fail_on = "low"\n')
    assert cli("scan", ".mcp.json").code == 0
    assert cli("scan", ".mcp.json", "--policy", strict).code == 1


def test_policy_from_the_environment(
    cli: CliFn, workspace: Workspace, two_unpinned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lenient = write_text(workspace.cwd / "lenient.toml", 'fail_on = "critical"\n')
    monkeypatch.setenv("MCPSCAN_POLICY", str(lenient))
    assert cli("scan", ".mcp.json").code == 0


def test_fail_on_option_overrides_the_policy(
    cli: CliFn, workspace: Workspace, two_unpinned: Path
) -> None:
    write_text(workspace.cwd / "mcpscan.toml", 'fail_on = "critical"\n')
    assert cli("scan", ".mcp.json", "--fail-on", "high").code == 1


def test_min_score_fails_a_scan_without_blocking_findings(cli: CliFn, workspace: Workspace) -> None:
    write_json(
        workspace.cwd / ".mcp.json",
        {"mcpServers": {"bypass": {**PINNED, "alwaysAllow": ["read_file"]}}},
    )
    assert cli("scan", ".mcp.json").code == 0
    write_text(workspace.cwd / "mcpscan.toml", "min_score = 95\n")
    assert cli("scan", ".mcp.json").code == 1


def test_rule_override_disables_a_rule(cli: CliFn, workspace: Workspace) -> None:
    write_text(workspace.cwd / "mcpscan.toml", "[rules.SC01]\nenabled = false\n")
    run = cli("scan", "npm:x", "-f", "json")
    assert run.code == 0
    assert run.json()["connectors"][0]["findings"] == []


def test_example_policy_loads(cli: CliFn) -> None:
    run = cli(
        "scan", EXAMPLES / "safe" / ".mcp.json", "--policy", EXAMPLES / "mcpscan.toml", "-f", "json"
    )
    assert run.code in (0, 1), run.stderr
    report = run.json()
    assert report["min_score"] == 60
    assert report["fail_on"] == "high"
