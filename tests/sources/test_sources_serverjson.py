"""MCP registry server.json, every schema generation."""

from __future__ import annotations

import json
from pathlib import Path

from mcpscan.models import ValueKind, VersionKind
from mcpscan.sources import ParseResult, parse_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "configs" / "server-json"


def parse(name: str) -> ParseResult:
    return parse_file(FIXTURES / name, display=name)


def test_real_github_oci_package_uses_its_runtime_arguments() -> None:
    result = parse("github-oci.server.json")
    assert result.diagnostics == ()
    (github,) = result.connectors
    assert github.name == (
        "io.github.github/github-mcp-server [oci ghcr.io/github/github-mcp-server:${VERSION}]"
    )
    assert (github.source.file, github.source.line) == ("github-oci.server.json", 13)
    assert (github.source.client, github.source.key) == ("mcp-registry", "packages[0]")
    assert github.server_name == "io.github.github/github-mcp-server"
    assert github.repository == "https://github.com/github/github-mcp-server"
    assert github.transport == "stdio"
    assert github.command == "docker"
    # boolean named args are flags; the image listed among the runtime args is not repeated
    assert github.args == (
        "run",
        "-i",
        "--rm",
        "-e",
        "GITHUB_PERSONAL_ACCESS_TOKEN={token}",
        "ghcr.io/github/github-mcp-server:${VERSION}",
    )
    assert github.declared_packages == ()


def test_wrapped_camel_case_npm_with_secret_env() -> None:
    result = parse("context7-wrapped.json")
    (context7,) = result.connectors
    assert context7.name == "io.github.upstash/context7 [npm @upstash/context7-mcp]"
    assert (context7.source.line, context7.source.key) == (13, "server.packages[0]")
    assert (context7.command, context7.args) == ("npx", ("-y", "@upstash/context7-mcp@1.0.26"))
    declared, literal = context7.env
    assert (declared.name, declared.kind, declared.secret) == (
        "CONTEXT7_API_KEY",
        ValueKind.EMPTY,
        True,
    )
    assert (literal.name, literal.kind, literal.secret) == (
        "CONTEXT7_LITERAL",
        ValueKind.LITERAL,
        True,
    )


def test_snake_case_2025_07_09_with_mcpb_and_remotes() -> None:
    result = parse("snake-2025-07-09.json")
    names = [c.name for c in result.connectors]
    assert names == [
        "io.github.example/notes-mcp [pypi notes-mcp]",
        "io.github.example/notes-mcp [mcpb https://github.com/example/notes-mcp/releases/"
        "download/v0.3.0/notes%20mcp.mcpb]",
        "io.github.example/notes-mcp [mcpb https://example.com/unhashed.mcpb]",
        "io.github.example/notes-mcp [remote 1]",
    ]
    pypi, mcpb, unhashed, remote = result.connectors
    assert pypi.source.line == 8
    # a named arg with only a hint shows the hint; boolean true is a bare flag; false is left out
    assert (pypi.command, pypi.args) == (
        "uvx",
        ("notes-mcp==0.3.0", "--notes-dir", "<notes_dir>", "--verbose"),
    )

    assert (mcpb.command, mcpb.args, mcpb.transport, mcpb.source.line) == (None, (), "stdio", 19)
    (bundle,) = mcpb.declared_packages
    assert bundle.ecosystem == "mcpb"
    assert bundle.name.endswith("/notes%20mcp.mcpb")
    assert (bundle.requested, bundle.version_kind) == ("0.3.0", VersionKind.DIGEST)
    assert bundle.sha256 == "4f2a8c1e9b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f"
    assert bundle.purl.startswith("pkg:generic/notes%20mcp.mcpb?download_url=")
    (plain_bundle,) = unhashed.declared_packages
    assert (plain_bundle.version_kind, plain_bundle.sha256, plain_bundle.requested) == (
        VersionKind.URL,
        None,
        None,
    )

    assert (remote.transport, remote.source.line, remote.source.key) == ("http", 37, "remotes[0]")
    assert remote.url is not None
    assert remote.url.reveal() == "https://notes.example.com/mcp"
    (header,) = remote.headers
    assert (header.name, header.kind, header.origin, header.secret) == (
        "X-Api-Key",
        ValueKind.INDIRECTION,
        "header",
        True,
    )

    assert [(d.line, d.message) for d in result.diagnostics] == [
        (26, "'packages[2]': registryType 'nuget' is not supported yet; package skipped"),
        (39, "'remotes[1]': unknown remote type; skipped"),
        (40, "'remotes[2]' has no url; skipped"),
    ]


def test_pre_release_registry_name_and_version_detail() -> None:
    result = parse("prerelease.json")
    (npm,) = result.connectors
    assert npm.name == "io.github.<owner>/<server-name> [npm io.github.<owner>/<server-name>]"
    assert npm.args == ("-y", "io.github.<owner>/<server-name>@0.2.23", "-s")
    assert [(s.name, s.kind) for s in npm.env] == [("API_KEY", ValueKind.EMPTY)]
    assert npm.repository == "https://github.com/<owner>/<server-name>"
    # the template's "docker>" typo is an unknown registry type: reported, never guessed
    assert [(d.line, d.message) for d in result.diagnostics] == [
        (26, "'packages[1]': unknown registryType; package skipped")
    ]


def test_registry_api_list() -> None:
    result = parse("registry-list.json")
    one, two = result.connectors
    assert (one.name, one.source.key, one.source.line) == (
        "io.github.a/one [pypi one-mcp]",
        "servers[0].server.packages[0]",
        9,
    )
    assert one.args == ("one-mcp==1.0.0",)
    assert (two.name, two.transport, two.source.key) == (
        "io.github.b/two [remote 1]",
        "sse",
        "servers[1].server.remotes[0]",
    )


def write(tmp_path: Path, document: object, name: str = "server.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2))
    return path


def test_oci_without_runtime_arguments_gets_docker_run(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "name": "io.github.x/y",
            "packages": [
                {
                    "registryType": "oci",
                    "identifier": "docker.io/x/y",
                    "version": "2.0",
                    "packageArguments": [{"type": "positional", "value": "--stdio"}],
                },
                {
                    "registryType": "oci",
                    "identifier": "ghcr.io/x/y@sha256:" + "a" * 64,
                    "version": "2.0",
                },
                {
                    "registryType": "oci",
                    "identifier": "x/y",
                    "runtimeArguments": [{"type": "named", "name": "-e", "value": "A=1"}],
                },
            ],
        },
    )
    tagged, digest, bare = parse_file(path).connectors
    assert tagged.args == ("run", "-i", "--rm", "docker.io/x/y:2.0", "--stdio")
    assert digest.args == ("run", "-i", "--rm", "ghcr.io/x/y@sha256:" + "a" * 64)
    assert bare.args == ("run", "-e", "A=1", "x/y")


def test_package_without_version_and_pypi_runtime_args(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "name": "io.github.x/y",
            "packages": [
                {"registryType": "npm", "identifier": "y-mcp"},
                {
                    "registryType": "pypi",
                    "identifier": "y-mcp",
                    "version": "1.0",
                    "runtimeArguments": [{"type": "named", "name": "--python", "value": "3.12"}],
                    "transport": {"type": "streamable-http", "url": "http://localhost:{port}/mcp"},
                },
            ],
        },
    )
    npm, pypi = parse_file(path).connectors
    assert npm.args == ("-y", "y-mcp")
    assert pypi.args == ("--python", "3.12", "y-mcp==1.0")
    # a package serving HTTP is still launched from its command; the local URL is not a remote
    assert (pypi.transport, pypi.command, pypi.url) == ("http", "uvx", None)


def test_server_without_packages_or_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "$schema": "https://static.modelcontextprotocol.io/schemas/"
            "2025-09-29/server.schema.json",
            "description": "x",
        },
    )
    result = parse_file(path)
    assert result.connectors == ()
    assert [d.message for d in result.diagnostics] == [
        "server has no 'name'",
        "server 'unnamed server' declares no packages and no remotes",
    ]
