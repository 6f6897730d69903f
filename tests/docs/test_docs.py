"""docs/ is generated from the rule files, exit codes, policy template and schema: a rule
without its page, or a page that no longer matches its source, fails here (and in CI)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mcpscan import docs_gen
from mcpscan.ruleset import load_catalogue

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


def test_docs_match_a_fresh_generation(tmp_path: Path) -> None:
    docs_gen.write(tmp_path)
    fresh = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.md")}
    stale = [
        name
        for name in sorted(fresh)
        if not (DOCS / name).is_file()
        or (DOCS / name).read_bytes() != (tmp_path / name).read_bytes()
    ]
    assert not stale, f"docs/ is out of date; run `python -m mcpscan.docs_gen`: {stale}"
    # No page for a rule that no longer exists.
    shipped = {f"rules/{p.name}" for p in (DOCS / "rules").glob("*.md")}
    assert shipped == {n for n in fresh if n.startswith("rules/")}


def test_every_rule_has_its_page() -> None:
    catalogue = load_catalogue()
    assert len(catalogue) > 0
    for rule in catalogue:
        page = DOCS / "rules" / f"{rule.id}-{rule.slug}.md"
        assert page.is_file(), f"{rule.id} has no page"
        text = page.read_text(encoding="utf-8")
        assert rule.title in text
        assert rule.rationale in text
        assert rule.remediation in text
        for framework in rule.frameworks:
            assert f"| {framework.framework} | {framework.id} |" in text


def test_a_new_rule_without_a_page_is_caught(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for f in (REPO / "rules").glob("*.toml"):
        (rules / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    source = (rules / "GV01-not-approved.toml").read_text(encoding="utf-8")
    (rules / "GV09-new-rule.toml").write_text(
        source.replace('"GV01"', '"GV09"').replace('"not-approved"', '"new-rule"'),
        encoding="utf-8",
    )
    pages = docs_gen.generate(load_catalogue(rules))
    assert "rules/GV09-new-rule.md" in pages
    assert not (DOCS / "rules" / "GV09-new-rule.md").exists()


def test_stale_rule_pages_are_removed(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "XX99-gone.md").write_text("old", encoding="utf-8")
    docs_gen.write(tmp_path)
    assert not (tmp_path / "rules" / "XX99-gone.md").exists()
    assert (tmp_path / "rules" / "SC01-unpinned-launch.md").is_file()


def test_exit_code_page_follows_the_code() -> None:
    from mcpscan.cli.exit_codes import ExitCode

    text = (DOCS / "exit-codes.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert re.search(rf"^\| {int(code)} \| \S", text, re.MULTILINE), code


def test_json_report_page_lists_every_schema_field() -> None:
    import json

    schema = json.loads((REPO / "mcpscan/schemas/report.schema.json").read_text("utf-8"))
    text = (DOCS / "json-report.md").read_text(encoding="utf-8")
    for name in schema["properties"]:
        assert f"| `{name}` |" in text
    for name, definition in schema["$defs"].items():
        assert f"## {name}\n" in text
        for field in definition.get("properties", {}):
            assert f"| `{field}` |" in text


@pytest.mark.parametrize(
    "page",
    [
        "index.md",
        "exit-codes.md",
        "policy.md",
        "lock.md",
        "json-report.md",
        "ci.md",
        "rules/index.md",
    ],
)
def test_relative_links_resolve(page: str) -> None:
    path = DOCS / page
    for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", path.read_text("utf-8")):
        assert (path.parent / target).is_file(), f"{page} links to missing {target}"


def test_ci_page_documents_every_action_input() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    text = (DOCS / "ci.md").read_text(encoding="utf-8")
    for name in action["inputs"]:
        assert f"`{name}`" in text, name
    assert "gitlab" in text.lower()
    assert "pre-commit" in text
