"""Every example in every format against its stored snapshot.

``MCPSCAN_UPDATE_SNAPSHOTS=1`` rewrites the snapshots and prints each change with its diff
(review it before committing). SARIF snapshots hold the results; the rule catalogue every
SARIF report carries is one snapshot of its own (``tests/snapshots/sarif-rules.json``).
"""

from __future__ import annotations

import json
import re

import pytest

from tests.report_formats.conftest import (
    EXAMPLE_FILES,
    FORMATS,
    REPO,
    SARIF_RULES,
    UPDATE,
    check_snapshot,
    describe_change,
    normalise,
    renderer,
    sarif_rules,
    scan_example,
    snapshot_path,
    validate_sarif,
)

_ABSOLUTE_RE = re.compile(r"^(/|[A-Za-z]:[\\/]|\\\\|file:|~)")


def test_every_example_is_covered() -> None:
    # Guards the glob: a moved examples/ directory must not make the suite silently empty.
    assert len(EXAMPLE_FILES) >= 20
    assert "examples/claude_desktop_config.json" in EXAMPLE_FILES


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("target", EXAMPLE_FILES)
def test_report_matches_snapshot(target: str, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    result, _ = scan_example(target)
    actual = normalise(fmt, renderer(fmt).render(result))
    check_snapshot(snapshot_path(target, fmt), actual, capsys)


def test_the_sarif_rule_catalogue_matches_its_one_snapshot(
    capsys: pytest.CaptureFixture[str],
) -> None:
    catalogues = {sarif_rules(renderer("sarif").render(scan_example(t)[0])) for t in EXAMPLE_FILES}
    # Every report carries the whole catalogue, whatever it found: one snapshot covers all.
    [catalogue] = catalogues
    check_snapshot(SARIF_RULES, catalogue, capsys)
    ids = [rule["id"] for rule in json.loads(catalogue)]
    for target in EXAMPLE_FILES:
        stored = json.loads(snapshot_path(target, "sarif").read_text(encoding="utf-8"))
        # The catalogue first, then the variants this report's results name.
        described = stored["runs"][0]["tool"]["driver"]["rules"]
        assert described[: len(ids)] == ids
        assert all("/" in rule_id for rule_id in described[len(ids) :])


def test_an_update_says_what_changed() -> None:
    path = SARIF_RULES
    before = '{\n  "id": "SC01",\n  "title": "old"\n}\n'
    after = '{\n  "id": "SC01",\n  "title": "new"\n}\n'
    text = describe_change(path, before, after)
    lines = text.splitlines()
    assert lines[0] == "snapshot updated: tests/snapshots/sarif-rules.json (+1 -1)"
    assert '-  "title": "old"' in lines
    assert '+  "title": "new"' in lines
    assert describe_change(path, None, after).startswith("snapshot created:")
    assert describe_change(path, before, after * 30).count("\n") <= 42


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("target", EXAMPLE_FILES)
def test_no_secret_literal_of_the_example_reaches_the_report(target: str, fmt: str) -> None:
    result, redactor = scan_example(target)
    text = renderer(fmt).render(result)
    # scrub() changes the text exactly when a known secret value occurs in it.
    assert redactor.scrub(text) == text


def test_examples_with_secrets_exercise_the_redaction_check() -> None:
    # Without examples holding literal secrets the test above would prove nothing.
    with_secrets = [t for t in EXAMPLE_FILES if len(scan_example(t)[1])]
    assert len(with_secrets) >= 3


@pytest.mark.parametrize("target", EXAMPLE_FILES)
def test_sarif_of_every_example_is_valid_and_has_no_absolute_path(target: str) -> None:
    result, _ = scan_example(target)
    doc = json.loads(renderer("sarif").render(result))
    validate_sarif(doc)
    run = doc["runs"][0]
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for res in run["results"]
        for loc in res["locations"]
        if "physicalLocation" in loc
    ] + [a["location"]["uri"] for a in run["artifacts"]]
    assert uris or not run["results"]
    for uri in uris:
        assert not _ABSOLUTE_RE.match(uri), uri
        assert (REPO / uri).is_file(), uri
    assert str(REPO) not in json.dumps(doc)


def test_snapshots_have_no_leftover_files(capsys: pytest.CaptureFixture[str]) -> None:
    expected = {snapshot_path(t, f) for t in EXAMPLE_FILES for f in FORMATS}
    directory = snapshot_path(EXAMPLE_FILES[0], "json").parent
    stored = set(directory.iterdir()) if directory.is_dir() else set()
    if UPDATE:
        for stale in sorted(stored - expected):
            stale.unlink()
            with capsys.disabled():
                print(f"\nsnapshot removed: {stale.relative_to(REPO).as_posix()}")
        stored &= expected
    assert stored == expected
