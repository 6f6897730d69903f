"""Checks over what a launch runs that no registry vouches for (EX01 to EX04).

Each one explains a coverage gap of the "cannot be analysed" kind
(:mod:`mcpscan.coverage`): download-and-execute, a command line that cannot be followed,
local code, an artifact mcpscan cannot check. Messages carry display forms only (URLs with
credentials removed, paths as written), never a configured secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpscan.coverage import CONTENTS_UNCHECKED, RESOLVABLE
from mcpscan.models import LocalCode, PackageRef, Severity, VersionKind
from mcpscan.ruleset.interface import ConnectorFacts, Hit
from mcpscan.ruleset.registry import check

if TYPE_CHECKING:
    from mcpscan.ruleset.policy import Policy


def _unpinned_url(ref: PackageRef) -> bool:
    return ref.ecosystem == "url" and ref.version_kind is VersionKind.URL


@check("download_and_execute")
def download_and_execute(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    launch = facts.launch
    for found in launch.downloads:
        yield Hit(
            message=(
                f"the command downloads code from {found.url} and runs it ({found.form}): "
                "whatever that address serves at each start runs with the connector's tokens"
            ),
            evidence=found.url,
        )
    for ref in launch.packages:
        if _unpinned_url(ref):
            yield Hit(
                message=(
                    f"{launch.launcher} runs code fetched from {ref.name} with no digest pinning it"
                ),
                evidence=ref.name,
                component=ref.purl,
            )


@check("opaque_launch")
def opaque_launch(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for why in facts.launch.opaque:
        yield Hit(message=f"what the connector runs cannot be analysed: {why}", evidence=why)


_LOW_WHERE = {"in-repo"}
_HIGH_WHERE = {"missing"}


def local_severity(code: LocalCode) -> Severity:
    """By evidence: a program chosen by an environment variable or missing is high; a file
    inside the scanned repository is low; anything else (PATH, elsewhere, unknown) medium."""
    if code.kind == "env-command" or code.location in _HIGH_WHERE:
        return Severity.HIGH
    if code.location in _LOW_WHERE:
        return Severity.LOW
    return Severity.MEDIUM


_KIND_TEXT = {
    "env-command": "program named by an environment variable",
    "file-spec": "package",
    "package script": "package.json script",
}
_WHERE_TEXT = {
    "in-repo": "inside the scanned repository",
    "outside-repo": "outside the scanned repository",
    "on-path": "found on this machine's PATH",
    "missing": "not found on this machine",
    "unknown": "not looked up",
}


@check("local_code")
def local_code(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for code in facts.launch.local:
        runner = f" run by {code.launcher}" if code.launcher else ""
        where = _WHERE_TEXT.get(code.location, code.location)
        kind = _KIND_TEXT.get(code.kind, code.kind)
        yield Hit(
            message=(
                f"runs the local {kind} {code.path}{runner} ({code.found_by}; {where}); "
                "no registry can vouch for it"
            ),
            evidence=code.path,
            severity=local_severity(code),
            remediation=_local_remediation(code),
        )


def _local_remediation(code: LocalCode) -> str:
    if code.kind == "env-command":
        return (
            "Name the program in the config itself (a pinned package or a path in the "
            "repository); a program chosen by an environment variable can be anything."
        )
    if code.location == "missing":
        return (
            "The program does not exist here: whatever appears under that name later "
            "will run. Fix the path or launch a pinned package."
        )
    return ""


_KINDS = {
    "oci": "container image",
    "git": "git source",
    "jsr": "jsr package",
    "url": "downloaded archive",
    "mcpb": "MCPB bundle",
}
_WHY = {
    "oci": "it was not resolved in this scan, so which image it is, who built it and "
    "what is inside it are all unknown",
    "git": "no registry serves it, so there is no signature, provenance or advisory data",
    "jsr": "mcpscan does not resolve jsr packages, so nothing about it was checked",
    "url": "its digest pins the bytes, but nothing says what they are or who built them",
    "mcpb": "it declares no sha256, so not even its bytes are pinned",
}


@check("unchecked_artifact")
def unchecked_artifact(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for ref in facts.launch.packages:
        if ref.ecosystem in CONTENTS_UNCHECKED:
            sealed = _sealed(facts, ref)
            if sealed is not None:
                yield sealed
            continue
        if ref.ecosystem in RESOLVABLE or _unpinned_url(ref):
            continue  # resolved and verified, or download-and-execute (EX01)
        if ref.ecosystem == "mcpb" and ref.sha256:
            continue  # checked by its declared digest
        kind = _KINDS.get(ref.ecosystem, f"{ref.ecosystem} package")
        why = _WHY.get(ref.ecosystem, "mcpscan cannot resolve or verify it")
        shown = ref.name if ref.ecosystem in ("url", "git") else ref.spec or ref.name
        yield Hit(
            message=f"the {kind} {shown} is launched unchecked: {why}",
            evidence=shown,
            component=ref.purl,
        )
    yield from _unread_artifacts(facts)


def _unread_artifacts(facts: ConnectorFacts) -> Iterator[Hit]:
    """A launched artifact whose files were not read (over an inspection limit, in a
    format mcpscan does not read, or bytes that are not the registry's): what it would run
    is unknown, which is not a pass. A download that failed is a source failure instead
    (the scan is incomplete), not a finding about the package."""
    from mcpscan.inspect.interface import ArtifactState

    for report in facts.content or ():
        if report.state is ArtifactState.MISMATCH:
            yield Hit(
                message=f"{report.label}: the artifact downloaded for inspection is not the "
                "one the registry's digest names",
                evidence=report.reason,
                component=report.purl,
                severity=Severity.CRITICAL,
            )
        elif report.state in (ArtifactState.LIMIT, ArtifactState.UNSUPPORTED):
            # Medium: a limit is the user's to raise, and only a very large or strange
            # artifact meets it; high when it is a decompression bomb.
            bomb = "decompression bomb" in report.reason
            yield Hit(
                message=f"{report.label}: its files were not read, so what it runs at "
                "install and start is unknown",
                evidence=report.reason,
                component=report.purl,
                severity=Severity.HIGH if bomb else Severity.MEDIUM,
            )


def _sealed(facts: ConnectorFacts, ref: PackageRef) -> Hit | None:
    """A container image: resolved to its digest when the scan could, but only read where
    a verified SBOM attestation says what is inside it."""
    from mcpscan.provenance.oci.contents import contents_gap, image_node

    why = contents_gap(facts.graph, ref)
    if why is None:
        return None
    node = image_node(facts.graph, ref)
    shown = ref.spec or ref.name
    if node is None:
        why = _WHY["oci"]
    return Hit(
        message=f"the container image {shown} is launched unchecked: {why}",
        evidence=node.label if node is not None else shown,
        component=node.purl if node is not None else ref.purl,
    )
