"""Files that are not what they claim: a FIFO, a device, a socket, a dangling or looping link,
an unreadable file where a config, a lock or a policy belongs.

None of them may hang a scan (each test runs under a short pytest timeout, and the FIFO
tests would block forever on an ``open``), none may be skipped in silence, and a lock or
policy that exists but cannot be read is an error (exit 2), never "no lock".
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mcpscan.fileio import FileReadError, file_problem, read_bounded

from .conftest import REPO, CliFn, Workspace, write_json

GOOD = {"mcpServers": {"fine": {"command": "npx", "args": ["-y", "fine-mcp@1.0.0"]}}}
pytestmark = pytest.mark.timeout(20)


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_device(path: Path) -> None:
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # like /dev/zero: never ends
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD, which this run does not have")


@pytest.fixture
def unix_socket() -> Iterator[Callable[[Path], None]]:
    opened: list[socket.socket] = []

    def make(path: Path) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(path))
        opened.append(sock)

    yield make
    for sock in opened:
        sock.close()


def dangling(path: Path) -> None:
    path.symlink_to(path.parent / "gone.json")


def loop(path: Path) -> None:
    other = path.parent / "other.json"
    path.symlink_to(other)
    other.symlink_to(path)


KINDS: dict[str, tuple[Callable[[Path], None] | str, str]] = {
    "fifo": (make_fifo, "is a FIFO (named pipe)"),
    "device": (make_device, "is a character device"),
    "socket": ("unix_socket", "is a socket"),
    "dangling-link": (dangling, "is a dangling symbolic link"),
    "link-loop": (loop, "is a symbolic link loop"),
}


def create(kind: str, path: Path, request: pytest.FixtureRequest) -> str:
    maker, reason = KINDS[kind]
    if isinstance(maker, str):
        maker = request.getfixturevalue(maker)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert callable(maker)
    maker(path)
    return reason


@pytest.mark.parametrize("kind", list(KINDS))
def test_read_bounded_refuses_without_opening(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    target = tmp_path / "x.json"
    reason = create(kind, target, request)
    assert file_problem(target) == reason
    with pytest.raises(FileReadError, match=reason.split(" (")[0]):
        read_bounded(target)


def test_read_bounded_caps_the_size(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2000)
    assert read_bounded(big, limit=2000) == b" " * 2000
    with pytest.raises(FileReadError, match="larger than 1000 bytes"):
        read_bounded(big, limit=1000)


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_directory_config_that_is_not_a_file_is_named_and_the_scan_incomplete(
    kind: str, cli: CliFn, workspace: Workspace, request: pytest.FixtureRequest
) -> None:
    project = workspace.cwd / "proj"
    write_json(project / ".vscode" / "mcp.json", {"servers": GOOD["mcpServers"]})
    reason = create(kind, project / ".mcp.json", request)
    run = cli("scan", project, "-f", "json")
    assert run.code == 3, run.stderr
    assert f"proj/.mcp.json: this file {reason}; not read" in run.stderr
    report = json.loads(run.stdout)
    assert report["incomplete"] is True
    assert [c["name"] for c in report["connectors"]] == ["fine"]


@pytest.mark.parametrize("kind", ["fifo", "dangling-link"])
def test_a_file_target_that_is_not_a_file_is_an_input_error(
    kind: str, cli: CliFn, workspace: Workspace, request: pytest.FixtureRequest
) -> None:
    target = workspace.cwd / "mcp.json"
    reason = create(kind, target, request)
    run = cli("scan", target)
    assert run.code == 2, run.stderr
    assert f"mcp.json: this file {reason}" in run.stderr


@pytest.mark.parametrize("kind", ["fifo", "dangling-link", "link-loop"])
@pytest.mark.parametrize("option", ["--lock", "--policy"])
def test_a_named_lock_or_policy_that_cannot_be_read_is_exit_2(
    kind: str, option: str, cli: CliFn, workspace: Workspace, request: pytest.FixtureRequest
) -> None:
    config = write_json(workspace.cwd / ".mcp.json", GOOD)
    bad = workspace.cwd / ("approvals.lock" if option == "--lock" else "policy.toml")
    reason = create(kind, bad, request)
    run = cli("scan", config, option, bad)
    assert run.code == 2, run.stderr
    if kind == "fifo" or option == "--policy":
        assert reason in run.stderr
    assert str(bad) in run.stderr or bad.name in run.stderr


@pytest.mark.parametrize("kind", ["fifo", "dangling-link", "link-loop"])
@pytest.mark.parametrize("name", ["mcpscan.lock", "mcpscan.toml"])
def test_an_implicit_lock_or_policy_that_cannot_be_read_is_exit_2(
    kind: str, name: str, cli: CliFn, workspace: Workspace, request: pytest.FixtureRequest
) -> None:
    config = write_json(workspace.cwd / ".mcp.json", GOOD)
    reason = create(kind, workspace.cwd / name, request)
    run = cli("scan", config)
    assert run.code == 2, run.stderr  # never "no lock", which turns approvals off
    assert name in run.stderr
    assert reason in run.stderr


# The interpreter's own files may not be readable by "nobody" (a pyenv under /root): the
# same scan runs once as root on a readable copy first, so every module it needs is
# imported, and only then are the privileges dropped.
_AS_NOBODY = """
import contextlib, os, sys
sys.path.insert(0, sys.argv[1])
from mcpscan.cli import main
with contextlib.suppress(SystemExit), open(os.devnull, "w") as null, \
        contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
    main(["scan", sys.argv[2], *sys.argv[4:]])
os.setgid(65534)
os.setuid(65534)
main(["scan", sys.argv[3], *sys.argv[4:]])
"""


@pytest.mark.timeout(60)
def test_an_unreadable_config_is_named_and_the_scan_incomplete(tmp_path: Path) -> None:
    # Root reads a mode-000 file anyway, so the scan runs as "nobody" in a subprocess.
    if os.geteuid() != 0:
        pytest.skip(
            "needs root to drop to another user; as a normal user chmod 000 works "
            "but then so does this test's other cases"
        )
    base = Path("/tmp") / f"mcpscan-unreadable-{os.getpid()}"
    project = base / "proj"
    try:
        write_json(project / ".vscode" / "mcp.json", {"servers": GOOD["mcpServers"]})
        secret = write_json(project / ".mcp.json", GOOD)
        secret.chmod(0)
        for d in (base, project, project / ".vscode"):
            d.chmod(0o755)
        (project / ".vscode" / "mcp.json").chmod(0o644)
        home = base / "home"
        home.mkdir(mode=0o755)
        warmup = base / "warmup"
        write_json(warmup / ".vscode" / "mcp.json", {"servers": GOOD["mcpServers"]})
        write_json(warmup / ".mcp.json", GOOD)
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                _AS_NOBODY,
                str(REPO),
                str(warmup),
                str(project),
                "-f",
                "json",
                "--no-resolve",
            ],
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8"},
            cwd=str(base),
            capture_output=True,
            text=True,
            timeout=50,
            check=False,
        )
        assert proc.returncode == 3, proc.stderr
        assert ".mcp.json: this file cannot be read (permission denied)" in proc.stderr
        assert json.loads(proc.stdout)["incomplete"] is True
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)
