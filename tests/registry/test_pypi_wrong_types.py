"""PyPI documents with a field of the wrong type, served over the local registry: the
registry's error naming the document and field, or that field taken as "not given" -- never
an internal error. Each case takes a real recorded document and breaks one field."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mcpscan.errors import McpscanError, RegistryError
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.registry.pypi import PypiRegistry
from tests.fixtures.pypi.server import FIXTURES, SIMPLE_JSON, SyntheticIndex, serve_recorded
from tests.support.registry_server import RegistryServer, Route

WRONG: tuple[object, ...] = ("x", 7, None, True, [], {}, [7], {"a": 1})
PROJECT = "mcp-server-time"
WHEEL = "mcp_server_time-2026.10.19-py3-none-any.whl"


def _registry(server: RegistryServer) -> PypiRegistry:
    client = HttpClient(HttpConfig(cache_dir=None, retries=0, backoff=0, timeout=5))
    return PypiRegistry(client, f"{server.url}/simple", f"{server.url}/pypi")


def _broken(doc: dict[str, Any], keys: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``doc`` with each field named in ``keys`` (a nested selection) replaced by each
    wrong-typed value, and deleted."""

    def paths(
        node: dict[str, Any], select: dict[str, Any], prefix: tuple[str, ...]
    ) -> Iterator[tuple[str, ...]]:
        for key, sub in select.items():
            yield (*prefix, key)
            if isinstance(sub, dict) and isinstance(node.get(key), dict):
                yield from paths(node[key], sub, (*prefix, key))

    for path in paths(doc, keys, ()):
        for value in (*WRONG, KeyError):
            changed = copy.deepcopy(doc)
            parent = changed
            for key in path[:-1]:
                parent = parent[key]
            if value is KeyError:
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = value
            yield f"{'.'.join(path)}={value!r}", changed


def _facts(server: RegistryServer) -> object:
    registry = _registry(server)
    file = next(f for f in registry.index(PROJECT).files if f.filename == WHEEL)
    return registry.facts(file, registry.metadata(file), pth_files=())


def _all_facts(server: RegistryServer) -> None:
    registry = _registry(server)
    for file in registry.index(PROJECT).files:
        registry.facts(file, None, pth_files=())


def _problem(read: Callable[[], object]) -> str | None:
    """mcpscan's own error message, or None when the document was read; anything else (an
    internal error) propagates and fails the test."""
    try:
        read()
    except McpscanError as exc:
        return str(exc)
    return None


@pytest.mark.timeout(120)
def test_a_json_api_document_with_any_field_of_the_wrong_type_is_read_or_an_error(
    registry_server: RegistryServer,
) -> None:
    serve_recorded(registry_server)
    real = json.loads((FIXTURES / "pypi" / f"{PROJECT}.json").read_text())
    info = dict.fromkeys(real["info"], None)
    for label, doc in _broken(
        real,
        {
            "info": info,
            "releases": None,
            "ownership": {"roles": None, "organization": None},
            "urls": None,
        },
    ):
        registry_server.add(f"/pypi/{PROJECT}/json", json.dumps(doc))
        problem = _problem(lambda: _facts(registry_server))
        assert problem is None or PROJECT in problem, label


def _simple_page() -> dict[str, Any]:
    page: dict[str, Any] = json.loads((FIXTURES / "simple" / f"{PROJECT}.json").read_text())
    return page


@pytest.mark.parametrize("meta", ["x", 7, True, [], ["1.0"]])
def test_a_simple_page_whose_meta_is_not_an_object_is_an_error_naming_it(
    registry_server: RegistryServer, meta: object
) -> None:
    page = {**_simple_page(), "meta": meta}
    registry_server.add(
        f"/simple/{PROJECT}/", Route(body=json.dumps(page).encode(), content_type=SIMPLE_JSON)
    )
    with pytest.raises(RegistryError, match=rf"{PROJECT}.*'meta' is not an object"):
        _registry(registry_server).index(PROJECT)


@pytest.mark.timeout(120)
def test_a_simple_page_with_any_field_of_the_wrong_type_is_read_or_an_error(
    registry_server: RegistryServer,
) -> None:
    serve_recorded(registry_server)
    real = _simple_page()
    entry = dict.fromkeys(real["files"][0], None)
    selection = {"meta": {"api-version": None}, "name": None, "versions": None, "files": None}
    cases = list(_broken(real, selection))
    for index in (0, 1):
        for label, changed in _broken(real["files"][index], entry):
            cases.append(
                (
                    f"files[{index}].{label}",
                    {
                        **real,
                        "files": [
                            changed if i == index else f for i, f in enumerate(real["files"])
                        ],
                    },
                )
            )
    for label, page in cases:
        registry_server.add(
            f"/simple/{PROJECT}/", Route(body=json.dumps(page).encode(), content_type=SIMPLE_JSON)
        )
        problem = _problem(lambda: _all_facts(registry_server))
        assert problem is None or PROJECT in problem, label


@pytest.mark.timeout(120)
def test_json_api_info_read_as_sdist_metadata_takes_a_wrong_type_as_not_given(
    registry_server: RegistryServer,
) -> None:
    url = SyntheticIndex(registry_server).add("demo", "2.0", tags=(), sdist="dynamic").publish()
    real = json.loads((FIXTURES / "pypi" / f"{PROJECT}.json").read_text())["info"]
    base = {**real, "name": "demo", "version": "2.0", "requires_dist": ["idna>=3"]}
    for key in sorted(set(base) - {"name", "version", "requires_dist"}):
        for value in WRONG:
            registry_server.add(
                "/pypi/demo/json", json.dumps({"info": {**base, key: value}, "releases": {}})
            )
            registry = PypiRegistry(HttpClient(HttpConfig(cache_dir=None, retries=0)), url)
            (sdist,) = registry.index("demo").files
            metadata = registry.metadata(sdist)
            assert metadata.requires_dist == ("idna>=3",), (key, value)
            if key == "provides_extra":
                assert metadata.provides_extra == (), value
