"""The position-tracking JSONC parser."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcpscan._internal.jsonc import MAX_DEPTH, parse
from mcpscan._internal.nodes import Node, plain
from mcpscan.errors import InputError

SECRET = "ghp_EXAMPLEexampleEXAMPLEexample00000000"


def test_members_carry_the_line_of_their_key() -> None:
    doc = parse('{\n  "a": 1,\n\n  "b":\n    {\n      "c": [true,\n null]\n    }\n}')
    assert doc.line == 1
    members = doc.mapping()
    assert members is not None
    assert members["a"].line == 2
    assert members["b"].line == 4  # the key's line, not the value's
    inner = members["b"].get("c")
    assert inner is not None
    assert inner.line == 6
    items = inner.items()
    assert items is not None
    assert [i.line for i in items] == [6, 7]
    assert plain(doc) == {"a": 1, "b": {"c": [True, None]}}


def test_comments_trailing_commas_and_bom() -> None:
    text = (
        "\ufeff// leading comment\n"
        "{\n"
        '  /* block\n     comment */ "servers": {\n'
        '    "x": ["a", "b",], // after\n'
        "  },\n"
        "}\n"
    )
    doc = parse(text)
    assert plain(doc) == {"servers": {"x": ["a", "b"]}}
    servers = doc.get("servers")
    assert servers is not None
    assert servers.line == 4
    x = servers.get("x")
    assert x is not None
    assert x.line == 5


def test_strings_and_numbers_decode_like_json() -> None:
    doc = parse(
        r'{"s": "a\"b\\c\u00e9\ud83d\ude00", "i": -12, "f": 1.5e3,'
        r' "big": 123456789012345678901}'
    )
    assert plain(doc) == {"s": 'a"b\\cé😀', "i": -12, "f": 1500.0, "big": 123456789012345678901}


def test_comment_markers_inside_strings_are_text() -> None:
    assert plain(parse('{"url": "https://x.example/*not a comment*/ // nor this"}')) == {
        "url": "https://x.example/*not a comment*/ // nor this"
    }


def test_duplicate_keys_keep_the_last_like_json() -> None:
    doc = parse('{"a": 1,\n "a": 2}')
    assert plain(doc) == {"a": 2}
    a = doc.get("a")
    assert a is not None
    assert a.line == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  "a": 1\n  "b": 2\n}', "expected ',' or '}', found '\"' at line 3, column 3"),
        ('{\n  "a" 1\n}', "expected ':' after a key, found unexpected text at line 2, column 7"),
        ("[1,\n 2\n 3]", "expected ',' or ']', found unexpected text at line 3, column 2"),
        ("{\n  a: 1\n}", "expected a '\"'-quoted key, found unexpected text at line 2, column 3"),
        ('{"a": "x\n"}', "unterminated string at line 1, column 7"),
        ('{"a": "\\q"}', "invalid \\escape at line 1, column 8"),
        ("{ /* open", "unterminated /* comment at line 1, column 3"),
        ("", "empty document at line 1, column 1"),
        ("  // only a comment\n", "empty document at line 2, column 1"),
        ('{"a": 1} {', "expected end of document, found '{' at line 1, column 10"),
        ('{"a": }', "expected a value, found '}' at line 1, column 7"),
        ('{"a": 01}', "expected ',' or '}', found unexpected text at line 1, column 8"),
        ('{"a": tru}', "expected a value, found unexpected text at line 1, column 7"),
        ('{"a": [1, 2', "expected ',' or ']', found end of file at line 1, column 12"),
    ],
)
def test_errors_name_line_and_column(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(text, file="cfg.json")
    assert caught.value.message == message
    assert caught.value.file == "cfg.json"
    assert str(caught.value).startswith("cfg.json:")


def test_errors_never_quote_the_input() -> None:
    for text in (
        '{"a": "' + SECRET + '" "b": 1}',
        '{"a": ' + SECRET + "}",
        '{"a": "' + SECRET + "\n}",
        "{" + SECRET + ": 1}",
    ):
        with pytest.raises(InputError) as caught:
            parse(text)
        assert SECRET not in str(caught.value)
        assert "EXAMPLE" not in str(caught.value)


def test_nesting_limit() -> None:
    parse("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    with pytest.raises(InputError, match="nesting deeper than"):
        parse("[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2))
    with pytest.raises(InputError, match="nesting deeper than"):
        parse('{"a":' * 10_000)


def test_huge_integer_is_an_error_not_a_crash() -> None:
    with pytest.raises(InputError, match="number too large"):
        parse("[" + "9" * 5000 + "]")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from([None, 0, 2]), st.booleans())
def test_round_trips_json_dumps_output(value: object, indent: int | None, ascii_only: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    assert plain(parse(text)) == value


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True))
def test_non_finite_numbers_like_json(number: float) -> None:
    parsed = plain(parse(json.dumps([number])))
    assert isinstance(parsed, list)
    if math.isnan(number):
        assert math.isnan(parsed[0])
    else:
        assert parsed == [number]


_json_alphabet = st.sampled_from(
    [*list('{}[]:,"\\/*\n\t -.0123456789eEtrufalsn'), "//", "/*", "*/"]
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.lists(_json_alphabet, max_size=40).map("".join)))
def test_arbitrary_text_parses_or_raises_source_error(text: str) -> None:
    try:
        strict: object = json.loads(text)
    except ValueError:
        strict = _REJECTED
    outcome = _parse_or_error(text)
    if isinstance(outcome, InputError):
        assert outcome.line is not None
        assert outcome.line >= 1
        assert " at line " in outcome.message
        assert strict is _REJECTED, "valid JSON must parse"
    elif strict is not _REJECTED and "NaN" not in text:
        assert plain(outcome) == strict


def _parse_or_error(text: str) -> Node | InputError:
    try:
        return parse(text)
    except InputError as err:
        return err


_REJECTED = object()


def test_the_caller_chooses_the_error_class() -> None:
    from mcpscan.sources import SourceError

    with pytest.raises(SourceError, match="at line 1, column 2"):
        parse("{,}", file="x.json", error=SourceError)
