from __future__ import annotations

import dataclasses
import re

from mcpscan.models import ScanResult, Severity
from mcpscan.report import get_renderer
from mcpscan.report.markdown import MarkdownRenderer, code, text
from tests.report.conftest import CANARIES, empty_result, fail_result, pass_result


def render(result: ScanResult) -> str:
    return MarkdownRenderer().render(result)


def section(doc: str, start: str, end: str) -> str:
    return doc[doc.index(start) : doc.index(end, doc.index(start))]


def test_registered() -> None:
    assert isinstance(get_renderer("markdown"), MarkdownRenderer)


def test_verdict_line_has_plain_text_badges() -> None:
    doc = render(fail_result())
    lines = doc.splitlines()
    assert lines[0] == "### mcpscan: FAIL"
    assert "`FAIL` `score 47/100` `3 blocking` `1 below threshold` `1 waived` `INCOMPLETE`" in doc
    assert "Incomplete scan" in doc
    assert doc.isascii()  # no emoji


def test_connector_table() -> None:
    doc = render(fail_result())
    assert "| Connector | Source | Launcher | Pinned | Score | Verdict |" in doc
    assert "| `github` | `.mcp.json:3` | npx | no | 50 | FAIL |" in doc
    assert (
        "| `linear` | `claude_desktop_config.json:12` | npx | no (1 of 2 unpinned) | 47 | FAIL |"
        in doc
    )
    assert "| `gh-docker` | `.vscode/mcp.json:20` | docker | yes | 100 | PASS |" in doc


def test_gate_findings_come_first_and_the_rest_is_collapsed() -> None:
    doc = render(fail_result())
    gate = section(doc, "#### Findings that fail the gate (3)", "<details>")
    assert [m.group(1) for m in re.finditer(r"^\| \w+ \| (\w\w\d\d) ", gate, re.M)] == [
        "SC05",
        "ID01",
        "SC01",
    ]
    other = section(doc, "<summary>Other findings (1)</summary>", "</details>")
    assert "PX04" in other
    waived = section(doc, "<summary>Waived findings (1)</summary>", "</details>")
    assert "SC08" in waived
    assert "waiver-7: vendor release reviewed" in waived
    for title in (
        "Checks not run (1)",
        "Diagnostics (2)",
        "Expired waivers (1)",
        "Unused waivers (1)",
    ):
        assert f"<summary>{title}</summary>" in doc
    assert "`bad.json` not JSON (fatal)" in doc


def test_gate_follows_fail_on() -> None:
    doc = render(dataclasses.replace(fail_result(), fail_on=Severity.LOW))
    assert "Findings that fail the gate (4)" in doc
    assert "Other findings" not in doc


def test_clean_and_empty_results() -> None:
    doc = render(pass_result())
    assert "None at high or above." in doc
    assert "<details>" not in doc
    assert "No connector found." in render(empty_result())


def test_config_text_cannot_inject_markdown_or_html() -> None:
    hostile = "x | <img src=http://evil/a.png> [click](http://evil) **b** @acme/admins"
    result = fail_result()
    first = result.connectors[0]
    renamed = dataclasses.replace(
        first,
        connector=dataclasses.replace(first.connector, name=hostile),
        findings=tuple(dataclasses.replace(f, message=hostile) for f in first.findings),
    )
    doc = render(dataclasses.replace(result, connectors=(renamed, *result.connectors[1:])))
    # Inside a code span everything is literal text; outside it nothing may be live.
    prose = re.sub(r"(`+).*?\1", "", doc)
    assert "x \\| &lt;img src=http://evil/a.png&gt; \\[click\\](http://evil) \\*\\*b\\*\\*" in prose
    assert "<img" not in prose
    assert not re.search(r"(?<!\\)\]\(", prose)  # no unescaped "](": no link
    assert "**b**" not in prose
    assert "@acme" not in prose  # set as code: no team mention
    rows = [line for line in doc.splitlines() if "evil" in line and line.startswith("|")]
    assert rows
    for row in rows:
        # Seven connector columns or four finding columns: the "|" in the name is escaped.
        cells = re.split(r"(?<!\\)\|", row)[1:-1]
        assert len(cells) in (4, 7), row


def test_helpers() -> None:
    assert text("1. first") == "1\\. first"
    assert text("# title") == "\\# title"
    assert text("mail me@example.com") == "mail me@example.com"
    assert text("pkg @scope/name here") == "pkg `@scope/name` here"
    assert code("a`b") == "`` a`b ``"
    assert code("a|b\nc") == "`a\\|b c`"


def test_secret_canaries_never_appear() -> None:
    doc = render(fail_result())
    for canary in CANARIES:
        assert canary not in doc
