"""Finished dependency graphs on disk, so a warm or ``--offline`` rescan skips resolution.

Rebuilding a graph from cached registry documents still means reading and deciding over
hundreds of them; reusing the finished graph costs one small file. An entry lives as long as
the documents it was built from would (the HTTP layer's TTL, any age offline), and its key
covers everything the graph depends on: the resolver's settings and roots, mcpscan's version
and the shape of the graph model, so a change to any of them reads as a miss.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from mcpscan import __version__
from mcpscan.models import Graph
from mcpscan.net.http import HttpClient
from mcpscan.net.store import DocumentStore, resolutions


class GraphCache:
    """The cached graph of one resolver for one set of roots."""

    def __init__(self, store: DocumentStore, key: str) -> None:
        self.store = store
        self.key = key

    @classmethod
    def for_roots(
        cls, client: HttpClient, ecosystem: str, settings: Mapping[str, Any]
    ) -> GraphCache | None:
        """The cache entry for a resolution described by ``settings`` (JSON-able: the
        resolver's registry, target and roots); None with --no-cache."""
        store = client.document_store(resolutions(ecosystem), shape=_model_shape())
        if store is None:
            return None
        text = json.dumps({"version": __version__, **settings}, sort_keys=True)
        return cls(store, hashlib.sha256(text.encode()).hexdigest())

    def load(self) -> Graph | None:
        """The stored graph while it is fresh; None when absent, stale or damaged."""
        entry = self.store.load(self.key)
        if entry is None or not entry.fresh:
            return None
        try:
            found = _decode(Graph, entry.payload)
        except (KeyError, TypeError, ValueError):
            return None
        return found if isinstance(found, Graph) else None

    def save(self, graph: Graph) -> None:
        self.store.save(self.key, _encode(graph))


def cached(cache: GraphCache | None, resolve: Callable[[], Graph]) -> Graph:
    """The graph ``cache`` holds while it is fresh; else ``resolve()``, kept for the next
    scan (``cache`` None: --no-cache)."""
    found = cache.load() if cache is not None else None
    if found is None:
        found = resolve()
        if cache is not None:
            cache.save(found)
    return found


@cache
def _model_shape() -> str:
    """Every field name and type reachable from Graph: a changed model is a new shape."""
    seen: dict[str, list[list[str]]] = {}
    pending: list[type[Any]] = [Graph]
    while pending:
        cls = pending.pop()
        if cls.__name__ in seen:
            continue
        hints = typing.get_type_hints(cls)
        seen[cls.__name__] = [[f.name, str(hints[f.name])] for f in dataclasses.fields(cls)]
        pending.extend(
            t
            for h in hints.values()
            for t in _leaf_types(h)
            if isinstance(t, type) and dataclasses.is_dataclass(t)
        )
    text = json.dumps(seen, sort_keys=True)
    return "graph-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _leaf_types(hint: Any) -> list[Any]:
    args = typing.get_args(hint)
    if not args:
        return [hint]
    return [leaf for arg in args for leaf in _leaf_types(arg)]


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def _decode(hint: Any, data: Any) -> Any:
    """``data`` (from JSON) as the type ``hint`` names; TypeError/ValueError/KeyError when
    it does not fit."""
    return _decoder(hint)(data)


Decoder = Callable[[Any], Any]


@cache
def _decoder(hint: Any) -> Decoder:
    """A decoder for ``hint``, built once per type: a graph has thousands of nodes."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [_decoder(o) for o in typing.get_args(hint) if o is not type(None)]
        nullable = type(None) in typing.get_args(hint)

        def union(data: Any) -> Any:
            if data is None and nullable:
                return None
            for option in options:
                try:
                    return option(data)
                except (TypeError, ValueError, KeyError):
                    continue
            raise ValueError(f"{data!r} fits none of {hint}")

        return union
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])

            def homogeneous(data: Any) -> Any:
                if not isinstance(data, list):
                    raise TypeError("expected a list")
                return tuple(item(v) for v in data)

            return homogeneous
        items = [_decoder(a) for a in args]

        def fixed(data: Any) -> Any:
            if not isinstance(data, list):
                raise TypeError("expected a list")
            return tuple(dec(v) for dec, v in zip(items, data, strict=True))

        return fixed
    if origin is not None:
        raise TypeError(f"unsupported field type {hint}")
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        fields = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(hint)]
        cls = hint

        def record(data: Any) -> Any:
            if not isinstance(data, dict):
                raise TypeError(f"expected an object for {cls.__name__}")
            return cls(**{name: dec(data[name]) for name, dec in fields})

        return record
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if hint is Any or hint is object:
        return _same
    if hint is float:
        return _number
    if isinstance(hint, type):
        exact = hint

        def plain(data: Any) -> Any:
            if not isinstance(data, exact) or (exact is int and isinstance(data, bool)):
                raise TypeError(f"{data!r} is not a {exact.__name__}")
            return data

        return plain
    raise TypeError(f"unsupported field type {hint}")


def _same(data: Any) -> Any:
    return data


def _number(data: Any) -> float:
    if isinstance(data, bool) or not isinstance(data, int | float):
        raise TypeError(f"{data!r} is not a number")
    return float(data)
