"""Rule catalogue, policy, waivers, scoring: facts in, findings and a verdict out.

Typical use::

    catalogue = load_catalogue()                 # or load_catalogue(Path(args.rules))
    policy = load_policy(path, rule_ids=catalogue.ids) if path else Policy()
    evaluation = Engine(catalogue, policy).evaluate(facts, today=date.today())
"""

from __future__ import annotations

from mcpscan.ruleset.catalogue import Catalogue, load_catalogue
from mcpscan.ruleset.engine import Engine
from mcpscan.ruleset.interface import (
    ConnectorEvaluation,
    ConnectorFacts,
    Evaluation,
    Hit,
    PolicyFileError,
    RuleEngine,
    RulesetError,
)
from mcpscan.ruleset.policy import Policy, RuleOverride, Waiver, find_policy, load_policy

__all__ = [
    "Catalogue",
    "ConnectorEvaluation",
    "ConnectorFacts",
    "Engine",
    "Evaluation",
    "Hit",
    "Policy",
    "PolicyFileError",
    "RuleEngine",
    "RuleOverride",
    "RulesetError",
    "Waiver",
    "find_policy",
    "load_catalogue",
    "load_policy",
]
