"""Tool poisoning: what in a declared tool, prompt or resource text addresses the model.

An MCP client sends every tool's name, description and parameter descriptions to the model
verbatim, at every session, and usually shows the user none of it. That makes the text an
injection channel (Invariant Labs' "tool poisoning" and "shadowing" attacks). Three rules:

* **TP01** hidden instructions: markup addressing the model (``<IMPORTANT>``), concealment
  from the user, overriding the model's instructions, steps to run before using the tool
  (read a file, call something), requests for credentials or credential stores.
* **TP02** invisible text: Unicode the user does not see and the model reads: the tags block
  (U+E0000..U+E007F, which spells hidden ASCII), zero-width characters, bidirectional
  controls, variation-selector runs, fillers.
* **TP03** shadowing: instructions about *other* tools (a tool name this artifact does not
  declare) or about all tools and servers — "when the send_email tool is used, also BCC ...".

Each :class:`Signal` carries the declaration, the field, and a short printable excerpt of
the matched text (scrubbed of anything that looks like a credential).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from mcpscan.inspect.tool_model import Declaration, ToolInventory
from mcpscan.models import Severity

_EXCERPT = 160
_CONTEXT = 50


@dataclass(frozen=True)
class Signal:
    rule: str  # "TP01", "TP02", "TP03"
    severity: Severity
    problem: str  # what was found, e.g. "asks the model to hide its actions from the user"
    declaration: Declaration
    field: str  # "description", "name", "title", "parameter description"
    excerpt: str  # the matched text in context, printable and shortened

    @property
    def evidence(self) -> str:
        d = self.declaration
        return f'{d.where}: {d.kind} "{_printable(d.name or "?", 60)}" {self.field}: {self.excerpt}'


def check(inventory: ToolInventory) -> tuple[Signal, ...]:
    """Every signal in the inventory's literal declarations, in declaration order."""
    own = inventory.names()
    found: list[Signal] = []
    for decl in inventory.literal:
        for field, text in decl.texts():
            found.extend(_check_text(decl, field, text, own))
    return tuple(dict.fromkeys(found))


def _check_text(decl: Declaration, field: str, text: str, own: frozenset[str]) -> list[Signal]:
    """One signal per rule for one text: the most severe match, naming the others."""
    raw: list[tuple[str, Severity, str, str]] = [
        ("TP02", sev, problem, excerpt) for sev, problem, excerpt in _invisible(text)
    ]
    # The instruction checks read the text as the model does, without the invisible part.
    visible = _visible(text)
    for rule, sev, problem, match in _instructions(visible, own):
        raw.append((rule, sev, problem, _excerpt(visible, match)))
    found: list[Signal] = []
    for rule in ("TP01", "TP02", "TP03"):
        mine = sorted((r for r in raw if r[0] == rule), key=lambda r: -r[1])
        if not mine:
            continue
        _, severity, problem, excerpt = mine[0]
        others = list(dict.fromkeys(r[2] for r in mine[1:] if r[2] != problem))
        if others:
            problem += "; also " + "; ".join(others[:3])
        found.append(Signal(rule, severity, problem, decl, field, excerpt))
    return found


# -- TP02: invisible text --------------------------------------------------------------------

_ZERO_WIDTH = {
    0x200B: "zero-width space",
    0x200C: "zero-width non-joiner",
    0x200D: "zero-width joiner",
    0x2060: "word joiner",
    0xFEFF: "zero-width no-break space",
    0x180E: "Mongolian vowel separator",
    0x2061: "invisible function application",
    0x2062: "invisible times",
    0x2063: "invisible separator",
    0x2064: "invisible plus",
    0x00AD: "soft hyphen",
    0x034F: "combining grapheme joiner",
    0x115F: "Hangul filler",
    0x1160: "Hangul filler",
    0x3164: "Hangul filler",
    0xFFA0: "Hangul filler",
}
_BIDI = frozenset({0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069})
_MARKS = frozenset({0x200E, 0x200F, 0x061C})
_BLACK_FLAG = 0x1F3F4  # tag sequences after it are subdivision flags (England, Scotland)


def _is_tag(cp: int) -> bool:
    return 0xE0000 <= cp <= 0xE007F


def _is_selector(cp: int) -> bool:
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def _pictographic(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk") or 0x1F000 <= ord(ch) <= 0x1FAFF


def _invisible(text: str) -> list[tuple[Severity, str, str]]:
    """(severity, problem, excerpt) for each kind of invisible text in ``text``."""
    out: list[tuple[Severity, str, str]] = []
    tags: list[str] = []
    first_tag = -1
    kinds: dict[str, int] = {}  # problem -> first index
    selectors = 0
    i = 0
    n = len(text)
    while i < n:
        cp = ord(text[i])
        prev = text[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < n else ""
        if _is_tag(cp):
            # An emoji flag: U+1F3F4, tag letters, U+E007F.
            if prev and ord(prev) == _BLACK_FLAG:
                j = i
                while j < n and _is_tag(ord(text[j])) and ord(text[j]) != 0xE007F:
                    j += 1
                if j < n and ord(text[j]) == 0xE007F and j - i <= 6:
                    i = j + 1
                    continue
            if first_tag < 0:
                first_tag = i
            if 0xE0020 <= cp <= 0xE007E:
                tags.append(chr(cp - 0xE0000))
        elif _is_selector(cp):
            # One selector after a symbol picks its emoji or text form; a run encodes data.
            if not (prev and _pictographic(prev) and not _is_selector(ord(nxt or " "))):
                selectors += 1
                kinds.setdefault("variation selectors", i)
        elif cp in _BIDI:
            kinds.setdefault("bidirectional control characters", i)
        elif cp in _MARKS:
            if not (prev and nxt and _rtl(prev) and _rtl(nxt)):
                kinds.setdefault("bidirectional marks", i)
        elif cp in _ZERO_WIDTH:
            joiner = cp in (0x200C, 0x200D)
            if cp == 0xFEFF and i == 0:
                pass  # a byte-order mark at the start of a text
            elif (
                joiner
                and prev
                and nxt
                and ((_pictographic(prev) or _is_selector(ord(prev))) and _pictographic(nxt))
            ):
                pass  # an emoji ZWJ sequence
            elif (
                joiner
                and prev
                and nxt
                and prev.isalpha()
                and nxt.isalpha()
                and not (prev.isascii() or nxt.isascii())
            ):
                pass  # a joiner between letters of a script that uses them (Persian, Indic)
            else:
                kinds.setdefault(_ZERO_WIDTH[cp] + " characters", i)
        i += 1
    if first_tag >= 0:
        hidden = "".join(tags)
        shown = _printable(hidden, _EXCERPT) if hidden else "(no readable text)"
        out.append(
            (
                Severity.CRITICAL if hidden.strip() else Severity.HIGH,
                "hides text in Unicode tag characters (invisible to the user, read by the model)",
                f"hidden text: {shown}",
            )
        )
    if selectors >= 8:
        out.append(
            (
                Severity.CRITICAL,
                f"hides data in a run of {selectors} variation selectors",
                _around(text, kinds["variation selectors"]),
            )
        )
    for problem, index in kinds.items():
        if problem == "variation selectors":
            continue
        out.append((Severity.HIGH, f"contains invisible {problem}", _around(text, index)))
    return out


def _rtl(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL", "AN")


def _visible(text: str) -> str:
    return "".join(
        ch
        for ch in text
        if not (
            _is_tag(ord(ch))
            or _is_selector(ord(ch))
            or ord(ch) in _ZERO_WIDTH
            or ord(ch) in _BIDI
            or ord(ch) in _MARKS
        )
    )


# -- TP01 / TP03: instructions ---------------------------------------------------------------

_F = re.IGNORECASE
_SECRET_PATHS = re.compile(
    r"(~|\$HOME|%USERPROFILE%)?/?\.ssh\b|\bid_(rsa|dsa|ecdsa|ed25519)\b|\.aws/(credentials|config)"
    r"|~/\.aws\b|\.npmrc\b|\.pypirc\b|\.netrc\b|\.git-credentials\b|\.docker/config\.json"
    r"|\.kube/config\b|\bmcp\.json\b|claude_desktop_config\.json|~/\.cursor\b|/etc/(passwd|shadow)\b"
    r"|169\.254\.169\.254|metadata\.google\.internal|\.gnupg\b|wallet\.dat\b|\.config/gcloud",
    _F,
)
_SECRET_WORDS = re.compile(
    r"\b(api[ _-]?keys?|access[ _-]?tokens?|auth(entication)?[ _-]?tokens?|secret[ _-]?keys?"
    r"|private[ _-]?keys?|passwords?|passphrases?|credentials|seed phrases?|mnemonic"
    r"|environment variables|env vars?|\.env\b|session cookies?)",
    _F,
)
_REQUEST = re.compile(
    r"\b(read|cat|open|load|fetch|send|pass|include|provide|attach|paste|supply|give|share"
    r"|upload|post|forward|copy|collect|extract|print|output|return|add)\b",
    _F,
)
_TAG = re.compile(
    r"<\s*/?\s*(important|system|instructions?|secret|hidden|admin|critical|assistant|override"
    r"|priority|sys)\b[^>]{0,40}>|\[\s*(system|important|instructions?)\s*\]",
    _F,
)
_CONCEAL = re.compile(
    r"\b(do\s+not|don'?t|never|must\s+not|should\s+not|shouldn'?t)\s+(ever\s+)?"
    r"(tell|mention|inform|reveal|disclose|show|notify|alert|let)\b[^.\n]{0,60}\b(users?|humans?)\b"
    r"|\bwithout\s+(telling|informing|notifying|alerting|asking|showing|mentioning\s+(it\s+)?to)\s+"
    r"(the\s+)?(users?|humans?)\b"
    r"|\b(hide|conceal|keep)\s+(this|it|that|these)\b[^.\n]{0,40}\bfrom\s+the\s+(users?|humans?)\b"
    r"|\bthe\s+(users?|humans?)\s+(must|should)\s+(not|never)\s+(know|see|be\s+told|notice)\b"
    r"|\b(users?|humans?)\s+(must|should)\s+not\s+be\s+(told|informed|notified)\b",
    _F,
)
_OVERRIDE = re.compile(
    r"\b(ignore|disregard|forget|override)\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier"
    r"|other|your|system)\s+(instructions|rules|prompts?|guidelines|directions)\b"
    r"|\byou\s+are\s+now\s+(a|an|in)\b|\bnew\s+instructions\s*:",
    _F,
)
_BEFORE = re.compile(
    r"\b(before|prior\s+to)\s+(using|calling|invoking|running|executing)\s+(this|the|any)\s+"
    r"(tool|function)\b[^\n]{0,120}?\b(read|open|cat|load|fetch|send|pass|include|call|invoke"
    r"|run|execute)\b",
    _F,
)
_TOOL_NAME = r"[`'\"]?(?P<tool>[A-Za-z][A-Za-z0-9]*(?:[_\-.][A-Za-z0-9]+)+)[`'\"]?"
_WHEN_OTHER = re.compile(
    r"\b(when|whenever|if|each\s+time|every\s+time)\s+(the\s+|a\s+|any\s+)?"
    + _TOOL_NAME
    + r"\s+(tool|function)\s+(is\s+)?(used|called|invoked|run|available|present|executed)",
    _F,
)
_CALL_OTHER = re.compile(
    r"\b(call|invoke|use|run|execute|trigger)\s+(the\s+)?" + _TOOL_NAME + r"\s+(tool|function)\b",
    _F,
)
_OTHER_MUST = re.compile(
    r"\b(the\s+|a\s+|any\s+)?" + _TOOL_NAME + r"\s+(tool|function)\s+(must|should|shall|will\s+now"
    r"|needs?\s+to|has\s+to|always|is\s+required\s+to)\b",
    _F,
)
_INSTEAD = re.compile(
    r"\b(instead\s+of|rather\s+than|never\s+use|do\s+not\s+use|don'?t\s+use)\s+(using\s+)?(the\s+)?"
    + _TOOL_NAME
    + r"\s+(tool|function)\b",
    _F,
)
_ALL_TOOLS = re.compile(
    r"\b(all|any|every|each)\s+(other\s+)?(tools?|mcp\s+servers?|servers?|functions?)\b[^.\n]{0,80}"
    r"\b(must|should|always|have\s+to|need\s+to)\b[^.\n]{0,80}\b(bcc|cc|send|forward|copy|redirect"
    r"|include|report|log|upload)\b",
    _F,
)
_REDIRECT = re.compile(
    r"\b(bcc|cc|forward(ed)?\s+to|send\s+(a\s+)?cop(y|ies)|redirect(ed)?\s+to|recipient|also\s+send)"
    r"\b|[\w.+-]+@[\w-]+\.[\w.-]+|https?://",
    _F,
)


def _instructions(
    text: str, own: frozenset[str]
) -> Iterable[tuple[str, Severity, str, re.Match[str]]]:
    m = _TAG.search(text)
    if m:
        yield (
            "TP01",
            Severity.HIGH,
            "carries markup addressing the model (" + m.group(0)[:30] + ")",
            m,
        )
    m = _CONCEAL.search(text)
    if m:
        yield "TP01", Severity.CRITICAL, "tells the model to keep something from the user", m
    m = _OVERRIDE.search(text)
    if m:
        yield "TP01", Severity.CRITICAL, "tells the model to set aside its instructions", m
    m = _SECRET_PATHS.search(text)
    if m:
        near = text[max(0, m.start() - 80) : m.end() + 80]
        asks = bool(_REQUEST.search(near))
        yield (
            "TP01",
            Severity.CRITICAL if asks else Severity.HIGH,
            ("asks for" if asks else "names") + f" a credential store ({m.group(0)})",
            m,
        )
    else:
        m = _SECRET_WORDS.search(text)
        if m:
            near = text[max(0, m.start() - 60) : m.end() + 60]
            if _REQUEST.search(near) and (
                _TAG.search(text) or _BEFORE.search(text) or _CONCEAL.search(text)
            ):
                yield "TP01", Severity.CRITICAL, f"asks the model for secrets ({m.group(0)})", m
    m = _BEFORE.search(text)
    if m:
        yield "TP01", Severity.HIGH, "tells the model what to do before using the tool", m
    yield from _shadowing(text, own)


def _shadowing(
    text: str, own: frozenset[str]
) -> Iterable[tuple[str, Severity, str, re.Match[str]]]:
    redirect = bool(_REDIRECT.search(text))
    for pattern, what in (
        (_WHEN_OTHER, "gives instructions for when another tool ({}) is used"),
        (_OTHER_MUST, "gives instructions to another tool ({})"),
        (_INSTEAD, "tells the model not to use another tool ({})"),
        (_CALL_OTHER, "tells the model to call another tool ({})"),
    ):
        for found in pattern.finditer(text):
            name = found.group("tool")
            if _own(name, own):
                continue
            # Critical when it also redirects data (a recipient, an address, a URL): the
            # shadowing attack that BCCs every email. High for the rest: still no honest
            # description gives orders to tools it does not own.
            directs = pattern is _WHEN_OTHER or pattern is _OTHER_MUST
            severity = Severity.CRITICAL if redirect and directs else Severity.HIGH
            yield "TP03", severity, what.format(name), found
            break
    m = _ALL_TOOLS.search(text)
    if m is not None:
        yield (
            "TP03",
            Severity.CRITICAL if redirect else Severity.HIGH,
            "gives instructions for all tools",
            m,
        )


def _own(name: str, own: frozenset[str]) -> bool:
    """``name`` is one of the artifact's own tools, as declared or as a client spells it
    with the server's prefix (``jira_get_transitions`` for ``get_transitions``,
    ``mcp__fs__read_file``)."""
    wanted = re.sub(r"[-.]", "_", name.lower())
    for declared in own:
        mine = re.sub(r"[-.]", "_", declared.lower())
        if wanted == mine or (len(mine) >= 4 and wanted.endswith("_" + mine)):
            return True
    return False


# -- excerpts --------------------------------------------------------------------------------


def _excerpt(text: str, m: re.Match[str]) -> str:
    start = max(0, m.start() - _CONTEXT)
    end = min(len(text), m.end() + _CONTEXT)
    shown = _printable(text[start:end], _EXCERPT)
    more = end < len(text) and not shown.endswith("…")
    return ("…" if start else "") + shown + ("…" if more else "")


def _around(text: str, index: int) -> str:
    start = max(0, index - 30)
    end = min(len(text), index + 30)
    return (
        ("…" if start else "")
        + _printable(text[start:end], _EXCERPT)
        + ("…" if end < len(text) else "")
    )


def _printable(text: str, limit: int) -> str:
    """``text`` on one line, every invisible or control character as ``<U+XXXX>``, at most
    ``limit`` characters, with anything that looks like a credential scrubbed."""
    from mcpscan.redaction import scrub_text

    out: list[str] = []
    for ch in text:
        if ch in "\n\t\r":
            out.append(" ")
        elif ch.isprintable() and unicodedata.category(ch) != "Cf" and ord(ch) not in _ZERO_WIDTH:
            out.append(ch)
        else:
            out.append(f"<U+{ord(ch):04X}>")
    shown = re.sub(r" {2,}", " ", "".join(out))
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return scrub_text(shown)
