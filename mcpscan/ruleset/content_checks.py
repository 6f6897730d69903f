"""Checks over what was read inside the launched artifacts (``--verify-artifacts``).

SC15 manifest-confusion: the tarball's ``package.json`` is not the one the registry shows;
an install-time script the registry hides is critical, any other difference high.
SC16 unsafe-archive-entry: an entry an unpacker would write outside the package, a link, a
device file or a FIFO, or an archive that cannot be read at all.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpscan.inspect.npm_tarball import ARCHIVE_KIND, HIDDEN_INSTALL_KIND, MANIFEST_KIND
from mcpscan.models import ProvenanceState, Severity
from mcpscan.ruleset.interface import ConnectorFacts, Hit
from mcpscan.ruleset.policy import Policy
from mcpscan.ruleset.registry import check


def _label(facts: ConnectorFacts, purl: str) -> str:
    for node in facts.graph.nodes if facts.graph is not None else ():
        if node.purl == purl:
            return f"{node.name}@{node.version}"
    return purl


@check("manifest_confusion")
def manifest_confusion(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for result in facts.provenance or ():
        if result.state is not ProvenanceState.INVALID:
            continue
        if result.kind == HIDDEN_INSTALL_KIND:
            yield Hit(
                f"{_label(facts, result.purl)}: the tarball runs code at install that "
                "the registry document does not show",
                evidence=result.reason,
                component=result.purl,
                severity=Severity.CRITICAL,
            )
        elif result.kind == MANIFEST_KIND:
            yield Hit(
                f"{_label(facts, result.purl)}: the tarball's package.json differs from "
                "the registry document",
                evidence=result.reason,
                component=result.purl,
            )


@check("unsafe_archive")
def unsafe_archive(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for result in facts.provenance or ():
        if result.state is ProvenanceState.INVALID and result.kind == ARCHIVE_KIND:
            yield Hit(
                f"{_label(facts, result.purl)}: unsafe archive content",
                evidence=result.reason,
                component=result.purl,
            )
