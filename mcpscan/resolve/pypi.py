"""PyPI resolution with resolvelib, the resolver pip uses, following pip's choices.

Candidates come from the Simple index: for each version, the best file for the target
environment (the highest-priority compatible wheel, else an sdist), skipping files whose
Requires-Python excludes the target, and yanked files unless a requirement pins exactly a
version that only yanked files satisfy (PEP 592, as pip does). Prereleases are taken only
when a specifier asks for them or nothing else matches. Extras are resolved as their own
identifiers pinned to the base package's version, as in pip. A version's Requires-Python
from its metadata is a dependency on the target interpreter, so a wrong index entry still
cannot select it.

Fail closed: a requirement that cannot be met (missing project, no matching version,
unreadable metadata) becomes a :class:`~mcpscan.models.ResolutionProblem` naming the chain of
packages that required it, and the rest of the graph is still resolved: a conflict resolvelib
proves impossible drops the project it names and resolution runs again. One deliberate
difference from pip: a dependency on a project the index does not have is reported at once
instead of backtracking to older parents that lack it (pip would end in an error either way,
and the report names the real gap). Network failures propagate as
:class:`~mcpscan.errors.NetworkError`.

Speed: resolvelib asks for one package at a time, so every dependency list that is read
also starts, in a thread pool, the index and metadata reads of the dependencies it names
(and theirs), and the resolver mostly finds its answers already fetched. The finished
graph is kept by :class:`~mcpscan.resolve.graph_cache.GraphCache`, so a warm or offline
rescan of the same roots resolves nothing.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from resolvelib import AbstractProvider, BaseReporter, Resolver
from resolvelib.resolvers import ResolutionImpossible, ResolutionTooDeep

from mcpscan.errors import RegistryError
from mcpscan.models import (
    Decision,
    Digest,
    Edge,
    Graph,
    PackageFacts,
    PackageRef,
    ResolutionProblem,
    ResolvedPackage,
)
from mcpscan.registry.interface import PackageNotFound
from mcpscan.registry.pypi import (
    CoreMetadata,
    DistFile,
    ProjectIndex,
    PypiRegistry,
    display_url,
    redact_urls,
)
from mcpscan.registry.wheel import IntegrityError
from mcpscan.resolve.environment import TargetEnvironment
from mcpscan.resolve.graph_cache import GraphCache
from mcpscan.resolve.interface import Resolver as ResolverABC
from mcpscan.resolve.interface import ResolverError

if TYPE_CHECKING:  # pragma: no cover

    from packaging.specifiers import SpecifierSet
    from packaging.version import Version
    from resolvelib.structs import RequirementInformation

PYTHON = "<python>"  # identifier of the target interpreter, as pip's Requires-Python
MAX_ROUNDS = 200_000  # pip's limit; a graph that needs more is reported, not hung on
MAX_ATTEMPTS = 50  # re-runs after dropping unresolvable requirements
_EXTRAS_IN_SPEC = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*\[([^\]]*)\]")


# -- requirements and candidates -----------------------------------------------------------


@dataclass(frozen=True)
class _Req:
    name: str  # canonical
    extras: frozenset[str]
    specifier: SpecifierSet
    raw: str  # as the parent wrote it
    pin: Version | None = None  # an extras identifier's tie to its base package's version

    @property
    def identifier(self) -> str:
        return _identifier(self.name, self.extras)


@dataclass(frozen=True)
class _PythonReq:
    specifier: SpecifierSet
    raw: str

    identifier = PYTHON


@dataclass(frozen=True)
class _Cand:
    name: str
    version: Version
    file: DistFile
    extras: frozenset[str] = frozenset()

    @property
    def identifier(self) -> str:
        return _identifier(self.name, self.extras)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True)
class _PythonCand:
    version: Version

    identifier = PYTHON


Requirement = _Req | _PythonReq
Candidate = _Cand | _PythonCand


def _identifier(name: str, extras: frozenset[str]) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


@dataclass(frozen=True)
class _Issue:
    """Something wrong with one candidate; reported only if that candidate is chosen."""

    name: str
    spec: str
    reason: str
    message: str
    about_dependency: bool  # True: a dependency of the candidate, False: the candidate itself


# -- the resolver --------------------------------------------------------------------------


class PypiResolver(ResolverABC):
    """Resolves PyPI packages as ``pip install`` (and ``uvx``) would, without installing."""

    ecosystem = "pypi"

    def __init__(self, registry: PypiRegistry, env: TargetEnvironment | None = None) -> None:
        self.registry = registry
        self.env = env or TargetEnvironment.current()

    def resolve(self, roots: Sequence[PackageRef]) -> Graph:
        store = self._graph_cache(roots)
        cached = store.load() if store is not None else None
        if cached is not None:
            return cached
        graph = self._resolve_roots(roots)
        if store is not None:
            store.save(graph)
        return graph

    def _graph_cache(self, roots: Sequence[PackageRef]) -> GraphCache | None:
        env = self.env
        return GraphCache.for_roots(self.registry.client, "pypi", {
            "index": self.registry.index_url,
            "json": self.registry.json_url,
            "env": [dict(env.markers), [str(t) for t in env.tags]],
            "roots": [[r.ecosystem, r.name, r.requested, r.spec] for r in roots],
        })

    def _resolve_roots(self, roots: Sequence[PackageRef]) -> Graph:
        problems: list[ResolutionProblem] = []
        root_reqs: list[_Req] = []
        for ref in roots:
            req = _root_requirement(ref, problems)
            if req is not None:
                root_reqs.append(req)
        if not root_reqs:
            return Graph(problems=tuple(problems))
        workers = max(1, self.registry.client.config.max_workers)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mcpscan-pypi") as pool:
            session = _Session(self.registry, self.env, pool)
            try:
                return self._resolve(session, root_reqs, problems)
            finally:
                session.closed = True
                pool.shutdown(wait=True, cancel_futures=True)

    def _resolve(
        self, session: _Session, root_reqs: list[_Req], problems: list[ResolutionProblem]
    ) -> Graph:
        session.prefetch(root_reqs)
        mapping: dict[str, Candidate] = {}
        for _attempt in range(MAX_ATTEMPTS):
            active = [r for r in root_reqs if r.name not in session.dropped]
            if not active:
                break
            resolver: Resolver[Requirement, Candidate, str] = Resolver(
                _Provider(session, active), BaseReporter()
            )
            try:
                result = resolver.resolve(active, max_rounds=MAX_ROUNDS)
            except ResolutionImpossible as exc:
                if not session.drop(exc.causes):
                    raise ResolverError(
                        "the PyPI resolver failed without naming a requirement to drop"
                    ) from None
                continue
            except ResolutionTooDeep:
                for req in active:
                    problems.append(ResolutionProblem(
                        ecosystem="pypi", name=req.name, spec=req.raw, reason="too-complex",
                        message=f"resolving {req.raw} needed more than {MAX_ROUNDS} rounds",
                    ))
                break
            mapping = dict(result.mapping)
            break
        else:
            raise ResolverError(f"PyPI resolution did not settle after {MAX_ATTEMPTS} attempts")
        return _GraphBuilder(session, root_reqs, mapping, problems).build()


def _root_requirement(ref: PackageRef, problems: list[ResolutionProblem]) -> _Req | None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    def problem(reason: str, message: str) -> None:
        problems.append(ResolutionProblem(
            ecosystem="pypi", name=ref.name, spec=ref.spec or ref.name, reason=reason,
            message=message, path=(),
        ))

    if ref.ecosystem != "pypi":
        problem("unsupported", f"{ref.name} is a {ref.ecosystem} package, not a PyPI one")
        return None
    base, _, inline = ref.name.partition("[")
    match = _EXTRAS_IN_SPEC.match(ref.spec or "")
    extras_text = inline.rstrip("]") if inline else (match.group(1) if match else "")
    extras = frozenset(canonicalize_name(e) for e in extras_text.split(",") if e.strip())
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", base.strip()):
        problem("invalid-requirement", f"{ref.name!r} is not a valid PyPI project name")
        return None
    name = canonicalize_name(base.strip())
    requested = (ref.requested or "").strip()
    text = requested
    if requested.lower() in ("", "latest"):
        text = ""
    elif requested[0].isdigit():
        try:
            Version(requested)
            text = f"=={requested}"
        except InvalidVersion:
            text = requested
    try:
        specifier = SpecifierSet(text)
    except InvalidSpecifier:
        problem("invalid-requirement", f"{requested!r} is not a valid version specifier")
        return None
    raw = f"{_identifier(name, extras)}{text}"
    return _Req(name=name, extras=extras, specifier=specifier, raw=raw)


# -- shared state across attempts ----------------------------------------------------------


class _Session:
    """Fetched data and findings that stay valid across resolution attempts."""

    def __init__(self, registry: PypiRegistry, env: TargetEnvironment, pool: ThreadPoolExecutor
                 ) -> None:
        self.registry = registry
        self.env = env
        self.pool = pool
        self.closed = False
        self.not_found: set[str] = set()
        self.dropped: dict[str, list[RequirementInformation[Requirement, Candidate]]] = {}
        self.issues: dict[tuple[str, Version], list[_Issue]] = {}
        self._lock = threading.Lock()
        self._best: dict[tuple[str, Version], tuple[DistFile | None, DistFile | None]] = {}
        self._deps: dict[tuple[str, Version], tuple[list[Requirement], list[_Issue]]] = {}
        self._warmed: set[tuple[str, frozenset[str], str]] = set()

    # -- index -----------------------------------------------------------------------------

    def versions(self, name: str) -> tuple[Version, ...]:
        """The project's versions, oldest first; empty when the project does not exist."""
        index = self._index(name)
        return index.versions if index is not None else ()

    def _index(self, name: str) -> ProjectIndex | None:
        try:
            return self.registry.index(name)
        except PackageNotFound:
            with self._lock:
                self.not_found.add(name)
            return None

    def best(self, name: str, version: Version) -> tuple[DistFile | None, DistFile | None]:
        """(best non-yanked file, best file) of a version for the target environment."""
        key = (name, version)
        with self._lock:
            known = self._best.get(key)
        if known is None:
            index = self._index(name)
            files = index.files_of(version) if index is not None else ()
            known = _best_files(files, self.env)
            with self._lock:
                self._best[key] = known
        return known

    # -- metadata --------------------------------------------------------------------------

    def dependencies(self, cand: _Cand) -> list[Requirement]:
        """The requirements of ``cand`` in the target environment (its extras' included)."""
        key = (cand.identifier, cand.version)
        with self._lock:
            known = self._deps.get(key)
        if known is None:
            known = self._read_dependencies(cand)
            with self._lock:
                self._deps[key] = known
                if known[1]:
                    self.issues[(cand.name, cand.version)] = known[1]
        return [r for r in known[0] if not (isinstance(r, _Req) and r.name in self.dropped)]

    def declared(self, cand: _Cand) -> list[Requirement]:
        """Dependencies as read, including those given up on (to name who needed them)."""
        with self._lock:
            known = self._deps.get((cand.identifier, cand.version))
        return list(known[0]) if known is not None else []

    def _read_dependencies(self, cand: _Cand) -> tuple[list[Requirement], list[_Issue]]:
        from packaging.specifiers import SpecifierSet

        deps: list[Requirement] = []
        issues: list[_Issue] = []
        if cand.extras:
            deps.append(_Req(cand.name, frozenset(), SpecifierSet(f"=={cand.version}"),
                             raw=f"{cand.name}=={cand.version}", pin=cand.version))
        meta = self._metadata(cand, issues)
        if meta is None:
            return deps, issues
        declared = list(self._parse_requirements(cand, meta, issues))
        self.prefetch(declared)
        index = display_url(self.registry.index_url)
        for req in declared:
            # A project the index does not have cannot appear by backtracking: reporting it
            # here keeps the resolver from settling on old versions that merely lack the
            # dependency (or their metadata).
            if isinstance(req, _Req) and not self.versions(req.name) and (
                    req.name in self.not_found):
                issues.append(_Issue(req.name, req.raw, "not-found",
                                     f"{req.name} does not exist on {index}", True))
                continue
            deps.append(req)
        return deps, issues

    def _metadata(self, cand: _Cand, issues: list[_Issue]) -> CoreMetadata | None:
        from packaging.utils import canonicalize_name
        from packaging.version import InvalidVersion, Version

        spec = f"=={cand.version}"
        try:
            meta = self.registry.metadata(cand.file)
        except IntegrityError as exc:
            issues.append(_Issue(cand.name, spec, "integrity-mismatch",
                                 redact_urls(exc.message), False))
            return None
        except RegistryError as exc:
            # No static metadata, an unreadable archive, or a file the index lists but the
            # server does not have.
            issues.append(_Issue(cand.name, spec, "no-metadata", redact_urls(exc.message),
                                 False))
            return None
        try:
            same_version = Version(meta.version) == cand.version
        except InvalidVersion:
            same_version = False
        if canonicalize_name(meta.name) != cand.name or not same_version:
            issues.append(_Issue(
                cand.name, spec, "metadata-inconsistent",
                f"{cand.file.filename} declares itself {meta.name} {meta.version}", False,
            ))
            return None
        return meta

    def _parse_requirements(
        self, cand: _Cand, meta: CoreMetadata, issues: list[_Issue]
    ) -> Iterator[Requirement]:
        from packaging.requirements import InvalidRequirement
        from packaging.requirements import Requirement as Pep508
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.utils import canonicalize_name

        if meta.requires_python:
            # pip ignores an unparseable Requires-Python too.
            with contextlib.suppress(InvalidSpecifier):
                yield _PythonReq(SpecifierSet(meta.requires_python), meta.requires_python)
        env = dict(self.env.markers)
        for line in meta.requires_dist:
            try:
                parsed = Pep508(line)
            except InvalidRequirement:
                issues.append(_Issue(line.split(";")[0].strip(), line, "invalid-requirement",
                                     f"{cand.label} declares an unparseable requirement", True))
                continue
            if not _applies(parsed, env, cand.extras):
                continue
            name = canonicalize_name(parsed.name)
            extras = frozenset(canonicalize_name(e) for e in parsed.extras)
            if parsed.url:
                issues.append(_Issue(
                    name, line, "direct-reference",
                    f"{cand.label} requires {name} from a URL, which mcpscan does not fetch",
                    True,
                ))
                continue
            req = _Req(name, extras, parsed.specifier, raw=line.split(";")[0].strip())
            if req.identifier == cand.identifier:
                continue  # a package needing itself adds nothing
            yield req

    # -- prefetch --------------------------------------------------------------------------

    def prefetch(self, reqs: Iterable[Requirement]) -> None:
        """Start fetching what the resolver will ask for next (best effort, errors kept for
        the resolver's own call to raise)."""
        for req in reqs:
            if not isinstance(req, _Req) or req.pin is not None:
                continue
            key = (req.name, req.extras, str(req.specifier))
            with self._lock:
                if self.closed or key in self._warmed:
                    continue
                self._warmed.add(key)
            try:
                self.pool.submit(self._warm, req)
            except RuntimeError:
                return  # the pool is shutting down: resolution is over

    def _warm(self, req: _Req) -> None:
        if self.closed:
            return
        try:
            matching = req.specifier.filter(self.versions(req.name), prereleases=None)
            file = next(
                (f for v in sorted(matching, reverse=True) if (f := self.best(req.name, v)[0])),
                None,
            )
            if file is None:
                return
            deps = self.dependencies(_Cand(req.name, file.version, file, req.extras))
        except Exception:
            return  # the resolver's own read raises it again and reports it
        self.prefetch(deps)
        # The graph's facts need each project's JSON document: fetching it now, while the
        # resolver still works, takes it off the end of the critical path.
        with contextlib.suppress(Exception):
            self.registry.project_json(req.name)

    # -- conflicts -------------------------------------------------------------------------

    def drop(self, causes: Iterable[RequirementInformation[Requirement, Candidate]]) -> bool:
        """Give up on the projects a ResolutionImpossible names; True if any was new."""
        added = False
        for cause in causes:
            if isinstance(cause.requirement, _PythonReq):
                # Every remaining candidate needs another Python: the parent is the problem.
                if not isinstance(cause.parent, _Cand):
                    continue
                name = cause.parent.name
            else:
                name = cause.requirement.name
            with self._lock:
                if name not in self.dropped:
                    added = True
                self.dropped.setdefault(name, []).append(cause)
        return added


def _best_files(
    files: Iterable[DistFile], env: TargetEnvironment
) -> tuple[DistFile | None, DistFile | None]:
    """pip's choice among one version's files: compatible wheels by tag priority (then
    build tag), else an sdist; files whose Requires-Python excludes the target are out."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    ranks = env.tag_priority
    entries: list[tuple[tuple[Any, ...], DistFile]] = []
    for order, file in enumerate(files):
        if file.requires_python:
            try:
                if not SpecifierSet(file.requires_python).contains(env.python, prereleases=True):
                    continue
            except InvalidSpecifier:
                pass  # pip keeps a file whose Requires-Python it cannot parse
        if file.kind == "wheel":
            rank = min((ranks[t] for t in file.tags if t in ranks), default=None)
            if rank is None:
                continue
            build = (-file.build[0], file.build[1]) if file.build else (1, "")
            key: tuple[Any, ...] = (0, rank, build, order)
        else:
            key = (1, 0 if file.filename.endswith(".tar.gz") else 1, (0, ""), order)
        entries.append((key, file))
    if not entries:
        return None, None
    entries.sort(key=lambda e: e[0])
    return next((f for _, f in entries if not f.yanked), None), entries[0][1]


def _applies(req: Any, env: dict[str, str], extras: frozenset[str]) -> bool:
    """Whether a Requires-Dist line applies to the base package (no extras) or, for an
    extras candidate, only because of one of its extras."""
    if req.marker is None:
        return not extras
    base = bool(req.marker.evaluate({**env, "extra": ""}))
    if not extras:
        return base
    return not base and any(req.marker.evaluate({**env, "extra": e}) for e in extras)


# -- the resolvelib provider ---------------------------------------------------------------


class _Provider(AbstractProvider[Requirement, Candidate, str]):
    def __init__(self, session: _Session, roots: Sequence[_Req]) -> None:
        self.s = session
        self._root_order = {r.identifier: i for i, r in enumerate(roots)}

    def identify(self, requirement_or_candidate: Requirement | Candidate) -> str:
        return requirement_or_candidate.identifier

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[RequirementInformation[Requirement, Candidate]]],
        backtrack_causes: Sequence[RequirementInformation[Requirement, Candidate]],
    ) -> Any:
        # pip's order: pinned first, then upper-bounded, then what the user asked for.
        operators = [
            (spec.operator, spec.version)
            for info in information[identifier]
            if isinstance(info.requirement, _Req)
            for spec in info.requirement.specifier
        ]
        pinned = any(op in ("==", "===") and "*" not in ver for op, ver in operators)
        upper = any(op in ("<", "<=", "~=") or (op == "==" and "*" in ver)
                    for op, ver in operators)
        return (
            identifier != PYTHON,
            not pinned,
            not upper,
            self._root_order.get(identifier, len(self._root_order)),
            not operators,
            identifier,
        )

    def narrow_requirement_selection(
        self,
        identifiers: Iterable[str],
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[RequirementInformation[Requirement, Candidate]]],
        backtrack_causes: Sequence[RequirementInformation[Requirement, Candidate]],
    ) -> Iterable[str]:
        names = list(identifiers)
        if PYTHON in names:
            return [PYTHON]
        causes = {self.identify(c.requirement) for c in backtrack_causes}
        causes |= {c.parent.identifier for c in backtrack_causes if c.parent is not None}
        focused = [n for n in names if n in causes]
        return focused or names

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Callable[[], Iterator[Candidate]] | list[Candidate]:
        if identifier == PYTHON:
            python = self.s.env.python
            ok = all(r.specifier.contains(python, prereleases=True)
                     for r in requirements.get(PYTHON, ()))
            return [_PythonCand(python)] if ok else []
        name, _, rest = identifier.partition("[")
        extras = frozenset(rest.rstrip("]").split(",")) if rest else frozenset()
        reqs: list[_Req] = [r for r in requirements.get(identifier, ()) if isinstance(r, _Req)]
        if extras:
            reqs.extend(r for r in requirements.get(name, ()) if isinstance(r, _Req))
        bad = {c.version for c in incompatibilities.get(identifier, ()) if isinstance(c, _Cand)}
        allowed = sorted(_allowed_versions(self.s.versions(name), reqs), reverse=True)
        found = [v for v in allowed if v not in bad]
        # PEP 592, as pip applies it: yanked files only for an exact pin nothing else meets.
        use_yanked = any(_is_pinned(r) for r in reqs) and all(
            self.s.best(name, v)[0] is None for v in found
        )
        session = self.s

        def candidates() -> Iterator[Candidate]:
            # Lazy: resolvelib usually needs only the first, and each costs a tag check.
            for version in found:
                kept, any_file = session.best(name, version)
                file = any_file if use_yanked else kept
                if file is not None:
                    yield _Cand(name, version, file, extras)

        return candidates

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:
        if isinstance(requirement, _PythonReq):
            return requirement.specifier.contains(candidate.version, prereleases=True)
        if requirement.pin is not None:
            return candidate.version == requirement.pin
        return requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate: Candidate) -> list[Requirement]:
        if isinstance(candidate, _PythonCand):
            return []
        deps = self.s.dependencies(candidate)
        self.s.prefetch(deps)
        return deps


def _allowed_versions(table: Iterable[Version], reqs: Sequence[_Req]) -> list[Version]:
    from packaging.specifiers import SpecifierSet

    merged = SpecifierSet()
    pins: set[Version] = set()
    for req in reqs:
        if req.pin is not None:
            pins.add(req.pin)
        else:
            merged &= req.specifier
    versions = [v for v in table if all(v == p for p in pins)]
    return list(merged.filter(versions, prereleases=None))


def _is_pinned(req: _Req) -> bool:
    if req.pin is not None:
        return True
    return any(
        s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*"))
        for s in req.specifier
    )


# -- the graph -----------------------------------------------------------------------------


class _GraphBuilder:
    def __init__(
        self,
        session: _Session,
        roots: Sequence[_Req],
        mapping: Mapping[str, Candidate],
        problems: list[ResolutionProblem],
    ) -> None:
        self.s = session
        self.roots = roots
        self.problems = problems
        self.chosen: dict[str, _Cand] = {
            c.name: c for c in mapping.values() if isinstance(c, _Cand) and not c.extras
        }
        self.extras = [c for c in mapping.values() if isinstance(c, _Cand) and c.extras]
        self._parents: dict[str, str] = {}

    def build(self) -> Graph:
        edges = self._edges()
        root_purls = tuple(sorted({
            _purl(self.chosen[r.name]) for r in self.roots if r.name in self.chosen
        }))
        self._walk(root_purls, edges)
        incoming: dict[str, list[Edge]] = {}
        for edge in edges:
            incoming.setdefault(edge.child, []).append(edge)
        # Facts need the project documents and the wheels' file lists: fetch them together.
        nodes = list(self.s.pool.map(lambda c: self._node(c, incoming), self.chosen.values()))
        self._candidate_problems()
        self._dropped_problems()
        return Graph(
            roots=root_purls,
            nodes=tuple(sorted(nodes, key=lambda n: (n.name, n.version))),
            edges=tuple(sorted(edges, key=lambda e: (e.parent, e.child, e.spec))),
            problems=tuple(sorted(set(self.problems),
                                  key=lambda p: (p.name, p.reason, p.spec, p.path))),
        )

    def _edges(self) -> list[Edge]:
        edges: set[Edge] = set()
        for cand in [*self.chosen.values(), *self.extras]:
            parent = _purl(self.chosen[cand.name]) if cand.name in self.chosen else None
            if parent is None:
                continue
            for dep in self.s.dependencies(cand):
                if not isinstance(dep, _Req) or dep.pin is not None or dep.name == cand.name:
                    continue
                child = self.chosen.get(dep.name)
                if child is not None:
                    edges.add(Edge(parent=parent, child=_purl(child), spec=dep.raw))
        return list(edges)

    def _walk(self, roots: Sequence[str], edges: Sequence[Edge]) -> None:
        """Breadth-first parents, for the shortest root-to-node path of each node."""
        children: dict[str, list[str]] = {}
        for edge in sorted(edges, key=lambda e: (e.parent, e.child)):
            children.setdefault(edge.parent, []).append(edge.child)
        seen = set(roots)
        queue = deque(roots)
        while queue:
            purl = queue.popleft()
            for child in children.get(purl, ()):
                if child not in seen:
                    seen.add(child)
                    self._parents[child] = purl
                    queue.append(child)

    def _path(self, purl: str) -> tuple[str, ...]:
        path = [purl]
        while path[-1] in self._parents:
            path.append(self._parents[path[-1]])
        return tuple(reversed(path))

    def _chain(self, path: Sequence[str]) -> str:
        return " -> ".join(_purl_label(p) for p in path)

    def _node(self, cand: _Cand, incoming: Mapping[str, list[Edge]]) -> ResolvedPackage:
        purl = _purl(cand)
        root = next((r for r in self.roots if r.name == cand.name), None)
        if root is not None:
            decided = _root_decision(root)
            requested = str(root.specifier)
        else:
            decided = Decision.RANGE
            first = min(incoming.get(purl, []), key=lambda e: (e.parent, e.spec), default=None)
            requested = _spec_part(first.spec) if first is not None else ""
        return ResolvedPackage(
            ecosystem="pypi",
            name=cand.name,
            version=str(cand.version),
            purl=purl,
            decided_by=decided,
            requested=requested,
            digests=tuple(Digest(algo, value) for algo, value in cand.file.hashes
                          if algo in ("sha256", "sha384", "sha512")
                          and re.fullmatch(r"[0-9a-f]+", value)),
            facts=self._facts(cand),
        )

    def _facts(self, cand: _Cand) -> PackageFacts:
        registry = self.s.registry
        try:
            meta: CoreMetadata | None = registry.metadata(cand.file)
        except RegistryError:
            meta = None  # already reported as a problem of this candidate
        pth: tuple[str, ...] | None = None
        if cand.file.kind == "wheel":
            try:
                pth = registry.wheel_contents(cand.file).pth_files
            except IntegrityError as exc:
                self.problems.append(ResolutionProblem(
                    ecosystem="pypi", name=cand.name, spec=f"=={cand.version}",
                    reason="integrity-mismatch", message=redact_urls(exc.message),
                    path=self._path(_purl(cand))[:-1],
                ))
            except RegistryError:
                pth = None  # unreadable or missing: unknown, which is not "none"
        return registry.facts(cand.file, meta, pth_files=pth)

    def _candidate_problems(self) -> None:
        for cand in self.chosen.values():
            path = self._path(_purl(cand))
            for issue in self.s.issues.get((cand.name, cand.version), []):
                where = path if issue.about_dependency else path[:-1]
                self.problems.append(ResolutionProblem(
                    ecosystem="pypi", name=issue.name, spec=issue.spec, reason=issue.reason,
                    message=f"{issue.message} (via {self._chain(path)})", path=where,
                ))

    def _dropped_problems(self) -> None:
        env = self.s.env
        index = display_url(self.s.registry.index_url)
        for name, causes in sorted(self.s.dropped.items()):
            specs = sorted({c.requirement.raw for c in causes})
            path = self._requirer_path(name, causes)
            chain = f" (required by {self._chain(path)})" if path else " (requested)"
            if name in self.s.not_found:
                reason = "not-found"
                message = f"{name} does not exist on {index}{chain}"
            elif any(isinstance(c.requirement, _PythonReq) for c in causes):
                reason = "no-matching-version"
                message = (f"every usable version of {name} requires Python "
                           f"{' or '.join(specs)}; the target is {env.description}{chain}")
            else:
                reason = "no-matching-version"
                message = (f"no version of {name} satisfies {' and '.join(specs)} "
                           f"for {env.description}{chain}")
            self.problems.append(ResolutionProblem(
                ecosystem="pypi", name=name, spec=", ".join(specs), reason=reason,
                message=message, path=path,
            ))

    def _requirer_path(
        self, name: str, causes: Sequence[RequirementInformation[Requirement, Candidate]]
    ) -> tuple[str, ...]:
        """Root-to-requirer path of the shortest chosen package that asked for ``name``."""
        requirers = [
            cand for cand in [*self.chosen.values(), *self.extras]
            if cand.name in self.chosen and any(
                isinstance(d, _Req) and d.name == name and d.pin is None
                for d in self.s.declared(cand)
            )
        ]
        paths = [self._path(_purl(self.chosen[c.name])) for c in requirers]
        if paths:
            return min(paths, key=lambda p: (len(p), p))
        if any(c.parent is None and isinstance(c.requirement, _Req) for c in causes):
            return ()
        parents = sorted(_purl(c.parent) for c in causes if isinstance(c.parent, _Cand)
                         and c.parent.name != name)
        return (parents[0],) if parents else ()


def _root_decision(root: _Req) -> Decision:
    specs = list(root.specifier)
    if not specs:
        return Decision.LATEST
    if len(specs) == 1 and _is_pinned(root):
        return Decision.PINNED
    return Decision.RANGE


def _spec_part(raw: str) -> str:
    """``mcp<3,>=2.3`` -> ``<3,>=2.3`` (the range a parent wrote, without the name)."""
    match = re.match(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*\(?\s*", raw)
    rest = raw[match.end():] if match else raw
    return rest.rstrip(") ").strip()


def _purl(cand: _Cand) -> str:
    from packageurl import PackageURL

    return str(PackageURL(type="pypi", name=cand.name, version=str(cand.version)).to_string())


def _purl_label(purl: str) -> str:
    """``pkg:pypi/mcp@2.3.0`` -> ``mcp 2.3.0`` for messages."""
    body = purl.split("/", 1)[-1]
    name, _, version = body.partition("@")
    return f"{name} {version}".strip()
