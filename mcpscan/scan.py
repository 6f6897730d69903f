"""The orchestrator: sources -> launchers -> (resolution) -> rules -> ScanResult.

It owns no I/O: every outside fact arrives through a seam handed to :class:`Scanner`
(the CLI chooses the implementations), so tests can drive a whole scan with fakes or
with a local registry.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass

from mcpscan import launchers
from mcpscan.models import (
    ConnectorResult,
    Diagnostic,
    Launch,
    ScanResult,
    Sensitive,
    Severity,
    ValueKind,
)
from mcpscan.ruleset import ConnectorFacts, Engine
from mcpscan.secrets import Redactor, classify, is_secret_name
from mcpscan.sources.interface import LoadResult


@dataclass(frozen=True)
class ScanOptions:
    today: _dt.date
    fail_on: Severity | None = None  # overrides the policy


class Scanner:
    def __init__(self, engine: Engine, options: ScanOptions) -> None:
        self.engine = engine
        self.options = options

    def scan(self, targets: Sequence[str], loaded: LoadResult) -> ScanResult:
        launches = [launchers.unwrap(c) for c in loaded.connectors]
        facts = [
            ConnectorFacts(connector=c, launch=launch)
            for c, launch in zip(loaded.connectors, launches, strict=True)
        ]
        evaluation = self.engine.evaluate(facts, today=self.options.today)
        results = tuple(
            ConnectorResult(
                connector=f.connector,
                launch=f.launch,
                findings=ev.findings,
                score=ev.score,
                verdict=ev.verdict,
            )
            for f, ev in zip(facts, evaluation.connectors, strict=True)
        )
        diagnostics = tuple(loaded.diagnostics) + tuple(
            Diagnostic(f.connector.source.file, f.connector.source.line or None,
                       f"{f.connector.name}: {note}")
            for f in facts
            for note in f.launch.notes
        )
        not_run = tuple(
            f"{', '.join(ids)} (need {needs} data, not checked yet)"
            for needs, ids in evaluation.not_evaluated
        )
        # Some inputs failed while others were read: the verdict covers only part of what
        # was asked, so the scan is incomplete rather than a pass.
        partial = bool(loaded.files_failed) and bool(results)
        return ScanResult(
            targets=tuple(targets),
            connectors=results,
            diagnostics=diagnostics,
            checks_not_run=not_run,
            verdict=evaluation.verdict,
            score=evaluation.score,
            fail_on=self.engine.policy.fail_on,
            min_score=self.engine.policy.min_score,
            expired_waivers=evaluation.expired_waivers,
            unused_waivers=evaluation.unused_waivers,
            incomplete=partial,
            scan_findings=evaluation.scan_findings,
        )


def redactor_for(loaded: LoadResult, launches: Sequence[Launch] = ()) -> Redactor:
    """Every literal secret read from the inputs, so output can be scrubbed of them."""
    redactor = Redactor()
    for c in loaded.connectors:
        for setting in (*c.env, *c.headers):
            if setting.kind is not ValueKind.LITERAL:
                continue
            raw = setting.value.reveal()
            if is_secret_name(setting.name) or classify(raw, name=setting.name):
                redactor.add(setting.value)
                # "Bearer abc" in a header: the token alone must not survive either.
                parts = raw.split()
                if len(parts) == 2:
                    redactor.add(Sensitive(parts[1]))
        if c.url is not None:
            _add_url_secrets(redactor, c.url.reveal())
        for i, arg in enumerate(c.args):
            if classify(arg) is not None:
                redactor.add(Sensitive(arg))
            elif "://" in arg:
                _add_url_secrets(redactor, arg)
            elif i and c.args[i - 1] in ("--header", "--headers", "-H", "--oauth2Bearer"):
                redactor.add(Sensitive(arg))
    for launch in launches:
        for sa in launch.secret_args:
            redactor.add(sa.value)
    return redactor


def _add_url_secrets(redactor: Redactor, url: str) -> None:
    from urllib.parse import parse_qsl, urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        redactor.add(Sensitive(url))
        return
    if parts.password:
        redactor.add(Sensitive(parts.password))
    if parts.username and parts.password is None:
        redactor.add(Sensitive(parts.username))
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if is_secret_name(key) or classify(value, name=key):
            redactor.add(Sensitive(value))
    for segment in parts.path.split("/"):
        if classify(segment) is not None:
            redactor.add(Sensitive(segment))
