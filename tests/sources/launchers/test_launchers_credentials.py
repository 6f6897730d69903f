"""Credentials in launcher arguments, and path arguments."""

from __future__ import annotations

import dataclasses

import pytest

from mcpscan.models import VersionKind
from mcpscan.sources.launchers import NpmSpec, package_ref, parse_npm_spec
from tests.support.launchers import GHP, SK, only, run, secrets_of


def test_secret_arguments() -> None:
    launch = run(
        "npx",
        "-y",
        "pkg",
        GHP,
        "--api-key",
        SK,
        "--token=abcdefgh12",
        "--api-key=${API_KEY}",
        "--name",
        "@modelcontextprotocol/server-filesystem",
        "--password",
        "your_password",
    )
    assert secrets_of(launch) == [("", 3, GHP), ("--api-key", 5, SK), ("--token", 6, "abcdefgh12")]
    assert GHP not in repr(launch)
    assert SK not in repr(launch)


def test_credential_where_a_package_was_expected() -> None:
    launch = run("npx", "-y", GHP)
    assert launch.packages == ()
    assert secrets_of(launch) == [("", 2, GHP)]
    assert GHP not in repr(launch)


def test_secret_reused_elsewhere_is_scrubbed_from_every_fact() -> None:
    # The same credential as an inner server argument and as a (nonsensical) listen host.
    launch = run("supergateway", "--stdio", f"srv {GHP}", "--host", GHP)
    assert secrets_of(launch) == [("", 2, GHP)]
    hop = launch.proxies[0]
    assert hop.listen_host is not None
    assert hop.listen_host.startswith("<redacted sha256:")
    assert GHP not in repr(launch)


def test_short_secret_does_not_corrupt_other_facts() -> None:
    # "exact" under a secret-named flag counts as a secret, and also occurs in VersionKind.
    launch = run("npx", "-y", "pkg@1.0.0", "--token", "exact")
    assert secrets_of(launch) == [("--token", 4, "exact")]
    assert only(launch).version_kind is VersionKind.EXACT


def test_empty_command_gets_one_note() -> None:
    assert run("", "").opaque == ("the connector's command is empty",)


def test_credentials_in_launcher_urls() -> None:
    launch = run("npx", "--registry", "https://user:Sup3rS3cret99@npm.example.com/", "pkg")
    # The whole user-info is the credential (the user name is not shown either).
    assert secrets_of(launch) == [("--registry", 2, "user:Sup3rS3cret99")]
    assert launch.secret_args[0].in_url
    assert "npx installs from a non-default package index (--registry)" in launch.notes
    git = run("npx", f"git+https://{GHP}@github.com/o/r.git#main")
    ref = only(git)
    assert ref.name == "git+https://github.com/o/r.git"
    assert secrets_of(git) == [("", 1, GHP)]
    assert GHP not in repr(git)


@pytest.mark.parametrize(
    ("arg", "is_path"),
    [
        ("/", True),
        ("~", True),
        ("~/x", True),
        ("$HOME", True),
        ("${HOME}", True),
        ("${userHome}", True),
        ("C:\\", True),
        ("/Users/x", True),
        ("/home/x", True),
        ("./x", True),
        (".", True),
        ("..", True),
        ("D:/data", True),
        ("%USERPROFILE%", True),
        ("${workspaceFolder}", True),
        ("$HOME/notes", True),
        ("foo", False),
        ("https://x.example/y", False),
        ("8080", False),
        ("$HOMEWORK", False),
        (".env-file-name", False),
    ],
)
def test_path_args(arg: str, is_path: bool) -> None:
    launch = run("npx", "-y", "pkg", arg)
    assert launch.path_args == ((arg,) if is_path else ())


def test_path_in_flag_value() -> None:
    assert run("uvx", "pkg", "--root=/", "--dir", "~").path_args == ("/", "~")


def test_package_ref_helper() -> None:
    npm = package_ref("npm", "@scope/x@1.0.0")
    assert npm is not None
    assert npm.purl == "pkg:npm/%40scope/x@1.0.0"
    pypi = package_ref("pypi", "x==1.0", role="proxy")
    assert pypi is not None
    assert pypi.role == "proxy"
    oci = package_ref("oci", "ghcr.io/o/x:1")
    assert oci is not None
    assert oci.version_kind is VersionKind.TAG
    assert package_ref("npm", "./local") is None
    with pytest.raises(ValueError, match="unknown ecosystem"):
        package_ref("cargo", "x")  # type: ignore[arg-type]


def test_npm_spec_dataclass_is_frozen() -> None:
    spec = parse_npm_spec("x@1.0.0")
    assert isinstance(spec, NpmSpec)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "y"  # type: ignore[misc]
