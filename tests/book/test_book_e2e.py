"""End to end: build the real book from a clean copy of the work tree, then check the html."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import BuiltBook, abstract_words, toc_files
from mcbi.book.typography import smart_quotes

pytestmark = pytest.mark.e2e

UNRESOLVED = ("No key", "{glue", "??", "undefined label", "unknown document")


def page_text(path: Path) -> str:
    """Return the visible text of a page's main content (scripts and styles dropped)."""
    soup = BeautifulSoup(path.read_text("utf-8"), "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    main = soup.find("main") or soup.body
    return main.get_text(" ")


def test_every_toc_chapter_has_a_page(built_book: BuiltBook) -> None:
    html = built_book.root / "_build" / "html"
    missing = [f for f in toc_files(built_book.root) if not (html / f"{f}.html").is_file()]
    assert missing == []


def test_no_unresolved_glue_or_reference(built_book: BuiltBook) -> None:
    html = built_book.root / "_build" / "html"
    found = {}
    for name in toc_files(built_book.root):
        text = page_text(html / f"{name}.html")
        hits = [marker for marker in UNRESOLVED if marker in text]
        if hits:
            found[name] = hits
    assert found == {}


def test_footer_on_every_page(built_book: BuiltBook) -> None:
    html = built_book.root / "_build" / "html"
    manifest = json.loads((built_book.root / "_build" / "manifest.json").read_text("utf-8"))
    for name in toc_files(built_book.root):
        text = (html / f"{name}.html").read_text("utf-8")
        assert manifest["data"]["sha256"] in text, name
        assert f"commit <code>{manifest['commit']}</code>" in text, name


def test_jupyter_book_reported_no_warning(built_book: BuiltBook) -> None:
    log = (built_book.root / "_build" / "logs" / "jupyter-book.log").read_text("utf-8")
    assert "WARNING" not in log
    assert "build succeeded" in log


def test_manifest_holds_the_results_of_every_section(built_book: BuiltBook) -> None:
    manifest = json.loads((built_book.root / "_build" / "manifest.json").read_text("utf-8"))
    sections = sorted(p.stem for p in (built_book.root / "notebooks").glob("*.ipynb"))
    assert sorted(manifest["sections"]) == sections
    for section in sections:
        keys = [k for k in manifest["results"] if k.startswith(f"{section}.")]
        assert keys, f"no result recorded for {section}"
        assert manifest["sections"][section]["parameters"]["data_dir"]
    assert manifest["data"]["files"] and re.fullmatch(r"[0-9a-f]{64}", manifest["data"]["sha256"])


def test_progress_lines_and_no_op_rebuild(built_book: BuiltBook) -> None:
    sections = sorted(p.stem for p in (built_book.root / "notebooks").glob("*.ipynb"))
    first = built_book.first.stdout.splitlines()
    for section in sections:
        assert any(re.fullmatch(rf"\[{section}\] executed in \d+\.\d s", line)
                   for line in first), section
    second = built_book.second.stdout.splitlines()
    reported = [line for line in second if line.startswith("[") and not line.startswith("[pages]")
                and not line.startswith("[book]")]
    # every section once, a section after those whose records it reads (04 after 02, 03)
    assert sorted(reported) == [f"[{s}] up to date" for s in sections]
    order = [line[1:line.index("]")] for line in reported]
    assert order.index("04_published") > max(order.index("02_therapists"),
                                              order.index("03_patients"))
    assert "[book] up to date" in second


def test_no_absolute_path_in_pages_manifest_or_notebooks(built_book: BuiltBook) -> None:
    root = built_book.root
    files = [*(root / "_build" / "html").rglob("*.html"), root / "_build" / "manifest.json",
             *(root / "book" / "sections").glob("*.ipynb")]
    leaking = [str(p.relative_to(root)) for p in files if str(root) in p.read_text("utf-8")]
    assert leaking == []


# --- APA presentation --------------------------------------------------------------------


def _soup(built: BuiltBook, doc: str) -> BeautifulSoup:
    return BeautifulSoup((built.root / "_build" / "html" / f"{doc}.html").read_text("utf-8"),
                         "html.parser")


def test_reference_list_is_apa_author_year(built_book: BuiltBook) -> None:
    soup = _soup(built_book, "book/references")
    entries = soup.select("div.citation")
    assert entries, "no reference list"
    # APA lists carry no label before an entry ("[Baer et al., 2006] Baer, R. A., ...")
    shown = [label.get_text("").strip() for e in entries for label in e.select("span.label")]
    assert not any(shown), shown
    text = " ".join(" ".join(e.get_text(" ").split()) for e in entries)
    assert "Garrote-Caparrós, E., Lecuona, Ó., Bellosta-Batalla, M., Moya-Albiol, L., & " \
           "Cebolla, A. (2023)" in text
    # titles keep the capitalization of the .bib file (pybtex's default lower-cases them)
    assert "their patients: Empathy, symptomatology" in text
    assert "Psychotherapy , 60 (2), 182–193" in text or "Psychotherapy, 60(2), 182–193" in text


def _nested_parenthesis(text: str) -> str | None:
    """The context of the first "(" opened inside another "(", else None (APA: brackets)."""
    depth = 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
            if depth >= 2:
                return text[max(0, i - 60):i + 40]
        elif char == ")":
            depth = max(0, depth - 1)
    return None


def test_citations_are_author_year_in_round_brackets(built_book: BuiltBook) -> None:
    """``{cite:p}`` is "(Author, Year)", never "[...]", and never inside other parentheses."""
    found: dict[str, list[str]] = {}
    for doc in toc_files(built_book.root):
        soup = _soup(built_book, doc)
        bad = [c.get_text("") for c in soup.select("main span.bibtex-citation")
               if "[" in c.get_text("")]
        for block in soup.select("main p, main li"):
            if block.find_parent(["pre", "table"]) or block.find_parent(class_="cell_input"):
                continue
            nested = _nested_parenthesis(" ".join(block.get_text("").split()))
            if nested:
                bad.append(nested)
        if bad:
            found[doc] = bad
    assert found == {}
    abstract = [c.get_text("") for c in _soup(built_book, "book/abstract").select(
        "span.bibtex-citation")]
    assert "(Garrote-Caparrós et al., 2023)" in abstract
    intro = [c.get_text("") for c in _soup(built_book, "book/intro").select(
        "span.bibtex-citation")]
    assert "(Elliott et al., 2018; Flückiger et al., 2018)" in intro


def test_glued_numbers_are_typeset(built_book: BuiltBook) -> None:
    """Glued numbers: a true minus sign, no scientific notation, not set in bold."""
    found = {}
    for doc in toc_files(built_book.root):
        spans = [s.get_text("") for s in _soup(built_book, doc).select("span.pasted-text")]
        bad = [s for s in spans if re.search(r"(?<![\w.])-\.?\d|\d[eE][+-]?\d", s)]
        if bad:
            found[doc] = bad
    assert found == {}
    css = (built_book.root / "book" / "_static" / "mcbi.css").read_text("utf-8")
    assert re.search(r"span\.pasted-text\s*\{\s*font-weight:\s*inherit", css)


def test_table_cells_show_model_definitions_literally(built_book: BuiltBook) -> None:
    soup = _soup(built_book, "book/sections/05_mechanisms")
    cells = [c.get_text("") for c in soup.select("table td")]
    assert any("a × b × c₁" in c for c in cells)  # defined paths in words and symbols
    # no asterisk of a definition read as emphasis (statistics' symbols are italic by design)
    definitions = [c for c in soup.select("table td") if "×" in c.get_text("")]
    assert definitions and all(c.find("em") is None for c in definitions)


def test_key_results_page(built_book: BuiltBook) -> None:
    """The structured abstract: right after the introduction, every part, the data note."""
    assert toc_files(built_book.root)[:3] == ["book/intro", "book/abstract", "book/key_results"]
    manifest = json.loads((built_book.root / "_build" / "manifest.json").read_text("utf-8"))
    soup = _soup(built_book, "book/key_results")
    text = " ".join(soup.find("main").get_text(" ").split())
    for part in ("Background", "Methods", "Results", "Conclusions"):
        assert part in text
    note = " ".join(manifest["results"]["01_sample.data_note"].split())
    assert smart_quotes(note) in text  # as the page sets it: "the trial’s design"
    assert len(soup.select("span.pasted-text")) >= 10


def test_abstract_is_a_page_of_at_most_250_words_in_apa_parts(built_book: BuiltBook) -> None:
    html = built_book.root / "_build" / "html"
    assert 100 <= abstract_words(html) <= 250
    text = " ".join(_soup(built_book, "book/abstract").find("main").get_text(" ").split())
    for part in ("Objective.", "Method.", "Results.", "Conclusions."):
        assert part in text


def test_no_page_shows_or_toggles_code(built_book: BuiltBook) -> None:
    html = built_book.root / "_build" / "html"
    sections = sorted((html / "book" / "sections").glob("*.html"))
    assert sections
    for page in sorted(html.rglob("*.html")):
        soup = BeautifulSoup(page.read_text("utf-8"), "html.parser")
        main = soup.find("main") or soup.body
        if main is None:
            continue
        where = page.relative_to(html).as_posix()
        assert not main.select(".cell_input, details.hide, div.highlight-ipython3"), where
        text = main.get_text(" ")
        assert "Show code cell" not in text and "Hide code cell" not in text, where
    for page in sections:  # the executed notebook stays downloadable
        notebook = html / "_sources" / "book" / "sections" / f"{page.stem}.ipynb"
        assert notebook.is_file(), notebook
        assert f"{page.stem}.ipynb" in page.read_text("utf-8")


def test_every_figure_image_has_real_alt_text_without_javascript(built_book: BuiltBook) -> None:
    html = built_book.root / "_build" / "html"
    bad, seen = [], 0
    for name in toc_files(built_book.root):
        soup = BeautifulSoup((html / f"{name}.html").read_text("utf-8"), "html.parser")
        for img in soup.select("main figure img"):
            seen += 1
            alt = (img.get("alt") or "").strip()
            if len(alt.split()) < 5 or re.search(r"\.(png|svg|jpe?g)$", alt, re.I):
                bad.append((name, img.get("src"), alt))
    assert seen >= 5 and bad == []
