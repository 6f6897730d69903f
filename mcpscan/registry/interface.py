"""The registry seam: package metadata from npm, PyPI (and OCI) registries."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from mcpscan.errors import RegistryError


class PackageNotFound(RegistryError):
    """The registry says the package (or version) does not exist."""


class RegistryClient(ABC):
    """Reads one registry's metadata through :class:`mcpscan.net.http.HttpClient`."""

    ecosystem: str  # "npm", "pypi"
    base_url: str

    @abstractmethod
    def package(self, name: str) -> Any:
        """The registry's document for ``name`` (npm packument, PyPI project JSON)."""
