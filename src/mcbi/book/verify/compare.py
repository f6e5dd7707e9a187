"""Compare a published build manifest with a rebuilt one: every reported number, then provenance.

A result **matches** when

1. both values are identical (texts, numbers, or both missing); or
2. both are numbers that print the same where the book prints them (a :data:`Printer`:
   the prose's glue format, APA p values, two or three decimals); or
3. both are numbers within the tolerance ``|published - rebuilt| <= atol + rtol *
   |published|`` (for values on either side of a rounding boundary); texts match within
   the tolerance when they differ only in their numbers and every pair of those numbers
   is within it; or
4. the result is a Monte Carlo quantity (it has a sibling ``<name>_mcse`` in either
   manifest) of a section whose ``seed`` parameter is the same in both builds, and
   ``|published - rebuilt| <= mc_z * MCSE`` (the larger of the two MCSEs).

Anything else **differs**; a result present in one manifest only is **missing**. Provenance
(version, commit, Python, packages, data hash, parameters, hashes of the executed notebooks
and results files) is reported as facts: differing bytes are not a failure when the
numbers agree.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Printer = Callable[[str, Any, "str | None"], str]
"""``printer(name, value, glue format) -> the value as the book prints it``; the command
line passes :func:`mcbi.paper.precision.printed` (the book layer knows nothing of the
trial's names)."""

IDENTICAL, PRINTED, TOLERANCE, MONTE_CARLO = "identical", "printed", "tolerance", "monte carlo"
MATCH, DIFFERS, ONLY_PUBLISHED, ONLY_REBUILT = (
    "match", "differs", "only in the published build", "only in the rebuild")
MCSE_SUFFIX = "_mcse"


@dataclass(frozen=True)
class Tolerance:
    """Tolerances of a comparison (the defaults of ``python -m mcbi verify``).

    Attributes
    ----------
    rtol, atol : float
        Relative and absolute tolerance for numbers that print differently (default 1e-6
        and 1e-9: only values that straddle a rounding boundary are let through).
    mc_z : float
        Monte Carlo quantities may differ by up to ``mc_z`` Monte Carlo standard errors
        (default 2) when their section's seed is the same.
    """

    rtol: float = 1e-6
    atol: float = 1e-9
    mc_z: float = 2.0

    def __post_init__(self) -> None:
        for name in ("rtol", "atol", "mc_z"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


DEFAULT_TOLERANCE = Tolerance()


@dataclass(frozen=True)
class ResultCheck:
    """One result compared: both values, how they print, and the verdict."""

    name: str
    published: Any
    rebuilt: Any
    status: str
    how: str
    shown_published: str
    shown_rebuilt: str

    @property
    def section(self) -> str:
        """The section prefix of the name (``02_therapists``)."""
        return self.name.split(".", 1)[0]

    @property
    def ok(self) -> bool:
        """Whether the result matches."""
        return self.status == MATCH


@dataclass(frozen=True)
class Fact:
    """A provenance item of both builds; ``detail`` lists what differs within it."""

    what: str
    published: str
    rebuilt: str
    detail: tuple[str, ...] = ()

    @property
    def same(self) -> bool:
        """Whether both builds state the same."""
        return self.published == self.rebuilt and not self.detail


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare_manifests`."""

    checks: tuple[ResultCheck, ...]
    facts: tuple[Fact, ...]
    tolerance: Tolerance = field(default_factory=Tolerance)

    @property
    def matched(self) -> list[ResultCheck]:
        """Results that match."""
        return [c for c in self.checks if c.ok]

    @property
    def differing(self) -> list[ResultCheck]:
        """Results in both builds whose values differ."""
        return [c for c in self.checks if c.status == DIFFERS]

    @property
    def missing(self) -> list[ResultCheck]:
        """Results present in one build only."""
        return [c for c in self.checks if c.status in (ONLY_PUBLISHED, ONLY_REBUILT)]

    @property
    def ok(self) -> bool:
        """True when every result matches and none is missing."""
        return all(c.ok for c in self.checks)

    def counts(self) -> dict[str, int]:
        """Numbers of results compared, matched (by how), differing and missing."""
        out = {"compared": len(self.checks), "matched": len(self.matched),
               "differing": len(self.differing), "missing": len(self.missing)}
        for how in (IDENTICAL, PRINTED, TOLERANCE, MONTE_CARLO):
            out[f"matched_{how.replace(' ', '_')}"] = sum(
                1 for c in self.matched if c.how == how)
        return out


# ------------------------------------------------------------------------------ values
def plain_printer(name: str, value: Any, spec: str | None = None) -> str:
    """A printer that knows no names: texts as they are, numbers with the glue format
    ``spec`` (``.Nf``) or two decimals, missing numbers as an em dash."""
    if isinstance(value, str):
        return value
    if not _is_number(value):
        return "\u2014"
    found = re.fullmatch(r"\.(\d+)f", spec or "")
    text = f"{float(value):.{int(found.group(1)) if found else 2}f}"
    return text.lstrip("-") if float(text) == 0 else text


_NUMBER = re.compile(r"[-\u2212]?(?:\d+(?:\.\d+)?|\.\d+)")


def _number(token: str) -> float:
    return float(token.replace("\u2212", "-"))


def _close(a: float, b: float, tol: Tolerance) -> bool:
    return abs(a - b) <= tol.atol + tol.rtol * abs(a)


def texts_close(a: str, b: str, tol: Tolerance) -> bool:
    """Whether two texts differ only in numbers that are pairwise within the tolerance.

    >>> texts_close("d = 0.53, p = .034", "d = 0.54, p = .034", Tolerance(atol=0.01))
    True
    """
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return False
    return all(_close(_number(x), _number(y), tol)
               for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b), strict=True))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and math.isfinite(value)


def compare_value(name: str, published: Any, rebuilt: Any, *, spec: str | None = None,
                  tolerance: Tolerance = DEFAULT_TOLERANCE, mcse: float | None = None,
                  printer: Printer = plain_printer) -> ResultCheck:
    """Compare one result present in both builds (rules in the module docstring).

    Parameters
    ----------
    name : str
        ``"<section>.<result>"``.
    published, rebuilt : str, float, int or None
        The two values (None: not available).
    spec : str, optional
        The prose's glue format of the result (``".0f"``).
    tolerance : Tolerance
        Tolerances.
    mcse : float, optional
        Monte Carlo standard error when the result is a Monte Carlo quantity compared
        under the same seed (else None).
    printer : Printer
        How the book prints a result (default :func:`plain_printer`).
    """
    shown = (printer(name, published, spec), printer(name, rebuilt, spec))

    def check(status: str, how: str = "") -> ResultCheck:
        return ResultCheck(name, published, rebuilt, status, how, *shown)

    if type(published) is type(rebuilt) and published == rebuilt:
        return check(MATCH, IDENTICAL)
    if isinstance(published, str) and isinstance(rebuilt, str):
        return check(MATCH, TOLERANCE) if texts_close(published, rebuilt, tolerance) \
            else check(DIFFERS)
    if not (_is_number(published) and _is_number(rebuilt)):
        if shown[0] == shown[1] and not isinstance(published, str) \
                and not isinstance(rebuilt, str):
            return check(MATCH, IDENTICAL)  # None and NaN: both not available
        return check(DIFFERS)
    if shown[0] == shown[1]:
        return check(MATCH, PRINTED)
    if _close(float(published), float(rebuilt), tolerance):
        return check(MATCH, TOLERANCE)
    if mcse is not None and abs(published - rebuilt) <= tolerance.mc_z * mcse:
        return check(MATCH, MONTE_CARLO)
    return check(DIFFERS)


def _mcse(name: str, *results: Mapping[str, Any]) -> float | None:
    values = [r.get(name + MCSE_SUFFIX) for r in results]
    known = [float(v) for v in values if _is_number(v) and v >= 0]
    return max(known) if known else None


def compare_results(published: Mapping[str, Any], rebuilt: Mapping[str, Any], *,
                    formats: Mapping[str, str] | None = None,
                    tolerance: Tolerance = DEFAULT_TOLERANCE,
                    same_seed: Iterable[str] = (),
                    printer: Printer = plain_printer) -> list[ResultCheck]:
    """Compare every result of two manifests' ``results`` (name -> value), sorted by name.

    Parameters
    ----------
    published, rebuilt : mapping
        ``{"<section>.<result>": value}``.
    formats : mapping, optional
        ``{"<section>.<result>": glue format}`` of the prose (:mod:`.glue`).
    tolerance : Tolerance
        Tolerances.
    same_seed : iterable of str
        Sections whose ``seed`` parameter is the same in both builds: their Monte Carlo
        quantities are compared within their Monte Carlo error.
    printer : Printer
        How the book prints a result.
    """
    formats = formats or {}
    seeded = set(same_seed)
    checks = []
    for name in sorted(set(published) | set(rebuilt)):
        if name not in rebuilt or name not in published:
            value = published.get(name, rebuilt.get(name))
            shown = printer(name, value, formats.get(name))
            status = ONLY_PUBLISHED if name in published else ONLY_REBUILT
            checks.append(ResultCheck(
                name, published.get(name), rebuilt.get(name), status, "",
                shown if name in published else "", shown if name in rebuilt else ""))
            continue
        mcse = _mcse(name, published, rebuilt) if name.split(".")[0] in seeded else None
        checks.append(compare_value(name, published[name], rebuilt[name],
                                    spec=formats.get(name), tolerance=tolerance, mcse=mcse,
                                    printer=printer))
    return checks


# ------------------------------------------------------------------------------ provenance
def _text(value: Any) -> str:
    if value is None:
        return "\u2014"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _mapping_detail(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[str, ...]:
    """``name: published -> rebuilt`` for every key whose values differ."""
    return tuple(f"{key}: {_text(a.get(key))} \u2192 {_text(b.get(key))}"
                 for key in sorted(set(a) | set(b), key=str.lower) if a.get(key) != b.get(key))


def provenance_facts(published: Mapping[str, Any], rebuilt: Mapping[str, Any]) -> list[Fact]:
    """Facts of both manifests: version, commit, Python, packages, data, sections.

    Per section: its parameters and the SHA-256 of its executed notebook and its results
    file (the manifest's ``outputs``).
    """
    facts = [Fact(key, _text(published.get(key)), _text(rebuilt.get(key)))
             for key in ("version", "commit", "build_date", "python")]
    pa, pb = published.get("packages") or {}, rebuilt.get("packages") or {}
    detail = _mapping_detail(pa, pb)
    facts.append(Fact("packages", f"{len(pa)} installed", f"{len(pb)} installed", detail))
    da, db = published.get("data") or {}, rebuilt.get("data") or {}
    facts.append(Fact("data package SHA-256", _text(da.get("sha256")), _text(db.get("sha256")),
                      tuple(line.split(":")[0] for line in _mapping_detail(
                          da.get("files") or {}, db.get("files") or {}))))
    facts.append(Fact("data package", _text(da.get("path")), _text(db.get("path"))))
    sa, sb = published.get("sections") or {}, rebuilt.get("sections") or {}
    for section in sorted(set(sa) | set(sb)):
        ra, rb = sa.get(section) or {}, sb.get(section) or {}
        facts.append(Fact(f"parameters of {section}", "", "",
                          _mapping_detail(ra.get("parameters") or {},
                                          rb.get("parameters") or {})))
        oa, ob = ra.get("outputs") or {}, rb.get("outputs") or {}
        for key, label in (("page", "executed notebook"), ("results", "results file")):
            facts.append(Fact(f"{label} {section}", _text(oa.get(key)), _text(ob.get(key))))
    return facts


def same_seed_sections(published: Mapping[str, Any], rebuilt: Mapping[str, Any]) -> list[str]:
    """Sections that have a ``seed`` parameter with the same value in both manifests."""
    sa, sb = published.get("sections") or {}, rebuilt.get("sections") or {}
    out = []
    for section in sorted(set(sa) & set(sb)):
        a = (sa[section] or {}).get("parameters") or {}
        b = (sb[section] or {}).get("parameters") or {}
        if "seed" in a and a.get("seed") == b.get("seed"):
            out.append(section)
    return out


def check_manifest(manifest: Any, label: str) -> dict[str, Any]:
    """Return ``manifest`` if it is a build manifest (an object with a ``results`` object).

    Raises
    ------
    ValueError
        Naming ``label`` and what is missing.
    """
    if not isinstance(manifest, dict) or not isinstance(manifest.get("results"), dict):
        raise ValueError(f"{label} is not a build manifest (no \"results\" object)")
    return manifest


def compare_manifests(published: Mapping[str, Any], rebuilt: Mapping[str, Any], *,
                      formats: Mapping[str, str] | None = None,
                      tolerance: Tolerance = DEFAULT_TOLERANCE,
                      extra_facts: Iterable[Fact] = (),
                      printer: Printer = plain_printer) -> Comparison:
    """Compare two build manifests: every result, then the provenance facts.

    Parameters
    ----------
    published, rebuilt : mapping
        The two manifests (``_build/manifest.json``).
    formats : mapping, optional
        Glue formats of the prose (:func:`mcbi.book.verify.glue.glue_formats`).
    tolerance : Tolerance
        Tolerances.
    extra_facts : iterable of Fact
        Further facts (the PDF's hash), listed after the manifests' own.
    printer : Printer
        How the book prints a result (:func:`mcbi.paper.precision.printed`).

    Raises
    ------
    ValueError
        If either is not a build manifest.
    """
    check_manifest(published, "the published manifest")
    check_manifest(rebuilt, "the rebuilt manifest")
    checks = compare_results(published["results"], rebuilt["results"], formats=formats,
                             tolerance=tolerance,
                             same_seed=same_seed_sections(published, rebuilt),
                             printer=printer)
    facts = provenance_facts(published, rebuilt) + list(extra_facts)
    return Comparison(tuple(checks), tuple(facts), tolerance)
