"""The indented JSON writer is json.dumps(indent=2), byte for byte."""

from __future__ import annotations

import enum
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcpscan._internal import jsontext

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(
            st.text() | st.integers() | st.booleans() | st.none() | st.floats(), inner, max_size=4
        )
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(VALUES, st.booleans())
def test_same_text_as_json_dumps(value: object, ensure_ascii: bool) -> None:
    expected = json.dumps(value, indent=2, ensure_ascii=ensure_ascii)
    assert jsontext.dumps(value, ensure_ascii=ensure_ascii) == expected


class Colour(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


def test_subclasses_of_str_and_int_are_written_as_json_writes_them() -> None:
    value = {"c": Colour.RED, "l": Level.HIGH, "nested": [{"x": [], "y": {}}], "f": -0.0}
    assert jsontext.dumps(value) == json.dumps(value, indent=2)


@pytest.mark.parametrize("bad", [{1j: 1}, [object()], {"k": {1, 2}}])
def test_what_json_cannot_hold_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        json.dumps(bad, indent=2)
    with pytest.raises(TypeError):
        jsontext.dumps(bad)


def test_non_finite_floats_as_json_writes_them() -> None:
    assert jsontext.dumps([math.inf, -math.inf]) == json.dumps([math.inf, -math.inf], indent=2)
