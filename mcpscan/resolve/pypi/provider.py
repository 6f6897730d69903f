"""The resolvelib provider: pip's preferences and choices over the session's candidates."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from resolvelib import AbstractProvider

from mcpscan.resolve.pypi.candidates import (
    PYTHON,
    Cand,
    Candidate,
    PythonCand,
    PythonReq,
    Req,
    Requirement,
)
from mcpscan.resolve.pypi.session import Session

if TYPE_CHECKING:  # pragma: no cover
    from packaging.version import Version
    from resolvelib.structs import RequirementInformation


# -- the resolvelib provider ---------------------------------------------------------------


class Provider(AbstractProvider[Requirement, Candidate, str]):
    def __init__(self, session: Session, roots: Sequence[Req]) -> None:
        self.s = session
        self._root_order = {r.identifier: i for i, r in enumerate(roots)}

    def identify(self, requirement_or_candidate: Requirement | Candidate) -> str:
        return requirement_or_candidate.identifier

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[RequirementInformation[Requirement, Candidate]]],
        backtrack_causes: Sequence[RequirementInformation[Requirement, Candidate]],
    ) -> Any:
        # pip's order: pinned first, then upper-bounded, then what the user asked for.
        operators = [
            (spec.operator, spec.version)
            for info in information[identifier]
            if isinstance(info.requirement, Req)
            for spec in info.requirement.specifier
        ]
        pinned = any(op in ("==", "===") and "*" not in ver for op, ver in operators)
        upper = any(op in ("<", "<=", "~=") or (op == "==" and "*" in ver) for op, ver in operators)
        return (
            identifier != PYTHON,
            not pinned,
            not upper,
            self._root_order.get(identifier, len(self._root_order)),
            not operators,
            identifier,
        )

    def narrow_requirement_selection(
        self,
        identifiers: Iterable[str],
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[RequirementInformation[Requirement, Candidate]]],
        backtrack_causes: Sequence[RequirementInformation[Requirement, Candidate]],
    ) -> Iterable[str]:
        names = list(identifiers)
        if PYTHON in names:
            return [PYTHON]
        causes = {self.identify(c.requirement) for c in backtrack_causes}
        causes |= {c.parent.identifier for c in backtrack_causes if c.parent is not None}
        focused = [n for n in names if n in causes]
        return focused or names

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Callable[[], Iterator[Candidate]] | list[Candidate]:
        if identifier == PYTHON:
            python = self.s.env.python
            ok = all(
                r.specifier.contains(python, prereleases=True) for r in requirements.get(PYTHON, ())
            )
            return [PythonCand(python)] if ok else []
        name, _, rest = identifier.partition("[")
        extras = frozenset(rest.rstrip("]").split(",")) if rest else frozenset()
        reqs: list[Req] = [r for r in requirements.get(identifier, ()) if isinstance(r, Req)]
        if extras:
            reqs.extend(r for r in requirements.get(name, ()) if isinstance(r, Req))
        bad = {c.version for c in incompatibilities.get(identifier, ()) if isinstance(c, Cand)}
        allowed = sorted(allowed_versions(self.s.versions(name), reqs), reverse=True)
        found = [v for v in allowed if v not in bad]
        # PEP 592, as pip applies it: yanked files only for an exact pin nothing else meets.
        use_yanked = any(is_pinned(r) for r in reqs) and all(
            self.s.best(name, v)[0] is None for v in found
        )
        session = self.s

        def candidates() -> Iterator[Candidate]:
            # Lazy: resolvelib usually needs only the first, and each costs a tag check.
            for version in found:
                kept, any_file = session.best(name, version)
                file = any_file if use_yanked else kept
                if file is not None:
                    yield Cand(name, version, file, extras)

        return candidates

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:
        if isinstance(requirement, PythonReq):
            return requirement.specifier.contains(candidate.version, prereleases=True)
        if requirement.pin is not None:
            return candidate.version == requirement.pin
        return requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate: Candidate) -> list[Requirement]:
        if isinstance(candidate, PythonCand):
            return []
        deps = self.s.dependencies(candidate)
        self.s.prefetch(deps)
        return deps


def allowed_versions(table: Iterable[Version], reqs: Sequence[Req]) -> list[Version]:
    from packaging.specifiers import SpecifierSet

    merged = SpecifierSet()
    pins: set[Version] = set()
    for req in reqs:
        if req.pin is not None:
            pins.add(req.pin)
        else:
            merged &= req.specifier
    versions = [v for v in table if all(v == p for p in pins)]
    return list(merged.filter(versions, prereleases=None))


def is_pinned(req: Req) -> bool:
    if req.pin is not None:
        return True
    return any(
        s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*"))
        for s in req.specifier
    )
