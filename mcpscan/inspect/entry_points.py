"""What an artifact runs at install and at start, found in its own files (never run).

* npm: the lifecycle scripts (``preinstall``/``install``/``postinstall``, and the
  ``node-gyp rebuild`` a ``binding.gyp`` implies) and the local files they name
  (``node scripts/x.js``), then the ``bin`` shims and the ``main``/``exports`` entry files;
* wheel: ``.pth`` files with executable lines (run at every Python start, no import
  needed), ``console_scripts``/``gui_scripts`` entry points and the packages they import;
* sdist: ``setup.py`` and an in-tree build backend (run by pip to build it: read, never
  built), and ``[project.scripts]`` modules.

Each is an :class:`EntryFile`: a path in the artifact (or a pseudo-path for a script
string such as ``package.json#scripts.postinstall``), its scope, why it runs, its language
and its text.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mcpscan.inspect.interface import ArtifactContents, ArtifactFile, ArtifactFormat

INSTALL = "install"
START = "start"
LIFECYCLE = ("preinstall", "install", "postinstall")
_MAX_ENTRIES = 64  # entry files read per artifact (exports maps can be large)
_RUNS_FILE = re.compile(
    r"""(?:^|[\s;&|(])(node|nodejs|bun|deno\s+run|sh|bash|python3?|tsx|ts-node)\s+"""
    r"""(?:-{1,2}[\w-]+(?:=\S+)?\s+)*["']?([^\s"';&|()]+)"""
)
_LANGUAGE = {".js": "js", ".cjs": "js", ".mjs": "js", ".jsx": "js", ".ts": "js", ".py": "py",
             ".pth": "py", ".sh": "sh"}  # fmt: skip


@dataclass(frozen=True)
class EntryFile:
    path: str  # in the artifact, or "package.json#scripts.NAME" for a script string
    scope: str  # INSTALL or START
    why: str  # "npm runs it at postinstall", "a .pth file: runs at every Python start"
    language: str  # "js", "py", "sh"
    text: str


def language_of(path: str, default: str = "js") -> str:
    return _LANGUAGE.get(posixpath.splitext(path)[1].lower(), default)


def entry_files(contents: ArtifactContents) -> list[EntryFile]:
    """What runs at install and at start, install first; each file once (its first scope)."""
    if contents.format is ArtifactFormat.NPM_TARBALL:
        found = list(_npm(contents))
    elif contents.format is ArtifactFormat.WHEEL:
        found = list(_wheel(contents))
    else:
        found = list(_sdist(contents))
    seen: set[str] = set()
    unique = []
    for entry in found:
        if entry.path not in seen:
            seen.add(entry.path)
            unique.append(entry)
    return unique[:_MAX_ENTRIES]


def package_json(contents: ArtifactContents) -> Mapping[str, Any] | None:
    found = contents.get("package.json")
    text = found.text() if found is not None else None
    if text is None:
        return None
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


# -- npm ------------------------------------------------------------------------------------


def _npm(contents: ArtifactContents) -> Iterator[EntryFile]:
    doc = package_json(contents)
    if doc is None:
        return
    scripts = doc.get("scripts") if isinstance(doc.get("scripts"), dict) else {}
    assert isinstance(scripts, dict)
    for name in LIFECYCLE:
        command = scripts.get(name)
        if not isinstance(command, str) or not command.strip():
            continue
        why = f"npm runs it at {name}"
        yield EntryFile(f"package.json#scripts.{name}", INSTALL, why, "sh", command)
        for target in _files_run(command):
            file = _find(contents, target)
            if file is not None:
                yield _entry(file, INSTALL, f"the {name} script runs it")
    if contents.get("binding.gyp") is not None and not scripts.get("install"):
        file = contents.get("binding.gyp")
        assert file is not None
        yield _entry(file, INSTALL, "npm runs node-gyp rebuild for it at install", "py")
    for path, why in _npm_starts(doc):
        file = _find(contents, path)
        if file is not None:
            yield _entry(file, START, why)


def _files_run(command: str) -> list[str]:
    return [m.group(2) for m in _RUNS_FILE.finditer(command) if not m.group(2).startswith("-")]


def _npm_starts(doc: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    name = str(doc.get("name") or "")
    bins = doc.get("bin")
    if isinstance(bins, str):
        yield bins, f"the bin {name.rsplit('/', 1)[-1]} runs it"
    elif isinstance(bins, dict):
        for command, path in bins.items():
            if isinstance(path, str):
                yield path, f"the bin {command} runs it"
    main = doc.get("main")
    yield (main if isinstance(main, str) and main else "index.js"), "the package's main entry"
    for path in _exports(doc.get("exports")):
        yield path, "an export of the package"


def _exports(value: Any, depth: int = 0) -> Iterator[str]:
    """The files of the ``"."`` export (or of a conditions map): what ``import pkg`` loads."""
    if depth > 6:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value[:8]:
            yield from _exports(item, depth + 1)
    elif isinstance(value, dict):
        if any(isinstance(k, str) and k.startswith(".") for k in value):
            yield from _exports(value.get("."), depth + 1)
        else:
            for key, item in value.items():
                if key != "types":
                    yield from _exports(item, depth + 1)


def _find(contents: ArtifactContents, target: str) -> ArtifactFile | None:
    """The file ``target`` names as node resolves it (``x``, ``x.js``, ``x/index.js``)."""
    base = posixpath.normpath(target.replace("\\", "/")).lstrip("/")
    if base.startswith("..") or base.endswith(".d.ts"):
        return None
    for candidate in (base, f"{base}.js", f"{base}.cjs", f"{base}.mjs", f"{base}/index.js"):
        found = contents.get(candidate)
        if found is not None:
            return found
    return None


def _entry(file: ArtifactFile, scope: str, why: str, language: str | None = None) -> EntryFile:
    text = file.text()
    if text is None:
        # Over the per-file limit: the caller sees an unread entry (a gap, not a pass).
        return EntryFile(file.path, scope, why, language or language_of(file.path), "")
    return EntryFile(file.path, scope, why, language or language_of(file.path), text)


# -- wheels and sdists ---------------------------------------------------------------------


def _wheel(contents: ArtifactContents) -> Iterator[EntryFile]:
    for file in contents:
        if _is_pth(file.path):
            text = file.text() or ""
            executable = [line for line in text.splitlines() if _pth_runs(line)]
            if executable or not file.readable:
                yield EntryFile(
                    file.path,
                    START,
                    "a .pth file with executable lines: runs at every Python start",
                    "py",
                    "\n".join(line if _pth_runs(line) else "" for line in text.splitlines()),
                )
    for file in contents:
        if file.path.endswith(".dist-info/entry_points.txt"):
            for group, module in _entry_points(file.text() or ""):
                for path in _module_files(contents, module):
                    yield _entry(contents.get(path) or file, START, f"the {group} entry point")


def _is_pth(path: str) -> bool:
    # Only a .pth at the top of site-packages is processed (or a wheel's .data/purelib).
    parts = path.split("/")
    return path.endswith(".pth") and (
        len(parts) == 1 or (len(parts) == 3 and parts[0].endswith(".data"))
    )


def _pth_runs(line: str) -> bool:
    """Python's site module executes a .pth line that starts with ``import``."""
    return line.startswith(("import ", "import\t"))


def _entry_points(text: str) -> Iterator[tuple[str, str]]:
    group = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
        elif "=" in line and group in ("console_scripts", "gui_scripts"):
            target = line.split("=", 1)[1].split("[", 1)[0].strip()
            module = target.split(":", 1)[0].strip()
            if re.fullmatch(r"[\w.]+", module):
                yield group, module


def _module_files(
    contents: ArtifactContents, module: str, prefixes: tuple[str, ...] = ("",)
) -> list[str]:
    """The files importing ``module`` runs: each package's ``__init__.py`` on the way,
    then the module itself."""
    parts = module.split(".")
    found: list[str] = []
    for prefix in prefixes:
        for i in range(1, len(parts) + 1):
            stem = prefix + "/".join(parts[:i])
            for candidate in (f"{stem}/__init__.py", f"{stem}.py"):
                if contents.get(candidate) is not None:
                    found.append(candidate)
        if found:
            break
    return found


def _sdist(contents: ArtifactContents) -> Iterator[EntryFile]:
    setup = contents.get("setup.py")
    if setup is not None:
        yield _entry(setup, INSTALL, "pip runs it to build the sdist", "py")
    pyproject = contents.get("pyproject.toml")
    text = pyproject.text() if pyproject is not None else None
    if text is None:
        return
    from mcpscan._internal.toml_lines import TomlSyntaxError, loads

    try:
        doc = loads(text)
    except (TomlSyntaxError, RecursionError, ValueError):
        return
    build = doc.get("build-system") if isinstance(doc.get("build-system"), dict) else {}
    assert isinstance(build, dict)
    backend = build.get("build-backend")
    paths = build.get("backend-path")
    if isinstance(backend, str) and isinstance(paths, list):
        # An in-tree backend: pip imports it from the sdist itself to build.
        module = backend.split(":", 1)[0]
        prefixes = tuple(
            f"{p.strip('/')}/" if p not in (".", "") else "" for p in paths if isinstance(p, str)
        )
        for path in _module_files(contents, module, prefixes or ("",)):
            file = contents.get(path)
            if file is not None:
                yield _entry(file, INSTALL, "the in-tree build backend pip imports to build", "py")
    project = doc.get("project") if isinstance(doc.get("project"), dict) else {}
    assert isinstance(project, dict)
    scripts = project.get("scripts") if isinstance(project.get("scripts"), dict) else {}
    assert isinstance(scripts, dict)
    for target in list(scripts.values())[:16]:
        if isinstance(target, str):
            module = target.split(":", 1)[0].strip()
            for path in _module_files(contents, module, ("", "src/")):
                file = contents.get(path)
                if file is not None:
                    yield _entry(file, START, "a [project.scripts] entry point", "py")
