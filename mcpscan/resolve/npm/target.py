"""The target machine in node's terms, and npm's ``os``/``cpu``/``libc`` checks against it."""

from __future__ import annotations

import platform as _platform
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from mcpscan.registry.npm import NpmVersion

# -- target platform --------------------------------------------------------------------

_ARCH = {
    "x86_64": "x64",
    "amd64": "x64",
    "x64": "x64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv8l": "arm64",
    "i386": "ia32",
    "i486": "ia32",
    "i586": "ia32",
    "i686": "ia32",
    "x86": "ia32",
    "armv6l": "arm",
    "armv7l": "arm",
    "arm": "arm",
    "ppc64le": "ppc64",
    "ppc64": "ppc64",
    "s390x": "s390x",
    "riscv64": "riscv64",
    "loongarch64": "loong64",
    "mips64": "mips64el",
}


def npm_os(py_platform: str = sys.platform) -> str:
    """Python's ``sys.platform`` as node's ``process.platform`` ("freebsd14" -> "freebsd")."""
    if py_platform.startswith(("win", "cygwin", "msys")):
        return "win32"
    return re.sub(r"\d+$", "", py_platform)


def npm_arch(machine: str | None = None) -> str:
    """``platform.machine()`` as node's ``process.arch`` (x86_64 -> x64, aarch64 -> arm64)."""
    raw = (machine if machine is not None else _platform.machine()).lower()
    return _ARCH.get(raw, raw)


def npm_libc(os_name: str) -> str | None:
    """npm's libc detection: only Linux has one; glibc unless the C library says musl."""
    if os_name != "linux":
        return None
    lib, _ = _platform.libc_ver()
    return "glibc" if lib == "glibc" else "musl"


def check_list(value: str | None, allowed: tuple[str, ...]) -> bool:
    """npm-install-checks ``checkList``: ``!x`` excludes, any plain entry must match."""
    if allowed == ("any",):
        return True
    negated, match = 0, False
    for entry in allowed:
        if entry.startswith("!"):
            negated += 1
            if value == entry[1:]:
                return False
        else:
            match = match or value == entry
    return match or negated == len(allowed)


@dataclass(frozen=True)
class Target:
    """The machine an install is for; ``os=None`` accepts packages of every platform (what a
    package-lock.json lists). ``node_version`` and ``npm_version`` enable npm's
    ``engines`` preference (:mod:`mcpscan.resolve.npm.node`)."""

    os: str | None
    arch: str | None
    libc: str | None
    node_version: str | None = None
    npm_version: str | None = None

    def accepts(self, pkg: NpmVersion) -> bool:
        """Whether npm would install ``pkg`` here (its ``os``, ``cpu`` and ``libc`` lists)."""
        if self.os is None:
            return True
        if pkg.os and not check_list(self.os, pkg.os):
            return False
        if pkg.cpu and not check_list(self.arch, pkg.cpu):
            return False
        return not pkg.libc or (self.libc is not None and check_list(self.libc, pkg.libc))
