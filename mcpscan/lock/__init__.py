"""The approval lock (``mcpscan.lock``): who approved which connector, and drift from it.

Typical use by the scan::

    lock_path = lock_option or find_lock(cwd, policy_path)
    lock = load_lock(lock_path) if lock_path else None       # LockError -> exit 2
    approval = approval_facts(lock, connector, launch, graph, provenance)
    ConnectorFacts(..., approval=approval)
    # and add "lock" to the engine's available facts when lock or policy.require_approval
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from mcpscan.lock.diff import diff_entries
from mcpscan.lock.fingerprint import default_home, observe
from mcpscan.lock.interface import LockError, LockStore
from mcpscan.lock.model import (
    CHANGE_KINDS,
    LOCK_FILE_NAME,
    ApprovalFacts,
    Change,
    ConfigRecord,
    Lock,
    LockedPackage,
    LockEntry,
)
from mcpscan.models import Connector, ConnectorResult, Graph, Launch, ProvenanceResult

__all__ = [
    "CHANGE_KINDS",
    "LOCK_FILE_NAME",
    "ApprovalFacts",
    "Change",
    "ConfigRecord",
    "Lock",
    "LockEntry",
    "LockError",
    "LockStore",
    "LockedPackage",
    "approval_facts",
    "approve",
    "find_lock",
    "load_lock",
    "save_lock",
]


def _store() -> LockStore:
    from mcpscan.lock.store import TomlLockStore

    return TomlLockStore()


def load_lock(path: Path) -> Lock:
    """Read and validate ``path``; :class:`LockError` (exit 2) names file and line."""
    return _store().read(path)


def save_lock(lock: Lock, path: Path) -> None:
    _store().write(lock, path)


def find_lock(cwd: Path, policy_path: Path | None) -> Path | None:
    """The lock beside the policy file, else in ``cwd``; None when there is none."""
    for directory in ([policy_path.parent] if policy_path is not None else []) + [cwd]:
        candidate = directory / LOCK_FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def default_lock_path(cwd: Path, policy_path: Path | None) -> Path:
    """Where ``approve`` writes when no ``--lock`` is given."""
    return (policy_path.parent if policy_path is not None else cwd) / LOCK_FILE_NAME


def approval_facts(
    lock: Lock | None,
    connector: Connector,
    launch: Launch,
    graph: Graph | None,
    provenance: Sequence[ProvenanceResult] | None,
    *,
    base_dir: Path | None = None,
    home: Path | None = None,
) -> ApprovalFacts:
    """The approval state of one connector. ``lock`` None: no lock exists (every connector
    is unapproved). File keys are relative to the lock's directory (else ``base_dir`` or
    the working directory)."""
    if base_dir is None:
        base_dir = Path(lock.path).parent if lock is not None else Path.cwd()
    observed = observe(
        connector, launch, graph, provenance, base_dir=base_dir, home=home or default_home()
    )
    entry = lock.get(observed.key) if lock is not None else None
    changes: tuple[Change, ...] = ()
    unchecked: tuple[str, ...] = ()
    if entry is not None:
        changes, unchecked = diff_entries(
            entry, observed, provenance_checked=provenance is not None
        )
    return ApprovalFacts(
        key=observed.key,
        lock_file=lock.path if lock is not None else None,
        entry=entry,
        observed=observed,
        changes=changes,
        unchecked=unchecked,
    )


def approve(
    lock: Lock,
    results: Sequence[ConnectorResult],
    *,
    owner: str,
    approver: str,
    note: str = "",
    today: date,
    home: Path | None = None,
) -> Lock:
    """``lock`` with an entry for each scanned connector (replacing its previous one);
    entries of connectors not scanned now are kept."""
    base_dir = Path(lock.path).parent
    new: dict[str, LockEntry] = {}
    for r in results:
        seen = observe(
            r.connector, r.launch, r.graph, r.provenance, base_dir=base_dir,
            home=home or default_home(),
        )
        new[seen.key] = dataclasses.replace(
            seen, owner=owner, approver=approver, note=note, approved=today
        )
    kept = [e for e in lock.entries if e.key not in new]
    entries = sorted([*kept, *new.values()], key=lambda e: e.key)
    return Lock(path=lock.path, entries=tuple(entries))
