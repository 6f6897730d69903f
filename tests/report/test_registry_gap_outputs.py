"""A registry gap reaches every report once per scan, as one line per fact."""

from __future__ import annotations

import dataclasses
import json

import pytest

from mcpscan.coverage import Stages, cap, ledger_for
from mcpscan.models import (
    CheckFamily,
    Decision,
    Graph,
    PackageFacts,
    RegistryGap,
    ResolvedPackage,
    ScanResult,
)
from mcpscan.report import get_renderer
from mcpscan.report.cyclonedx import CycloneDxRenderer
from mcpscan.report.sarif import SarifRenderer
from tests.report.conftest import fail_result

LINE = "the registry did not provide maintainers for 3 packages"


def _gapped() -> ScanResult:
    """The failing result with two connectors whose registry listed no maintainers, one
    package shared by both (counted once)."""
    result = fail_result()
    shared = "pkg:npm/shared@1.0.0"
    connectors = []
    for index, cr in enumerate(result.connectors[:2]):
        assert cr.coverage is not None
        purls = (shared, f"pkg:npm/own-{index}@1.0.0")
        gap = RegistryGap(CheckFamily.REPUTATION, "maintainers", "SC09", purls)
        connectors.append(
            dataclasses.replace(cr, coverage=dataclasses.replace(cr.coverage, registry_gaps=(gap,)))
        )
    return dataclasses.replace(result, connectors=(*connectors, *result.connectors[2:]))


def test_fixture_has_two_connectors_to_share_a_package() -> None:
    assert [cr.coverage is not None for cr in fail_result().connectors][:2] == [True, True]


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_people_formats_say_it_once(fmt: str) -> None:
    text = get_renderer(fmt).render(_gapped())
    assert text.count(LINE) == 1


def test_json_lists_it_once_and_per_connector() -> None:
    doc = json.loads(get_renderer("json").render(_gapped()))
    assert doc["registry_gaps"] == [{"fact": "maintainers", "packages": 3, "message": LINE}]
    first = doc["connectors"][0]["registry_gaps"]
    assert first == [
        {
            "family": "reputation",
            "fact": "maintainers",
            "rule": "SC09",
            "packages": ["pkg:npm/shared@1.0.0", "pkg:npm/own-0@1.0.0"],
        }
    ]


def test_sarif_has_one_notification_and_no_result() -> None:
    run = json.loads(SarifRenderer().render(_gapped()))["runs"][0]
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert notes.count(f"registry gap: {LINE}") == 1
    assert not any("maintainers" in r["message"]["text"] for r in run["results"])


def test_cyclonedx_carries_it_as_a_property_of_the_scan() -> None:
    doc = json.loads(CycloneDxRenderer(reproducible=True).render(_gapped()))
    props = doc["metadata"]["component"]["properties"]
    assert {"name": "mcpscan:registry-gap", "value": LINE} in props


def test_a_gap_caps_the_score_through_the_ledger() -> None:
    root = ResolvedPackage(
        "npm", "srv", "1.0.0", "pkg:npm/srv@1.0.0", Decision.PINNED, facts=PackageFacts()
    )
    ledger = ledger_for(
        fail_result().connectors[0].launch,
        Stages(resolution=True, advisories=True, provenance=True, inspection=True),
        graph=Graph(roots=(root.purl,), nodes=(root,)),
        advisories=(),
        provenance=(),
        content=(),
    )
    assert ledger.complete  # every family that applies ran...
    assert not ledger.fully_known  # ...but the registry left facts out: never a clean 100
    assert {g.fact for g in ledger.registry_gaps} >= {"maintainers", "a publish time"}
    assert cap(100, ledger) == 99


def test_stderr_says_it_once_with_the_diagnostics(capsys: pytest.CaptureFixture[str]) -> None:
    # What the CLI prints on stderr when no table is on stdout (-f json, -o FILE).
    from mcpscan.cli import output

    result = _gapped()
    output.diagnostics(result)
    err = capsys.readouterr().err
    assert err.count(LINE) == 1
    assert str(result.diagnostics[0]) in err
    # A fatal-only echo (nothing could be read) is only the fatal diagnostics.
    output.diagnostics(result, fatal_only=True)
    assert LINE not in capsys.readouterr().err
