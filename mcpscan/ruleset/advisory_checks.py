"""Checks over the advisories that apply to a connector's packages (SC05, SC06).

Every message names the advisory id as a whole word, so a waiver naming the id (or one of
its aliases) matches it, and says which version fixes it.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpscan.models import AdvisoryHit, Severity
from mcpscan.ruleset.interface import ConnectorFacts, Hit
from mcpscan.ruleset.policy import Policy
from mcpscan.ruleset.registry import check


def _ids(hit: AdvisoryHit) -> str:
    adv = hit.advisory
    return f"{adv.id} ({', '.join(adv.aliases)})" if adv.aliases else adv.id


def _package(hit: AdvisoryHit) -> str:
    return f"{hit.name}@{hit.version}" if hit.version else hit.name


def _evidence(hit: AdvisoryHit, *extra: str) -> str:
    parts = [f"path: {' > '.join(hit.path)}" if hit.path else ""]
    parts += [p for p in extra if p]
    if hit.advisory.url:
        parts.append(hit.advisory.url)
    return "; ".join(p for p in parts if p)


def _fix(hit: AdvisoryHit) -> str:
    if hit.fixed:
        return f"upgrade {hit.name} to {hit.fixed[0]} or later"
    return f"no fixed version of {hit.name} is known"


@check("known_vulnerability")
def known_vulnerability(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for hit in facts.advisories or ():
        adv = hit.advisory
        if adv.malicious or hit.version is None:
            continue
        summary = f": {adv.summary}" if adv.summary else ""
        rated = f"severity {adv.severity.label} ({adv.severity_basis})" if adv.severity else ""
        yield Hit(
            f"{_package(hit)} is affected by {_ids(hit)}{summary}; {_fix(hit)}",
            evidence=_evidence(hit, rated),
            component=hit.purl,
            severity=adv.severity,
            remediation=_fix(hit).capitalize() + ".",
            cvss=adv.cvss,
        )


@check("known_malicious")
def known_malicious(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for hit in facts.advisories or ():
        adv = hit.advisory
        if not adv.malicious:
            continue
        summary = f": {adv.summary}" if adv.summary else ""
        if hit.version is None:
            what = (
                f"{hit.name} (no version pinned or resolvable) has releases known to be "
                f"malicious, {_ids(hit)}{summary}; whatever version the launcher fetches "
                "cannot be shown to be clean"
            )
        else:
            what = f"{_package(hit)} is known to be malicious, {_ids(hit)}{summary}"
        yield Hit(
            what,
            evidence=_evidence(hit),
            component=hit.purl,
            severity=Severity.CRITICAL,
            remediation=f"Remove {hit.name} and rotate every credential the connector could "
            "read: a malicious release had them.",
        )
