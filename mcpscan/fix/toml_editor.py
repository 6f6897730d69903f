"""Editing TOML (Codex ``config.toml``) with tomlkit, which keeps comments, blank lines,
key order, quoting and spacing of everything it is not asked to change (tomllib, which the
scan reads with, forgets all of that)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcpscan.fix.interface import DocumentEditor, Edit, FixError, KeyPath


class TomlEditor(DocumentEditor):
    def apply(self, text: str, edits: Sequence[Edit], *, file: str) -> str:
        import tomlkit
        from tomlkit.exceptions import TOMLKitError

        try:
            document = tomlkit.parse(text)
        except TOMLKitError as exc:
            # tomlkit's message names a line and column, never the text there.
            raise FixError(
                f"tomlkit cannot read this file: {type(exc).__name__}", file=file
            ) from None
        if tomlkit.dumps(document) != text:
            raise FixError("this TOML file does not round-trip through tomlkit", file=file)
        for edit in edits:
            try:
                _apply(document, edit, file)
            except (KeyError, IndexError, TypeError, TOMLKitError):
                raise FixError(f"{_show(edit.path)} could not be edited", file=file) from None
        return tomlkit.dumps(document)


def _show(path: KeyPath) -> str:
    return ".".join(str(p) for p in path) or "the top level"


def _apply(document: Any, edit: Edit, file: str) -> None:
    if edit.op == "replace":
        if not edit.path:
            raise FixError("the whole document cannot be replaced", file=file)
        parent = _walk(document, edit.path[:-1])
        parent[edit.path[-1]] = edit.value
        return
    container = _walk(document, edit.path)
    if edit.op == "add":
        if edit.key is None or edit.key in container:
            raise FixError(f"{_show(edit.path)} already has '{edit.key}'", file=file)
        container[edit.key] = edit.value
    elif edit.op == "append":
        container.append(edit.value)
    elif edit.op == "remove":
        if edit.key is None or edit.key not in container:
            raise FixError(f"{_show(edit.path)} has no '{edit.key}'", file=file)
        del container[edit.key]


def _walk(document: Any, path: KeyPath) -> Any:
    node = document
    for part in path:
        node = node[part]
    return node
