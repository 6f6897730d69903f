"""One test of "this host is this machine", used by the remotes, the proxy checks and the
OCI client's plain-HTTP rule alike."""

from __future__ import annotations

import pytest

from mcpscan.net.hosts import is_loopback


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST.",
        "api.localhost",
        "127.0.0.1",
        "127.8.9.10",
        " 127.0.0.1 ",
        "::1",
        "[::1]",
        "::1%lo0",
        "::ffff:127.0.0.1",
        "[::ffff:7f00:1]",
    ],
)
def test_a_name_or_address_of_this_machine_is_loopback(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    [
        "",
        "0.0.0.0",
        "::",
        "10.0.0.1",
        "::ffff:10.0.0.1",
        "notlocalhost",
        "localhost.example.com",
        "127.0.0.1.nip.io",
        "example.com",
    ],
)
def test_any_other_host_is_not_loopback(host: str) -> None:
    # Nothing is resolved: a public name that points at 127.0.0.1 is still not loopback.
    assert not is_loopback(host)
