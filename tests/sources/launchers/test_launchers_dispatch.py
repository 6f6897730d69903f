"""The dispatcher: unknown programs, nesting, and properties of ``unwrap``."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcpscan.models import Launch, Sensitive
from mcpscan.sources.launchers import parse_remote, unwrap
from tests.support.launchers import GHP, SHA40, SK, conn, run


def test_direct_binary() -> None:
    launch = run("/opt/bin/my-server", "--dir", "/home/alice")
    assert launch.launcher == "binary"
    assert launch.packages == ()
    assert "runs the local program 'my-server'; its provenance is not checked" in launch.notes
    assert launch.path_args == ("/home/alice",)


_VOCAB = [
    "npx",
    "-y",
    "--yes",
    "--no",
    "-p",
    "--package",
    "-c",
    "--",
    "uvx",
    "uv",
    "tool",
    "run",
    "--from",
    "--with",
    "pipx",
    "--spec",
    "docker",
    "podman",
    "-i",
    "-e",
    "-v",
    "--mount",
    "--privileged",
    "--network",
    "host",
    "-it",
    "node",
    "python",
    "-m",
    "deno",
    "npm:x@1",
    "jsr:@a/b",
    "bash",
    "-c",
    "sh",
    "env",
    "cmd",
    "/c",
    "mcp-remote",
    "supergateway",
    "mcp-proxy",
    "--stdio",
    "--sse",
    "--streamableHttp",
    "--header",
    "--headers",
    "--oauth2Bearer",
    "--cors",
    "--host",
    "--port",
    "--allow-origin",
    "--named-server",
    "--pass-environment",
    "--allow-http",
    "pkg@1.0.0",
    "@s/p@^1",
    "img:1",
    "img@sha256:x",
    "https://h.example/sse",
    "http://localhost:1/x?key=v",
    "/",
    "~",
    ".",
    "=",
    "",
    " ",
    "'",
    '"',
    "K=V",
    "Authorization: Bearer",
    GHP,
    SK,
    f"Bearer {GHP}",
    f"TOKEN={GHP}",
    f"https://u:{SK}@h.example/",
    f"npx -y pkg {GHP}",
    f"https://h.example/?q={GHP}",
    "type=bind,source=/",
    "http://[::1",
    "https://[x/p.tgz",
    "git+https://github.com/o/r@" + SHA40,
    "\u00e9\u6f22\u0000",
]


@st.composite
def argvs(draw: st.DrawFn) -> tuple[str | None, tuple[str, ...]]:
    token = st.one_of(st.sampled_from(_VOCAB), st.text(max_size=12))
    tokens = draw(st.lists(token, max_size=12))
    command = draw(
        st.one_of(
            st.none(),
            st.sampled_from(_VOCAB),
            st.text(max_size=20),
            st.builds(" ".join, st.lists(token, max_size=6)),
        )
    )
    return command, tuple(tokens)


@given(
    argvs(),
    st.sampled_from(["stdio", "http", "sse", "unknown"]),
    st.one_of(st.none(), st.sampled_from(_VOCAB), st.text(max_size=30)),
)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_unwrap_never_raises_and_never_leaks(
    case: tuple[str | None, tuple[str, ...]], transport: str, url: str | None
) -> None:
    command, args = case
    launch = unwrap(conn(command, args, url=url, transport=transport))
    assert isinstance(launch, Launch)
    assert not any("internal error" in n for n in launch.notes), launch.notes
    # Every string value the launch holds (not its field names: "--oauth2Bearer host" makes
    # "host" a secret, and "host=" is in any repr of a Remote).
    text = "\n".join(_strings(launch))
    for secret in launch.secret_args:
        raw = secret.value.reveal()
        if len(raw) >= 4:
            assert raw not in text
            assert not any(raw in n for n in launch.notes)
    for known in (GHP, SK):
        assert not any(known in n for n in launch.notes)


def _strings(value: object) -> list[str]:
    """The string values inside ``value`` (dataclasses, tuples, enums' values), not a
    Sensitive's hidden one."""
    if isinstance(value, Sensitive):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (tuple, list, frozenset, set)):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for pair in value.items() for s in _strings(pair)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in _strings(getattr(value, f.name))]
    return [str(value)] if value is not None else []


@given(st.lists(st.text(), max_size=8), st.text())
@settings(max_examples=200, deadline=None)
def test_unwrap_never_raises_on_arbitrary_text(args: list[str], command: str) -> None:
    launch = unwrap(conn(command, tuple(args)))
    assert isinstance(launch, Launch)
    assert not any("internal error" in n for n in launch.notes), launch.notes


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_parse_remote_never_raises(url: str) -> None:
    remote = parse_remote(url, transport="http")
    assert remote.transport == "http"
    if remote.scheme:
        assert "@" not in urlsplit(remote.display_url).netloc
