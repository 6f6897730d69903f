"""MCP registry ``server.json`` in every schema generation (client-configs.md §5).

One connector per package and per remote. A package gets the command line a client would
run for it (``npx -y id@version``, ``uvx id==version``, ``docker run … image``) so the
launcher unwrapper treats it like any configured server; an MCPB bundle has no command and
is carried as a declared package instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mcpscan._internal.nodes import Node, pick, scalar_text
from mcpscan.ecosystems.pypi.purl import pypi_purl
from mcpscan.ecosystems.pypi.spec import parse_version
from mcpscan.models import Connector, PackageRef, Sensitive, Setting, VersionKind
from mcpscan.sources.entries import Builder, make_setting
from mcpscan.sources.interface import ConfigFormat, ParseContext, ParseResult

CLIENT = "mcp-registry"

_REGISTRY_TYPES = {
    "npm": "npm",
    "pypi": "pypi",
    "oci": "oci",
    "docker": "oci",  # pre-release registry_name
    "docker-hub": "oci",  # VS Code gallery spelling
    "mcpb": "mcpb",
}
# Documented registry types mcpscan cannot follow yet: named in the diagnostic.
_UNSUPPORTED_TYPES = frozenset({"nuget", "cargo", "go", "homebrew"})
_REMOTE_TYPES = {"streamable-http": "http", "streamable": "http", "http": "http", "sse": "sse"}


class ServerJsonFormat(ConfigFormat):
    client = CLIENT

    def claims(self, path: Path, data: Node) -> bool:
        mapping = data.mapping()
        if mapping is None:
            return False
        schema = mapping.get("$schema")
        if (
            schema is not None
            and isinstance(schema.value, str)
            and (
                "server.schema" in schema.value
                or ("modelcontextprotocol" in schema.value and "server" in schema.value)
            )
        ):
            return True
        wrapped = mapping.get("server")
        if wrapped is not None and wrapped.mapping() is not None:
            return True
        servers = mapping.get("servers")
        items = servers.items() if servers is not None else None
        if items is not None and all(item.mapping() is not None for item in items):
            return True
        has_parts = any(
            key in mapping and mapping[key].items() is not None for key in ("packages", "remotes")
        )
        return has_parts and (path.name == "server.json" or _text(mapping, "name") is not None)

    def parse(self, document: Node, context: ParseContext) -> ParseResult:
        reader = _Reader(Builder(context))
        mapping = document.mapping() or {}
        servers = mapping.get("servers")
        items = servers.items() if servers is not None else None
        if items is not None:
            for index, item in enumerate(items):
                inner = item.get("server")
                if inner is not None and inner.mapping() is not None:
                    reader.server(inner, f"servers[{index}].server.")
                else:
                    reader.server(item, f"servers[{index}].")
        elif (wrapped := mapping.get("server")) is not None and wrapped.mapping() is not None:
            reader.server(wrapped, "server.")
        else:
            reader.server(document, "")
        return reader.builder.result()


class _Reader:
    def __init__(self, builder: Builder) -> None:
        self.builder = builder

    def server(self, node: Node, prefix: str) -> None:
        fields = node.mapping()
        if fields is None:
            self.builder.warn(node.line, f"'{prefix or 'server'}' is not an object; skipped")
            return
        name = _text(fields, "name")
        if name is None:
            self.builder.warn(node.line, "server has no 'name'")
            name = "unnamed server"
        repository = fields.get("repository")
        repo_url = None
        if repository is not None:
            repo_url = repository.text() or _text(repository.mapping() or {}, "url")
        packages = _list(fields, "packages")
        remotes = _list(fields, "remotes")
        if not packages and not remotes:
            self.builder.warn(node.line, f"server '{name}' declares no packages and no remotes")
        for index, package in enumerate(packages):
            self.package(package, name, repo_url, f"{prefix}packages[{index}]")
        for index, remote in enumerate(remotes):
            self.remote(remote, name, repo_url, f"{prefix}remotes[{index}]", index + 1)

    def package(self, node: Node, server: str, repo: str | None, key: str) -> None:
        fields = node.mapping()
        if fields is None:
            self.builder.warn(node.line, f"'{key}' is not an object; skipped")
            return
        written = _text(fields, "registryType", "registry_type", "registry_name")
        if written is None:
            self.builder.warn(node.line, f"'{key}' has no registryType; skipped")
            return
        registry = _REGISTRY_TYPES.get(written.lower())
        if registry is None:
            if written.lower() in _UNSUPPORTED_TYPES:
                reason = f"registryType '{written.lower()}' is not supported yet"
            else:
                reason = "unknown registryType"
            self.builder.warn(node.line, f"'{key}': {reason}; package skipped")
            return
        identifier = _text(fields, "identifier", "name")
        if not identifier:
            self.builder.warn(node.line, f"'{key}' has no identifier; skipped")
            return
        version = _text(fields, "version")
        transport = "stdio"
        transport_node = fields.get("transport")
        headers: tuple[Setting, ...] = ()
        if transport_node is not None and (spec := transport_node.mapping()) is not None:
            kind = _text(spec, "type")
            if kind and kind.lower() != "stdio":
                transport = _REMOTE_TYPES.get(kind.lower(), "unknown")
                if transport == "unknown":
                    self.builder.warn(transport_node.line, f"'{key}': unknown transport type")
            headers = _settings(pick(spec, "headers"), "header")
        runtime = _arguments(pick(fields, "runtimeArguments", "runtime_arguments"))
        package_args = _arguments(pick(fields, "packageArguments", "package_arguments"))
        env = _settings(pick(fields, "environmentVariables", "environment_variables"), "env")

        command: str | None = None
        args: list[str] = []
        declared: tuple[PackageRef, ...] = ()
        if registry == "npm":
            command = "npx"
            args = ["-y", *runtime, f"{identifier}@{version}" if version else identifier]
        elif registry == "pypi" and version and parse_version(version) is None:
            # The earliest files put a branch ("main", "master") where the version goes:
            # not a pin and not a requirement uvx could run. Declared as a moving tag (SC01).
            declared = (_branch_ref(identifier, version),)
        elif registry == "pypi":
            command = "uvx"
            args = [*runtime, f"{identifier}=={version}" if version else identifier]
        elif registry == "oci":
            command = "docker"
            args = _docker_args(runtime, identifier, version)
        else:
            sha = _text(fields, "fileSha256", "file_sha256")
            declared = (_mcpb_ref(identifier, version, sha),)
        if command is not None:
            args.extend(package_args)

        self.builder.connectors.append(
            Connector(
                name=f"{server} [{registry} {identifier}]",
                source=self.builder.location(node.line, key),
                transport=transport,
                command=command,
                args=tuple(args),
                env=env,
                headers=headers,
                declared_packages=declared,
                repository=repo,
                server_name=server,
            )
        )

    def remote(self, node: Node, server: str, repo: str | None, key: str, number: int) -> None:
        fields = node.mapping()
        if fields is None:
            self.builder.warn(node.line, f"'{key}' is not an object; skipped")
            return
        kind = _text(fields, "type", "transport_type", "transport")
        transport = _REMOTE_TYPES.get(kind.lower()) if kind else "http"
        if transport is None:
            self.builder.warn(node.line, f"'{key}': unknown remote type; skipped")
            return
        url = _text(fields, "url")
        if not url:
            self.builder.warn(node.line, f"'{key}' has no url; skipped")
            return
        self.builder.connectors.append(
            Connector(
                name=f"{server} [remote {number}]",
                source=self.builder.location(node.line, key),
                transport=transport,
                url=Sensitive(url),
                headers=_settings(fields.get("headers"), "header"),
                repository=repo,
                server_name=server,
            )
        )


def _text(fields: Mapping[str, Node], *keys: str) -> str | None:
    node = pick(fields, *keys)
    if node is None or isinstance(node.value, (dict, list)):
        return None
    text = scalar_text(node.value)
    return text.strip() if text is not None else None


def _list(fields: Mapping[str, Node], key: str) -> list[Node]:
    node = fields.get(key)
    return (node.items() if node is not None else None) or []


def _arguments(node: Node | None) -> list[str]:
    """Render registry ``Argument`` objects as command-line words.

    ``{var}`` placeholders stay as written: they are filled by the user at install time.
    """
    words: list[str] = []
    for item in (node.items() if node is not None else None) or []:
        fields = item.mapping()
        if fields is None:
            if (text := scalar_text(item.value)) is not None:
                words.append(text)
            continue
        value = _argument_value(fields)
        if (_text(fields, "type") or "positional").lower() != "named":
            if value is not None:
                words.append(value)
            continue
        name = _text(fields, "name")
        if not name:
            continue
        if _is_boolean(fields) and value in ("true", "false"):
            if value == "true":
                words.append(name)  # a boolean flag is given by name alone
            continue
        words.append(name)
        if value is not None:
            words.append(value)
    return words


def _argument_value(fields: Mapping[str, Node]) -> str | None:
    value = _text(fields, "value")
    if value is None:
        value = _text(fields, "default")
    if value is None:
        hint = _text(fields, "valueHint", "value_hint")
        value = f"<{hint}>" if hint else None
    return value


def _is_boolean(fields: Mapping[str, Node]) -> bool:
    value = fields.get("value")
    if value is not None and isinstance(value.value, bool):
        return True
    return (_text(fields, "format") or "").lower() == "boolean"


def _settings(node: Node | None, origin: str) -> tuple[Setting, ...]:
    settings: list[Setting] = []
    items = node.items() if node is not None else None
    if items is None:  # older files: a plain {name: value} map
        mapping = node.mapping() if node is not None else None
        return tuple(
            make_setting(name, scalar_text(value.value), origin)
            for name, value in (mapping or {}).items()
            if not isinstance(value.value, (dict, list))
        )
    for item in items:
        fields = item.mapping()
        if fields is None:
            continue
        name = _text(fields, "name")
        if not name:
            continue
        secret = pick(fields, "isSecret", "is_secret")
        settings.append(
            make_setting(
                name,
                _text(fields, "value"),
                origin,
                secret=secret is not None and secret.value is True,
            )
        )
    return tuple(settings)


def _docker_args(runtime: list[str], identifier: str, version: str | None) -> list[str]:
    image = identifier
    last = identifier.rsplit("/", 1)[-1]
    if version and ":" not in last and "@" not in last:
        image = f"{identifier}:{version}"
    words = list(runtime) if runtime else ["run", "-i", "--rm"]
    if words[0] != "run":
        words.insert(0, "run")
    # Publishers often list the image among the runtime arguments already (github's
    # server.json does); use the full reference there instead of naming the image twice.
    bare = _strip_tag(identifier)
    for index, word in enumerate(words):
        if word in (identifier, image) or (index > 0 and word == bare):
            words[index] = image
            return words
    words.append(image)
    return words


def _strip_tag(reference: str) -> str:
    head, _, last = reference.rpartition("/")
    last = last.split("@", 1)[0].split(":", 1)[0]
    return f"{head}/{last}" if head else last


def _branch_ref(identifier: str, branch: str) -> PackageRef:
    return PackageRef(
        ecosystem="pypi",
        name=identifier,
        requested=branch,
        version_kind=VersionKind.TAG,
        purl=pypi_purl(identifier),
        spec=f"{identifier}@{branch}",
    )


def _mcpb_ref(url: str, version: str | None, sha256: str | None) -> PackageRef:
    from packageurl import PackageURL

    file = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "bundle.mcpb"
    purl = str(PackageURL(type="generic", name=file, qualifiers={"download_url": url}).to_string())
    return PackageRef(
        ecosystem="mcpb",
        name=url,
        requested=version,
        version_kind=VersionKind.DIGEST if sha256 else VersionKind.URL,
        purl=purl,
        spec=url,
        sha256=sha256.lower() if sha256 else None,
    )
