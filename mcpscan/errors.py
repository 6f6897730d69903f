"""Errors that carry their own user-facing message.

Each seam has one base error; the CLI maps error classes to exit codes in one place
(:mod:`mcpscan.cli.exit_codes`). Messages must never contain a config value: callers pass
names, files and lines, not values.
"""

from __future__ import annotations


class McpscanError(Exception):
    """Base class. ``str(err)`` is the message shown to the user."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}: {self.message}"
        if self.file:
            return f"{self.file}: {self.message}"
        return self.message


class UsageError(McpscanError):
    """The command line itself is wrong."""


class InputError(McpscanError):
    """An input file (config, server.json, lockfile) cannot be read or parsed."""


class PolicyError(McpscanError):
    """The policy file is unreadable or invalid."""


class RulesError(McpscanError):
    """The rule catalogue is unreadable or invalid."""


class NetworkError(McpscanError):
    """A registry or advisory source could not be reached or answered badly."""


class OfflineCacheMiss(NetworkError):
    """--offline was given and the needed data is not in the cache."""


class RegistryError(McpscanError):
    """A registry answered, but the answer is unusable."""


class NotFoundError(RegistryError):
    """The registry answered 404/410: the package or version does not exist there.

    ``body`` is the start of the answer (at most :data:`NOT_FOUND_BODY_BYTES`): an API's own
    "no such thing" (PyPI's Integrity API says which file has no provenance) tells it apart
    from a server that has no such route at all."""

    def __init__(self, message: str, *, body: bytes = b"") -> None:
        super().__init__(message)
        self.body = body[:NOT_FOUND_BODY_BYTES]


NOT_FOUND_BODY_BYTES = 4096


class ResolutionError(McpscanError):
    """A dependency graph could not be resolved."""


class ProvenanceError(McpscanError):
    """Provenance material could not be processed (distinct from 'invalid')."""


class AdvisoryError(McpscanError):
    """An advisory source failed."""


class ReportError(McpscanError):
    """A report could not be rendered or written."""


class DeadlineExceeded(NetworkError):
    """A request, or the whole scan, ran past its time limit (``--timeout``)."""


class CacheError(McpscanError):
    """The on-disk cache cannot be used (corrupt, locked for too long, unwritable)."""
