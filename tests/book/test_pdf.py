"""``python -m mcbi pdf`` (mcbi.book.pdf), repository buttons and the links of the built html."""

from __future__ import annotations

import json
import re
import shutil
import tarfile
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from conftest import REPO, BuiltToy, mcbi_cli
from mcbi.book import pdf
from mcbi.book.jupyterbook import REPOSITORY_ENV, repository_settings
from mcbi.book.layout import Layout
from mcbi.book.provenance import BuildInfo
from mcbi.book.publish import publish
from mcbi.errors import UserError

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


def chromium_or_skip() -> str:
    try:
        return pdf.find_chromium()
    except UserError:
        pytest.skip("no chromium on PATH")


def pdf_title(data: bytes) -> str:
    """The document title of the Info dictionary (literal or UTF-16 hex string)."""
    found = re.search(rb"/Title\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f]+>)", data)
    if found is None:
        return ""
    raw = found.group(1)
    if raw.startswith(b"<"):
        return bytes.fromhex(raw[1:-1].decode()).decode("utf-16")
    return re.sub(rb"\\(.)", rb"\1", raw[1:-1]).decode("latin-1")


# ----------------------------------------------------------------------- small pieces
def test_count_pages_reads_page_objects_and_refuses_a_non_pdf() -> None:
    fake = b"%PDF-1.4\n1 0 obj <</Type /Pages /Kids [2 0 R 3 0 R]>>\n2 0 obj <</Type /Page >>\n" \
           b"3 0 obj <</Type /Page/Parent 1 0 R>>\n%%EOF\n"
    assert pdf.count_pages(fake) == 2
    with pytest.raises(pdf.PdfFailed, match="not a complete PDF"):
        pdf.count_pages(b"<html>not a pdf</html>")
    with pytest.raises(pdf.PdfFailed):
        pdf.count_pages(b"%PDF-1.4\n(truncated")


def test_find_chromium_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pdf.CHROMIUM_ENV, raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(UserError, match="apt-get install chromium"):
        pdf.find_chromium()
    monkeypatch.setenv(pdf.CHROMIUM_ENV, "/no/such/chromium")
    with pytest.raises(UserError, match="not an executable"):
        pdf.find_chromium()


def test_title_page_has_title_authors_build_and_the_original_article() -> None:
    config = yaml.safe_load((REPO / "_config.yml").read_text("utf-8"))
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text("utf-8"))
    info = BuildInfo("1.2.3", "abc1234", "f" * 64, "2026-01-02T03:04:05Z")
    html = pdf.title_page(config, citation, info, "Built from the synthetic package.")
    assert config["title"] in html
    assert "The MCBI reproducible-paper team" in html
    assert "mcbi 1.2.3" in html and "abc1234" in html and "f" * 64 in html
    assert "2026-01-02 03:04:05 UTC" in html and "Built from the synthetic package." in html
    assert ("Garrote-Caparrós, E., Lecuona, Ó., Bellosta-Batalla, M., Moya-Albiol, L., "
            "&amp; Cebolla, A. (2023).") in html
    assert "<em>Psychotherapy, 60</em>(2), 182–193." in html
    assert 'href="https://doi.org/10.1037/pst0000467"' in html


def test_data_note_follows_the_builds_verdict_not_the_descriptor(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "datapackage.json").write_text('{"synthetic": true}')  # ignored
    real = {"data": {"path": "pkg", "sha256": "ab" * 32, "synthetic": False}}
    assert pdf.data_note(layout, real) == "Built from the data package pkg (SHA-256 abababababab)."
    synthetic = {"data": {"path": "pkg", "sha256": "ab" * 32, "synthetic": True}}
    assert "synthetic data package pkg" in pdf.data_note(layout, synthetic)


def test_reveal_download_links_unhides_only_the_pdf_paragraph(tmp_path: Path) -> None:
    page = tmp_path / "book" / "cite.html"
    page.parent.mkdir()
    page.write_text('<p class="mcbi-pdf-download" hidden><a href="x.pdf">pdf</a></p>'
                    '<p class="other" hidden>stays hidden</p>')
    (tmp_path / "index.html").write_text("<p>no link here</p>")
    assert pdf.reveal_download_links(tmp_path) == [page]
    assert page.read_text() == ('<p class="mcbi-pdf-download"><a href="x.pdf">pdf</a></p>'
                                '<p class="other" hidden>stays hidden</p>')


def test_build_pdf_refuses_an_unbuilt_book(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="has not been built"):
        pdf.build_pdf(tmp_path, chromium="/bin/true")
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


# ----------------------------------------------------------------------- the toy printed
def test_pdf_of_the_toy_book(built_toy: BuiltToy, tmp_path: Path) -> None:
    chromium_or_skip()
    root = shutil.copytree(built_toy.root, tmp_path / "toy", symlinks=True)
    proc = mcbi_cli(root, "pdf", timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "[pdf] printed" in proc.stdout
    layout = Layout(root)
    data = layout.pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 10_000
    pages = pdf.count_pages(data)
    assert 2 <= pages < 40  # title page, contents, the chapters
    config = yaml.safe_load((root / "_config.yml").read_text("utf-8"))
    assert config["title"] in pdf_title(data)
    manifest = json.loads(layout.manifest.read_text("utf-8"))
    record = json.loads(layout.pdf_record.read_text("utf-8"))
    assert (record["commit"], record["build_date"], record["pages"]) == (
        manifest["commit"], manifest["build_date"], pages)
    assert layout.pdf_download.read_bytes() == data
    assert not layout.stage_pdf.exists()
    # the download link is shown now, and every link of the site resolves
    cite = (layout.html / "book" / "cite.html").read_text("utf-8")
    assert '<p class="mcbi-pdf-download">' in cite and "mcbi-pdf-download\" hidden" not in cite
    assert '<a href="../_downloads/mcbi-book.pdf" download>' in cite
    assert local_links(layout.html)[1] == []
    # the archive of this build holds the PDF
    archive = publish(Path("dist"), root=root)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert any(n.endswith("/mcbi-book.pdf") and "/html/" not in n for n in names)
    assert any(n.endswith("/html/_downloads/mcbi-book.pdf") for n in names)


def test_a_failed_print_keeps_the_previous_pdf(built_toy: BuiltToy, tmp_path: Path) -> None:
    root = shutil.copytree(built_toy.root, tmp_path / "toy", symlinks=True)
    layout = Layout(root)
    layout.pdf.parent.mkdir(parents=True, exist_ok=True)
    layout.pdf.write_bytes(b"%PDF-1.4 previous\n%%EOF\n")
    with pytest.raises(pdf.PdfFailed, match="wrote no PDF"):
        pdf.build_pdf(root, chromium="/bin/true")  # exits 0, prints nothing
    assert layout.pdf.read_bytes() == b"%PDF-1.4 previous\n%%EOF\n"
    assert layout.pdf_log.is_file()


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
