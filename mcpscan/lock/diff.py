"""Compare an approved lock entry with what a scan established.

A value this scan did not establish (resolution off, registry silent, provenance not
checked) is neither drift nor confirmation: it is listed as unchecked.
"""

from __future__ import annotations

from mcpscan.lock.model import Change, LockedPackage, LockEntry
from mcpscan.provenance.source_identity import same_source
from mcpscan.redaction import only_secrets_differ


def _names(values: tuple[str, ...] | None) -> str:
    return ", ".join(values) if values else ""


def _added_removed(before: tuple[str, ...], after: tuple[str, ...]) -> str:
    added = [v for v in after if v not in before]
    removed = [v for v in before if v not in after]
    parts = [f"+{v}" for v in added] + [f"-{v}" for v in removed]
    return " ".join(parts)


def _rotated(before: tuple[str, ...], after: tuple[str, ...]) -> list[int] | None:
    """The positions of rotated secrets when that is the only difference, else ``None``."""
    if len(before) != len(after):
        return None
    rotated = []
    for i, (then, now) in enumerate(zip(before, after, strict=True)):
        if then == now:
            continue
        if not only_secrets_differ(then, now):
            return None
        rotated.append(i)
    return rotated


def diff_entries(
    approved: LockEntry, observed: LockEntry, *, provenance_checked: bool
) -> tuple[tuple[Change, ...], tuple[str, ...]]:
    """The changes from ``approved`` to ``observed``, and what could not be compared."""
    changes: list[Change] = []
    unchecked: list[str] = []
    a, b = approved.config, observed.config
    if a.transport != b.transport:
        changes.append(Change("transport", "config", a.transport, b.transport))
    if a.command != b.command:
        if only_secrets_differ(a.command or "", b.command or ""):
            changes.append(Change("secret", "config", "the command", ""))
        else:
            changes.append(Change("command", "config", a.command or "", b.command or ""))
    if a.args != b.args:
        rotated = _rotated(a.args, b.args)
        if rotated is None:
            changes.append(Change("args", "config", " ".join(a.args), " ".join(b.args)))
        changes.extend(Change("secret", "config", f"argument {i + 1}", "") for i in rotated or ())
    if a.url != b.url:
        if only_secrets_differ(a.url or "", b.url or ""):
            changes.append(Change("secret", "config", "the URL", ""))
        else:
            changes.append(Change("url", "config", a.url or "", b.url or ""))
    for kind, before, after in (("env", a.env, b.env), ("headers", a.headers, b.headers)):
        if before != after:
            changes.append(
                Change(
                    kind,
                    "config",
                    _names(before),
                    f"{_names(after)} ({_added_removed(before, after)})",
                )
            )
    if a.secrets != b.secrets:
        rotated = _rotated(a.secrets, b.secrets)
        named = any(c.kind in ("env", "headers") for c in changes)
        if rotated is None and not named:  # (a new or removed name says it already)
            changes.append(Change("secrets", "config", " ".join(a.secrets), " ".join(b.secrets)))
        for i in rotated or ():
            changes.append(Change("secret", "config", a.secrets[i].rsplit(" <", 1)[0], ""))
    if not changes and approved.fingerprint != observed.fingerprint:
        # The readable record agrees but the hash does not: the lock was edited by hand.
        changes.append(Change("fingerprint", "config", approved.fingerprint, observed.fingerprint))

    now = {p.identity: p for p in observed.packages}
    then = {p.identity: p for p in approved.packages}
    for identity in sorted(now.keys() - then.keys()):
        changes.append(Change("package-added", identity, "", now[identity].purl))
    for identity in sorted(then.keys() - now.keys()):
        changes.append(Change("package-removed", identity, then[identity].purl, ""))
    for identity in sorted(then.keys() & now.keys()):
        _diff_package(then[identity], now[identity], changes, unchecked, provenance_checked)
    return tuple(changes), tuple(unchecked)


def _recorded_version(then: LockedPackage) -> str | None:
    """The version an entry records. Earlier ``approve --no-resolve`` runs recorded a PyPI
    pin as its specifier ("==0.6.2"): that is the version "0.6.2"."""
    version = then.version
    if version is not None and then.ecosystem == "pypi" and version.startswith("=="):
        return version.lstrip("=").strip()
    return version


def _diff_package(
    then: LockedPackage,
    now: LockedPackage,
    changes: list[Change],
    unchecked: list[str],
    provenance_checked: bool,
) -> None:
    who = then.identity
    recorded = _recorded_version(then)
    if recorded is not None and now.version is None:
        unchecked.append(f"version of {who} (not resolved in this scan)")
    elif recorded != now.version:
        changes.append(Change("version", who, then.version or "", now.version or ""))

    same_version = recorded is not None and recorded == now.version
    if same_version and then.digests:
        before = dict(d.split(":", 1) for d in then.digests)
        after = dict(d.split(":", 1) for d in now.digests)
        common = sorted(before.keys() & after.keys())
        if not common:
            unchecked.append(f"digest of {who} (no digest of the same algorithm known now)")
        else:
            differing = [alg for alg in common if before[alg] != after[alg]]
            if differing:
                alg = differing[0]
                changes.append(Change("digest", who, f"{alg}:{before[alg]}", f"{alg}:{after[alg]}"))

    if provenance_checked:
        if not _same_provenance(then, now):
            changes.append(Change("provenance", who, then.provenance or "", now.provenance or ""))
    elif then.provenance is not None:
        unchecked.append(f"provenance of {who} (not checked in this scan)")

    if then.maintainers is not None:
        if now.maintainers is None:
            unchecked.append(f"maintainers of {who} (the registry did not say)")
        elif then.maintainers != now.maintainers:
            changes.append(
                Change(
                    "maintainers",
                    who,
                    _names(then.maintainers),
                    f"{_names(now.maintainers)} "
                    f"({_added_removed(then.maintainers, now.maintainers)})",
                )
            )


def _same_provenance(then: LockedPackage, now: LockedPackage) -> bool:
    """Same build identity: the workflow as recorded, the repository as a repository (an
    older lock may spell it another way)."""
    if (then.provenance_repository is None) != (now.provenance_repository is None):
        return False
    repo_same = then.provenance_repository == now.provenance_repository or same_source(
        then.provenance_repository, now.provenance_repository
    )
    return repo_same and then.provenance_workflow == now.provenance_workflow
