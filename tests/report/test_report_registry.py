from __future__ import annotations

import subprocess
import sys

import jsonschema
import pytest

from mcpscan.report import RenderError, formats, get_renderer, schema
from mcpscan.report.interface import Renderer


def test_table_and_json_are_registered() -> None:
    assert {"table", "json"} <= set(formats())
    for name in ("table", "json"):
        renderer = get_renderer(name)
        assert isinstance(renderer, Renderer)
        assert renderer.name == name


def test_console_hints_reach_the_table_and_are_ignored_by_json() -> None:
    from mcpscan.report.table import TableRenderer

    table = get_renderer("table", color=True, width=80)
    assert isinstance(table, TableRenderer)
    assert (table.color, table.width) == (True, 80)
    assert get_renderer("json", color=True, width=80).name == "json"


def test_unknown_format_lists_the_choices() -> None:
    with pytest.raises(RenderError) as err:
        get_renderer("xml")
    message = str(err.value)
    assert "'xml'" in message
    for name in formats():
        assert name in message


def test_shipped_schema_is_a_valid_draft_2020_12_schema() -> None:
    doc = schema()
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(doc)


def test_schema_returns_an_independent_copy() -> None:
    schema()["properties"].clear()
    assert "verdict" in schema()["properties"]


@pytest.mark.parametrize(
    ("code", "forbidden"),
    [
        ("import mcpscan.report", "rich"),
        ("import mcpscan.report; mcpscan.report.get_renderer('json')", "rich"),
        ("import mcpscan.report; mcpscan.report.schema()", "jsonschema"),
    ],
)
def test_heavy_modules_are_imported_lazily(code: str, forbidden: str) -> None:
    probe = f"{code}; import sys; print({forbidden!r} in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
