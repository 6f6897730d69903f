from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from mcpscan import __version__
from mcpscan.models import ScanResult
from mcpscan.report import get_renderer, schema
from mcpscan.report.json_report import to_dict


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    doc = schema()
    jsonschema.Draft202012Validator.check_schema(doc)
    return jsonschema.Draft202012Validator(doc)


def errors(validator: jsonschema.Draft202012Validator, doc: dict[str, Any]) -> list[str]:
    return [e.message for e in validator.iter_errors(doc)]


def test_every_result_validates(
    any_result: ScanResult, validator: jsonschema.Draft202012Validator
) -> None:
    text = get_renderer("json").render(any_result)
    assert text.endswith("}\n")
    doc = json.loads(text)
    assert doc == to_dict(any_result)
    assert errors(validator, doc) == []


def test_empty_result(empty: ScanResult) -> None:
    doc = to_dict(empty)
    assert doc["schema_version"] == 1
    assert doc["tool"] == {"name": "mcpscan", "version": __version__}
    assert doc["connectors"] == []
    assert doc["verdict"] == "pass"
    assert doc["fail_on"] == "critical"
    assert doc["summary"] == {
        "connectors": 0,
        "findings": {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0},
        "waived": 0,
        "coverage_gaps": 0,
    }


def test_passing_result(passing: ScanResult) -> None:
    doc = to_dict(passing)
    assert (doc["verdict"], doc["score"], doc["incomplete"]) == ("pass", 100, False)
    (conn,) = doc["connectors"]
    assert conn["name"] == "gh-docker"
    assert conn["enabled"] is False
    assert conn["findings"] == []
    assert conn["container"]["privileged"] is True
    assert conn["container"]["mounts"] == ["/"]
    assert conn["packages"][0]["version_kind"] == "digest"
    assert conn["packages"][0]["pinned"] is True


def test_failing_result_top_level(failing: ScanResult) -> None:
    doc = to_dict(failing)
    assert doc["verdict"] == "fail"
    assert doc["score"] == 47
    assert doc["min_score"] == 70
    assert doc["fail_on"] == "high"
    assert doc["incomplete"] is True
    assert doc["targets"] == [".mcp.json", "claude_desktop_config.json", ".vscode/mcp.json"]
    assert doc["summary"] == {
        "connectors": 3,
        "findings": {"critical": 1, "high": 2, "medium": 0, "low": 1, "info": 0},
        "waived": 1,
        "coverage_gaps": 1,
    }
    assert list(doc["summary"]["findings"]) == ["critical", "high", "medium", "low", "info"]
    assert doc["checks_not_run"] == [
        "provenance (SC02, SC03): --offline and no cached attestations"
    ]
    assert doc["diagnostics"] == [
        {
            "file": ".vscode/mcp.json",
            "line": 7,
            "message": "entry 'broken' has neither command nor url",
            "fatal": False,
        },
        {"file": "bad.json", "line": None, "message": "not JSON", "fatal": True},
    ]
    assert doc["expired_waivers"] == ["waiver-3 (SC01 on slack, expired 2025-01-01)"]
    assert doc["unused_waivers"] == ["waiver-9 (SC10 on notion)"]


def test_failing_connector_details(failing: ScanResult) -> None:
    github, linear, _ = to_dict(failing)["connectors"]
    assert github["source"] == {
        "file": ".mcp.json",
        "line": 3,
        "client": "claude-code",
        "key": "/mcpServers/3",
        "scope": "project",
    }
    assert github["command"] == "npx"  # basename only: the directory may name the user
    assert (github["launcher"], github["auto_install"]) == ("npx", True)
    assert github["packages"][0]["version"] is None
    assert github["packages"][0]["version_kind"] == "unspecified"
    assert github["packages"][0]["pinned"] is False
    assert github["secret_args"][0]["flag"] == "--token"
    assert github["options"] == [{"name": "autoApprove", "value": "read_file"}]
    assert [(s["name"], s["kind"], "fingerprint" in s) for s in github["env"]] == [
        ("GITHUB_PERSONAL_ACCESS_TOKEN", "literal", True),
        ("GITHUB_HOST", "indirection", False),
        ("EMPTY_ONE", "empty", False),
    ]
    assert github["env"][0]["fingerprint"].startswith("sha256:")

    assert linear["proxies"] == [
        {
            "kind": "mcp-remote",
            "mode": "client",
            "package": "pkg:npm/mcp-remote@0.1.15",
            "flags": ["--header"],
            "listen_host": None,
            "port": None,
            "allow_origin": None,
            "pass_environment": False,
            "token_store": "~/.mcp-auth",
        }
    ]
    remote = linear["remotes"][0]
    assert remote["url"] == "https://mcp.linear.app/sse?token=***"
    assert (remote["has_userinfo"], remote["secret_query_keys"]) == (True, ["token"])
    assert (linear["headers"][0]["origin"], linear["headers"][0]["secret"]) == ("header", True)
    assert github["env"][0]["secret"] is False
    assert linear["packages"][1]["spec"] == "https://example.com/helper.tgz?sig=REDACTED"
    assert linear["container"] is None


def test_findings_unwaived_first_then_by_severity(failing: ScanResult) -> None:
    github = to_dict(failing)["connectors"][0]
    assert [(f["rule_id"], f["waived_by"] is not None) for f in github["findings"]] == [
        ("ID01", False),
        ("SC01", False),
        ("SC08", True),
    ]
    sc01 = github["findings"][1]
    assert sc01 == {
        "rule_id": "SC01",
        "slug": "unpinned-launch",
        "severity": "high",
        "message": "unpinned-launch in github",
        "evidence": "evidence for SC01",
        "component": "pkg:npm/%40modelcontextprotocol/server-github",
        "frameworks": [
            {
                "framework": "OWASP-ASI",
                "id": "ASI04",
                "title": "Agentic Supply Chain Vulnerabilities",
                "version": "2026",
            },
            {
                "framework": "OWASP-MCP",
                "id": "MCP04",
                "title": "Software Supply Chain Attacks",
                "version": "2025-beta",
            },
        ],
        "remediation": "fix unpinned-launch",
        "waived_by": None,
        "location": {"file": ".mcp.json", "line": 3},
    }
    assert github["findings"][2]["waived_by"] == "waiver-7: vendor release reviewed"


def test_output_is_deterministic(
    failing: ScanResult, builders: dict[str, Callable[[], ScanResult]]
) -> None:
    renderer = get_renderer("json")
    first = renderer.render(failing)
    assert renderer.render(failing) == first
    assert renderer.render(builders["fail"]()) == first


def test_no_secret_value_in_json(failing: ScanResult, canaries: tuple[str, ...]) -> None:
    text = get_renderer("json").render(failing)
    for canary in canaries:
        assert canary not in text


def test_later_connector_sections_are_allowed(
    failing: ScanResult, validator: jsonschema.Draft202012Validator
) -> None:
    doc = to_dict(failing)
    doc["connectors"][0]["graph"] = {
        "size": 0,
        "roots": [],
        "nodes": [],
        "edges": [],
        "problems": [],
    }
    doc["connectors"][0]["provenance"] = [
        {
            "purl": "pkg:npm/x@1.0.0",
            "kind": "npm-provenance",
            "state": "absent",
            "reason": "the registry did not provide it",
            "source_repository": None,
            "source_identity": None,
            "workflow": None,
            "ref": None,
            "commit": None,
            "issuer": None,
            "signer": None,
            "predicate_type": None,
            "registry_gap": True,
        }
    ]
    doc["connectors"][0]["advisories"] = []
    assert errors(validator, doc) == []
    doc["connectors"][0]["graph"] = "not a graph"
    assert errors(validator, doc)
    doc["connectors"][0]["graph"] = {"nodes": [], "edges": []}  # missing size/roots/problems
    assert errors(validator, doc)


def _break(doc: dict[str, Any], how: str) -> None:
    conn = doc["connectors"][0]
    finding = conn["findings"][0]
    if how == "missing verdict":
        del doc["verdict"]
    elif how == "bad verdict":
        doc["verdict"] = "ok"
    elif how == "bad severity":
        finding["severity"] = "severe"
    elif how == "bad fail_on":
        doc["fail_on"] = "HIGH"
    elif how == "stray top-level field":
        doc["secrets"] = []
    elif how == "stray finding field":
        finding["value"] = "x"
    elif how == "finding without rule id":
        del finding["rule_id"]
    elif how == "bad version kind":
        conn["packages"][0]["version_kind"] = "pinned"
    elif how == "bad setting kind":
        conn["env"][0]["kind"] = "secret"
    elif how == "literal without fingerprint":
        del conn["env"][0]["fingerprint"]
    elif how == "fingerprint on an indirection":
        conn["env"][1]["fingerprint"] = conn["env"][0]["fingerprint"]
    elif how == "value beside a setting":
        conn["env"][0]["value"] = "x"
    elif how == "score above 100":
        doc["score"] = 101
    elif how == "wrong schema version":
        doc["schema_version"] = 2
    elif how == "line as text":
        finding["location"]["line"] = "3"
    else:
        raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "missing verdict",
        "bad verdict",
        "bad severity",
        "bad fail_on",
        "stray top-level field",
        "stray finding field",
        "finding without rule id",
        "bad version kind",
        "bad setting kind",
        "literal without fingerprint",
        "fingerprint on an indirection",
        "value beside a setting",
        "score above 100",
        "wrong schema version",
        "line as text",
    ],
)
def test_schema_rejects_malformed_reports(
    failing: ScanResult, validator: jsonschema.Draft202012Validator, how: str
) -> None:
    doc = copy.deepcopy(to_dict(failing))
    assert errors(validator, doc) == []
    _break(doc, how)
    assert errors(validator, doc), how
