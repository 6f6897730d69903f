"""Registry URLs from the user's own npm and pip settings (mcpscan.registry.settings)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from mcpscan.registry import settings
from mcpscan.registry.settings import (
    DEFAULT_NPM_REGISTRY,
    DEFAULT_PYPI_INDEX_URL,
    npm_registry_url,
    npm_scope_registries,
    pypi_index_url,
)


@pytest.fixture(autouse=True)
def no_machine_pip_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """/etc/pip.conf belongs to the machine running the tests, not to the test."""
    monkeypatch.setattr(settings, "_pip_global_files", lambda env: [])


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    home = tmp_path / "home"
    project = tmp_path / "work" / "project"
    (project / "sub").mkdir(parents=True)
    home.mkdir()
    return home, project


def test_npm_default_is_the_public_registry(dirs: tuple[Path, Path]) -> None:
    home, project = dirs
    assert npm_registry_url({}, home, project) == DEFAULT_NPM_REGISTRY


def test_npm_precedence_env_project_user_global(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    home, project = dirs
    prefix = tmp_path / "prefix"
    (prefix / "etc").mkdir(parents=True)
    (prefix / "etc" / "npmrc").write_text("registry=https://global.example/npm/\n")
    env = {"npm_config_prefix": str(prefix)}
    assert npm_registry_url(env, home, project) == "https://global.example/npm"
    (home / ".npmrc").write_text("; comment\n# other\nregistry = https://user.example/\n")
    assert npm_registry_url(env, home, project) == "https://user.example"
    # The project .npmrc is found at the package root above the working directory.
    (project / "package.json").write_text("{}")
    (project / ".npmrc").write_text('registry="https://project.example/r/"\n')
    assert npm_registry_url(env, home, project / "sub") == "https://project.example/r"
    env["NPM_CONFIG_REGISTRY"] = "https://env.example"
    assert npm_registry_url(env, home, project / "sub") == "https://env.example"
    env["MCPSCAN_NPM_REGISTRY"] = "https://mcpscan.example/"
    assert npm_registry_url(env, home, project / "sub") == "https://mcpscan.example"


def test_npm_userconfig_env_and_variable_expansion(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    home, project = dirs
    other = tmp_path / "custom-npmrc"
    other.write_text("registry=https://${MIRROR_HOST}/npm/\n//x/:_authToken=secret-value\n")
    env = {"npm_config_userconfig": str(other), "MIRROR_HOST": "mirror.corp"}
    assert npm_registry_url(env, home, project) == "https://mirror.corp/npm"


def test_npm_project_without_package_json_uses_cwd(dirs: tuple[Path, Path]) -> None:
    home, project = dirs
    (project / ".npmrc").write_text("registry=https://here.example\n")
    assert npm_registry_url({}, home, project) == "https://here.example"
    # From the subdirectory (no package.json anywhere) the project .npmrc is not seen.
    assert npm_registry_url({}, home, project / "sub") == DEFAULT_NPM_REGISTRY


def test_npm_scope_registries(dirs: tuple[Path, Path]) -> None:
    home, project = dirs
    (home / ".npmrc").write_text(
        "@corp:registry=https://corp.example/npm/\n@other:registry=https://user-other.example\n"
    )
    env = {"npm_config_@other:registry": "https://env-other.example"}
    assert npm_scope_registries(env, home, project) == {
        "@other": "https://env-other.example",
        "@corp": "https://corp.example/npm",
    }


def test_pypi_default_and_env_precedence(dirs: tuple[Path, Path]) -> None:
    home, _ = dirs
    env = {"PIP_CONFIG_FILE": os.devnull}
    assert pypi_index_url(env, home) == DEFAULT_PYPI_INDEX_URL
    env["UV_INDEX_URL"] = "https://uv-old.example/simple/"
    assert pypi_index_url(env, home) == "https://uv-old.example/simple"
    env["UV_DEFAULT_INDEX"] = "https://uv.example/simple"
    assert pypi_index_url(env, home) == "https://uv.example/simple"
    env["PIP_INDEX_URL"] = "https://pip.example/simple"
    assert pypi_index_url(env, home) == "https://pip.example/simple"
    env["MCPSCAN_PYPI_INDEX_URL"] = "https://mcpscan.example/simple"
    assert pypi_index_url(env, home) == "https://mcpscan.example/simple"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pip config locations")
def test_pypi_config_files(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    home, _ = dirs
    env = {"XDG_CONFIG_DIRS": str(tmp_path / "nowhere")}
    legacy = home / ".pip" / "pip.conf"
    legacy.parent.mkdir()
    legacy.write_text("[global]\nindex-url = https://legacy.example/simple\n")
    if sys.platform != "darwin":
        assert pypi_index_url(env, home) == "https://legacy.example/simple"
        xdg = home / ".config" / "pip" / "pip.conf"
        xdg.parent.mkdir(parents=True)
        xdg.write_text(
            "[global]\nindex-url = https://global.example/simple\n"
            "[install]\nindex-url = https://install.example/simple\n"
        )
        assert pypi_index_url(env, home) == "https://install.example/simple"
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "pip.conf").write_text("[global]\nindex-url = https://venv.example/simple\n")
    env["VIRTUAL_ENV"] = str(venv)
    assert pypi_index_url(env, home) == "https://venv.example/simple"
    explicit = tmp_path / "explicit.conf"
    explicit.write_text("[global]\nindex_url = https://explicit.example/simple\n")
    env["PIP_CONFIG_FILE"] = str(explicit)
    assert pypi_index_url(env, home) == "https://explicit.example/simple"


def test_pypi_broken_config_is_ignored(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    home, _ = dirs
    broken = tmp_path / "broken.conf"
    broken.write_text("this is [not ini\n")
    env = {"PIP_CONFIG_FILE": str(broken), "XDG_CONFIG_DIRS": str(tmp_path / "nowhere")}
    assert pypi_index_url(env, home) == DEFAULT_PYPI_INDEX_URL


def test_npmrc_reading_keeps_only_registry_keys(tmp_path: Path) -> None:
    rc = tmp_path / ".npmrc"
    rc.write_text(
        "registry=https://r.example\n//r.example/:_authToken=tok-123\n"
        "_auth=abc\n@s:registry=https://s.example\n"
    )
    assert settings._read_npmrc(rc, {}) == {
        "registry": "https://r.example",
        "@s:registry": "https://s.example",
    }
