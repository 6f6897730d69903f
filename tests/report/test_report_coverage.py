"""The coverage ledger is shown by every report format, gaps first among equals."""

from __future__ import annotations

import json

import pytest

from mcpscan.report import get_renderer
from tests.report.conftest import fail_result


def render(fmt: str, result: object) -> str:
    return get_renderer(fmt, width=200).render(result)  # type: ignore[arg-type]


GAP = "advisories not run (disabled): disabled by the user (--no-advisories)"


def test_json_has_every_family_of_every_recorded_ledger() -> None:
    doc = json.loads(render("json", fail_result()))
    github, linear, docker = doc["connectors"]
    assert [c["family"] for c in github["coverage"]] == [
        "launch",
        "resolution",
        "provenance",
        "advisories",
        "reputation",
        "content",
        "scope",
        "approval",
    ]
    assert all(c["state"] != "not-run" for c in github["coverage"])
    [gap] = [c for c in linear["coverage"] if c["state"] == "not-run"]
    assert gap == {
        "family": "advisories",
        "title": "advisories",
        "state": "not-run",
        "cause": "disabled",
        "reason": "disabled by the user (--no-advisories)",
    }
    assert docker["coverage"] is None  # built outside a scan: not recorded, not "complete"
    assert doc["summary"]["coverage_gaps"] == 1


def test_sarif_run_properties_and_notifications() -> None:
    run = json.loads(render("sarif", fail_result()))["runs"][0]
    coverage = {c["connector"]: c for c in run["properties"]["coverage"]}
    assert coverage["github"]["complete"] is True
    assert coverage["linear"]["complete"] is False
    assert coverage["linear"]["families"]["advisories"] == {
        "state": "not-run",
        "cause": "disabled",
        "reason": "disabled by the user (--no-advisories)",
    }
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert f"coverage gap: linear: {GAP}" in notes


@pytest.mark.parametrize("fmt", ["markdown", "table"])
def test_text_formats_name_the_gap(fmt: str) -> None:
    out = " ".join(render(fmt, fail_result()).split())
    assert GAP in out


def test_markdown_badge_and_column() -> None:
    out = render("markdown", fail_result())
    assert "PARTIAL COVERAGE" in out
    assert "| not run: advisories (disabled) |" in out
    assert "| complete |" in out


def test_html_ledger_table_per_connector() -> None:
    out = render("html", fail_result())
    assert out.count('<table class="coverage">') == 2
    assert "Coverage (gaps: never a clean 100)" in out
    assert (
        '<td>advisories</td><td><span class="coverage not-run">not-run</span></td>'
        "<td>disabled</td><td>disabled by the user (--no-advisories)</td>"
    ) in out
