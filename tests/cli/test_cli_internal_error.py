"""An unexpected exception: exit 3 (incomplete), a message naming only its type."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mcpscan.cli import main
from tests.cli.conftest import EXAMPLES, NO_RESOLVE, REPO, Workspace

CANARY = "ghp_InternalErrorCanary0123456789abcdefXYZ"
SAFE = EXAMPLES / "safe" / ".mcp.json"


class _Boom(Exception):
    pass


def _boom(*_args: object, **_kwargs: object) -> None:
    raise _Boom(f"value was {CANARY}")


@pytest.mark.parametrize(
    ("module", "attr"),
    [
        ("mcpscan.scan.Scanner", "scan"),
        ("mcpscan.sources", "load_targets"),
        ("mcpscan.report", "get_renderer"),
        ("mcpscan.ruleset", "load_catalogue"),
    ],
)
def test_internal_error_exits_3_naming_only_the_type(
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    module: str,
    attr: str,
) -> None:
    monkeypatch.setattr(f"{module}.{attr}", _boom)
    out = workspace.cwd / "r.json"
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", str(SAFE), "-f", "json", "-o", str(out)])
    assert exit_info.value.code == 3
    captured = capsys.readouterr()
    assert "internal error (_Boom)" in captured.err
    assert "incomplete" in captured.err
    assert CANARY not in captured.err + captured.out
    assert "value was" not in captured.err
    assert "Traceback" not in captured.err
    assert not out.exists()


def test_internal_error_in_discover(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("mcpscan.sources.discover", _boom)
    with pytest.raises(SystemExit) as exit_info:
        main(["discover"])
    assert exit_info.value.code == 3
    captured = capsys.readouterr()
    assert "internal error (_Boom)" in captured.err
    assert CANARY not in captured.err + captured.out


def test_debug_shows_the_traceback_through_the_redaction_boundary(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("mcpscan.scan.Scanner.scan", _boom)
    monkeypatch.setenv("MCPSCAN_DEBUG", "1")
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", str(SAFE)])
    assert exit_info.value.code == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "_Boom" in err
    assert CANARY not in err


def test_internal_error_in_a_real_process(workspace: Workspace) -> None:
    script = (
        "import mcpscan.scan\n"
        "def boom(*a, **k):\n"
        f"    raise KeyError({CANARY!r})\n"
        "mcpscan.scan.Scanner.scan = boom\n"
        "from mcpscan.cli import main\n"
        f"main(['scan', {str(SAFE)!r}])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=workspace.cwd,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(workspace.home),
            "PYTHONPATH": str(REPO),
            **NO_RESOLVE,
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert proc.returncode == 3
    assert "internal error (KeyError)" in proc.stderr
    assert CANARY not in proc.stderr + proc.stdout
