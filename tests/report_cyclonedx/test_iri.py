"""The compiled ``iri-reference`` check agrees with the grammar jsonschema checks it with
(rfc3987_syntax), and the SBOM no longer runs that grammar at all."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rfc3987_syntax import is_valid_syntax

from mcpscan.report import iri
from mcpscan.report.iri import is_iri_reference

REGISTRY = Path(__file__).resolve().parents[1] / "fixtures" / "npm" / "registry"

HANDWRITTEN = [
    "https://github.com/modelcontextprotocol/servers.git",
    "git+https://github.com/org/repo.git#main",
    "git+ssh://git@github.com/org/repo.git",
    "git://github.com/org/repo",
    "github:org/repo",
    "https://user:pa%20ss@example.com:8443/a/b?q=1&r=%E2%82%AC#frag/x?y",
    "https://例え.テスト/パス?クエリ#断片",
    "https://example.com/\ue000",
    "https://example.com/?\ue000",
    "https://example.com/#\ue000",
    "https://[2001:db8:0:0:0:0:2:1]/",
    "https://[2001:db8::2:1]/",
    "https://[::1]/",
    "https://[::ffff:1:2:3:4:5]/",
    "http://[v1.fe80::a+en1]/",
    "http://192.168.0.1:80/",
    "http://999.1.1.1/",
    "mailto:someone@example.com",
    "urn:isbn:0451450523",
    "//example.com/path",
    "/absolute/path",
    "relative/path",
    "a:b",
    "1a:b",
    "./this:that",
    "",
    "#",
    "?",
    "https://example.com/a b",
    "https://example.com/<script>",
    "https://example.com/%zz",
    "https://example.com/%4",
    'https://example.com/"quoted"',
    "https://example.com/{x}",
    "${API_BASE:-https://api.example.com}/mcp",
    "https://exa mple.com",
    "https://example.com\\path",
    "https://example.com/\x00",
    "https://example.com/\U0001f600",
    "https://example.com:port/",
    "https://example.com:/",
    "https://@example.com/",
    "https://a@b@example.com/",
    "https://[2001:db8::1/",
]


def _strings(doc: Any) -> Iterator[str]:
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for value in doc.values():
            yield from _strings(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _strings(value)


def _recorded_urls() -> list[str]:
    """Every URL-like string in the recorded npm packuments (repository, homepage, bugs,
    tarball URLs as real registries serve them)."""
    found: set[str] = set()
    for path in sorted(REGISTRY.rglob("*")):
        if path.is_file():
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            found.update(s for s in _strings(doc) if re.match(r"^[a-z+]+:", s) and len(s) < 300)
    return sorted(found)


RECORDED = _recorded_urls()


def test_the_recorded_corpus_is_real() -> None:
    assert len(RECORDED) > 50
    assert any(u.startswith("https://registry.npmjs.org/") for u in RECORDED)


@pytest.mark.parametrize("value", HANDWRITTEN + RECORDED[:400])
def test_agrees_with_rfc3987_syntax(value: str) -> None:
    assert is_iri_reference(value) is is_valid_syntax("iri_reference", value)


# Characters around every rule boundary of the grammar.
_ALPHABET = "aZ09:/?#[]@!$&'()*+,;=%-._~ vF\u00e9\ue000\U0001f600<>\"{}|\\^`\x7f."


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=24))
def test_agrees_with_rfc3987_syntax_on_generated_values(value: str) -> None:
    assert is_iri_reference(value) is is_valid_syntax("iri_reference", value)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["https://", "http://u@", "//", "git+ssh://git@", "x:"]),
    st.text(alphabet="0123456789abcdefABCDEF:.[]v", max_size=20),
    st.sampled_from(["", "/", "/p?q#f", ":8080/"]),
)
def test_agrees_on_hosts_and_ip_literals(prefix: str, host: str, suffix: str) -> None:
    value = prefix + host + suffix
    assert is_iri_reference(value) is is_valid_syntax("iri_reference", value)


def test_non_strings_pass_as_in_every_format_check() -> None:
    assert is_iri_reference(42) is True


def test_a_huge_value_is_refused_without_parsing_it() -> None:
    value = "https://example.com/" + "a" * iri.MAX_LENGTH
    assert is_iri_reference(value) is False
    assert is_iri_reference(value[: iri.MAX_LENGTH]) is True


def test_the_sbom_never_runs_the_earley_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building and validating an SBOM checks every URL with the compiled expression (the
    Earley parser took ~0.1 s per URL: a minute for a ten-server SBOM)."""
    import jsonschema._format

    from mcpscan.report.cyclonedx import _schema_validator
    from mcpscan.report.cyclonedx_values import format_checker, uri
    from tests.report_cyclonedx.test_cyclonedx import graph_result, validate

    def refuse(*_args: object, **_kwargs: object) -> bool:
        raise AssertionError("rfc3987_syntax was called")

    monkeypatch.setattr(jsonschema._format, "_rfc3987_is_valid_syntax", refuse, raising=False)
    assert format_checker().conforms("https://example.com/", "iri-reference")
    assert not format_checker().conforms("https://example.com/a b", "iri-reference")
    assert uri("https://example.com/x") is not None
    from mcpscan.report.cyclonedx import render_bom

    text = render_bom(graph_result(), reproducible=True)
    assert next(_schema_validator().iter_errors(json.loads(text)), None) is None
    monkeypatch.undo()
    validate(text)  # and the library's own validator, with its own checker, agrees
