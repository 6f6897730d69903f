"""Reading wheels and sdists as data: .pth detection, limits, hostile archives, ranges."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest

from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.registry import wheel as wheel_module
from mcpscan.registry.wheel import (
    ArchiveError,
    read_remote_wheel,
    read_sdist_pkg_info,
    read_wheel_bytes,
)
from tests.fixtures.pypi.server import FIXTURES, metadata_text, sdist_tar_gz, stand_in_wheel
from tests.support.registry_server import RegistryServer, Route

META = metadata_text("litellm", "1.82.8", ["httpx"])


def test_pth_in_archive_and_record_is_reported() -> None:
    """litellm 1.82.8 shipped litellm_init.pth: run by every Python start once installed."""
    data = stand_in_wheel(
        "litellm-1.82.8-py3-none-any.whl",
        META,
        extra={
            "litellm_init.pth": b"import os; os.system('curl ...')\n",
            "litellm/__init__.py": b"",
        },
    )
    contents = read_wheel_bytes(data, project="litellm")
    assert contents.pth_files == ("litellm_init.pth",)
    assert contents.metadata == META
    assert contents.via == "download"


def test_pth_missing_from_record_is_still_found() -> None:
    """pip installs what the archive holds; a RECORD that omits the .pth does not hide it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("demo-1.0.dist-info/METADATA", metadata_text("demo", "1.0"))
        archive.writestr("demo-1.0.dist-info/RECORD", "demo-1.0.dist-info/METADATA,,\n")
        archive.writestr("demo.data/purelib/hidden.pth", "import evil\n")
    contents = read_wheel_bytes(buffer.getvalue(), project="demo")
    assert contents.pth_files == ("demo.data/purelib/hidden.pth",)


def test_pth_listed_only_in_record_is_reported() -> None:
    data = stand_in_wheel(
        "demo-1.0-py3-none-any.whl",
        metadata_text("demo", "1.0"),
        record_only=["distutils-precedence.pth"],
    )
    assert read_wheel_bytes(data, project="demo").pth_files == ("distutils-precedence.pth",)


def test_wheel_without_pth_has_an_empty_list() -> None:
    data = (FIXTURES / "files" / "tzlocal-5.4.5-py3-none-any.whl").read_bytes()
    contents = read_wheel_bytes(data, project="tzlocal")
    assert contents.pth_files == ()
    assert b"Name: tzlocal" in contents.metadata


def test_the_projects_dist_info_is_chosen_among_several() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("vendored-2.0.dist-info/METADATA", metadata_text("vendored", "2.0"))
        archive.writestr("demo-1.0.dist-info/METADATA", metadata_text("demo", "1.0"))
    assert b"Name: demo" in read_wheel_bytes(buffer.getvalue(), project="demo").metadata
    with pytest.raises(ArchiveError, match=r"2 \.dist-info directories"):
        read_wheel_bytes(buffer.getvalue(), project="other")


def test_wheel_without_metadata_is_an_archive_error() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("demo/__init__.py", "")
    with pytest.raises(ArchiveError, match=r"no \.dist-info/METADATA"):
        read_wheel_bytes(buffer.getvalue(), project="demo")


def test_corrupt_wheel_is_an_archive_error() -> None:
    with pytest.raises(ArchiveError, match="not a readable wheel"):
        read_wheel_bytes(b"PK\x03\x04 definitely not a zip", project="demo")


def test_oversized_metadata_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wheel_module, "MAX_MEMBER_BYTES", 1000)
    data = stand_in_wheel(
        "demo-1.0-py3-none-any.whl", metadata_text("demo", "1.0", description="x" * 5000)
    )
    with pytest.raises(ArchiveError, match="limit 1000"):
        read_wheel_bytes(data, project="demo")


def test_sdist_pkg_info_from_tar_gz_and_zip() -> None:
    pkg_info = metadata_text("demo", "1.0", ["idna"], metadata_version="2.2")
    assert read_sdist_pkg_info(sdist_tar_gz("demo", "1.0", pkg_info), "demo-1.0.tar.gz") == pkg_info
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("demo-1.0/demo.egg-info/PKG-INFO", b"Name: wrong\n")  # not top-level
        archive.writestr("demo-1.0/PKG-INFO", pkg_info)
    assert read_sdist_pkg_info(buffer.getvalue(), "demo-1.0.zip") == pkg_info


def test_sdist_without_pkg_info_is_an_archive_error() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("demo-1.0/setup.py")
        info.size = 0
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(ArchiveError, match="no PKG-INFO"):
        read_sdist_pkg_info(buffer.getvalue(), "demo-1.0.tar.gz")


def test_sdist_decompression_bomb_stops_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wheel_module, "MAX_SDIST_SCAN_BYTES", 1024 * 1024)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        zeros = b"\0" * (8 * 1024 * 1024)  # compresses to a few kB
        info = tarfile.TarInfo("demo-1.0/blob")
        info.size = len(zeros)
        archive.addfile(info, io.BytesIO(zeros))
        meta = metadata_text("demo", "1.0")
        info = tarfile.TarInfo("demo-1.0/PKG-INFO")
        info.size = len(meta)
        archive.addfile(info, io.BytesIO(meta))
    assert len(buffer.getvalue()) < 64 * 1024
    with pytest.raises(ArchiveError, match="expands past"):
        read_sdist_pkg_info(buffer.getvalue(), "demo-1.0.tar.gz")


def test_unknown_sdist_compression_is_an_archive_error() -> None:
    with pytest.raises(ArchiveError, match="unknown sdist compression"):
        read_sdist_pkg_info(b"not an archive", "demo-1.0.tar.gz")


def test_suffix_range_when_the_index_gives_no_size(registry_server: RegistryServer) -> None:
    data = (FIXTURES / "files" / "tzlocal-5.4.5-py3-none-any.whl").read_bytes()
    registry_server.add("/w.whl", Route(body=data))
    client = HttpClient(HttpConfig(cache_dir=None, retries=0))
    contents = read_remote_wheel(client, f"{registry_server.url}/w.whl", project="tzlocal")
    assert contents.via == "range"
    ranges = [h.get("Range") for p, h in registry_server.requests if p == "/w.whl"]
    assert ranges[0] == f"bytes=-{wheel_module.TAIL_BYTES}"


def test_size_disagreeing_with_the_index_is_refused(registry_server: RegistryServer) -> None:
    data = (FIXTURES / "files" / "tzlocal-5.4.5-py3-none-any.whl").read_bytes()
    registry_server.add("/w.whl", Route(body=data))
    client = HttpClient(HttpConfig(cache_dir=None, retries=0))
    with pytest.raises(ArchiveError, match="the index says"):
        read_remote_wheel(
            client, f"{registry_server.url}/w.whl", project="tzlocal", size=len(data) + 10
        )
