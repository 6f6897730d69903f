from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from mcpscan.models import (
    Connector,
    ConnectorResult,
    Finding,
    Launch,
    ScanResult,
    Severity,
    SourceLocation,
)
from mcpscan.report import get_renderer
from mcpscan.report.sarif import SECURITY_SEVERITY, SarifRenderer
from mcpscan.ruleset import load_catalogue
from tests.report.conftest import CANARIES, fail_result, finding, pass_result
from tests.report_formats.conftest import validate_sarif


def sarif(result: ScanResult, root: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(SarifRenderer(root=root).render(result))
    validate_sarif(doc)
    return doc


def single(file: str, line: int, *findings: Finding, incomplete: bool = False) -> ScanResult:
    where = SourceLocation(file=file, line=line, client="claude-code")
    conn = Connector(name="srv", source=where, transport="stdio", command="npx")
    cr = ConnectorResult(conn, Launch(launcher="npx"), findings, score=50, verdict="fail")
    return ScanResult(
        targets=(file,),
        connectors=(cr,),
        diagnostics=(),
        checks_not_run=(),
        verdict="fail",
        score=50,
        fail_on=Severity.HIGH,
        min_score=0,
        incomplete=incomplete,
    )


def sc01(file: str, line: int, evidence: str = "pkg@latest") -> Finding:
    where = SourceLocation(file=file, line=line, client="claude-code")
    return dataclasses.replace(
        finding("SC01", "unpinned-launch", Severity.HIGH, "srv", where), evidence=evidence
    )


def test_registered_and_valid_for_the_hand_built_results(tmp_path: Path) -> None:
    assert isinstance(get_renderer("sarif"), SarifRenderer)
    for result in (fail_result(), pass_result()):
        doc = sarif(result, tmp_path)
        assert doc["version"] == "2.1.0"


def test_one_rule_per_catalogue_entry_with_github_properties(tmp_path: Path) -> None:
    catalogue = load_catalogue()
    rules = sarif(pass_result(), tmp_path)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in catalogue.rules]
    for descriptor, rule in zip(rules, catalogue.rules, strict=True):
        assert descriptor["name"] == rule.slug
        assert descriptor["shortDescription"]["text"] == rule.title
        assert descriptor["fullDescription"]["text"] == rule.rationale
        assert rule.remediation in descriptor["help"]["text"]
        assert rule.remediation in descriptor["help"]["markdown"]
        props = descriptor["properties"]
        assert props["security-severity"] == SECURITY_SEVERITY[rule.severity]
        assert props["precision"] in {"very-high", "high", "medium", "low"}
        for fw in rule.frameworks:
            assert f"{fw.framework}:{fw.id}" in props["tags"]


def test_security_severity_falls_in_githubs_bands() -> None:
    assert {s: float(v) for s, v in SECURITY_SEVERITY.items()} == {
        Severity.CRITICAL: 9.5,
        Severity.HIGH: 8.0,
        Severity.MEDIUM: 5.5,
        Severity.LOW: 3.0,
        Severity.INFO: 0.0,
    }


def test_driver_and_run_metadata(tmp_path: Path) -> None:
    run = sarif(fail_result(), tmp_path)["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mcpscan"
    assert driver["version"]
    assert driver["informationUri"].startswith("https://")
    assert "%SRCROOT%" in run["originalUriBaseIds"]
    # The root is described, never spelled out: it is a path of the scanning machine.
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]


def test_results_point_at_the_connector_file_and_line(tmp_path: Path) -> None:
    result = single(".vscode/mcp.json", 14, sc01(".vscode/mcp.json", 14))
    res = sarif(result, tmp_path)["runs"][0]["results"][0]
    assert res["ruleId"] == "SC01"
    rules = sarif(result, tmp_path)["runs"][0]["tool"]["driver"]["rules"]
    assert rules[res["ruleIndex"]]["id"] == "SC01"
    assert res["level"] == "error"
    physical = res["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": ".vscode/mcp.json", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 14}


def test_absolute_path_inside_the_root_becomes_relative(tmp_path: Path) -> None:
    file = tmp_path / "sub dir" / "mcp.json"
    result = single(str(file), 3, sc01(str(file), 3))
    doc = sarif(result, tmp_path)
    location = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "sub%20dir/mcp.json", "uriBaseId": "%SRCROOT%"}
    assert str(tmp_path) not in json.dumps(doc)


@pytest.mark.parametrize(
    "file",
    [
        "/home/alice/.claude.json",
        "../elsewhere/.claude.json",
        "~/.claude.json",
        "C:\\Users\\alice\\.claude.json",
        "sub/../../.claude.json",
    ],
)
def test_file_outside_the_root_keeps_only_its_basename(tmp_path: Path, file: str) -> None:
    doc = sarif(single(file, 2, sc01(file, 2)), tmp_path / "repo")
    artifact = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uri"] == ".claude.json"
    assert artifact["properties"] == {"mcpscan/outsideSourceRoot": True}
    text = json.dumps(doc)
    assert "alice" not in text
    assert "elsewhere" not in text


def test_spec_target_gets_a_logical_location(tmp_path: Path) -> None:
    spec = "npm:some-mcp@latest"
    doc = sarif(single(spec, 0, sc01(spec, 0)), tmp_path)
    location = doc["runs"][0]["results"][0]["locations"][0]
    assert "physicalLocation" not in location
    assert location["logicalLocations"] == [
        {"name": "srv", "kind": "module", "fullyQualifiedName": spec}
    ]
    assert doc["runs"][0]["artifacts"] == []


def fingerprint(result: ScanResult, root: Path) -> str:
    value: str = sarif(result, root)["runs"][0]["results"][0]["partialFingerprints"]["mcpscan/v1"]
    return value


def test_fingerprint_survives_line_moves_and_rewording(tmp_path: Path) -> None:
    base = fingerprint(single("a.json", 3, sc01("a.json", 3)), tmp_path)
    moved = dataclasses.replace(sc01("a.json", 30), message="reworded")
    assert fingerprint(single("a.json", 30, moved), tmp_path) == base
    assert fingerprint(single("a.json", 3, sc01("a.json", 3, "other@1")), tmp_path) != base
    assert fingerprint(single("b.json", 3, sc01("b.json", 3)), tmp_path) != base


def test_waived_finding_is_an_external_suppression(tmp_path: Path) -> None:
    results = sarif(fail_result(), tmp_path)["runs"][0]["results"]
    waived = [r for r in results if "suppressions" in r]
    assert len(waived) == 1
    assert waived[0]["ruleId"] == "SC08"
    assert waived[0]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "waiver-7: vendor release reviewed",
        }
    ]


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
    ],
)
def test_level_follows_severity(tmp_path: Path, severity: Severity, level: str) -> None:
    f = dataclasses.replace(sc01("a.json", 1), severity=severity)
    assert sarif(single("a.json", 1, f), tmp_path)["runs"][0]["results"][0]["level"] == level


def test_each_result_carries_its_own_security_severity(tmp_path: Path) -> None:
    # SC01's default is high: a high hit names the rule itself, a medium one (a policy
    # override, a per-hit severity) a variant of it described at medium, because code
    # scanning reads security-severity from the rule alone.
    high = sc01("a.json", 1, "pkg@latest")
    medium = dataclasses.replace(sc01("a.json", 1, "other@latest"), severity=Severity.MEDIUM)
    run = sarif(single("a.json", 1, high, medium), tmp_path)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    by_evidence = {r["properties"]["evidence"]: r for r in run["results"]}
    plain, variant = by_evidence["pkg@latest"], by_evidence["other@latest"]
    assert (plain["ruleId"], plain["properties"]["security-severity"]) == ("SC01", "8.0")
    assert rules[plain["ruleIndex"]]["id"] == "SC01"
    assert (variant["ruleId"], variant["properties"]["security-severity"]) == ("SC01/medium", "5.5")
    assert variant["properties"]["mcpscan/rule"] == "SC01"
    described = rules[variant["ruleIndex"]]
    assert described["id"] == "SC01/medium"
    assert described["properties"]["security-severity"] == "5.5"
    assert described["defaultConfiguration"]["level"] == "warning"
    assert described["relationships"] == [
        {"target": {"id": "SC01", "index": plain["ruleIndex"]}, "kinds": ["relevant"]}
    ]
    # The catalogue comes first and once; a variant is described once, after it.
    assert [r["id"] for r in rules].count("SC01/medium") == 1
    assert rules.index(described) >= len(load_catalogue().rules)
    # The fingerprint keeps the catalogue id, so a rescored finding stays one alert.
    again = sarif(
        single("a.json", 1, dataclasses.replace(medium, severity=Severity.HIGH)), tmp_path
    )
    assert again["runs"][0]["results"][0]["partialFingerprints"] == variant["partialFingerprints"]


def test_an_info_finding_is_a_notification_not_an_alert(tmp_path: Path) -> None:
    # GitHub raises every result as an alert ("note" ones too); an info finding is a fact
    # (an entry the client will not start, say), so it goes to the run's notifications.
    info = dataclasses.replace(sc01("a.json", 7), severity=Severity.INFO, message="disabled")
    run = sarif(single("a.json", 7, info), tmp_path)["runs"][0]
    assert run["results"] == []
    [note] = [
        n for n in run["invocations"][0]["toolExecutionNotifications"] if "associatedRule" in n
    ]
    assert note["level"] == "note"
    assert note["message"]["text"] == "srv: disabled"
    assert run["tool"]["driver"]["rules"][note["associatedRule"]["index"]]["id"] == "SC01"
    assert note["locations"][0]["physicalLocation"]["region"] == {"startLine": 7}


def test_incomplete_scan_is_not_a_successful_execution(tmp_path: Path) -> None:
    complete = sarif(single("a.json", 1), tmp_path)["runs"][0]["invocations"][0]
    assert complete["executionSuccessful"] is True
    partial = sarif(fail_result(), tmp_path)["runs"][0]["invocations"][0]
    assert partial["executionSuccessful"] is False
    texts = [n["message"]["text"] for n in partial["toolExecutionNotifications"]]
    assert "not JSON" in texts
    assert any(t.startswith("check not run: provenance") for t in texts)


def test_rule_missing_from_the_catalogue_is_still_described(tmp_path: Path) -> None:
    custom = dataclasses.replace(sc01("a.json", 1), rule_id="ZZ99", slug="custom-check")
    doc = sarif(single("a.json", 1, custom), tmp_path)
    run = doc["runs"][0]
    descriptor = run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]
    assert (descriptor["id"], descriptor["name"]) == ("ZZ99", "custom-check")


def test_given_catalogue_is_used_instead_of_the_default(tmp_path: Path) -> None:
    catalogue = load_catalogue()
    small = dataclasses.replace(catalogue, rules=catalogue.rules[:2])
    renderer = SarifRenderer(catalogue=small, root=tmp_path)
    rules = json.loads(renderer.render(pass_result()))["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in catalogue.rules[:2]]


def test_secret_canaries_never_appear(tmp_path: Path) -> None:
    text = SarifRenderer(root=tmp_path).render(fail_result())
    for canary in CANARIES:
        assert canary not in text


def test_schema_check_rejects_a_broken_document(tmp_path: Path) -> None:
    import jsonschema

    doc = sarif(fail_result(), tmp_path)
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(doc)
