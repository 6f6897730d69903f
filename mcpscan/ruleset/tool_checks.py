"""Checks over the tool declarations read inside the launched artifacts.

TP01 hidden-instructions, TP02 invisible-text, TP03 tool-shadowing: what
:class:`mcpscan.inspect.tool_analyser.ToolAnalyser` found in a declared tool, prompt or
resource text, with the file and line in the package and the matched text (shortened,
scrubbed). The hit's severity is the analyser's (it knows why a text is critical).
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpscan.inspect.tool_analyser import TP_KINDS
from mcpscan.ruleset.interface import ConnectorFacts, Hit
from mcpscan.ruleset.policy import Policy
from mcpscan.ruleset.registry import check


def _hits(facts: ConnectorFacts, rule: str) -> Iterator[Hit]:
    for report, found in facts.content_hits(TP_KINDS[rule]):
        yield Hit.of_content(report, found)


@check("tool_hidden_instructions")
def tool_hidden_instructions(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    yield from _hits(facts, "TP01")


@check("tool_invisible_text")
def tool_invisible_text(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    yield from _hits(facts, "TP02")


@check("tool_shadowing")
def tool_shadowing(facts: ConnectorFacts, policy: Policy) -> Iterator[Hit]:
    yield from _hits(facts, "TP03")
