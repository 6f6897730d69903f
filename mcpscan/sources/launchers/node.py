"""The npm family: npx, npm exec, bunx, pnpm dlx, yarn dlx; node; deno (npm:, jsr:, URLs)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from mcpscan.ecosystems.npm.spec import exact_version, split_name, version_kind
from mcpscan.ecosystems.purl import build as build_purl
from mcpscan.models import PackageRef, VersionKind
from mcpscan.sources.launchers import local
from mcpscan.sources.launchers.argv import (
    _basename,
    _check_opts,
    _is_url,
    _opt_values,
    _server_args,
    _split_opts,
    _subcommand,
    _words,
)
from mcpscan.sources.launchers.credentials import _guard_spec
from mcpscan.sources.launchers.facts import _Acc, _Launcher, _Opt, _Tok
from mcpscan.sources.launchers.packages import (
    _npm_ref,
    _url_package,
)
from mcpscan.sources.launchers.proxies import _NPM_PROXIES, _run_package
from mcpscan.sources.launchers.shells import run_script

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
    """``npx -c "cmd"``: npm runs the string in a shell, with the packages installed."""
    run_script(acc, opt.value or "", opt.tok, depth + 1, via=f"npx {opt.flag}")


_NODE_VALUES = _words(
    """
    -r --require --import --loader --experimental-loader -C --conditions --inspect-port
    --title --env-file --input-type
    """
)


def _node(acc: _Acc, args: Sequence[_Tok]) -> None:
    opts, start = _split_opts(args, _NODE_VALUES, acc, "node")
    if any(o.flag in ("-e", "--eval", "-p", "--print") for o in opts):
        acc.cannot("node runs inline code given on the command line")
        return
    if start >= len(args):
        acc.cannot("node was given no script")
        return
    script = args[start].text
    parts = re.split(r"[\\/]", script)
    if "node_modules" in parts:
        acc.note(
            "node runs a package installed in a local node_modules; its version comes from "
            "that install, not from the config"
        )
        local.record(acc, "package", script, "node", how="a local node_modules install")
    else:
        acc.note("node runs a local script; its provenance is not checked")
        local.record(acc, "script", script, "node")
    _server_args(acc, args[start + 1 :])


_DENO_VALUES = _words(
    """
    -c --config --import-map --cert --location --seed --ext -L --log-level --lock
    --inspect-wait
    """
)


def _deno(acc: _Acc, args: Sequence[_Tok], depth: int) -> str:
    sub, rest = _subcommand(args, frozenset({"--log-level", "-L"}))
    if sub not in ("run", "x"):
        acc.cannot("deno is used with a subcommand mcpscan does not analyse")
        return "deno"
    _, start = _split_opts(rest, _DENO_VALUES, acc, "deno run")
    if start >= len(rest):
        acc.cannot("deno run was given no module")
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
            local.record(acc, "script", spec, "deno")
        _server_args(acc, rest[start + 1 :])
    return "deno"


def _jsr(acc: _Acc, tok: _Tok, spec: str) -> None:
    """``jsr:@scope/name@version`` (JSR packages are always scoped)."""
    if _guard_spec(acc, tok, spec):
        return
    # JSR versions are semver, read as npm reads them.
    name, version = split_name(spec[4:])
    kind = version_kind(version)
    scope, slash, bare = name.rpartition("/")
    exact = exact_version(version) if kind is VersionKind.EXACT else None
    acc.packages.append(
        PackageRef(
            ecosystem="jsr",
            name=name,
            requested=version or None,
            version_kind=kind,
            purl=build_purl("jsr", bare if slash else name, namespace=scope or None, version=exact),
            spec=spec,
            role="server",
        )
    )


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
    local.record(
        acc,
        "package script",
        f"{name} {sub}".strip(),
        name,
        how="the package.json of the working directory",
    )
    return name


def _npx(acc: _Acc, _name: str, args: Sequence[_Tok], depth: int) -> str:
    _npm_exec(acc, args, depth, "npx", _NPX_VALUES, always_installs=False)
    return "npx"


def _bunx(acc: _Acc, _name: str, args: Sequence[_Tok], depth: int) -> str:
    _npm_exec(acc, args, depth, "bunx", frozenset({"-p", "--package"}), always_installs=True)
    return "bunx"


def _pnpx(acc: _Acc, _name: str, args: Sequence[_Tok], depth: int) -> str:
    _npm_exec(acc, args, depth, "pnpm dlx", frozenset({"--package"}), always_installs=True)
    return "pnpm dlx"


def _node_launcher(acc: _Acc, _name: str, args: Sequence[_Tok], _depth: int) -> str:
    _node(acc, args)
    return "node"


def _deno_launcher(acc: _Acc, _name: str, args: Sequence[_Tok], depth: int) -> str:
    return _deno(acc, args, depth)


LAUNCHERS: dict[str, _Launcher] = {
    "npx": _npx,
    "bunx": _bunx,
    "pnpx": _pnpx,
    **dict.fromkeys(("npm", "pnpm", "yarn", "bun"), _package_manager),
    "node": _node_launcher,
    "deno": _deno_launcher,
}
