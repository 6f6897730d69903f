"""The packuments one resolver has read: fetched once per name, concurrently in batches,
with fresh copies on disk read without a request."""

from __future__ import annotations

from collections.abc import Iterable

from mcpscan.registry.interface import PackageNotFound
from mcpscan.registry.npm import NpmRegistry, Packument
from mcpscan.resolve.npm.pick import Ordered, PickFailure, descending


class Packuments:
    """Every packument a resolver has asked for (or the failure to get it), by name."""

    def __init__(self, registry: NpmRegistry) -> None:
        self.registry = registry
        self._packuments: dict[str, Packument | PickFailure] = {}
        self._full: set[str] = set()  # names whose full document is cached
        self._ordered: dict[str, tuple[Packument, Ordered]] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._packuments

    def fetched(self, name: str) -> Packument | PickFailure | None:
        """What fetching ``name`` gave, without fetching; None when it was never asked for."""
        return self._packuments.get(name)

    def prefetch(self, names: Iterable[str], *, full: bool = False) -> None:
        """Fetch every packument not yet cached, concurrently (one request per name)."""
        wanted = sorted(
            {n for n in names if n not in self._packuments or (full and n not in self._full)}
        )
        if not wanted:
            return
        # Fresh copies on disk are read here, in this thread: a warm scan then starts no
        # worker thread and opens no HTTP session at all.
        missing: list[str] = []
        for name in wanted:
            try:
                hit = self.registry.cached(name, abbreviated=not full)
            except PackageNotFound as exc:
                self._packuments[name] = PickFailure("not-found", str(exc))
                continue
            if hit is None:
                missing.append(name)
                continue
            self._packuments[name] = hit
            if full:
                self._full.add(name)
        wanted = missing

        def fetch(name: str) -> Packument | PickFailure:
            try:
                return self.registry.package(name, abbreviated=not full)
            except PackageNotFound as exc:
                return PickFailure("not-found", str(exc))

        for name, result in zip(wanted, self.registry.client.map(fetch, wanted), strict=True):
            self._packuments[name] = result
            if full and isinstance(result, Packument):
                self._full.add(name)

    def ordered(self, packument: Packument) -> Ordered:
        found = self._ordered.get(packument.name)
        if found is None or found[0] is not packument:
            found = (packument, descending(packument))
            self._ordered[packument.name] = found
        return found[1]

    def packument(self, name: str) -> Packument:
        self.prefetch([name])
        result = self._packuments[name]
        if isinstance(result, PickFailure):
            raise result
        return result
