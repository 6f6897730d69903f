"""Checks over what was read inside the launched artifacts (``--verify-artifacts``).

SC15 manifest-confusion: the tarball's ``package.json`` is not the one the registry shows;
an install-time script the registry hides is critical, any other difference high.
SC16 unsafe-archive-entry: an entry an unpacker would write outside the package, a link, a
device file or a FIFO, or an archive that cannot be read at all.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpscan.inspect.npm_tarball import ARCHIVE_KIND, HIDDEN_INSTALL_KIND, MANIFEST_KIND
from mcpscan.models import Severity
from mcpscan.ruleset.interface import ConnectorFacts, Hit
from mcpscan.ruleset.policy import Policy
from mcpscan.ruleset.registry import check


@check("manifest_confusion")
def manifest_confusion(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for result in facts.invalid(HIDDEN_INSTALL_KIND, MANIFEST_KIND):
        if result.kind == HIDDEN_INSTALL_KIND:
            problem = "the tarball runs code at install that the registry document does not show"
            yield Hit.of_result(facts, result, problem, severity=Severity.CRITICAL)
        else:
            problem = "the tarball's package.json differs from the registry document"
            yield Hit.of_result(facts, result, problem)


@check("unsafe_archive")
def unsafe_archive(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for result in facts.invalid(ARCHIVE_KIND):
        yield Hit.of_result(facts, result, "unsafe archive content")
