"""npm's semver semantics (node-semver 7), as npm itself applies them.

Python ports of node-semver are stale and differ on the points that change which version npm
installs: prerelease exclusion, ``-0`` upper bounds, loose parsing of ``v``/``=`` prefixes and
x-ranges. This module follows node-semver's own desugaring step by step (hyphen ranges, then
caret, tilde, x-range and star rewriting), so a range means here exactly what it means to npm.
npm calls semver with ``loose: true`` when picking versions; so do the defaults here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, total_ordering

MAX_LENGTH = 256
MAX_SAFE_INTEGER = 2**53 - 1

# -- the grammar, transcribed from node-semver's internal/re.js -----------------------------

_NUM = r"0|[1-9]\d*"
_NUM_LOOSE = r"\d+"
_NON_NUM = r"\d*[a-zA-Z-][a-zA-Z0-9-]*"
_MAIN = rf"({_NUM})\.({_NUM})\.({_NUM})"
_MAIN_LOOSE = rf"({_NUM_LOOSE})\.({_NUM_LOOSE})\.({_NUM_LOOSE})"
_PRE_ID = rf"(?:{_NUM}|{_NON_NUM})"
_PRE_ID_LOOSE = rf"(?:{_NUM_LOOSE}|{_NON_NUM})"
_PRE = rf"(?:-({_PRE_ID}(?:\.{_PRE_ID})*))"
_PRE_LOOSE = rf"(?:-?({_PRE_ID_LOOSE}(?:\.{_PRE_ID_LOOSE})*))"
_BUILD_ID = r"[a-zA-Z0-9-]+"
_BUILD = rf"(?:\+({_BUILD_ID}(?:\.{_BUILD_ID})*))"
_FULL_PLAIN = rf"v?{_MAIN}{_PRE}?{_BUILD}?"
_LOOSE_PLAIN = rf"[v=\s]*{_MAIN_LOOSE}{_PRE_LOOSE}?{_BUILD}?"
_GTLT = r"((?:<|>)?=?)"
_XR_ID = rf"{_NUM}|x|X|\*"
_XR_ID_LOOSE = rf"{_NUM_LOOSE}|x|X|\*"
_XR_PLAIN = rf"[v=\s]*({_XR_ID})(?:\.({_XR_ID})(?:\.({_XR_ID})(?:{_PRE})?{_BUILD}?)?)?"
_XR_PLAIN_LOOSE = (
    rf"[v=\s]*({_XR_ID_LOOSE})(?:\.({_XR_ID_LOOSE})(?:\.({_XR_ID_LOOSE})"
    rf"(?:{_PRE_LOOSE})?{_BUILD}?)?)?"
)

_RE_FULL = re.compile(rf"^{_FULL_PLAIN}$")
_RE_LOOSE = re.compile(rf"^{_LOOSE_PLAIN}$")
_RE_BUILD = re.compile(_BUILD)
_RE_COMPARATOR = re.compile(rf"^{_GTLT}\s*({_FULL_PLAIN})$|^$")
_RE_COMPARATOR_LOOSE = re.compile(rf"^{_GTLT}\s*({_LOOSE_PLAIN})$|^$")
_RE_COMPARATOR_TRIM = re.compile(rf"(\s*){_GTLT}\s*({_LOOSE_PLAIN}|{_XR_PLAIN})")
_RE_TILDE_TRIM = re.compile(r"(\s*)(?:~>?)\s+")
_RE_CARET_TRIM = re.compile(r"(\s*)(?:\^)\s+")
_RE_TILDE = re.compile(rf"^(?:~>?){_XR_PLAIN}$")
_RE_TILDE_LOOSE = re.compile(rf"^(?:~>?){_XR_PLAIN_LOOSE}$")
_RE_CARET = re.compile(rf"^(?:\^){_XR_PLAIN}$")
_RE_CARET_LOOSE = re.compile(rf"^(?:\^){_XR_PLAIN_LOOSE}$")
_RE_XRANGE = re.compile(rf"^{_GTLT}\s*{_XR_PLAIN}$")
_RE_XRANGE_LOOSE = re.compile(rf"^{_GTLT}\s*{_XR_PLAIN_LOOSE}$")
_RE_HYPHEN = re.compile(rf"^\s*({_XR_PLAIN})\s+-\s+({_XR_PLAIN})\s*$")
_RE_HYPHEN_LOOSE = re.compile(rf"^\s*({_XR_PLAIN_LOOSE})\s+-\s+({_XR_PLAIN_LOOSE})\s*$")
_RE_STAR = re.compile(r"(<|>)?=?\s*\*")
_RE_GTE0 = re.compile(r"^\s*>=\s*0\.0\.0\s*$")
_RE_GTE0_PRE = re.compile(r"^\s*>=\s*0\.0\.0-0\s*$")
_RE_NUMERIC = re.compile(r"^[0-9]+$")


class InvalidVersion(ValueError):
    """Not a semver version (node-semver would throw)."""


class InvalidRange(ValueError):
    """Not a semver range (node-semver would throw)."""


# -- versions -------------------------------------------------------------------------------


PreId = int | str


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[PreId, ...] = ()
    build: tuple[str, ...] = ()

    def __str__(self) -> str:
        """node-semver's ``.version``: build metadata is not part of it."""
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(str(p) for p in self.prerelease)
        return text

    def _key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    @property
    def sort_key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        """A plain tuple ordered exactly as :func:`compare` orders versions (fast sorts)."""
        pre = tuple(
            (0, int(p)) if isinstance(p, int) or _RE_NUMERIC.match(p) else (1, p)
            for p in self.prerelease
        )
        return (self.major, self.minor, self.patch, 0 if pre else 1, pre)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return compare(self, other) == 0

    def __hash__(self) -> int:
        return hash((self._key(), self.prerelease))

    def __lt__(self, other: Version) -> bool:
        return compare(self, other) < 0


@lru_cache(maxsize=65536)
def parse(text: str, loose: bool = True) -> Version:
    """Parse a version; ``loose`` (npm's choice) also accepts ``=v1.2.3``, ``1.2.3beta``."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        raise InvalidVersion(f"invalid version {text!r}")
    match = (_RE_LOOSE if loose else _RE_FULL).match(text.strip())
    if not match:
        raise InvalidVersion(f"invalid version {text!r}")
    major, minor, patch = (int(match.group(i)) for i in (1, 2, 3))
    if max(major, minor, patch) > MAX_SAFE_INTEGER:
        raise InvalidVersion(f"invalid version {text!r}: number too large")
    pre: tuple[PreId, ...] = ()
    if match.group(4):
        pre = tuple(
            int(p) if _RE_NUMERIC.match(p) and int(p) <= MAX_SAFE_INTEGER else p
            for p in match.group(4).split(".")
        )
    build = tuple(match.group(5).split(".")) if match.group(5) else ()
    return Version(major, minor, patch, pre, build)


def valid(text: str, loose: bool = True) -> str | None:
    """The normalised version string, or None (node-semver ``valid``)."""
    try:
        return str(parse(text, loose))
    except InvalidVersion:
        return None


def clean(text: str, loose: bool = True) -> str | None:
    """node-semver ``clean``: strip surrounding space and leading ``=``/``v``, then ``valid``."""
    return valid(text.strip().lstrip("=v"), loose)


def _compare_ids(a: PreId, b: PreId) -> int:
    a_num = isinstance(a, int) or bool(_RE_NUMERIC.match(a))
    b_num = isinstance(b, int) or bool(_RE_NUMERIC.match(b))
    if a_num and b_num:
        x, y = int(a), int(b)
        return (x > y) - (x < y)
    if a_num != b_num:
        return -1 if a_num else 1
    sa, sb = str(a), str(b)
    return (sa > sb) - (sa < sb)


def compare(a: Version, b: Version) -> int:
    """-1, 0 or 1; build metadata is ignored, a prerelease sorts below its release."""
    ka, kb = a._key(), b._key()
    if ka != kb:
        return -1 if ka < kb else 1
    if not a.prerelease and not b.prerelease:
        return 0
    if not a.prerelease:
        return 1
    if not b.prerelease:
        return -1
    for x, y in zip(a.prerelease, b.prerelease, strict=False):
        c = _compare_ids(x, y)
        if c:
            return c
    return (len(a.prerelease) > len(b.prerelease)) - (len(a.prerelease) < len(b.prerelease))


# -- ranges ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparator:
    operator: str  # "", "<", "<=", ">", ">="; "" with version None means any
    version: Version | None

    @property
    def is_any(self) -> bool:
        return self.version is None

    @property
    def is_null_set(self) -> bool:
        return self.operator == "<" and self.version == Version(0, 0, 0, (0,))

    @property
    def value(self) -> str:
        return "" if self.version is None else f"{self.operator}{self.version}"

    def test(self, v: Version) -> bool:
        if self.version is None:
            return True
        c = compare(v, self.version)
        op = self.operator
        if op == "":
            return c == 0
        if op == "<":
            return c < 0
        if op == "<=":
            return c <= 0
        if op == ">":
            return c > 0
        return c >= 0


def _is_x(part: str | None) -> bool:
    return not part or part.lower() == "x" or part == "*"


def _parse_comparator(text: str, loose: bool) -> Comparator:
    match = (_RE_COMPARATOR_LOOSE if loose else _RE_COMPARATOR).match(text)
    if not match:
        raise InvalidRange(f"invalid comparator {text!r}")
    op = match.group(1) or ""
    if op == "=":
        op = ""
    if not match.group(2):
        return Comparator("", None)
    try:
        return Comparator(op, parse(match.group(2), loose))
    except InvalidVersion:
        raise InvalidRange(f"invalid comparator {text!r}") from None


def _replace_caret(comp: str, loose: bool, inc_pre: bool) -> str:
    return _replace_bounded(comp, _RE_CARET_LOOSE if loose else _RE_CARET, inc_pre, caret=True)


def _replace_tilde(comp: str, loose: bool, inc_pre: bool) -> str:
    return _replace_bounded(comp, _RE_TILDE_LOOSE if loose else _RE_TILDE, inc_pre, caret=False)


def _replace_bounded(comp: str, regex: re.Pattern[str], inc_pre: bool, *, caret: bool) -> str:
    """``^X`` and ``~X`` as the comparators node-semver's replaceCaret/replaceTilde give:
    the same lower bound; the upper bound is the next minor for ``~``, and for ``^`` the
    next version of the first non-zero part."""
    z = "-0" if inc_pre else ""

    def sub(m: re.Match[str]) -> str:
        major, minor, patch, pre = m.group(1), m.group(2), m.group(3), m.group(4)
        if _is_x(major):
            return ""
        if _is_x(minor):
            return f">={major}.0.0{z} <{int(major) + 1}.0.0-0"
        next_minor = f"{major}.{int(minor) + 1}.0-0"
        next_major = f"{int(major) + 1}.0.0-0"
        if _is_x(patch):
            upper = next_major if caret and major != "0" else next_minor
            return f">={major}.{minor}.0{z} <{upper}"
        lower = f"{major}.{minor}.{patch}" + (f"-{pre}" if pre else "")
        if not caret or (major == "0" and minor != "0"):
            upper = next_minor
        elif major != "0":
            upper = next_major
        else:
            upper = f"{major}.{minor}.{int(patch) + 1}-0"
        return f">={lower} <{upper}"

    return " ".join(regex.sub(sub, c) for c in comp.strip().split())


def _replace_xrange(comp: str, loose: bool, inc_pre: bool) -> str:
    def sub(m: re.Match[str]) -> str:
        gtlt = m.group(1) or ""
        major, minor, patch = m.group(2), m.group(3), m.group(4)
        if (_is_x(major) and not _is_x(minor)) or (_is_x(minor) and patch and not _is_x(patch)):
            return m.group(0)  # "x.1", "1.x.2": left as written, so they stay invalid
        x_major = _is_x(major)
        x_minor = x_major or _is_x(minor)
        x_patch = x_minor or _is_x(patch)
        if gtlt == "=" and x_patch:
            gtlt = ""
        pre = "-0" if inc_pre else ""
        if x_major:
            return "<0.0.0-0" if gtlt in (">", "<") else "*"
        if gtlt and x_patch:
            mj, mn, pt = int(major), 0 if x_minor else int(minor), 0
            if gtlt == ">":
                gtlt = ">="
                if x_minor:
                    mj, mn = mj + 1, 0
                else:
                    mn += 1
            elif gtlt == "<=":
                gtlt = "<"
                if x_minor:
                    mj += 1
                else:
                    mn += 1
            if gtlt == "<":
                pre = "-0"
            return f"{gtlt}{mj}.{mn}.{pt}{pre}"
        if x_minor:
            return f">={major}.0.0{pre} <{int(major) + 1}.0.0-0"
        if x_patch:
            return f">={major}.{minor}.0{pre} <{major}.{int(minor) + 1}.0-0"
        return m.group(0)

    regex = _RE_XRANGE_LOOSE if loose else _RE_XRANGE
    return " ".join(regex.sub(sub, c.strip()) for c in comp.split())


def _hyphen_replacer(inc_pre: bool) -> Callable[[re.Match[str]], str]:
    def sub(m: re.Match[str]) -> str:
        frm, fM, fm, fp, fpr = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
        to, tM, tm, tp, tpr = m.group(7), m.group(8), m.group(9), m.group(10), m.group(11)
        z = "-0" if inc_pre else ""
        if _is_x(fM):
            lower = ""
        elif _is_x(fm):
            lower = f">={fM}.0.0{z}"
        elif _is_x(fp):
            lower = f">={fM}.{fm}.0{z}"
        elif fpr:
            lower = f">={frm}"
        else:
            lower = f">={frm}{z}"
        if _is_x(tM):
            upper = ""
        elif _is_x(tm):
            upper = f"<{int(tM) + 1}.0.0-0"
        elif _is_x(tp):
            upper = f"<{tM}.{int(tm) + 1}.0-0"
        elif tpr:
            upper = f"<={tM}.{tm}.{tp}-{tpr}"
        elif inc_pre:
            upper = f"<{tM}.{tm}.{int(tp) + 1}-0"
        else:
            upper = f"<={to}"
        return f"{lower} {upper}".strip()

    return sub


def _parse_set(text: str, loose: bool, inc_pre: bool) -> tuple[Comparator, ...]:
    """One ``||`` alternative -> its comparators (node-semver ``Range.parseRange``)."""
    text = _RE_BUILD.sub("", text)
    text = (_RE_HYPHEN_LOOSE if loose else _RE_HYPHEN).sub(_hyphen_replacer(inc_pre), text)
    text = _RE_COMPARATOR_TRIM.sub(r"\1\2\3", text)
    text = _RE_TILDE_TRIM.sub(r"\1~", text)
    text = _RE_CARET_TRIM.sub(r"\1^", text)
    parts: list[str] = []
    for comp in text.split(" "):
        comp = _RE_BUILD.sub("", comp)
        comp = _replace_caret(comp, loose, inc_pre)
        comp = _replace_tilde(comp, loose, inc_pre)
        comp = _replace_xrange(comp, loose, inc_pre)
        comp = _RE_STAR.sub("", comp.strip())
        parts.append(comp)
    gte0 = _RE_GTE0_PRE if inc_pre else _RE_GTE0
    comps = [gte0.sub("", c.strip()) for c in re.split(r"\s+", " ".join(parts))]
    if loose:
        comps = [c for c in comps if _RE_COMPARATOR_LOOSE.match(c)]
    unique: dict[str, Comparator] = {}
    for c in comps:
        comparator = _parse_comparator(c, loose)
        if comparator.is_null_set:
            return (comparator,)
        unique[comparator.value] = comparator
    if len(unique) > 1:
        unique.pop("", None)
    return tuple(unique.values())


@dataclass(frozen=True)
class Range:
    raw: str
    sets: tuple[tuple[Comparator, ...], ...]
    include_prerelease: bool = False

    def test(self, version: Version) -> bool:
        return any(_test_set(s, version, self.include_prerelease) for s in self.sets)


def _test_set(comps: tuple[Comparator, ...], version: Version, inc_pre: bool) -> bool:
    if not all(c.test(version) for c in comps):
        return False
    if version.prerelease and not inc_pre:
        # A prerelease only matches when the range itself names a prerelease of the same
        # [major, minor, patch]: ^1.2.3-beta.1 admits 1.2.3-beta.2 but not 1.2.4-alpha.
        return any(
            c.version is not None and c.version.prerelease and c.version._key() == version._key()
            for c in comps
        )
    return True


@lru_cache(maxsize=16384)
def parse_range(text: str, loose: bool = True, include_prerelease: bool = False) -> Range:
    """Parse an npm range; raises InvalidRange where node-semver's ``new Range`` throws."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH * 4:
        raise InvalidRange(f"invalid range {text!r}")
    raw = re.sub(r"\s+", " ", text.strip())
    sets = [
        s for s in (_parse_set(p.strip(), loose, include_prerelease) for p in raw.split("||")) if s
    ]
    if not sets:
        raise InvalidRange(f"invalid range {text!r}")
    if len(sets) > 1:
        first = sets[0]
        sets = [s for s in sets if not s[0].is_null_set] or [first]
        for s in sets:
            if len(s) == 1 and s[0].is_any:
                sets = [s]
                break
    return Range(raw, tuple(sets), include_prerelease)


def valid_range(text: str, loose: bool = True) -> bool:
    try:
        parse_range(text, loose)
    except InvalidRange:
        return False
    return True


def satisfies(
    version: str | Version,
    range_text: str,
    *,
    loose: bool = True,
    include_prerelease: bool = False,
) -> bool:
    """node-semver ``satisfies``: an invalid version or range satisfies nothing."""
    try:
        v = version if isinstance(version, Version) else parse(version, loose)
        return parse_range(range_text, loose, include_prerelease).test(v)
    except (InvalidVersion, InvalidRange):
        return False


def max_satisfying(versions: Iterable[str], range_text: str, *, loose: bool = True) -> str | None:
    """The highest of ``versions`` inside ``range_text`` (prereleases per npm's rule)."""
    try:
        rng = parse_range(range_text, loose)
    except InvalidRange:
        return None
    best: tuple[Version, str] | None = None
    for text in versions:
        try:
            v = parse(text, loose)
        except InvalidVersion:
            continue
        if rng.test(v) and (best is None or compare(v, best[0]) > 0):
            best = (v, text)
    return best[1] if best else None
