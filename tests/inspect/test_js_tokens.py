"""The JavaScript tokenizer: literals decoded, comments and regexes never taken for strings."""

from __future__ import annotations

from mcpscan.inspect.js_tokens import (
    IDENT,
    PUNCT,
    STOP,
    STRING,
    TEMPLATE,
    TEMPLATE_MIDDLE,
    TEMPLATE_TAIL,
    tokenize,
)


def strings(text: str) -> list[str | None]:
    return [t.value for t in tokenize(text) if t.kind == STRING]


def test_escapes_are_decoded() -> None:
    src = r"""a = 'it\'s'; b = "\x41\u0042\u{1F600}\uD83D\uDE00\n"; c = "x\
y";"""
    assert strings(src) == ["it's", "AB\U0001f600\U0001f600\n", "xy"]


def test_quotes_in_comments_and_regexes_are_not_strings() -> None:
    src = """// don't "x"
/* it's "y" */ r = /"[a-z']"/g; d = a / b / c; s = "real";"""
    assert strings(src) == ["real"]


def test_a_template_is_split_around_its_substitutions() -> None:
    tokens = list(tokenize("t = `a ${b + `c ${d}`} e ${f} g`; u = `plain`; v = 'after';"))
    kinds = [(t.kind, t.value) for t in tokens][2:]
    assert kinds == [
        (TEMPLATE, "a "),
        (IDENT, "b"),
        (PUNCT, "+"),
        (TEMPLATE, "c "),
        (IDENT, "d"),
        (TEMPLATE_TAIL, ""),
        (TEMPLATE_MIDDLE, " e "),
        (IDENT, "f"),
        (TEMPLATE_TAIL, " g"),
        (PUNCT, ";"),
        (IDENT, "u"),
        (PUNCT, "="),
        (STRING, "plain"),
        (PUNCT, ";"),
        (IDENT, "v"),
        (PUNCT, "="),
        (STRING, "after"),
        (PUNCT, ";"),
    ]


def test_lines_are_counted_across_comments_and_literals() -> None:
    src = "/* one\ntwo */\nx = `a\nb`;\ny = 'z';"
    [y] = [t for t in tokenize(src) if t.value == "y"]
    assert y.line == 5


def test_an_unterminated_string_ends_the_stream_with_a_stop() -> None:
    tokens = list(tokenize("a = 'ok';\nb = 'never closed\nc = 1;"))
    assert tokens[-1].kind == STOP
    assert tokens[-1].line == 2
    assert "unterminated string" in (tokens[-1].value or "")


def test_the_token_limit_is_a_stop() -> None:
    tokens = list(tokenize("a;" * 100, max_tokens=10))
    assert len(tokens) == 11
    assert tokens[-1].kind == STOP
