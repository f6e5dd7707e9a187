"""``python -m mcbi pdf`` (Typst), repository buttons and the links of the built html."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tarfile
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from pypdf import PdfReader

from conftest import REPO, BuiltBook, BuiltToy, mcbi_cli
from mcbi.book import pdf
from mcbi.book.jupyterbook import REPOSITORY_ENV, repository_settings
from mcbi.book.layout import Layout
from mcbi.book.provenance import BuildInfo
from mcbi.book.publish import publish
from mcbi.errors import UserError
from mcbi.paper.render.figures import MIN_PRINT_PT, printed_min_pt

HIDDEN_PDF_LINK = re.compile(r'<p class="mcbi-pdf-download" hidden.*?</p>', re.S)


def local_links(html: Path) -> tuple[int, list[str]]:
    """Count the relative links and sources of every page; list those that resolve nowhere.

    Theme templates under ``_static`` and the hidden PDF paragraph are not pages' links.
    """
    count, broken = 0, []
    for page in sorted(html.rglob("*.html")):
        if "_static" in page.relative_to(html).parts:
            continue
        text = HIDDEN_PDF_LINK.sub("", page.read_text("utf-8"))
        for href in re.findall(r'(?:href|src)="([^"]+)"', text):
            target = unquote(href.split("#")[0].split("?")[0])
            if re.match(r"^[a-z]+:|^//", href) or not target:
                continue
            count += 1
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(html).as_posix()} -> {href}")
    return count, broken


def pdf_pages(data: bytes) -> list[str]:
    """The text of every page (pypdf), with hyphens and white space removed for matching."""
    reader = PdfReader(io.BytesIO(data))
    return [squash(page.extract_text()) for page in reader.pages]


def squash(text: str) -> str:
    """Drop white space and hyphens (line breaks and hyphenation differ from the source) and
    straighten typographic apostrophes and quotes (the book sets them curly)."""
    text = text.translate(str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"',
                                         "\u201d": '"'}))
    return re.sub(r"[\s\-\u00ad\u2010\u2011]", "", text)


def outline_titles(reader: PdfReader) -> list[str]:
    """Every title of the PDF's outline (bookmarks), depth first."""
    titles = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)
    walk(reader.outline)
    return titles


def unembedded_fonts(reader: PdfReader) -> list[str]:
    """Fonts of any page without an embedded font file."""
    missing = []
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for font in fonts.values():
            font = font.get_object()
            inner = font.get("/DescendantFonts")
            descriptor = (inner[0].get_object() if inner else font).get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.append(str(font.get("/BaseFont")))
    return missing


# ----------------------------------------------------------------------- small pieces
def test_count_pages_reads_the_page_tree_and_refuses_a_non_pdf() -> None:
    fake = (b"%PDF-1.7\n1 0 obj\n<</Type /Pages /Kids [2 0 R 3 0 R] /Count 2>>\nendobj\n"
            b"4 0 obj\n<</Type /Outlines /Count 7>>\nendobj\n%%EOF\n")
    assert pdf.count_pages(fake) == 2
    with pytest.raises(pdf.PdfFailed, match="no page tree"):
        pdf.count_pages(b"%PDF-1.7\n%%EOF\n")
    with pytest.raises(pdf.PdfFailed, match="not a complete PDF"):
        pdf.count_pages(b"<html>not a pdf</html>")
    with pytest.raises(pdf.PdfFailed):
        pdf.count_pages(b"%PDF-1.4\n(truncated")


def test_metadata_has_title_authors_build_and_the_original_article(tmp_path: Path) -> None:
    for name in ("_config.yml", "CITATION.cff", "requirements.txt"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "book" / "typst", tmp_path / "book" / "typst")
    manifest = {"version": "1.2.3", "commit": "abc1234", "build_date": "2026-01-02T03:04:05Z",
                "data": {"path": "pkg", "sha256": "f" * 64, "synthetic": False}}
    meta = pdf.paper_meta(Layout(tmp_path), manifest)
    config = yaml.safe_load((REPO / "_config.yml").read_text("utf-8"))
    assert meta["title"] == config["title"]
    assert meta["authors"] == ["The MCBI reproducible-paper team"]
    assert "psychotherapy" in meta["keywords"] and len(meta["running_head"]) <= 50
    assert (meta["version"], meta["commit"], meta["date"]) == ("1.2.3", "abc1234",
                                                              [2026, 1, 2, 3, 4, 5])
    assert meta["date_text"] == "2026-01-02 03:04 UTC" and meta["epoch"] == "1767323045"
    assert meta["trial"]["authors"] == ("Garrote-Caparrós, E., Lecuona, Ó., Bellosta-Batalla, "
                                        "M., Moya-Albiol, L., & Cebolla, A.")
    assert (meta["trial"]["pages"], meta["trial"]["doi"]) == ("182–193", "10.1037/pst0000467")
    assert meta["lock_file"] == "requirements.txt" and len(meta["lock_sha256"]) == 64
    assert "synthetic" not in meta["data_note"] and "f" * 64 in meta["data_note"]
    assert meta["doi"] == ""  # no DOI of the rebuild yet; once set, the PDF's metadata has it
    with (tmp_path / "CITATION.cff").open("a", encoding="utf-8") as cff:
        cff.write("doi: 10.5281/zenodo.123\n")
    assert pdf.paper_meta(Layout(tmp_path), manifest)["doi"] == "10.5281/zenodo.123"


def test_data_note_follows_the_builds_verdict_not_the_descriptor() -> None:
    real = {"data": {"path": "pkg", "sha256": "ab" * 32, "synthetic": False}}
    assert pdf.data_note(real) == f"Built from the data package pkg (SHA-256 {'ab' * 32})."
    synthetic = {"data": {"path": "pkg", "sha256": "ab" * 32, "synthetic": True}}
    assert "synthetic data package pkg" in pdf.data_note(synthetic)
    assert "synthetic" not in pdf.data_note({"data": {"path": "pkg", "sha256": "ab"}})


def test_figure_text_size_at_print_is_the_drawn_size_times_the_fit(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    from mcbi.paper.render.figures import save

    layout = Layout(tmp_path)
    for name, width in (("narrow", 4.0), ("wide", 13.0)):
        fig, ax = plt.subplots(figsize=(width, 3))
        ax.set_title("a title", fontsize=10)
        ax.tick_params(labelsize=9)
        save(fig, tmp_path / "book", name)
    page = layout.typst / "book.x.typ"
    page.parent.mkdir(parents=True)
    page.write_text('#apa-figure(label: "a", number: "1", path: "/book/figures/narrow.svg")\n'
                    '#apa-figure(label: "b", number: "2", path: "/book/figures/wide.svg")\n')
    sizes = pdf.figure_text_sizes(layout, 'include "/_build/typst/book.x.typ"')
    assert sizes["1"] == 9.0  # about 4 in wide: printed at its size
    svg = (tmp_path / "book" / "figures" / "wide.svg").read_text("utf-8")
    width = float(re.search(r'width="([\d.]+)pt"', svg).group(1))
    assert width > 468 and sizes["2"] == round(9 * 468 / width, 1)  # shrunk to 6.5 in
    assert sizes["2"] < pdf.MIN_TEXT_PT == MIN_PRINT_PT == 9
    # a figure not saved by save() has no record: reported as 0, never left out
    (tmp_path / "book" / "figures" / "bare.svg").write_text(
        '<svg width="100pt" height="100pt"></svg>')
    page.write_text('#apa-figure(label: "c", number: "3", path: "/book/figures/bare.svg")\n')
    assert pdf.figure_text_sizes(layout, 'include "/_build/typst/book.x.typ"') == {"3": 0.0}


def fake_pages(root: Path, pages: dict[str, str]) -> Layout:
    layout = Layout(root)
    shutil.copytree(REPO / "book" / "typst", root / "book" / "typst")
    layout.typst.mkdir(parents=True)
    for page, body in pages.items():
        (layout.typst / f"{page.replace('/', '.')}.typ").write_text(body, "utf-8")
    return layout


def test_the_article_follows_the_plan_and_shows_unplanned_pages(tmp_path: Path) -> None:
    layout = fake_pages(tmp_path, {p: f"#doc-title[{p}]\n" for p in (
        "book/intro", "book/methods", "book/key_results", "book/sections/01_sample",
        "book/sections/02_therapists", "book/discussion", "book/references", "book/codebook",
        "book/cite", "book/extra")})
    source = pdf.article_source(layout, "journal")
    order = [source.index(f'{p.replace("/", ".")}.typ"') for p in (
        "book/intro", "book/methods", "book/sections/01_sample", "book/discussion",
        "book/extra", "book/references", "book/codebook")]
    assert order == sorted(order)
    assert "abstract: [#include \"/_build/typst/book.key_results.typ\"]" in source
    assert "= Results" in source and "book.cite" not in source  # website only: omitted
    assert '#appendix("", include "/_build/typst/book.codebook.typ")' in source
    # with an abstract page, the Key results open the Results
    (layout.typst / "book.abstract.typ").write_text("#doc-title[Abstract]\nShort.\n")
    source = pdf.article_source(layout, "manuscript")
    assert "abstract: [#include \"/_build/typst/book.abstract.typ\"]" in source
    results = source.index("= Results")
    assert results < source.index("book.key_results.typ") < source.index("book.sections.01")


def test_website_sections_are_cut_from_a_page() -> None:
    markup = ("#doc-title[Intro]\n#anchor(\"book.intro:intro\")\n\nText.\n\n"
              "== How to read\n#anchor(\"book.intro:how-to-read\")\n\nGuide.\n\n"
              "=== Detail\n#anchor(\"book.intro:detail\")\n\nMore.\n\n"
              "== Next\n#anchor(\"book.intro:next\")\n\nKept.\n")
    cut = pdf.without_sections(markup, ["book.intro:how-to-read"])
    assert "Guide." not in cut and "More." not in cut
    assert "Text." in cut and "== Next" in cut and "Kept." in cut
    assert pdf.without_sections(markup, ["book.intro:nowhere"]) == markup


def test_reveal_download_links_unhides_only_the_pdf_paragraph(tmp_path: Path) -> None:
    page = tmp_path / "book" / "cite.html"
    page.parent.mkdir()
    page.write_text('<p class="mcbi-pdf-download" hidden><a href="x.pdf">pdf</a></p>'
                    '<p class="other" hidden>stays hidden</p>')
    (tmp_path / "index.html").write_text("<p>no link here</p>")
    assert pdf.reveal_download_links(tmp_path) == [page]
    assert page.read_text() == ('<p class="mcbi-pdf-download"><a href="x.pdf">pdf</a></p>'
                                '<p class="other" hidden>stays hidden</p>')


def test_build_pdf_refuses_an_unbuilt_book_and_an_unknown_style(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="has not been built"):
        pdf.build_pdf(tmp_path)
    with pytest.raises(UserError, match="unknown PDF style 'poster'"):
        pdf.build_pdf(tmp_path, style="poster")
    proc = mcbi_cli(tmp_path, "pdf")
    assert proc.returncode == 2 and "make book" in proc.stderr


# ----------------------------------------------------------------------- repository buttons
def test_no_repository_url_switches_repository_and_launch_buttons_off() -> None:
    config = yaml.safe_load((REPO / "_config.yml").read_text("utf-8"))
    derived = repository_settings(config, environ={})
    assert derived["repository"]["url"] == ""
    assert not any(derived["html"][k] for k in ("use_repository_button", "use_issues_button",
                                                "use_edit_page_button"))
    launch = derived["launch_buttons"]
    assert launch["thebe"] is False
    assert not any(launch[k] for k in ("binderhub_url", "jupyterhub_url", "colab_url"))
    assert config["html"]["use_repository_button"] is True  # the input is left as it was


def test_a_repository_url_from_the_environment_keeps_the_buttons() -> None:
    config = yaml.safe_load((REPO / "_config.yml").read_text("utf-8"))
    url = "https://example.org/team/mcbi"
    derived = repository_settings(config, environ={REPOSITORY_ENV: url})
    assert derived["repository"]["url"] == url
    assert derived["html"]["use_repository_button"] is True
    assert derived["launch_buttons"]["binderhub_url"] == config["launch_buttons"]["binderhub_url"]


def test_the_built_toy_shows_no_launch_button_and_every_link_resolves(
        built_toy: BuiltToy) -> None:
    html = built_toy.root / "_build" / "html"
    page = (html / "book" / "sections" / "01_alpha.html").read_text("utf-8")
    assert "mybinder.org" not in page and "github.com" not in page
    assert 'href="../../_sources/book/sections/01_alpha.ipynb"' in page
    count, broken = local_links(html)
    assert count > 50
    assert broken == []
    assert '<p class="mcbi-pdf-download" hidden' in (html / "book" / "cite.html").read_text()


# ----------------------------------------------------------------------- the toy typeset
def test_pdf_of_the_toy_book_in_both_styles(built_toy: BuiltToy, tmp_path: Path) -> None:
    root = shutil.copytree(built_toy.root, tmp_path / "toy", symlinks=True)
    layout = Layout(root)
    assert (layout.typst / "book.intro.typ").is_file()  # written by the html build
    proc = mcbi_cli(root, "pdf", timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "[pdf] typeset" in proc.stdout and "Typst warning" not in proc.stdout
    data = layout.pdf.read_bytes()
    reader = PdfReader(io.BytesIO(data))
    config = yaml.safe_load((root / "_config.yml").read_text("utf-8"))
    assert reader.metadata.title == config["title"]
    assert "psychotherapy" in reader.metadata["/Keywords"]
    manifest = json.loads(layout.manifest.read_text("utf-8"))
    record = json.loads(layout.pdf_record.read_text("utf-8"))
    assert (record["commit"], record["build_date"], record["pages"], record["style"]) == (
        manifest["commit"], manifest["build_date"], len(reader.pages), "journal")
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    assert layout.pdf_download.read_bytes() == data
    assert not layout.stage_pdf.exists()
    assert unembedded_fonts(reader) == []
    titles = outline_titles(reader)
    assert "Reproducibility Statement" in titles and "References" in titles
    # the toy's results pages are not in the plan: shown after the body, not lost
    text = "".join(pdf_pages(data))
    assert squash(manifest["commit"]) in text and squash(manifest["data"]["sha256"]) in text
    for value in manifest["results"].values():
        if isinstance(value, str) and value.strip():
            assert squash(value) in text, value
    # the same build typeset again: the same bytes
    again = mcbi_cli(root, "pdf", timeout=600)
    assert again.returncode == 0 and layout.pdf.read_bytes() == data
    # the download link is shown now, and every link of the site resolves
    cite = (layout.html / "book" / "cite.html").read_text("utf-8")
    assert '<p class="mcbi-pdf-download">' in cite and 'mcbi-pdf-download" hidden' not in cite
    assert local_links(layout.html)[1] == []
    # the archive of this build holds the PDF and its record
    archive = publish(Path("dist"), root=root)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert any(n.endswith("/mcbi-book.pdf") and "/html/" not in n for n in names)
    assert any(n.endswith("/mcbi-book.json") for n in names)
    # the manuscript layout: double-spaced, so more pages, and the same metadata
    proc = mcbi_cli(root, "pdf", "--style", "manuscript", timeout=600)
    assert proc.returncode == 0, proc.stderr
    manuscript = PdfReader(io.BytesIO(layout.pdf.read_bytes()))
    assert len(manuscript.pages) > len(reader.pages)
    assert json.loads(layout.pdf_record.read_text("utf-8"))["style"] == "manuscript"
    assert manuscript.metadata.title == config["title"]


def test_a_failed_typesetting_keeps_the_previous_pdf(built_toy: BuiltToy, tmp_path: Path) -> None:
    root = shutil.copytree(built_toy.root, tmp_path / "toy", symlinks=True)
    layout = Layout(root)
    layout.pdf.parent.mkdir(parents=True, exist_ok=True)
    layout.pdf.write_bytes(b"%PDF-1.4 previous\n%%EOF\n")
    page = layout.typst / "book.intro.typ"
    page.write_text(page.read_text("utf-8") + "\n#no-such-function()\n", "utf-8")
    with pytest.raises(pdf.PdfFailed, match="no-such-function"):
        pdf.build_pdf(root)
    assert layout.pdf.read_bytes() == b"%PDF-1.4 previous\n%%EOF\n"


def test_the_build_citation_names_a_repository_only_when_one_is_configured(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mcbi.book.pages import citation_md

    shutil.copy(REPO / "_config.yml", tmp_path / "_config.yml")
    shutil.copy(REPO / "CITATION.cff", tmp_path / "CITATION.cff")
    info = BuildInfo("1.2.3", "abc1234", "0" * 64, "2026-01-02T03:04:05Z")
    monkeypatch.delenv(REPOSITORY_ENV, raising=False)
    text = citation_md(Layout(tmp_path), info)
    assert "url" not in text and text.rstrip().endswith("[Computer software].")
    monkeypatch.setenv(REPOSITORY_ENV, "https://example.org/team/mcbi")
    text = citation_md(Layout(tmp_path), info)
    assert "  url     = {https://example.org/team/mcbi}," in text
    assert text.rstrip().endswith("[Computer software]. https://example.org/team/mcbi")


# ----------------------------------------------------------------------- the real book
_TABLE = re.compile(r'#apa-table\(label: "[^"]+", number: "([^"]+)", title: \[(.*?)\], '
                    r'columns: \d+, aligns: \([^)]*\), header: \(\(\[(.*?)\]', re.S)
_GLUE = re.compile(r"\{glue:text\}`sections/(\w+)\.ipynb::(\w+):([^`]*)`")
_MARKUP = re.compile(r"#\w+(\([^)]*\))?\[|\];?|\\")


def plain(markup: str) -> str:
    """The text of a piece of the pages' Typst markup (calls and escapes dropped)."""
    return _MARKUP.sub("", markup)


def typeset_book(root: Path, style: str) -> bytes:
    proc = mcbi_cli(root, "pdf", "--style", style, src=root / "src")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Typst warning" not in proc.stdout
    return Layout(root).pdf.read_bytes()


def test_pdf_of_the_book_holds_its_numbers_chapters_and_whole_tables(
        built_book: BuiltBook) -> None:
    root = built_book.root
    layout = Layout(root)
    data = typeset_book(root, "journal")
    reader = PdfReader(io.BytesIO(data))
    pages = pdf_pages(data)
    text = "".join(pages)
    manifest = json.loads(layout.manifest.read_text("utf-8"))
    # the key results' numbers (every value the Key results page glues), as the manifest
    # gives them, in the format the page asks for
    roles = _GLUE.findall((root / "book" / "key_results.md").read_text("utf-8"))
    assert len(roles) >= 10
    missing = [f"{section}.{name}" for section, name, spec in roles if name != "data_note"
               and squash(format(manifest["results"][f"{section}.{name}"], spec)) not in text]
    assert squash(pdf.data_note(manifest)) in pages[0]  # the data note: on the title page
    assert missing == []
    # the outline lists the article's parts and every results chapter
    titles = outline_titles(reader)
    for title in ("Introduction", "Results", "Discussion", "Reproducibility Statement",
                  "References"):
        assert title in titles
    for name in ("01_sample", "02_therapists", "03_patients", "05_mechanisms"):
        head = re.search(r"#doc-title\[(.*?)\]\n",
                         (layout.typst / f"book.sections.{name}.typ").read_text("utf-8"))
        assert plain(head.group(1)) in titles
    assert unembedded_fonts(reader) == []
    assert "Fig." not in " ".join(page.extract_text() for page in reader.pages[:3])
    # every page of the build is placed by the plan (or left out on purpose)
    assert pdf.unplanned(layout, pdf.read_plan(layout)) == []
    # every figure the build made: its smallest text at least 9 pt printed, in the PDF (the
    # SVG scaled into the template's figure box) and on paper from the PNG (printed_min_pt)
    pngs = sorted((root / "book").rglob("figures/*.png"))
    sizes = pdf.figure_text_sizes(layout, pdf.article_source(layout, "journal"))
    assert len(pngs) >= 6 and len(sizes) == len(pngs)
    assert {n: s for n, s in sizes.items() if s < MIN_PRINT_PT} == {}
    assert {p.name: printed_min_pt(p) for p in pngs if printed_min_pt(p) < MIN_PRINT_PT} == {}
    # every numbered table: its caption and its header on one page
    tables = [m for f in sorted(layout.typst.glob("*.typ"))
              for m in _TABLE.findall(f.read_text("utf-8"))]
    assert len(tables) >= 10
    for number, title, first_header in tables:
        caption = squash(f"Table {number}" + plain(title)[:40])
        where = [i for i, page in enumerate(pages) if caption in page]
        assert where, f"Table {number} is not in the PDF"
        assert squash(plain(first_header)) in pages[where[0]], f"Table {number} split"
    # the manuscript layout builds too, its tables after the references
    manuscript = pdf_pages(typeset_book(root, "manuscript"))
    references = next(i for i, page in enumerate(manuscript)
                      if squash("References") in page and squash("Baer, R. A.") in page)
    for number, title, _ in tables:
        caption = squash(f"Table {number}" + plain(title)[:40])
        assert min(i for i, page in enumerate(manuscript) if caption in page) > references


@pytest.mark.slow
def test_a_real_data_pdf_never_says_synthetic(tmp_path: Path) -> None:
    from conftest import copy_work_tree
    from mcbi.synth import variants

    root = copy_work_tree(REPO, tmp_path / "repo")
    variants.write_variant("real_copy", root / "data" / "real", REPO / "data" / "trial")
    build = mcbi_cli(root, "build", "--data", "data/real", src=root / "src")
    assert build.returncode == 0, build.stdout + build.stderr
    manifest = json.loads(Layout(root).manifest.read_text("utf-8"))
    assert manifest["data"]["synthetic"] is False
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(
        typeset_book(root, "journal"))).pages]
    # no sentence says this build's data are synthetic (the pages may still describe the
    # shipped synthetic package and say what agreement would mean on synthetic data)
    sentences = re.findall(r"[^.]*synthetic[^.]*\.", " ".join(" ".join(pages).split()), re.I)
    claims = [s for s in sentences if re.search(
        r"this build|these results|these data|built from the synthetic", s, re.I)]
    assert claims == []
    assert "synthetic" not in pages[0].lower()  # the title page's data note
    assert manifest["data"]["sha256"] in squash(pages[0])
