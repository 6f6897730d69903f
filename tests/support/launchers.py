"""Helpers for the launcher tests: connectors from a command line, and fake credentials."""

from __future__ import annotations

from mcpscan.models import Connector, Launch, PackageRef, Sensitive, Setting, SourceLocation
from mcpscan.redaction import value_kind
from mcpscan.sources.launchers import unwrap

# Fake credentials in recognisable formats (never real ones).
GHP = "ghp_" + "A1b2C3d4E5" * 4
SK = "sk-" + "abcDEF123456" * 2
SHA40 = "0123456789abcdef0123456789abcdef01234567"
SHA256 = "a" * 64

LOC = SourceLocation(file="test.json", line=1, client="test")


def conn(
    command: str | None = None,
    args: tuple[str, ...] = (),
    *,
    url: str | None = None,
    transport: str = "stdio",
    env: dict[str, str] | None = None,
    declared: tuple[PackageRef, ...] = (),
) -> Connector:
    return Connector(
        name="t",
        source=LOC,
        transport=transport,
        command=command,
        args=args,
        url=Sensitive(url) if url is not None else None,
        env=tuple(Setting(k, Sensitive(v), value_kind(v)) for k, v in (env or {}).items()),
        declared_packages=declared,
    )


def run(command: str | None, *args: str, **kw: object) -> Launch:
    return unwrap(conn(command, args, **kw))  # type: ignore[arg-type]


def only(launch: Launch) -> PackageRef:
    assert len(launch.packages) == 1, launch.packages
    return launch.packages[0]


def secrets_of(launch: Launch) -> list[tuple[str, int, str]]:
    return [(s.flag, s.index, s.value.reveal()) for s in launch.secret_args]
