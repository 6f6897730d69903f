"""Command lines as argv: splitting (POSIX and Windows), ``cmd /c``, program names, options
and the server's own arguments."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from mcpscan.sources.launchers.credentials import _check_value, _safe, _url_credentials
from mcpscan.sources.launchers.facts import _Acc, _Opt, _Tok


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

    def read_one(i: int, opts: list[_Opt]) -> int:
        tok = toks[i]
        text = tok.text
        name, eq, val = text.partition("=")
        if eq and name.startswith("--"):
            opts.append(_Opt(name, val, tok))
        elif text in value_flags:
            value = _value_after(toks, i, acc, where)
            opts.append(value or _Opt(text, None, tok))
            return i + 2 if value else i + 1
        else:
            opts.append(_Opt(text, None, tok))
        return i + 1

    return _leading_opts(toks, read_one)


def _leading_opts(
    toks: Sequence[_Tok], read_one: Callable[[int, list[_Opt]], int]
) -> tuple[list[_Opt], int]:
    """Where a launcher's options end, for every launcher: at its first positional token, or
    just after ``--``. ``read_one(i, opts)`` adds the option at ``toks[i]`` to ``opts`` and
    returns the index after it and its value. The options and the index of the first
    positional token."""
    opts: list[_Opt] = []
    i = 0
    while i < len(toks):
        text = toks[i].text
        if text == "--":
            return opts, i + 1
        if not text.startswith("-") or text == "-":
            break
        i = read_one(i, opts)
    return opts, i


def _value_after(
    toks: Sequence[_Tok], i: int, acc: _Acc, where: str, flag: str = ""
) -> _Opt | None:
    """The option ``flag`` (default: the text of ``toks[i]``) with the next token as its
    value; None, and a note, when there is no next token."""
    flag = flag or toks[i].text
    if i + 1 < len(toks):
        return _Opt(flag, toks[i + 1].text, toks[i + 1])
    acc.note(f"{where}: option {_safe(flag)} has no value")
    return None


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
        # An unquoted program path with spaces ("C:\Program Files\x.exe --flag"); only a
        # path: "curl -o x.cmd URL" is a command whose argument ends in .cmd.
        exe = re.match(
            r"^((?:[A-Za-z]:)?[\\/].*?\.(?:exe|cmd|bat|com|ps1))(?:\s+(.*))?$",
            text,
            re.I | re.DOTALL,
        )
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


def _subcommand(args: Sequence[_Tok], global_values: frozenset[str]) -> tuple[str, list[_Tok]]:
    """The subcommand after global options, and the tokens after it."""
    i = 0
    while i < len(args) and args[i].text.startswith("-"):
        i += 2 if args[i].text in global_values else 1
    if i >= len(args):
        return "", []
    return args[i].text, list(args[i + 1 :])
