"""Whole scans through the CLI against the local registry server.

Each scan runs the real typer app in-process with a fake, empty HOME, no ``MCPSCAN_*``
variables, resolution on, and the registries pointed at the local server
(``--npm-registry``/``--pypi-url``), so nothing depends on the developer's machine and no
external socket is opened.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mcpscan.cli.app import app
from tests.cli.conftest import _ISOLATE, Run
from tests.support.registry_server import RegistryServer, Route

OLD = "2024-03-01T10:00:00.000Z"  # outside every cooldown and the young-package window


def isolate(mp: pytest.MonkeyPatch, root: Path) -> Path:
    """A fake HOME and an empty working directory under ``root``; returns the latter."""
    for var in list(os.environ):
        if var.startswith(("MCPSCAN_", "PIP_", "NPM_CONFIG_", "npm_config_")) or var in _ISOLATE:
            mp.delenv(var, raising=False)
    home, cwd = root / "home", root / "work"
    home.mkdir(parents=True, exist_ok=True)
    cwd.mkdir(parents=True, exist_ok=True)
    mp.setenv("HOME", str(home))
    mp.setenv("MCPSCAN_TUF_URL", "")  # the pinned trust anchors, no TUF refresh
    mp.setenv("COLUMNS", "100")  # tables at the same width on every machine
    # These scans are about resolution; advisories, provenance and inspection (which
    # downloads the launched artifacts) have tests of their own.
    mp.setenv("MCPSCAN_ADVISORIES", "false")
    mp.setenv("MCPSCAN_PROVENANCE", "false")
    mp.setenv("MCPSCAN_INSPECT", "false")
    mp.chdir(cwd)
    return cwd


def run_scan(server: RegistryServer | str, *args: str | Path, cache: Path | None = None) -> Run:
    """``mcpscan scan ARGS`` against ``server`` (or a base URL); ``cache=None`` means
    ``--no-cache``."""
    base = server if isinstance(server, str) else server.url
    where = ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    argv = [
        "scan",
        *(str(a) for a in args),
        "--npm-registry",
        base,
        "--pypi-url",
        f"{base}/simple",
        # The recorded PyPI tree was resolved for CPython 3.11 on x86_64 Linux.
        "--python-version",
        "3.11",
        "--platform",
        "linux",
        *where,
    ]
    result = CliRunner().invoke(app, argv)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


@contextmanager
def no_sockets(mp: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Record (and refuse) every connection attempt, loopback included."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"a socket was opened to {address!r}")

    with mp.context() as inner:
        inner.setattr(socket.socket, "connect", refuse)
        yield attempts


def write_config(path: Path, servers: dict[str, dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"mcpServers": servers}, indent=2) + "\n", encoding="utf-8")
    return path


def npx(spec: str, *extra: str) -> dict[str, Any]:
    return {"command": "npx", "args": ["-y", spec, *extra]}


def uvx(spec: str) -> dict[str, Any]:
    return {"command": "uvx", "args": [spec]}


def sha512_hex(integrity: str) -> str:
    return base64.b64decode(integrity.removeprefix("sha512-")).hex()


def packument(name: str, versions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A packument shaped like the recorded ones (dist-tags, name, time, versions), with
    maintainers, a repository and old publish times so only what a test sets stands out."""
    docs: dict[str, Any] = {}
    for version, fields in versions.items():
        tarball = f"{name}@{version}".encode()
        docs[version] = {
            "name": name,
            "version": version,
            "dist": {
                "integrity": "sha512-"
                + base64.b64encode(hashlib.sha512(tarball).digest()).decode(),
                "shasum": hashlib.sha1(tarball).hexdigest(),
                "tarball": f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz",
            },
            "repository": {"type": "git", "url": f"git+https://github.com/acme/{name}.git"},
            "maintainers": [{"name": "alice"}, {"name": "bob"}],
            **fields,
        }
    return {
        "dist-tags": {"latest": list(versions)[-1]},
        "name": name,
        "time": {"created": OLD, **dict.fromkeys(versions, OLD)},
        "versions": docs,
        "maintainers": [{"name": "alice"}, {"name": "bob"}],
    }


def publish(server: RegistryServer, *docs: dict[str, Any]) -> None:
    for doc in docs:
        path = "/" + doc["name"].replace("/", "%2F")
        server.add(path, Route(body=json.dumps(doc).encode()))


@dataclass(frozen=True)
class Env:
    cwd: Path
    tmp: Path
    mp: pytest.MonkeyPatch


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    return Env(cwd=isolate(monkeypatch, tmp_path), tmp=tmp_path, mp=monkeypatch)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without the backoff sleeps (the retry count stays the CLI's own)."""
    import functools

    import mcpscan.net.http

    config: Callable[..., Any] = functools.partial(mcpscan.net.http.HttpConfig, backoff=0.0)
    monkeypatch.setattr(mcpscan.net.http, "HttpConfig", config)


def rules(report: dict[str, Any], connector: str) -> dict[str, list[dict[str, Any]]]:
    """The findings of one connector, by rule id."""
    [conn] = [c for c in report["connectors"] if c["name"] == connector]
    out: dict[str, list[dict[str, Any]]] = {}
    for f in conn["findings"]:
        out.setdefault(f["rule_id"], []).append(f)
    return out


def flat(text: str) -> str:
    """``text`` without any whitespace: rich wraps long cells over several lines."""
    return "".join(text.split())
