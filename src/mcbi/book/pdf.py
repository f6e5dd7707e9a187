"""``python -m mcbi pdf``: the built book typeset with Typst as an APA 7 journal article.

The route (chosen over converting the book's MyST sources a second time): the html build
already resolves every page — glued values pasted, citations and the reference list
written in the book's APA style, tables and figures numbered — and, through
:mod:`mcbi.book.typst_sphinx`, writes each resolved page as Typst markup to
``Layout.typst``. The PDF is therefore made from the very tree the html shows, with the
same numbers, words, table and figure numbers; nothing is parsed or executed again, and
typesetting takes well under the 3 s the issue allows.

This module only assembles the article: the parts of ``book/typst/paper.yml`` (abstract,
Introduction, Method, Results, Discussion, the reproducibility statement, References,
Appendices), the metadata from the build's manifest, ``CITATION.cff`` and the lock file,
and the project's APA 7 template ``book/typst/apa7.typ`` (no package of Typst's online
registry). The `typst` wheel (pinned in the lock) carries the compiler and its fonts; the
document date is the manifest's build date, so the same build gives the same bytes.

Everything is written in ``Layout.stage_pdf``; only a complete PDF moves to ``Layout.pdf``,
with ``Layout.pdf_record`` (which build, which style, its SHA-256) and a copy in the html
site (``Layout.pdf_download``), where it reveals the download link of the "How to cite"
page (a paragraph of class ``mcbi-pdf-download`` that the book writes hidden).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from mcbi.book.layout import TYPST_DIR, TYPST_TEMPLATE, Layout
from mcbi.book.provenance import DATA_HASH_COMMAND
from mcbi.book.typst_markup import label_name, string
from mcbi.book.typst_sphinx import fragment_name
from mcbi.errors import BuildFailed, UserError
from mcbi.hashing import sha256_file
from mcbi.paper.render.printsize import MIN_PRINT_PT, PRINT_HEIGHT_IN, PRINT_WIDTH_IN

STYLES = ("journal", "manuscript")
"""Layouts of the APA 7 template: a typeset article, or a manuscript for submission."""
TEMPLATE = TYPST_TEMPLATE
STATEMENT = f"{TYPST_DIR}/statement.typ"
PLAN = f"{TYPST_DIR}/paper.yml"
_ANCHOR = re.compile(r'(?:#anchor\(|label: |#bib-entry\()"([^"]+)"')
_INCLUDE = re.compile(r'include "/([^"]+)"')
_FIGURE = re.compile(r'#apa-figure\(label: "[^"]*", number: "([^"]+)", path: "/([^"]+\.svg)"')
_SVG_SIZE = re.compile(r'<svg[^>]*\swidth="([\d.]+)pt"[^>]*\sheight="([\d.]+)pt"')
_SMALLEST = re.compile(r"smallest text ([\d.]+) pt")
MIN_TEXT_PT = MIN_PRINT_PT
"""No text of a figure smaller than this at print size (the book's rule, 9 pt; APA asks 8)."""
TEXT_BOX_PT = (PRINT_WIDTH_IN * 72, PRINT_HEIGHT_IN * 72)
"""Largest size of a figure in the template, in points: the size the figures are drawn for
(:mod:`mcbi.paper.render.figures`), passed to the template, so the two cannot differ."""
_PAGE_TREE = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)")
_HIDDEN_LINK = re.compile(r'(<p class="mcbi-pdf-download")\s+hidden(="")?')

Progress = Callable[[str], None]


class PdfFailed(BuildFailed):
    """Typst failed, or the typeset file is not a PDF."""


@dataclass(frozen=True)
class PdfReport:
    """The result of :func:`build_pdf`.

    Attributes
    ----------
    pdf : Path
        The PDF written (``Layout.pdf``).
    download : Path
        Its copy in the html site (``Layout.pdf_download``).
    pages : int
        Number of pages.
    seconds : float
        Time Typst took.
    sha256 : str
        SHA-256 of the PDF.
    style : str
        The template's layout (:data:`STYLES`).
    """

    pdf: Path
    download: Path
    pages: int
    seconds: float
    sha256: str
    style: str


# ----------------------------------------------------------------------------- metadata
def data_note(manifest: dict[str, Any]) -> str:
    """Return one sentence on the build's data package (synthetic only when established)."""
    data = manifest.get("data") or {}
    path = str(data.get("path") or "")
    if data.get("synthetic") is True:  # established by the build, not the descriptor's flag
        return (f"Built from the synthetic data package {path} (same schema and design as the "
                "trial; not the trial's data): the numbers are not the published results.")
    digest = str(data.get("sha256"))
    return f"Built from the data package {path or '(unknown)'} (SHA-256 {digest})."


def apa_authors(authors: list[dict[str, Any]]) -> str:
    """Authors of a CFF reference in APA order ("A, B., C, D., & E, F.")."""
    names = [f"{a.get('family-names', '')}, {a.get('given-names', '')}".strip(", ")
             if "family-names" in a else str(a.get("name", "")) for a in authors]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + ", & " + names[-1]


def trial_reference(article: dict[str, Any] | None) -> dict[str, str]:
    """The fields of the original article (CFF ``preferred-citation``) for the template."""
    article = article or {}
    pages = (f"{article['start']}–{article['end']}"
             if "start" in article and "end" in article else "")
    return {"authors": apa_authors(article.get("authors") or []),
            "year": str(article.get("year", "n.d.")),
            "title": " ".join(str(article.get("title", "")).split()),
            "journal": str(article.get("journal", "")), "volume": str(article.get("volume", "")),
            "issue": str(article.get("issue", "")), "pages": pages,
            "doi": str(article.get("doi", ""))}


def paper_meta(layout: Layout, manifest: dict[str, Any]) -> dict[str, Any]:
    """Return the article's metadata: title, authors, keywords, build, data and lock file."""
    config = yaml.safe_load(layout.config.read_text("utf-8")) or {}
    cff = (yaml.safe_load(layout.citation.read_text("utf-8"))
           if layout.citation.is_file() else None) or {}
    plan = read_plan(layout)
    authors = [str(a.get("name") or f"{a.get('given-names', '')} {a.get('family-names', '')}")
               for a in cff.get("authors") or []] or [str(config.get("author", ""))]
    affiliations = sorted({str(a["affiliation"]) for a in cff.get("authors") or []
                           if a.get("affiliation")})
    date = datetime.strptime(manifest["build_date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    data = manifest.get("data") or {}
    lock = layout.requirements_txt
    return {
        "title": str(config.get("title") or cff.get("title") or "Untitled"),
        "authors": authors, "affiliation": "; ".join(affiliations),
        "keywords": [str(k) for k in cff.get("keywords") or []],
        "running_head": str(plan.get("running_head") or config.get("title") or "")[:50],
        "doi": str(cff.get("doi") or ""),
        "trial": trial_reference(cff.get("preferred-citation")),
        "version": str(manifest.get("version", "")), "commit": str(manifest.get("commit", "")),
        "date": [date.year, date.month, date.day, date.hour, date.minute, date.second],
        "date_text": date.strftime("%Y-%m-%d %H:%M UTC"),
        "epoch": str(int(date.timestamp())),
        "data_path": str(data.get("path") or ""), "data_sha256": str(data.get("sha256", "")),
        "data_note": data_note(manifest),
        "data_hash_command": DATA_HASH_COMMAND,
        "lock_file": layout.rel(lock),
        "lock_sha256": sha256_file(lock) if lock.is_file() else "(missing)",
    }


# ----------------------------------------------------------------------------- the article
def read_plan(layout: Layout) -> dict[str, Any]:
    """Return ``book/typst/paper.yml`` (which pages make which part of the article)."""
    path = layout.root / PLAN
    if not path.is_file():
        raise UserError(f"{layout.rel(path)} is missing: it says which pages make the PDF")
    return yaml.safe_load(path.read_text("utf-8")) or {}


def _include(layout: Layout, page: str) -> str:
    cut = layout.stage_pdf / "pages" / fragment_name(page)
    path = cut if cut.is_file() else layout.typst / fragment_name(page)
    return f"include {string('/' + layout.rel(path))}"


def without_sections(markup: str, anchors: list[str]) -> str:
    """Return a page's markup without the sections whose anchor is in ``anchors``.

    A section runs from its heading line (``==`` …, followed by its anchors) to the next
    heading of the same or a higher level.
    """
    lines = markup.split("\n")
    for name in anchors:
        at = next((i for i, line in enumerate(lines) if f'#anchor({string(name)})' in line
                   and i and lines[i - 1].startswith("=")), None)
        if at is None:
            continue
        start = at - 1
        level = len(lines[start]) - len(lines[start].lstrip("="))
        end = next((j for j in range(at, len(lines)) if lines[j].startswith("=")
                    and len(lines[j]) - len(lines[j].lstrip("=")) <= level), len(lines))
        lines = lines[:start] + lines[end:]
    return "\n".join(lines)


def cut_pages(layout: Layout, plan: dict[str, Any]) -> list[str]:
    """Write the pages that lose sections (``omit_sections``) to the stage; return them.

    ``omit_sections`` names sections as ``page#id`` (the id of the html's anchor).
    """
    wanted: dict[str, list[str]] = {}
    for entry in plan.get("omit_sections") or []:
        page, _, ident = str(entry).partition("#")
        wanted.setdefault(page, []).append(label_name(page, ident))
    written = []
    for page, anchors in sorted(wanted.items()):
        source = layout.typst / fragment_name(page)
        if source.is_file():
            dest = layout.stage_pdf / "pages" / fragment_name(page)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(without_sections(source.read_text("utf-8"), anchors), "utf-8")
            written.append(page)
    return written


def _pages(layout: Layout, pages: list[str]) -> list[str]:
    return [p for p in pages if (layout.typst / fragment_name(p)).is_file()]


def unplanned(layout: Layout, plan: dict[str, Any]) -> list[str]:
    """Pages of the build that the plan neither places nor omits (sorted by name)."""
    named = {*(plan.get("abstract") or []), plan.get("key_results"), plan.get("references"),
             *(plan.get("appendices") or []), *(plan.get("omit") or [])}
    for entry in plan.get("body") or []:
        named.update(entry.get("pages") or [])
    built = sorted(p.name[:-len(".typ")].replace(".", "/")
                   for p in layout.typst.glob("*.typ"))
    return [page for page in built if page not in named and fragment_name(page) and
            (layout.typst / fragment_name(page)).is_file()]


def article_source(layout: Layout, style: str) -> str:
    """Return the Typst source of the article (parts of :data:`PLAN`, in order).

    Pages that lose sections are written to the stage first (:func:`cut_pages`).
    """
    plan = read_plan(layout)
    cut_pages(layout, plan)
    abstract = next(iter(_pages(layout, list(plan.get("abstract") or []))), None)
    key = plan.get("key_results")
    lines = [f"#import {string('/' + TEMPLATE)}: *",
             f"#import {string('/' + STATEMENT)}: *",
             '#let meta = json("meta.json")',
             "#show: apa7.with(meta: meta, "
             f"abstract: {'[#' + _include(layout, abstract) + ']' if abstract else 'none'})"]

    def part(heading: str, pages: list[str], lead: list[str] = ()) -> None:
        pages = _pages(layout, [*lead, *pages])
        if len(pages) == 1:  # the page's own title heads the part
            lines.append(f"#{_include(layout, pages[0])}")
        elif pages:
            lines.append(f"= {heading}")
            lines.extend(f"#[#set heading(offset: 1)\n#{_include(layout, page)}]"
                         for page in pages)

    for entry in plan.get("body") or []:
        lead = [key] if key and abstract != key and entry.get("heading") == "Results" else []
        part(str(entry["heading"]), list(entry.get("pages") or []), lead)
    for page in unplanned(layout, plan):  # a page the plan does not know: shown, not lost
        part("", [page])
    lines.append("= Reproducibility Statement\n#reproducibility(meta)")
    refs = _pages(layout, [plan["references"]] if plan.get("references") else [])
    if refs:
        lines.append(("#pagebreak()\n" if style == "manuscript" else "")
                     + f"#{_include(layout, refs[0])}")
    lines.append("#deferred-pages()")
    appendices = _pages(layout, list(plan.get("appendices") or []))
    for i, page in enumerate(appendices):
        letter = chr(ord("A") + i) if len(appendices) > 1 else ""
        lines.append(f"#pagebreak(weak: true)\n#appendix({string(letter)}, "
                     f"{_include(layout, page)})")
    return "\n\n".join(lines) + "\n"


def anchors(layout: Layout, source: str) -> list[str]:
    """Return the anchors of the pages the article ``source`` includes (sorted)."""
    found: set[str] = set()
    for rel in _INCLUDE.findall(source):
        found.update(_ANCHOR.findall((layout.root / rel).read_text("utf-8")))
    return sorted(found)


def figure_text_sizes(layout: Layout, source: str) -> dict[str, float]:
    """Smallest text of each vector figure at print size, in pt (figure number -> size).

    The size a figure was drawn with (its SVG's description, written by
    :func:`mcbi.paper.render.figures.save`) times the scale the template applies to fit it into
    :data:`TEXT_BOX_PT`. A figure without that record (not saved by ``save``) gets 0.
    """
    sizes: dict[str, float] = {}
    for rel in _INCLUDE.findall(source):
        for number, svg in _FIGURE.findall((layout.root / rel).read_text("utf-8")):
            text = (layout.root / svg).read_text("utf-8")[:4000]
            box, smallest = _SVG_SIZE.search(text), _SMALLEST.search(text)
            if box and smallest:
                scale = min(1.0, TEXT_BOX_PT[0] / float(box.group(1)),
                            TEXT_BOX_PT[1] / float(box.group(2)))
                sizes[number] = round(float(smallest.group(1)) * scale, 1)
            else:
                sizes[number] = 0.0
    return sizes


def typeset(layout: Layout, source: Path, dest: Path, style: str) -> list[str]:
    """Compile the Typst file ``source`` (root: the project) to ``dest``; return warnings.

    ``anchors.json`` beside ``source`` lists the anchors links may point to (the others
    stay text).

    Raises
    ------
    PdfFailed
        If Typst reports an error.
    """
    import typst  # the compiler: imported here, only `mcbi pdf` needs it

    try:
        _, warnings = typst.compile_with_warnings(
            str(source), output=str(dest), root=str(layout.root), format="pdf",
            ignore_system_fonts=True,  # the wheel's fonts only: the same bytes on any machine
            sys_inputs={"style": style,
                        "anchors": "/" + layout.rel(source.with_name("anchors.json")),
                        "figure-width": f"{PRINT_WIDTH_IN:g}",
                        "figure-height": f"{PRINT_HEIGHT_IN:g}"})
    except typst.TypstError as exc:
        raise PdfFailed(f"Typst could not typeset {layout.rel(source)}:\n{exc}") from None
    return [str(getattr(w, "message", w)) for w in warnings]


def count_pages(data: bytes) -> int:
    """Return the number of pages of the PDF ``data`` (the page tree's ``/Count``).

    Typst writes its page tree uncompressed, so a byte search finds it (a PDF library
    would take longer to import than Typst takes to typeset).

    Raises
    ------
    PdfFailed
        If ``data`` is not a complete PDF or has no page tree.
    """
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise PdfFailed("the typeset file is not a complete PDF")
    counts = [int(n) for n in _PAGE_TREE.findall(data)]
    if not counts:
        raise PdfFailed("the typeset PDF has no page tree")
    return max(counts)


# ----------------------------------------------------------------------------- pipeline
def _replace(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    aside = dest.with_name(dest.name + ".part")
    shutil.copyfile(source, aside)
    os.replace(aside, dest)


def reveal_download_links(html_dir: Path) -> list[Path]:
    """Unhide the PDF download paragraphs of the html site; return the pages changed."""
    changed = []
    for page in sorted(html_dir.rglob("*.html")):
        text = page.read_text("utf-8")
        new = _HIDDEN_LINK.sub(r"\1", text)
        if new != text:
            aside = page.with_name(page.name + ".part")
            aside.write_text(new, "utf-8")
            os.replace(aside, page)
            changed.append(page)
    return changed


def build_pdf(root: Path | None = None, *, style: str = "journal",
              progress: Progress | None = None) -> PdfReport:
    """Typeset the built book of ``root`` as an APA 7 article to ``Layout.pdf``.

    Parameters
    ----------
    root : Path, optional
        Project root (default: the working directory).
    style : {"journal", "manuscript"}
        Layout of the template.
    progress : callable, optional
        Receives the progress lines.

    Returns
    -------
    PdfReport
        The PDF, its copy in the html site, its page count, time and SHA-256.

    Raises
    ------
    UserError
        Unknown style, or the book has not been built (with its Typst pages).
    PdfFailed
        Typst failed; any previous PDF is left in place.
    """
    if style not in STYLES:
        raise UserError(f"unknown PDF style {style!r}: choose one of {', '.join(STYLES)}")
    say = progress or (lambda line: None)
    layout = Layout(root or Path.cwd())
    if (not (layout.html / "index.html").is_file() or not layout.manifest.is_file()
            or not layout.typst.is_dir()):
        raise UserError("the book has not been built: run `make book` "
                        "(python -m mcbi build) before `make pdf`")
    manifest = json.loads(layout.manifest.read_text("utf-8"))
    stage = layout.stage_pdf
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    meta = paper_meta(layout, manifest)
    (stage / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False), "utf-8")
    source = stage / "article.typ"
    text = article_source(layout, style)
    source.write_text(text, "utf-8")
    (stage / "anchors.json").write_text(json.dumps(anchors(layout, text)), "utf-8")
    printed = stage / layout.pdf.name
    start = time.perf_counter()
    warnings = typeset(layout, source, printed, style)
    seconds = time.perf_counter() - start
    layout.pdf_log.parent.mkdir(parents=True, exist_ok=True)
    layout.pdf_log.write_text("".join(f"warning: {w}\n" for w in warnings), "utf-8")
    data = printed.read_bytes()
    pages = count_pages(data)
    digest = sha256_file(printed)
    say(f"[pdf] typeset {pages} pages ({style}) in {seconds:.2f} s; SHA-256 {digest}")
    for warning in warnings:
        say(f"[pdf] Typst warning: {warning}")
    for number, size in figure_text_sizes(layout, text).items():
        if size < MIN_TEXT_PT:
            say(f"[pdf] Figure {number}: smallest text {size:g} pt at print size "
                f"(at least {MIN_TEXT_PT:g} pt; draw it smaller or with larger text)"
                if size else f"[pdf] Figure {number}: no recorded text size (not saved by "
                "mcbi.paper.render.figures.save)")
    _replace(printed, layout.pdf)
    record = {"version": meta["version"], "commit": meta["commit"],
              "build_date": manifest.get("build_date"), "data_sha256": meta["data_sha256"],
              "style": style, "pages": pages, "sha256": digest}
    layout.pdf_record.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", "utf-8")
    _replace(printed, layout.pdf_download)
    reveal_download_links(layout.html)
    shutil.rmtree(stage, ignore_errors=True)
    return PdfReport(layout.pdf, layout.pdf_download, pages, seconds, digest, style)
