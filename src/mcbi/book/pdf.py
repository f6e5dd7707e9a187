"""``python -m mcbi pdf``: the built book as one paper-style PDF, offline.

The route (chosen and measured in ``benchmarks/bench_pdf.py``): Jupyter Book's
``singlehtml`` builder writes the whole book as one page from the already executed
notebooks (nothing is executed), a title page is put in front of it, and Debian's headless
Chromium prints it with the book's print stylesheet (``book/_static/mcbi-print.css``
hides code cells, toggles, sidebars and buttons; figures and tables keep their numbers).
WeasyPrint is not installed and the LaTeX builder needs TeX, which is not either.

Everything is built in ``Layout.stage_pdf``; only a valid PDF is moved to ``Layout.pdf``
(with ``Layout.pdf_record``, naming the build it was made from) and copied into the html
site (``Layout.pdf_download``), where it reveals the download link of the "How to cite"
page (a paragraph of class ``mcbi-pdf-download`` that the book writes hidden).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import yaml

from mcbi.book.jupyterbook import derived_config, problems
from mcbi.book.layout import CONFIG_FILE, JB_SINGLEHTML_DIR, Layout
from mcbi.book.provenance import BuildInfo
from mcbi.errors import BuildFailed, UserError

CHROMIUM_ENV = "MCBI_CHROMIUM"
"""Environment variable naming the Chromium executable (default: searched on PATH)."""
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-extensions", "--no-pdf-header-footer",
                  "--run-all-compositor-stages-before-draw", "--virtual-time-budget=20000")
PRINT_TIMEOUT = 300
"""Seconds Chromium may take to print the book."""
_JB_MAIN = "from jupyter_book.cli.main import main; main()"
_HIDDEN_LINK = re.compile(r'(<p class="mcbi-pdf-download")\s+hidden(="")?')
_REMOTE_SCRIPT = re.compile(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>')
_FRONT_MARKERS = ('<div id="jb-print-docs-body"', '<article class="bd-article">')
"""The title page goes before the theme's print-only contents, or else before the article."""
_PAGE = re.compile(rb"/Type\s*/Page[^s]")

Progress = Callable[[str], None]


class PdfFailed(BuildFailed):
    """jupyter-book or Chromium failed, or the printed file is not a PDF."""


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
    html_seconds, print_seconds : float
        Time of the singlehtml build and of the printing.
    """

    pdf: Path
    download: Path
    pages: int
    html_seconds: float
    print_seconds: float


# ----------------------------------------------------------------------------- chromium
def find_chromium() -> str:
    """Return the Chromium executable: ``$MCBI_CHROMIUM`` or the first found on PATH.

    Raises
    ------
    UserError
        If none is found, naming the package to install.
    """
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        found = shutil.which(named)
        if not found:
            raise UserError(f"{CHROMIUM_ENV}={named} is not an executable")
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise UserError("the PDF is printed by a headless Chromium, and none was found on PATH: "
                    "install it (`apt-get install chromium` on Debian/Ubuntu) or set "
                    f"{CHROMIUM_ENV} to its path")


def print_to_pdf(chromium: str, page: Path, dest: Path, log: list[str],
                 timeout: float = PRINT_TIMEOUT) -> Path:
    """Print the html file ``page`` to ``dest`` with headless Chromium; return ``dest``.

    Raises
    ------
    PdfFailed
        If Chromium fails, times out or writes no PDF.
    """
    dest.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="mcbi-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={dest}", page.resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise PdfFailed(f"Chromium did not print {page} within {timeout:.0f} s") from exc
    log.append(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    if proc.returncode != 0 or not dest.is_file():
        raise PdfFailed(f"Chromium exited with code {proc.returncode} and wrote no PDF")
    return dest


def count_pages(data: bytes) -> int:
    """Return the number of page objects (``/Type /Page``) of the PDF ``data``.

    Chromium writes its page objects uncompressed, so a byte search finds them.

    Raises
    ------
    PdfFailed
        If ``data`` is not a complete PDF.
    """
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise PdfFailed("the printed file is not a complete PDF")
    return len(_PAGE.findall(data))


# ----------------------------------------------------------------------------- html
def build_singlehtml(root: Path, config: Path, out: Path, log: list[str]) -> Path:
    """Build the book of ``root`` as one html page into ``out``; return its folder.

    Warnings are errors, as for the html book (``-W -n --keep-going``).

    Raises
    ------
    PdfFailed
        If jupyter-book fails or warns.
    """
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-c", _JB_MAIN, "build", str(root), "--builder", "singlehtml",
           "--path-output", str(out), "--config", str(config), "-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    log.append(f"$ jupyter-book build --builder singlehtml\n{proc.stdout}{proc.stderr}")
    found = problems(proc.stdout + proc.stderr)
    html = out / JB_SINGLEHTML_DIR
    if proc.returncode != 0 or found:
        shown = "\n  ".join(found[:10]) or f"jupyter-book exited with code {proc.returncode}"
        raise PdfFailed(f"the one-page html build failed:\n  {shown}")
    return html


def root_page(toc_file: Path) -> str:
    """Return the root document of the toc file (e.g. ``book/intro``).

    Raises
    ------
    UserError
        If the toc names no root.
    """
    toc = yaml.safe_load(Path(toc_file).read_text("utf-8")) or {}
    if not toc.get("root"):
        raise UserError(f"{toc_file} names no root document")
    return str(toc["root"])


def apa_reference(article: dict[str, Any]) -> str:
    """Return the APA (7th edition) reference of a CFF ``preferred-citation`` as html."""
    names = [f"{a['family-names']}, {a['given-names']}" for a in article.get("authors", [])]
    authors = names[0] if len(names) == 1 else ", ".join(names[:-1]) + ", & " + names[-1]
    if not names:
        authors = ""
    title = " ".join(str(article.get("title", "")).split())
    journal = escape(str(article.get("journal", "")))
    issue = f"({article['issue']})" if "issue" in article else ""
    pages = (f", {article['start']}–{article['end']}"
             if "start" in article and "end" in article else "")
    doi = article.get("doi")
    link = f' <a href="https://doi.org/{doi}">https://doi.org/{doi}</a>' if doi else ""
    return (f"{escape(authors)} ({article.get('year', 'n.d.')}). {escape(title)}. "
            f"<em>{journal}, {article.get('volume', '')}</em>{issue}{pages}.{link}")


def title_page(config: dict[str, Any], citation: dict[str, Any], info: BuildInfo,
               data_note: str) -> str:
    """Return the html of the PDF's title page.

    Parameters
    ----------
    config : dict
        The book's ``_config.yml`` (title, author).
    citation : dict
        ``CITATION.cff`` (software title; ``preferred-citation`` is the original article).
    info : BuildInfo
        Version, commit, data hash and date of the build the PDF shows.
    data_note : str
        One sentence on the data the book was built from.
    """
    title = escape(str(config.get("title") or citation.get("title") or "Book"))
    authors = [a.get("name") or f"{a.get('given-names', '')} {a.get('family-names', '')}"
               for a in citation.get("authors", [])] or [config.get("author", "")]
    article = citation.get("preferred-citation")
    original = (f'<p class="mcbi-title-label">A rebuild of the analysis of</p>'
                f'<p class="mcbi-title-article">{apa_reference(article)}</p>'
                if article else "")
    date = info.date.replace("T", " ").replace("Z", " UTC")
    return (
        '<section class="mcbi-titlepage">'
        f'<p class="mcbi-title">{title}</p>'
        f'<p class="mcbi-title-authors">{escape(", ".join(str(a) for a in authors))}</p>'
        f"{original}"
        '<p class="mcbi-title-label">This build</p>'
        f'<p class="mcbi-title-build">mcbi {escape(info.version)} · commit '
        f"<code>{escape(info.commit)}</code> · built {escape(date)}<br>"
        f"data package SHA-256 <code>{escape(info.data_sha256)}</code><br>"
        f"{escape(data_note)}</p>"
        '<p class="mcbi-title-license">Text and data: CC BY 4.0; code: MIT (see LICENSE). '
        "Cite the original article for the trial and its findings, and this build (version "
        "and commit) for the rebuild; see the chapter “How to cite”.</p>"
        "</section>"
    )


def prepare_page(html_dir: Path, page: str, front: str) -> Path:
    """Make the one-page html printable; return the file to print.

    The page sits in a sub-folder but links its assets as if at the top, so ``_static``
    and ``_images`` are linked (or copied) next to it; links within the page become
    anchors, the title page ``front`` goes before the contents, and remote scripts (MathJax
    from a CDN) are dropped: printing is offline.
    """
    target = html_dir / f"{page}.html"
    if not target.is_file():
        raise PdfFailed(f"the one-page html has no {page}.html")
    for asset in ("_static", "_images"):
        source, beside = html_dir / asset, target.parent / asset
        if source.is_dir() and target.parent != html_dir and not beside.exists():
            try:
                beside.symlink_to(source, target_is_directory=True)
            except OSError:
                shutil.copytree(source, beside)
    text = _REMOTE_SCRIPT.sub("", target.read_text("utf-8"))
    text = text.replace(f'href="{page}.html#', 'href="#')  # links within the PDF
    marker = next((m for m in _FRONT_MARKERS if m in text), None)
    if marker is None:
        raise PdfFailed("the one-page html has no place for the title page "
                        f"(none of {', '.join(_FRONT_MARKERS)})")
    text = text.replace(marker, front + marker, 1)
    printed = target.with_name("mcbi-print.html")
    printed.write_text(text, "utf-8")
    return printed


def data_note(layout: Layout, manifest: dict[str, Any]) -> str:
    """Return one sentence on the build's data package (synthetic or not)."""
    data = manifest.get("data") or {}
    path = str(data.get("path") or "")
    if data.get("synthetic") is True:  # established by the build, not the descriptor's flag
        return (f"Built from the synthetic data package {path} (same schema and design as the "
                "trial; not the trial's data): the numbers are not the published results.")
    digest = str(data.get("sha256"))[:12]
    return f"Built from the data package {path or '(unknown)'} (SHA-256 {digest})."


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


def build_pdf(root: Path | None = None, *, chromium: str | None = None,
              progress: Progress | None = None) -> PdfReport:
    """Print the built book of ``root`` to ``Layout.pdf``.

    Parameters
    ----------
    root : Path, optional
        Project root (default: the working directory).
    chromium : str, optional
        Chromium executable (default: :func:`find_chromium`).
    progress : callable, optional
        Receives the progress lines.

    Returns
    -------
    PdfReport
        The PDF, its copy in the html site, its page count and the times taken.

    Raises
    ------
    UserError
        The book has not been built, or no Chromium was found.
    PdfFailed
        jupyter-book or Chromium failed; any previous PDF is left in place.
    """
    say = progress or (lambda line: None)
    layout = Layout(root or Path.cwd())
    if not (layout.html / "index.html").is_file() or not layout.manifest.is_file():
        raise UserError("the book has not been built: run `make book` "
                        "(python -m mcbi build) before `make pdf`")
    executable = chromium or find_chromium()
    manifest = json.loads(layout.manifest.read_text("utf-8"))
    info = BuildInfo(manifest["version"], manifest["commit"], manifest["data"]["sha256"],
                     manifest["build_date"])
    stage = layout.stage_pdf
    if stage.exists():
        shutil.rmtree(stage)
    log: list[str] = []
    try:
        start = time.perf_counter()
        config = derived_config(layout.config, info, stage / CONFIG_FILE)
        html_dir = build_singlehtml(layout.root, config, stage / "jb", log)
        html_seconds = time.perf_counter() - start
        say(f"[pdf] one-page html built in {html_seconds:.1f} s")
        citation = (yaml.safe_load(layout.citation.read_text("utf-8"))
                    if layout.citation.is_file() else {}) or {}
        front = title_page(yaml.safe_load(layout.config.read_text("utf-8")) or {}, citation,
                           info, data_note(layout, manifest))
        page = prepare_page(html_dir, root_page(layout.toc), front)
        start = time.perf_counter()
        printed = print_to_pdf(executable, page, stage / layout.pdf.name, log)
        pages = count_pages(printed.read_bytes())
        print_seconds = time.perf_counter() - start
    finally:
        layout.pdf_log.parent.mkdir(parents=True, exist_ok=True)
        layout.pdf_log.write_text("\n".join(log), "utf-8")
    if pages < 1:
        raise PdfFailed(f"Chromium printed no page; see {layout.pdf_log}")
    say(f"[pdf] printed {pages} pages in {print_seconds:.1f} s")
    _replace(printed, layout.pdf)
    record = {"version": info.version, "commit": info.commit, "build_date": info.date,
              "pages": pages}
    layout.pdf_record.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", "utf-8")
    _replace(printed, layout.pdf_download)
    reveal_download_links(layout.html)
    shutil.rmtree(stage, ignore_errors=True)
    return PdfReport(layout.pdf, layout.pdf_download, pages, html_seconds, print_seconds)
