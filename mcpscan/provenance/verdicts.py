"""Provenance verdicts kept between scans: a warm scan re-verifies nothing whose evidence
cannot have changed.

A verdict is the results of every check of one artifact (signatures, attestations, PEP 740,
integrity). It is stored under a key made of everything it depends on:

* mcpscan's version and the versions of the verifying libraries (sigstore,
  pypi-attestations), and the shape of the result model;
* each verifier's scan-wide inputs (:meth:`ProvenanceVerifier.verdict_inputs`): the
  registry URL, the digests of the Sigstore trust root and of the npm registry keys in use
  (so a TUF refresh that changes either re-verifies everything), the keys and trust root
  the user named (policy ``[npm] keys``, ``--npm-keys``, ``--trusted-root``), what the
  registry's own keys endpoint contradicts, and the integrity settings;
* the artifact itself: the whole graph node (purl, digests, registry facts, how it was
  decided) and whether it is a root.

With it are stored the digests of the evidence the checks read (version documents,
attestation bundles, PEP 740 provenance, index pages: :mod:`mcpscan.net.evidence`) and
``until``, the earliest time at which the HTTP cache would stop serving one of those
answers unchanged. Online, a verdict is used only before ``until`` (and never longer than
one TTL): during that window the same checks would read the very same bytes. After it, the
artifact is checked again from fresh evidence and the entry replaced, so a changed
attestation is re-verified. ``--offline`` serves the cache at any age, so it uses the last
verdict at any age. A check that could not finish (a source unreachable) is never stored,
and a verifier without :meth:`verdict_inputs` is never cached.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mcpscan import __version__
from mcpscan._internal.records import decode, encode, model_shape
from mcpscan.models import ProvenanceResult, ResolvedPackage
from mcpscan.net.store import PROVENANCE_VERDICTS

if TYPE_CHECKING:  # pragma: no cover
    from mcpscan.net.evidence import Evidence
    from mcpscan.net.http import HttpClient
    from mcpscan.net.store import DocumentStore

# The libraries whose verification a verdict records.
_LIBRARIES = ("sigstore", "pypi-attestations")


class VerdictStore:
    """The verdicts of one scan's cache directory; see the module docstring."""

    def __init__(self, store: DocumentStore, *, offline: bool, ttl: float) -> None:
        self.store = store
        self.offline = offline
        self.ttl = ttl

    @classmethod
    def open(cls, client: HttpClient) -> VerdictStore | None:
        """The store under the client's cache directory; None with --no-cache."""
        shape = "verdict-" + model_shape(ProvenanceResult)
        store = client.document_store(PROVENANCE_VERDICTS, shape=shape, immutable=True)
        if store is None:
            return None
        return cls(store, offline=client.config.offline, ttl=float(client.config.ttl_seconds))

    @staticmethod
    def key(inputs: Mapping[str, Any], node: ResolvedPackage, *, root: bool) -> str:
        """The key of ``node``'s verdict under the scan-wide ``inputs`` (JSON-able)."""
        text = json.dumps(
            {
                "mcpscan": __version__,
                "libraries": _library_versions(),
                "inputs": inputs,
                "node": encode(node),
                "root": root,
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def load(self, key: str) -> tuple[ProvenanceResult, ...] | None:
        """The stored verdict while its evidence is current (any age offline)."""
        entry = self.store.load(key)
        if entry is None or not isinstance(entry.payload, dict):
            return None
        try:
            until = float(entry.payload["until"])
            if not self.offline and time.time() >= min(until, entry.stored_at + self.ttl):
                return None
            found = decode(tuple[ProvenanceResult, ...], entry.payload["results"])
        except (KeyError, TypeError, ValueError):
            return None
        return found if isinstance(found, tuple) and found else None

    def save(self, key: str, results: tuple[ProvenanceResult, ...], evidence: Evidence) -> None:
        """Keep a finished verdict while the evidence it was made from stays current."""
        now = time.time()
        until = min(evidence.until, now + self.ttl)
        if not results or (until <= now and not self.offline):
            return
        self.store.save(
            key,
            {"until": until, "evidence": evidence.digests, "results": encode(results)},
        )


@functools.cache
def _library_versions() -> tuple[tuple[str, str], ...]:
    from importlib.metadata import PackageNotFoundError, version

    found: list[tuple[str, str]] = []
    for name in _LIBRARIES:
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            found.append((name, ""))
    return tuple(found)
