"""How a pin is spelt: the inverse of the launcher grammar, keeping what the user wrote."""

from __future__ import annotations

import pytest

from mcpscan.ecosystems.npm.spec import parse_npm_spec, pinned_spec
from mcpscan.ecosystems.pypi.spec import parse_requirement, pinned_requirement
from mcpscan.models import VersionKind


@pytest.mark.parametrize(
    ("spec", "pinned"),
    [
        ("@scope/pkg", "@scope/pkg@1.2.3"),
        ("pkg@latest", "pkg@1.2.3"),
        ("pkg@^1.0", "pkg@1.2.3"),
        ("npm:pkg", "npm:pkg@1.2.3"),
        ("x@npm:real@^2", "x@npm:real@1.2.3"),
        ("git+https://github.com/o/r.git", None),
        ("https://example.com/pkg.tgz", None),
        ("./local", None),
    ],
)
def test_npm_pins(spec: str, pinned: str | None) -> None:
    assert pinned_spec(spec, "1.2.3") == pinned
    if pinned is not None:
        assert parse_npm_spec(pinned).version_kind is VersionKind.EXACT


@pytest.mark.parametrize(
    ("spec", "pinned"),
    [
        ("mcp-server-time", "mcp-server-time==1.2.3"),
        ("mcp-server-time>=1,<3", "mcp-server-time==1.2.3"),
        ("pkg[a,b]~=2.0", "pkg[a,b]==1.2.3"),
        ("pkg@latest", "pkg@1.2.3"),
        ('pkg; python_version > "3.9"', 'pkg==1.2.3; python_version > "3.9"'),
        ("pkg @ https://example.com/pkg-1.whl", None),
        ("not a requirement!", None),
    ],
)
def test_pypi_pins(spec: str, pinned: str | None) -> None:
    assert pinned_requirement(spec, "1.2.3") == pinned
    if pinned is not None:
        req = parse_requirement(pinned)
        assert req is not None
        assert req.version_kind is VersionKind.EXACT
