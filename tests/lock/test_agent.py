"""Signing through a real ssh-agent started by the test on a temporary socket."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpscan.lock.agent import AgentSigner, identities
from mcpscan.lock.interface import SignatureError
from mcpscan.lock.keys import load_signer
from mcpscan.lock.sshsig import parse_public_line, sign, verify
from tests.lock.keys import make_key, public_text

NS = "mcpscan-approval"
AGENT = shutil.which("ssh-agent")
SSH_ADD = shutil.which("ssh-add")
pytestmark = pytest.mark.skipif(
    AGENT is None or SSH_ADD is None, reason="ssh-agent/ssh-add are not installed"
)


@pytest.fixture
def agent(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # A short directory: a UNIX socket path must stay under ~100 bytes.
    directory = Path(tempfile.mkdtemp(prefix="mcpagent"))
    sock = directory / "agent.sock"
    assert AGENT is not None
    process = subprocess.Popen(
        [AGENT, "-D", "-a", str(sock)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while not sock.exists():
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.skip("ssh-agent did not start")
            time.sleep(0.02)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        yield sock
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


def ssh_add(key: Path, sock: Path) -> None:
    assert SSH_ADD is not None
    subprocess.run(
        [SSH_ADD, "-q", str(key)],
        check=True,
        timeout=30,
        env={**os.environ, "SSH_AUTH_SOCK": str(sock)},
        capture_output=True,
    )


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-256", "ecdsa-384"])
def test_the_agent_signs_for_a_public_key_file(agent: Path, tmp_path: Path, kind: str) -> None:
    key = make_key(tmp_path, "k", kind)
    ssh_add(key, agent)
    assert [blob for blob, _ in identities()] == [parse_public_line(public_text(key))]
    signer = load_signer(str(tmp_path / "k.pub"))
    assert isinstance(signer, AgentSigner)
    sig = sign(b"approve", signer, NS)
    assert verify(b"approve", sig, NS).public_blob == signer.public_blob


def test_a_literal_key_names_the_agent_key(agent: Path, tmp_path: Path) -> None:
    key = make_key(tmp_path, "k")
    ssh_add(key, agent)
    signer = load_signer("key::" + public_text(key))
    verify(b"m", sign(b"m", signer, NS), NS)


def test_a_key_the_agent_does_not_hold_is_refused(agent: Path, tmp_path: Path) -> None:
    ssh_add(make_key(tmp_path, "held"), agent)
    other = make_key(tmp_path, "other")
    with pytest.raises(SignatureError, match="ssh-agent does not hold key SHA256:"):
        load_signer(str(tmp_path / "other.pub"))
    assert other.exists()


def test_no_agent_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    make_key(tmp_path, "k")
    with pytest.raises(SignatureError, match="SSH_AUTH_SOCK is not set"):
        load_signer(str(tmp_path / "k.pub"))
    monkeypatch.setenv("SSH_AUTH_SOCK", str(tmp_path / "no-such.sock"))
    with pytest.raises(SignatureError, match="cannot talk to ssh-agent"):
        load_signer(str(tmp_path / "k.pub"))
