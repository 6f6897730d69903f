"""Drivers for the real CLI: in-process through typer's CliRunner, and as a subprocess.

Every test runs with a fake, empty HOME and no ``MCPSCAN_*`` variables, so neither the
developer's own client configs nor their settings can change an outcome. These tests are
about what the configuration itself hands over (issue 2), so registry resolution is off
(``MCPSCAN_RESOLVE=false``) unless a test turns it on, and then only ``--offline``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mcpscan.cli.app import app

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# Variables that point discovery or the CLI somewhere else than the fake home.
_ISOLATE = (
    "NO_COLOR",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "CODEX_HOME",
    "CLAUDE_CONFIG_DIR",
    "OPENCODE_CONFIG",
    "CLINE_MCP_SETTINGS_PATH",
    "APPDATA",
    "USERPROFILE",
)


NO_RESOLVE = {"MCPSCAN_RESOLVE": "false"}


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass(frozen=True)
class Workspace:
    home: Path  # the fake HOME
    cwd: Path  # an empty working directory, outside HOME


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    for var in list(os.environ):
        if var.startswith("MCPSCAN_") or var in _ISOLATE:
            monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    cwd = tmp_path / "work"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MCPSCAN_TUF_URL", "")  # the pinned trust anchors, no TUF refresh
    monkeypatch.setenv("MCPSCAN_RESOLVE", NO_RESOLVE["MCPSCAN_RESOLVE"])
    # Tables are drawn at the terminal's width: the same width on every machine.
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.chdir(cwd)
    return Workspace(home=home, cwd=cwd)


CliFn = Callable[..., Run]


@pytest.fixture
def cli(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> CliFn:
    """``cli("scan", "x.json", cwd=...)``: run the typer app in-process."""

    def run(*args: str | Path, cwd: Path | None = None) -> Run:
        monkeypatch.chdir(cwd or workspace.cwd)
        result = CliRunner().invoke(app, [str(a) for a in args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


def run_subprocess(
    *args: str | Path,
    cwd: Path,
    home: Path,
    env: dict[str, str] | None = None,
    python_args: tuple[str, ...] = (),
) -> Run:
    """``python -m mcpscan ARGS`` in a clean environment (only PATH, HOME, PYTHONPATH)."""
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONPATH": str(REPO),
        "LANG": "C.UTF-8",
        **NO_RESOLVE,
    }
    proc = subprocess.run(
        [sys.executable, *python_args, "-m", "mcpscan", *(str(a) for a in args)],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def write_json(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """1-based number of the first line of ``path`` containing ``needle``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def table_rows(text: str) -> list[list[str]]:
    """The cells of a rich box table, each with its wrapped lines joined and all whitespace
    removed (long paths fold over several lines)."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if not line.startswith("│"):
            continue
        cells = ["".join(c.split()) for c in line.strip().strip("│").split("│")]
        if rows and not cells[0]:
            rows[-1] = [a + b for a, b in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
    return rows


def rule_ids(report: dict[str, Any], connector: str | None = None) -> set[str]:
    """Rule ids of the findings of one connector (or of all of them)."""
    return {
        f["rule_id"]
        for c in report["connectors"]
        if connector is None or c["name"] == connector
        for f in c["findings"]
    }


# A pinned, clean connector and a risky (unpinned) one, for building configs.
PINNED = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory@2025.8.4"]}
UNPINNED = {"command": "npx", "args": ["-y", "some-unpinned-mcp"]}
