"""``mcpscan rules list`` and ``mcpscan rules show``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLES, REPO, CliFn, table_rows

# DESIGN §4: the minimum catalogue, ids and slugs are public and stable.
CATALOGUE = {
    "SC01": "unpinned-launch",
    "SC02": "provenance-missing",
    "SC03": "provenance-invalid",
    "SC04": "source-mismatch",
    "SC05": "known-vulnerability",
    "SC06": "known-malicious",
    "SC07": "install-script",
    "SC08": "fresh-release",
    "SC09": "low-reputation",
    "SC10": "lookalike-name",
    "SC11": "deprecated-or-yanked",
    "SC12": "integrity-mismatch",
    "SC13": "unresolvable",
    "SC14": "ownership-mismatch",
    "SC15": "manifest-confusion",
    "SC16": "unsafe-archive-entry",
    "SC17": "suspicious-install-hook",
    "SC18": "suspicious-start-code",
    "SC19": "binary-payload",
    "PX01": "unverified-proxy",
    "PX02": "plaintext-transport",
    "PX03": "proxy-exposure",
    "PX04": "proxy-token-store",
    "ID01": "literal-secret",
    "ID02": "broad-credential",
    "ID03": "secret-in-url",
    "SP01": "broad-filesystem",
    "SP02": "privileged-container",
    "SP03": "confirmation-bypass",
    "GV01": "not-approved",
    "GV02": "approval-drift",
    "GV03": "waiver-expired",
    "GV04": "approval-unverified",
    "GV05": "approval-expired",
    "GV06": "self-approval",
    "EX01": "download-and-execute",
    "EX02": "opaque-launch",
    "EX03": "local-code",
    "EX04": "unchecked-artifact",
}


def test_rules_list_json_has_every_rule(cli: CliFn) -> None:
    run = cli("rules", "list", "-f", "json")
    assert run.code == 0
    rules = run.json()
    assert len(rules) == len(CATALOGUE) == 39
    assert {r["id"]: r["slug"] for r in rules} == CATALOGUE
    for r in rules:
        assert r["severity"] in ("critical", "high", "medium", "low", "info")
        assert r["title"]
        assert r["frameworks"], r["id"]
    sc01 = next(r for r in rules if r["id"] == "SC01")
    assert sc01["severity"] == "high"
    assert any("ASI04" in f for f in sc01["frameworks"])


def test_rules_list_table(cli: CliFn) -> None:
    run = cli("rules", "list")
    assert run.code == 0
    assert str(len(CATALOGUE)) in run.stdout.splitlines()[0]
    rows = {row[0]: row for row in table_rows(run.stdout)}
    assert rows.keys() == CATALOGUE.keys()
    assert rows["SC01"][1] == "unpinned-launch"
    assert rows["SC01"][2] == "high"


@pytest.mark.parametrize("name", ["SC01", "sc01", "unpinned-launch", " SC01 "])
def test_rules_show_by_id_or_slug(cli: CliFn, name: str) -> None:
    run = cli("rules", "show", name)
    assert run.code == 0
    lines = run.stdout.splitlines()
    assert lines[0].startswith("SC01 unpinned-launch: ")
    assert "severity: high" in run.stdout
    for section in ("Why:", "Fix:", "Maps to:"):
        assert section in lines
    assert "ASI04" in run.stdout


@pytest.mark.parametrize("name", ["ZZ99", "SC1", "unpinned", ""])
def test_rules_show_unknown_exits_2(cli: CliFn, name: str) -> None:
    run = cli("rules", "show", name)
    assert run.code == 2
    assert "no rule" in run.stderr
    assert run.stdout == ""


def test_rules_show_needs_an_argument(cli: CliFn) -> None:
    assert cli("rules", "show").code == 2


def test_rules_list_rejects_an_unknown_format(cli: CliFn) -> None:
    run = cli("rules", "list", "-f", "yaml")
    assert run.code == 2
    assert "unknown format" in run.stderr
    assert run.stdout == ""


def test_a_rule_file_with_an_unknown_check_stops_the_scan_with_exit_2(
    cli: CliFn, tmp_path: Path
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    gv02 = rules / "GV02-approval-drift.toml"
    gv02.write_text(
        gv02.read_text(encoding="utf-8").replace(
            'check = "approval_drift"', 'check = "aproval_drift"'
        ),
        encoding="utf-8",
    )
    for args in (("scan", EXAMPLES / "safe" / ".mcp.json"), ("rules", "list")):
        run = cli(*args, "--rules", rules)
        assert run.code == 2, run.stdout
        assert f"{gv02}:" in run.stderr
        assert "unknown check 'aproval_drift'" in run.stderr
        assert run.stdout == ""
