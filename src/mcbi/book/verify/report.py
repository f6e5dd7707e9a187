"""Reports of a verification: terminal summary lines, a JSON file and an HTML page.

Each differing or missing result is shown with its published and rebuilt value as the book
prints them and the page that shows it: a result ``<section>.<name>`` is printed on the
section's page, ``html/book/sections/<section>.html`` (with the page's title when the
archive's html is at hand). Nothing here prints; :mod:`mcbi.cli` shows the lines.
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcbi.book.layout import SECTIONS_DIR
from mcbi.book.verify.compare import Comparison, ResultCheck

SHOWN = 20
"""Differing or missing results listed on the terminal (all are in the reports)."""

_TITLE = re.compile(r"<title>(.*?)(?:\s+(?:&#8212;|\u2014).*)?</title>", re.S)


def page_of(name: str) -> str:
    """The html page (inside the book's html folder) that shows result ``name``."""
    return f"{SECTIONS_DIR}/{name.split('.', 1)[0]}.html"


def page_titles(html_dir: Path | None) -> dict[str, str]:
    """``{page: title}`` of the section pages of a built html folder (empty if none)."""
    titles: dict[str, str] = {}
    folder = None if html_dir is None else Path(html_dir) / SECTIONS_DIR
    if folder is None or not folder.is_dir():
        return titles
    for path in sorted(folder.glob("*.html")):
        match = _TITLE.search(path.read_text("utf-8", errors="replace")[:4000])
        if match:
            titles[f"{SECTIONS_DIR}/{path.name}"] = html.unescape(match.group(1)).strip()
    return titles


@dataclass(frozen=True)
class Verification:
    """What was verified, how, and the comparison.

    Attributes
    ----------
    subject : str
        The archive (or ``PUBLISHED vs REBUILT`` for two manifests).
    comparison : Comparison
        Results and facts.
    titles : dict
        ``{page: title}`` of the section pages.
    notes : tuple of str
        Lines about how the rebuild was made (environment, data, seconds).
    seconds : dict
        Time of each step.
    """

    subject: str
    comparison: Comparison
    titles: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every reported number matches."""
        return self.comparison.ok

    def where(self, name: str) -> str:
        """The page showing ``name``, with its title when known."""
        page = page_of(name)
        title = self.titles.get(page)
        return f"{page} ({title})" if title else page


def _short(text: str, width: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _hash(text: str) -> str:
    return text[:12] if re.fullmatch(r"[0-9a-f]{64}", text) else text


def check_line(check: ResultCheck, where: str) -> str:
    """One terminal line of a differing or missing result."""
    if check.status == "differs":
        return (f"  {check.name}: published {_short(check.shown_published)}, rebuilt "
                f"{_short(check.shown_rebuilt)}  [{where}]")
    value = _short(check.shown_published or check.shown_rebuilt)
    return f"  {check.name}: {check.status} ({value})  [{where}]"


def summary_lines(result: Verification, reports: Mapping[str, Path] | None = None) -> list[str]:
    """The terminal summary: counts, every differing result (up to :data:`SHOWN`), facts."""
    c = result.comparison
    n = c.counts()
    lines = [f"verify {result.subject}", *[f"  {note}" for note in result.notes],
             f"results compared: {n['compared']}; matched: {n['matched']} "
             f"({n['matched_identical']} identical, {n['matched_printed']} as printed, "
             f"{n['matched_tolerance']} within tolerance, {n['matched_monte_carlo']} within "
             f"Monte Carlo error); differing: {n['differing']}; in one build only: "
             f"{n['missing']}",
             f"  tolerance: rtol {c.tolerance.rtol:g}, atol {c.tolerance.atol:g}; Monte Carlo "
             f"quantities within {c.tolerance.mc_z:g} MCSE when the seed is the same"]
    bad = c.differing + c.missing
    if bad:
        lines.append("differing results (as the book prints them):")
        lines += [check_line(check, result.where(check.name)) for check in bad[:SHOWN]]
        if len(bad) > SHOWN:
            lines.append(f"  ... and {len(bad) - SHOWN} more (see the report)")
    lines.append("provenance that differs (reported; differing bytes are not a failure when "
                 "the numbers agree):")
    same = [f.what for f in c.facts if f.same]
    for fact in c.facts:
        if fact.same:
            continue
        values = ("" if not (fact.published or fact.rebuilt) else
                  f"published {_hash(fact.published)}, rebuilt {_hash(fact.rebuilt)}")
        detail = "; ".join(fact.detail[:4]) + (" ..." if len(fact.detail) > 4 else "")
        lines.append(f"  {fact.what}: " + "; ".join(x for x in (values, detail) if x))
    if same:
        lines.append(f"  same in both: {_short(', '.join(same), 400)}")
    lines.append("verdict: every reported number matches" if result.ok else
                 f"verdict: {n['differing'] + n['missing']} reported numbers differ or are "
                 "missing")
    for kind, path in (reports or {}).items():
        lines.append(f"{kind} report: {path}")
    return lines


def _check_dict(check: ResultCheck, result: Verification) -> dict[str, Any]:
    return {"name": check.name, "status": check.status, "how": check.how,
            "published": check.published, "rebuilt": check.rebuilt,
            "printed_published": check.shown_published,
            "printed_rebuilt": check.shown_rebuilt, "page": page_of(check.name),
            "page_title": result.titles.get(page_of(check.name))}


def to_json(result: Verification) -> dict[str, Any]:
    """The JSON report: counts, tolerance, every result checked, every fact."""
    c = result.comparison
    return {
        "subject": result.subject, "ok": result.ok, "counts": c.counts(),
        "tolerance": {"rtol": c.tolerance.rtol, "atol": c.tolerance.atol,
                      "mc_z": c.tolerance.mc_z},
        "notes": list(result.notes), "seconds": result.seconds,
        "results": [_check_dict(check, result) for check in c.checks],
        "provenance": [{"what": f.what, "same": f.same, "published": f.published,
                        "rebuilt": f.rebuilt, "detail": list(f.detail)} for f in c.facts],
    }


_CSS = ("body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;"
        "padding:0 1rem}table{border-collapse:collapse;width:100%;margin:1rem 0}"
        "td,th{border-bottom:1px solid #ddd;padding:.25rem .5rem;text-align:left;"
        "vertical-align:top}.bad{color:#a00}.ok{color:#060}code{font-size:90%}")


def to_html(result: Verification) -> str:
    """The HTML report: the verdict, the differing results, then every result and fact."""
    c, e = result.comparison, html.escape
    n = c.counts()
    verdict = ("Every reported number matches." if result.ok else
               f"{n['differing'] + n['missing']} reported numbers differ or are missing.")

    def rows(checks: list[ResultCheck]) -> str:
        return "".join(
            f"<tr><td><code>{e(x.name)}</code></td><td>{e(x.shown_published)}</td>"
            f"<td>{e(x.shown_rebuilt)}</td><td class=\"{'ok' if x.ok else 'bad'}\">"
            f"{e(x.status)}{' (' + e(x.how) + ')' if x.how else ''}</td>"
            f"<td>{e(result.where(x.name))}</td></tr>" for x in checks)

    head = ("<tr><th>Result</th><th>Published</th><th>Rebuilt</th><th>Verdict</th>"
            "<th>Page</th></tr>")
    facts = "".join(
        f"<tr><td>{e(f.what)}</td><td>{e(f.published)}</td><td>{e(f.rebuilt)}</td>"
        f"<td class=\"{'ok' if f.same else 'bad'}\">{'same' if f.same else 'differs'}</td>"
        f"<td>{e('; '.join(f.detail))}</td></tr>" for f in c.facts)
    bad = c.differing + c.missing
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Verification of {e(result.subject)}</title><style>{_CSS}</style></head><body>"
        f"<h1>Verification of {e(result.subject)}</h1>"
        f"<p class=\"{'ok' if result.ok else 'bad'}\"><strong>{e(verdict)}</strong></p>"
        + "".join(f"<p>{e(note)}</p>" for note in result.notes)
        + f"<p>Results compared: {n['compared']}; matched: {n['matched']} "
        f"({n['matched_identical']} identical, {n['matched_printed']} as printed, "
        f"{n['matched_tolerance']} within tolerance, {n['matched_monte_carlo']} within "
        f"Monte Carlo error); differing: {n['differing']}; in one build only: "
        f"{n['missing']}. Tolerance: rtol {c.tolerance.rtol:g}, atol {c.tolerance.atol:g}; "
        f"Monte Carlo quantities within {c.tolerance.mc_z:g} MCSE.</p>"
        + (f"<h2>Differing results</h2><table>{head}{rows(bad)}</table>" if bad else "")
        + f"<h2>Provenance</h2><p>Reported; differing bytes are not a failure when the "
        "numbers agree.</p><table><tr><th>What</th><th>Published</th><th>Rebuilt</th>"
        f"<th></th><th>Detail</th></tr>{facts}</table>"
        f"<h2>Every result</h2><table>{head}{rows(list(c.checks))}</table></body></html>\n")


def _write(path: Path, text: str) -> None:
    """Write ``text`` aside, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for reading
    os.replace(tmp, path)


def write_reports(result: Verification, out_dir: Path) -> dict[str, Path]:
    """Write ``verify-report.json`` and ``verify-report.html`` into ``out_dir``."""
    out = Path(out_dir)
    paths = {"JSON": out / "verify-report.json", "HTML": out / "verify-report.html"}
    _write(paths["JSON"], json.dumps(to_json(result), indent=1, ensure_ascii=False,
                                     default=repr) + "\n")
    _write(paths["HTML"], to_html(result))
    return paths
