"""The policy file ``mcpscan.toml``: thresholds, rule overrides and waivers."""

from __future__ import annotations

import copy
import dataclasses
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import unquote

from mcpscan._internal import toml_lines
from mcpscan.fileio import read_text
from mcpscan.models import Finding, Severity
from mcpscan.ruleset.interface import PolicyFileError

POLICY_FILE_NAME = "mcpscan.toml"

_TOP_KEYS = (
    "fail_on",
    "min_score",
    "cooldown_days",
    "advisory_db_max_age_days",
    "require_provenance",
    "require_approval",
    "rotation_requires_approval",
    "trusted_publishers",
    "allowed_registries",
    "allowed_signers",
    "require_signed_approvals",
    "approval_valid_days",
    "allow_self_approval",
    "min_approvals",
    "min_approvals_for",
    "npm",
    "rules",
    "waivers",
)
_REQUIREMENT_KEYS = ("target", "holding", "count")
# What a connector may hold to need more approvals (the findings of ID01/ID03 and ID02).
HOLDING = ("literal-secret", "broad-credential", "credential")
_NPM_KEYS = ("keys",)
_RULE_KEYS = ("severity", "enabled")
_WAIVER_KEYS = ("rule", "target", "advisory", "reason", "owner", "approver", "expires")
_WAIVER_REQUIRED = ("rule", "reason", "approver", "expires")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PURL_NAME_RE = re.compile(r"^pkg:[^/]+/(?P<name>.+)$")


@dataclass(frozen=True)
class RuleOverride:
    rule: str
    severity: Severity | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class Waiver:
    """An approved exception to one rule, valid until the end of ``expires``."""

    rule: str
    reason: str
    approver: str
    expires: date
    target: str = "*"  # connector name, package name or purl; glob
    advisory: str | None = None
    owner: str | None = None
    file: str | None = None
    line: int | None = None

    @property
    def label(self) -> str:
        where = f" ({self.file}:{self.line})" if self.file and self.line else ""
        advisory = f" {self.advisory}" if self.advisory else ""
        return f"{self.rule}{advisory} for {self.target}, expires {self.expires.isoformat()}{where}"

    def expired(self, today: date) -> bool:
        return self.expires < today

    def matches(self, finding: Finding) -> bool:
        if finding.rule_id != self.rule:
            return False
        if self.advisory and not _mentions(finding, self.advisory):
            return False
        return any(_glob(c, self.target) for c in _targets(finding))

    def names_connector(self, connector: str) -> bool:
        """Whether the target is this connector's name itself (not a glob that fits it)."""
        return connector.lower() == self.target.lower()


def _glob(name: str, pattern: str) -> bool:
    # Case-insensitive: configs spell one connector "GitHub" and "github", and PyPI names
    # are case-insensitive; what a waiver may cover is still bounded by its rule.
    return fnmatchcase(name.lower(), pattern.lower())


def _targets(finding: Finding) -> list[str]:
    """What a waiver target may name: the connector, the package's purl or its name."""
    found = [finding.connector] if finding.connector else []
    purl = finding.component
    if purl:
        base = purl.split("?", 1)[0].split("#", 1)[0]
        # A purl percent-encodes every "@" but the version separator (npm scopes: %40).
        versionless, _, version = base.partition("@")
        found += [purl, base, versionless]
        m = _PURL_NAME_RE.match(versionless)
        if m:
            name = unquote(m.group("name"))  # "pkg:npm/%40scope/x" -> "@scope/x"
            found.append(name)
            if version:
                found.append(f"{name}@{unquote(version)}")
    return found


def _mentions(finding: Finding, advisory: str) -> bool:
    # Findings do not carry a structured advisory id; the advisory checks put it in the
    # message or evidence, where a whole-word match is unambiguous (GHSA/CVE/MAL ids).
    pattern = re.compile(rf"(?<![\w-]){re.escape(advisory)}(?![\w-])", re.IGNORECASE)
    return bool(pattern.search(finding.message) or pattern.search(finding.evidence))


@dataclass(frozen=True)
class ApprovalRequirement:
    """``[[min_approvals_for]]``: connectors that need ``count`` approvals."""

    count: int
    target: str = "*"  # connector name, package name or purl; glob
    holding: str | None = None  # one of HOLDING; None: whatever they hold
    line: int | None = None

    def names(self, candidates: Collection[str]) -> bool:
        return any(_glob(c, self.target) for c in candidates)


@dataclass(frozen=True)
class Policy:
    fail_on: Severity = Severity.HIGH
    min_score: int = 0
    cooldown_days: int = 7
    # An offline advisory database older than this is reported as stale.
    advisory_db_max_age_days: int = 7
    require_provenance: bool = False
    require_approval: bool = False
    # A literal secret rotated in place (same position, new value) is approval drift
    # (GV02) unless the policy says rotation needs no new approval.
    rotation_requires_approval: bool = True
    trusted_publishers: tuple[str, ...] = ()
    allowed_registries: tuple[str, ...] = ()
    rule_overrides: tuple[RuleOverride, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    # [npm] keys: registry URL -> keys file, the only way a registry's own signing keys are
    # trusted (relative paths are relative to the policy file)
    npm_keys: tuple[tuple[str, Path], ...] = ()
    source: str | None = None  # the file it was read from; None for the built-in default
    # Approvals (GV04-GV06). allowed_signers is resolved against the policy's directory.
    allowed_signers: str | None = None
    require_signed_approvals: bool = False
    approval_valid_days: int | None = None  # None: approvals do not expire by age
    allow_self_approval: bool = False
    min_approvals: int = 1
    min_approvals_for: tuple[ApprovalRequirement, ...] = ()

    def override_for(self, rule_id: str) -> RuleOverride | None:
        return next((o for o in self.rule_overrides if o.rule == rule_id), None)

    def turns_off(self, rule_id: str) -> bool:
        """Whether the policy disables ``rule_id`` (a check that leaves a case to that
        rule takes it back then, so turning one rule off never silences another)."""
        override = self.override_for(rule_id)
        return override is not None and override.enabled is False

    def with_overrides(
        self, *, fail_on: Severity | None = None, min_score: int | None = None
    ) -> Policy:
        """The policy with command-line settings applied (``None`` keeps the file's)."""
        changes: dict[str, object] = {}
        if fail_on is not None:
            changes["fail_on"] = fail_on
        if min_score is not None:
            if not 0 <= min_score <= 100:
                raise PolicyFileError("min_score must be between 0 and 100")
            changes["min_score"] = min_score
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def find_policy(cwd: Path) -> Path | None:
    """``mcpscan.toml`` in ``cwd`` if anything by that name is there: one that exists but
    cannot be read (a FIFO, a dangling link, a directory) is then an error, not silently
    no policy."""
    candidate = cwd / POLICY_FILE_NAME
    return candidate if os.path.lexists(candidate) else None


def load_policy(path: Path, *, rule_ids: Collection[str]) -> Policy:
    """Read and validate a policy file.

    ``rule_ids`` are the ids rule overrides and waivers may name: those of the catalogue
    in use (the policy does not load one itself, so the catalogue never depends on it).
    """
    text = read_text(path, what="policy file", error=PolicyFileError)
    return _Reader(text, str(path), rule_ids).read()


class _Reader:
    def __init__(self, text: str, where: str, rule_ids: Collection[str]) -> None:
        self.where = where
        self.rule_ids = rule_ids
        self.data, self.lines = toml_lines.parse(text, file=where, error=PolicyFileError)

    def fail(self, message: str, *path: str | int) -> PolicyFileError:
        return PolicyFileError(message, file=self.where, line=self.lines.line_of(path))

    def read(self) -> Policy:
        data = self.data
        self.reject_unknown(data, _TOP_KEYS, ())
        policy = Policy(source=self.where)
        changes: dict[str, object] = {}
        if "fail_on" in data:
            changes["fail_on"] = self.severity(data["fail_on"], "fail_on")
        if "min_score" in data:
            changes["min_score"] = self.integer(data["min_score"], 0, 100, "min_score")
        if "cooldown_days" in data:
            changes["cooldown_days"] = self.integer(data["cooldown_days"], 0, 3650, "cooldown_days")
        if "advisory_db_max_age_days" in data:
            changes["advisory_db_max_age_days"] = self.integer(
                data["advisory_db_max_age_days"], 1, 3650, "advisory_db_max_age_days"
            )
        for key in (
            "require_provenance",
            "require_approval",
            "rotation_requires_approval",
            "require_signed_approvals",
            "allow_self_approval",
        ):
            if key in data:
                changes[key] = self.boolean(data[key], key)
        changes.update(self.approvals(data))
        if "trusted_publishers" in data:
            changes["trusted_publishers"] = self.strings(
                data["trusted_publishers"], "trusted_publishers"
            )
        if "allowed_registries" in data:
            registries = self.strings(data["allowed_registries"], "allowed_registries")
            for i, url in enumerate(registries):
                if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
                    raise self.fail(
                        f"allowed_registries entry {url!r} is not an http(s) URL",
                        "allowed_registries",
                        i,
                    )
            changes["allowed_registries"] = registries
        if "npm" in data:
            changes["npm_keys"] = self.npm_keys(data["npm"])
        if "rules" in data:
            changes["rule_overrides"] = self.rule_overrides(data["rules"])
        if "waivers" in data:
            changes["waivers"] = self.waivers(data["waivers"])
        return dataclasses.replace(policy, **changes)  # type: ignore[arg-type]

    def approvals(self, data: Mapping[str, object]) -> dict[str, object]:
        changes: dict[str, object] = {}
        if "allowed_signers" in data:
            name = self.string(data["allowed_signers"], "allowed_signers")
            changes["allowed_signers"] = str(Path(self.where).parent / Path(name).expanduser())
        if data.get("require_signed_approvals") is True and "allowed_signers" not in data:
            raise self.fail(
                "require_signed_approvals needs allowed_signers (the file naming each "
                "approver's key)",
                "require_signed_approvals",
            )
        if "approval_valid_days" in data:
            changes["approval_valid_days"] = self.integer(
                data["approval_valid_days"], 0, 3650, "approval_valid_days"
            )
        if "min_approvals" in data:
            changes["min_approvals"] = self.integer(data["min_approvals"], 1, 10, "min_approvals")
        if "min_approvals_for" in data:
            entries = data["min_approvals_for"]
            if not isinstance(entries, list):
                raise self.fail(
                    "min_approvals_for must be an array of tables ([[min_approvals_for]])",
                    "min_approvals_for",
                )
            changes["min_approvals_for"] = tuple(
                self.requirement(e, i) for i, e in enumerate(entries)
            )
        return changes

    def requirement(self, entry: object, index: int) -> ApprovalRequirement:
        path = ("min_approvals_for", index)
        if not isinstance(entry, dict):
            raise self.fail("each [[min_approvals_for]] must be a table", *path)
        self.reject_unknown(entry, _REQUIREMENT_KEYS, path)
        if "count" not in entry:
            raise self.fail("[[min_approvals_for]] is missing 'count'", *path)
        holding = None
        if "holding" in entry:
            holding = self.string(entry["holding"], *path, "holding")
            if holding not in HOLDING:
                raise self.fail(f"holding must be one of {', '.join(HOLDING)}", *path, "holding")
        return ApprovalRequirement(
            count=self.integer(entry["count"], 1, 10, *path, "count"),
            target=self.string(entry["target"], *path, "target") if "target" in entry else "*",
            holding=holding,
            line=self.lines.line_of(path),
        )

    def npm_keys(self, table: object) -> tuple[tuple[str, Path], ...]:
        if not isinstance(table, dict):
            raise self.fail("[npm] must be a table", "npm")
        self.reject_unknown(table, _NPM_KEYS, ("npm",))
        keys = table.get("keys", {})
        if not isinstance(keys, dict):
            raise self.fail("[npm] keys must be a table of registry URL = keys file", "npm", "keys")
        found = []
        base = Path(self.where).parent
        for url, file in keys.items():
            if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
                raise self.fail(
                    f"[npm] keys: {url!r} is not an http(s) registry URL", "npm", "keys", url
                )
            path = Path(self.string(file, "npm", "keys", url)).expanduser()
            found.append((url, path if path.is_absolute() else base / path))
        return tuple(found)

    def reject_unknown(
        self, table: Mapping[str, object], allowed: Collection[str], path: tuple[str | int, ...]
    ) -> None:
        for key in table:
            if key not in allowed:
                where = f" in [{'.'.join(str(p) for p in path)}]" if path else ""
                raise self.fail(f"unknown key {key!r}{where}", *path, key)

    def severity(self, value: object, *path: str | int) -> Severity:
        if not isinstance(value, str):
            raise self.fail(f"{path[-1]} must be a severity name", *path)
        try:
            return Severity.parse(value)
        except ValueError as exc:
            raise self.fail(str(exc), *path) from None

    def integer(self, value: object, low: int, high: int, *path: str | int) -> int:
        # bool is an int in Python; `min_score = true` is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{path[-1]} must be an integer", *path)
        if not low <= value <= high:
            raise self.fail(f"{path[-1]} must be between {low} and {high}", *path)
        return value

    def boolean(self, value: object, *path: str | int) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{path[-1]} must be true or false", *path)
        return value

    def string(self, value: object, *path: str | int) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{path[-1]} must be a non-empty string", *path)
        return value.strip()

    def strings(self, value: object, *path: str | int) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(f"{path[-1]} must be a list of strings", *path)
        return tuple(self.string(v, *path, i) for i, v in enumerate(value))

    def rule_id(self, value: object, *path: str | int) -> str:
        rule = self.string(value, *path)
        if rule not in self.rule_ids:
            raise self.fail(f"unknown rule id {rule!r}", *path)
        return rule

    def rule_overrides(self, table: object) -> tuple[RuleOverride, ...]:
        if not isinstance(table, dict):
            raise self.fail("rules must be a table of [rules.<ID>] tables", "rules")
        overrides = []
        for rule, settings in sorted(table.items()):
            path = ("rules", rule)
            self.rule_id(rule, *path)
            if not isinstance(settings, dict):
                raise self.fail(f"[rules.{rule}] must be a table", *path)
            self.reject_unknown(settings, _RULE_KEYS, path)
            overrides.append(
                RuleOverride(
                    rule=rule,
                    severity=(
                        self.severity(settings["severity"], *path, "severity")
                        if "severity" in settings
                        else None
                    ),
                    enabled=(
                        self.boolean(settings["enabled"], *path, "enabled")
                        if "enabled" in settings
                        else None
                    ),
                )
            )
        return tuple(overrides)

    def waivers(self, entries: object) -> tuple[Waiver, ...]:
        if not isinstance(entries, list):
            raise self.fail("waivers must be an array of tables ([[waivers]])", "waivers")
        return tuple(self.waiver(entry, i) for i, entry in enumerate(entries))

    def waiver(self, entry: object, index: int) -> Waiver:
        path = ("waivers", index)
        if not isinstance(entry, dict):
            raise self.fail("each waiver must be a table", *path)
        self.reject_unknown(entry, _WAIVER_KEYS, path)
        for key in _WAIVER_REQUIRED:
            if key not in entry:
                raise self.fail(f"waiver #{index + 1} is missing the required key {key!r}", *path)
        optional = {
            key: self.string(entry[key], *path, key)
            for key in ("target", "advisory", "owner")
            if key in entry
        }
        return Waiver(
            rule=self.rule_id(entry["rule"], *path, "rule"),
            reason=self.string(entry["reason"], *path, "reason"),
            approver=self.string(entry["approver"], *path, "approver"),
            expires=self.date(entry["expires"], *path, "expires"),
            file=self.where,
            line=self.lines.line_of(path),
            **optional,
        )

    def date(self, value: object, *path: str | int) -> date:
        if isinstance(value, datetime):
            raise self.fail("expires must be a date (YYYY-MM-DD), not a date-time", *path)
        if isinstance(value, date):
            return value
        if isinstance(value, str) and _DATE_RE.fullmatch(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail("expires must be a date (YYYY-MM-DD)", *path)


def policy_problems(path: Path, *, rule_ids: Collection[str]) -> list[PolicyFileError]:
    """Every problem of a policy file (``load_policy`` stops at the first), in line order.

    Used by ``mcpscan policy check``; an empty list means ``load_policy`` accepts it.
    """
    try:
        load_policy(path, rule_ids=rule_ids)
    except PolicyFileError as exc:
        first = exc
    else:
        return []
    if first.line is None:  # unreadable: nothing more can be said
        return [first]
    try:
        reader = _Reader(path.read_bytes().decode("utf-8"), str(path), rule_ids)
    except PolicyFileError:  # a TOML syntax error: the document has no keys to check
        return [first]
    data = reader.data
    found: list[PolicyFileError] = []

    def attempt(part: Mapping[str, object]) -> None:
        # Each part is validated alone so one mistake does not hide the next.
        sub = copy.copy(reader)
        sub.data = dict(part)
        try:
            sub.read()
        except PolicyFileError as exc:
            found.append(exc)

    for key, value in data.items():
        if key == "rules" and isinstance(value, dict):
            for rule, settings in value.items():
                attempt({"rules": {rule: settings}})
        elif key == "waivers" and isinstance(value, list):
            for index, entry in enumerate(value):
                try:
                    reader.waiver(entry, index)
                except PolicyFileError as exc:
                    found.append(exc)
        elif key == "require_signed_approvals" and "allowed_signers" in data:
            attempt({key: value, "allowed_signers": data["allowed_signers"]})
        else:
            attempt({key: value})
    return sorted(found, key=lambda e: (e.line or 0, e.message))
