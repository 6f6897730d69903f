"""The packages a launcher asks npm to install, as the specs of the build's root edges."""

from __future__ import annotations

from dataclasses import dataclass

from mcpscan.ecosystems.npm.spec import Spec, parse_spec, split_name
from mcpscan.models import Decision, PackageRef


@dataclass(frozen=True)
class RootRequest:
    name: str  # the folder name (an alias, when one is used)
    raw: str
    spec: Spec
    decision: Decision


def root_request(ref: PackageRef) -> RootRequest:
    """What the launcher asks npm to install for ``ref``, and how its version is decided."""
    requested = (ref.requested or "").strip()
    if ref.alias_of:
        target, alias_spec = split_name(ref.alias_of)
        raw = (
            f"npm:{target}@{alias_spec or requested}"
            if (alias_spec or requested)
            else f"npm:{target}"
        )
    else:
        raw = requested
    spec = parse_spec(ref.name, raw)
    if spec.kind == "version":
        decision = Decision.PINNED
    elif spec.kind == "tag":
        decision = Decision.LATEST if spec.fetch == "latest" else Decision.DIST_TAG
    elif spec.kind == "range" and spec.fetch in ("", "*"):
        decision = Decision.LATEST
    else:
        decision = Decision.RANGE
    return RootRequest(ref.name, raw, spec, decision)
