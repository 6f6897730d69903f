"""The Python family: uvx, uv tool run, uv run, pipx run; python."""

from __future__ import annotations

from collections.abc import Sequence

from mcpscan.models import PackageRef
from mcpscan.sources.launchers import local
from mcpscan.sources.launchers.argv import (
    _check_opts,
    _opt_values,
    _server_args,
    _split_opts,
    _subcommand,
    _words,
)
from mcpscan.sources.launchers.facts import _Acc, _Launcher, _Tok
from mcpscan.sources.launchers.packages import _pypi_ref
from mcpscan.sources.launchers.proxies import _PYPI_PROXIES, _run_package

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
    target = args[start].text if start < len(args) else "."
    local.record(
        acc,
        "script" if target.endswith(".py") else "project",
        target,
        "uv run",
        how=None if target.endswith(".py") else "the uv project of the working directory",
    )
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


_PYTHON_VALUES = frozenset({"-W", "-X", "--check-hash-based-pycs"})


def _python(acc: _Acc, args: Sequence[_Tok]) -> None:
    i = 0
    while i < len(args):
        text = args[i].text
        if text in ("-m", "-c") or (
            text.startswith(("-m", "-c")) and not text.startswith("--") and len(text) > 2
        ):
            if text.startswith("-c"):
                acc.cannot("python runs inline code given on the command line")
                return
            acc.note("python runs a local module; its provenance is not checked")
            module = (args[i + 1].text if i + 1 < len(args) else "") if text == "-m" else text[2:]
            local.record(acc, "module", module, "python -m", how="the Python module search path")
            rest = args[i + 2 :] if text == "-m" else args[i + 1 :]
            _server_args(acc, rest)
            return
        if text == "--" or not text.startswith("-") or text == "-":
            if text == "--":
                i += 1
            break
        i += 2 if text in _PYTHON_VALUES else 1
    if i >= len(args):
        acc.cannot("python was given no script or module")
        return
    acc.note("python runs a local script; its provenance is not checked")
    local.record(acc, "script", args[i].text, "python")
    _server_args(acc, args[i + 1 :])


def _uvx(acc: _Acc, _name: str, args: Sequence[_Tok], depth: int) -> str:
    _uv(acc, args, depth, "uvx")
    return "uvx"


def _uv_launcher(acc: _Acc, _name: str, args: Sequence[_Tok], depth: int) -> str:
    sub, rest = _subcommand(
        args, frozenset({"--directory", "--project", "--cache-dir", "--config-file", "--color"})
    )
    if sub == "tool" and rest and rest[0].text == "run":
        _uv(acc, rest[1:], depth, "uv tool run")
        return "uv tool run"
    if sub == "run":
        _uv_run(acc, rest)
        return "uv run"
    acc.cannot("uv is used with a subcommand mcpscan does not analyse")
    return "uv"


def _pipx(acc: _Acc, _name: str, args: Sequence[_Tok], depth: int) -> str:
    sub, rest = _subcommand(args, frozenset())
    if sub == "run":
        _pipx_run(acc, rest, depth)
        return "pipx run"
    acc.cannot("pipx is used with a subcommand mcpscan does not analyse")
    return "pipx"


def _python_launcher(acc: _Acc, _name: str, args: Sequence[_Tok], _depth: int) -> str:
    _python(acc, args)
    return "python"


LAUNCHERS: dict[str, _Launcher] = {
    "uvx": _uvx,
    "uv": _uv_launcher,
    "pipx": _pipx,
    "python": _python_launcher,
}
