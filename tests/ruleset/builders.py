"""Small constructors for facts, so each test states only what matters to it."""

from __future__ import annotations

from typing import Any

from mcpscan.models import (
    Connector,
    ContainerFacts,
    Launch,
    PackageRef,
    ProxyHop,
    Remote,
    SecretArg,
    Sensitive,
    Setting,
    SourceLocation,
    ValueKind,
    VersionKind,
)
from mcpscan.redaction import value_kind
from mcpscan.ruleset import ConnectorFacts, Policy, load_catalogue
from mcpscan.ruleset.engine import Engine
from mcpscan.ruleset.registry import lookup

CATALOGUE = load_catalogue()


def connector(name: str = "srv", *, client: str = "claude-code", **kw: Any) -> Connector:
    kw.setdefault("transport", "stdio")
    return Connector(name=name, source=SourceLocation(".mcp.json", 3, client), **kw)


def setting(name: str, value: str, *, origin: str = "env", secret: bool = False) -> Setting:
    return Setting(name, Sensitive(value), value_kind(value), origin, secret)


def npm(
    name: str,
    requested: str | None = None,
    kind: VersionKind = VersionKind.UNSPECIFIED,
    *,
    role: str = "server",
) -> PackageRef:
    version = f"@{requested}" if kind is VersionKind.EXACT else ""
    return PackageRef(
        ecosystem="npm",
        name=name,
        requested=requested,
        version_kind=kind,
        purl=f"pkg:npm/{name.replace('@', '%40')}{version}",
        spec=f"{name}@{requested}" if requested else name,
        role=role,
    )


def remote(url_host: str, scheme: str = "https", **kw: Any) -> Remote:
    kw.setdefault("loopback", url_host in ("localhost", "127.0.0.1", "::1"))
    return Remote(
        display_url=f"{scheme}://{url_host}/mcp",
        scheme=scheme,
        host=url_host,
        port=None,
        transport="http",
        **kw,
    )


def facts(conn: Connector | None = None, **launch: Any) -> ConnectorFacts:
    launch.setdefault("launcher", "npx")
    return ConnectorFacts(conn or connector(), Launch(**launch))


def hits(check: str, f: ConnectorFacts, policy: Policy | None = None) -> list[Any]:
    fn, _ = lookup(check)
    assert fn is not None
    return list(fn(f, policy or Policy()))


def engine(policy: Policy | None = None) -> Engine:
    return Engine(CATALOGUE, policy or Policy())


__all__ = [
    "CATALOGUE",
    "ContainerFacts",
    "ProxyHop",
    "SecretArg",
    "Sensitive",
    "ValueKind",
    "VersionKind",
    "connector",
    "engine",
    "facts",
    "hits",
    "npm",
    "remote",
    "setting",
]
