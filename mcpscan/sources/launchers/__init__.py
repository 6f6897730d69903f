"""Unwrap a connector's command line into what it would fetch, run and reach.

A stdio connector is a command line (``npx -y pkg``, ``uvx pkg==1.2``, ``docker run image``,
``npx mcp-remote URL``, ``supergateway --stdio "npx ..."``); a remote connector is a URL. This
package turns either into a :class:`~mcpscan.models.Launch`: the launcher, the packages it would
install (with purls and how precisely each is pinned), proxy hops, remote endpoints, container
flags, path-like arguments and literal secrets found in the arguments.

Everything here is pure string analysis: nothing is executed, fetched or imported from the
scanned configuration. :func:`unwrap` never raises; what it cannot understand it says in
``Launch.notes``, which never carry a configured value (only flag names, launcher names and
fixed wording), so a note can be printed as it is.

``SecretArg.index`` is an index into :func:`split_command` of the connector's command and args.

Modules: ``argv`` (splitting, options, server arguments), ``remotes``, ``packages`` (npm, PyPI,
OCI, git and URL package arguments), ``proxies`` (mcp-remote, supergateway, mcp-proxy),
``node``, ``python``, ``containers``, ``shells`` (the launcher families), ``credentials``
(credentials in arguments), ``facts`` (what a walk accumulates) and ``dispatch`` (the table
from program name to launcher, and :func:`unwrap`).
"""

from mcpscan.ecosystems.npm.spec import NpmSpec, format_npm_spec, parse_npm_spec
from mcpscan.sources.launchers.argv import split_command
from mcpscan.sources.launchers.dispatch import MAX_DEPTH, unwrap
from mcpscan.sources.launchers.packages import package_ref
from mcpscan.sources.launchers.remotes import parse_remote

__all__ = [
    "MAX_DEPTH",
    "NpmSpec",
    "format_npm_spec",
    "package_ref",
    "parse_npm_spec",
    "parse_remote",
    "split_command",
    "unwrap",
]
