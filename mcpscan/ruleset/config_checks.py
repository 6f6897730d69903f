"""Checks over what the configuration alone says (rules whose ``requires`` is "config").

Every message and evidence string names things (flags, variables, hosts, fingerprints);
none carries a configured value, since those may be secrets.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources

from mcpscan.models import (
    Connector,
    ContainerFacts,
    PackageRef,
    ProxyHop,
    SecretArg,
    Sensitive,
    Setting,
    Severity,
    ValueKind,
    VersionKind,
)
from mcpscan.net.hosts import is_loopback
from mcpscan.redaction import classify, credential_of, is_placeholder, marker, scrub_text
from mcpscan.ruleset.interface import ConnectorFacts, Hit
from mcpscan.ruleset.policy import Policy
from mcpscan.ruleset.registry import check, fleet_check

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


# --- SC01 unpinned-launch -------------------------------------------------------------------

_WHY_UNPINNED = {
    VersionKind.UNSPECIFIED: "no version is given, so every start fetches whatever is newest",
    VersionKind.LATEST: "'latest' is fetched again at every start",
    VersionKind.RANGE: "a version range picks up every new matching release",
    VersionKind.TAG: "a tag can be moved to a different release at any time",
    VersionKind.URL: "a URL or git reference without a commit can change under the same name",
}


def _spec_text(ref: PackageRef) -> str:
    text = ref.spec or (f"{ref.name}@{ref.requested}" if ref.requested else ref.name)
    # A git or tarball URL may embed a token as user-info; that part is never shown.
    return scrub_text(text)


def _image_pin(facts: ConnectorFacts, ref: PackageRef) -> str:
    """For an image resolved in this scan: the exact pin of what its tag names today."""
    if ref.ecosystem != "oci" or facts.graph is None:
        return ""
    for node in facts.graph.root_nodes:
        if node.ecosystem == "oci" and node.name == ref.name:
            return (
                f"Pin the image by its digest: {node.name}@{node.version} is what "
                f"{scrub_text(ref.spec or ref.name)} names today. Check that it is the "
                "release you mean before you pin it."
            )
    return ""


@check("unpinned_launch")
def unpinned_launch(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    launch = facts.launch
    refs = (
        *launch.packages,
        *(hop.package for hop in launch.proxies if hop.package is not None),
        *facts.connector.declared_packages,
    )
    seen: set[tuple[str, str, str | None, str]] = set()
    for ref in refs:
        key = (ref.ecosystem, ref.name, ref.requested, ref.role)
        if ref.pinned or key in seen:
            continue
        seen.add(key)
        why = _WHY_UNPINNED.get(ref.version_kind, "the version is not fixed")
        yield Hit(
            message=f"{ref.role} package {ref.name} is not pinned: {why}",
            evidence=_spec_text(ref),
            component=ref.purl or None,
            remediation=_image_pin(facts, ref),
        )


# --- PX02 plaintext-transport ---------------------------------------------------------------


def _hop_purl(hop: ProxyHop | None) -> str | None:
    if hop is None or hop.package is None:
        return None
    return hop.package.purl or None


@check("plaintext_transport")
def plaintext_transport(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    hops = {hop.kind: hop for hop in facts.launch.proxies}
    for remote in facts.launch.remotes:
        if remote.loopback or is_loopback(remote.host):
            continue
        component = _hop_purl(hops.get(remote.via))
        if remote.scheme.lower() in ("http", "ws"):
            yield Hit(
                message=(
                    f"{remote.host} is reached over plaintext {remote.scheme}://: tokens and "
                    "tool traffic can be read or changed on the way"
                ),
                evidence=remote.display_url,
                component=component,
            )
        elif remote.allow_http:
            yield Hit(
                message=(
                    f"{remote.via} is started with --allow-http for {remote.host}, so the "
                    "connection may fall back to plaintext"
                ),
                evidence=f"--allow-http {remote.display_url}",
                component=component,
            )


# --- PX03 proxy-exposure / PX04 proxy-token-store -------------------------------------------


@check("proxy_exposure")
def proxy_exposure(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for hop in facts.launch.proxies:
        if hop.listen_host and not is_loopback(hop.listen_host):
            yield Hit(
                message=(
                    f"{hop.kind} listens on {hop.listen_host}: anyone who can reach this "
                    "machine can use the connector and its credentials"
                ),
                evidence=f"--host {hop.listen_host}",
                component=_hop_purl(hop),
            )
        origins = {o.strip() for o in (hop.allow_origin or "").split(",")}
        if "*" in origins:
            yield Hit(
                message=f"{hop.kind} accepts cross-origin requests from any web page",
                evidence=f"allow-origin {hop.allow_origin}",
                component=_hop_purl(hop),
            )
        if hop.pass_environment:
            yield Hit(
                message=(
                    f"{hop.kind} passes the client's whole environment to the server it starts"
                ),
                evidence="--pass-environment",
                component=_hop_purl(hop),
            )


@check("proxy_token_store")
def proxy_token_store(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for hop in facts.launch.proxies:
        if hop.token_store:
            yield Hit(
                message=(
                    f"{hop.kind} caches OAuth tokens on disk in {hop.token_store}, readable by "
                    "any process of the user"
                ),
                evidence=hop.token_store,
                component=_hop_purl(hop),
            )


# --- ID01 literal-secret / ID02 broad-credential --------------------------------------------

_ORIGIN_WORDS = {
    "env": "environment variable",
    "header": "header",
    "env_http_header": "header",
    "http_header": "header",
}


def _origin(setting: Setting) -> str:
    return _ORIGIN_WORDS.get(setting.origin, setting.origin or "setting")


def literal_secret_kind(setting: Setting) -> str | None:
    """What kind of credential ``setting`` holds written out literally (ID01), or None.
    Also asked by ``mcpscan fix``, so that it moves exactly what ID01 reports."""
    if setting.kind is not ValueKind.LITERAL:
        return None
    raw = setting.value.reveal()
    match = classify(raw, name=setting.name)
    if match is None and setting.secret:
        # Declared secret (isSecret, password input): any non-placeholder literal counts,
        # which is what classify() does for a value under a secret-sounding name.
        match = classify(raw, name="secret")
    return match.kind if match else None


@dataclass(frozen=True)
class _Literal:
    value: Sensitive
    kind: str
    where: str  # "environment variable GITHUB_TOKEN", "the value of --header"
    name: str | None = None  # the setting's name, for settings


def _literal_secrets(facts: ConnectorFacts) -> Iterator[_Literal]:
    connector = facts.connector
    for setting in (*connector.env, *connector.headers):
        kind = literal_secret_kind(setting)
        if kind:
            yield _Literal(setting.value, kind, f"{_origin(setting)} {setting.name}", setting.name)
    for arg in facts.launch.secret_args:
        if arg.in_url:
            continue  # ID03
        yield _Literal(arg.value, _arg_kind(arg), _arg_where(arg), arg.flag or None)


def _arg_kind(arg: SecretArg) -> str:
    if arg.kind:
        return arg.kind
    match = classify(arg.value.reveal())
    return match.kind if match else "secret"


def _arg_where(arg: SecretArg) -> str:
    if not arg.flag:
        return f"command-line argument #{arg.index}"
    if arg.form in ("header", "assignment"):
        what = "header" if arg.form == "header" else "variable"
        return f"the {what} {arg.flag} in command-line argument #{arg.index}"
    return f"the value of {arg.flag}"


def _evidence(name: str | None, value: Sensitive, kind: str) -> str:
    """Name, kind and fingerprint of a credential: never its value."""
    shown = marker(value, kind)
    return f"{name}: {shown}" if name else shown


@check("literal_secret")
def literal_secret(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for found in _literal_secrets(facts):
        yield Hit(
            message=f"{found.where} holds a literal {found.kind} written in the configuration",
            evidence=_evidence(found.name, found.value, found.kind),
        )


@dataclass(frozen=True)
class _BroadData:
    env: dict[str, str]  # name -> why it is broad
    kinds: frozenset[str]


@functools.cache
def _broad_data() -> _BroadData:
    text = (resources.files("mcpscan.ruleset") / "broad_credentials.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return _BroadData(
        env={e["name"]: e["why"] for e in data["env"]},
        kinds=frozenset(data["formats"]["kinds"]),
    )


@check("broad_credential")
def broad_credential(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    broad = _broad_data()
    named: set[str] = set()
    for setting in facts.connector.env:
        why = broad.env.get(setting.name)
        if why is None:
            continue
        # A fine-grained GitHub token in the classic variable is scoped; not broad.
        if literal_secret_kind(setting) == "GitHub fine-grained token":
            continue
        # A template's stand-in ("YOUR_GITHUB_TOKEN", "<token>") hands over nothing yet; the
        # real value, once written, is judged (an indirection still is: it names the PAT).
        if setting.kind is ValueKind.LITERAL and is_placeholder(setting.value.reveal()):
            continue
        named.add(setting.name)
        yield Hit(
            message=(
                f"environment variable {setting.name} hands the connector a long-lived broad "
                f"credential: {why}"
            ),
            evidence=f"env {setting.name}",
        )
    container = facts.launch.container
    for name in container.env_literals if container else ():
        if name in broad.env and name not in named:
            named.add(name)
            yield Hit(
                message=f"the container receives {name}: {broad.env[name]}",
                evidence=f"-e {name}",
            )
    for found in _literal_secrets(facts):
        if found.kind in broad.kinds and found.name not in named:
            yield Hit(
                message=f"{found.where} holds a {found.kind}, a long-lived broad credential",
                evidence=marker(found.value, found.kind),
            )
    for hop in facts.launch.proxies:
        if hop.pass_environment:
            yield Hit(
                message=(
                    f"{hop.kind} --pass-environment hands every credential in the client's "
                    "environment to the server it starts"
                ),
                evidence="--pass-environment",
            )


def _credential(value: Sensitive) -> Sensitive:
    """The credential itself: "Bearer X" in a header and X in an env var are one secret."""
    return Sensitive(credential_of(value.reveal()))


def _labels(connectors: Sequence[Connector]) -> list[str]:
    """Connector names, with their files when two share a name (one name in two configs)."""
    names = [c.name for c in connectors]
    if len(set(names)) == len(names):
        return sorted(names)
    return sorted(f"{c.name} in {c.source.file}" for c in connectors)


@fleet_check("broad_credential")
def shared_credential(
    all_facts: Sequence[ConnectorFacts], policy: Policy
) -> Iterator[tuple[int, Hit]]:
    holders: dict[Sensitive, dict[int, _Literal]] = {}
    for index, facts in enumerate(all_facts):
        for found in _literal_secrets(facts):
            holders.setdefault(_credential(found.value), {}).setdefault(index, found)
    for credential, by_index in holders.items():
        if len(by_index) < 2:
            continue
        names = _labels([all_facts[i].connector for i in by_index])
        for index, found in by_index.items():
            yield (
                index,
                Hit(
                    message=(
                        f"the same {found.kind} is handed to {len(by_index)} connectors "
                        f"({', '.join(names)}): one leak exposes all of them"
                    ),
                    evidence=marker(credential, found.kind),
                ),
            )


# --- ID03 secret-in-url ---------------------------------------------------------------------


_URL_PARTS = {
    "url-userinfo": "its user-info part",
    "url-query": "a query parameter",
    "url-path": "its path",
}


@check("secret_in_url")
def secret_in_url(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    for remote in facts.launch.remotes:
        if remote.has_userinfo:
            yield Hit(
                message=f"the URL of {remote.host} carries credentials in its user-info part",
                evidence=remote.display_url,
            )
        keys = [k for k in remote.secret_query_keys if k != "<path>"]
        if "<path>" in remote.secret_query_keys:
            yield Hit(
                message=f"the URL path of {remote.host} contains a token",
                evidence=remote.display_url,
            )
        if keys:
            yield Hit(
                message=(
                    f"the URL of {remote.host} carries a secret in query parameter(s) "
                    f"{', '.join(keys)}"
                ),
                evidence=remote.display_url,
            )
    for arg in facts.launch.secret_args:
        if not arg.in_url:
            continue
        holder = f"the value of {arg.flag}" if arg.flag else f"command-line argument #{arg.index}"
        part = _URL_PARTS.get(arg.form, "it")
        yield Hit(
            message=f"{holder} is a URL that carries a literal {_arg_kind(arg)} in {part}",
            evidence=_evidence(arg.flag or None, arg.value, _arg_kind(arg)),
        )


# --- SP01 broad-filesystem / SP02 privileged-container --------------------------------------

_HOME_WORDS = frozenset(
    {
        "~",
        "$home",
        "${home}",
        "${userhome}",
        "${env:home}",
        "${env:userprofile}",
        "%userprofile%",
        "%homepath%",
        "$env:userprofile",
    }
)
_HOME_DIR_RE = re.compile(r"(?i)(/(users|home)(/[^/]+)?|/root|~[^/]*|[a-z]:/users(/[^/]+)?)")
_DRIVE_ROOT_RE = re.compile(r"(?i)[a-z]:/?")


def _normalise_path(path: str) -> str:
    p = path.strip().strip("\"'").replace("\\", "/")
    while len(p) > 1 and p.endswith("/") and not _DRIVE_ROOT_RE.fullmatch(p):
        p = p[:-1]
    return p


def _broad_path(path: str) -> str | None:
    """``"the filesystem root"`` / ``"the home directory"`` when ``path`` is that broad."""
    p = _normalise_path(path)
    if p == "/" or _DRIVE_ROOT_RE.fullmatch(p):
        return "the filesystem root"
    if p.lower() in _HOME_WORDS or _HOME_DIR_RE.fullmatch(p):
        return "a whole home directory"
    return None


@check("broad_filesystem")
def broad_filesystem(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    container = facts.launch.container
    mounts = set(container.mounts) if container else set()
    for arg in dict.fromkeys(facts.launch.path_args):
        if arg in mounts:
            continue  # container mounts are SP02's
        what = _broad_path(arg)
        if what:
            yield Hit(
                message=f"the server is given {what}: it can read or change every file in it",
                evidence=arg,
            )


_CONFINEMENT_OFF = frozenset(
    {"seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined", "label=disable"}
)


def _dangerous_mount(host_path: str) -> str | None:
    p = _normalise_path(host_path)
    if p.endswith(("/docker.sock", "/podman.sock")) or p in ("docker.sock", "podman.sock"):
        return "container engine socket (full control of the host)"
    what = _broad_path(p)
    if what == "the filesystem root":
        return "root filesystem"
    return "home directory" if what else None


@check("privileged_container")
def privileged_container(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    c = facts.launch.container
    if c is None:
        return
    if c.privileged:
        yield Hit(
            message="the container runs --privileged: every capability and the host's devices",
            evidence="--privileged",
        )
    if c.host_network:
        yield Hit(
            message="the container shares the host network (reaches local-only services)",
            evidence="--network host",
        )
    if c.host_pid:
        yield Hit(
            message="the container shares the host's process namespace",
            evidence="--pid host",
        )
    if c.cap_add:
        caps = ", ".join(dict.fromkeys(c.cap_add))
        yield Hit(
            message=f"the container is granted extra capabilities: {caps}",
            evidence=f"--cap-add {caps}",
        )
    for mount in dict.fromkeys(c.mounts):
        what = _dangerous_mount(mount)
        if what:
            yield Hit(
                message=f"the host's {what} is mounted into the container", evidence=f"-v {mount}"
            )
    for opt in dict.fromkeys(c.security_opts):
        if opt.strip().lower().replace(":", "=", 1) in _CONFINEMENT_OFF:
            yield Hit(
                message=f"--security-opt {opt} switches off a container confinement layer",
                evidence=f"--security-opt {opt}",
            )
    yield from _root_images(facts, c)


def _root_images(facts: ConnectorFacts, c: ContainerFacts) -> Iterator[Hit]:
    """The image's own user is root and the command line does not choose another."""
    if c.user is not None and c.user.split(":", 1)[0].strip() not in ("", "root", "0"):
        return
    for node in facts.graph.root_nodes if facts.graph is not None else ():
        image = node.facts.image
        if image is None or not image.runs_as_root:
            continue
        said = f"User {image.user!r}" if image.user else "no User"
        how = "-u root" if c.user is not None else "no -u/--user"
        yield Hit(
            message=f"the image {node.label} runs as root: its config sets {said}, and the "
            f"command line gives {how}",
            evidence=f"config User: {image.user or '(none)'}",
            component=node.purl,
            # Root inside a container is not the host's root: less than --privileged.
            severity=Severity.MEDIUM,
            remediation="Run it as an unprivileged user (docker run -u 1000:1000 ...), or "
            "use an image whose config sets a non-root User.",
        )


# --- SP03 confirmation-bypass ---------------------------------------------------------------


def _listed(value: str) -> list[str]:
    # Sources join lists with ","; tolerate "[a, b]" and quoted items as well.
    items = (v.strip().strip("\"'") for v in value.strip().strip("[]").split(","))
    return [v for v in items if v]


@check("confirmation_bypass")
def confirmation_bypass(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    options = facts.connector.options
    keys = {key.lower() for key, _ in options}
    for key, value in options:
        k, v = key.lower(), value.strip().lower()
        if k == "trust" and v == "true":
            yield Hit(
                message="trust is true: every tool call of this server runs without confirmation",
                evidence=f"{key}: {value}",
            )
        elif k in ("autoapprove", "alwaysallow") and _listed(value):
            tools = _listed(value)
            yield Hit(
                message=(
                    f"{key} lets {len(tools)} tool(s) run without confirmation: {', '.join(tools)}"
                ),
                evidence=f"{key}: {', '.join(tools)}",
            )
        elif k == "goose_mode" and v == "auto":
            yield Hit(
                message="GOOSE_MODE is auto: tool calls run without confirmation",
                evidence=f"{key}: {value}",
            )
        elif k == "sandboxenabled" and v == "true":
            # VS Code auto-approves tool calls of a sandboxed server. The sandbox limits
            # what a call can reach, so this is reported, but low: scoring it like an
            # unsandboxed bypass would push users to switch the sandbox off.
            yield Hit(
                message=(
                    "sandboxEnabled is true: VS Code auto-approves this server's tool calls "
                    "(inside the sandbox's file and network limits)"
                ),
                evidence=f"{key}: {value}",
                severity=Severity.LOW,
            )
        elif k.endswith("approval_mode") and v == "approve":
            # Codex: "approve" pre-approves the tool(s); "prompt" is the asking mode.
            yield Hit(
                message=f"{key} = approve: Codex runs these tool calls without asking",
                evidence=f"{key}: {value}",
            )
    if facts.connector.source.client.lower() == "goose" and "goose_mode" not in keys:
        yield Hit(
            message="GOOSE_MODE is not set and defaults to auto: tool calls run unconfirmed",
            evidence="GOOSE_MODE: (unset, default auto)",
        )
