"""Scans of the shipped examples for the report-format tests, without any network.

Each example is scanned the way ``mcpscan scan --no-resolve examples/...`` run from the
repository root would, with the example policy and a fixed date, so the reports depend on
nothing but the example and the code.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mcpscan import __version__
from mcpscan.models import ScanResult
from mcpscan.redaction import Redactor
from mcpscan.report import Renderer, get_renderer
from mcpscan.report.sarif import SarifRenderer
from mcpscan.ruleset import Engine, load_catalogue, load_policy
from mcpscan.scan import Scanner, ScanOptions, redactor_for
from mcpscan.sources import load_targets

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SNAPSHOTS = REPO / "tests" / "snapshots"
SARIF_SCHEMA = REPO / "tests" / "fixtures" / "sarif-schema-2.1.0.json"
TODAY = _dt.date(2026, 1, 15)  # both example waivers still valid
STARTED = _dt.datetime(2026, 1, 15, 9, 30, tzinfo=_dt.timezone.utc)  # shown by the HTML report
UPDATE = os.environ.get("MCPSCAN_UPDATE_SNAPSHOTS") == "1"

FORMATS = ("json", "table", "sarif", "markdown", "html", "cyclonedx")
EXTENSIONS = {
    "json": "json",
    "table": "txt",
    "sarif": "sarif",
    "markdown": "md",
    "html": "html",
    "cyclonedx": "cdx.json",
}
_NOT_INPUTS = {"README.md", "mcpscan.toml"}

EXAMPLE_FILES = sorted(
    p.relative_to(REPO).as_posix()
    for p in EXAMPLES.rglob("*")
    if p.is_file() and p.name not in _NOT_INPUTS
)


@functools.cache
def scan_example(target: str) -> tuple[ScanResult, Redactor]:
    """The result of scanning ``target`` (relative to the repository root) and a redactor
    that knows every secret literal the file holds."""
    catalogue = load_catalogue()
    # Relative, as a user would name it: waiver texts quote the policy's path.
    previous = Path.cwd()
    os.chdir(REPO)
    try:
        policy = load_policy(Path("examples/mcpscan.toml"), rule_ids=catalogue.ids)
    finally:
        os.chdir(previous)
    loaded = load_targets([target], cwd=REPO)
    options = ScanOptions(today=TODAY, started=STARTED)
    result = Scanner(Engine(catalogue, policy), options).scan([target], loaded)
    redactor = redactor_for(loaded, [cr.launch for cr in result.connectors])
    return result, redactor


def renderer(fmt: str) -> Renderer:
    # The repository is the SARIF source root whatever directory pytest runs in.
    if fmt == "cyclonedx":
        from mcpscan.report.cyclonedx import CycloneDxRenderer

        return CycloneDxRenderer(reproducible=True)
    return SarifRenderer(root=REPO) if fmt == "sarif" else get_renderer(fmt)


def normalise(fmt: str, text: str) -> str:
    """The report with the fields that change between releases replaced."""
    if fmt == "json":
        doc: Any = json.loads(text)
        doc["tool"]["version"] = "<version>"
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "sarif":
        doc = json.loads(text)
        driver = doc["runs"][0]["tool"]["driver"]
        driver["version"] = driver["semanticVersion"] = "<version>"
        # The rule catalogue is the same in every report and has a snapshot of its own
        # (SARIF_RULES); here only the ids stay, so each result's ruleIndex still reads.
        driver["rules"] = [rule["id"] for rule in driver["rules"]]
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "cyclonedx":
        doc = json.loads(text)
        for tool in doc["metadata"]["tools"]["components"]:
            if tool.get("name") == "mcpscan":
                tool["version"] = "<version>"
        return json.dumps(doc, indent=2) + "\n"
    return text.replace(f"mcpscan {__version__}", "mcpscan <version>")


SARIF_RULES = SNAPSHOTS / "sarif-rules.json"


def sarif_rules(text: str) -> str:
    """The catalogue part of a SARIF report (``tool.driver.rules`` without the variants at
    another severity, ``SC05/critical``, which each report adds for its own results), as
    its snapshot."""
    rules = json.loads(text)["runs"][0]["tool"]["driver"]["rules"]
    return json.dumps([r for r in rules if "/" not in r["id"]], indent=2) + "\n"


def check_snapshot(path: Path, actual: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``actual`` against the stored snapshot; with MCPSCAN_UPDATE_SNAPSHOTS=1 rewrite it
    and print what changed (a snapshot nobody reads is no check)."""
    if UPDATE:
        before = path.read_text(encoding="utf-8") if path.is_file() else None
        if before != actual:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            with capsys.disabled():
                print(f"\n{describe_change(path, before, actual)}")
    assert path.is_file(), f"no snapshot {path}; run with MCPSCAN_UPDATE_SNAPSHOTS=1"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{path.relative_to(REPO)} changed; if intended, rerun with "
        "MCPSCAN_UPDATE_SNAPSHOTS=1 and review what it prints"
    )


MAX_DIFF_LINES = 40


def describe_change(path: Path, before: str | None, after: str) -> str:
    """One line naming the snapshot and the size of the change, then the diff (cut)."""
    import difflib

    name = path.relative_to(REPO).as_posix()
    if before is None:
        return f"snapshot created: {name} ({len(after.splitlines())} lines)"
    diff = list(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), f"a/{name}", f"b/{name}", lineterm=""
        )
    )
    added = sum(1 for d in diff if d.startswith("+") and not d.startswith("+++"))
    removed = sum(1 for d in diff if d.startswith("-") and not d.startswith("---"))
    shown = diff[:MAX_DIFF_LINES]
    if len(diff) > MAX_DIFF_LINES:
        shown.append(f"... {len(diff) - MAX_DIFF_LINES} more diff lines (git diff {name})")
    return "\n".join([f"snapshot updated: {name} (+{added} -{removed})", *shown])


def snapshot_path(target: str, fmt: str) -> Path:
    stem = target.removeprefix("examples/").replace("/", "__")
    return SNAPSHOTS / "examples" / f"{stem}.{EXTENSIONS[fmt]}"


@functools.cache
def _sarif_validator() -> Any:
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text("utf-8"))
    # The official file declares draft-04; validate with the draft it is written in.
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    return validator_cls(schema)


def validate_sarif(doc: Any) -> None:
    _sarif_validator().validate(doc)


# -- headless Chromium -----------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (Debian package 'chromium')"
)


def chromium(url: str, user_data: Path, *extra: str) -> str:
    """Run headless Chromium on ``url`` with every network-facing feature off; its stdout."""
    assert CHROMIUM is not None
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={user_data}",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout
