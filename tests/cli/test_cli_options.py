"""The shared scan options: one definition, the same on every command that scans, each
with its ``MCPSCAN_…`` variable; and exit codes chosen only by ``cli/exit_codes.py``."""

from __future__ import annotations

import ast
import dataclasses
import sys
from pathlib import Path

import pytest
import typer.main

from mcpscan.cli.app import app
from mcpscan.cli.options import FORMATS
from mcpscan.cli.scan_options import SCAN_OPTIONS
from mcpscan.report import formats
from mcpscan.wiring import ScanSettings
from tests.cli.conftest import EXAMPLES, REPO, CliFn

SAFE = EXAMPLES / "safe" / ".mcp.json"
SCANNING = ("scan", "sbom", "approve", "diff", "fix")


def _command_options(name: str) -> dict[str, tuple[tuple[str, ...], str | None]]:
    """Parameter name -> (option strings, envvar) of one command, as click sees it."""
    group = typer.main.get_command(app)
    command = group.commands[name]  # type: ignore[attr-defined]
    return {
        p.name: (tuple(p.opts + p.secondary_opts), p.envvar)
        for p in command.params
        if p.param_type_name == "option" and p.name != "help"
    }


def test_the_literal_format_list_is_the_report_package_s() -> None:
    assert set(FORMATS) == set(formats())


def test_the_options_fill_every_scan_setting() -> None:
    assert sorted(o.name for o in SCAN_OPTIONS) == sorted(
        f.name for f in dataclasses.fields(ScanSettings)
    )


@pytest.mark.parametrize("command", SCANNING)
def test_every_command_that_scans_takes_the_same_scan_options(command: str) -> None:
    scan = _command_options("scan")
    own = _command_options(command)
    # --lock is the lock approve writes and diff compares with: theirs, not the shared one.
    shared = {o.name for o in SCAN_OPTIONS} - (
        {"lock_path"} if command in ("approve", "diff") else set()
    )
    for name in shared:
        assert own[name] == scan[name], name


def test_every_scan_and_sbom_option_has_its_environment_variable() -> None:
    for command in ("scan", "sbom"):
        options = _command_options(command)
        envvars = [envvar for _, envvar in options.values()]
        for name, (opts, envvar) in options.items():
            assert envvar is not None, (command, name, opts)
            assert envvar.startswith("MCPSCAN_"), (command, name, opts)
        assert len(set(envvars)) == len(envvars)


def test_help_lists_the_variables(cli: CliFn, monkeypatch: pytest.MonkeyPatch) -> None:
    # At 80 columns typer's table would cut MCPSCAN_VERIFY_ARTIFACTS to an ellipsis; the
    # stacked panel shows it whole (every command and width: test_cli_help.py).
    monkeypatch.setenv("COLUMNS", "80")
    run = cli("scan", "--help")
    assert run.code == 0
    flat = "".join(run.stdout.split())
    for var in ("MCPSCAN_FORMAT", "MCPSCAN_ADVISORY_DB", "MCPSCAN_QUIET", "MCPSCAN_OFFLINE"):
        assert var in flat
    assert "MCPSCAN_VERIFY_ARTIFACTS" in run.stdout


def test_help_states_the_default_target_python(cli: CliFn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    flat = " ".join(cli("scan", "--help").stdout.replace("│", " ").split())
    running = ".".join(str(part) for part in sys.version_info[:3])
    assert f"(default: the Python running mcpscan, {running})" in flat


def test_format_and_quiet_are_read_from_the_environment(
    cli: CliFn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MCPSCAN_FORMAT", "json")
    run = cli("scan", SAFE)
    assert run.code == 0
    assert run.json()["verdict"] == "pass"
    # A diagnostic (an unreadable second input) is printed, unless MCPSCAN_QUIET is set.
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    assert "bad.json" in cli("scan", SAFE, bad).stderr
    monkeypatch.setenv("MCPSCAN_QUIET", "1")
    assert cli("scan", SAFE, bad).stderr == ""


def test_sbom_reads_the_shared_variables(cli: CliFn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPSCAN_ADVISORY_DB", "/no/such/osv-dir")
    run = cli("sbom", SAFE)
    assert run.code == 2
    assert "--advisory-db /no/such/osv-dir: no such file or directory" in run.stderr


def test_approve_takes_the_advisory_options(cli: CliFn, tmp_path: Path) -> None:
    run = cli(
        "approve",
        SAFE,
        "--owner",
        "o",
        "--approver",
        "a",
        "--lock",
        tmp_path / "l.lock",
        "--advisory-db",
        "/no/such/osv-dir",
    )
    assert run.code == 2
    assert "--advisory-db /no/such/osv-dir" in run.stderr


def _exit_code_literals(path: Path) -> list[str]:
    """``Exit(2)``, ``SystemExit(3)``, ``fail(..., ExitCode.USAGE)``: a code chosen on the
    spot instead of by a function of exit_codes.py (``Exit(0)`` after --version is fine)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        for arg in node.args:
            for sub in ast.walk(arg):
                literal = isinstance(sub, ast.Constant) and type(sub.value) is int and sub.value
                member = (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.value, ast.Name)
                    and sub.value.id == "ExitCode"
                )
                if (literal and _is_exit(node)) or member:
                    found.append(f"{path.name}:{node.lineno}")
    return found


def _is_exit(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("Exit", "SystemExit", "exit")


def test_exit_codes_are_decided_only_in_exit_codes_py() -> None:
    package = REPO / "mcpscan"
    leaks = [
        leak
        for path in sorted(package.rglob("*.py"))
        if path != package / "cli" / "exit_codes.py"
        for leak in _exit_code_literals(path)
    ]
    assert leaks == []
