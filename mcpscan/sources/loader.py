"""Reading scan targets: files, directories and package specs."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mcpscan._internal import jsonc
from mcpscan._internal.nodes import DuplicateHook, Node
from mcpscan.fileio import FileReadError, file_problem, read_bounded
from mcpscan.models import Connector, Diagnostic
from mcpscan.sources import detect, specs
from mcpscan.sources.formats import FORMAT_OF_CLIENT, FORMATS, GENERIC_CLIENT
from mcpscan.sources.interface import (
    ConfigFormat,
    DiscoveredConfig,
    LoadResult,
    ParseContext,
    ParseResult,
    SourceError,
)
from mcpscan.sources.walk import project_dirs

MAX_FILE_BYTES = 8 * 1024 * 1024

# Project-scope files looked for in a directory target (and, with --recursive, in each
# nested project directory, see mcpscan.sources.walk). The flag marks
# files shared with other settings: without an MCP section they are skipped silently.
PROJECT_FILES: tuple[tuple[str, bool], ...] = (
    (".mcp.json", False),
    ("mcp.json", False),
    (".cursor/mcp.json", False),
    (".vscode/mcp.json", False),
    (".vscode/settings.json", True),
    (".gemini/settings.json", True),
    (".codex/config.toml", True),
    ("opencode.json", True),
    ("opencode.jsonc", True),
    (".windsurf/mcp.json", False),
    (".kiro/settings/mcp.json", False),
    (".amazonq/mcp.json", False),
    (".roo/mcp.json", False),
    (".claude/settings.json", True),
    (".zed/settings.json", True),
    ("server.json", False),
)
CONTINUE_BLOCKS = ".continue/mcpServers"
_BLOCK_SUFFIXES = (".yaml", ".yml", ".json")
_SHARED_NAMES = frozenset(
    {
        "settings.json",
        "config.toml",
        "opencode.json",
        "opencode.jsonc",
        "config.yaml",
        "config.yml",
        "config.json",
    }
)


def read_text(path: Path, display: str) -> str:
    """The text of a config file, refusing huge files and non-text encodings."""
    try:
        data = read_bounded(path, limit=MAX_FILE_BYTES)
    except FileReadError as err:
        raise SourceError(f"this file {err.reason}", file=display) from None
    # Editors on Windows may write UTF-16 (with a BOM); everything else must be UTF-8.
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise SourceError(
            f"not valid {encoding.upper()} text (byte {err.start})", file=display, line=line
        ) from None


def load_document(path: Path, display: str) -> Node:
    return parse_text(read_text(path, display), path, display)


def document_syntax(path: Path) -> str:
    """How a config file is written, by its name: "toml", "yaml" or "jsonc"."""
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return "toml"
    return "yaml" if suffix in (".yaml", ".yml") else "jsonc"


def parse_text(
    text: str, path: Path, display: str, *, on_duplicate: DuplicateHook | None = None
) -> Node:
    """The document ``text`` of the file ``path``, read in the syntax its name says.
    ``on_duplicate`` hears of repeated keys (JSONC and YAML; TOML forbids them)."""
    syntax = document_syntax(path)
    if syntax == "toml":
        from mcpscan._internal import toml_lines

        return toml_lines.parse_nodes(text, file=display, error=SourceError)
    if syntax == "yaml":
        from mcpscan._internal import yaml_nodes

        return yaml_nodes.parse(text, file=display, error=SourceError, on_duplicate=on_duplicate)
    return jsonc.parse(text, file=display, error=SourceError, on_duplicate=on_duplicate)


def choose_format(
    path: Path, document: Node, client: str | None
) -> tuple[ConfigFormat, str] | None:
    """The format that reads ``document`` and the client to report, or None if none does."""
    client = client or detect.client_for(path)
    preferred = FORMAT_OF_CLIENT.get(client) if client else None
    candidates = (preferred, *FORMATS) if preferred is not None else FORMATS
    for fmt in candidates:
        if fmt is not None and fmt.claims(path, document):
            return fmt, client or fmt.client
    return None


def parse_file(
    path: Path, *, client: str | None = None, scope: str | None = None, display: str | None = None
) -> ParseResult:
    """Connectors of one config file or ``server.json``.

    Raises :class:`SourceError` when the file cannot be read or parsed. A file that parses
    but has no MCP section gives no connectors and one non-fatal diagnostic.
    """
    shown = display if display is not None else str(path)
    document = load_document(path, shown)
    chosen = choose_format(path, document, client)
    if chosen is None:
        return ParseResult(
            diagnostics=(Diagnostic(shown, None, "no MCP server section found in this file"),)
        )
    fmt, client_name = chosen
    context = ParseContext(
        file=shown,
        client=client_name,
        scope=scope if scope is not None else detect.scope_for(path),
    )
    return fmt.parse(document, context)


def has_mcp_section(path: Path, client: str | None = None) -> bool:
    """Whether a file is worth reading: it has an MCP section, or it is broken (so the
    error gets reported rather than the file silently ignored)."""
    try:
        document = load_document(path, str(path))
    except (SourceError, RecursionError):
        return True
    return choose_format(path, document, client) is not None


def project_files(directory: Path) -> list[tuple[Path, bool]]:
    """The project-scope config files present in ``directory`` and whether each is shared."""
    found: list[tuple[Path, bool]] = []
    for relative, shared in PROJECT_FILES:
        candidate = directory / relative
        # Anything by a config's name is read, so that a FIFO, a device or a dangling link
        # where a config belongs is reported, not skipped as if it were absent.
        if os.path.lexists(candidate) and not candidate.is_dir():
            found.append((candidate, shared))
    blocks = directory / CONTINUE_BLOCKS
    if blocks.is_dir():
        try:
            entries = sorted(blocks.iterdir())
        except OSError:
            entries = []
        found.extend(
            (entry, False)
            for entry in entries
            if entry.suffix.lower() in _BLOCK_SUFFIXES and not entry.is_dir()
        )
    return found


@dataclass
class _Loader:
    cwd: Path
    connectors: list[Connector]
    diagnostics: list[Diagnostic]
    files_read: list[str]
    files_failed: list[str]
    seen: set[Path]

    def display(self, path: Path, given: str | None = None) -> str:
        absolute = path if path.is_absolute() else self.cwd / path
        try:
            return absolute.relative_to(self.cwd).as_posix()
        except ValueError:
            return given if given is not None else str(path)

    def read(
        self,
        path: Path,
        *,
        shown: str,
        client: str | None = None,
        scope: str | None = None,
        shared: bool = False,
    ) -> None:
        absolute = path if path.is_absolute() else self.cwd / path
        key = file_identity(absolute)
        if key in self.seen:
            return
        self.seen.add(key)
        problem = file_problem(absolute)  # a FIFO would block the scan, a device never end
        if problem is not None:
            self.diagnostics.append(
                Diagnostic(shown, None, f"this file {problem}; not read", fatal=True)
            )
            self.files_failed.append(shown)
            return
        if shared and not has_mcp_section(absolute, client):
            return
        try:
            result = parse_file(absolute, client=client, scope=scope, display=shown)
        except SourceError as err:
            self.diagnostics.append(
                Diagnostic(err.file or shown, err.line, err.message, fatal=True)
            )
            self.files_failed.append(shown)
            return
        except RecursionError:
            # A parser below (YAML, TOML) recursed with the nesting: this input's error,
            # never the whole scan's.
            self.diagnostics.append(
                Diagnostic(
                    shown, None, "this file is nested too deeply to be read; not read", fatal=True
                )
            )
            self.files_failed.append(shown)
            return
        self.connectors.extend(result.connectors)
        self.diagnostics.extend(result.diagnostics)
        self.files_read.append(shown)

    def result(self) -> LoadResult:
        return LoadResult(
            connectors=tuple(self.connectors),
            diagnostics=tuple(self.diagnostics),
            files_read=tuple(self.files_read),
            files_failed=tuple(self.files_failed),
        )


def file_identity(path: Path) -> Path:
    """One key per file however it is named (symlinks, relative paths)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python < 3.13)
        return path.absolute()


def _new_loader(cwd: Path) -> _Loader:
    return _Loader(
        cwd=cwd, connectors=[], diagnostics=[], files_read=[], files_failed=[], seen=set()
    )


def load_targets(targets: Sequence[str], *, cwd: Path, recursive: bool = False) -> LoadResult:
    """Read every target: a config file, a directory (its project-scope configs; with
    ``recursive``, those of the projects nested below it too) or a package spec.

    A file that cannot be read becomes a fatal diagnostic and the other targets are still
    read. Raises :class:`SourceError` only for a target that is neither an existing path nor
    a valid package spec, before anything is read.
    """
    cwd = cwd.absolute()
    plan: list[tuple[str, Path | Connector]] = []
    for target in targets:
        path = Path(target).expanduser()
        absolute = path if path.is_absolute() else cwd / path
        if os.path.lexists(absolute):  # a dangling link is reported when read, not unknown
            plan.append((target, path))
        elif specs.looks_like_spec(target):
            plan.append((target, specs.parse_spec(target)))
        else:
            raise SourceError(
                f"target '{target}' is neither an existing file or directory nor a package "
                "spec (npm:, pypi:, oci:, pkg:)"
            )
    loader = _new_loader(cwd)
    for target, item in plan:
        if isinstance(item, Connector):
            loader.connectors.append(item)
            continue
        absolute = item if item.is_absolute() else cwd / item
        if absolute.is_dir():
            directories, stopped = project_dirs(absolute) if recursive else ([absolute], None)
            if stopped is not None:
                # Part of the tree was not looked at: the verdict cannot cover it.
                loader.diagnostics.append(Diagnostic(target, None, f"--recursive: {stopped}"))
                loader.files_failed.append(target)
            for directory in directories:
                for found, shared in project_files(directory):
                    shown = loader.display(found, str(Path(target) / found.relative_to(absolute)))
                    loader.read(found, shown=shown, shared=shared, scope="project")
        else:
            loader.read(absolute, shown=loader.display(item, target))
    return loader.result()


def load_discovered(configs: Iterable[DiscoveredConfig], *, cwd: Path) -> LoadResult:
    """Read configs found by :func:`mcpscan.sources.discover`, with their client and scope."""
    loader = _new_loader(cwd.absolute())
    for config in configs:
        loader.read(
            config.path,
            shown=loader.display(config.path),
            # a generic name (mcp.json): let the document's shape name the client
            client=None if config.client == GENERIC_CLIENT else config.client,
            scope=config.scope,
            shared=config.path.name.lower() in _SHARED_NAMES,
        )
    return loader.result()
