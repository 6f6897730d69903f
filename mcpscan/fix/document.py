"""A config file as fix reads, rewrites and writes it.

Reading refuses what cannot be rewritten faithfully: a symbolic link (replacing it would
cut the link, writing through it would edit a file the user did not name), a file with
other hard links, a file the user cannot write, text that is not UTF-8, and a document that
repeats a key (the readers keep the last one, as most clients do, but a rewrite must not
guess which one a client reads). Rewriting reads the new text back and refuses it unless it
means exactly the old document with the edits made. Writing is atomic, keeps the file's
mode, and refuses when the file changed since it was read.
"""

from __future__ import annotations

import copy
import difflib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mcpscan._internal.nodes import Node, plain
from mcpscan.fileio import FileReadError, atomic_write_bytes, read_bounded
from mcpscan.fix.interface import DocumentEditor, Edit, FixError
from mcpscan.sources.interface import SourceError
from mcpscan.sources.loader import MAX_FILE_BYTES, document_syntax, parse_text

_BOM = "\ufeff"


@dataclass(frozen=True)
class Document:
    path: Path
    file: str  # as shown to the user
    raw: bytes
    text: str  # without the BOM
    bom: bool
    root: Node

    @property
    def syntax(self) -> str:
        return document_syntax(self.path)


def read(path: Path, file: str) -> Document:
    """The config file ``path``, if fix may rewrite it; raises :class:`FixError` saying why
    not."""
    if os.path.islink(path):
        raise FixError(
            "is a symbolic link; fix does not write through links (run it on the file the "
            "link points to)",
            file=file,
        )
    try:
        raw = read_bounded(path, limit=MAX_FILE_BYTES)
        info = os.stat(path)
    except (FileReadError, OSError) as exc:
        raise FixError(f"cannot be read: it {exc}", file=file) from None
    if info.st_nlink > 1:
        raise FixError(
            "has other hard links; replacing it would separate them, so it is not rewritten",
            file=file,
        )
    if not os.access(path, os.W_OK):
        raise FixError("is not writable; not rewritten", file=file)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FixError("is UTF-16 text; fix only rewrites UTF-8 files", file=file)
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FixError("is not valid UTF-8 text; not rewritten", file=file) from None
    bom = decoded.startswith(_BOM)
    text = decoded.removeprefix(_BOM)
    duplicates: list[tuple[int, str]] = []
    try:
        root = parse_text(
            text, path, file, on_duplicate=lambda line, key: duplicates.append((line, key))
        )
    except SourceError as exc:
        raise FixError(f"cannot be parsed: {exc.message}", file=file, line=exc.line) from None
    if duplicates:
        line, _key = duplicates[0]
        raise FixError(
            "repeats a key (which copy a client reads is not certain); not rewritten",
            file=file,
            line=line,
        )
    return Document(path=path, file=file, raw=raw, text=text, bom=bom, root=root)


def editor_for(document: Document) -> DocumentEditor:
    if document.syntax == "toml":
        from mcpscan.fix.toml_editor import TomlEditor

        return TomlEditor()
    from mcpscan.fix.spans import JsoncEditor, YamlEditor

    return YamlEditor() if document.syntax == "yaml" else JsoncEditor()


def rewrite(document: Document, edits: Sequence[Edit]) -> str:
    """The new text of ``document`` with ``edits`` made, checked by reading it back."""
    new = editor_for(document).apply(document.text, edits, file=document.file)
    try:
        reread = parse_text(new, document.path, document.file)
    except SourceError:
        raise FixError(
            "the rewritten file would not parse; nothing was written", file=document.file
        ) from None
    if plain(reread) != expected(plain(document.root), edits):
        raise FixError(
            "the rewritten file would not mean what was intended; nothing was written",
            file=document.file,
        )
    return new


def expected(data: object, edits: Sequence[Edit]) -> object:
    """What the document's data is after ``edits`` (the meaning a rewrite must have)."""
    out = copy.deepcopy(data)
    for edit in edits:
        if edit.op == "replace":
            parent = _walk(out, edit.path[:-1])
            parent[edit.path[-1]] = copy.deepcopy(edit.value)  # type: ignore[index]
            continue
        target = _walk(out, edit.path)
        if edit.op == "add" and isinstance(target, dict):
            target[edit.key] = copy.deepcopy(edit.value)
        elif edit.op == "append" and isinstance(target, list):
            target.append(copy.deepcopy(edit.value))
        elif edit.op == "remove" and isinstance(target, dict):
            target.pop(edit.key, None)
    return out


def _walk(data: object, path: Sequence[str | int]) -> object:
    for part in path:
        data = data[part]  # type: ignore[index]
    return data


def unified_diff(document: Document, new: str) -> str:
    """The change as a unified diff (``a/FILE`` -> ``b/FILE``); the caller scrubs it."""
    lines = difflib.unified_diff(
        document.text.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{document.file}",
        tofile=f"b/{document.file}",
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def write(document: Document, new: str) -> None:
    """Replace the file with ``new`` atomically, with its mode, if it is unchanged since it
    was read."""
    try:
        now = read_bounded(document.path, limit=MAX_FILE_BYTES)
        mode = stat.S_IMODE(os.stat(document.path).st_mode)
    except (FileReadError, OSError) as exc:
        raise FixError(f"cannot be read again: it {exc}", file=document.file) from None
    if now != document.raw or os.path.islink(document.path):
        raise FixError("changed while fix ran; nothing was written", file=document.file)
    data = ((_BOM if document.bom else "") + new).encode("utf-8")
    try:
        atomic_write_bytes(document.path, data, mode=mode)
    except OSError as exc:
        raise FixError(f"cannot be written: {exc.strerror}", file=document.file) from None
