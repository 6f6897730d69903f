"""The terminal view: the table fits the terminal's width (COLUMNS, else the terminal's own),
long names lose their middle and keep their scope and version, and a transient progress
display runs on a terminal only (real CLI processes on a pseudo-terminal, against recorded
registry data on the local server)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLES, REPO, CliFn
from tests.fixtures.npm.server import serve_recorded as serve_recorded_npm
from tests.fixtures.pypi.server import serve_recorded
from tests.scan.conftest import npx, uvx, write_config
from tests.support.registry_server import RegistryServer

CONFIGS = [
    EXAMPLES / "claude_desktop_config.json",
    EXAMPLES / "server-json-registry-api" / "servers.json",
    EXAMPLES / "cline" / "cline_mcp_settings.json",
]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
STAGES = ("reading configs", "resolving", "verifying provenance", "evaluating rules")


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_no_table_line_is_wider_than_the_terminal(
    cli: CliFn, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    run = cli("scan", *CONFIGS)
    assert run.code == 1, run.stderr
    lines = run.stdout.splitlines()
    assert max(len(line) for line in lines) <= width
    assert max(len(line) for line in lines) > width - 10  # the width is used, not 100
    # The pinned fetch server keeps its version however narrow the column.
    assert any("pypi:" in line and "2025.4.7" in line for line in lines)
    # The launch column: from the package label on (a long path may be shortened before it).
    launches = [line[line.index("npm:") :] for line in lines if "npm:" in line]
    if width >= 120:
        # Room enough: every name whole, never cut mid-word.
        assert any("npm:@modelcontextprotocol/server-filesystem" in line for line in lines)
        assert not any("…" in line for line in launches)
    if width == 60:
        # Shortened in the middle: the ecosystem stays in front, the version at the end.
        shortened = [line for line in launches if "…" in line]
        assert shortened
        assert any(re.search(r"npm:\S*…\S*@[\w.]+", line) for line in shortened), shortened


def test_findings_name_long_connectors_whole_at_200_columns(
    cli: CliFn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    long_name = "acme-internal-knowledge-base-search-connector"  # 45 characters
    config = write_config(tmp_path / "c.json", {long_name: npx("acme-kb-mcp")})
    monkeypatch.setenv("COLUMNS", "200")
    wide = cli("scan", config)
    assert long_name in wide.stdout
    monkeypatch.setenv("COLUMNS", "60")
    narrow = cli("scan", config)
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60
    # At 60 the name loses its middle, keeping both ends.
    assert re.search(r"acme-\S*…\S*connector", narrow.stdout), narrow.stdout


# -- progress --------------------------------------------------------------------------------


@pytest.fixture
def recorded(registry_server: RegistryServer) -> RegistryServer:
    # The recorded packuments, with the recorded tarballs served here (inspection reads them).
    serve_recorded_npm(registry_server)
    serve_recorded(registry_server)
    return registry_server


def _argv(server: RegistryServer, config: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mcpscan",
        "scan",
        str(config),
        "--npm-registry",
        server.url,
        "--pypi-url",
        f"{server.url}/simple",
        "--no-advisories",
        "--python-version",
        "3.11",
        "--platform",
        "linux",
        *extra,
    ]


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONPATH": str(REPO),
        "LANG": "C.UTF-8",
        "TERM": "xterm-256color",
        "MCPSCAN_TUF_URL": "",
        "MCPSCAN_CACHE_DIR": str(tmp_path / "cache"),
    }


def _on_a_terminal(argv: list[str], env: dict[str, str], cwd: Path, columns: int) -> str:
    """Everything the process wrote to its terminal (stdout and stderr are the pty)."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(argv, stdin=child, stdout=child, stderr=child, env=env, cwd=cwd)
    os.close(child)
    out = b""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(main)
        proc.wait(timeout=30)
    return out.decode("utf-8", errors="replace")


def _config(tmp_path: Path) -> Path:
    return write_config(
        tmp_path / "work" / ".mcp.json",
        {
            "remote": npx("mcp-remote@0.1.16", "https://mcp.example.com/mcp"),
            "time": uvx("mcp-server-time"),
        },
    )


def test_progress_on_a_terminal(recorded: RegistryServer, tmp_path: Path) -> None:
    config = _config(tmp_path)
    shown = _on_a_terminal(_argv(recorded, config), _env(tmp_path), config.parent, 80)
    plain = ANSI.sub("", shown)
    for stage in STAGES:
        assert stage in plain, plain[:2000]
    assert re.search(r"\d+ packages", plain)
    assert re.search(r"verifying provenance \d+/\d+", plain)
    # The table came after the display, at the terminal's width (no COLUMNS set).
    assert "Connectors (2)" in plain
    table = plain[plain.index("mcpscan 0.1") :]
    assert max(len(line) for line in re.split(r"\r?\n|\r", table)) <= 80


def test_no_progress_with_quiet_or_without_a_terminal(
    recorded: RegistryServer, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    env = _env(tmp_path)
    quiet = ANSI.sub("", _on_a_terminal(_argv(recorded, config, "-q"), env, config.parent, 80))
    assert "Connectors (2)" in quiet
    assert not [stage for stage in STAGES if stage in quiet]
    piped = subprocess.run(
        _argv(recorded, config),
        env=env,
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Connectors (2)" in piped.stdout
    assert not [stage for stage in STAGES if stage in piped.stderr + piped.stdout]
    assert "\x1b[" not in piped.stderr + piped.stdout
    # Not a terminal and no COLUMNS: the table is 100 columns wide.
    assert max(len(line) for line in piped.stdout.splitlines()) <= 100


def test_approve_shows_progress_too(recorded: RegistryServer, tmp_path: Path) -> None:
    config = _config(tmp_path)
    argv = _argv(recorded, config, "--approver", "bob", "--owner", "alice")
    argv[argv.index("scan")] = "approve"
    plain = ANSI.sub("", _on_a_terminal(argv, _env(tmp_path), config.parent, 80))
    assert "resolving" in plain
    assert "verifying provenance" in plain
    quiet = ANSI.sub("", _on_a_terminal([*argv, "-q"], _env(tmp_path), config.parent, 80))
    assert "resolving" not in quiet
