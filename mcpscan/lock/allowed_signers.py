"""Allowed-signers files: which SSH key may sign as which person.

The format is OpenSSH's (``ssh-keygen(1)``, "ALLOWED SIGNERS"), the one git reads from
``gpg.ssh.allowedSignersFile``; one line per key::

    sec-lead,alice@example.com namespaces="mcpscan-approval,git" ssh-ed25519 AAAA… comment

``principals`` is a comma-separated pattern list (``*`` and ``?`` wildcards, ``!`` negates);
options are ``namespaces="…"`` (a pattern list of namespaces the key may sign for),
``valid-after="YYYYMMDD[HHMM[SS]][Z]"``, ``valid-before="…"`` and ``cert-authority``.
Certificate authorities are read but never match: mcpscan checks plain keys only, so a
certificate signature is an unknown signer, never a pass.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from mcpscan.lock.interface import LockError, SignatureError
from mcpscan.lock.sshsig import fingerprint, parse_public_line

MAX_FILE_BYTES = 1024 * 1024
_OPTIONS = ("namespaces", "valid-after", "valid-before", "cert-authority")


@dataclass(frozen=True)
class AllowedSigner:
    principals: tuple[str, ...]  # patterns
    key_blob: bytes
    line: int
    namespaces: tuple[str, ...] | None = None  # patterns; None: any namespace
    valid_after: _dt.datetime | None = None  # aware (UTC)
    valid_before: _dt.datetime | None = None
    cert_authority: bool = False

    def names(self, principal: str) -> bool:
        return match_pattern_list(principal, self.principals)

    def allows_namespace(self, namespace: str) -> bool:
        return self.namespaces is None or match_pattern_list(namespace, self.namespaces)

    def valid_on(self, day: _dt.date) -> bool:
        """Whether the key was valid at some time of ``day`` (UTC): an approval records
        its date, not its second."""
        start = _dt.datetime.combine(day, _dt.time(), tzinfo=_dt.timezone.utc)
        end = start + _dt.timedelta(days=1)
        if self.valid_after is not None and self.valid_after >= end:
            return False
        return self.valid_before is None or self.valid_before > start


@dataclass(frozen=True)
class SignerCheck:
    """Whether one key may sign as one principal: ``ok``, else ``problem`` says why."""

    ok: bool
    problem: str = ""
    line: int | None = None  # the allowed-signers line that decided it


@dataclass(frozen=True)
class AllowedSigners:
    path: str
    signers: tuple[AllowedSigner, ...]

    def check(
        self, principal: str, key_blob: bytes, namespace: str, on: _dt.date | None
    ) -> SignerCheck:
        """Whether ``key_blob`` may sign as ``principal`` in ``namespace`` on day ``on``
        (None: the date is unknown, so a key limited in time cannot be accepted)."""
        same_key = [s for s in self.signers if s.key_blob == key_blob and not s.cert_authority]
        key = fingerprint(key_blob)
        if not same_key:
            return SignerCheck(False, f"key {key} is not in the allowed signers {self.path}")
        mine = [s for s in same_key if s.names(principal)]
        if not mine:
            others = sorted({p for s in same_key for p in s.principals})
            return SignerCheck(
                False,
                f"key {key} is allowed to sign as {', '.join(others)}, not as {principal} "
                f"({self.path}:{same_key[0].line})",
                same_key[0].line,
            )
        problem = ""
        for signer in mine:
            if not signer.allows_namespace(namespace):
                problem = f"key {key} may not sign for namespace {namespace}"
            elif (signer.valid_after or signer.valid_before) and on is None:
                problem = f"key {key} is limited in time and the approval has no date"
            elif on is not None and not signer.valid_on(on):
                problem = f"key {key} was not valid on {on.isoformat()}"
            else:
                return SignerCheck(True, line=signer.line)
        return SignerCheck(False, f"{problem} ({self.path}:{mine[0].line})", mine[0].line)


def match_pattern_list(value: str, patterns: tuple[str, ...]) -> bool:
    """OpenSSH ``match_pattern_list``: a negated pattern that matches wins over any other."""
    matched = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if fnmatchcase(value, pattern[1:] if negated else pattern):
            if negated:
                return False
            matched = True
    return matched


def load_allowed_signers(path: Path) -> AllowedSigners:
    where = str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise LockError("allowed signers file not found", file=where) from None
    except OSError as exc:
        raise LockError(f"cannot read allowed signers file: {exc.strerror}", file=where) from None
    if len(data) > MAX_FILE_BYTES:
        raise LockError(f"allowed signers file is larger than {MAX_FILE_BYTES} bytes", file=where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LockError("allowed signers file is not UTF-8", file=where) from None
    return parse_allowed_signers(text, where)


def parse_allowed_signers(text: str, where: str) -> AllowedSigners:
    signers = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            signers.append(_parse_line(line, number))
        except SignatureError as exc:
            raise LockError(exc.message, file=where, line=number) from None
    return AllowedSigners(where, tuple(signers))


def _token(line: str) -> tuple[str, str]:
    """The first whitespace-delimited token (double quotes protect spaces) and the rest."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch in " \t" and not quoted:
            return line[:i], line[i:].lstrip()
    if quoted:
        raise SignatureError("unterminated quote")
    return line, ""


def _is_key_type(token: str) -> bool:
    return token.startswith(("ssh-", "ecdsa-sha2-", "sk-")) or token.endswith("@openssh.com")


def _parse_line(line: str, number: int) -> AllowedSigner:
    principals_field, rest = _token(line)
    principals = tuple(p for p in principals_field.strip('"').split(",") if p)
    if not principals or not rest:
        raise SignatureError("expected 'principals [options] keytype base64-key [comment]'")
    options: dict[str, str | None] = {}
    first, after = _token(rest)
    if not _is_key_type(first):
        options = _parse_options(first)
        rest = after
    if "cert-authority" in options:
        # Read so the file is accepted, never matched (see the module docstring).
        return AllowedSigner(principals, b"", number, cert_authority=True)
    namespaces = options.get("namespaces")
    valid_after = _timestamp(options["valid-after"]) if "valid-after" in options else None
    valid_before = _timestamp(options["valid-before"]) if "valid-before" in options else None
    return AllowedSigner(
        principals=principals,
        key_blob=parse_public_line(rest),
        line=number,
        namespaces=tuple(namespaces.split(",")) if namespaces is not None else None,
        valid_after=valid_after,
        valid_before=valid_before,
    )


def _parse_options(field: str) -> dict[str, str | None]:
    options: dict[str, str | None] = {}
    parts: list[str] = []
    current, quoted = "", False
    for ch in field:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    for part in parts:
        name, eq, value = part.partition("=")
        name = name.lower()
        if name not in _OPTIONS:
            raise SignatureError(f"unknown option {name!r}")
        if eq:
            if len(value) < 2 or not (value.startswith('"') and value.endswith('"')):
                raise SignatureError(f"the value of {name} must be in double quotes")
            options[name] = value[1:-1]
        elif name == "cert-authority":
            options[name] = None
        else:
            raise SignatureError(f"option {name} needs a value")
    return options


def _timestamp(value: str | None) -> _dt.datetime:
    """``YYYYMMDD[HHMM[SS]][Z]``: UTC with ``Z``, else the local time zone (as OpenSSH)."""
    text = value or ""
    utc = text.endswith(("Z", "z"))
    digits = text[:-1] if utc else text
    formats = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
    if not digits.isdigit() or len(digits) not in formats:
        raise SignatureError(f"timestamp {text!r} is not YYYYMMDD[HHMM[SS]][Z]")
    try:
        moment = _dt.datetime.strptime(digits, formats[len(digits)])
    except ValueError:
        raise SignatureError(f"timestamp {text!r} is not a valid date") from None
    if utc:
        return moment.replace(tzinfo=_dt.timezone.utc)
    return moment.astimezone().astimezone(_dt.timezone.utc)
