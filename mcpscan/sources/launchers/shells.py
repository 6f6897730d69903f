"""Shells and wrappers that run another command: sh/bash/... -c, env, cmd /c."""

from __future__ import annotations

import re
from collections.abc import Sequence

from mcpscan.sources.launchers.argv import _shell_split, _strip_cmd_c
from mcpscan.sources.launchers.credentials import _check_value
from mcpscan.sources.launchers.facts import _Acc, _Launcher, _Tok

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
            return acc.run([_Tok(t, body.index) for t in inner], depth + 1)
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
    return acc.run(list(args[i:]), depth + 1)


def _cmd(acc: _Acc, args: Sequence[_Tok], depth: int) -> str:
    """``cmd /c npx ...`` nested inside another command."""
    texts = ["cmd"] + [t.text for t in args]
    stripped = _strip_cmd_c(texts)
    if stripped == texts:
        acc.note("cmd is used without /c; the command it runs was not analysed")
        return "binary"
    index = args[0].index if args else 0
    return acc.run([_Tok(t, index) for t in stripped], depth + 1)


def _env_launcher(acc: _Acc, _name: str, args: Sequence[_Tok], depth: int) -> str:
    return _env(acc, args, depth)


def _cmd_launcher(acc: _Acc, _name: str, args: Sequence[_Tok], depth: int) -> str:
    return _cmd(acc, args, depth)


LAUNCHERS: dict[str, _Launcher] = {
    **dict.fromkeys(_SHELLS, _shell),
    "env": _env_launcher,
    "cmd": _cmd_launcher,
}
