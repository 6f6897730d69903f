"""The approval of each connector in the HTML, Markdown and CycloneDX reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from mcpscan.report import get_renderer
from mcpscan.report.cyclonedx import CycloneDxRenderer
from tests.lock.support import TODAY
from tests.lock.test_approval_rules import World


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    w = World(tmp_path)
    assert w.approve("--owner", "platform").exit_code == 0
    assert (
        w.approve("--add-signature", str(w.keys["mallory"]), approver="lead", key=None).exit_code
        == 2
    )  # mallory's key may not sign as lead
    return w


def test_markdown_lists_each_approval(world: World) -> None:
    text = get_renderer("markdown").render(world.scan())
    assert "<summary>Approvals (1)</summary>" in text
    row = next(line for line in text.splitlines() if "| sec |" in line)
    assert row.startswith("| `memory` | platform | sec |")
    assert "verified `SHA256:" in row


def test_html_shows_the_approval_per_connector(world: World) -> None:
    lock = world.root / "mcpscan.lock"
    lock.write_text(lock.read_text().replace('owner = "platform"', 'owner = "team"', 1))
    html = get_renderer("html").render(world.scan())
    assert "<h4>Approval (owner team)</h4>" in html
    assert "<td>invalid</td>" in html
    assert "edited after it was signed" in html


def test_cyclonedx_records_approver_date_and_signature_state(world: World) -> None:
    result = world.scan()
    facts = result.connectors[0].approval
    assert facts is not None
    approved = facts.approvals[0].approved
    assert approved is not None
    text = CycloneDxRenderer(reproducible=True).render(result)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    app = next(c for c in doc["components"] if c["type"] == "application")
    props = {p["name"]: p["value"] for p in app["properties"]}
    assert props["mcpscan:approval"] == "approved"
    assert props["mcpscan:approval:owner"] == "platform"
    assert props["mcpscan:approval:1:approver"] == "sec"
    assert props["mcpscan:approval:1:signature"] == "verified"
    assert props["mcpscan:approval:1:date"] == approved.isoformat()
    assert props["mcpscan:approval:1:key"].startswith("SHA256:")


def test_no_lock_means_no_approval_section(world: World) -> None:
    from mcpscan.ruleset import Engine, Policy, load_catalogue
    from mcpscan.scan import Scanner, ScanOptions
    from mcpscan.sources import load_targets

    targets = [str(world.root / ".mcp.json")]
    scanner = Scanner(Engine(load_catalogue(), Policy()), ScanOptions(today=TODAY))
    result = scanner.scan(targets, load_targets(targets, cwd=world.root))
    assert "Approvals (" not in get_renderer("markdown").render(result)
    assert "<h4>Approval" not in get_renderer("html").render(result)


def test_the_json_report_carries_the_approval_and_stays_valid(world: World) -> None:
    import jsonschema

    from mcpscan.report import schema

    doc = json.loads(get_renderer("json").render(world.scan()))
    jsonschema.Draft202012Validator(schema()).validate(doc)
    approval = doc["connectors"][0]["approval"]
    assert approval["approved"] is True
    assert approval["owner"] == "platform"
    assert approval["key"] == "claude-code:.mcp.json#memory"
    (first,) = approval["approvals"]
    assert (first["approver"], first["signature"], first["problem"]) == ("sec", "verified", "")
