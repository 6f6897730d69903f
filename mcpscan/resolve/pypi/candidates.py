"""What resolvelib works with: requirements and candidates of the PyPI resolver, and the
issues found with one candidate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcpscan.registry.pypi import DistFile

if TYPE_CHECKING:  # pragma: no cover
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version


PYTHON = "<python>"  # identifier of the target interpreter, as pip's Requires-Python
EXTRAS_IN_SPEC = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*\[([^\]]*)\]")


# -- requirements and candidates -----------------------------------------------------------


@dataclass(frozen=True)
class Req:
    name: str  # canonical
    extras: frozenset[str]
    specifier: SpecifierSet
    raw: str  # as the parent wrote it
    pin: Version | None = None  # an extras identifier's tie to its base package's version

    @property
    def identifier(self) -> str:
        return identifier_of(self.name, self.extras)


@dataclass(frozen=True)
class PythonReq:
    specifier: SpecifierSet
    raw: str

    identifier = PYTHON


@dataclass(frozen=True)
class Cand:
    name: str
    version: Version
    file: DistFile
    extras: frozenset[str] = frozenset()

    @property
    def identifier(self) -> str:
        return identifier_of(self.name, self.extras)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True)
class PythonCand:
    version: Version

    identifier = PYTHON


Requirement = Req | PythonReq
Candidate = Cand | PythonCand


def identifier_of(name: str, extras: frozenset[str]) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


@dataclass(frozen=True)
class Issue:
    """Something wrong with one candidate; reported only if that candidate is chosen."""

    name: str
    spec: str
    reason: str
    message: str
    about_dependency: bool  # True: a dependency of the candidate, False: the candidate itself
