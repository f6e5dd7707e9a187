"""A resolved doctree as Typst markup (mcbi.book.typst_markup), compiled by Typst."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import typst
from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document
from pypdf import PdfReader

from mcbi.book.layout import TYPST_TEMPLATE
from mcbi.book.typst_markup import TypstWriter, UnknownNode, escape, italic_statistics

REPO = Path(__file__).resolve().parents[2]


def document(docname: str = "book/x") -> nodes.document:
    doc = new_document(docname, get_default_settings(Parser))
    return doc


def page() -> nodes.document:
    """A page as the html build resolves it: title, glued text, a numbered table and figure,
    a citation, a numbered reference to another page, a code cell and the data callout."""
    doc = document("book/sections/02_x")
    section = nodes.section(ids=["therapist-outcomes", "sec-x"])
    section += nodes.title(text="Therapist outcomes")
    para = nodes.paragraph()
    para += nodes.Text("The difference was ")
    para += nodes.inline("", "0.46 (d = 0.83; p < .001)", classes=["pasted-text"])
    para += nodes.Text(" (")
    cite = nodes.inline(classes=["bibtex-citation"])
    cite += nodes.reference("", "Feingold, 2009", refuri="../references.html#id24",
                            internal=True)
    para += cite
    para += nodes.Text("); see ")
    ref = nodes.reference("", "", refuri="03_y.html#tbl-y", internal=True)
    ref += nodes.inline("", "Fig. 3")
    para += ref
    para += nodes.Text(" and [a_b] #1 *x* $5 <tag> // not a comment.")
    section += para
    warning = nodes.admonition(classes=["warning"])
    warning += nodes.title(text="About these data")
    body = nodes.paragraph()
    body += nodes.inline("", "These results come from synthetic data.", classes=["pasted-text"])
    warning += body
    section += warning
    cell = nodes.container(classes=["cell"])
    code = nodes.container(classes=["cell_input"])
    code += nodes.literal_block("", "print('code')")
    cell += code
    output = nodes.container(classes=["cell_output"])
    output += wide_table("tbl-x", ["Outcome", "p"], [["PMS", "< .001"]],
                         title="Outcomes by arm", colspecs=True)
    note = nodes.container(classes=["mcbi-table-note"])  # as myst_table writes it
    note += nodes.paragraph("", "", nodes.emphasis("", "Note."), nodes.Text(" Holm-adjusted."))
    output += note
    cell += output
    section += cell
    figure = nodes.figure(ids=["fig-x"])
    figure += nodes.image(uri="book/sections/figures/x.png", alt="A chart")
    figure += nodes.caption(text="Means by arm")
    section += figure
    doc += section
    return doc


def test_escape_and_italic_statistics() -> None:
    assert escape("a_b *c* #d [e] $f <g> h/i") == r"a\_b \*c\* \#d \[e\] \$f \<g\> h\/i"
    assert escape("two\nlines") == "two lines"
    # the symbol in italics, bound to its relation and number by no-break spaces
    assert italic_statistics("d = 0.8, p < .05, t(3) ok") == (
        "#emph[d];\u00a0\\=\u00a00.8, #emph[p];\u00a0\\<\u00a0.05, t(3) ok")
    assert italic_statistics("a = 1") == r"a \= 1"  # the article "a" is no statistic
    assert italic_statistics("Holm-adjusted p = .01") == (
        "Holm\\-adjusted #emph[p];\u00a0\\=\u00a0.01")
    # in a table cell also a symbol alone or before a parenthesis, never inside a word
    assert italic_statistics("M (SD)", cell=True) == "#emph[M]; (#emph[SD];)"
    assert italic_statistics("n (%)", cell=True) == "#emph[n]; (%)"
    assert italic_statistics("df", cell=True) == "#emph[df];"
    assert italic_statistics("M (SD)") == "M (SD)"  # in prose only before a relation
    assert italic_statistics("follow-up, Model notes", cell=True) == r"follow\-up, Model notes"


def test_an_emphasised_statistic_is_bound_to_its_relation() -> None:
    para = nodes.paragraph("", "", nodes.Text("so "), nodes.emphasis("", "d"),
                           nodes.Text(" =\u00a00.83, and "), nodes.emphasis("", "x"),
                           nodes.Text(" = 1"))
    writer = TypstWriter("book/x", {}, str, "/t.typ")
    assert writer.inlines(para.children) == (
        "so #emph[d];\u00a0\\=\u00a00.83, and #emph[x]; \\= 1")


def test_a_page_becomes_apa_markup() -> None:
    numbers = {"table": {"tbl-x": (6,)}, "figure": {"fig-x": (2,)}}
    markup = TypstWriter("book/sections/02_x", numbers, lambda uri: "/" + uri,
                         "/book/typst/apa7.typ").write(page())
    assert markup.startswith('#import "/book/typst/apa7.typ": *\n')
    assert "#doc-title[Therapist outcomes]" in markup
    assert '#anchor("book.sections.02_x:sec-x")' in markup
    assert "0.46 (#emph[d];\u00a0\\=\u00a00.83; #emph[p];\u00a0\\<\u00a0.001)" in markup
    assert '#xref("book.references:id24")[Feingold, 2009];' in markup
    assert '#xref("book.sections.03_y:tbl-y")[Figure 3];' in markup  # APA: "Figure", not "Fig."
    assert "synthetic" not in markup and "print(" not in markup  # callout and code left out
    assert ('#apa-table(label: "book.sections.02_x:tbl-x", number: "6", '
            "title: [Outcomes by arm]") in markup
    assert "aligns: (left, right,)" in markup and "note: [Holm\\-adjusted.]" in markup
    assert "Note. Holm" not in markup  # the note is the table's, not a paragraph
    assert ('#apa-figure(label: "book.sections.02_x:fig-x", number: "2", '
            'path: "/book/sections/figures/x.png", alt: "A chart", title: [Means by arm])'
            ) in markup


def test_the_markup_compiles_with_the_template(tmp_path: Path) -> None:
    numbers = {"table": {"tbl-x": (6,)}, "figure": {"fig-x": (2,)}}
    doc = page()
    doc.next_node(nodes.figure).parent.remove(doc.next_node(nodes.figure))  # no image file
    markup = TypstWriter("book/sections/02_x", numbers, lambda uri: "/" + uri,
                         "/" + TYPST_TEMPLATE).write(doc)
    # the page compiles inside a project holding the template, into a PDF
    shutil.copytree(REPO / "book" / "typst", tmp_path / "book" / "typst")
    source = tmp_path / "page.typ"
    source.write_text(markup, "utf-8")
    data = typst.compile(str(source), root=str(tmp_path))
    text = " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    assert "Table 6" in text.replace("\xa0", " ") and "Outcomes by arm" in text
    assert "Note. Holm-adjusted." in text
    assert "[a_b] #1 *x* $5 <tag> // not a comment." in text


def wide_table(ident: str, header: list[str], rows: list[list[str]], title: str = "",
               colspecs: bool = False) -> nodes.table:
    """A numbered table whose first column is text and the others numbers (title "Title of
    <ident>" unless given; ``colspecs``: one equal column width per column)."""
    table = nodes.table(ids=[ident])
    table += nodes.title(text=title or f"Title of {ident}")
    group = nodes.tgroup(cols=len(header))
    for _ in header if colspecs else ():
        group += nodes.colspec(colwidth=1)
    head, body = nodes.thead(), nodes.tbody()
    for part, cells_list in ((head, [header]), (body, rows)):
        for cells in cells_list:
            row = nodes.row()
            for i, text in enumerate(cells):
                entry = nodes.entry(classes=["text-right" if i else "text-left"])
                entry += nodes.paragraph(text=text)
                row += entry
            part += row
    group += head
    group += body
    table += group
    return table


def test_tables_share_the_width_and_a_too_wide_one_is_turned(tmp_path: Path) -> None:
    doc = document("book/x")
    section = nodes.section(ids=["s"])
    section += nodes.title(text="Tables")
    tip = nodes.admonition(classes=["tip"])
    tip += nodes.title(text="Re-run this chapter")
    tip += nodes.paragraph(text="python -m mcbi run x")
    section += tip
    section += nodes.paragraph(text="The run behind these numbers:")
    section += nodes.literal_block("", "python -m mcbi plan --reps 500")
    section += nodes.paragraph(text="Kept: a paragraph.")
    empty = nodes.section(ids=["all-the-commands"])
    empty += nodes.title(text="All the commands")
    empty += nodes.literal_block("", "make book")
    section += empty
    cell = "0.46 [0.27, 0.65]; p < .001"
    section += wide_table("tbl-a", ["Outcome", "Wave", "z", "Satterthwaite"],
                          [["Psychotherapeutic mindfulness skills", "post", cell, cell]] * 3)
    section += wide_table("tbl-b", ["Outcome", *[f"δ = {k}" for k in range(10)]],
                          [["Somatization", *["−0.65 (.482)"] * 10]] * 4)
    doc += section
    numbers = {"table": {"tbl-a": (1,), "tbl-b": (2,)}}
    markup = TypstWriter("book/x", numbers, str, "/" + TYPST_TEMPLATE).write(doc)
    assert "mcbi run" not in markup  # the website's re-run box is left out
    assert "behind these" not in markup and "mcbi plan" not in markup  # code and its lead-in
    assert "Kept: a paragraph." in markup
    assert "All the commands" not in markup  # a section left empty loses its heading
    # a number cell breaks only after its ";" (not after a call's "];")
    assert "0.46\u00a0\\[0.27,\u00a00.65\\]; #emph[p];\u00a0\\<\u00a0.001" in markup
    assert ('fit: ((min: "Psychotherapeutic", max: "Psychotherapeutic mindfulness skills", '
            'head: "Outcome", mono: false), ') in markup
    assert ('(min: "0.46 [0.27, 0.65]", max: "0.46 [0.27, 0.65]; p < .001", head: "z", '
            'mono: false)') in markup
    shutil.copytree(REPO / "book" / "typst", tmp_path / "book" / "typst")
    source = tmp_path / "page.typ"
    source.write_text(markup, "utf-8")
    reader = PdfReader(io.BytesIO(typst.compile(str(source), root=str(tmp_path))))
    upright = " ".join(" ".join(p.extract_text(orientations=(0,)).split())
                       for p in reader.pages)
    turned = " ".join(" ".join(p.extract_text(orientations=(90, 270)).split())
                      for p in reader.pages)
    assert "Title of tbl-a" in upright and "Title of tbl-a" not in turned
    assert "Title of tbl-b" in turned and "Title of tbl-b" not in upright  # landscape


def test_a_node_without_a_rule_fails_loudly() -> None:
    doc = document()
    doc += nodes.sidebar("", nodes.paragraph(text="aside"))
    with pytest.raises(UnknownNode, match="no rule for <sidebar>"):
        TypstWriter("book/x", {}, str, "/t.typ").write(doc)
