"""The lock seam: read and write the approval lock."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from mcpscan.errors import InputError
from mcpscan.lock.model import Lock


class LockError(InputError):
    """The approval lock cannot be read, or an entry in it is invalid (exit 2)."""


class SignatureError(LockError):
    """An approval signature that cannot be read, made or checked, or a signing key that
    cannot be used; the message says why."""


class LockStore(ABC):
    @abstractmethod
    def read(self, path: Path) -> Lock:
        """Read and validate a lock; raise :class:`LockError` naming file and line."""

    @abstractmethod
    def write(self, lock: Lock, path: Path) -> None:
        """Write ``lock`` to ``path`` atomically, entries in a stable order."""
