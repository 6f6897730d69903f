"""YAML (Continue, Goose) to :class:`Node`, keeping lines, with SafeLoader only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcpscan._internal.nodes import DuplicateHook, ErrorFactory, Node
from mcpscan.errors import InputError, McpscanError

if TYPE_CHECKING:
    import yaml

MAX_DEPTH = 128
# Aliases let a tiny file expand into a huge tree ("billion laughs"); real configs are far
# below this.
MAX_NODES = 200_000
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


def parse(
    text: str,
    *,
    file: str = "<text>",
    error: ErrorFactory = InputError,
    on_duplicate: DuplicateHook | None = None,
) -> Node:
    """Parse one YAML document; a syntax error or a refused construct raises ``error``. A
    repeated key keeps its last value (as SafeLoader does) and is told to ``on_duplicate``."""
    import yaml

    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)
        root = loader.get_single_node()
        if root is None:
            raise error("empty document", file=file, line=1)
        return _Converter(loader, file, error, on_duplicate).convert(root, 0)
    except yaml.MarkedYAMLError as err:
        raise _yaml_error(err, file, error) from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        raise error(f"{err.reason} at line {line}", file=file, line=line) from None
    finally:
        if loader is not None:
            loader.dispose()


def _yaml_error(err: yaml.MarkedYAMLError, file: str, error: ErrorFactory) -> McpscanError:
    # str(err) quotes the offending source line, which may hold a secret: rebuild the
    # message from the problem description and position only.
    mark = err.problem_mark or err.context_mark
    what = "; ".join(part for part in (err.context, err.problem) if part) or "invalid YAML"
    if mark is None:
        return error(what, file=file)
    line = mark.line + 1
    return error(f"{what} at line {line}, column {mark.column + 1}", file=file, line=line)


class _Converter:
    def __init__(
        self,
        loader: yaml.SafeLoader,
        file: str,
        error: ErrorFactory,
        on_duplicate: DuplicateHook | None,
    ) -> None:
        self.loader = loader
        self.file = file
        self.error = error
        self.on_duplicate = on_duplicate
        self.count = 0

    def convert(self, node: yaml.Node, depth: int) -> Node:
        import yaml

        line = node.start_mark.line + 1
        start, end = node.start_mark.index, node.end_mark.index
        self.count += 1
        if depth > MAX_DEPTH:
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels", file=self.file, line=line)
        if self.count > MAX_NODES:
            raise self.error(
                f"more than {MAX_NODES} values (alias expansion?)", file=self.file, line=line
            )
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            # SafeLoader would refuse to build this (e.g. !!python/object); so do we.
            raise self.error(
                f"could not determine a constructor for the tag at line {line}",
                file=self.file,
                line=line,
            )
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # resolve "<<" merge keys as SafeLoader does
            members: dict[str, Node] = {}
            for key_node, value_node in node.value:
                key = _key_text(self._scalar(key_node))
                child = self.convert(value_node, depth + 1)
                key_line = key_node.start_mark.line + 1
                if key in members and self.on_duplicate is not None:
                    self.on_duplicate(key_line, key)
                members[key] = Node(child.value, key_line, child.start, child.end)
            return Node(members, line, start, end)
        if isinstance(node, yaml.SequenceNode):
            items = [self.convert(item, depth + 1) for item in node.value]
            return Node(items, line, start, end)
        return Node(self._scalar(node), line, start, end)

    def _scalar(self, node: yaml.Node) -> object:
        import yaml

        if not isinstance(node, yaml.ScalarNode):
            return "<complex key>"
        try:
            value = self.loader.construct_object(node)
        except ValueError:  # e.g. a timestamp-shaped value that is not a real date
            return str(node.value)
        if isinstance(value, (str, int, float, bool)) or value is None:
            return value
        # Dates and binary are not values any client reads: keep their spelling.
        return str(node.value)


def _key_text(key: object) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)
