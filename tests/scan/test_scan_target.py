"""The target machine the CLI resolves for (``--python-version``/``--platform``): both
ecosystems must describe one machine."""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Any

import pytest

from mcpscan.errors import UsageError
from mcpscan.resolve.npm import NpmResolver
from mcpscan.resolve.pypi import PypiResolver
from mcpscan.wiring import ScanSettings, http_client, lockfiles, registries, resolvers

from .conftest import Env


def _target(env: Env, **options: Any) -> tuple[NpmResolver, PypiResolver]:
    options.setdefault("python_version", None)
    options.setdefault("target_platform", None)
    settings = ScanSettings(
        offline=True,
        cache_dir=env.tmp / "cache",
        npm_registry="http://127.0.0.1:9",
        pypi_url="http://127.0.0.1:9/simple",
        **options,
    )
    chosen = resolvers(settings, registries(settings, http_client(settings), cwd=env.cwd))
    npm, pypi = chosen["npm"], chosen["pypi"]
    assert isinstance(npm, NpmResolver)
    assert isinstance(pypi, PypiResolver)
    return npm, pypi


@pytest.fixture
def arm_linux_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")


@pytest.mark.usefixtures("arm_linux_host")
def test_only_the_python_version_chosen_keeps_this_machine(env: Env) -> None:
    npm, pypi = _target(env, python_version="3.12")
    assert (pypi.env.python_version, pypi.env.platform) == ("3.12", "linux")
    assert pypi.env.machine == "aarch64"  # not the x86_64 of a chosen Linux
    assert (npm.target.os, npm.target.arch) == ("linux", "arm64")


@pytest.mark.usefixtures("arm_linux_host")
def test_another_platform_is_one_machine_for_both_ecosystems(env: Env) -> None:
    npm, pypi = _target(env, target_platform="darwin")
    assert (pypi.env.platform, pypi.env.machine) == ("darwin", "arm64")
    # Another machine, the same default Python: the running one, to the micro version.
    assert pypi.env.python_version == ".".join(str(part) for part in sys.version_info[:3])
    assert (npm.target.os, npm.target.arch) == ("darwin", "arm64")
    npm, pypi = _target(env, target_platform="win32", python_version="3.11")
    assert (pypi.env.platform, pypi.env.machine) == ("win32", "AMD64")
    assert (npm.target.os, npm.target.arch) == ("win32", "x64")


def test_an_unusual_host_platform_still_scans(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only a --platform the user typed can be a usage error.
    monkeypatch.setattr(sys, "platform", "freebsd14")
    npm, _ = _target(env)
    assert npm.target.os == "freebsd"
    with pytest.raises(UsageError, match="--platform 'plan9'"):
        _target(env, target_platform="plan9")


def test_directory_targets_bring_their_lockfiles(env: Env) -> None:
    locks = Path(__file__).resolve().parents[1] / "fixtures" / "lockfiles"
    found, diagnostics = lockfiles(
        [
            str(locks / "npm-v3"),
            str(locks / "malformed" / "npm"),
            str(locks / "npm-v3" / "package.json"),
        ],
    )
    assert [lock.ecosystem for lock in found] == ["npm"]
    [diag] = diagnostics
    assert diag.file.endswith("package-lock.json")
    assert diag.line == 26
