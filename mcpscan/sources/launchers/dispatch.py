"""From a connector to its :class:`~mcpscan.models.Launch`: the table from program name to
launcher, and the entry point."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence

from mcpscan.models import Connector, Launch
from mcpscan.redaction import URL_RE, Redactor, display_url, find_in_argv, scrub_fields
from mcpscan.sources.launchers import local, shells
from mcpscan.sources.launchers.argv import _basename, _server_args, _split
from mcpscan.sources.launchers.containers import LAUNCHERS as _CONTAINERS
from mcpscan.sources.launchers.credentials import _guard_spec, _safe
from mcpscan.sources.launchers.facts import _Acc, _Launcher, _Tok
from mcpscan.sources.launchers.node import LAUNCHERS as _NODE
from mcpscan.sources.launchers.proxies import _BINARY_PROXIES, _PROXY_NOTE
from mcpscan.sources.launchers.python import LAUNCHERS as _PYTHON
from mcpscan.sources.launchers.remotes import parse_remote
from mcpscan.sources.launchers.shells import LAUNCHERS as _SHELLS

# Proxies wrapping proxies wrapping launchers: real configs nest two or three levels.
# Anything deeper is pathological input and is reported rather than followed.
MAX_DEPTH = 5


# Every program name a launcher module analyses, and how.
_LAUNCHERS: dict[str, _Launcher] = {
    **_NODE,
    **_PYTHON,
    **_CONTAINERS,
    **_SHELLS,
}


def _dispatch(acc: _Acc, toks: Sequence[_Tok], depth: int) -> str:
    """Analyse one command line; return the launcher name."""
    if depth > MAX_DEPTH:
        acc.cannot(f"commands nested more than {MAX_DEPTH} levels deep were not analysed")
        return "unknown"
    if not toks or not toks[0].text.strip():
        acc.cannot("the connector's command is empty")
        return "none"
    program = toks[0]
    name = _basename(program.text)
    args = list(toks[1:])
    launcher = _LAUNCHERS.get(name)
    if launcher is not None:
        return launcher(acc, name, args, depth)
    if _guard_spec(acc, program, program.text):
        return "binary"
    proxy = _BINARY_PROXIES.get(name)
    if proxy is not None:
        acc.note(_PROXY_NOTE)
        proxy(acc, args, None, depth)
        return "binary"
    acc.note(f"runs the local program {_safe(name)!r}; its provenance is not checked")
    kind = "program" if local.found_by(program.text) == "PATH lookup" else "script"
    local.record(acc, kind, program.text)
    _server_args(acc, args)
    return "binary"


def _unwrap(connector: Connector) -> Launch:
    acc = _Acc(env_names=frozenset(s.name for s in connector.env), dispatch=_dispatch)
    declared = tuple(connector.declared_packages)
    acc.packages.extend(declared)
    launcher = "none"
    command = connector.command or ""
    has_command = bool(command.strip() or connector.args)
    if has_command and shells.is_command_line(command) and not _is_existing_file(command):
        # A whole shell command line in "command" ("cd /srv && npx -y pkg", "curl … | sh"):
        # read as the shell that runs it would, with the args appended as words.
        text = " ".join([command, *(shlex.quote(a) for a in connector.args)])
        launcher = shells.run_script(acc, text, _Tok(command, 0), 0, via="the command string")
        _every_form(acc, _split(command, connector.args)[0])
    elif has_command:
        argv, notes = _split(command, connector.args)
        for note in notes:
            acc.note(note)
        toks = [_Tok(t, i) for i, t in enumerate(argv)]
        if _basename(command.strip().split()[0] if command.strip() else "") == "cmd":
            launcher = shells.run_cmd_steps(acc, toks, -1, via="cmd /c")
        else:
            launcher = _dispatch(acc, toks, 0)
        _every_form(acc, argv)
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
        acc.cannot("the connector has neither a command nor a URL")
    if not (acc.packages or acc.remotes or acc.local or acc.downloads or acc.opaque):
        # The walk found nothing to check (``npx`` with no package, a proxy with no target):
        # that is a command mcpscan cannot vouch for, never a silent pass.
        given = [n for n in acc.notes if "was given no" in n or "no value" in n]
        acc.cannot(
            given[0]
            if given
            else "the command line names no package, program or endpoint mcpscan can check"
        )
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
        local=tuple(acc.local),
        downloads=tuple(acc.downloads),
        opaque=tuple(acc.opaque),
        shell=acc.shell,
    )
    # Scrub whenever a secret was found: a test on repr() would miss values repr escapes
    # (non-printable characters), which then reached the report unscrubbed.
    if not acc.secret_args:
        return launch
    redactor = Redactor(s.value for s in acc.secret_args)
    return scrub_fields(launch, redactor)


def _every_form(acc: _Acc, argv: list[str]) -> None:
    """Add what the redaction module recognises in the command line and the launcher walk
    did not: every form it knows is a finding, whatever the launcher."""
    remotes = {r.display_url for r in acc.remotes}
    for cred in find_in_argv(argv):
        raw = cred.value.reveal()
        if cred.in_url and any(
            display_url(m.group(0)) in remotes for m in URL_RE.finditer(argv[cred.index])
        ):
            continue  # a remote endpoint's URL: ID03 reports it from the remote
        if any(s.value == cred.value and s.index != cred.index for s in acc.secret_args):
            continue  # one value, one finding: it is redacted wherever it occurs
        same = [
            i
            for i, s in enumerate(acc.secret_args)
            if s.index == cred.index and (s.value.reveal() in raw or raw in s.value.reveal())
        ]
        if same and (not cred.in_url or any(acc.secret_args[i].in_url for i in same)):
            continue  # the launcher walk found it already
        for i in reversed(same):
            del acc.secret_args[i]  # the same secret, now known to sit in a URL
        flag = cred.holder if cred.in_url else cred.name
        acc.secret(flag, _Tok(raw, cred.index), raw, kind=cred.kind, form=cred.form)


def _is_existing_file(command: str) -> bool:
    try:
        return os.path.isfile(command)
    except (OSError, ValueError):
        return False


def unwrap(connector: Connector) -> Launch:
    """What ``connector``'s command line (or URL) unwraps to. Never raises."""
    try:
        return _unwrap(connector)
    except Exception as exc:  # the contract is "never raises": a parser bug must not stop a scan
        error = type(exc).__name__
        why = f"the command line could not be analysed (internal error {error})"
        return Launch(launcher="unknown", notes=(why,), opaque=(why,))
