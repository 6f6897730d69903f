"""Property: rewriting one value of any JSON document (with comments and trailing commas)
changes that value's characters and nothing else, and reads back as intended; adding a member
or an item reads back as intended too."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mcpscan._internal import jsonc
from mcpscan._internal.nodes import Node, plain
from mcpscan.fix.document import expected
from mcpscan.fix.interface import Edit, KeyPath
from mcpscan.fix.spans import JsoncEditor

_TEXT = st.text(min_size=0, max_size=12)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


def _jsonc(value: Any, indent: int | None, comments: bool) -> str:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    if not comments:
        return text
    # A comment after every line and a trailing comma before every closing bracket.
    lines = [
        f"{line} // c{i}" if not line.rstrip().endswith(("{", "[")) else line
        for i, line in enumerate(text.split("\n"))
    ]
    text = "\n".join(lines)
    return text.replace("\n]", ",\n]").replace("\n}", ",\n}") if indent else text


def _paths(node: Node, here: KeyPath = ()) -> list[tuple[KeyPath, Node]]:
    found = [(here, node)]
    if isinstance(node.value, dict):
        for key, child in node.value.items():
            found += _paths(child, (*here, key))
    elif isinstance(node.value, list):
        for i, child in enumerate(node.value):
            found += _paths(child, (*here, i))
    return found


@settings(max_examples=150, deadline=None)
@given(
    value=_VALUES,
    indent=st.sampled_from([None, 2, 4]),
    comments=st.booleans(),
    new=_TEXT,
    pick=st.integers(0, 10_000),
)
def test_a_replaced_value_changes_only_its_own_span(
    value: Any, indent: int | None, comments: bool, new: str, pick: int
) -> None:
    text = _jsonc(value, indent, comments and indent is not None)
    root = jsonc.parse(text)
    candidates = [(p, n) for p, n in _paths(root) if p]
    if not candidates:
        return
    path, node = candidates[pick % len(candidates)]
    edit = Edit("replace", path, new)
    out = JsoncEditor().apply(text, [edit], file="x")
    assert out[: node.start] == text[: node.start]
    assert out[len(out) - (len(text) - node.end) :] == text[node.end :]
    assert plain(jsonc.parse(out)) == expected(plain(root), [edit])


@settings(max_examples=150, deadline=None)
@given(
    value=_VALUES,
    indent=st.sampled_from([None, 2]),
    comments=st.booleans(),
    new=_VALUES,
    key=_TEXT,
    pick=st.integers(0, 10_000),
)
def test_an_added_member_or_item_reads_back_as_intended(
    value: Any, indent: int | None, comments: bool, new: Any, key: str, pick: int
) -> None:
    text = _jsonc(value, indent, comments and indent is not None)
    root = jsonc.parse(text)
    containers = [
        (p, n)
        for p, n in _paths(root)
        if (isinstance(n.value, dict) and key not in n.value) or isinstance(n.value, list)
    ]
    if not containers:
        return
    path, node = containers[pick % len(containers)]
    edit = (
        Edit("add", path, new, key=key)
        if isinstance(node.value, dict)
        else Edit("append", path, new)
    )
    out = JsoncEditor().apply(text, [edit], file="x")
    assert plain(jsonc.parse(out)) == expected(plain(root), [edit])
