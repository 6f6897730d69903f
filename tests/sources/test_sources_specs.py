"""Package specs and purls given on the command line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcpscan.sources import SourceError, is_spec, parse_spec

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("spec", "command", "args"),
    [
        ("npm:name@1.2.3", "npx", ("-y", "name@1.2.3")),
        ("npm:@scope/name", "npx", ("-y", "@scope/name")),
        ("npm:@scope/name@^1.2", "npx", ("-y", "@scope/name@^1.2")),
        ("npm:mcp-remote@latest", "npx", ("-y", "mcp-remote@latest")),
        ("pypi:mcp-server-fetch==2025.4.7", "uvx", ("mcp-server-fetch==2025.4.7",)),
        ("pypi:mcp-server-fetch", "uvx", ("mcp-server-fetch",)),
        ("pypi:pkg[extra]>=1.0", "uvx", ("pkg[extra]>=1.0",)),
        ("oci:ghcr.io/org/img:tag", "docker", ("run", "-i", "--rm", "ghcr.io/org/img:tag")),
        (
            f"oci:ghcr.io/org/img@{DIGEST}",
            "docker",
            ("run", "-i", "--rm", f"ghcr.io/org/img@{DIGEST}"),
        ),
        ("oci:localhost:5000/img", "docker", ("run", "-i", "--rm", "localhost:5000/img")),
        ("pkg:npm/%40scope/name@1.2.3", "npx", ("-y", "@scope/name@1.2.3")),
        ("pkg:npm/left-pad", "npx", ("-y", "left-pad")),
        ("pkg:pypi/name@1.0", "uvx", ("name==1.0",)),
        (
            f"pkg:oci/img@{DIGEST.replace(':', '%3A')}?repository_url=ghcr.io/org",
            "docker",
            ("run", "-i", "--rm", f"ghcr.io/org/img@{DIGEST}"),
        ),
        (
            f"pkg:oci/img@{DIGEST}?repository_url=ghcr.io/org/img&tag=v1",
            "docker",
            ("run", "-i", "--rm", f"ghcr.io/org/img@{DIGEST}"),
        ),
        (
            "pkg:oci/img?repository_url=quay.io/org/img&tag=v1",
            "docker",
            ("run", "-i", "--rm", "quay.io/org/img:v1"),
        ),
        ("pkg:docker/library/nginx@1.27", "docker", ("run", "-i", "--rm", "library/nginx:1.27")),
        (
            "pkg:docker/org/img@1.0?repository_url=ghcr.io",
            "docker",
            ("run", "-i", "--rm", "ghcr.io/org/img:1.0"),
        ),
    ],
)
def test_specs_get_a_synthesized_command_line(
    spec: str, command: str, args: tuple[str, ...]
) -> None:
    connector = parse_spec(spec)
    assert (connector.command, connector.args) == (command, args)
    assert connector.name == spec
    assert connector.transport == "stdio"
    source = connector.source
    assert (source.file, source.line, source.client, source.scope) == (
        spec,
        0,
        "package-spec",
        "cli",
    )
    assert is_spec(spec)


@pytest.mark.parametrize(
    "spec",
    [
        "npm:",
        "npm:-rf",
        "npm:name@",
        "npm:name;rm -rf /",
        "npm:@scope/",
        "pypi:",
        "pypi:name ==1",
        "pypi:name==1; echo",
        "pypi:--index-url=http://evil",
        "oci:",
        "oci:-v/:/host",
        "oci:img@sha256:short",
        "oci:img with space",
        "pkg:npm",
        "pkg:cargo/serde@1.0",
        "pkg:npm/-bad",
        "left-pad",
        "./config.json",
    ],
)
def test_invalid_specs_are_refused(spec: str) -> None:
    assert not is_spec(spec)
    with pytest.raises(SourceError) as caught:
        parse_spec(spec)
    assert spec.strip() in caught.value.message


@given(st.text(max_size=60))
def test_parse_spec_only_raises_source_error(text: str) -> None:
    try:
        connector = parse_spec(text)
    except SourceError:
        assert not is_spec(text)
    else:
        assert connector.command in ("npx", "uvx", "docker")
        # a spec can never smuggle an option into the synthesized command line
        assert not connector.args[-1].startswith("-")
