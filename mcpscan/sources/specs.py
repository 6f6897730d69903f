"""Package specs given on the command line: ``npm:…``, ``pypi:…``, ``oci:…`` and purls.

A spec becomes a connector with the command line a client would run for it, so the rest of
the scan needs no special case for "a package that is not in any config yet".
"""

from __future__ import annotations

import re

from mcpscan.ecosystems.pypi.spec import NAME as PYPI_NAME
from mcpscan.models import Connector, SourceLocation
from mcpscan.sources.interface import SourceError

CLIENT = "package-spec"
_PREFIXES = ("npm:", "pypi:", "oci:", "pkg:")

# Stricter than PEP 508 on purpose: no markers, URLs or spaces in a command-line spec.
_PYPI_RE = re.compile(
    rf"^(?P<name>{PYPI_NAME})"
    r"(?P<extras>\[[A-Za-z0-9._,-]*\])?"
    r"(?P<version>(?:===|==|~=|!=|>=|<=|<|>)[A-Za-z0-9.*+!,<>=~_-]+)?$"
)
_OCI_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$")


def is_spec(text: str) -> bool:
    """Whether ``text`` is a package spec mcpscan can scan."""
    try:
        parse_spec(text)
    except SourceError:
        return False
    return True


def looks_like_spec(text: str) -> bool:
    """Whether ``text`` is meant as a spec (valid or not): it has a spec prefix."""
    return text.lower().startswith(_PREFIXES)


def parse_spec(text: str) -> Connector:
    """The connector for a package spec; raise :class:`SourceError` if it is not one."""
    spec = text.strip()
    lowered = spec.lower()
    if lowered.startswith("pkg:"):
        command, args = _from_purl(spec)
    elif lowered.startswith("npm:"):
        command, args = "npx", ["-y", _npm(spec[4:], spec)]
    elif lowered.startswith("pypi:"):
        command, args = "uvx", [_pypi(spec[5:], spec)]
    elif lowered.startswith("oci:"):
        command, args = "docker", ["run", "-i", "--rm", _oci(spec[4:], spec)]
    else:
        raise SourceError(f"'{text}' is not a package spec (use npm:, pypi:, oci: or a purl)")
    return Connector(
        name=spec,
        source=SourceLocation(file=spec, line=0, client=CLIENT, key="", scope="cli"),
        transport="stdio",
        command=command,
        args=tuple(args),
    )


def _invalid(spec: str, why: str) -> SourceError:
    return SourceError(f"invalid package spec '{spec}': {why}")


def _npm(body: str, spec: str) -> str:
    from mcpscan.ecosystems.npm.spec import registry_kind, split_name, valid_name

    name, version = split_name(body)
    if not valid_name(name):
        raise _invalid(spec, "not a valid npm package name")
    if version is not None and (not version.strip() or registry_kind(version) == "invalid"):
        raise _invalid(spec, "not a valid npm version, range or tag")
    return body


def _pypi(body: str, spec: str) -> str:
    if not _PYPI_RE.match(body):
        raise _invalid(spec, "expected name, name==version or name[extra]>=version")
    return body


def _oci(reference: str, spec: str) -> str:
    from mcpscan.ecosystems.oci import parse_reference

    if not _OCI_RE.match(reference) or "//" in reference:
        raise _invalid(spec, "not a valid image reference")
    image = parse_reference(reference)
    if image.digest is not None and not image.valid_digest:
        raise _invalid(spec, "an image digest must be sha256:<64 hex> or sha512:<128 hex>")
    return reference


def _from_purl(spec: str) -> tuple[str, list[str]]:
    from packageurl import PackageURL

    from mcpscan.ecosystems.oci import reference_from_purl

    try:
        purl = PackageURL.from_string(spec)
    except ValueError as err:
        raise _invalid(spec, f"not a valid purl ({err})") from None
    kind = str(purl.type).lower()
    name = str(purl.name)
    namespace = str(purl.namespace) if purl.namespace else ""
    version = str(purl.version) if purl.version else None
    qualifiers: dict[str, str] = dict(purl.qualifiers or {})
    if kind == "npm":
        from mcpscan.ecosystems.npm.purl import parse_npm_purl

        full, version = parse_npm_purl(spec)
        return "npx", ["-y", _npm(f"{full}@{version}" if version else full, spec)]
    if kind == "pypi":
        return "uvx", [_pypi(f"{name}=={version}" if version else name, spec)]
    if kind in ("oci", "docker"):
        return "docker", [
            "run",
            "-i",
            "--rm",
            _oci(reference_from_purl(kind, namespace, name, version, qualifiers), spec),
        ]
    raise _invalid(spec, f"purl type '{kind}' is not supported (npm, pypi, oci, docker)")
