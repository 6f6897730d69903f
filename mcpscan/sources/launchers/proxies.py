"""MCP proxies that wrap a server or a remote: mcp-remote, supergateway, mcp-proxy."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence

from mcpscan.models import PackageRef, ProxyHop
from mcpscan.sources.launchers.argv import _host_and_path, _server_args, _shell_split, _words
from mcpscan.sources.launchers.credentials import _check_value, _safe
from mcpscan.sources.launchers.facts import _Acc, _Tok
from mcpscan.sources.launchers.remotes import parse_remote

_MCP_AUTH_DIR = "~/.mcp-auth"


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
        acc.run([_Tok(t, tok.index) for t in inner], depth + 1)
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
            acc.run([_Tok(t, second.index) for t in inner], depth + 1)
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
        acc.run(command, depth + 1)
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
