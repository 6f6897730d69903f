"""``mcpscan.lock`` as TOML: one ``[[connector]]`` table per approved connector.

Written by hand rather than by a TOML library so the layout stays fixed: entries sorted by
key, one value per line, lists of names on one line. Re-approving one connector changes
only its own lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from mcpscan._internal import toml_lines
from mcpscan.fileio import atomic_write_text, read_text
from mcpscan.lock.interface import LockError, LockStore
from mcpscan.lock.model import (
    LOCK_VERSION,
    Approval,
    ConfigRecord,
    Lock,
    LockedPackage,
    LockEntry,
)

T = TypeVar("T")
P = tuple[str | int, ...]  # where a value is in the lock, for the error's line

_TOP_KEYS = ("version", "connector")
_ENTRY_KEYS = (
    "client",
    "file",
    "name",
    "fingerprint",
    "owner",
    "approver",
    "note",
    "approved",
    "expires",
    "signature",
    "config",
    "package",
    "cosignature",
)
_ENTRY_REQUIRED = ("client", "file", "name", "fingerprint", "owner", "approver", "config")

# How a field of a flat record (the config, a package) is written and read back:
_TEXT = "text"  # a string, required
_MAYBE_TEXT = "maybe text"  # a string, or None (left out)
_NAMES = "names"  # a list of strings, written even when empty
_NAMES_IF_ANY = "names if any"  # a list of strings, left out when empty
_MAYBE_NAMES = "maybe names"  # a list of strings, or None (left out): "not known" is not []

# The fields of [connector.config] and of [[connector.package]], in the order written.
_CONFIG_FIELDS = (
    ("transport", _TEXT),
    ("command", _MAYBE_TEXT),
    ("args", _NAMES),
    ("url", _MAYBE_TEXT),
    ("env", _NAMES),
    ("headers", _NAMES),
    ("secrets", _NAMES_IF_ANY),
)
_PACKAGE_FIELDS = (
    ("purl", _TEXT),
    ("ecosystem", _TEXT),
    ("name", _TEXT),
    ("version", _MAYBE_TEXT),
    ("digests", _NAMES),
    ("maintainers", _MAYBE_NAMES),
    ("provenance_repository", _MAYBE_TEXT),
    ("provenance_workflow", _MAYBE_TEXT),
)
_COSIGNATURE_KEYS = ("approver", "approved", "expires", "signature")
_COSIGNATURE_REQUIRED = ("approver", "approved", "signature")

_ARMOR_RE = re.compile(r"[A-Za-z0-9+/= \n-]*\n")

HEADER = (
    "# mcpscan approval lock: written by `mcpscan approve`, compared by `mcpscan scan` and\n"
    "# `mcpscan diff`. Commit it next to the configs and review changes to it like code.\n"
    "# It records names, redacted URLs and fingerprints only, never a secret value.\n"
)


class TomlLockStore(LockStore):
    def read(self, path: Path) -> Lock:
        text = read_text(path, what="approval lock", error=LockError)
        return _Reader(text, str(path)).read()

    def write(self, lock: Lock, path: Path) -> None:
        text = dumps(lock)
        directory = path.parent if str(path.parent) else Path(".")
        if not directory.is_dir():
            raise LockError(f"directory {directory} does not exist", file=str(path))
        try:
            atomic_write_text(path, text)
        except OSError as exc:
            raise LockError(f"cannot write approval lock: {exc.strerror}", file=str(path)) from None


# -- writing --------------------------------------------------------------------------------


def _str(value: str) -> str:
    # A JSON string is a valid TOML basic string, except that TOML forbids a raw DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_str(v) for v in values) + "]"


def _block(value: str) -> str:
    """An armored signature as a multi-line literal string, one base64 line per line, so
    the lock stays readable and a new signature is a block of added lines."""
    if not _ARMOR_RE.fullmatch(value):
        return _str(value)
    return "'''\n" + value + "'''"


def _opt(value: T | None, render: Callable[[T], str]) -> str | None:
    return render(value) if value is not None else None


def _table(out: list[str], header: str, fields: Iterable[tuple[str, str | None]]) -> None:
    """``header`` and its ``key = value`` lines; a field whose value is None is left out."""
    if header:
        out.append(f"\n{header}\n")
    out.extend(f"{key} = {value}\n" for key, value in fields if value is not None)


def _record_fields(
    record: ConfigRecord | LockedPackage, fields: tuple[tuple[str, str], ...]
) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for key, kind in fields:
        value = getattr(record, key)
        if kind in (_TEXT, _MAYBE_TEXT):
            out.append((key, _opt(value, _str)))
        else:
            shown = value is not None and (kind != _NAMES_IF_ANY or bool(value))
            out.append((key, _list(value) if shown else None))
    return out


def _iso(day: date) -> str:
    return day.isoformat()


def _approval_fields(approval: Approval) -> list[tuple[str, str | None]]:
    return [
        ("approved", _opt(approval.approved, _iso)),
        ("expires", _opt(approval.expires, _iso)),
        ("signature", _opt(approval.signature, _block)),
    ]


def dumps(lock: Lock) -> str:
    out = [HEADER, f"version = {LOCK_VERSION}\n"]
    for entry in sorted(lock.entries, key=lambda e: e.key):
        _table(
            out,
            "[[connector]]",
            [
                ("client", _str(entry.client)),
                ("file", _str(entry.file)),
                ("name", _str(entry.name)),
                ("fingerprint", _str(entry.fingerprint)),
                ("owner", _str(entry.owner)),
                ("approver", _str(entry.approver)),
                ("note", _str(entry.note) if entry.note else None),
                *_approval_fields(entry.approvals[0]),
            ],
        )
        _table(out, "[connector.config]", _record_fields(entry.config, _CONFIG_FIELDS))
        for p in entry.packages:
            _table(out, "[[connector.package]]", _record_fields(p, _PACKAGE_FIELDS))
        for cosignature in entry.cosignatures:
            _table(
                out,
                "[[connector.cosignature]]",
                [("approver", _str(cosignature.approver)), *_approval_fields(cosignature)],
            )
    return "".join(out)


# -- reading --------------------------------------------------------------------------------


class _Reader:
    def __init__(self, text: str, where: str) -> None:
        self.where = where
        self.data, self.lines = toml_lines.parse(text, file=where, error=LockError)
        # [[connector.package]] (and cosignature) tables are counted across entries.
        self.package_index = 0
        self.cosignature_index = 0

    def fail(self, message: str, *path: str | int) -> LockError:
        return LockError(message, file=self.where, line=self.lines.line_of(path))

    def read(self) -> Lock:
        self.check_keys(self.data, _TOP_KEYS, (), "the lock", ())
        version = self.data.get("version")
        if version != LOCK_VERSION:
            raise self.fail(
                f"unsupported lock version {version!r} (this mcpscan reads version {LOCK_VERSION})",
                "version",
            )
        entries = self.data.get("connector", [])
        if not isinstance(entries, list):
            raise self.fail("connector must be an array of tables ([[connector]])", "connector")
        read = [self.entry(e, i) for i, e in enumerate(entries)]
        seen: dict[str, int | None] = {}
        for entry in read:
            if entry.key in seen:
                raise LockError(
                    f"connector {entry.name!r} of {entry.file} ({entry.client}) is listed twice "
                    f"(also at line {seen[entry.key]})",
                    file=self.where,
                    line=entry.line,
                )
            seen[entry.key] = entry.line
        return Lock(path=self.where, entries=tuple(read))

    def check_keys(
        self,
        table: Mapping[str, object],
        allowed: tuple[str, ...],
        required: tuple[str, ...],
        what: str,
        path: tuple[str | int, ...],
    ) -> None:
        """A key the format does not have is an error (a typo would silently drop what it
        says), and so is a missing required one."""
        for key in table:
            if key not in allowed:
                raise self.fail(f"unknown key {key!r}", *path, key)
        for key in required:
            if key not in table:
                raise self.fail(f"{what} is missing {key!r}", *path)

    def string(self, value: object, *path: str | int, empty: bool = False) -> str:
        if not isinstance(value, str) or (not empty and not value.strip()):
            raise self.fail(f"{path[-1]} must be a non-empty string", *path)
        return value

    def strings(self, value: object, *path: str | int) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{path[-1]} must be a list of strings", *path)
        return tuple(value)

    def table(self, value: object, *path: str | int) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{path[-1]} must be a table", *path)
        return value

    def entry(self, raw: object, index: int) -> LockEntry:
        path: tuple[str | int, ...] = ("connector", index)
        data = self.table(raw, *path)
        self.check_keys(data, _ENTRY_KEYS, _ENTRY_REQUIRED, f"connector entry #{index + 1}", path)
        fp = self.string(data["fingerprint"], *path, "fingerprint")
        if not fp.startswith("sha256:") or len(fp) != 71:
            raise self.fail("fingerprint must be 'sha256:' and 64 hex digits", *path, "fingerprint")
        packages = data.get("package", [])
        if not isinstance(packages, list):
            raise self.fail("package must be an array of tables", *path, "package")
        cosignatures = data.get("cosignature", [])
        if not isinstance(cosignatures, list):
            raise self.fail("cosignature must be an array of tables", *path, "cosignature")
        return LockEntry(
            client=self.string(data["client"], *path, "client"),
            file=self.string(data["file"], *path, "file"),
            name=self.string(data["name"], *path, "name"),
            fingerprint=fp,
            config=self.config(data["config"], (*path, "config")),
            packages=tuple(self.package(p) for p in packages),
            owner=self.string(data["owner"], *path, "owner"),
            approver=self.string(data["approver"], *path, "approver"),
            note=self.string(data.get("note", ""), *path, "note", empty=True),
            approved=self.date(data.get("approved"), *path, "approved"),
            expires=self.date(data.get("expires"), *path, "expires"),
            signature=self.signature(data, path),
            cosignatures=tuple(self.cosignature(c) for c in cosignatures),
            line=self.lines.line_of(path),
        )

    def date(self, value: object, *path: str | int) -> date | None:
        if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
            raise self.fail(f"{path[-1]} must be a date (YYYY-MM-DD)", *path)
        return value

    def signature(self, data: Mapping[str, object], path: tuple[str | int, ...]) -> str | None:
        # Its content is judged by the scan (GV04), so that one mangled signature is a
        # finding for its connector rather than an unreadable lock.
        if "signature" not in data:
            return None
        return self.string(data["signature"], *path, "signature")

    def cosignature(self, raw: object) -> Approval:
        path: tuple[str | int, ...] = ("connector", "cosignature", self.cosignature_index)
        self.cosignature_index += 1
        data = self.table(raw, *path)
        self.check_keys(data, _COSIGNATURE_KEYS, _COSIGNATURE_REQUIRED, "cosignature", path)
        return Approval(
            approver=self.string(data["approver"], *path, "approver"),
            approved=self.date(data["approved"], *path, "approved"),
            expires=self.date(data.get("expires"), *path, "expires"),
            signature=self.signature(data, path),
            line=self.lines.line_of(path),
        )

    def record(
        self, data: Mapping[str, object], fields: tuple[tuple[str, str], ...], what: str, path: P
    ) -> dict[str, Any]:
        """The fields of a flat record table, checked: the keyword arguments of its class."""
        keys = tuple(key for key, _ in fields)
        required = tuple(key for key, kind in fields if kind == _TEXT)
        self.check_keys(data, keys, required, what, path)
        values: dict[str, Any] = {}
        for key, kind in fields:
            if kind in (_TEXT, _MAYBE_TEXT):
                values[key] = self.string(data[key], *path, key) if key in data else None
            elif kind == _MAYBE_NAMES and key not in data:
                values[key] = None
            else:
                values[key] = self.strings(data.get(key, []), *path, key)
        return values

    def config(self, raw: object, path: P) -> ConfigRecord:
        return ConfigRecord(**self.record(self.table(raw, *path), _CONFIG_FIELDS, "config", path))

    def package(self, raw: object) -> LockedPackage:
        path: P = ("connector", "package", self.package_index)
        self.package_index += 1
        package = LockedPackage(
            **self.record(self.table(raw, *path), _PACKAGE_FIELDS, "package", path)
        )
        for d in package.digests:
            alg, sep, value = d.partition(":")
            if not sep or not alg or not value:
                raise self.fail(f"digest {d!r} must be '<algorithm>:<hex>'", *path, "digests")
        return package
