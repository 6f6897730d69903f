"""The Python environment a PyPI resolution targets.

A launcher such as ``uvx`` installs for one interpreter on one platform, and two things depend
on that choice: PEP 508 markers (``pywin32; sys_platform == "win32"``) and which wheels are
installable (their tags). By default the target is the interpreter running mcpscan, exactly as
pip sees it; ``--python-version``/``--platform`` describe another machine, so a CI runner on
Linux can scan what a developer's Mac would install.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from mcpscan.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from packaging.tags import Tag
    from packaging.version import Version

PLATFORMS = ("linux", "darwin", "win32")
_PLATFORM_ALIASES = {
    "linux": "linux",
    "darwin": "darwin",
    "macos": "darwin",
    "mac": "darwin",
    "win32": "win32",
    "windows": "win32",
    "win": "win32",
}
_DEFAULT_MACHINE = {"linux": "x86_64", "darwin": "arm64", "win32": "AMD64"}
_SYSTEM = {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}
_MACHINE_SPELLING = {
    "linux": {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"},
    "darwin": {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"},
    "win32": {
        "x86_64": "AMD64",
        "amd64": "AMD64",
        "x64": "AMD64",
        "arm64": "ARM64",
        "aarch64": "ARM64",
    },
}
# A chosen Linux target is a current glibc distribution (Ubuntu 24.04 ships 2.39); pip itself
# would use the running machine's glibc, which is what current() does.
LINUX_GLIBC_MAX = 39
# A chosen macOS target is a current release; older wheels stay compatible through the tags.
MACOS_VERSION = (14, 0)
_PY_VERSION = re.compile(r"^3\.(\d{1,2})(?:\.(\d{1,3}))?$")


@dataclass(frozen=True)
class TargetEnvironment:
    """Where the resolved packages would be installed.

    ``python_version`` is ``"3.12"`` or ``"3.12.4"``; ``platform`` is a ``sys.platform``
    value (``linux``, ``darwin``, ``win32``); ``machine`` defaults to the usual CPU of that
    platform (``x86_64``, ``arm64``, ``AMD64``).
    """

    python_version: str
    platform: str
    machine: str = ""
    # Set only by current(): the running interpreter's own markers and tags.
    _native: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        match = _PY_VERSION.match(self.python_version.strip())
        if match is None:
            raise UsageError(
                f"unsupported Python version {self.python_version!r} "
                "(expected 3.X or 3.X.Y, e.g. 3.12)"
            )
        plat = _PLATFORM_ALIASES.get(self.platform.strip().lower())
        if plat is None:
            raise UsageError(
                f"unsupported platform {self.platform!r} (choose from {', '.join(PLATFORMS)})"
            )
        object.__setattr__(self, "python_version", self.python_version.strip())
        object.__setattr__(self, "platform", plat)
        machine = self.machine.strip() or _DEFAULT_MACHINE[plat]
        if not self._native:
            # Each OS spells the same CPU its own way in platform.machine().
            machine = _MACHINE_SPELLING[plat].get(machine.lower(), machine)
        object.__setattr__(self, "machine", machine)

    @classmethod
    def current(cls) -> TargetEnvironment:
        """The running interpreter and platform, as pip run here would see them."""
        import platform as _platform

        info = sys.version_info
        plat = sys.platform if sys.platform in PLATFORMS else "linux"
        return cls(
            python_version=f"{info.major}.{info.minor}.{info.micro}",
            platform=plat,
            machine=_platform.machine() or _DEFAULT_MACHINE[plat],
            _native=sys.platform in PLATFORMS,
        )

    @property
    def description(self) -> str:
        return f"Python {self.python_version} on {self.platform} ({self.machine})"

    @cached_property
    def python(self) -> Version:
        """The full interpreter version (``3.12`` means ``3.12.0``), for Requires-Python."""
        from packaging.version import Version

        return Version(self.markers["python_full_version"])

    @cached_property
    def markers(self) -> Mapping[str, str]:
        """The PEP 508 marker environment (without ``extra``, which is per requirement)."""
        if self._native:
            from packaging.markers import default_environment

            return {key: str(value) for key, value in default_environment().items()}
        match = _PY_VERSION.match(self.python_version)
        assert match is not None  # checked in __post_init__
        minor, micro = match.group(1), match.group(2) or "0"
        full = f"3.{minor}.{micro}"
        return {
            "implementation_name": "cpython",
            "implementation_version": full,
            "os_name": "nt" if self.platform == "win32" else "posix",
            "platform_machine": self.machine,
            "platform_release": "",
            "platform_system": _SYSTEM[self.platform],
            "platform_version": "",
            "python_full_version": full,
            "platform_python_implementation": "CPython",
            "python_version": f"3.{minor}",
            "sys_platform": self.platform,
        }

    @cached_property
    def tags(self) -> tuple[Tag, ...]:
        """Compatible wheel tags, most preferred first (pip's order)."""
        from packaging import tags

        if self._native:
            return tuple(tags.sys_tags())
        minor = int(self.markers["python_version"].split(".")[1])
        version = (3, minor)
        platforms = self._platform_tags()
        return (
            *tags.cpython_tags(version, abis=[f"cp3{minor}"], platforms=platforms),
            *tags.compatible_tags(version, interpreter=f"cp3{minor}", platforms=platforms),
        )

    @cached_property
    def tag_priority(self) -> Mapping[Tag, int]:
        """Tag -> rank (0 is best), for choosing among a version's wheels."""
        ranks: dict[Tag, int] = {}
        for rank, tag in enumerate(self.tags):
            ranks.setdefault(tag, rank)
        return ranks

    def _platform_tags(self) -> list[str]:
        from packaging import tags

        arch = self.machine.lower()
        if self.platform == "win32":
            return [{"amd64": "win_amd64", "arm64": "win_arm64"}.get(arch, "win32")]
        if self.platform == "darwin":
            return list(tags.mac_platforms(MACOS_VERSION, arch))
        plats = [f"manylinux_2_{minor}_{arch}" for minor in range(LINUX_GLIBC_MAX, 4, -1)]
        # packaging's order: the bare linux tag, then manylinux newest first with each legacy
        # alias right after the glibc version it stands for.
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        ordered = [f"linux_{arch}"]
        for plat in plats:
            ordered.append(plat)
            minor = int(plat.split("_")[2])
            if (
                minor in legacy
                and (minor != 17 or arch in _MANYLINUX2014_ARCHES)
                and (minor == 17 or arch in ("x86_64", "i686"))
            ):
                ordered.append(f"{legacy[minor]}_{arch}")
        return ordered


_MANYLINUX2014_ARCHES = ("x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x")
