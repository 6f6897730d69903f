"""The one place that recognises credentials and redacts them.

Every value read from a configuration that may be a credential goes through this module on
its way to any output: reports, the terminal, errors, tracebacks, the lock, ``diff``, the
attestation, HTTP messages and the cache. It answers:

* Is a configured value written literally, or does it name where the value comes from
  (``${input:x}``, ``${env:X}``, ``$X``, ``${{ secrets.X }}``)?  -> :func:`value_kind`
* Does a literal look like a credential, and of which kind?  -> :func:`classify`
* Which credentials does a command line carry, in any of the forms a user writes them
  (``--flag=value``, ``--flag value``, ``-Hvalue``, ``KEY=value``, a header line, URL
  user-info or query parameters anywhere inside an argument, inner command strings of
  proxies and shells)?  -> :func:`find_in_argv`, :func:`redact_argv`
* What may be shown of a URL, or of any text holding URLs?  -> :func:`redact_url`,
  :func:`display_url`, :func:`scrub_text`

:class:`Redactor` is the last line of defence: every byte the CLI prints or writes passes
through it, so even a bug elsewhere cannot print a secret that was read from a config.
"""

from __future__ import annotations

import functools
import math
import re
import shlex
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from mcpscan.models import Sensitive, ValueKind

# Placeholders that name a value instead of holding it. Order does not matter; any match
# means the configured text is (at least partly) an indirection.
_INDIRECTION_PATTERNS = (
    r"\$\{\{\s*[^}]+\}\}",  # Continue ${{ secrets.NAME }}
    r"\$\{(?:input|env|file|config|workspaceFolder|userHome|pathSeparator)(?::[^}]*)?\}",
    r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}",  # ${VAR}, ${VAR:-default}
    r"\$[A-Za-z_][A-Za-z0-9_]*",  # $VAR
    r"%[A-Za-z_][A-Za-z0-9_]*%",  # %VAR% (Windows, Gemini)
    r"\{[A-Za-z_][A-Za-z0-9_]*\}",  # server.json {var} templates
    r"\{(?:env|file):[^}]+\}",  # opencode {env:VAR}, {file:path}
)
_INDIRECTION_RE = re.compile("|".join(f"(?:{p})" for p in _INDIRECTION_PATTERNS))

# Known credential formats: (kind, pattern). Patterns are anchored loosely so that a token
# embedded in "Bearer <token>" or a URL is still recognised.
_TOKEN_PATTERNS: tuple[tuple[str, str], ...] = (
    ("GitHub classic token", r"\bghp_[A-Za-z0-9]{36,}\b"),
    ("GitHub fine-grained token", r"\bgithub_pat_[A-Za-z0-9_]{50,}\b"),
    ("GitHub OAuth token", r"\bgho_[A-Za-z0-9]{36,}\b"),
    ("GitHub app token", r"\bgh[usr]_[A-Za-z0-9]{36,}\b"),
    ("GitLab token", r"\bglpat-[A-Za-z0-9_\-]{20,}\b"),
    ("Anthropic API key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
    ("OpenAI API key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("Slack token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    ("Slack webhook", r"hooks\.slack\.com/services/[A-Za-z0-9/]+"),
    ("AWS access key id", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    ("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    ("Stripe key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b"),
    ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("PyPI token", r"\bpypi-[A-Za-z0-9_\-]{50,}"),
    ("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b"),
    ("UUID-style key", r"\b[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\b"),
    ("Notion token", r"\b(?:secret_|ntn_)[A-Za-z0-9]{40,}\b"),
    ("Linear API key", r"\blin_api_[A-Za-z0-9]{30,}\b"),
    ("Supabase token", r"\bsbp_[A-Za-z0-9]{30,}\b"),
    ("JSON Web Token", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    ("private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
)
_TOKEN_RES = tuple((kind, re.compile(p)) for kind, p in _TOKEN_PATTERNS)

# Names that say "this holds a credential" even when the value has no known format.
_SECRET_NAME_RE = re.compile(
    r"(?i)(token|secret|passw(or)?d|passphrase|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|credential|auth|bearer|session|cookie|signature|client[_-]?secret|pat$)"
)

# Literals that are obviously placeholders, not secrets a user pasted.
_PLACEHOLDER_RE = re.compile(
    r"(?i)^(<[^>]*>|\[[^\]]*\]|your[_\- ].*|xxx+|\*+|changeme|replace[_\-]?me|todo|example|"
    r"placeholder|\.\.\.|none|null|true|false|on|off|yes|no|\d{1,6}|token|key|secret|"
    r"password|api[_\-]?key|value|string|here|redacted)$"
)

_BEARER_RE = re.compile(r"(?i)^(bearer|token|basic)\s+(\S+)$")


@dataclass(frozen=True)
class SecretMatch:
    kind: str  # e.g. "GitHub classic token", "high-entropy value", "value of a secret-named key"


def value_kind(value: str) -> ValueKind:
    """Whether ``value`` is written literally or refers to where the value lives.

    A value mixing text and a reference (``"Bearer ${API_KEY}"``) is an indirection; but
    a reference next to a literal token (``"Bearer ghp_…"``) is not.
    """
    if value.strip() == "":
        return ValueKind.EMPTY
    if _INDIRECTION_RE.search(value):
        remainder = _INDIRECTION_RE.sub("", value)
        if classify(remainder) is None:
            return ValueKind.INDIRECTION
    return ValueKind.LITERAL


def shannon_entropy(text: str) -> float:
    if not text:
        return 0.0
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


_KEYLIKE_RE = re.compile(r"^[A-Za-z0-9+_\-.]+={0,2}$")
_BASE64_KEY_RE = re.compile(r"^[A-Za-z0-9+][A-Za-z0-9+/]{19,}={0,2}$")


def _high_entropy(token: str) -> bool:
    """A random-looking key: long, mixed letters and digits, no path/URL/package shape."""
    if len(token) < 20:
        return False
    # Base64 keys (AWS secret access keys) may hold "/": accept them only when they do not
    # look like a path (no leading / . ~) and mix upper, lower case and digits.
    if not _KEYLIKE_RE.match(token) and not (
        _BASE64_KEY_RE.match(token)
        and re.search(r"[A-Z]", token)
        and re.search(r"[a-z]", token)
        and re.search(r"[0-9]", token)
    ):
        return False
    if not (re.search(r"[0-9]", token) and re.search(r"[A-Za-z]", token)):
        return False
    separators = token.count("-") + token.count(".")
    if re.fullmatch(r"[a-z0-9]+(?:[._\-][a-z0-9]+)*", token) and separators >= 2:
        return False  # a lower-case dotted/dashed identifier (package, host name, version)
    return shannon_entropy(token) >= 3.5


def classify(value: str, *, name: str | None = None) -> SecretMatch | None:
    """Say what kind of credential ``value`` looks like, or ``None`` if it does not.

    ``name`` is the env var / header name, when known: a non-placeholder literal under a
    secret-sounding name is treated as a secret even when its format is unknown.
    """
    text = value.strip()
    if not text or _PLACEHOLDER_RE.match(text):
        return None
    for kind, rx in _TOKEN_RES:
        if rx.search(text):
            return SecretMatch(kind)
    bearer = _BEARER_RE.match(text)
    if bearer and not _PLACEHOLDER_RE.match(bearer.group(2)):
        return SecretMatch(f"{bearer.group(1).capitalize()} credential")
    if _high_entropy(text):
        return SecretMatch("high-entropy value")
    if name and _SECRET_NAME_RE.search(name) and len(text) >= 4 and " " not in text:
        return SecretMatch("value of a secret-named key")
    return None


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME_RE.search(name))


def is_placeholder(value: str) -> bool:
    """Whether a literal is an obvious stand-in (``true``, ``value``, ``<token>``), not a
    credential someone pasted."""
    return bool(_PLACEHOLDER_RE.match(value.strip()))


# classify() kinds that do not, on their own, show that a value is a credential: package
# names and slugs are "high-entropy" too, and any word is a "value" under a secret name.
WEAK_KINDS = frozenset({"high-entropy value", "value of a secret-named key"})


def known_token(text: str) -> bool:
    """True when ``text`` contains a credential of a recognisable format."""
    match = classify(text)
    return match is not None and match.kind not in WEAK_KINDS


# --------------------------------------------------------------------------------------------
# URLs

# A URL anywhere inside a value: "--registry=https://u:p@host/", "DB=postgres://...".
URL_RE = re.compile(r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>`]+")


@dataclass(frozen=True)
class RedactedUrl:
    """What may be shown of a URL, and what it hid."""

    display: str  # no user-info; query/fragment values and key-like path segments REDACTED
    secret_keys: tuple[str, ...]  # query keys holding a secret; "<path>" for a path segment
    has_userinfo: bool


def _secret_segment(segment: str) -> bool:
    """A path segment that is itself a key (``/mcp/<key>/sse``, as Zapier-style URLs do)."""
    text = unquote(segment)
    if value_kind(text) is not ValueKind.LITERAL:
        return False
    match = classify(text)
    if match is None:
        return False
    if match.kind not in WEAK_KINDS:
        return True
    # Entropy alone also flags long slugs; a key mixes letters and digits.
    return len(text) >= 24 and bool(re.search(r"\d", text)) and bool(re.search(r"[A-Za-z]", text))


def _secret_pair(key: str, eq: str, val: str) -> tuple[str, str] | None:
    """(name, raw value) of a ``key=value`` query/fragment pair that holds a credential."""
    if eq:
        raw = unquote(val.replace("+", " "))
        name = unquote(key)
        literal = bool(raw) and value_kind(raw) is ValueKind.LITERAL and not is_placeholder(raw)
        if literal and (is_secret_name(name) or classify(raw, name=name) is not None):
            return name, val
        return None
    if value_kind(key) is ValueKind.LITERAL and known_token(unquote(key)):
        return "<query>", key
    return None


def _pairs(text: str) -> Iterator[tuple[str, str, str]]:
    for pair in re.split(r"[&;]", text):
        if pair:
            yield pair.partition("=")


def _url_parts(text: str) -> tuple[str, str, str, str, str]:
    """(scheme+"//", user-info, host and path, query, fragment) of a URL-like string; works on
    strings that are not valid URLs too."""
    rest, _, fragment = text.partition("#")
    rest, _, query = rest.partition("?")
    lead = re.match(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://)?", rest)
    prefix = lead.group(0) if lead else ""
    after = rest[len(prefix) :]
    userinfo = ""
    if prefix.endswith("//"):
        authority, slash, path = after.partition("/")
        userinfo, _, hostport = authority.rpartition("@")
        after = hostport + slash + path
    return prefix, userinfo, after, query, fragment


def redact_url(text: str) -> RedactedUrl:
    """``text`` without user-info, with query and fragment values and key-like path
    segments replaced by ``REDACTED``."""
    secret_keys: list[str] = []
    prefix, userinfo, after, query, fragment = _url_parts(text)
    has_query = "?" in text.partition("#")[0]
    if prefix.endswith("//"):
        head, slash, path = after.partition("/")
        head += slash
    else:
        head, path = "", after
    segments = []
    for seg in path.split("/"):
        if seg and _secret_segment(seg):
            secret_keys.append("<path>")
            segments.append("REDACTED")
        else:
            segments.append(seg)
    display = prefix + head + "/".join(segments)
    if has_query:
        shown = []
        for key, eq, val in _pairs(query):
            found = _secret_pair(key, eq, val)
            if found:
                secret_keys.append(found[0])
            shown.append(f"{key}=REDACTED" if eq else ("REDACTED" if found else key))
        display += "?" + "&".join(shown)
    if "#" in text:
        secret_keys.extend(found[0] for p in _pairs(fragment) if (found := _secret_pair(*p)))
        display += "#REDACTED"
    return RedactedUrl(display, tuple(dict.fromkeys(secret_keys)), bool(userinfo))


def display_url(url: str) -> str:
    """``url`` as it may appear in a message, a report or a cache key."""
    return redact_url(url.strip()).display


@dataclass(frozen=True)
class _Hit:
    """A credential found in some text: its name, kind, form and the text as written."""

    name: str
    kind: str
    form: str
    raw: str


def _url_hits(url: str) -> Iterator[_Hit]:
    prefix, userinfo, after, query, fragment = _url_parts(url)
    if userinfo:
        user, colon, password = unquote(userinfo).partition(":")
        if colon and password:
            if value_kind(password) is ValueKind.LITERAL and not is_placeholder(password):
                match = classify(password)
                kind = match.kind if match and match.kind not in WEAK_KINDS else "URL password"
                yield _Hit("password", kind, "url-userinfo", userinfo)
        elif value_kind(user) is ValueKind.LITERAL and (
            known_token(user) or classify(user) is not None
        ):
            match = classify(user)
            yield _Hit("user", match.kind if match else "secret", "url-userinfo", userinfo)
    for key, eq, val in (*_pairs(query), *_pairs(fragment)):
        found = _secret_pair(key, eq, val)
        if found:
            match = classify(unquote(found[1]), name=found[0])
            yield _Hit(found[0], match.kind if match else "secret", "url-query", found[1])
    for seg in after.split("/")[1:] if prefix.endswith("//") else after.split("/"):
        if seg and _secret_segment(seg):
            match = classify(unquote(seg))
            yield _Hit("<path>", match.kind if match else "secret", "url-path", seg)


# --------------------------------------------------------------------------------------------
# Command lines


@dataclass(frozen=True)
class Credential:
    """A literal credential in a command line (never shown: only its name, kind and
    fingerprint are)."""

    name: str  # the flag, header, variable or URL part holding it; "" for a positional
    kind: str  # what classify() calls it ("GitHub classic token", "URL password", ...)
    form: str  # "flag", "header", "assignment", "glued", "positional", "url-userinfo", ...
    index: int  # index of the outer argument holding it
    value: Sensitive
    nested: bool = False  # inside an inner command string (proxy --stdio, sh -c)

    @property
    def in_url(self) -> bool:
        return self.form.startswith("url")

    @property
    def evidence(self) -> str:
        return f"{self.name or 'argument'}: {marker(self.value, self.kind)}"


# Flags whose value is a header line ("Authorization: Bearer ..."), and flags whose value is
# a NAME=value assignment (docker -e, --env).
HEADER_FLAGS = frozenset({"--header", "--headers", "-H", "--http-header", "--oauth2Bearer"})
_ENV_FLAGS = frozenset({"-e", "--env", "--set-env", "--build-arg"})
# Inner command strings nested deeper than this are pathological; they are redacted whole.
MAX_DEPTH = 5
_HEADER_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]+):(?!//)\s*(.+)$", re.DOTALL)
_AUTH_SCHEME_RE = re.compile(r"(?i)^(bearer|token|basic)\s+(\S+)$")
_HEADER_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
_ASSIGN_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$", re.DOTALL)


def _takes_value(arg: str) -> bool:
    """Whether ``arg`` is a flag that may take the next argument as its value (``--token``,
    ``-e``), not one that carries its value already (``--a=b``, ``-Hvalue``)."""
    if arg.startswith("--"):
        return len(arg) > 2 and "=" not in arg
    return bool(re.match(r"^-[A-Za-z]$", arg))


def split_words(text: str) -> list[str]:
    """How a shell would split ``text`` into words, with ``;``, ``&&``, ``|`` ... as words of
    their own; on unbalanced quotes, split on whitespace."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:
        return text.split()


class _Finder:
    """Walks one argv (and every inner command string in it) collecting credentials."""

    def __init__(self, cautious: bool) -> None:
        self.cautious = cautious  # redaction errs on the safe side; findings need confidence
        self.found: list[Credential] = []
        self._depth = 0
        self._index = 0

    def add(self, name: str, kind: str, form: str, raw: str) -> None:
        cred = Credential(name, kind, form, self._index, Sensitive(raw), self._depth > 0)
        if all((c.index, c.value) != (cred.index, cred.value) for c in self.found):
            self.found.append(cred)

    def value(self, text: str, name: str | None, form: str) -> bool:
        """Record ``text`` when it is a literal credential under ``name``; say whether it was."""
        value = text.strip()
        if not value or value_kind(value) is not ValueKind.LITERAL:
            return False
        scheme = _AUTH_SCHEME_RE.match(value)
        if scheme:
            value, name = scheme.group(2), name or "authorization"
        secret_named = bool(name) and is_secret_name((name or "").lstrip("-"))
        match = classify(value, name=name if secret_named else None)
        if match is None or (match.kind in WEAK_KINDS and not secret_named and not self.cautious):
            return False
        self.add(name or "", match.kind, form, value)
        return True

    def urls(self, text: str) -> None:
        for m in URL_RE.finditer(text):
            for hit in _url_hits(m.group(0)):
                self.add(hit.name, hit.kind, hit.form, hit.raw)

    def header(self, text: str, flag: str) -> None:
        m = _HEADER_RE.match(text.strip())
        if m:
            self.value(m.group(2), m.group(1), "header")
        elif _HEADER_NAME_RE.match(text) and not known_token(text):
            return  # mcp-proxy "--headers NAME VALUE": the name; its value comes next
        elif not self.value(text, None, "header") and self.cautious:
            self.value(text, "authorization", "header")

    def assignment(self, text: str, form: str = "assignment") -> bool:
        m = _ASSIGN_RE.match(text)
        return m is not None and self.value(m.group(2), m.group(1), form)

    def inner(self, text: str) -> None:
        if self._depth >= MAX_DEPTH:
            if self.cautious:
                self.add("", "inner command too deep to analyse", "nested", text)
            return
        self._depth += 1
        try:
            self.argv(split_words(text), self._index)
        finally:
            self._depth -= 1

    def flag_value(self, text: str, flag: str) -> None:
        if "://" in text and not any(c.isspace() for c in text.strip()):
            return  # a URL: urls() has checked its parts
        if flag in HEADER_FLAGS or _HEADER_RE.match(text.strip()):
            self.header(text, flag)
        elif _AUTH_SCHEME_RE.match(text.strip()):
            self.value(text, flag, "flag")
        elif any(c.isspace() for c in text.strip()):
            self.inner(text)
        elif flag in _ENV_FLAGS or (_ASSIGN_RE.match(text) and "://" not in text):
            if not self.assignment(text):
                self.value(text, flag, "flag")
        else:
            self.value(text, flag, "flag")

    def arg(self, text: str, prev: str | None, prev2: str | None) -> None:
        self.urls(text)
        if text.startswith("--") and "=" in text:
            flag, _, value = text.partition("=")
            self.flag_value(value, flag)
        elif re.match(r"^-[A-Za-z]", text):
            if len(text) > 2 and text[:2] in HEADER_FLAGS:
                self.header(text[2:], text[:2])
            elif len(text) > 2 and text[:2] in _ENV_FLAGS:
                self.assignment(text[2:], "glued")
            elif "=" in text:
                flag, _, value = text.partition("=")
                self.flag_value(value, flag)
            elif len(text) > 10:
                self.value(text[2:], None, "glued")
        elif prev is not None and _takes_value(prev):
            self.flag_value(text, prev)
        elif prev2 == "--headers" and prev is not None:
            self.value(text, prev, "header")  # mcp-proxy: --headers NAME VALUE
        elif _ASSIGN_RE.match(text) and "://" not in text.partition("=")[0]:
            self.assignment(text)
        elif any(c.isspace() for c in text.strip()) and not _HEADER_RE.match(text.strip()):
            self.inner(text)
        elif _HEADER_RE.match(text.strip()):
            self.header(text, "")
        else:
            self.value(text, None, "positional")

    def argv(self, argv: Sequence[str], index: int | None = None) -> None:
        for i, text in enumerate(argv):
            self._index = i if index is None else index
            self.arg(text, argv[i - 1] if i else None, argv[i - 2] if i > 1 else None)


def find_in_argv(argv: Sequence[str], *, cautious: bool = False) -> list[Credential]:
    """Every literal credential in a command line, in every form it may be written in.

    ``cautious`` also takes values that only look random (no known format, no secret name):
    right for redaction, too noisy for findings.
    """
    finder = _Finder(cautious)
    finder.argv(argv)
    return finder.found


def redact_argv(argv: Sequence[str], known: Iterable[Sensitive] = ()) -> tuple[str, ...]:
    """``argv`` with every credential replaced by its fingerprint marker, each argument in its
    place (so a rotated secret changes the marker and nothing else). ``known`` are values
    found elsewhere (a launcher's own analysis) that must not survive either."""
    out = list(argv)
    for cred in find_in_argv(argv, cautious=True):
        out[cred.index] = out[cred.index].replace(cred.value.reveal(), marker(cred.value))
    redactor = Redactor(known)
    return tuple(redactor.scrub(arg) for arg in out)


_MARKER_RE = re.compile(r"<redacted (?:[^<>,]+, )?sha256:[0-9a-f]{12}>")


def only_secrets_differ(before: str, after: str) -> bool:
    """Whether two redacted texts differ only in the fingerprints of secrets at the same
    places: a rotated credential, nothing else changed."""
    if before == after:
        return False
    return _MARKER_RE.sub("<redacted>", before) == _MARKER_RE.sub("<redacted>", after)


# --------------------------------------------------------------------------------------------
# Free text

# Token formats scrubbed from any printed text, even when no config declared them (a token
# typed in a CLI target, quoted in an error). UUIDs are ordinary identifiers in reports.
_SCRUB_KINDS = tuple((k, rx) for k, rx in _TOKEN_RES if k != "UUID-style key")


def scrub_text(text: str, redactor: Redactor | None = None) -> str:
    """``text`` with every URL in its display form, every recognisable token replaced by a
    marker and (with ``redactor``) every known secret value removed."""
    if redactor is not None:
        text = redactor.scrub(text)
    text = URL_RE.sub(lambda m: display_url(m.group(0)), text)
    for kind, rx in _SCRUB_KINDS:
        text = rx.sub(functools.partial(_token_marker, kind), text)
    return text


def _token_marker(kind: str, match: re.Match[str]) -> str:
    return marker(Sensitive(match.group(0)), kind)


class Redactor:
    """Replaces every known secret value in a text with a fingerprinted marker."""

    _MIN_LEN = 4  # shorter values would blank out ordinary words

    def __init__(self, secrets: Iterable[Sensitive] = ()) -> None:
        self._values: dict[str, str] = {}
        for s in secrets:
            self.add(s)

    def add(self, secret: Sensitive) -> None:
        raw = secret.reveal()
        if len(raw) >= self._MIN_LEN:
            self._values[raw] = f"<redacted {secret.fingerprint}>"

    def merge(self, other: Redactor) -> None:
        self._values.update(other._values)

    def __len__(self) -> int:
        return len(self._values)

    def scrub(self, text: str) -> str:
        if not self._values:
            return text
        # Longest first so a secret containing another is replaced whole.
        for raw in sorted(self._values, key=len, reverse=True):
            if raw in text:
                text = text.replace(raw, self._values[raw])
        return text


def marker(secret: Sensitive, kind: str | None = None) -> str:
    """How a secret is shown in reports: never the value, only its kind and fingerprint."""
    return f"<redacted {kind + ', ' if kind else ''}{secret.fingerprint}>"
