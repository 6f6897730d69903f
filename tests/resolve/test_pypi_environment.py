"""TargetEnvironment: PEP 508 markers and wheel tags for the running or a chosen platform."""

from __future__ import annotations

import pytest
from packaging import tags
from packaging.markers import Marker, default_environment
from packaging.tags import Tag
from packaging.version import Version

from mcpscan.errors import UsageError
from mcpscan.resolve.environment import TargetEnvironment


def test_current_is_what_pip_sees_here() -> None:
    env = TargetEnvironment.current()
    assert dict(env.markers) == {k: str(v) for k, v in default_environment().items()}
    assert env.tags == tuple(tags.sys_tags())
    assert env.python == Version(default_environment()["python_full_version"])


@pytest.mark.parametrize(
    ("platform", "system", "sys_platform", "os_name", "machine"),
    [
        ("linux", "Linux", "linux", "posix", "x86_64"),
        ("darwin", "Darwin", "darwin", "posix", "arm64"),
        ("macos", "Darwin", "darwin", "posix", "arm64"),
        ("win32", "Windows", "win32", "nt", "AMD64"),
        ("Windows", "Windows", "win32", "nt", "AMD64"),
    ],
)
def test_chosen_platform_markers(
    platform: str, system: str, sys_platform: str, os_name: str, machine: str
) -> None:
    env = TargetEnvironment(python_version="3.12", platform=platform)
    markers = env.markers
    assert markers["platform_system"] == system
    assert markers["sys_platform"] == sys_platform
    assert markers["os_name"] == os_name
    assert markers["platform_machine"] == machine
    assert markers["python_version"] == "3.12"
    assert markers["python_full_version"] == "3.12.0"
    assert Marker('sys_platform == "win32"').evaluate(dict(markers)) is (sys_platform == "win32")


def test_full_python_version_is_kept() -> None:
    env = TargetEnvironment(python_version="3.13.2", platform="linux")
    assert env.python == Version("3.13.2")
    assert env.markers["python_version"] == "3.13"
    assert Marker('python_full_version >= "3.13.1"').evaluate(dict(env.markers))


@pytest.mark.parametrize("version", ["2.7", "3", "three", "3.12.1.4", ""])
def test_bad_python_version_is_a_usage_error(version: str) -> None:
    with pytest.raises(UsageError, match="unsupported Python version"):
        TargetEnvironment(python_version=version, platform="linux")


def test_bad_platform_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="choose from linux, darwin, win32"):
        TargetEnvironment(python_version="3.12", platform="solaris")


def test_linux_tags_follow_packagings_order() -> None:
    env = TargetEnvironment(python_version="3.12", platform="linux")
    ranks = env.tag_priority
    best = Tag("cp312", "cp312", "linux_x86_64")
    assert env.tags[0] == best
    assert (
        ranks[Tag("cp312", "cp312", "manylinux_2_39_x86_64")]
        < ranks[Tag("cp312", "cp312", "manylinux_2_17_x86_64")]
    )
    assert Tag("cp312", "cp312", "manylinux2014_x86_64") in ranks
    assert Tag("cp312", "abi3", "manylinux_2_34_x86_64") in ranks
    assert Tag("cp39", "abi3", "manylinux_2_17_x86_64") in ranks  # abi3 of older minors
    assert ranks[Tag("py3", "none", "any")] > ranks[Tag("cp312", "none", "any")]
    assert Tag("cp312", "cp312", "manylinux_2_40_x86_64") not in ranks
    assert Tag("cp312", "cp312", "win_amd64") not in ranks
    assert Tag("cp313", "cp313", "manylinux_2_17_x86_64") not in ranks


def test_darwin_and_windows_tags() -> None:
    mac = TargetEnvironment(python_version="3.13", platform="darwin").tag_priority
    assert Tag("cp313", "cp313", "macosx_11_0_arm64") in mac
    assert Tag("cp313", "cp313", "macosx_10_12_universal2") in mac
    assert Tag("cp313", "cp313", "macosx_11_0_x86_64") not in mac
    intel = TargetEnvironment(python_version="3.13", platform="darwin", machine="x86_64")
    assert Tag("cp313", "cp313", "macosx_10_9_x86_64") in intel.tag_priority
    assert TargetEnvironment("3.11", "win32", machine="x86_64").machine == "AMD64"
    win = TargetEnvironment(python_version="3.11", platform="win32").tag_priority
    assert Tag("cp311", "cp311", "win_amd64") in win
    assert Tag("cp311", "cp311", "win32") not in win
    assert Tag("py3", "none", "any") in win


def test_aarch64_linux() -> None:
    env = TargetEnvironment(python_version="3.12", platform="linux", machine="arm64")
    assert env.markers["platform_machine"] == "aarch64"  # Linux's spelling of arm64
    assert Tag("cp312", "cp312", "manylinux_2_17_aarch64") in env.tag_priority
    assert Tag("cp312", "cp312", "manylinux2014_aarch64") in env.tag_priority
    assert Tag("cp312", "cp312", "manylinux1_aarch64") not in env.tag_priority
