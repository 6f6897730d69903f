"""SC20 risky-release-change: what the launched version adds against its previous release
on the registry, or against the version approved in mcpscan.lock.

The changes and their severities are :mod:`mcpscan.inspect.release_diff`'s: a new e-mail
address on a mail-sending line is critical (postmark-mcp 1.0.16), a new install hook,
native binary, raw IP or exfiltration-shaped host high, a new host or encoded blob medium,
a new dependency low. One finding per package and baseline, at its most severe change,
with the changes as evidence.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpscan.inspect.release_diff import ReleaseDiff
from mcpscan.models import Severity
from mcpscan.ruleset.interface import ConnectorFacts, Hit
from mcpscan.ruleset.policy import Policy
from mcpscan.ruleset.registry import check


@check("risky_release_change")
def risky_release_change(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for diff in facts.releases or ():
        risky = diff.risky
        if not risky:
            if not diff.compared and not _first_release(diff):
                # Not compared (a baseline over a limit or not downloadable): said, at info
                # level, so a diff that did not happen is never a silent pass.
                yield Hit(
                    f"{diff.label}: not compared with the {diff.against}",
                    evidence="; ".join(diff.unknown),
                    component=diff.purl,
                    severity=Severity.INFO,
                )
            continue
        kinds = ", ".join(dict.fromkeys(c.kind for c in sorted(risky, key=lambda c: -c.severity)))
        yield Hit(
            f"{diff.label}: {kinds} new since the {diff.against} {diff.baseline}",
            evidence=diff.summary(),
            component=diff.purl,
            severity=diff.severity,
        )


def _first_release(diff: ReleaseDiff) -> bool:
    return any(u.endswith("is the first release") for u in diff.unknown)
