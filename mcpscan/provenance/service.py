"""The provenance stage: every artifact of every connector checked once, concurrently.

:meth:`ProvenanceService.check` takes the connectors' graphs, checks each distinct artifact
(by purl) with the verifier of its ecosystem, and gives each connector the results for its
own nodes. An artifact of an ecosystem without a verifier is ABSENT (unknown is not fine);
a registry that cannot be reached leaves an ABSENT result *and* an ``incomplete`` note, so
the scan can say its verdict is not a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from mcpscan.errors import McpscanError
from mcpscan.models import Graph, ProvenanceResult, ResolvedPackage
from mcpscan.provenance.interface import absent

if TYPE_CHECKING:  # pragma: no cover
    from mcpscan.http import HttpClient

T = TypeVar("T")
R = TypeVar("R")


class SupportsProvenanceCheck(Protocol):
    """What the service needs of a verifier (:class:`ProvenanceVerifier` or duck-typed)."""

    def check(self, node: ResolvedPackage) -> tuple[ProvenanceResult, ...]: ...


@dataclass(frozen=True)
class ProvenanceReport:
    # One entry per graph given: None where the graph was None (not resolved).
    results: list[tuple[ProvenanceResult, ...] | None] = field(default_factory=list)
    incomplete: tuple[str, ...] = ()  # artifacts that could not be checked, and why


def build_provenance_service(
    client: HttpClient,
    *,
    npm_registry_url: str | None,
    pypi_integrity_url: str | None,
    trusted_root_path: Path | None = None,
) -> ProvenanceService:
    """The service for a scan: npm through ``npm_registry_url`` (``NpmRegistry.base_url``),
    PyPI through the Integrity API at ``pypi_integrity_url``
    (:func:`mcpscan.provenance.pypi.integrity_base_url`). An ecosystem given no URL gets no
    verifier, so its artifacts are reported ABSENT, never skipped."""
    from mcpscan.provenance.npm import NpmProvenance
    from mcpscan.provenance.pypi import PypiProvenance

    verifiers: dict[str, SupportsProvenanceCheck] = {
        "pypi": PypiProvenance(client, pypi_integrity_url),
    }
    if npm_registry_url:
        verifiers["npm"] = NpmProvenance(client, npm_registry_url, trusted_root_path)
    return ProvenanceService(verifiers, client=client)


class ProvenanceService:
    def __init__(
        self,
        verifiers: Mapping[str, SupportsProvenanceCheck],
        *,
        client: HttpClient | None = None,
    ) -> None:
        self.verifiers = dict(verifiers)
        self._map: Callable[[Callable[[ResolvedPackage], _Outcome], Iterable[ResolvedPackage]],
                            list[_Outcome]]
        self._map = client.map if client is not None else _serial_map

    def check(self, graphs: Sequence[Graph | None]) -> list[tuple[ProvenanceResult, ...] | None]:
        """The provenance results of each connector's graph, in the order given."""
        return self.check_report(graphs).results

    def check_report(self, graphs: Sequence[Graph | None]) -> ProvenanceReport:
        """:meth:`check`, with the list of artifacts that could not be checked."""
        unique: dict[str, ResolvedPackage] = {}
        for graph in graphs:
            for node in graph.nodes if graph is not None else ():
                unique.setdefault(node.purl, node)
        outcomes = dict(zip(unique, self._map(self._check_one, unique.values()), strict=True))
        results: list[tuple[ProvenanceResult, ...] | None] = [
            None if graph is None
            else tuple(r for n in _distinct(graph.nodes) for r in outcomes[n.purl].results)
            for graph in graphs
        ]
        incomplete = tuple(o.failure for o in outcomes.values() if o.failure)
        return ProvenanceReport(results=results, incomplete=incomplete)

    def _check_one(self, node: ResolvedPackage) -> _Outcome:
        verifier = self.verifiers.get(node.ecosystem)
        if verifier is None:
            reason = f"no provenance check exists for {node.ecosystem} packages"
            return _Outcome((absent(node, "unsupported", reason),))
        try:
            return _Outcome(verifier.check(node))
        except McpscanError as exc:
            # Unreachable registry, --offline cache miss, unusable trust root: not checked.
            failure = f"provenance of {node.name}@{node.version} not checked: {exc.message}"
            return _Outcome((absent(node, _KINDS.get(node.ecosystem, "unsupported"), failure),),
                            failure)


@dataclass(frozen=True)
class _Outcome:
    results: tuple[ProvenanceResult, ...]
    failure: str = ""


# The kind of the ABSENT result standing in for the checks that could not run.
_KINDS = {"pypi": "pep740", "npm": "npm-provenance"}


def _distinct(nodes: Iterable[ResolvedPackage]) -> list[ResolvedPackage]:
    return list({n.purl: n for n in nodes}.values())


def _serial_map(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    return [fn(x) for x in items]
