"""mcbi.book.bibstyle: APA-like citations and reference list (pybtex + sphinxcontrib-bibtex)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pybtex.database import parse_string
from pybtex.plugin import find_plugin

from conftest import REPO
from mcbi.book import bibstyle

BIB = r"""
@article{three, author = {Baer, R. A. and Smith, G. T. and Toney, L.},
  title = {Using self-report methods: The {FFMQ} in {Europe}}, journal = {Assessment},
  volume = {13}, number = {1}, pages = {27--45}, year = {2006}, doi = {10.1/x}}
@article{two, author = {Hervás, G. and Vázquez, C.}, title = {A measure of well-being},
  journal = {Health}, volume = {11}, pages = {66}, year = {2013}}
@book{book, author = {Lovibond, S. H. and Lovibond, P. F.}, title = {Manual for the scales},
  edition = {2}, publisher = {Psychology Foundation}, address = {Sydney}, year = {1995}}
@book{lopez, author = {López-Pérez, B.}, title = {{TECA}}, publisher = {TEA}, year = {2008}}
@misc{corp, author = {{University of Valencia}}, title = {A registration},
  howpublished = {ClinicalTrials.gov NCT04680559}, year = {2020}}
@article{same1, author = {Rosseel, Y.}, title = {First}, journal = {J}, year = {2012}}
@article{same2, author = {Rosseel, Y.}, title = {Second}, journal = {J}, year = {2012}}
@incollection{chapter, author = {Browne, M. W. and Cudeck, R.},
  title = {Alternative ways of assessing model fit}, booktitle = {Testing structural equation
  models}, editor = {Bollen, K. A. and Long, J. S.}, pages = {136--162}, publisher = {Sage},
  year = {1993}}
"""


@pytest.fixture(scope="module")
def formatted() -> dict[str, tuple[str, str]]:
    bibstyle.register()
    style = find_plugin("pybtex.style.formatting", bibstyle.FORMATTING)()
    entries = style.format_bibliography(parse_string(BIB, "bibtex"))
    return {e.key: (e.label, e.text.render_as("text")) for e in entries}


def test_article_in_apa_form(formatted) -> None:
    assert formatted["three"][1] == (
        "Baer, R. A., Smith, G. T., & Toney, L. (2006). Using self-report methods: The FFMQ in "
        "Europe. Assessment, 13(1), 27–45. https://doi.org/10.1/x")


def test_titles_keep_the_bib_capitalization(formatted) -> None:
    # pybtex's default styles lower-case titles ("the ffmq in europe"); APA keeps proper nouns
    assert "The FFMQ in Europe" in formatted["three"][1]
    assert "TECA" in formatted["lopez"][1]


def test_two_authors_book_and_edition(formatted) -> None:
    assert formatted["two"][1].startswith("Hervás, G., & Vázquez, C. (2013). A measure")
    assert formatted["book"][1] == ("Lovibond, S. H., & Lovibond, P. F. (1995). Manual for the "
                                    "scales (2nd ed.). Psychology Foundation.")


def test_chapter_in_an_edited_book(formatted) -> None:
    assert formatted["chapter"][1] == (
        "Browne, M. W., & Cudeck, R. (1993). Alternative ways of assessing model fit. In "
        "K. A. Bollen & J. S. Long (Eds.), Testing structural equation models (pp. 136–162). "
        "Sage.")


def test_editors_in_text() -> None:
    from pybtex.database import Person

    one, two, three = (Person("Bollen, K. A."), Person("Long, J. Scott"), Person("Doe, Jane"))
    assert bibstyle.editors_in_text([one]) == "K. A. Bollen (Ed.)"
    assert bibstyle.editors_in_text([one, two, three]) == (
        "K. A. Bollen, J. S. Long, & J. Doe (Eds.)")
    assert bibstyle.editors_in_text([]) == ""


def test_corporate_author_and_misc(formatted) -> None:
    assert formatted["corp"][1] == ("University of Valencia. (2020). A registration. "
                                    "ClinicalTrials.gov NCT04680559.")


def test_author_year_labels_never_alpha_codes(formatted) -> None:
    labels = {key: label for key, (label, _) in formatted.items()}
    assert labels["three"] == "Baer et al., 2006"
    assert labels["two"] == "Hervás & Vázquez, 2013"
    assert labels["corp"] == "University of Valencia, 2020"
    assert {labels["same1"], labels["same2"]} == {"Rosseel, 2012a", "Rosseel, 2012b"}
    assert not any(re.fullmatch(r"[A-Z][A-Za-z]*\+?\d\d", v) for v in labels.values())


def test_sorted_by_author_ignoring_accents(formatted) -> None:
    order = list(formatted)
    assert order.index("three") < order.index("two") < order.index("lopez") < order.index(
        "book") < order.index("same1") < order.index("corp")


@pytest.mark.parametrize(("n", "expected"), [("1", "1st"), ("2", "2nd"), ("3", "3rd"),
                                             ("4", "4th"), ("11", "11th"), ("12", "12th"),
                                             ("13", "13th"), ("21", "21st"), ("102", "102nd"),
                                             ("Revised", "Revised")])
def test_ordinal(n, expected) -> None:
    assert bibstyle.ordinal(n) == expected


def test_citations_in_a_sphinx_build(tmp_path: Path) -> None:
    """``{cite:p}`` is "(Author, Year)", ``{cite:t}`` "Author (Year)", lists use ";"."""
    from sphinx.application import Sphinx

    src = tmp_path / "src"
    src.mkdir()
    (src / "refs.bib").write_text(BIB, "utf-8")
    (src / "conf.py").write_text(
        "extensions = ['sphinxcontrib.bibtex', 'mcbi.book.sphinxext']\n"
        "bibtex_bibfiles = ['refs.bib']\n"
        f"bibtex_reference_style = '{bibstyle.REFERENCING}'\n"
        f"bibtex_default_style = '{bibstyle.FORMATTING}'\n", "utf-8")
    (src / "index.rst").write_text(
        "Title\n=====\n\nP :cite:p:`three`. T :cite:t:`two`. L :cite:p:`three,two`. "
        "Y :cite:yearpar:`book`. A (see :cite:alp:`two`).\n\n.. bibliography::\n", "utf-8")
    app = Sphinx(str(src), str(src), str(tmp_path / "out"), str(tmp_path / "doctrees"), "text",
                 status=None, warning=None, freshenv=True)
    app.build()
    text = " ".join((tmp_path / "out" / "index.txt").read_text("utf-8").split())
    assert "P (Baer et al., 2006)." in text
    assert "T Hervás and Vázquez (2013)." in text
    assert "L (Baer et al., 2006; Hervás & Vázquez, 2013)." in text
    assert "Y (1995)." in text
    assert "A (see Hervás & Vázquez, 2013)." in text
    assert "[" not in text.split("Title", 1)[1].split("(see")[0]  # no alpha labels, no brackets


def test_the_book_uses_these_styles() -> None:
    config = (REPO / "_config.yml").read_text("utf-8")
    assert f"bibtex_reference_style: {bibstyle.REFERENCING}" in config
    assert f"bibtex_default_style: {bibstyle.FORMATTING}" in config


def test_reference_entries_lose_their_bracketed_label() -> None:
    from docutils import nodes

    from mcbi.book.bibstyle import drop_entry_labels

    entry = nodes.citation("", nodes.label("", "Baer et al., 2006"),
                           nodes.paragraph("", "Baer, R. A. (2006). Title."), ids=["id4"])
    doc = nodes.section("", entry)
    drop_entry_labels(None, doc, "references")
    assert doc.astext() == "Baer, R. A. (2006). Title."
    assert entry["ids"] == ["id4"]  # in-text citations still link to the entry
