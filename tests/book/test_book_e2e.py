"""End to end: build the real book from a clean copy of the work tree, then check the html."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import BuiltBook, toc_files

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
    assert [f"[{s}] up to date" for s in sections] == [
        line for line in second if line.startswith("[") and not line.startswith("[pages]")
        and not line.startswith("[book]")]
    assert "[book] up to date" in second


def test_no_absolute_path_in_pages_manifest_or_notebooks(built_book: BuiltBook) -> None:
    root = built_book.root
    files = [*(root / "_build" / "html").rglob("*.html"), root / "_build" / "manifest.json",
             *(root / "book" / "sections").glob("*.ipynb")]
    leaking = [str(p.relative_to(root)) for p in files if str(root) in p.read_text("utf-8")]
    assert leaking == []
