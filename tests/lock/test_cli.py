"""`mcpscan approve`, `mcpscan diff`, `mcpscan policy init|check` through typer."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from mcpscan.cli.lock_cmd import register
from mcpscan.cli.policy_cmd import policy_app
from mcpscan.lock import load_lock
from tests.lock.support import (
    Enrich,
    fake_run_scan,
    graph,
    provenance,
    server,
    with_facts,
    write_config,
)


class Cli:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.enrich: Enrich | None = with_facts(graph(), provenance())

    def __call__(self, *args: str) -> Result:
        app = typer.Typer()
        enrich = self.enrich
        register(app, run_scan=fake_run_scan(self.cwd, enrich))
        app.add_typer(policy_app, name="policy")
        return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.chdir(tmp_path)
    return Cli(tmp_path)


def approve(cli: Cli, config: Path, *extra: str) -> Result:
    return cli("approve", str(config), "--owner", "platform", "--approver", "sec", *extra)


def test_approve_writes_the_lock_in_cwd_and_diff_is_clean(cli: Cli, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"memory": server("^2025.8.0")})
    run = approve(cli, config, "--note", "TICKET-1")
    assert run.exit_code == 0, run.output
    assert "approved 1 connector(s)" in run.stdout
    lock = load_lock(tmp_path / "mcpscan.lock")
    assert [(e.name, e.owner, e.approver, e.note) for e in lock.entries] == [
        ("memory", "platform", "sec", "TICKET-1")
    ]
    run = cli("diff", str(config))
    assert run.exit_code == 0, run.output
    assert run.stdout.strip() == f"no drift from {tmp_path / 'mcpscan.lock'}"


def test_diff_prints_just_the_drift_and_exits_1(cli: Cli, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"memory": server("^2025.8.0")})
    assert approve(cli, config).exit_code == 0
    write_config(tmp_path, {"memory": server("^2025.8.0"), "shadow": server()})
    cli.enrich = with_facts(graph("2025.9.0"), provenance("2025.9.0"))
    run = cli("diff", "--lock", str(tmp_path / "mcpscan.lock"), str(config))
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert lines[0] == "~ memory (claude-code:.mcp.json#memory):"
    assert "version of npm/@modelcontextprotocol/server-memory: 2025.8.4 -> 2025.9.0" in lines[1]
    assert "+ shadow (claude-code:.mcp.json#shadow): not in the lock" in lines


def test_diff_names_an_approved_connector_that_was_removed(cli: Cli, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"memory": server("^2025.8.0"), "other": server()})
    assert approve(cli, config).exit_code == 0
    write_config(tmp_path, {"other": server()})
    run = cli("diff", "--lock", str(tmp_path / "mcpscan.lock"), str(config))
    assert run.exit_code == 1
    assert (
        "- memory (claude-code:.mcp.json#memory): approved but no longer configured"
        in run.stdout.splitlines()
    )


def test_approve_goes_beside_the_policy(cli: Cli, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"memory": server()})
    policy_dir = tmp_path / "org"
    policy_dir.mkdir()
    (policy_dir / "mcpscan.toml").write_text('fail_on = "high"\n', encoding="utf-8")
    run = approve(cli, config, "--policy", str(policy_dir / "mcpscan.toml"))
    assert run.exit_code == 0, run.output
    assert (policy_dir / "mcpscan.lock").is_file()
    assert not (tmp_path / "mcpscan.lock").exists()
    # Keys are relative to the lock's directory.
    assert load_lock(policy_dir / "mcpscan.lock").entries[0].file == "../.mcp.json"


def test_broken_lock_is_exit_2_naming_file_and_line(cli: Cli, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"memory": server()})
    assert approve(cli, config).exit_code == 0
    lock = tmp_path / "mcpscan.lock"
    lines = lock.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("fingerprint"))
    lines[number - 1] = 'fingerprint = "sha256:tampered"'
    lock.write_text("\n".join(lines) + "\n", encoding="utf-8")
    again = ("approve", str(config), "--owner", "o", "--approver", "a")
    for args in (("diff", str(config)), again):
        run = cli(*args)
        assert run.exit_code == 2
        assert f"{lock}:{number}: fingerprint must be" in run.stderr


def test_diff_without_a_lock_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"memory": server()})
    run = cli("diff", str(config))
    assert run.exit_code == 2
    assert "no approval lock" in run.stderr


def test_approve_needs_owner_and_approver(cli: Cli, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"memory": server()})
    run = cli("approve", str(config), "--owner", " ", "--approver", "sec")
    assert run.exit_code == 2
    assert not (tmp_path / "mcpscan.lock").exists()


def test_policy_init_output_passes_policy_check(cli: Cli, tmp_path: Path) -> None:
    run = cli("policy", "init")
    assert run.exit_code == 0, run.output
    text = (tmp_path / "mcpscan.toml").read_text(encoding="utf-8")
    from mcpscan.ruleset.policy import _TOP_KEYS

    for key in _TOP_KEYS:  # every key is explained
        assert f"{key} = " in text or f"[{key}" in text or f"[[{key}" in text, key
    run = cli("policy", "check")
    assert run.exit_code == 0, run.output
    assert run.stdout.strip() == "mcpscan.toml: ok"
    # Refuses to overwrite.
    assert cli("policy", "init").exit_code == 2
    assert cli("policy", "init", "--force").exit_code == 0


def test_policy_check_lists_every_problem_with_its_line(cli: Cli, tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text(
        "\n".join(
            [
                'fail_on = "high"',  # 1
                "colour = 3",  # 2: unknown key
                "cooldown_days = -1",  # 3: out of range
                "[[waivers]]",  # 4: no approver
                'rule = "SC01"',
                'reason = "x"',
                "expires = 2026-12-31",
                "[[waivers]]",  # 8: bad date
                'rule = "SC01"',
                'reason = "x"',
                'approver = "y"',
                'expires = "soon"',  # 12
                "[[waivers]]",  # 13: no expiry
                'rule = "SC05"',
                'reason = "x"',
                'approver = "y"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    run = cli("policy", "check", str(policy))
    assert run.exit_code == 2
    errors = run.stderr.strip().splitlines()
    assert errors == [
        f"mcpscan: error: {policy}:2: unknown key 'colour'",
        f"mcpscan: error: {policy}:3: cooldown_days must be between 0 and 3650",
        f"mcpscan: error: {policy}:4: waiver #1 is missing the required key 'approver'",
        f"mcpscan: error: {policy}:12: expires must be a date (YYYY-MM-DD)",
        f"mcpscan: error: {policy}:13: waiver #3 is missing the required key 'expires'",
    ]


def test_policy_check_of_broken_toml_and_missing_file(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('fail_on = "high\n', encoding="utf-8")
    run = cli("policy", "check", "bad.toml")
    assert run.exit_code == 2
    assert "bad.toml:1: invalid TOML" in run.stderr
    run = cli("policy", "check", "missing.toml")
    assert run.exit_code == 2
    assert "missing.toml: policy file not found" in run.stderr


def test_default_scan_is_the_applications_run_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    config = write_config(tmp_path, {"memory": server()})
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    run = runner.invoke(
        app, ["approve", str(config), "--owner", "o", "--approver", "a", "--no-resolve"]
    )
    assert run.exit_code == 0, run.output
    run = runner.invoke(app, ["diff", "--no-resolve", str(config)])
    assert run.exit_code == 0, run.output
    write_config(tmp_path, {"memory": server(extra_args=("--debug",))})
    run = runner.invoke(app, ["diff", "--no-resolve", str(config)])
    assert run.exit_code == 1
    assert "args:" in run.stdout
