"""A POSIX shell script (``sh -c``'s argument, a command string) read as data: its steps.

:func:`parse` lexes the text with :mod:`shlex` in POSIX mode with ``punctuation_chars`` (the
standard library's shell lexer) and groups the tokens into steps: ``;``/``&&``/``||``/``&``/
newline-separated pipelines of simple commands, each with its environment assignments,
words, redirections and process substitutions. Command substitutions (``$(…)``, backticks)
are cut out first and parsed as scripts of their own, so what they run is known too.

What this reader does not follow (control flow, subshells, groups, here-documents,
functions, unbalanced quotes) is returned as :attr:`Script.opaque`, a reason in fixed words:
the caller reports it (a high finding), never skips it. Nothing is executed or expanded.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

# Longest first: the lexer returns runs of punctuation ("&&;") that are split greedily.
_OPERATORS = (
    "<<<",
    "&&",
    "||",
    ";;",
    "<(",
    ">(",
    ">>",
    "<<",
    "&>",
    ">&",
    "<&",
    "|&",
    ";",
    "&",
    "|",
    "<",
    ">",
    "(",
    ")",
    "\n",
)
_SEPARATORS = frozenset({";", "&&", "||", "&", "\n", ";;"})
_PIPES = frozenset({"|", "|&"})
_REDIRECTS = frozenset({">", ">>", "<", "&>", ">&", "<&"})
_KEYWORDS = frozenset(
    {
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "for",
        "while",
        "until",
        "do",
        "done",
        "case",
        "esac",
        "function",
        "select",
        "{",
        "}",
        "[[",
        "]]",
        "coproc",
    }
)
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SUBST_MARK = "\x00subst{}\x00"
_SUBST_RE = re.compile(r"\x00subst(\d+)\x00")
# A script longer than this is not one a connector needs; reading it is refused, not slow.
MAX_SCRIPT = 64 * 1024
MAX_NESTING = 4


@dataclass(frozen=True)
class Command:
    """One simple command: ``A=1 prog arg … > file`` (values as written, quotes removed)."""

    words: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...] = ()
    redirects: tuple[tuple[str, str], ...] = ()  # (operator, target)
    process_substitutions: tuple[Script, ...] = ()  # <(…) and >(…) arguments
    # Command substitutions inside the words, by the index that _SUBST_RE finds in a word.
    substitutions: tuple[Script, ...] = ()

    def substituted(self, word: str) -> tuple[Script, ...]:
        """The command substitutions a word holds."""
        return tuple(
            self.substitutions[int(i)]
            for i in _SUBST_RE.findall(word)
            if int(i) < len(self.substitutions)
        )


@dataclass(frozen=True)
class Step:
    """A pipeline (``a | b``) and the separator that ended it."""

    commands: tuple[Command, ...]
    separator: str = ""


@dataclass(frozen=True)
class Script:
    steps: tuple[Step, ...] = ()
    opaque: tuple[str, ...] = ()  # why (part of) the script was not understood

    @property
    def commands(self) -> tuple[Command, ...]:
        return tuple(c for s in self.steps for c in s.commands)


def has_shell_syntax(text: str) -> bool:
    """True when ``text`` uses operators only a shell gives meaning to."""
    return bool(re.search(r"[;&|`<>\n]|\$\(", text))


def display(word: str) -> str:
    """A word for a message: substitutions shown as ``$(…)``."""
    return _SUBST_RE.sub("$(…)", word)


def parse(text: str, _depth: int = 0) -> Script:
    if len(text) > MAX_SCRIPT:
        return Script(opaque=(f"the script is longer than {MAX_SCRIPT // 1024} KiB",))
    if _depth > MAX_NESTING:
        return Script(opaque=("command substitutions are nested too deeply",))
    cut, substitutions, problem = _cut_substitutions(text, _depth)
    if problem:
        return Script(opaque=(problem,))
    tokens = _lex(cut)
    if tokens is None:
        return Script(opaque=("the script has unbalanced quotes",))
    return _Parser(tokens, substitutions, _depth).script()


def _cut_substitutions(text: str, depth: int) -> tuple[str, list[Script], str]:
    """``text`` with each ``$(…)`` and backtick span replaced by a marker word, and the
    spans parsed. Single-quoted text is left alone (it is literal to the shell)."""
    out: list[str] = []
    found: list[Script] = []
    i = 0
    quote = ""
    while i < len(text):
        ch = text[i]
        if quote == "'":
            out.append(ch)
            quote = "" if ch == "'" else quote
            i += 1
            continue
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i : i + 2])
            i += 2
            continue
        if ch in "'\"" and (not quote or quote == ch):
            quote = "" if quote else ch
            out.append(ch)
            i += 1
            continue
        if text.startswith("$((", i):
            return "", [], "the script uses shell arithmetic $((…))"
        if text.startswith("$(", i) or ch == "`":
            end = _closing(text, i)
            if end < 0:
                return "", [], "a command substitution is not closed"
            inner = text[i + 2 : end] if ch == "$" else text[i + 1 : end]
            found.append(parse(inner, depth + 1))
            out.append(_SUBST_MARK.format(len(found) - 1))
            i = end + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out), found, ""


def _closing(text: str, start: int) -> int:
    """Index of the ``)`` or backtick closing the substitution that opens at ``start``."""
    if text[start] == "`":
        return text.find("`", start + 1)
    depth, quote, i = 0, "", start + 1
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"':
                i += 1
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _lex(text: str) -> list[tuple[str, bool]] | None:
    """(token, is_operator) pairs, or None when the quotes do not balance."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars="();<>|&\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    # Comments are dropped by the parser (the lexer's own would swallow the newline).
    lexer.commenters = ""
    out: list[tuple[str, bool]] = []
    try:
        for token in lexer:
            if token and all(c in "();<>|&\n" for c in token):
                out.extend((op, True) for op in _split_operators(token))
            else:
                out.append((token, False))
    except ValueError:
        return None
    return out


def _split_operators(run: str) -> list[str]:
    ops: list[str] = []
    while run:
        op = next(o for o in _OPERATORS if run.startswith(o))
        ops.append(op)
        run = run[len(op) :]
    return ops


@dataclass
class _Building:
    words: list[str] = field(default_factory=list)
    assignments: list[tuple[str, str]] = field(default_factory=list)
    redirects: list[tuple[str, str]] = field(default_factory=list)
    procs: list[Script] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.words or self.assignments or self.redirects or self.procs)


class _Parser:
    def __init__(self, tokens: list[tuple[str, bool]], subs: list[Script], depth: int) -> None:
        self.tokens = tokens
        self.subs = subs
        self.depth = depth
        self.i = 0
        self.opaque: list[str] = []

    def cannot(self, why: str) -> None:
        if why not in self.opaque:
            self.opaque.append(why)

    def script(self) -> Script:
        steps: list[Step] = []
        pipeline: list[Command] = []
        cmd = _Building()
        while self.i < len(self.tokens):
            token, op = self.tokens[self.i]
            self.i += 1
            if not op and token.startswith("#"):
                while self.i < len(self.tokens) and self.tokens[self.i] != ("\n", True):
                    self.i += 1
            elif not op:
                self._word(cmd, token)
            elif token in _PIPES:
                pipeline.append(self._finish(cmd))
                cmd = _Building()
            elif token in _SEPARATORS:
                if not cmd.empty():
                    pipeline.append(self._finish(cmd))
                if pipeline:
                    steps.append(Step(tuple(pipeline), token))
                pipeline, cmd = [], _Building()
            elif token in _REDIRECTS:
                target = self._next_word()
                if target is None:
                    self.cannot("a redirection has no target")
                elif target.startswith("<(") or target.startswith(">("):
                    pass
                else:
                    # "2>&1": the lexer gave "2" as a word of its own; it is the fd.
                    if cmd.words and cmd.words[-1].isdigit() and len(cmd.words[-1]) == 1:
                        cmd.words.pop()
                    cmd.redirects.append((token, target))
            elif token in ("<(", ">("):
                cmd.procs.append(self._process_substitution())
            elif token in ("<<", "<<<"):
                self.cannot("the script uses a here-document")
                self._next_word()
            else:  # "(" or ")": a subshell or a function body
                self.cannot("the script uses a subshell or a function ( … )")
        if not cmd.empty():
            pipeline.append(self._finish(cmd))
        if pipeline:
            steps.append(Step(tuple(pipeline)))
        return Script(tuple(steps), tuple(self.opaque))

    def _word(self, cmd: _Building, token: str) -> None:
        if not cmd.words and _ASSIGNMENT_RE.match(token):
            name, _, value = token.partition("=")
            cmd.assignments.append((name, value))
            return
        flow = "the script uses shell control flow"
        if (
            not cmd.words
            and token in _KEYWORDS
            and not any(o.startswith(flow) for o in self.opaque)
        ):
            self.cannot(f"{flow} ({token})")
        cmd.words.append(token)

    def _next_word(self) -> str | None:
        if self.i < len(self.tokens) and not self.tokens[self.i][1]:
            self.i += 1
            return self.tokens[self.i - 1][0]
        return None

    def _process_substitution(self) -> Script:
        """The tokens up to the matching ``)``, parsed as a script of their own."""
        start, depth = self.i, 1
        while self.i < len(self.tokens):
            token, op = self.tokens[self.i]
            self.i += 1
            if op and token in ("(", "<(", ">("):
                depth += 1
            elif op and token == ")":  # noqa: S105 - a shell operator, not a password
                depth -= 1
                if depth == 0:
                    inner = _Parser(self.tokens[start : self.i - 1], self.subs, self.depth)
                    return inner.script()
        self.cannot("a process substitution <( … ) is not closed")
        return Script()

    def _finish(self, cmd: _Building) -> Command:
        used = sorted(
            {int(i) for w in cmd.words for i in _SUBST_RE.findall(w)}
            | {int(i) for _, v in cmd.assignments for i in _SUBST_RE.findall(v)}
        )
        for index in used:
            self.opaque.extend(o for o in self.subs[index].opaque if o not in self.opaque)
        return Command(
            words=tuple(cmd.words),
            assignments=tuple(cmd.assignments),
            redirects=tuple(cmd.redirects),
            process_substitutions=tuple(cmd.procs),
            substitutions=tuple(self.subs),
        )
