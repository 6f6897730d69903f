"""``mcpscan --version`` is fast: it imports none of the heavy modules."""

from __future__ import annotations

import subprocess
import sys
import time

from mcpscan import __version__
from tests.cli.conftest import REPO, CliFn, Workspace, run_subprocess

HEAVY = ("typer", "rich", "requests", "yaml", "jsonschema", "packageurl", "click")


def test_version_in_process(cli: CliFn) -> None:
    run = cli("--version")
    assert run.code == 0
    assert run.stdout == f"mcpscan {__version__}\n"


def test_version_is_fast(workspace: Workspace) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workspace.home), "PYTHONPATH": str(REPO)}
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "mcpscan", "--version"],
            cwd=workspace.cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        timings.append(time.perf_counter() - start)
        assert proc.returncode == 0
        assert proc.stdout == f"mcpscan {__version__}\n"
    assert min(timings) < 0.25, timings


def test_version_imports_no_heavy_module(workspace: Workspace) -> None:
    run = run_subprocess(
        "--version", cwd=workspace.cwd, home=workspace.home, python_args=("-X", "importtime")
    )
    assert run.code == 0
    assert run.stdout == f"mcpscan {__version__}\n"
    # -X importtime lines: "import time: self [us] | cumulative | imported package"
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "mcpscan.cli" in imported  # the probe itself works
    heavy = sorted(m for m in imported if m.split(".")[0] in HEAVY)
    assert heavy == []


def test_version_keeps_sys_modules_light(workspace: Workspace) -> None:
    probe = (
        "import sys\n"
        "from mcpscan.cli import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=workspace.cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(workspace.home), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"mcpscan {__version__}", "[]"]
