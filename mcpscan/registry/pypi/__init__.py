"""PyPI metadata: the client (:mod:`.client`) over the Simple index (:mod:`.simple`), the
JSON API documents (:mod:`.documents`), core metadata (:mod:`.metadata`), and the reputation
facts read from them (:mod:`.facts`)."""

from mcpscan.registry.pypi.client import PypiRegistry
from mcpscan.registry.pypi.metadata import CoreMetadata, MetadataUnavailable, parse_metadata
from mcpscan.registry.pypi.simple import SIMPLE_ACCEPT, SIMPLE_JSON, DistFile, ProjectIndex
from mcpscan.registry.pypi.urls import derive_json_url

__all__ = [
    "SIMPLE_ACCEPT",
    "SIMPLE_JSON",
    "CoreMetadata",
    "DistFile",
    "MetadataUnavailable",
    "ProjectIndex",
    "PypiRegistry",
    "derive_json_url",
    "parse_metadata",
]
