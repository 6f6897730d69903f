"""The in-toto Statement v1 mcpscan signs, and the checks of its subjects against files."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcpscan.attest.interface import (
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    AttestationInputError,
    Subject,
    VerificationFailure,
    json_object,
)

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 16), b""):
                digest.update(chunk)
    except OSError as exc:
        reason = exc.strerror or "unreadable"
        raise AttestationInputError(f"cannot read: {reason}", file=str(path)) from None
    return digest.hexdigest()


def subject_name(path: Path, cwd: Path) -> str:
    """The file's name relative to ``cwd`` when it lies under it, else its absolute path.

    Paths are normalised but symlinks are not followed, so the name is the one the user gave.
    """
    absolute = Path(os.path.normpath(path if path.is_absolute() else cwd / path))
    try:
        return absolute.relative_to(Path(os.path.normpath(cwd.absolute()))).as_posix()
    except ValueError:
        return absolute.as_posix()


def subjects_for(files: Sequence[Path], cwd: Path) -> tuple[Subject, ...]:
    """One subject per distinct file, in the order given."""
    seen: dict[str, Subject] = {}
    for path in files:
        name = subject_name(path, cwd)
        if name not in seen:
            seen[name] = Subject(name, file_sha256(cwd / path))
    return tuple(seen.values())


def build_statement(predicate: Mapping[str, Any], subjects: Sequence[Subject]) -> dict[str, Any]:
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": s.name, "digest": {"sha256": s.sha256}} for s in subjects],
        "predicateType": PREDICATE_TYPE,
        "predicate": dict(predicate),
    }


def serialize(statement: Mapping[str, Any]) -> bytes:
    """Canonical enough to be stable: the signature covers these exact bytes anyway."""
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def parse_statement(payload: bytes) -> tuple[tuple[Subject, ...], dict[str, Any]]:
    """The subjects and predicate of a signed payload that must be an mcpscan statement."""
    doc = json_object(payload, VerificationFailure, "the signed payload")
    if doc.get("_type") != STATEMENT_TYPE:
        raise VerificationFailure(
            f"the statement type is {doc.get('_type')!r}, expected {STATEMENT_TYPE!r}"
        )
    if doc.get("predicateType") != PREDICATE_TYPE:
        raise VerificationFailure(
            f"the predicate type is {doc.get('predicateType')!r}, expected {PREDICATE_TYPE!r}"
        )
    predicate = doc.get("predicate")
    if not isinstance(predicate, dict):
        raise VerificationFailure("the statement has no predicate object")
    raw = doc.get("subject")
    if not isinstance(raw, list) or not raw:
        raise VerificationFailure("the statement names no subject")
    subjects = []
    for index, item in enumerate(raw):
        name = item.get("name") if isinstance(item, dict) else None
        digest = item.get("digest") if isinstance(item, dict) else None
        sha = digest.get("sha256") if isinstance(digest, dict) else None
        if not isinstance(name, str) or not isinstance(sha, str) or not _SHA256_RE.match(sha):
            raise VerificationFailure(f"subject {index} has no name or no sha256 digest")
        subjects.append(Subject(name, sha))
    return tuple(subjects), predicate


@dataclass(frozen=True)
class SubjectCheck:
    name: str
    status: str  # "match" | "absent" (not at the recorded path, so not checked)
    file: str = ""  # the file compared, when it is not the recorded name


def check_subjects(
    subjects: Sequence[Subject], given: Sequence[Path], cwd: Path
) -> tuple[SubjectCheck, ...]:
    """Compare files with the recorded digests; raise :class:`VerificationFailure` on the
    first difference.

    With ``given`` files, each must be a subject: the one recorded under its name, or
    (after a move) one with its exact content. Without, every subject still present at its
    recorded path is compared and the others are reported absent.
    """
    by_name = {s.name: s for s in subjects}
    if given:
        checks = []
        for path in given:
            name = subject_name(path, cwd)
            actual = file_sha256(path if path.is_absolute() else cwd / path)
            recorded = by_name.get(name)
            if recorded is not None:
                _compare(recorded, actual, name)
                checks.append(SubjectCheck(recorded.name, "match"))
                continue
            moved = next((s for s in subjects if s.sha256 == actual), None)
            if moved is None:
                names = ", ".join(sorted(by_name))
                raise VerificationFailure(
                    f"{name} is not a subject of this attestation (its subjects: {names})"
                )
            checks.append(SubjectCheck(moved.name, "match", file=name))
        return tuple(checks)
    checks = []
    for s in subjects:
        path = Path(s.name)
        where = path if path.is_absolute() else cwd / path
        if not where.is_file():
            checks.append(SubjectCheck(s.name, "absent"))
            continue
        _compare(s, file_sha256(where), s.name)
        checks.append(SubjectCheck(s.name, "match"))
    return tuple(checks)


def _compare(recorded: Subject, actual: str, shown: str) -> None:
    if actual != recorded.sha256:
        raise VerificationFailure(
            f"subject {shown} changed since it was attested: its sha256 is {actual}, "
            f"the attestation records {recorded.sha256}"
        )
