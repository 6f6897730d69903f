"""Shells and wrappers that run another command: ``sh|bash|zsh|dash -c``, a command string
holding a whole command line, ``cmd /c``, ``powershell|pwsh -Command``, ``env``.

A shell launch is read, not skipped. The script is parsed (:mod:`.scripts`, a POSIX lexer);
simple scripts (``cd DIR && exec CMD``, ``export``/``A=1`` assignments, ``;``/``&&`` chains)
are unwrapped into the launches they perform, each analysed by the dispatcher, and the
last one is the server. Download-and-execute (``curl … | sh``, ``bash <(curl …)``,
``sh -c "$(wget -O- …)"``, a downloaded file run next, ``iwr … | iex``) is recorded as a
:class:`~mcpscan.models.DownloadExec` with the URL in its redacted display form (EX01).
What cannot be followed is recorded with why (:meth:`_Acc.cannot`, EX02); a script file or
a sourced file is local code (EX03).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence

from mcpscan.models import DownloadExec
from mcpscan.redaction import display_url
from mcpscan.sources.launchers import local, scripts
from mcpscan.sources.launchers.argv import _basename, _strip_cmd_c, _windows_split
from mcpscan.sources.launchers.credentials import _check_value, _url_credentials
from mcpscan.sources.launchers.facts import _Acc, _Launcher, _Tok

_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "ash", "mksh"})
_POWERSHELLS = frozenset({"powershell", "pwsh"})
_DOWNLOADERS = frozenset(
    {
        "curl",
        "wget",
        "wget2",
        "fetch",
        "aria2c",
        "http",
        "https",
        "xh",
        "iwr",
        "irm",
        "invoke-webrequest",
        "invoke-restmethod",
        "lwp-request",
    }
)
# Programs that run the code they are handed (on stdin, as a file or as a string).
_RUNNERS = (
    _SHELLS
    | _POWERSHELLS
    | frozenset(
        {
            "python",
            "python3",
            "python2",
            "node",
            "perl",
            "ruby",
            "php",
            "deno",
            "bun",
            "source",
            ".",
            "eval",
            "iex",
            "invoke-expression",
            "sudo",
            "doas",
        }
    )
)
# Commands that prepare the environment and run nothing of the server's.
_SETUP = frozenset(
    {
        "cd",
        "pushd",
        "popd",
        "set",
        "unset",
        "true",
        "false",
        ":",
        "echo",
        "printf",
        "mkdir",
        "ulimit",
        "umask",
        "shopt",
        "trap",
        "wait",
        "sleep",
        "test",
        "[",
        "chmod",
        "nvm",
        "read",
        "alias",
        "hash",
        "type",
        "which",
        "setlocal",
        "endlocal",
        "chcp",
        "title",
        "set-location",
        "sl",
        "rem",
        "@echo",
    }
)
# Prefixes that run the rest of the command as given (and, when a script is only searched
# for download-and-execute, the control-flow words a command may follow).
_PREFIXES = frozenset({"exec", "command", "builtin", "nohup", "time", "sudo", "doas"})
_FLOW = frozenset({"then", "do", "else", "elif", "if", "while", "until", "!", "{"})
_URL_RE = re.compile(r"\b(?:https?|ftp)://[^\s'\"|;&<>()]+", re.IGNORECASE)
_CMD_OPERATORS = frozenset({"&&", "&", "||", "|"})
_COMPUTED_URL = "(a URL the script computes)"


# --------------------------------------------------------------------------------------------
# POSIX shells


def _shell(acc: _Acc, name: str, args: Sequence[_Tok], depth: int) -> str:
    """``bash -lc "cd /srv && exec npx -y pkg"``: analyse what the script launches."""
    i = 0
    flags: list[str] = []
    while i < len(args):
        text = args[i].text
        if text in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            flags.append(text)
            i += 2
            continue
        if text.startswith("--") or text.startswith("+"):
            flags.append(text)
            i += 1
            continue
        if text.startswith("-") and len(text) > 1:
            flags.append(text)
            if "c" in text[1:]:
                if i + 1 >= len(args):
                    acc.cannot(f"{name} -c was given no script")
                    return "shell"
                via = f"{name} {' '.join(flags)}"
                return run_script(acc, args[i + 1].text, args[i + 1], depth, via=via)
            i += 1
            continue
        # A script file: local code, run by the shell.
        local.record(acc, "script", text, name)
        return name
    acc.cannot(f"{name} reads its script from standard input")
    return "shell"


def run_script(acc: _Acc, text: str, tok: _Tok, depth: int, *, via: str) -> str:
    """Analyse a POSIX shell script; return the launcher of its last command."""
    if acc.shell is None:
        acc.shell = via
    script = scripts.parse(text)
    for why in script.opaque:
        acc.cannot(f"{via}: {why}")
    if script.opaque:
        # Not understood as a whole: only look for download-and-execute inside it.
        for step in script.steps:
            _pipeline(acc, step.commands, tok, {}, depth, follow=False)
        return "shell"
    return _run_steps(acc, script, tok, depth)


def _run_steps(acc: _Acc, script: scripts.Script, tok: _Tok, depth: int) -> str:
    launcher = ""
    saved: dict[str, str] = {}  # files a downloader wrote -> the URL they came from
    for step in script.steps:
        found = _pipeline(acc, step.commands, tok, saved, depth)
        launcher = found or launcher
    if launcher:
        return launcher
    if not acc.downloads and not acc.opaque:
        acc.cannot("the script runs no program mcpscan recognises as the server")
    return "shell"


def _pipeline(
    acc: _Acc,
    commands: Sequence[scripts.Command],
    tok: _Tok,
    saved: dict[str, str],
    depth: int,
    *,
    follow: bool = True,
) -> str:
    """Analyse one pipeline; the launcher of its first program ("" for setup only)."""
    feeders: list[str] = []  # URLs downloaded onto the pipe so far
    launcher = ""
    for cmd in commands:
        for name, value in cmd.assignments:
            _check_value(acc, name, tok, value, name)
        words = _strip_prefixes(list(cmd.words), flow=not follow)
        program = _program(words)
        if feeders and program in _RUNNERS:
            for url in feeders:
                acc.download(DownloadExec(url=url, form=_pipe_form(commands)))
            feeders = []
            continue
        if program in _DOWNLOADERS:
            url = _download_url(acc, words, tok)
            out = _download_target(words, cmd.redirects, url)
            if out is None:
                feeders.append(url)
            else:
                saved[out] = url
            continue
        feeders = []
        if not words or not follow:
            continue
        found = _command(acc, cmd, words, tok, saved, depth)
        launcher = launcher or found
    return launcher


def _pipe_form(commands: Sequence[scripts.Command]) -> str:
    """``curl | sh``: the programs of a pipeline, for the finding."""
    names = [_program(_strip_prefixes(list(c.words), flow=True)) or "?" for c in commands]
    return " | ".join(names)


def _command(
    acc: _Acc, cmd: scripts.Command, words: list[str], tok: _Tok, saved: dict[str, str], depth: int
) -> str:
    program = _program(words)
    # A command substitution that downloads, handed to something that runs code (or run
    # as the command itself: `curl …`).
    values = [(v, False) for _, v in cmd.assignments]
    values += [(w, i == 0) for i, w in enumerate(words)]
    for value, is_program in values:
        for inner in cmd.substituted(value):
            urls = _downloads_in(acc, inner, tok)
            if urls and (program in _RUNNERS or is_program):
                for url in urls:
                    acc.download(DownloadExec(url=url, form="command substitution"))
                return "shell"
            if not urls:
                _run_steps_quietly(acc, inner, tok, depth)
    for proc in cmd.process_substitutions:
        urls = _downloads_in(acc, proc, tok)
        if urls and program in _RUNNERS:
            for url in urls:
                acc.download(DownloadExec(url=url, form="process substitution"))
            return "shell"
    ran = saved.get(words[0]) or saved.get(_stem(words[0]))
    if ran is None and program in _RUNNERS and len(words) > 1:
        ran = saved.get(words[1]) or saved.get(_stem(words[1]))
    if ran is not None:
        acc.download(DownloadExec(url=ran, form="download, then run"))
        return "shell"
    if scripts.display(words[0]) != words[0]:
        acc.cannot("the program is chosen by a command substitution")
        return "shell"
    if program == "export":
        for word in words[1:]:
            name, eq, value = word.partition("=")
            if eq:
                _check_value(acc, name, tok, value, name)
    if program in _SETUP or program == "export":
        return ""
    if program in ("source", "."):
        if len(words) > 1:
            local.record(acc, "script", words[1], program, how="sourced by the shell")
        return ""
    if program == "eval":
        acc.cannot("the script runs eval on text mcpscan cannot follow")
        return "shell"
    return acc.run([_Tok(w, tok.index) for w in words], depth + 1)


def _run_steps_quietly(acc: _Acc, inner: scripts.Script, tok: _Tok, depth: int) -> None:
    """A command substitution in an argument (``--token "$(gh auth token)"``): what it runs
    is named like any other program, but it is not the server."""
    for step in inner.steps:
        _pipeline(acc, step.commands, tok, {}, depth)


def _downloads_in(acc: _Acc, script: scripts.Script, tok: _Tok) -> list[str]:
    urls = []
    for cmd in script.commands:
        words = _strip_prefixes(list(cmd.words))
        if _program(words) in _DOWNLOADERS:
            urls.append(_download_url(acc, words, tok))
    return urls


def _strip_prefixes(words: list[str], *, flow: bool = False) -> list[str]:
    while words and flow and words[0] in _FLOW:
        words.pop(0)
    while words and words[0].lower() in _PREFIXES:
        head = words.pop(0).lower()
        while words and words[0].startswith("-"):
            flag = words.pop(0)
            if head in ("exec", "sudo") and flag in ("-a", "-u", "-g") and words:
                words.pop(0)
    return words


def _program(words: Sequence[str]) -> str:
    if not words:
        return ""
    name = _basename(words[0]).lower()
    return re.sub(r"\.exe$", "", name)


def _download_url(acc: _Acc, words: Sequence[str], tok: _Tok) -> str:
    """The URL a downloader fetches, in its display form (credentials removed); recorded
    as a secret argument when it carries one, so it is scrubbed from every output."""
    for word in words[1:]:
        match = _URL_RE.search(word)
        if match:
            url = match.group(0)
            _url_credentials(acc, "", tok, url)
            return display_url(url)
    return _COMPUTED_URL


def _download_target(
    words: Sequence[str], redirects: Sequence[tuple[str, str]], url: str
) -> str | None:
    """The file a downloader writes, or None when it writes to standard output."""
    for op, target in redirects:
        if op in (">", ">>", "&>"):
            return target
    program = _program(words)
    for i, word in enumerate(words[1:], 1):
        nxt = words[i + 1] if i + 1 < len(words) else None
        if word in ("-o", "--output", "-OutFile", "-outfile", "--output-document") or (
            word == "-O" and program.startswith("wget")
        ):
            return None if nxt in (None, "-") else nxt
        if word.startswith("--output=") or word.startswith("--output-document="):
            value = word.partition("=")[2]
            return None if value == "-" else value
        cluster = re.match(r"^-[A-Za-z]*O(.*)$", word) if program.startswith("wget") else None
        if cluster and not word.startswith("--"):
            written: str | None = cluster.group(1) or nxt
            return None if written in (None, "-") else written
        if program == "curl" and word in ("-O", "--remote-name") and url != _COMPUTED_URL:
            return url.rstrip("/").rsplit("/", 1)[-1]
    if program.startswith("wget") and url != _COMPUTED_URL:
        return url.partition("?")[0].rstrip("/").rsplit("/", 1)[-1]
    return None


def _stem(path: str) -> str:
    return path.removeprefix("./")


# --------------------------------------------------------------------------------------------
# cmd /c


def _cmd(acc: _Acc, args: Sequence[_Tok], depth: int) -> str:
    """``cmd /c npx ...`` nested inside another command."""
    texts = ["cmd"] + [t.text for t in args]
    stripped = _strip_cmd_c(texts)
    if stripped == texts:
        acc.cannot("cmd is used without /c; the command it runs was not analysed")
        return "shell"
    index = args[0].index if args else 0
    return run_cmd_steps(acc, [_Tok(t, index) for t in stripped], depth, via="cmd /c")


def run_cmd_steps(acc: _Acc, toks: Sequence[_Tok], depth: int, *, via: str) -> str:
    """A ``cmd /c`` command line split into its ``&&``/``&``/``||``/``|`` steps."""
    if not any(t.text in _CMD_OPERATORS for t in toks):
        return acc.run(list(toks), depth + 1)
    if acc.shell is None:
        acc.shell = via
    steps: list[scripts.Step] = []
    pipeline: list[scripts.Command] = []
    words: list[str] = []
    for t in [*toks, _Tok("&", 0)]:
        if t.text in _CMD_OPERATORS:
            if words:
                pipeline.append(scripts.Command(words=tuple(_cmd_words(words))))
            words = []
            if t.text != "|":
                if pipeline:
                    steps.append(scripts.Step(tuple(pipeline), t.text))
                pipeline = []
        else:
            words.append(t.text)
    index = toks[0].index if toks else 0
    return _run_steps(acc, scripts.Script(tuple(steps)), _Tok("", index), depth)


def _cmd_words(words: list[str]) -> list[str]:
    if words and words[0].lower() in ("cd", "chdir") and len(words) > 1 and words[1] == "/d":
        return [words[0], *words[2:]]
    return words


# --------------------------------------------------------------------------------------------
# PowerShell

_PS_VALUES = frozenset(
    {
        "-executionpolicy",
        "-ep",
        "-windowstyle",
        "-w",
        "-inputformat",
        "-outputformat",
        "-configurationname",
        "-workingdirectory",
        "-wd",
        "-settingsfile",
        "-version",
    }
)
_PS_DOWNLOAD_RE = re.compile(
    r"\b(?:iwr|irm|invoke-webrequest|invoke-restmethod|curl|wget|start-bitstransfer)\b"
    r"|downloadstring|downloadfile|downloaddata|net\.webclient|system\.net\.http",
    re.IGNORECASE,
)
_PS_RUN_RE = re.compile(
    r"\b(?:iex|invoke-expression|invoke-command|start-process)\b|\|\s*(?:powershell|pwsh)\b"
    r"|&\s*\(|\[scriptblock\]::create",
    re.IGNORECASE,
)
_MAX_ENCODED = 64 * 1024


def _powershell(acc: _Acc, name: str, args: Sequence[_Tok], depth: int) -> str:
    i = 0
    while i < len(args):
        text = args[i].text
        low = text.lower()
        if low in ("-command", "-c", "-cmd", "/c", "/command"):
            rest = args[i + 1 :]
            if not rest:
                acc.cannot(f"{name} -Command was given no command")
                return "shell"
            body = " ".join(t.text for t in rest)
            return _run_powershell(acc, body, rest[0], depth, via=f"{name} -Command")
        if low in ("-encodedcommand", "-enc", "-e", "-ec"):
            if i + 1 >= len(args):
                acc.cannot(f"{name} -EncodedCommand was given no command")
                return "shell"
            decoded = _decode(args[i + 1].text)
            if decoded is None:
                acc.cannot(f"{name} -EncodedCommand is not base64 UTF-16 text")
                return "shell"
            return _run_powershell(acc, decoded, args[i + 1], depth, via=f"{name} -EncodedCommand")
        if low in ("-file", "-f"):
            if i + 1 < len(args):
                path = args[i + 1].text
                local.record(acc, "script", path, name)
                return name
            acc.cannot(f"{name} -File was given no script")
            return "shell"
        if low in _PS_VALUES:
            i += 2
            continue
        if text.startswith("-"):
            i += 1
            continue
        # The first other argument starts the command (PowerShell's own default).
        body = " ".join(t.text for t in args[i:])
        return _run_powershell(acc, body, args[i], depth, via=name)
    acc.cannot(f"{name} reads its commands from standard input")
    return "shell"


def _decode(text: str) -> str | None:
    if len(text) > _MAX_ENCODED:
        return None
    try:
        return base64.b64decode(text, validate=True).decode("utf-16-le")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _run_powershell(acc: _Acc, body: str, tok: _Tok, depth: int, *, via: str) -> str:
    if acc.shell is None:
        acc.shell = via
    if _PS_DOWNLOAD_RE.search(body) and _PS_RUN_RE.search(body):
        urls = [m.group(0) for m in _URL_RE.finditer(body)] or [_COMPUTED_URL]
        for url in urls:
            if url != _COMPUTED_URL:
                _url_credentials(acc, "", tok, url)
                url = display_url(url)
            acc.download(DownloadExec(url=url, form="iwr | iex"))
        return "shell"
    statements = [s.strip() for s in _split_outside_quotes(body, ";") if s.strip()]
    launcher = ""
    for statement in statements:
        if re.search(r"[|{}]|\$\(|^\(|\)\.", statement):
            acc.cannot(
                f"{via}: the command uses a pipeline, script block or expression "
                "mcpscan does not follow"
            )
            continue
        env = re.match(r"^\$env:([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", statement, re.I)
        if env:
            _check_value(acc, env.group(1), tok, env.group(2).strip("'\""), env.group(1))
            continue
        words = _windows_split(statement.lstrip("& ").strip())
        if _program(words) in _SETUP:
            continue
        launcher = acc.run([_Tok(w, tok.index) for w in words], depth + 1) or launcher
    return launcher or "shell"


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == sep:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


# --------------------------------------------------------------------------------------------
# env


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


def _env_launcher(acc: _Acc, _name: str, args: Sequence[_Tok], depth: int) -> str:
    return _env(acc, args, depth)


def _cmd_launcher(acc: _Acc, _name: str, args: Sequence[_Tok], depth: int) -> str:
    return _cmd(acc, args, depth)


def is_command_line(command: str) -> bool:
    """A ``command`` string a client hands to a shell: whitespace and shell operators."""
    return any(c.isspace() for c in command.strip()) and scripts.has_shell_syntax(command)


LAUNCHERS: dict[str, _Launcher] = {
    **dict.fromkeys(_SHELLS, _shell),
    **dict.fromkeys(_POWERSHELLS, _powershell),
    "env": _env_launcher,
    "cmd": _cmd_launcher,
}
