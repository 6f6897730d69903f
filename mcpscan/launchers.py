"""Unwrap a connector's command line into what it would fetch, run and reach.

A stdio connector is a command line (``npx -y pkg``, ``uvx pkg==1.2``, ``docker run image``,
``npx mcp-remote URL``, ``supergateway --stdio "npx ..."``); a remote connector is a URL. This
module turns either into a :class:`~mcpscan.models.Launch`: the launcher, the packages it would
install (with purls and how precisely each is pinned), proxy hops, remote endpoints, container
flags, path-like arguments and literal secrets found in the arguments.

Everything here is pure string analysis: nothing is executed, fetched or imported from the
scanned configuration. :func:`unwrap` never raises; what it cannot understand it says in
``Launch.notes``, which never carry a configured value (only flag names, launcher names and
fixed wording), so a note can be printed as it is.

``SecretArg.index`` is an index into :func:`split_command` of the connector's command and args.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import json
import os
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple
from urllib.parse import unquote, urlsplit

from mcpscan.models import (
    Connector,
    ContainerFacts,
    Launch,
    PackageRef,
    ProxyHop,
    Remote,
    SecretArg,
    Sensitive,
    ValueKind,
    VersionKind,
)
from mcpscan.redaction import Redactor, classify, is_secret_name, value_kind

__all__ = [
    "NpmSpec",
    "format_npm_spec",
    "package_ref",
    "parse_npm_spec",
    "parse_remote",
    "split_command",
    "unwrap",
]

# Proxies wrapping proxies wrapping launchers: real configs nest two or three levels.
# Anything deeper is pathological input and is reported rather than followed.
MAX_DEPTH = 5

# classify() kinds that do not, on their own, show that an argument is a credential: package
# names such as "@modelcontextprotocol/server-filesystem" are "high-entropy" too.
_WEAK_KINDS = frozenset({"high-entropy value", "value of a secret-named key"})

_MCP_AUTH_DIR = "~/.mcp-auth"


# --------------------------------------------------------------------------------------------
# Accumulated facts


@dataclass(frozen=True, slots=True)
class _Tok:
    """One argument and its index in the connector's argv (inner commands keep the index of
    the outer argument that holds them)."""

    text: str
    index: int


class _Opt(NamedTuple):
    flag: str
    value: str | None
    tok: _Tok  # the token holding the value (or the flag itself when it has none)


@dataclass
class _Acc:
    """Facts gathered while walking one connector's command line (and any nested ones)."""

    env_names: frozenset[str] = frozenset()
    packages: list[PackageRef] = field(default_factory=list)
    proxies: list[ProxyHop] = field(default_factory=list)
    remotes: list[Remote] = field(default_factory=list)
    secret_args: list[SecretArg] = field(default_factory=list)
    path_args: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    auto_install: bool = False
    container: ContainerFacts | None = None
    _seen_secrets: set[tuple[int, str]] = field(default_factory=set)
    _seen_notes: set[str] = field(default_factory=set)

    def note(self, text: str) -> None:
        if text not in self._seen_notes:
            self._seen_notes.add(text)
            self.notes.append(text)

    def secret(self, flag: str, tok: _Tok, value: str) -> None:
        if (tok.index, value) not in self._seen_secrets:
            self._seen_secrets.add((tok.index, value))
            self.secret_args.append(SecretArg(flag=flag, index=tok.index, value=Sensitive(value)))

    def remote(self, remote: Remote) -> None:
        self.remotes.append(remote)
        if not remote.scheme:
            self.note("a remote URL could not be parsed (it may be built from a variable)")


# --------------------------------------------------------------------------------------------
# Small helpers


def _known_token(text: str) -> bool:
    """True when ``text`` contains a credential of a recognisable format."""
    match = classify(text)
    return match is not None and match.kind not in _WEAK_KINDS


def _safe(text: str) -> str:
    """``text`` for a note: names only, never something that looks like a credential."""
    if _known_token(text):
        return "<redacted>"
    return text if len(text) <= 80 else text[:77] + "..."


def _check_value(acc: _Acc, flag: str, tok: _Tok, value: str, name: str | None) -> bool:
    """Record ``value`` as a SecretArg when it is a literal credential; say whether it was.

    ``name`` (a flag, header or env var name) lets a secret-named slot count even when the
    value's format is unknown; without a secret name only recognisable formats count.
    """
    if value_kind(value) is not ValueKind.LITERAL:
        return False
    secret_named = bool(name) and is_secret_name(name or "")
    match = classify(value, name=name if secret_named else None)
    if match is None or (match.kind in _WEAK_KINDS and not secret_named):
        return False
    acc.secret(flag, tok, value)
    return True


def _guard_spec(acc: _Acc, tok: _Tok, text: str) -> bool:
    """A credential where a package, image or script was expected: record it, keep it out of
    every other fact, and say so."""
    if value_kind(text) is ValueKind.LITERAL and _known_token(text):
        acc.secret("", tok, text)
        acc.note("an argument where a package or program was expected looks like a credential")
        return True
    return False


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WIN_EXTS = (".exe", ".cmd", ".bat", ".com", ".ps1")
_PYTHON_RE = re.compile(r"^(?:python(?:\d+(?:\.\d+)*)?w?|py)$")


def _basename(text: str) -> str:
    """``/usr/local/bin/npx``, ``C:\\...\\npx.cmd`` -> ``npx``; ``python3.11`` -> ``python``."""
    base = re.split(r"[\\/]", text.strip().strip("\"'"))[-1].lower()
    for ext in _WIN_EXTS:
        if base.endswith(ext):
            base = base[: -len(ext)]
            break
    if _PYTHON_RE.match(base):
        return "python"
    if base == "nodejs":
        return "node"
    return base


_PATH_RE = re.compile(
    r"""^(?:
        [/\\]                                   # /, /x, \\server\share
      | ~                                       # ~, ~/x, ~user
      | \.{1,2}(?:$|[/\\])                      # ., .., ./x, ../x
      | [A-Za-z]:(?:$|[/\\])                    # C:, C:\, C:/x
      | \$\{?(?:HOME|PWD|USERPROFILE)\}?(?:$|[/\\])
      | \$\{(?:env:)?(?:userHome|workspaceFolder|workspaceRoot|HOME|USERPROFILE)\}
      | %(?:USERPROFILE|HOMEPATH|HOMEDRIVE|APPDATA|LOCALAPPDATA)%
      | file:
    )""",
    re.VERBOSE,
)


def _looks_like_path(text: str) -> bool:
    if "://" in text and not text.startswith("file:"):
        return False
    return bool(_PATH_RE.match(text))


def _is_url(text: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text))


def _host_and_path(url: str) -> tuple[str, str]:
    """Host and path of ``url``; empty strings where urlsplit refuses it (e.g. ``http://[x``)."""
    try:
        parts = urlsplit(url)
        return parts.hostname or "", parts.path
    except ValueError:
        return "", ""


def _purl(
    type_: str,
    name: str,
    *,
    namespace: str | None = None,
    version: str | None = None,
    qualifiers: dict[str, str] | None = None,
) -> str:
    from packageurl import PackageURL

    try:
        return str(
            PackageURL(
                type=type_,
                namespace=namespace or None,
                name=name or "unknown",
                version=version or None,
                qualifiers=qualifiers or None,
            ).to_string()
        )
    except ValueError:
        # packageurl refuses some names (e.g. with a leading "/"); keep a valid, generic purl.
        return str(PackageURL(type="generic", name="unknown").to_string())


def _split_opts(
    toks: Sequence[_Tok],
    value_flags: frozenset[str],
    acc: _Acc,
    where: str,
) -> tuple[list[_Opt], int]:
    """Leading options of a launcher, up to its first positional (or just after ``--``).

    Flags not in ``value_flags`` are taken as switches. Returns the options and the index of
    the first positional token.
    """
    opts: list[_Opt] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        text = tok.text
        if text == "--":
            return opts, i + 1
        if not text.startswith("-") or text == "-":
            break
        name, eq, val = text.partition("=")
        if eq and name.startswith("--"):
            opts.append(_Opt(name, val, tok))
        elif text in value_flags:
            if i + 1 < len(toks):
                opts.append(_Opt(text, toks[i + 1].text, toks[i + 1]))
                i += 1
            else:
                acc.note(f"{where}: option {_safe(text)} has no value")
                opts.append(_Opt(text, None, tok))
        else:
            opts.append(_Opt(text, None, tok))
        i += 1
    return opts, i


def _opt_values(opts: Sequence[_Opt], *flags: str) -> list[_Opt]:
    return [o for o in opts if o.flag in flags and o.value is not None]


_INDEX_FLAGS = _words(
    """
    --registry --index-url -i --extra-index-url --index --default-index --find-links -f
    --pip-args
    """
)


def _check_opts(acc: _Acc, opts: Sequence[_Opt], where: str) -> None:
    """Launcher options: credentials in their values, and non-default package indexes."""
    for opt in opts:
        if opt.value is None:
            continue
        if opt.flag in _INDEX_FLAGS:
            acc.note(f"{where} installs from a non-default package index ({opt.flag})")
        if _is_url(opt.value):
            _url_credentials(acc, opt.flag, opt.tok, opt.value)
        else:
            _check_value(acc, opt.flag, opt.tok, opt.value, opt.flag.lstrip("-"))


# --------------------------------------------------------------------------------------------
# Command-line splitting


def _windows_split(command: str) -> list[str]:
    """Split a Windows command line whose program path may hold spaces and backslashes."""
    text = command.strip()
    quoted = re.match(r'^"([^"]*)"\s*(.*)$', text, re.DOTALL)
    if quoted:
        head, rest = quoted.group(1), quoted.group(2)
    else:
        exe = re.match(r"^(.*?\.(?:exe|cmd|bat|com|ps1))(?:\s+(.*))?$", text, re.I | re.DOTALL)
        if exe:
            head, rest = exe.group(1), exe.group(2) or ""
        else:
            head, _, rest = text.partition(" ")
    try:
        tail = shlex.split(rest, posix=False)
    except ValueError:
        tail = rest.split()
    return [head] + [t[1:-1] if len(t) >= 2 and t[0] == t[-1] == '"' else t for t in tail]


def _shell_split(text: str) -> tuple[list[str], bool]:
    """POSIX split; on unbalanced quotes, fall back to whitespace (and say so)."""
    try:
        return shlex.split(text), True
    except ValueError:
        return text.split(), False


def _split(command: str, args: Sequence[str]) -> tuple[list[str], list[str]]:
    notes: list[str] = []
    text = command.strip()
    head: list[str]
    if not text:
        head = []
    elif any(c.isspace() for c in text) and not os.path.isfile(text):
        # Clients accept a whole command line in "command" and run it as if split.
        if re.match(r"^\"?[A-Za-z]:\\", text) or "\\" in text.split()[0]:
            head = _windows_split(text)
        else:
            head, ok = _shell_split(text)
            if not ok:
                notes.append("the command has unbalanced quotes; it was split on whitespace")
    else:
        head = [text]
    return _strip_cmd_c(head + list(args)), notes


def _strip_cmd_c(argv: list[str]) -> list[str]:
    """``cmd /c npx ...`` (how Windows clients start npx) -> ``npx ...``."""
    while argv and _basename(argv[0]) == "cmd":
        i = 1
        while i < len(argv) and argv[i].lower() in ("/d", "/s", "/q", "/a", "/u"):
            i += 1
        if i >= len(argv) or argv[i].lower() not in ("/c", "/k"):
            break
        rest = argv[i + 1 :]
        if len(rest) == 1 and any(c.isspace() for c in rest[0]):
            rest = _windows_split(rest[0])
        argv = rest
    return argv


def split_command(command: str, args: Sequence[str]) -> list[str]:
    """The argv a client would start: ``command`` split when it holds a whole command line
    (and is not the path of an existing file), then ``args``; a ``cmd /c`` wrapper removed."""
    return _split(command, args)[0]


# --------------------------------------------------------------------------------------------
# Remote URLs

_REMOTE_SCHEMES = frozenset({"http", "https", "ws", "wss", "unix", "pipe"})


class _Redacted(NamedTuple):
    display: str
    secret_keys: tuple[str, ...]
    has_userinfo: bool


def _secret_segment(segment: str) -> bool:
    """A path segment that is itself a key (``/mcp/<key>/sse``, as Zapier-style URLs do)."""
    text = unquote(segment)
    if value_kind(text) is not ValueKind.LITERAL:
        return False
    match = classify(text)
    if match is None:
        return False
    if match.kind not in _WEAK_KINDS:
        return True
    # Entropy alone also flags long slugs; a key mixes letters and digits.
    return len(text) >= 24 and bool(re.search(r"\d", text)) and bool(re.search(r"[A-Za-z]", text))


def _redact_pairs(text: str, secret_keys: list[str]) -> str:
    parts: list[str] = []
    for pair in text.split("&"):
        if not pair:
            continue
        key, eq, val = pair.partition("=")
        raw = unquote(val.replace("+", " "))
        if eq:
            name = unquote(key)
            if value_kind(raw) is ValueKind.LITERAL and (
                is_secret_name(name) or classify(raw, name=name) is not None
            ):
                secret_keys.append(name)
            parts.append(f"{key}=REDACTED")
        elif value_kind(key) is ValueKind.LITERAL and _known_token(unquote(key)):
            secret_keys.append("<query>")
            parts.append("REDACTED")
        else:
            parts.append(key)
    return "&".join(parts)


def _redact_url(text: str) -> _Redacted:
    """``text`` without userinfo, with query/fragment values and key-like path segments
    replaced by ``REDACTED``; works on strings that are not valid URLs too."""
    secret_keys: list[str] = []
    rest, hash_, fragment = text.partition("#")
    rest, qmark, query = rest.partition("?")
    lead = re.match(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://)?", rest)
    prefix = lead.group(0) if lead else ""
    after = rest[len(prefix) :]
    has_userinfo = False
    if prefix.endswith("//"):
        authority, slash, path = after.partition("/")
        _, at, hostport = authority.rpartition("@")
        has_userinfo = bool(at)
        after = hostport + slash + path
        path_start = len(hostport + slash)
    else:
        path_start = 0
    head, path = after[:path_start], after[path_start:]
    segments = []
    for seg in path.split("/"):
        if seg and _secret_segment(seg):
            secret_keys.append("<path>")
            segments.append("REDACTED")
        else:
            segments.append(seg)
    display = prefix + head + "/".join(segments)
    if qmark:
        display += "?" + _redact_pairs(query, secret_keys)
    if hash_:
        _redact_pairs(fragment, secret_keys)
        display += "#REDACTED"
    return _Redacted(display, tuple(dict.fromkeys(secret_keys)), has_userinfo)


def _is_loopback(host: str) -> bool:
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def parse_remote(
    url: str, *, transport: str, via: str = "config", allow_http: bool = False
) -> Remote:
    """Describe a remote endpoint without keeping any credential it carries.

    ``display_url`` has no userinfo, and query/fragment values and key-like path segments
    are ``REDACTED`` (their keys are listed in ``secret_query_keys``, a path key as
    ``"<path>"``). A URL that cannot be parsed gives ``scheme == ""``.
    """
    text = url.strip()
    redacted = _redact_url(text)
    unparsed = Remote(
        display_url=redacted.display,
        scheme="",
        host="",
        port=None,
        loopback=False,
        transport=transport,
        via=via,
        has_userinfo=redacted.has_userinfo,
        secret_query_keys=redacted.secret_keys,
        allow_http=allow_http,
    )
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname or ""
    except ValueError:
        return unparsed
    scheme = parts.scheme.lower()
    if scheme not in _REMOTE_SCHEMES:
        return unparsed
    local_socket = scheme in ("unix", "pipe")
    if not host and not local_socket:
        return unparsed
    return Remote(
        display_url=redacted.display,
        scheme=scheme,
        host=host,
        port=port,
        loopback=local_socket or _is_loopback(host),
        transport=transport,
        via=via,
        has_userinfo=redacted.has_userinfo,
        secret_query_keys=redacted.secret_keys,
        allow_http=allow_http,
    )


# --------------------------------------------------------------------------------------------
# URL and git package specs


def _split_userinfo(url: str) -> tuple[str, str | None]:
    """``scheme://user:pw@host/p`` -> (``scheme://host/p``, ``user:pw``)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url, None
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if not at:
        return url, None
    return f"{scheme}://{hostport}{slash}{path}", userinfo


def _check_userinfo(acc: _Acc, flag: str, tok: _Tok, userinfo: str) -> None:
    user, colon, password = unquote(userinfo).partition(":")
    if colon and password:
        _check_value(acc, flag, tok, password, "password")
    elif value_kind(user) is ValueKind.LITERAL and _known_token(user):
        acc.secret(flag, tok, user)


def _url_credentials(acc: _Acc, flag: str, tok: _Tok, url: str) -> None:
    """Credentials in a URL handed to a launcher (registry or download URL)."""
    _, userinfo = _split_userinfo(url)
    if userinfo:
        _check_userinfo(acc, flag, tok, userinfo)
    if _redact_url(url).secret_keys:
        acc.secret(flag, tok, url)


_COMMIT_RE = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
_GITHUB_RE = re.compile(
    r"^(?:github:|(?:git\+)?(?:https?|ssh|git)://(?:www\.)?github\.com/|git@github\.com:)?"
    r"([\w.-]+)/([\w.-]+?)(?:\.git)?/?$"
)


def _git_package(
    acc: _Acc, tok: _Tok, location: str, ref: str | None, *, spec: str, role: str
) -> PackageRef:
    clean, userinfo = _split_userinfo(location)
    if userinfo:
        _check_userinfo(acc, "", tok, userinfo)
        spec = spec.replace(userinfo + "@", "")
    pinned = bool(ref) and bool(_COMMIT_RE.match(ref or ""))
    kind = VersionKind.DIGEST if pinned else VersionKind.URL
    version = (ref or "").lower() if pinned else None
    github = _GITHUB_RE.match(clean)
    if github and not clean.startswith(("gitlab:", "bitbucket:", "gist:")):
        purl = _purl("github", github.group(2), namespace=github.group(1), version=version)
    else:
        base = re.split(r"[/:]", clean.rstrip("/"))[-1].removesuffix(".git")
        vcs = clean + (f"@{ref}" if ref else "")
        purl = _purl("generic", base, version=version, qualifiers={"vcs_url": vcs})
    return PackageRef(
        ecosystem="git",
        name=clean,
        requested=ref or None,
        version_kind=kind,
        purl=purl,
        spec=spec,
        role=role,
    )


def _url_package(acc: _Acc, tok: _Tok, url: str, *, spec: str, role: str) -> PackageRef:
    clean, userinfo = _split_userinfo(url)
    if userinfo:
        _check_userinfo(acc, "", tok, userinfo)
    redacted = _redact_url(clean)
    if redacted.secret_keys:
        acc.secret("", tok, url)
    display = redacted.display
    # A pip "#sha256=<hex>" fragment pins the artifact itself.
    digest = re.search(r"[#&]sha256=([0-9a-fA-F]{64})\b", clean)
    sha = digest.group(1).lower() if digest else None
    path = _host_and_path(clean.partition("#")[0].partition("?")[0])[1]
    base = path.rstrip("/").rsplit("/", 1)[-1] or "download"
    qualifiers = {"download_url": display}
    if sha:
        qualifiers["checksum"] = f"sha256:{sha}"
    return PackageRef(
        ecosystem="url",
        name=display,
        requested=None,
        version_kind=VersionKind.DIGEST if sha else VersionKind.URL,
        purl=_purl("generic", base, qualifiers=qualifiers),
        spec=display if (userinfo or redacted.secret_keys) else spec,
        role=role,
        sha256=sha,
    )


# --------------------------------------------------------------------------------------------
# npm specs

_NUM = r"(?:0|[1-9]\d*)"
_IDENT = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
_PRE = rf"(?:-{_IDENT}(?:\.{_IDENT})*)"
_BUILD = r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)"
_SEMVER_RE = re.compile(rf"^=?v?({_NUM}\.{_NUM}\.{_NUM}{_PRE}?{_BUILD}?)$")
_XR = r"(?:[xX*]|0|[1-9]\d*)"
_PARTIAL = rf"v?{_XR}(?:\.{_XR}(?:\.{_XR}{_PRE}?{_BUILD}?)?)?"
_COMPARATOR_RE = re.compile(rf"^(?:<=|>=|<|>|=|~>|~|\^)?{_PARTIAL}$")
_HYPHEN_RE = re.compile(rf"^{_PARTIAL}\s+-\s+{_PARTIAL}$")
_OP_SPACE_RE = re.compile(r"(<=|>=|<|>|=|~>|~|\^)\s+")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._~-]*$")
_NPM_NAME_RE = re.compile(r"^(?:@[a-z0-9~][a-z0-9._~*-]*/)?[a-z0-9~][a-z0-9._~-]*$", re.IGNORECASE)


def _is_semver(text: str) -> bool:
    return bool(_SEMVER_RE.match(text.strip()))


def _is_npm_range(text: str) -> bool:
    for part in text.split("||"):
        part = part.strip()
        if not part or _HYPHEN_RE.match(part):
            continue
        comparators = _OP_SPACE_RE.sub(r"\1", part).split()
        if not all(_COMPARATOR_RE.match(c) for c in comparators):
            return False
    return True


def _npm_version_kind(version: str | None) -> VersionKind:
    if version is None or not version.strip():
        return VersionKind.UNSPECIFIED
    text = version.strip()
    if text == "latest":
        return VersionKind.LATEST
    if _is_semver(text):
        return VersionKind.EXACT
    if _is_npm_range(text):
        return VersionKind.RANGE
    return VersionKind.TAG


@dataclass(frozen=True)
class NpmSpec:
    """An npm package argument, split into its parts.

    ``kind`` is ``"registry"`` (``name[@version]``, optionally written ``npm:name@...``),
    ``"alias"`` (``alias@npm:name[@version]``), ``"git"`` (``name`` is the repository as
    written, ``version`` the committish), ``"url"`` (a tarball URL in ``name``) or
    ``"file"`` (a local path in ``name``).
    """

    kind: str
    name: str
    version: str | None
    version_kind: VersionKind
    alias: str | None = None
    npm_prefix: bool = False

    @property
    def valid_name(self) -> bool:
        return self.kind not in ("registry", "alias") or (
            len(self.name) <= 214 and bool(_NPM_NAME_RE.match(self.name))
        )

    @property
    def valid_version(self) -> bool:
        if self.kind not in ("registry", "alias") or self.version is None:
            return True
        text = self.version.strip()
        return not text or self.version_kind is not VersionKind.TAG or bool(_TAG_RE.match(text))


def _split_at_version(text: str) -> tuple[str, str | None]:
    at = text.find("@", 1) if text.startswith("@") else text.find("@")
    if at < 0:
        return text, None
    return text[:at], text[at + 1 :]


_HOSTED_PREFIXES = ("github:", "gitlab:", "bitbucket:", "gist:")
_GIT_SCHEMES = ("git+", "git://")
_GIT_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")


def parse_npm_spec(spec: str) -> NpmSpec:
    """Parse an npm package argument the way ``npx``/``npm exec`` reads it."""
    text = spec.strip()
    if (
        text.startswith(_HOSTED_PREFIXES)
        or text.startswith(_GIT_SCHEMES)
        or (re.match(r"^[\w.-]+@[\w-]+(?:\.[\w-]+)+:", text) and not text.startswith("@"))
    ):
        location, _, ref = text.partition("#")
        return NpmSpec("git", location, ref or None, VersionKind.URL)
    if _is_url(text):
        host, path = _host_and_path(text)
        if host in _GIT_HOSTS and not path.endswith((".tgz", ".tar.gz", ".tar")):
            location, _, ref = text.partition("#")
            return NpmSpec("git", location, ref or None, VersionKind.URL)
        return NpmSpec("url", text, None, VersionKind.URL)
    if (
        text.startswith(("file:", ".", "/", "~", "\\"))
        or re.match(r"^[A-Za-z]:[\\/]", text)
        or text.endswith((".tgz", ".tar.gz", ".tar"))
    ):
        return NpmSpec("file", text, None, VersionKind.URL)
    if text.startswith("npm:"):
        name, version = _split_at_version(text[4:])
        return NpmSpec("registry", name, version, _npm_version_kind(version), npm_prefix=True)
    name, version = _split_at_version(text)
    if version is not None and version.startswith("npm:"):
        target, target_version = _split_at_version(version[4:])
        return NpmSpec(
            "alias", target, target_version, _npm_version_kind(target_version), alias=name
        )
    if not name.startswith("@") and "/" in name and version is None:
        # "owner/repo[#ref]" is GitHub shorthand, not a package name.
        location, _, ref = text.partition("#")
        return NpmSpec("git", location, ref or None, VersionKind.URL)
    return NpmSpec("registry", name, version, _npm_version_kind(version))


def format_npm_spec(spec: NpmSpec) -> str:
    """The argument ``spec`` was parsed from (inverse of :func:`parse_npm_spec`)."""
    if spec.kind == "git":
        return spec.name + (f"#{spec.version}" if spec.version is not None else "")
    if spec.kind in ("url", "file"):
        return spec.name
    body = spec.name + (f"@{spec.version}" if spec.version is not None else "")
    if spec.kind == "alias":
        return f"{spec.alias}@npm:{body}"
    return ("npm:" if spec.npm_prefix else "") + body


def _npm_ref(acc: _Acc, tok: _Tok, text: str, role: str) -> PackageRef | None:
    spec = text.strip()
    if not spec:
        acc.note("an empty npm package argument was given")
        return None
    parsed = parse_npm_spec(spec)
    if parsed.kind in ("registry", "alias", "file") and _guard_spec(acc, tok, spec):
        return None
    if parsed.kind == "file":
        acc.note("runs an npm package from a local path; its provenance is not checked")
        return None
    if parsed.kind == "git":
        return _git_package(acc, tok, parsed.name, parsed.version, spec=spec, role=role)
    if parsed.kind == "url":
        return _url_package(acc, tok, parsed.name, spec=spec, role=role)
    if not parsed.valid_name:
        acc.note(f"{_safe(parsed.name)!r} is not a valid npm package name")
    if not parsed.valid_version:
        acc.note(f"the version of npm package {_safe(parsed.name)!r} is not understood")
    version = None
    if parsed.version_kind is VersionKind.EXACT and parsed.version is not None:
        exact = _SEMVER_RE.match(parsed.version.strip())
        version = exact.group(1) if exact else None
    scope, slash, bare = parsed.name.rpartition("/")
    purl = _purl("npm", bare if slash else parsed.name, namespace=scope or None, version=version)
    return PackageRef(
        ecosystem="npm",
        name=parsed.alias if parsed.alias is not None else parsed.name,
        requested=parsed.version if parsed.version else None,
        version_kind=parsed.version_kind,
        purl=purl,
        spec=spec,
        role=role,
        alias_of=parsed.name if parsed.alias is not None else None,
    )


# --------------------------------------------------------------------------------------------
# PyPI specs

# A requirement's name and extras; what follows, up to any ";" marker, is the version spec.
_PEP508_HEAD_RE = re.compile(r"^\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[^\]]*\])?")
_UV_AT_RE = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(\[[^\]]*\])?@([^@/:\s]+)$")


def _is_local(text: str) -> bool:
    return bool(
        text.startswith(("file:", ".", "/", "~", "\\"))
        or re.match(r"^[A-Za-z]:[\\/]", text)
        or (text.endswith((".whl", ".tar.gz", ".zip", ".py")) and not _is_url(text))
    )


def _pip_vcs(acc: _Acc, tok: _Tok, url: str, *, spec: str, role: str) -> PackageRef:
    """``git+https://host/o/r.git@<ref>#egg=x`` (pip/uv syntax: the ref follows ``@``)."""
    body = url.partition("#")[0]
    clean, userinfo = _split_userinfo(body)
    scheme, sep, rest = clean.partition("://")
    ref: str | None = None
    if sep and "@" in rest.partition("/")[2]:
        rest, _, ref = rest.rpartition("@")
    location = f"{scheme}{sep}{rest}"
    if userinfo:
        _check_userinfo(acc, "", tok, userinfo)
        spec = spec.replace(userinfo + "@", "")
    return _git_package(acc, tok, location, ref, spec=spec, role=role)


def _pypi_ref(acc: _Acc, tok: _Tok, text: str, role: str) -> PackageRef | None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    spec = text.strip()
    if not spec:
        acc.note("an empty Python package argument was given")
        return None
    if not _is_url(spec) and _guard_spec(acc, tok, spec):
        return None
    if spec.startswith("git+"):
        return _pip_vcs(acc, tok, spec, spec=spec, role=role)
    if _is_url(spec):
        return _url_package(acc, tok, spec, spec=spec, role=role)
    if _is_local(spec):
        acc.note("runs a Python package from a local path; its provenance is not checked")
        return None
    uv_at = _UV_AT_RE.match(spec)
    if uv_at:
        # uv's "name@1.2.3" means ==1.2.3, "name@latest" the newest release.
        name, version = uv_at.group(1), uv_at.group(3)
        canonical = canonicalize_name(name)
        if version == "latest":
            return PackageRef(
                "pypi",
                name,
                version,
                VersionKind.LATEST,
                _purl("pypi", canonical),
                spec=spec,
                role=role,
            )
        try:
            exact = str(Version(version))
        except InvalidVersion:
            exact = None
        if exact is not None:
            return PackageRef(
                "pypi",
                name,
                version,
                VersionKind.EXACT,
                _purl("pypi", canonical, version=exact),
                spec=spec,
                role=role,
            )
    try:
        req = Requirement(spec)
    except InvalidRequirement:
        acc.note(f"the Python requirement {_safe(spec)!r} is not understood")
        return None
    if req.url:
        if req.url.startswith("git+"):
            return _pip_vcs(acc, tok, req.url, spec=spec, role=role)
        return _url_package(acc, tok, req.url, spec=spec, role=role)
    head = _PEP508_HEAD_RE.match(spec)
    requested = spec.partition(";")[0][head.end() :].strip() if head else ""
    specs = list(req.specifier)
    kind = VersionKind.UNSPECIFIED
    pinned: str | None = None
    if specs:
        kind = VersionKind.RANGE
        for item in specs:
            if item.operator == "===" or (item.operator == "==" and "*" not in item.version):
                kind, pinned = VersionKind.EXACT, item.version
                break
    return PackageRef(
        ecosystem="pypi",
        name=req.name,
        requested=requested or None,
        version_kind=kind,
        purl=_purl("pypi", canonicalize_name(req.name), version=pinned),
        spec=spec,
        role=role,
    )


# --------------------------------------------------------------------------------------------
# OCI image references

_OCI_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_OCI_PATH_RE = re.compile(rf"^{_OCI_COMPONENT}(?:/{_OCI_COMPONENT})*$")
_OCI_DIGEST_RE = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
_DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")


def _oci_ref(acc: _Acc, tok: _Tok, text: str, role: str) -> PackageRef | None:
    ref = text.strip()
    if not ref:
        acc.note("an empty container image reference was given")
        return None
    if _guard_spec(acc, tok, ref):
        return None
    name_part, at, digest = ref.partition("@")
    slash, colon = name_part.rfind("/"), name_part.rfind(":")
    tag: str | None = None
    repo = name_part
    if colon > slash:
        repo, tag = name_part[:colon], name_part[colon + 1 :]
    first, sep, remainder = repo.partition("/")
    registry: str | None = None
    path = repo
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    if not _OCI_PATH_RE.match(path):
        acc.note(f"the image reference {_safe(ref)!r} is not understood")
    host = (registry or "docker.io").lower()
    if host in _DOCKER_HUB:
        host = "docker.io"
        if "/" not in path:
            path = f"library/{path}"
    qualifiers = {"repository_url": f"{host}/{path}".lower()}
    if tag:
        qualifiers["tag"] = tag
    sha: str | None = None
    version: str | None = None
    if at and _OCI_DIGEST_RE.match(digest):
        kind = VersionKind.DIGEST
        version = digest
        if digest.startswith("sha256:"):
            sha = digest.removeprefix("sha256:")
    elif at:
        acc.note(f"the digest of image {_safe(repo)!r} is malformed; it does not pin the image")
        kind = VersionKind.TAG
    elif tag is None or tag == "latest":
        # No tag means ":latest": whatever the registry serves today.
        kind = VersionKind.LATEST
    else:
        kind = VersionKind.TAG
    return PackageRef(
        ecosystem="oci",
        name=repo,
        requested=digest if at else tag,
        version_kind=kind,
        purl=_purl("oci", path.rsplit("/", 1)[-1].lower(), version=version, qualifiers=qualifiers),
        spec=ref,
        role=role,
        sha256=sha,
    )


def package_ref(
    ecosystem: Literal["npm", "pypi", "oci"], spec: str, *, role: str = "server"
) -> PackageRef | None:
    """The PackageRef a launcher would build for ``spec``, or None when it names no fetchable
    package (a local path, or a credential). What a launch would note is not returned."""
    acc = _Acc()
    tok = _Tok(spec, 0)
    if ecosystem == "npm":
        return _npm_ref(acc, tok, spec, role)
    if ecosystem == "pypi":
        return _pypi_ref(acc, tok, spec, role)
    if ecosystem == "oci":
        return _oci_ref(acc, tok, spec, role)
    raise ValueError(f"unknown ecosystem {ecosystem!r} (choose from npm, pypi, oci)")


# --------------------------------------------------------------------------------------------
# Server arguments


def _server_args(acc: _Acc, args: Sequence[_Tok], *, paths: bool = True) -> None:
    """The server's own arguments: literal credentials and filesystem paths.

    ``paths`` is False for a container's arguments, which name paths inside the container.
    """
    prev_flag: str | None = None
    for tok in args:
        text = tok.text
        if text.startswith("-") and len(text) > 1 and not re.match(r"^-\d", text):
            flag, eq, val = text.partition("=")
            if eq:
                secret = _check_value(acc, flag, tok, val, flag.lstrip("-"))
                if not secret and paths and _looks_like_path(val):
                    acc.path_args.append(val)
                prev_flag = None
            else:
                prev_flag = text
            continue
        name = prev_flag.lstrip("-") if prev_flag else None
        secret = _check_value(acc, prev_flag or "", tok, text, name)
        if not secret and paths and _looks_like_path(text):
            acc.path_args.append(text)
        prev_flag = None


# --------------------------------------------------------------------------------------------
# Proxies

_PROXY_NOTE = "proxy binary of unknown provenance: it is run from the local PATH"
_HEADER_RE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.*)$", re.DOTALL)


def _header(acc: _Acc, flag: str, tok: _Tok, text: str) -> None:
    match = _HEADER_RE.match(text)
    if match:
        _check_value(acc, flag, tok, match.group(2).strip(), match.group(1))
    else:
        _check_value(acc, flag, tok, text, None)


_MCP_REMOTE_VALUES = _words(
    """
    --header --transport --host --static-oauth-client-metadata --static-oauth-client-info
    --resource --ignore-tool --auth-timeout
    """
)


def _mcp_remote(acc: _Acc, args: Sequence[_Tok], pkg: PackageRef | None, _depth: int) -> None:
    """``mcp-remote <url> [callback-port] [--header K:V] [--allow-http] ...`` (geelen)."""
    flags: list[str] = []
    positionals: list[_Tok] = []
    transport_opt: str | None = None
    i = 0
    while i < len(args):
        tok = args[i]
        text = tok.text
        if text in _MCP_REMOTE_VALUES and i + 1 < len(args):
            value = args[i + 1]
            flags.append(text)
            if text == "--header":
                _header(acc, text, value, value.text)
            elif text == "--transport":
                transport_opt = value.text
            elif text == "--static-oauth-client-info":
                _oauth_client_info(acc, text, value)
            i += 2
            continue
        if text.startswith("--"):
            flags.append(text)
        else:
            positionals.append(tok)
        i += 1
    allow_http = "--allow-http" in flags
    if positionals:
        url = positionals[0].text
        if transport_opt == "sse-only":
            transport = "sse"
        elif transport_opt == "http-only":
            transport = "http"
        else:
            sse = _host_and_path(url)[1].rstrip("/").endswith("/sse")
            transport = "sse" if sse else "http"
        acc.remote(parse_remote(url, transport=transport, via="mcp-remote", allow_http=allow_http))
    else:
        acc.note("mcp-remote was given no server URL")
    store = "$MCP_REMOTE_CONFIG_DIR" if "MCP_REMOTE_CONFIG_DIR" in acc.env_names else _MCP_AUTH_DIR
    acc.proxies.append(
        ProxyHop(
            kind="mcp-remote",
            package=pkg,
            mode="client",
            flags=tuple(dict.fromkeys(flags)),
            token_store=store,
        )
    )


def _oauth_client_info(acc: _Acc, flag: str, tok: _Tok) -> None:
    """``--static-oauth-client-info '{"client_id": ..., "client_secret": ...}'``."""
    if tok.text.startswith("@"):
        return
    try:
        info = json.loads(tok.text)
    except (ValueError, RecursionError):
        _check_value(acc, flag, tok, tok.text, "client_secret")
        return
    secret = info.get("client_secret") if isinstance(info, dict) else None
    if isinstance(secret, str):
        _check_value(acc, flag, tok, secret, "client_secret")


def _yargs_name(flag: str) -> str:
    """yargs reads ``--output-transport`` as ``outputTransport``."""
    name = flag.lstrip("-")
    return re.sub(r"-([a-zA-Z])", lambda m: m.group(1).upper(), name) if "-" in name else name


_SG_VALUES = _words(
    """
    stdio sse streamableHttp outputTransport port host baseUrl ssePath messagePath
    streamableHttpPath logLevel logFormat oauth2Bearer apiKeyFile sessionTimeout
    protocolVersion exitWithProcess config
    """
)
_SG_ARRAYS = frozenset({"cors", "healthEndpoint", "header", "apiKey"})


def _supergateway(acc: _Acc, args: Sequence[_Tok], pkg: PackageRef | None, depth: int) -> None:
    """supergateway: ``--stdio "cmd"`` serves a local server; ``--sse URL`` /
    ``--streamableHttp URL`` bridges a remote one to stdio."""
    single: dict[str, _Tok] = {}
    arrays: dict[str, list[_Tok]] = {}
    flags: list[str] = []
    stray = False
    i = 0
    while i < len(args):
        text = args[i].text
        if not text.startswith("-") or text == "-":
            stray = True
            i += 1
            continue
        raw, eq, val = text.partition("=")
        name = _yargs_name(raw)
        flags.append(raw)
        if name in _SG_ARRAYS:
            items = arrays.setdefault(name, [])
            if eq:
                items.append(_Tok(val, args[i].index))
            i += 1
            while i < len(args) and not args[i].text.startswith("--"):
                items.append(args[i])
                i += 1
            continue
        if name in _SG_VALUES:
            if eq:
                single[name] = _Tok(val, args[i].index)
            elif i + 1 < len(args):
                single[name] = args[i + 1]
                i += 1
            else:
                acc.note(f"supergateway option {_safe(raw)} has no value")
        i += 1
    if stray:
        acc.note("supergateway was given arguments it ignores (an unquoted --stdio command?)")

    for tok in arrays.get("header", []):
        _header(acc, "--header", tok, tok.text)
    for tok in arrays.get("apiKey", []):
        _check_value(acc, "--apiKey", tok, tok.text, "apiKey")
    if "oauth2Bearer" in single:
        _check_value(
            acc,
            "--oauth2Bearer",
            single["oauth2Bearer"],
            single["oauth2Bearer"].text,
            "oauth2Bearer",
        )

    remote_flag = next((f for f in ("sse", "streamableHttp") if f in single), None)
    if remote_flag:
        tok = single[remote_flag]
        transport = "sse" if remote_flag == "sse" else "http"
        acc.remote(parse_remote(tok.text, transport=transport, via="supergateway"))
    if "stdio" in single:
        tok = single["stdio"]
        inner, ok = _shell_split(tok.text)
        if not ok:
            acc.note("the supergateway --stdio command has unbalanced quotes")
        _dispatch(acc, [_Tok(t, tok.index) for t in inner], depth + 1)
    if not remote_flag and "stdio" not in single:
        acc.note("supergateway was given none of --stdio, --sse, --streamableHttp")

    default_output = "sse" if "stdio" in single else "stdio"
    output = single["outputTransport"].text if "outputTransport" in single else default_output
    listening = output != "stdio"
    listen_host: str | None = None
    port: int | None = None
    if listening:
        # Without --host, supergateway listens on every interface (Express listen(port)).
        listen_host = single["host"].text.strip("[]") if "host" in single else "0.0.0.0"  # noqa: S104
        port = _port(acc, single.get("port"), default=8000, where="supergateway")
    allow_origin: str | None = None
    if "cors" in arrays:
        origins = [t.text for t in arrays["cors"]]
        allow_origin = ",".join(origins) if origins else "*"
    acc.proxies.append(
        ProxyHop(
            kind="supergateway",
            package=pkg,
            mode="server" if listening else "client",
            flags=tuple(dict.fromkeys(flags)),
            listen_host=listen_host,
            port=port,
            allow_origin=allow_origin,
        )
    )


def _port(acc: _Acc, tok: _Tok | None, *, default: int | None, where: str) -> int | None:
    if tok is None:
        return default
    text = tok.text.strip()
    if text.isdigit() and 0 <= int(text) <= 65535:
        return int(text)
    acc.note(f"{where}: the port is not a number")
    return None


_MP_VALUES = _words(
    """
    --transport --cwd --log-level --named-server-config --port --host --sse-port --sse-host
    --client-id --client-secret --token-url
    """
)
_MP_PAIRS = frozenset({"--headers", "--env", "--named-server"})
_MP_SWITCHES = _words(
    """
    --pass-environment --no-pass-environment --debug --no-debug --stateless --no-stateless
    --version --help --verify-ssl --no-verify-ssl
    """
)
_MP_MANY = frozenset({"--allow-origin"})
_MP_SHORT = {"-H": "--headers", "-e": "--env", "-h": "--help"}
_MP_LONG = _MP_VALUES | _MP_PAIRS | _MP_SWITCHES | _MP_MANY


def _mp_flag(text: str) -> str | None:
    """mcp-proxy's long option for ``text`` (argparse also accepts unique prefixes)."""
    if text in _MP_SHORT:
        return _MP_SHORT[text]
    if text in _MP_LONG:
        return text
    if text.startswith("--") and len(text) > 3:
        matches = [f for f in _MP_LONG if f.startswith(text)]
        if len(matches) == 1:
            return matches[0]
    return None


def _mcp_proxy(acc: _Acc, args: Sequence[_Tok], pkg: PackageRef | None, depth: int) -> None:
    """sparfenyuk/mcp-proxy: ``mcp-proxy URL`` (client) or ``mcp-proxy [opts] cmd args``."""
    single: dict[str, _Tok] = {}
    pairs: list[tuple[str, _Tok, _Tok]] = []
    origins: list[str] = []
    switches: list[str] = []
    flags: list[str] = []
    command: list[_Tok] = []
    i = 0
    while i < len(args):
        tok = args[i]
        if tok.text == "--":
            command.extend(args[i + 1 :])
            break
        raw, eq, val = tok.text.partition("=")
        flag = _mp_flag(raw) if tok.text.startswith("-") else None
        if flag is None:
            # The command to run and its arguments (argparse would refuse an unknown option
            # before "--", but the intent is clearly the child's).
            command.append(tok)
            i += 1
            continue
        flags.append(flag)
        if flag in _MP_VALUES:
            if eq:
                single[flag] = _Tok(val, tok.index)
            elif i + 1 < len(args):
                single[flag] = args[i + 1]
                i += 1
        elif flag in _MP_PAIRS:
            if i + 2 < len(args):
                pairs.append((flag, args[i + 1], args[i + 2]))
                i += 2
            else:
                acc.note(f"mcp-proxy option {flag} needs two values")
                i = len(args)
        elif flag in _MP_MANY:
            if eq:
                origins.append(val)
            # argparse nargs="+": greedy, unless the value was attached with "=".
            while not eq and i + 1 < len(args) and not args[i + 1].text.startswith("-"):
                origins.append(args[i + 1].text)
                i += 1
        else:
            switches.append(flag)
        i += 1

    for flag, first, second in pairs:
        if flag in ("--headers", "--env"):
            _check_value(acc, flag, second, second.text, first.text)
        else:
            inner, ok = _shell_split(second.text)
            if not ok:
                acc.note("an mcp-proxy --named-server command has unbalanced quotes")
            _dispatch(acc, [_Tok(t, second.index) for t in inner], depth + 1)
    if "--client-secret" in single:
        tok = single["--client-secret"]
        _check_value(acc, "--client-secret", tok, tok.text, "client_secret")

    pass_env = False
    for switch in switches:
        if switch == "--pass-environment":
            pass_env = True
        elif switch == "--no-pass-environment":
            pass_env = False
    frozen_flags = tuple(dict.fromkeys(flags))
    if command and command[0].text.startswith(("http://", "https://")):
        transport = single.get("--transport")
        kind = "http" if transport is not None and transport.text == "streamablehttp" else "sse"
        acc.remote(parse_remote(command[0].text, transport=kind, via="mcp-proxy"))
        acc.proxies.append(
            ProxyHop(kind="mcp-proxy", package=pkg, mode="client", flags=frozen_flags)
        )
        return
    if command:
        _dispatch(acc, command, depth + 1)
    elif "--named-server" not in flags and "--named-server-config" not in single:
        acc.note("mcp-proxy was given no command or URL")
    if "--named-server-config" in single:
        acc.note("mcp-proxy reads its servers from a file that was not analysed")
    host_tok = single.get("--host") or single.get("--sse-host")
    port_tok = single.get("--port") or single.get("--sse-port")
    acc.proxies.append(
        ProxyHop(
            kind="mcp-proxy",
            package=pkg,
            mode="server",
            flags=frozen_flags,
            listen_host=host_tok.text.strip("[]") if host_tok else "127.0.0.1",
            port=_port(acc, port_tok, default=None, where="mcp-proxy"),
            allow_origin=",".join(origins) if origins else None,
            pass_environment=pass_env,
        )
    )


_ProxyHandler = Callable[[_Acc, Sequence[_Tok], PackageRef | None, int], None]
_NPM_PROXIES: dict[str, _ProxyHandler] = {
    "mcp-remote": _mcp_remote,
    "supergateway": _supergateway,
}
_PYPI_PROXIES: dict[str, _ProxyHandler] = {"mcp-proxy": _mcp_proxy}
_BINARY_PROXIES: dict[str, _ProxyHandler] = {
    "mcp-remote": _mcp_remote,
    "mcp-remote-client": _mcp_remote,
    "supergateway": _supergateway,
    "mcp-proxy": _mcp_proxy,
}


def _run_package(
    acc: _Acc,
    ref: PackageRef | None,
    args: Sequence[_Tok],
    depth: int,
    proxies: dict[str, _ProxyHandler],
) -> None:
    """Record the fetched package; if it is a known proxy, its args are the proxy's."""
    if ref is None:
        _server_args(acc, args)
        return
    # An npm alias runs the package it points at: "x@npm:mcp-remote@1" is mcp-remote.
    real = ref.alias_of or ref.name
    key = real.lower() if ref.ecosystem == "npm" else _canonical(real)
    handler = proxies.get(key) if ref.ecosystem in ("npm", "pypi") else None
    if handler is None:
        acc.packages.append(ref)
        if ref.ecosystem == "npm" and key == "mcp-proxy":
            acc.note("npm 'mcp-proxy' is not the Python mcp-proxy; its flags were not analysed")
        _server_args(acc, args)
        return
    proxy_ref = dataclasses.replace(ref, role="proxy")
    acc.packages.append(proxy_ref)
    handler(acc, args, proxy_ref, depth)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --------------------------------------------------------------------------------------------
# Launchers

_NPX_VALUES = _words(
    """
    -p --package -c --call --registry --cache --userconfig -w --workspace --loglevel
    --prefix --node-options --script-shell
    """
)


def _npm_exec(
    acc: _Acc,
    args: Sequence[_Tok],
    depth: int,
    where: str,
    values: frozenset[str],
    *,
    always_installs: bool,
) -> None:
    """npx / npm exec / bunx / pnpm dlx / yarn dlx: ``[opts] <spec> [server args]`` or
    ``[-p spec]... <bin> [server args]``."""
    opts, start = _split_opts(args, values, acc, where)
    _check_opts(acc, [o for o in opts if o.flag not in ("-p", "--package", "-c", "--call")], where)
    refused = any(o.flag in ("--no", "--no-yes") for o in opts)
    # npx installs without asking when -y is given, and also when stdin is not a terminal
    # (libnpmexec's no-tty check), which is how MCP clients start it; only --no stops it.
    acc.auto_install = acc.auto_install or always_installs or not refused
    positional = list(args[start:])
    shell_mode = any(o.flag in ("-c", "--shell-mode") and o.value is None for o in opts)
    packages = _opt_values(opts, "-p", "--package")
    calls = [o for o in opts if o.flag in ("-c", "--call") and o.value is not None]
    if packages:
        # "-p pkg bin": pkg is installed, bin (one of its executables) is run.
        refs = [r for o in packages if (r := _npm_ref(acc, o.tok, o.value or "", "server"))]
        binary = _basename(positional[0].text) if positional else ""
        if binary == "mcp-remote-client":
            binary = "mcp-remote"
        runs = next((r for r in refs if r.name.lower().rsplit("/", 1)[-1] == binary), None)
        if runs is not None:
            _run_package(acc, runs, positional[1:], depth, _NPM_PROXIES)
        else:
            _server_args(acc, positional[1:])
        acc.packages.extend(r for r in refs if r is not runs)
        if calls:
            _run_call(acc, calls[0], depth)
        elif not positional:
            acc.note(f"{where} was given packages but no command to run")
        return
    if calls:
        _run_call(acc, calls[0], depth)
        return
    if not positional:
        acc.note(f"{where} was given no package to run")
        return
    if shell_mode:
        _run_call(acc, _Opt("-c", positional[0].text, positional[0]), depth)
        return
    ref = _npm_ref(acc, positional[0], positional[0].text, "server")
    _run_package(acc, ref, positional[1:], depth, _NPM_PROXIES)


def _run_call(acc: _Acc, opt: _Opt, depth: int) -> None:
    inner, _ = _shell_split(opt.value or "")
    acc.note("runs a shell command string; only its first command was analysed")
    _dispatch(acc, [_Tok(t, opt.tok.index) for t in inner], depth + 1)


_UV_VALUES = _words(
    """
    --from --with -w --with-editable --with-requirements --python -p --index --default-index
    --index-url -i --extra-index-url --find-links -f --index-strategy --keyring-provider
    --resolution --prerelease --exclude-newer --constraints -c --overrides
    --build-constraints -b --refresh-package --reinstall-package --upgrade-package -P
    --no-build-package --no-binary-package --config-setting -C --link-mode --directory
    --project --config-file --cache-dir --color --python-preference --env-file
    --allow-insecure-host --torch-backend --package --extra --group --only-group --no-group
    --script -s --module -m
    """
)


def _uv(acc: _Acc, args: Sequence[_Tok], depth: int, where: str) -> None:
    """uvx / uv tool run: ``[--from spec] [--with spec]... <command|spec> [server args]``."""
    opts, start = _split_opts(args, _UV_VALUES, acc, where)
    _check_opts(acc, [o for o in opts if o.flag not in ("--from", "--with", "-w")], where)
    acc.auto_install = True
    positional = list(args[start:])
    with_refs: list[PackageRef] = []
    for opt in _opt_values(opts, "--with", "-w"):
        for part in (opt.value or "").split(","):
            ref = _pypi_ref(acc, opt.tok, part, "server")
            if ref is not None:
                with_refs.append(ref)
    if any(o.flag == "--with-requirements" for o in opts):
        acc.note(f"{where} installs extra requirements from a file that was not analysed")
    froms = _opt_values(opts, "--from")
    if froms:
        ref = _pypi_ref(acc, froms[-1].tok, froms[-1].value or "", "server")
        if not positional:
            acc.note(f"{where} was given no command to run")
        _run_package(acc, ref, positional[1:], depth, _PYPI_PROXIES)
    elif positional:
        ref = _pypi_ref(acc, positional[0], positional[0].text, "server")
        _run_package(acc, ref, positional[1:], depth, _PYPI_PROXIES)
    else:
        acc.note(f"{where} was given no package to run")
    acc.packages.extend(with_refs)


def _uv_run(acc: _Acc, args: Sequence[_Tok]) -> None:
    """``uv run`` runs a local project or script; only ``--with`` packages are fetched."""
    opts, start = _split_opts(args, _UV_VALUES, acc, "uv run")
    _check_opts(acc, [o for o in opts if o.flag not in ("--with", "-w")], "uv run")
    acc.auto_install = True
    for opt in _opt_values(opts, "--with", "-w"):
        for part in (opt.value or "").split(","):
            ref = _pypi_ref(acc, opt.tok, part, "server")
            if ref is not None:
                acc.packages.append(ref)
    acc.note("uv run starts a local project or script; its own dependencies were not analysed")
    _server_args(acc, args[start + 1 :])


_PIPX_VALUES = frozenset({"--spec", "--python", "--pip-args", "--index-url", "-i", "--backend"})


def _pipx_run(acc: _Acc, args: Sequence[_Tok], depth: int) -> None:
    opts, start = _split_opts(args, _PIPX_VALUES, acc, "pipx run")
    _check_opts(acc, [o for o in opts if o.flag != "--spec"], "pipx run")
    acc.auto_install = True
    positional = list(args[start:])
    specs = _opt_values(opts, "--spec")
    if specs:
        ref = _pypi_ref(acc, specs[-1].tok, specs[-1].value or "", "server")
        _run_package(acc, ref, positional[1:], depth, _PYPI_PROXIES)
    elif positional:
        ref = _pypi_ref(acc, positional[0], positional[0].text, "server")
        _run_package(acc, ref, positional[1:], depth, _PYPI_PROXIES)
    else:
        acc.note("pipx run was given no package to run")


# `docker run` / `podman run` options that take a value. The image is the first positional,
# so a value-taking option misread as a switch would make its value look like the image.
_DOCKER_VALUES = _words(
    """
    -a --attach --add-host --annotation --blkio-weight --blkio-weight-device --cap-add
    --cap-drop --cgroup-parent --cgroupns --cidfile --cpu-period --cpu-quota --cpu-rt-period
    --cpu-rt-runtime -c --cpu-shares --cpus --cpuset-cpus --cpuset-mems --device
    --device-cgroup-rule --device-read-bps --device-read-iops --device-write-bps
    --device-write-iops --dns --dns-option --dns-search --domainname --entrypoint -e --env
    --env-file --expose --gpus --group-add --health-cmd --health-interval --health-retries
    --health-start-period --health-start-interval --health-timeout -h --hostname --ip --ip6
    --ipc --isolation --kernel-memory -l --label --label-file --link --link-local-ip
    --log-driver --log-opt --mac-address -m --memory --memory-reservation --memory-swap
    --memory-swappiness --mount --name --network --net --network-alias --net-alias
    --oom-score-adj --pid --pids-limit --platform -p --publish --pull --restart --runtime
    --security-opt --shm-size --stop-signal --stop-timeout --storage-opt --sysctl --tmpfs
    --ulimit -u --user --userns --uts -v --volume --volume-driver --volumes-from -w
    --workdir --arch --os --variant --secret --pod --uidmap --gidmap --subuidname
    --subgidname --hooks-dir --init-path --passwd-entry --personality --preserve-fds
    --sdnotify --seccomp-policy --systemd --timeout --tz --umask --unsetenv --cgroups
    --conmon-pidfile --decryption-key --pidfile --requires --hostuser --chrootdirs
    --authfile --cert-dir --creds --image-volume --log-level
    """
)
_DOCKER_SWITCHES = _words(
    """
    -i --interactive -t --tty -d --detach --rm --privileged --init --read-only -P
    --publish-all --no-healthcheck --oom-kill-disable -q --quiet --disable-content-trust
    --sig-proxy --help --env-host --http-proxy --rootfs --replace --tls-verify
    --read-only-tmpfs --no-hosts --rmi --use-default-registry
    """
)
_DOCKER_GLOBAL_VALUES = _words(
    """
    -H --host -c --context --config -l --log-level --tlscacert --tlscert --tlskey
    --connection --url --root --runroot --storage-driver --cgroup-manager --identity
    --events-backend
    """
)


def _docker_opts(acc: _Acc, args: Sequence[_Tok], where: str) -> tuple[list[_Opt], int]:
    """``docker run`` options (with ``-it`` clusters and ``-eK=V`` attached values)."""
    opts: list[_Opt] = []
    i = 0
    while i < len(args):
        tok = args[i]
        text = tok.text
        if text == "--":
            return opts, i + 1
        if not text.startswith("-") or text == "-":
            break
        if text.startswith("--"):
            name, eq, val = text.partition("=")
            if eq:
                opts.append(_Opt(name, val, _Tok(val, tok.index)))
            elif name in _DOCKER_VALUES:
                if i + 1 < len(args):
                    opts.append(_Opt(name, args[i + 1].text, args[i + 1]))
                    i += 1
                else:
                    acc.note(f"{where}: option {name} has no value")
            else:
                if name not in _DOCKER_SWITCHES:
                    acc.note(f"{where}: unknown option {_safe(name)}; the image name may be wrong")
                opts.append(_Opt(name, None, tok))
            i += 1
            continue
        chars = text[1:]
        j = 0
        while j < len(chars):
            flag = "-" + chars[j]
            if flag in _DOCKER_VALUES:
                rest = chars[j + 1 :].removeprefix("=")
                if rest:
                    opts.append(_Opt(flag, rest, _Tok(rest, tok.index)))
                elif i + 1 < len(args):
                    opts.append(_Opt(flag, args[i + 1].text, args[i + 1]))
                    i += 1
                else:
                    acc.note(f"{where}: option {flag} has no value")
                break
            if flag not in _DOCKER_SWITCHES:
                acc.note(f"{where}: unknown option {_safe(flag)}; the image name may be wrong")
            opts.append(_Opt(flag, None, tok))
            j += 1
        i += 1
    return opts, i


def _bind_source(spec: str) -> str | None:
    """Host side of ``-v host:ctr[:opts]`` when it is a host path (not a named volume)."""
    match = re.match(r"^((?:[A-Za-z]:)?[^:]*):", spec)
    if not match:
        return None
    host = match.group(1)
    if host and (host[0] in "/~.$%\\" or re.match(r"^[A-Za-z]:", host)):
        return host
    return None


def _mount_source(spec: str) -> str | None:
    """Source of ``--mount type=bind,source=/x,target=/y``."""
    fields: dict[str, str] = {}
    for part in spec.split(","):
        key, _, val = part.partition("=")
        fields[key.strip().lower()] = val.strip()
    if fields.get("type") != "bind":
        return None
    return fields.get("source") or fields.get("src") or None


def _container(acc: _Acc, args: Sequence[_Tok], where: str) -> None:
    """``docker|podman run [options] image [server args]``."""
    opts, start = _docker_opts(acc, args, where)
    privileged = host_network = host_pid = False
    caps: list[str] = []
    mounts: list[str] = []
    security: list[str] = []
    env_literals: list[str] = []
    pulls = True
    for opt in opts:
        flag, value = opt.flag, opt.value
        if flag == "--privileged":
            privileged = value is None or value.lower() != "false"
        elif value is None:
            if flag == "--env-host":
                acc.note(f"{where} passes the whole host environment into the container")
            continue
        elif flag in ("-e", "--env"):
            key, eq, val = value.partition("=")
            if eq and value_kind(val) is ValueKind.LITERAL:
                env_literals.append(key)
                _check_value(acc, flag, opt.tok, val, key)
        elif flag in ("-v", "--volume"):
            source = _bind_source(value)
            if source:
                mounts.append(source)
        elif flag == "--mount":
            source = _mount_source(value)
            if source:
                mounts.append(source)
        elif flag in ("--network", "--net"):
            host_network = host_network or value == "host"
        elif flag == "--pid":
            host_pid = host_pid or value == "host"
        elif flag == "--cap-add":
            caps.append(value)
        elif flag == "--security-opt":
            security.append(value)
        elif flag == "--pull":
            pulls = value != "never"
        elif flag == "--entrypoint":
            acc.note(f"{where} overrides the image's entrypoint")
        elif flag in ("--env-file", "--label-file"):
            continue
        else:
            _check_value(acc, flag, opt.tok, value, flag.lstrip("-"))
    acc.auto_install = acc.auto_install or pulls
    rest = list(args[start:])
    image = rest[0].text if rest else ""
    ref = _oci_ref(acc, rest[0], image, "server") if rest else None
    if not rest:
        acc.note(f"{where} was given no image")
    if ref is not None:
        acc.packages.append(ref)
    facts = ContainerFacts(
        image=ref.spec if ref is not None else "",
        privileged=privileged,
        host_network=host_network,
        host_pid=host_pid,
        cap_add=tuple(caps),
        mounts=tuple(mounts),
        security_opts=tuple(security),
        env_literals=tuple(dict.fromkeys(env_literals)),
    )
    if acc.container is None:
        acc.container = facts
    # Arguments after the image are the server's, with paths inside the container.
    _server_args(acc, rest[1:], paths=False)


_NODE_VALUES = _words(
    """
    -r --require --import --loader --experimental-loader -C --conditions --inspect-port
    --title --env-file --input-type
    """
)


def _node(acc: _Acc, args: Sequence[_Tok]) -> None:
    opts, start = _split_opts(args, _NODE_VALUES, acc, "node")
    if any(o.flag in ("-e", "--eval", "-p", "--print") for o in opts):
        acc.note("node runs inline code given on the command line")
        return
    if start >= len(args):
        acc.note("node was given no script")
        return
    script = args[start].text
    parts = re.split(r"[\\/]", script)
    if "node_modules" in parts:
        acc.note(
            "node runs a package installed in a local node_modules; its version comes from "
            "that install, not from the config"
        )
    else:
        acc.note("node runs a local script; its provenance is not checked")
    _server_args(acc, args[start + 1 :])


_PYTHON_VALUES = frozenset({"-W", "-X", "--check-hash-based-pycs"})


def _python(acc: _Acc, args: Sequence[_Tok]) -> None:
    i = 0
    while i < len(args):
        text = args[i].text
        if text in ("-m", "-c") or (
            text.startswith(("-m", "-c")) and not text.startswith("--") and len(text) > 2
        ):
            if text.startswith("-c"):
                acc.note("python runs inline code given on the command line")
                return
            acc.note("python runs a local module; its provenance is not checked")
            rest = args[i + 2 :] if text == "-m" else args[i + 1 :]
            _server_args(acc, rest)
            return
        if text == "--" or not text.startswith("-") or text == "-":
            if text == "--":
                i += 1
            break
        i += 2 if text in _PYTHON_VALUES else 1
    if i >= len(args):
        acc.note("python was given no script or module")
        return
    acc.note("python runs a local script; its provenance is not checked")
    _server_args(acc, args[i + 1 :])


_DENO_VALUES = _words(
    """
    -c --config --import-map --cert --location --seed --ext -L --log-level --lock
    --inspect-wait
    """
)


def _deno(acc: _Acc, args: Sequence[_Tok], depth: int) -> str:
    sub, rest = _subcommand(args, frozenset({"--log-level", "-L"}))
    if sub not in ("run", "x"):
        acc.note("deno is used with a subcommand mcpscan does not analyse")
        return "deno"
    _, start = _split_opts(rest, _DENO_VALUES, acc, "deno run")
    if start >= len(rest):
        acc.note("deno run was given no module")
        return "deno"
    tok = rest[start]
    spec = tok.text
    if spec.startswith("npm:"):
        acc.auto_install = True
        ref = _npm_ref(acc, tok, spec[4:], "server")
        if ref is not None:
            ref = dataclasses.replace(ref, spec=spec)
        _run_package(acc, ref, rest[start + 1 :], depth, _NPM_PROXIES)
    elif spec.startswith("jsr:"):
        acc.auto_install = True
        _jsr(acc, tok, spec)
        _server_args(acc, rest[start + 1 :])
    elif _is_url(spec):
        acc.auto_install = True
        acc.packages.append(_url_package(acc, tok, spec, spec=spec, role="server"))
        _server_args(acc, rest[start + 1 :])
    else:
        if not _guard_spec(acc, tok, spec):
            acc.note("deno runs a local module; its provenance is not checked")
        _server_args(acc, rest[start + 1 :])
    return "deno"


def _jsr(acc: _Acc, tok: _Tok, spec: str) -> None:
    """``jsr:@scope/name@version`` (JSR packages are always scoped)."""
    if _guard_spec(acc, tok, spec):
        return
    name, version = _split_at_version(spec[4:])
    kind = _npm_version_kind(version)
    scope, slash, bare = name.rpartition("/")
    exact = _SEMVER_RE.match(version.strip()) if version and kind is VersionKind.EXACT else None
    acc.packages.append(
        PackageRef(
            ecosystem="jsr",
            name=name,
            requested=version or None,
            version_kind=kind,
            purl=_purl(
                "jsr",
                bare if slash else name,
                namespace=scope or None,
                version=exact.group(1) if exact else None,
            ),
            spec=spec,
            role="server",
        )
    )


def _subcommand(args: Sequence[_Tok], global_values: frozenset[str]) -> tuple[str, list[_Tok]]:
    """The subcommand after global options, and the tokens after it."""
    i = 0
    while i < len(args) and args[i].text.startswith("-"):
        i += 2 if args[i].text in global_values else 1
    if i >= len(args):
        return "", []
    return args[i].text, list(args[i + 1 :])


_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish"})
_SHELL_SYNTAX_RE = re.compile(r"[;&|`<>]|\$\(")


def _shell(acc: _Acc, name: str, args: Sequence[_Tok], depth: int) -> str:
    """``bash -c "npx -y pkg"``: analyse the command the shell runs."""
    for i, tok in enumerate(args):
        if tok.text == "-c" or (
            tok.text.startswith("-") and not tok.text.startswith("--") and "c" in tok.text[1:]
        ):
            if i + 1 >= len(args):
                break
            body = args[i + 1]
            if _SHELL_SYNTAX_RE.search(body.text):
                acc.note(f"{name} runs a shell script; only its first command was analysed")
            inner, ok = _shell_split(re.split(r"&&|\|\||[;|&]", body.text, maxsplit=1)[0])
            if not ok:
                acc.note(f"the {name} -c command has unbalanced quotes")
            return _dispatch(acc, [_Tok(t, body.index) for t in inner], depth + 1)
        if not tok.text.startswith("-"):
            break
    acc.note(f"{name} runs a script file that was not analysed")
    return "binary"


def _env(acc: _Acc, args: Sequence[_Tok], depth: int) -> str:
    """``env [-i] [-u NAME] [NAME=value]... command args``."""
    i = 0
    while i < len(args):
        text = args[i].text
        if text in ("-u", "--unset", "-C", "--chdir"):
            i += 2
            continue
        if text.startswith("-"):
            i += 1
            continue
        name, eq, value = text.partition("=")
        if not eq or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            break
        _check_value(acc, name, args[i], value, name)
        i += 1
    return _dispatch(acc, list(args[i:]), depth + 1)


def _cmd(acc: _Acc, args: Sequence[_Tok], depth: int) -> str:
    """``cmd /c npx ...`` nested inside another command."""
    texts = ["cmd"] + [t.text for t in args]
    stripped = _strip_cmd_c(texts)
    if stripped == texts:
        acc.note("cmd is used without /c; the command it runs was not analysed")
        return "binary"
    index = args[0].index if args else 0
    return _dispatch(acc, [_Tok(t, index) for t in stripped], depth + 1)


def _dispatch(acc: _Acc, toks: Sequence[_Tok], depth: int) -> str:
    """Analyse one command line; return the launcher name."""
    if depth > MAX_DEPTH:
        acc.note(f"commands nested more than {MAX_DEPTH} levels deep were not analysed")
        return "unknown"
    if not toks or not toks[0].text.strip():
        acc.note("the connector's command is empty")
        return "none"
    program = toks[0]
    name = _basename(program.text)
    args = list(toks[1:])
    if name == "npx":
        _npm_exec(acc, args, depth, "npx", _NPX_VALUES, always_installs=False)
        return "npx"
    if name == "bunx":
        _npm_exec(acc, args, depth, "bunx", frozenset({"-p", "--package"}), always_installs=True)
        return "bunx"
    if name == "pnpx":
        _npm_exec(acc, args, depth, "pnpm dlx", frozenset({"--package"}), always_installs=True)
        return "pnpm dlx"
    if name in ("npm", "pnpm", "yarn", "bun"):
        return _package_manager(acc, name, args, depth)
    if name == "uvx":
        _uv(acc, args, depth, "uvx")
        return "uvx"
    if name == "uv":
        sub, rest = _subcommand(
            args, frozenset({"--directory", "--project", "--cache-dir", "--config-file", "--color"})
        )
        if sub == "tool" and rest and rest[0].text == "run":
            _uv(acc, rest[1:], depth, "uv tool run")
            return "uv tool run"
        if sub == "run":
            _uv_run(acc, rest)
            return "uv run"
        acc.note("uv is used with a subcommand mcpscan does not analyse")
        return "uv"
    if name == "pipx":
        sub, rest = _subcommand(args, frozenset())
        if sub == "run":
            _pipx_run(acc, rest, depth)
            return "pipx run"
        acc.note("pipx is used with a subcommand mcpscan does not analyse")
        return "pipx"
    if name in ("docker", "podman", "nerdctl"):
        sub, rest = _subcommand(args, _DOCKER_GLOBAL_VALUES)
        if sub == "container" and rest and rest[0].text == "run":
            sub, rest = "run", rest[1:]
        if sub == "run":
            _container(acc, rest, f"{name} run")
        else:
            acc.note(f"{name} is used with a subcommand mcpscan does not analyse")
        return name
    if name == "node":
        _node(acc, args)
        return "node"
    if name == "python":
        _python(acc, args)
        return "python"
    if name == "deno":
        return _deno(acc, args, depth)
    if name in _SHELLS:
        return _shell(acc, name, args, depth)
    if name == "env":
        return _env(acc, args, depth)
    if name == "cmd":
        return _cmd(acc, args, depth)
    if _guard_spec(acc, program, program.text):
        return "binary"
    proxy = _BINARY_PROXIES.get(name)
    if proxy is not None:
        acc.note(_PROXY_NOTE)
        proxy(acc, args, None, depth)
        return "binary"
    acc.note(f"runs the local program {_safe(name)!r}; its provenance is not checked")
    _server_args(acc, args)
    return "binary"


def _package_manager(acc: _Acc, name: str, args: Sequence[_Tok], depth: int) -> str:
    sub, rest = _subcommand(
        args, frozenset({"--cwd", "-C", "--dir", "--prefix", "-w", "--workspace"})
    )
    if name == "npm" and sub in ("exec", "x"):
        _npm_exec(acc, rest, depth, "npm exec", _NPX_VALUES, always_installs=False)
        return "npm exec"
    if name == "pnpm" and sub == "dlx":
        values = frozenset({"--package", "--allow-build", "--reporter", "--cpu", "--os", "--libc"})
        _npm_exec(acc, rest, depth, "pnpm dlx", values, always_installs=True)
        return "pnpm dlx"
    if name == "yarn" and sub == "dlx":
        _npm_exec(
            acc, rest, depth, "yarn dlx", frozenset({"-p", "--package"}), always_installs=True
        )
        return "yarn dlx"
    if name == "bun" and sub == "x":
        _npm_exec(acc, rest, depth, "bunx", frozenset({"-p", "--package"}), always_installs=True)
        return "bunx"
    acc.note(f"{name} is used with a subcommand mcpscan does not analyse (it runs local code)")
    return name


# --------------------------------------------------------------------------------------------
# Entry point


def _scrub(value: Any, redactor: Redactor) -> Any:
    """``value`` with every secret-arg value removed from its strings (last line of defence:
    a credential must not reach a package name, a path or a note)."""
    if isinstance(value, enum.Enum):
        return value  # VersionKind is a str: scrubbing would turn it into a plain string
    if isinstance(value, str):
        return redactor.scrub(value)
    if isinstance(value, tuple):
        return tuple(_scrub(v, redactor) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _scrub(getattr(value, f.name), redactor)
            for f in dataclasses.fields(value)
            if not isinstance(getattr(value, f.name), Sensitive)
        }
        return dataclasses.replace(value, **changes)
    return value


def _unwrap(connector: Connector) -> Launch:
    acc = _Acc(env_names=frozenset(s.name for s in connector.env))
    declared = tuple(connector.declared_packages)
    acc.packages.extend(declared)
    launcher = "none"
    command = connector.command or ""
    has_command = bool(command.strip() or connector.args)
    if has_command:
        argv, notes = _split(command, connector.args)
        for note in notes:
            acc.note(note)
        launcher = _dispatch(acc, [_Tok(t, i) for i, t in enumerate(argv)], 0)
    if connector.url is not None:
        transport = connector.transport
        if transport not in ("http", "sse", "ws"):
            transport = "unknown"
        acc.remote(parse_remote(connector.url.reveal(), transport=transport))
        if launcher == "none":
            launcher = "remote"
        else:
            acc.note("the connector has both a command and a URL")
    if launcher == "none" and declared:
        launcher = "declared"
    elif launcher == "none" and not has_command:
        acc.note("the connector has neither a command nor a URL")
    launch = Launch(
        launcher=launcher,
        packages=tuple(acc.packages),
        proxies=tuple(acc.proxies),
        remotes=tuple(acc.remotes),
        auto_install=acc.auto_install,
        container=acc.container,
        path_args=tuple(dict.fromkeys(acc.path_args)),
        secret_args=tuple(acc.secret_args),
        notes=tuple(acc.notes),
    )
    shown = repr(launch)
    if not any(s.value.reveal() in shown for s in acc.secret_args):
        return launch
    redactor = Redactor(s.value for s in acc.secret_args)
    scrubbed: Launch = _scrub(launch, redactor)
    return scrubbed


def unwrap(connector: Connector) -> Launch:
    """What ``connector``'s command line (or URL) unwraps to. Never raises."""
    try:
        return _unwrap(connector)
    except Exception as exc:  # the contract is "never raises": a parser bug must not stop a scan
        error = type(exc).__name__
        return Launch(
            launcher="unknown",
            notes=(f"the command line could not be analysed (internal error {error})",),
        )
