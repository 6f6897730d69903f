"""PyPI metadata client: the Simple index (PEP 503 HTML / PEP 691 JSON), the JSON API, and
the core metadata of one distribution file.

Mirrors differ in what they serve, so the core metadata of a file is taken from the first
source that has it, cheapest first, and the source is recorded:

1. ``pep658``   the ``<file>.metadata`` the index advertises (PEP 658/714), digest-checked;
2. ``range``    a wheel's ``.dist-info/METADATA`` read with HTTP range requests;
3. ``download`` the whole wheel, when the server ignores ``Range``;
4. ``json``     for an sdist, the JSON API (``/pypi/<name>/json`` when it is the latest
                version, else ``/pypi/<name>/<version>/json``), which describes the release
                rather than one file and so is not trusted over a wheel's own metadata;
5. ``sdist``    an sdist's PKG-INFO read from the archive as data, trusted only when it is
                static (PEP 643) or lists its requirements; nothing is ever built.

Facts read from artifacts (METADATA, the .pth files a wheel installs) are cached on disk by
the artifact's sha256, which never changes for a published file, so warm and ``--offline``
scans need no range requests.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar, overload
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from mcpscan.errors import RegistryError
from mcpscan.models import PackageFacts
from mcpscan.net.http import HttpResponse, NotFoundError, loads_json
from mcpscan.net.store import PYPI_ARTIFACTS, PYPI_DOCUMENTS
from mcpscan.registry.interface import PackageNotFound, RegistryClient
from mcpscan.registry.wheel import (
    ArchiveError,
    WheelContents,
    download_sdist_pkg_info,
    read_remote_wheel,
)

if TYPE_CHECKING:  # pragma: no cover
    from packaging.tags import Tag
    from packaging.version import Version

    from mcpscan.net.http import HttpClient

K = TypeVar("K")
V = TypeVar("V")

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_ACCEPT = (
    f"{SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
)
_SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip")
_MCP_NAME = re.compile(r"mcp-name:\s*([A-Za-z0-9][A-Za-z0-9.\-_]*/[A-Za-z0-9][A-Za-z0-9.\-_/]*)")
# PEP 753 well-known labels (normalised: lowercase, no punctuation or spaces), best first.
_SOURCE_LABELS = ("source", "sourcecode", "repository", "code", "github", "gitlab")
_HOME_LABELS = ("homepage", "home")
_FORGES = ("github.com", "gitlab.com")
_USERINFO = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


class MetadataUnavailable(RegistryError):
    """No trustworthy core metadata exists for a file without building it."""


# -- data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistFile:
    """One file of one release, as the index lists it."""

    project: str  # canonical name
    filename: str
    url: str  # absolute, without the #hash fragment
    version: Version
    version_text: str  # as spelled in the filename (the JSON API's URL key)
    kind: str  # "wheel" or "sdist"
    hashes: tuple[tuple[str, str], ...] = ()  # (algorithm, lowercase hex), sorted
    requires_python: str | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    size: int | None = None
    upload_time: str | None = None
    metadata_file: bool = False  # PEP 658 <url>.metadata is served
    metadata_hashes: tuple[tuple[str, str], ...] = ()

    @property
    def sha256(self) -> str | None:
        return dict(self.hashes).get("sha256")

    # Tags are parsed on first use: a project page can list 15,000 wheels, and only the
    # versions the resolver looks at need them.
    @cached_property
    def tags(self) -> frozenset[Tag]:
        return self._wheel_parts[1]

    @cached_property
    def build(self) -> tuple[int, str] | tuple[()]:
        return self._wheel_parts[0]

    @cached_property
    def _wheel_parts(self) -> tuple[tuple[int, str] | tuple[()], frozenset[Tag]]:
        from packaging.utils import InvalidWheelFilename, parse_wheel_filename
        from packaging.version import InvalidVersion

        if self.kind != "wheel":
            return (), frozenset()
        try:
            _, _, build, tags = parse_wheel_filename(self.filename)
        except (InvalidWheelFilename, InvalidVersion):
            return (), frozenset()  # no tag: never installable
        return build, tags


class _Listing(NamedTuple):
    """One file of an index page: what a DistFile is made of, as one flat tuple (a page can
    list 15,000 files, and a dict or a dataclass per file costs several times as much)."""

    version: Version
    version_text: str
    kind: str
    filename: str
    url: str
    hashes: tuple[tuple[str, str], ...]
    requires_python: str | None
    yanked: bool
    yanked_reason: str | None
    size: int | None
    upload_time: str | None
    metadata_file: bool
    metadata_hashes: tuple[tuple[str, str], ...]


class ProjectIndex:
    """A project's index page. Files are parsed per version on first use: a page can list
    15,000 wheels, and a resolution looks at a few versions."""

    def __init__(self, name: str, url: str, api: str, listings: Sequence[_Listing]) -> None:
        self.name = name  # canonical
        self.url = url
        self.api = api  # "json" (PEP 691) or "html" (PEP 503)
        self._listings = tuple(listings)
        self._lock = threading.Lock()
        self._by_version: dict[Version, tuple[DistFile, ...]] = {}

    @cached_property
    def versions(self) -> tuple[Version, ...]:
        return tuple(sorted({entry.version for entry in self._listings}))

    @property
    def listings(self) -> tuple[_Listing, ...]:
        return self._listings

    def files_of(self, version: Version) -> tuple[DistFile, ...]:
        with self._lock:
            known = self._by_version.get(version)
        if known is None:
            known = tuple(_dist_file(self.name, e) for e in self._listings
                          if e.version == version)
            with self._lock:
                self._by_version[version] = known
        return known

    @property
    def files(self) -> tuple[DistFile, ...]:
        return tuple(f for v in self.versions for f in self.files_of(v))

    def upload_times(self) -> list[str]:
        return [e.upload_time for e in self._listings if e.upload_time]


@dataclass(frozen=True)
class CoreMetadata:
    """The parts of a distribution's core metadata that resolution and reputation use."""

    name: str
    version: str
    requires_dist: tuple[str, ...]
    requires_python: str | None
    source: str  # "json", "pep658", "range", "download", "sdist"
    provides_extra: tuple[str, ...] = ()
    license: str | None = None
    project_urls: tuple[tuple[str, str], ...] = ()
    home_page: str | None = None
    mcp_name: str | None = None


def derive_json_url(index_url: str) -> str | None:
    """``https://host/simple`` -> ``https://host/pypi`` (the JSON API next to the index)."""
    parts = urlsplit(index_url.rstrip("/"))
    if not parts.path.endswith("/simple"):
        return None
    return urlunsplit(parts._replace(path=parts.path[: -len("simple")] + "pypi"))


def redact_urls(text: str) -> str:
    """``text`` with the user:password part of every URL in it removed."""
    return _USERINFO.sub(r"\1", text)


def display_url(url: str) -> str:
    """``url`` without user:password, for messages (index URLs may embed credentials)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


# -- the client ----------------------------------------------------------------------------


class PypiRegistry(RegistryClient):
    """Reads a PyPI-compatible index through :class:`~mcpscan.net.http.HttpClient`.

    ``index_url`` is the Simple index base (``https://pypi.org/simple``). ``json_url`` is the
    JSON API base (``https://pypi.org/pypi``); ``None`` derives it from an index URL ending
    in ``/simple``, and ``""`` says the index has no JSON API.
    """

    ecosystem = "pypi"

    def __init__(self, client: HttpClient, index_url: str, json_url: str | None = None) -> None:
        self.client = client
        self.index_url = index_url.rstrip("/")
        self.base_url = self.index_url
        derived = derive_json_url(self.index_url) if json_url is None else json_url
        self.json_url = derived.rstrip("/") if derived else None
        self._indexes: _Memo[str, ProjectIndex] = _Memo()
        self._documents: _Memo[str, dict[str, Any] | None] = _Memo()
        self._metadata: _Memo[str, CoreMetadata] = _Memo()
        self._wheels: _Memo[str, WheelContents] = _Memo()
        self._per_version_json = True  # cleared once the mirror shows it lacks the endpoint
        self._store = client.document_store(PYPI_DOCUMENTS, shape=_STORE_SHAPE)
        # What one artifact holds is named by its sha256, so it never goes stale.
        self._artifacts = client.document_store(PYPI_ARTIFACTS, shape=_ARTIFACT_SHAPE,
                                                immutable=True)

    # -- index -----------------------------------------------------------------------------

    def index(self, name: str) -> ProjectIndex:
        """Every file of ``name`` the index lists. Raises PackageNotFound."""
        from packaging.utils import canonicalize_name

        project = canonicalize_name(name)
        return self._indexes.get(project, lambda: self._fetch_index(project))

    def _fetch_index(self, project: str) -> ProjectIndex:
        url = f"{self.index_url}/{project}/"

        def reduce(resp: HttpResponse) -> ProjectIndex | PackageNotFound:
            ctype = resp.content_type.split(";")[0].strip().lower()
            if ctype in (SIMPLE_JSON, "application/json"):
                listings = _parse_simple_json(resp.content, url, project)
                api = "json"
            else:
                listings = _parse_simple_html(resp.content, url, project)
                api = "html"
            return ProjectIndex(project, url, api, listings)

        found = self.client.get_reduced(
            url,
            self._store,
            reduce=reduce,
            encode=_encode_index,
            restore=lambda payload: _restore_index(project, url, payload),
            missing=lambda: PackageNotFound(
                f"{project} is not on the index {display_url(self.index_url)}"
            ),
            headers={"Accept": SIMPLE_ACCEPT},
            variant="simple",
        )
        if isinstance(found, PackageNotFound):
            raise found
        return found

    # -- JSON API --------------------------------------------------------------------------

    def package(self, name: str) -> dict[str, Any]:
        """The JSON API document of ``name``, trimmed to what metadata and facts read (see
        :func:`_trim_document`). Raises PackageNotFound."""
        if self.json_url is None:
            raise RegistryError(f"{display_url(self.index_url)} has no JSON API configured")
        doc = self.project_json(name)
        if doc is None:
            raise PackageNotFound(f"{name} is not on {display_url(self.json_url)}")
        return doc

    def project_json(self, name: str) -> dict[str, Any] | None:
        """The JSON API document, or None when the index has no JSON API for it."""
        from packaging.utils import canonicalize_name

        if self.json_url is None:
            return None
        project = canonicalize_name(name)
        return self._documents.get(project, lambda: self._fetch_document(project))

    def _fetch_document(self, project: str) -> dict[str, Any] | None:
        # Missing or malformed (a mirror's HTML error page): the facts it would give are
        # unknown, which the rules report as such. Network failures still propagate.
        try:
            return self.client.get_reduced(
                f"{self.json_url}/{project}/json",
                self._store,
                reduce=_reduce_document,
                encode=lambda doc: {"doc": doc},
                restore=_restore_document,
                missing=lambda: None,
                variant="json",
            )
        except RegistryError:
            return None

    # -- core metadata ---------------------------------------------------------------------

    def metadata(self, file: DistFile) -> CoreMetadata:
        """Core metadata of ``file`` from the cheapest source that has it.

        Raises MetadataUnavailable (an sdist whose requirements are only known by building
        it), IntegrityError (bytes that do not match the index's digest), ArchiveError.
        """
        return self._metadata.get(file.url, lambda: self._find_metadata(file))

    def _find_metadata(self, file: DistFile) -> CoreMetadata:
        if file.metadata_file:
            found = self._pep658_metadata(file)
            if found is not None:
                return found
        if file.kind == "wheel":
            contents = self.wheel_contents(file)
            return parse_metadata(contents.metadata, source=contents.via)
        # The JSON API describes a release, not a file: Warehouse keeps the metadata of the
        # first file uploaded, which can differ from a wheel's own (pydantic 2.14.4 on the
        # mirror: JSON says pydantic-core==2.50.2, the wheel and pip say ==2.50.5). So it is
        # used only for an sdist, where the alternative is downloading the archive.
        found = self._json_metadata(file)
        if found is not None:
            return found
        return self._sdist_metadata(file)

    def _json_metadata(self, file: DistFile) -> CoreMetadata | None:
        from packaging.version import InvalidVersion, Version

        if self.json_url is None:
            return None
        doc = self.project_json(file.project)
        if doc is not None:
            info = doc["info"]
            try:
                latest = Version(str(info.get("version")))
            except InvalidVersion:
                latest = None
            if latest == file.version:
                found = _metadata_from_info(info)
                if found is not None:
                    return found
        if not self._per_version_json:
            return None
        url = f"{self.json_url}/{file.project}/{file.version_text}/json"
        try:
            version_doc = self.client.get_json(url)
        except NotFoundError:
            # The index lists this version, so a 404 means the mirror lacks the endpoint.
            self._per_version_json = False
            return None
        info = version_doc.get("info") if isinstance(version_doc, dict) else None
        return _metadata_from_info(info) if isinstance(info, dict) else None

    def _pep658_metadata(self, file: DistFile) -> CoreMetadata | None:
        import hashlib

        from mcpscan.registry.wheel import IntegrityError

        try:
            data = self.client.get(file.url + ".metadata").content
        except NotFoundError:
            return None
        expected = dict(file.metadata_hashes).get("sha256")
        if expected and hashlib.sha256(data).hexdigest() != expected:
            raise IntegrityError(
                f"{file.filename}.metadata does not match the index's sha256 {expected}"
            )
        return parse_metadata(data, source="pep658")

    def _sdist_metadata(self, file: DistFile) -> CoreMetadata:
        cached = self._cache_read(file, "sdist")
        if cached is not None:
            pkg_info = base64.b64decode(cached["metadata"])
        else:
            pkg_info = download_sdist_pkg_info(
                self.client, file.url, file.filename, sha256=file.sha256
            )
            self._cache_write(file, "sdist", {"metadata": base64.b64encode(pkg_info).decode()})
        meta = parse_metadata(pkg_info, source="sdist")
        raw, _ = _parse_email(pkg_info)
        dynamic = {d.lower() for d in raw.get("dynamic", [])}
        static = _metadata_version(raw) >= (2, 2) and "requires-dist" not in dynamic
        if not (static or meta.requires_dist):
            raise MetadataUnavailable(
                f"{file.filename}: its requirements are only known by building it "
                "(PKG-INFO is not static), and mcpscan never builds packages"
            )
        return meta

    # -- wheel contents --------------------------------------------------------------------

    def wheel_contents(self, file: DistFile) -> WheelContents:
        """METADATA and .pth files of a wheel (range requests, disk-cached by sha256)."""
        if file.kind != "wheel":
            raise ArchiveError(f"{file.filename} is not a wheel")
        return self._wheels.get(file.url, lambda: self._read_wheel(file))

    def _read_wheel(self, file: DistFile) -> WheelContents:
        cached = self._cache_read(file, "wheel")
        if cached is not None:
            return WheelContents(
                metadata=base64.b64decode(cached["metadata"]),
                pth_files=tuple(cached["pth_files"]),
                via=str(cached["via"]),
            )
        contents = read_remote_wheel(
            self.client, file.url, project=file.project, size=file.size, sha256=file.sha256
        )
        self._cache_write(
            file,
            "wheel",
            {
                "metadata": base64.b64encode(contents.metadata).decode(),
                "pth_files": list(contents.pth_files),
                "via": contents.via,
            },
        )
        return contents

    def _cache_read(self, file: DistFile, kind: str) -> dict[str, Any] | None:
        sha = _content_key(file)
        entry = self._artifacts.load(sha, kind) if self._artifacts and sha else None
        data = entry.payload if entry is not None else None
        return data if isinstance(data, dict) and "metadata" in data else None

    def _cache_write(self, file: DistFile, kind: str, data: dict[str, Any]) -> None:
        sha = _content_key(file)
        if self._artifacts is not None and sha:
            self._artifacts.save(sha, data, variant=kind)

    # -- reputation facts ------------------------------------------------------------------

    def facts(
        self,
        file: DistFile,
        metadata: CoreMetadata | None,
        *,
        pth_files: tuple[str, ...] | None = None,
    ) -> PackageFacts:
        """Registry facts about the chosen ``file``; ``None`` fields are unknown."""
        doc = self.project_json(file.project)
        info: Mapping[str, Any] = doc["info"] if doc is not None else {}
        files = doc.get("files") if doc is not None else None
        json_entry = files.get(file.filename) if isinstance(files, dict) else None
        if not isinstance(json_entry, list | tuple) or len(json_entry) != 2:
            json_entry = (None, None)  # a stored entry comes back as a list
        info_is_this_version = str(info.get("version", "")) == file.version_text
        urls = list(metadata.project_urls) if metadata is not None else []
        home = metadata.home_page if metadata is not None else None
        if not urls and info_is_this_version:
            urls = _url_pairs(info.get("project_urls"))
            home = home or _text(info.get("home_page"))
        mcp_name = metadata.mcp_name if metadata is not None else None
        if mcp_name is None and info_is_this_version:
            mcp_name = _mcp_name(_text(info.get("description")))
        license_ = metadata.license if metadata is not None else None
        size = file.size if file.size is not None else _int(json_entry[0])
        created = _text(doc.get("created")) if doc is not None else None
        return PackageFacts(
            published=file.upload_time or _text(json_entry[1]),
            package_created=created or _earliest(self.index(file.project).upload_times()),
            maintainers=_owners(doc),
            repository=_repository(urls, home),
            homepage=_homepage(urls, home),
            license=license_,
            yanked=(file.yanked_reason or "") if file.yanked else None,
            pth_files=pth_files,
            sdist_only=file.kind == "sdist",
            mcp_name=mcp_name,
            artifact_url=file.url,
            artifact_size=size,
            metadata_source=metadata.source if metadata is not None else None,
        )


# -- JSON API trimming ---------------------------------------------------------------------

# A project's JSON document lists every file of every release with its digests and URL, and
# the README: 12 MB for pydantic-core, over 100 MB once decoded. Only these parts are read.
_INFO_KEYS = ("name", "version", "requires_dist", "requires_python", "provides_extra",
              "license", "license_expression", "classifiers", "project_urls", "home_page")


class _ReleaseFile(NamedTuple):
    filename: str
    size: Any
    upload_time: Any


def _trim_release_file(obj: dict[str, Any]) -> Any:
    """json object hook: one file of a release, reduced as soon as it is decoded."""
    if isinstance(obj.get("filename"), str) and "packagetype" in obj:
        return _ReleaseFile(obj["filename"], obj.get("size"), obj.get("upload_time_iso_8601"))
    return obj


def _reduce_document(resp: HttpResponse) -> dict[str, Any] | None:
    """The trimmed JSON API document, or None when the answer is not one."""
    ctype = resp.content_type.lower()
    if "html" in ctype or "xml" in ctype:
        return None
    try:
        doc = loads_json(resp.content, object_hook=_trim_release_file)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("info"), dict):
        return None
    return _trim_document(doc)


def _restore_document(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    doc = payload["doc"]
    if doc is not None and not (isinstance(doc, dict) and isinstance(doc.get("info"), dict)):
        raise ValueError("not a stored JSON API document")
    return doc


def _trim_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON API document reduced to what metadata and facts read: ``info`` (its
    description kept only as the ``mcp-name:`` marker, its classifiers only the license
    ones), ``ownership``, the first upload time (``created``) and each file's size and
    upload time (``files``: filename -> [size, time])."""
    info = doc["info"]
    trimmed = {k: info[k] for k in _INFO_KEYS if k in info}
    if isinstance(trimmed.get("classifiers"), list):
        trimmed["classifiers"] = [c for c in trimmed["classifiers"]
                                  if isinstance(c, str) and c.startswith("License ::")]
    marker = _mcp_name(_text(info.get("description")))
    trimmed["description"] = f"mcp-name: {marker}" if marker else None
    releases = doc.get("releases")
    files: dict[str, tuple[int | None, str | None]] = {
        f.filename: (_int(f.size), _text(f.upload_time))
        for group in (releases.values() if isinstance(releases, dict) else ())
        if isinstance(group, list)
        for f in group
        if isinstance(f, _ReleaseFile)
    }
    created = _earliest(t for _, t in files.values() if t)
    return {"info": trimmed, "ownership": doc.get("ownership"), "created": created,
            "files": files}


# -- stored index pages ----------------------------------------------------------------------

# Bump when the stored layout of pages or documents changes: older files then read as misses.
_STORE_SHAPE = "pypi-3"
_ARTIFACT_SHAPE = "pypi-artifact-1"


def _content_key(file: DistFile) -> str | None:
    """The sha256 that names ``file``'s content, when the index gave a well-formed one."""
    sha = file.sha256
    return sha if sha and re.fullmatch(r"[0-9a-f]{64}", sha) else None


def _encode_index(found: ProjectIndex | PackageNotFound) -> dict[str, Any]:
    if isinstance(found, PackageNotFound):
        return {"missing": found.message}
    # The Version object is rebuilt from its text; tuples become lists.
    return {"api": found.api, "files": [list(e[1:]) for e in found.listings]}


def _restore_index(project: str, url: str, payload: Mapping[str, Any]
                   ) -> ProjectIndex | PackageNotFound:
    if "missing" in payload:
        return PackageNotFound(str(payload["missing"]))
    names = _NameCache(project)
    listings: list[_Listing] = []
    for (text, kind, filename, file_url, hashes, requires_python, yanked, yanked_reason, size,
         upload_time, metadata_file, metadata_hashes) in payload["files"]:
        version = names.version(text)
        if version is None:
            raise ValueError("not a stored index page")
        listings.append(_Listing(
            version, names.text(text), names.text(kind), filename, file_url,
            tuple((a, v) for a, v in hashes), names.text(requires_python), bool(yanked),
            yanked_reason, size, upload_time, bool(metadata_file),
            tuple((a, v) for a, v in metadata_hashes),
        ))
    return ProjectIndex(project, url, str(payload["api"]), listings)


# -- Simple index parsing ------------------------------------------------------------------


def _simple_file_hook(names: _NameCache) -> Callable[[dict[str, Any]], Any]:
    """json object hook: each PEP 691 file entry becomes a partial _Listing (every field
    but the version) as soon as it is decoded."""

    def hook(obj: dict[str, Any]) -> Any:
        url, filename = obj.get("url"), obj.get("filename")
        if not isinstance(url, str) or not isinstance(filename, str):
            return obj
        hashes = obj.get("hashes")
        yanked = obj.get("yanked", False)
        core = obj.get("core-metadata", obj.get("dist-info-metadata", False))
        return _PartialFile(
            filename, url, names.hash_pairs(hashes if isinstance(hashes, dict) else {}),
            names.text(_text(obj.get("requires-python"))), bool(yanked),
            (yanked if isinstance(yanked, str) else "") if yanked else None,
            _int(obj.get("size")), _text(obj.get("upload-time")), bool(core),
            names.hash_pairs(core if isinstance(core, dict) else {}),
        )

    return hook


class _PartialFile(NamedTuple):
    filename: str
    url: str
    hashes: tuple[tuple[str, str], ...]
    requires_python: str | None
    yanked: bool
    yanked_reason: str | None
    size: int | None
    upload_time: str | None
    metadata_file: bool
    metadata_hashes: tuple[tuple[str, str], ...]


def _parse_simple_json(content: bytes, page_url: str, project: str) -> list[_Listing]:
    names = _NameCache(project)
    try:
        doc = loads_json(content, object_hook=_simple_file_hook(names))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegistryError(f"{display_url(page_url)}: invalid JSON ({exc.__class__.__name__})"
                            ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
        raise RegistryError(f"{display_url(page_url)}: not a PEP 691 project page")
    api = str((doc.get("meta") or {}).get("api-version", "1.0"))
    if not api.startswith("1."):
        raise RegistryError(f"{display_url(page_url)}: unsupported Simple API version {api}")
    listings: list[_Listing] = []
    for entry in doc["files"]:
        if not isinstance(entry, _PartialFile):
            continue
        found = names.classify(entry.filename)
        if found is not None:
            version, text, kind, filename = found
            listings.append(_Listing(
                version, text, kind, filename, _absolute(page_url, entry.url), *entry[2:]
            ))
    return listings


def _parse_simple_html(content: bytes, page_url: str, project: str) -> list[_Listing]:
    parser = _AnchorParser()
    parser.feed(content.decode("utf-8", errors="replace"))
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    names = _NameCache(project)
    listings: list[_Listing] = []
    for attrs, text in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, fragment = urldefrag(urljoin(base, href))
        found = names.classify(_unquote(url.rsplit("/", 1)[-1] or text.strip()))
        if found is None:
            continue
        version, version_text, kind, filename = found
        marker = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        yanked = "data-yanked" in attrs
        listings.append(_Listing(
            version, version_text, kind, filename, url,
            names.hash_pairs(dict([_pair(fragment)]) if "=" in fragment else {}),
            names.text(_text(attrs.get("data-requires-python"))),
            yanked,
            (attrs.get("data-yanked") or "") if yanked else None,
            None,
            None,
            marker is not None and str(marker).lower() != "false",
            names.hash_pairs(dict([_pair(str(marker))]) if marker and "=" in str(marker) else {}),
        ))
    return listings


def _dist_file(project: str, listing: _Listing) -> DistFile:
    return DistFile(project=project, **listing._asdict())


def _pair(text: str) -> tuple[str, str]:
    algo, _, value = text.partition("=")
    return algo.lower(), value


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict[str, str], str]] = []
        self.base: str | None = None
        self._current: dict[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: ("" if v is None else v) for k, v in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "a":
            self._current = values
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._current is not None:
            self.anchors.append((self._current, "".join(self._text)))
            self._current = None


class _NameCache:
    """Parses one project page's filenames, each distinct name part and version once."""

    def __init__(self, project: str) -> None:
        self.project = project
        self._names: dict[str, bool] = {}
        self._versions: dict[str, Version | None] = {}
        self._texts: dict[str, str] = {}

    @overload
    def text(self, value: str) -> str: ...
    @overload
    def text(self, value: str | None) -> str | None: ...

    def text(self, value: str | None) -> str | None:
        """One copy of each repeated value (version texts, Requires-Python, algorithms)."""
        return self._texts.setdefault(value, value) if value is not None else None

    def hash_pairs(self, hashes: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        # Values are checked where they are used (digests, cache keys), not for 15,000 files.
        pairs = [(str(k).lower(), v.lower()) for k, v in hashes.items() if isinstance(v, str)]
        return tuple(sorted((self._texts.setdefault(a, a), v) for a, v in pairs))

    def _is_project(self, name_part: str) -> bool:
        from packaging.utils import canonicalize_name

        known = self._names.get(name_part)
        if known is None:
            known = self._names[name_part] = canonicalize_name(name_part) == self.project
        return known

    def version(self, text: str) -> Version | None:
        from packaging.version import InvalidVersion, Version

        if text not in self._versions:
            try:
                self._versions[text] = Version(text)
            except InvalidVersion:
                self._versions[text] = None
        return self._versions[text]

    def classify(self, filename: str) -> tuple[Version, str, str, str] | None:
        """(version, version text, kind, filename), or None for files pip would not consider
        (eggs, installers, another project's names, invalid versions)."""
        if filename.endswith(".whl"):
            parts = filename[:-4].split("-")
            if len(parts) not in (5, 6):
                return None
            kind, name_part, text = "wheel", parts[0], parts[1]
        else:
            suffix = next((x for x in _SDIST_SUFFIXES if filename.lower().endswith(x)), None)
            if suffix is None:
                return None
            name_part, sep, text = filename[: -len(suffix)].rpartition("-")
            if not sep:
                return None
            kind = "sdist"
        version = self.version(text)
        if version is None or not self._is_project(name_part):
            return None
        return version, self._texts.setdefault(text, text), kind, filename


def _absolute(page_url: str, url: str) -> str:
    return url if url.startswith(("https://", "http://")) else urljoin(page_url, url)


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


# -- core metadata parsing -----------------------------------------------------------------


def _parse_email(data: bytes) -> tuple[dict[str, Any], dict[str, list[str]]]:
    from packaging.metadata import parse_email

    raw, unparsed = parse_email(data)
    return dict(raw), unparsed


def parse_metadata(data: bytes, *, source: str) -> CoreMetadata:
    """Core metadata (METADATA / PKG-INFO / .metadata) parsed leniently, as pip reads it."""
    raw, _ = _parse_email(data)
    name, version = raw.get("name"), raw.get("version")
    if not name or not version:
        raise ArchiveError(f"core metadata ({source}) has no Name/Version")
    urls = raw.get("project_urls") or {}
    return CoreMetadata(
        name=str(name),
        version=str(version),
        requires_dist=tuple(raw.get("requires_dist") or ()),
        requires_python=_text(raw.get("requires_python")),
        source=source,
        provides_extra=tuple(raw.get("provides_extra") or ()),
        license=_license(
            _text(raw.get("license_expression")),
            _text(raw.get("license")),
            raw.get("classifiers") or (),
        ),
        project_urls=tuple((str(k), str(v)) for k, v in urls.items()),
        home_page=_text(raw.get("home_page")),
        mcp_name=_mcp_name(_text(raw.get("description"))),
    )


def _metadata_from_info(info: Mapping[str, Any]) -> CoreMetadata | None:
    """Metadata from a JSON API ``info`` object, when it can be trusted for resolution.

    Warehouse stores an empty Requires-Dist as null, the same null it shows for metadata it
    never parsed, so only a non-empty list is taken as the answer.
    """
    requires = info.get("requires_dist")
    if not (isinstance(requires, list) and requires and all(isinstance(r, str) for r in requires)):
        return None
    name, version = _text(info.get("name")), _text(info.get("version"))
    if not name or not version:
        return None
    return CoreMetadata(
        name=name,
        version=version,
        requires_dist=tuple(requires),
        requires_python=_text(info.get("requires_python")),
        source="json",
        provides_extra=tuple(info.get("provides_extra") or ()),
        license=_license(
            _text(info.get("license_expression")),
            _text(info.get("license")),
            info.get("classifiers") or (),
        ),
        project_urls=tuple(_url_pairs(info.get("project_urls"))),
        home_page=_text(info.get("home_page")),
        mcp_name=_mcp_name(_text(info.get("description"))),
    )


def _metadata_version(raw: Mapping[str, Any]) -> tuple[int, ...]:
    text = str(raw.get("metadata_version") or "1.0")
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (1, 0)


def _license(
    expression: str | None, text: str | None, classifiers: Iterable[str]
) -> str | None:
    if expression:
        return expression
    # Some projects paste the whole license text into License: that is not a name.
    if text and "\n" not in text.strip() and len(text) <= 100 and text.upper() != "UNKNOWN":
        return text.strip()
    names = [c.split("::")[-1].strip() for c in classifiers if c.startswith("License ::")]
    return ", ".join(n for n in names if n) or None


def _mcp_name(description: str | None) -> str | None:
    if not description:
        return None
    match = _MCP_NAME.search(description)
    return match.group(1).rstrip("/.") if match else None


# -- facts helpers -------------------------------------------------------------------------


def _label(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


def _url_pairs(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [(str(k), str(v)) for k, v in value.items() if isinstance(v, str)]
    return []


def _repository(urls: list[tuple[str, str]], home: str | None) -> str | None:
    """The declared source repository on GitHub/GitLab, as ``https://host/owner/repo``."""
    candidates: list[str] = []
    for wanted in (*_SOURCE_LABELS, *_HOME_LABELS):
        candidates.extend(url for label, url in urls if _label(label) == wanted)
    if home:
        candidates.append(home)
    for url in candidates:
        repo = _forge_repo(url)
        if repo is not None:
            return repo
    return None


def _forge_repo(url: str) -> str | None:
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    host = host[4:] if host.startswith("www.") else host
    if parts.scheme not in ("http", "https", "git+https") or host not in _FORGES:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return None
    repo = segments[1][:-4] if segments[1].endswith(".git") else segments[1]
    return f"https://{host}/{segments[0]}/{repo}"


def _homepage(urls: list[tuple[str, str]], home: str | None) -> str | None:
    for label, url in urls:
        if _label(label) in _HOME_LABELS:
            return url
    return home


def _owners(doc: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    """Accounts from the JSON API's ``ownership`` (users, and ``org:<name>`` for an owning
    organisation, whose members are not listed); None when the registry does not say."""
    ownership = doc.get("ownership") if doc is not None else None
    if not isinstance(ownership, dict) or not isinstance(ownership.get("roles"), list):
        return None
    owners = {
        str(role["user"])
        for role in ownership["roles"]
        if isinstance(role, dict) and isinstance(role.get("user"), str)
    }
    organization = ownership.get("organization")
    if isinstance(organization, str) and organization:
        owners.add(f"org:{organization}")
    return tuple(sorted(owners))


def _earliest(times: Iterable[str]) -> str | None:
    best: tuple[datetime, str] | None = None
    for text in times:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        if moment.tzinfo is None:
            from datetime import timezone

            moment = moment.replace(tzinfo=timezone.utc)
        if best is None or moment < best[0]:
            best = (moment, text)
    return best[1] if best else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# -- memoisation ---------------------------------------------------------------------------


class _Memo(Generic[K, V]):
    """Compute each key once across threads; later callers get the result or the error.

    The thread that first asks computes inline, so waiting on a key never waits on work
    that has not started (no deadlock between prefetch workers).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[K, Future[V]] = {}

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._futures[key] = future
        if not owner:
            return future.result()
        try:
            value = compute()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        future.set_result(value)
        return value
