"""What one walk over a connector's command line accumulates: tokens, options, facts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from mcpscan.models import (
    ContainerFacts,
    DownloadExec,
    LocalCode,
    PackageRef,
    ProxyHop,
    Remote,
    SecretArg,
    Sensitive,
)


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
    local: list[LocalCode] = field(default_factory=list)
    downloads: list[DownloadExec] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)  # what could not be understood (findings)
    shell: str | None = None  # the outermost shell wrapper unwrapped ("bash -lc")
    # The dispatcher, for commands nested in a command (a proxy's or a shell's): handed in
    # by the entry point so that the launcher modules need not import the dispatcher.
    dispatch: _Dispatch | None = None
    _seen_secrets: set[tuple[int, str]] = field(default_factory=set)
    _seen_notes: set[str] = field(default_factory=set)

    def note(self, text: str) -> None:
        if text not in self._seen_notes:
            self._seen_notes.add(text)
            self.notes.append(text)

    def cannot(self, why: str) -> None:
        """Part of the command line cannot be understood: a finding (EX02), never a skip.
        ``why`` is fixed wording plus names, never a configured value."""
        if why not in self.opaque:
            self.opaque.append(why)

    def local_code(self, code: LocalCode) -> None:
        if code not in self.local:
            self.local.append(code)

    def download(self, found: DownloadExec) -> None:
        if found not in self.downloads:
            self.downloads.append(found)

    def secret(self, flag: str, tok: _Tok, value: str, kind: str = "", form: str = "") -> None:
        if (tok.index, value) not in self._seen_secrets:
            self._seen_secrets.add((tok.index, value))
            self.secret_args.append(
                SecretArg(flag=flag, index=tok.index, value=Sensitive(value), kind=kind, form=form)
            )

    def remote(self, remote: Remote) -> None:
        self.remotes.append(remote)
        if not remote.scheme:
            self.note("a remote URL could not be parsed (it may be built from a variable)")

    def run(self, toks: Sequence[_Tok], depth: int) -> str:
        """Analyse a command nested in the one being walked; return its launcher name."""
        if self.dispatch is None:
            raise RuntimeError("a nested command was found with no dispatcher to analyse it")
        return self.dispatch(self, toks, depth)


# How one program name is analysed: (facts, program name, its arguments, nesting depth) ->
# the launcher name reported for it.
_Launcher = Callable[[_Acc, str, Sequence[_Tok], int], str]
_Dispatch = Callable[[_Acc, Sequence[_Tok], int], str]
