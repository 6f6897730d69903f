"""What a host name says about where it is: the one test of "this host is this machine"."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, bracketed or not) names this machine:
    ``localhost`` and its subdomains, 127.0.0.0/8, ``::1`` and ``::ffff:127.x.y.z``.
    A zone id (``::1%lo0``) and a trailing dot are ignored. Any other name is not
    loopback, whatever it resolves to: nothing is looked up."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback
