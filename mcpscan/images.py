"""The facts of a container launch and of the image it runs, as the rules, reports and
lock read them (re-exported by :mod:`mcpscan.models`; a module of its own because that one
is full).

:mod:`mcpscan.registry.oci` fills them from the registry: the digest a tag points to, the
platform manifest chosen from an image index, and what the image's config blob says.
"""

from __future__ import annotations

import platform as _platform
import re
from dataclasses import dataclass

# Go's GOARCH names (what image indexes use) for the machine names Python reports.
_GOARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "armv6l": "arm",
    "i386": "386",
    "i686": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}
_PART = re.compile(r"^[a-z0-9._-]{1,32}$")


@dataclass(frozen=True, order=True)
class Platform:
    """An image platform (``linux/amd64``, ``linux/arm/v7``)."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base

    @classmethod
    def parse(cls, text: str) -> Platform:
        """``OS/ARCH[/VARIANT]``; raises ValueError for anything else."""
        parts = text.strip().lower().split("/")
        if not 2 <= len(parts) <= 3 or not all(_PART.match(p) for p in parts):
            raise ValueError(f"{text!r} is not OS/ARCH or OS/ARCH/VARIANT (e.g. linux/amd64)")
        return cls(*parts)

    @classmethod
    def current(cls) -> Platform:
        """What ``docker run`` on this machine pulls: Linux images (Docker Desktop runs
        them in a Linux VM) for this CPU."""
        machine = _platform.machine().lower()
        arch = _GOARCH.get(machine, machine or "amd64")
        variant = {"armv7l": "v7", "armv6l": "v6"}.get(machine, "")
        return cls("linux", arch, variant)

    @property
    def normalised_variant(self) -> str:
        """The variant with containerd's defaults (arm64 -> v8, arm -> v7)."""
        if self.variant:
            return self.variant
        return {"arm64": "v8", "arm": "v7"}.get(self.architecture, "")


@dataclass(frozen=True)
class ImageFacts:
    """What the registry says about one image reference, resolved.

    ``digest`` is what the tag pointed to (an index for a multi-arch image): the value a
    pin ``image@digest`` fixes. ``manifest_digest`` is the platform manifest under it.
    """

    repository: str  # host/path, normalised (docker.io/library/x)
    digest: str
    media_type: str
    platform: Platform | None  # None: a single-platform manifest that says none
    manifest_digest: str
    config_digest: str
    tag: str | None = None  # the tag that was resolved, if one was
    platforms: tuple[Platform, ...] = ()  # every platform an index offers
    created: str | None = None  # ISO 8601, as the config says (it is the builder's claim)
    user: str | None = None  # config User; "" when the image sets none (root)
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    exposed_ports: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    def label(self, name: str) -> str | None:
        return dict(self.labels).get(name)

    @property
    def pinned_reference(self) -> str:
        """``repository@digest``: the exact pin of what was resolved."""
        return f"{self.repository}@{self.digest}"

    @property
    def runs_as_root(self) -> bool:
        """The image's own user is root: none set, ``root``, or uid 0 (``0:0``, ``root:x``)."""
        user = (self.user or "").split(":", 1)[0].strip()
        return user in ("", "root", "0")


@dataclass(frozen=True)
class ContainerFacts:
    """Security-relevant flags of a `docker|podman run`."""

    image: str
    privileged: bool = False
    host_network: bool = False
    host_pid: bool = False
    cap_add: tuple[str, ...] = ()
    mounts: tuple[str, ...] = ()  # host side of -v/--mount
    security_opts: tuple[str, ...] = ()
    env_literals: tuple[str, ...] = ()  # names passed as -e KEY=value
    user: str | None = None  # -u/--user: overrides the image's own user
