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
    table = nodes.table(ids=["tbl-x"])
    table += nodes.title(text="Outcomes by arm")
    group = nodes.tgroup(cols=2)
    group += nodes.colspec(colwidth=1)
    group += nodes.colspec(colwidth=1)
    head, tbody = nodes.thead(), nodes.tbody()
    for part, cells in ((head, ["Outcome", "p"]), (tbody, ["PMS", "< .001"])):
        row = nodes.row()
        for i, text in enumerate(cells):
            entry = nodes.entry(classes=["text-right" if i else "text-left"])
            entry += nodes.paragraph(text=text)
            row += entry
        part += row
    group += head
    group += tbody
    table += group
    output += table
    output += nodes.paragraph(text="Note. Holm-adjusted.")
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
    assert italic_statistics("d = 0.8, p < .05, t(3) ok") == (
        r"#emph[d]; \= 0.8, #emph[p]; \< .05, t(3) ok")
    assert italic_statistics("a = 1") == r"a \= 1"  # the article "a" is no statistic
    assert italic_statistics("Holm-adjusted p = .01") == r"Holm\-adjusted #emph[p]; \= .01"


def test_a_page_becomes_apa_markup() -> None:
    numbers = {"table": {"tbl-x": (6,)}, "figure": {"fig-x": (2,)}}
    markup = TypstWriter("book/sections/02_x", numbers, lambda uri: "/" + uri,
                         "/book/typst/apa7.typ").write(page())
    assert markup.startswith('#import "/book/typst/apa7.typ": *\n')
    assert "#doc-title[Therapist outcomes]" in markup
    assert '#anchor("book.sections.02_x:sec-x")' in markup
    assert "0.46 (#emph[d]; \\= 0.83; #emph[p]; \\< .001)" in markup
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


def test_a_node_without_a_rule_fails_loudly() -> None:
    doc = document()
    doc += nodes.sidebar("", nodes.paragraph(text="aside"))
    with pytest.raises(UnknownNode, match="no rule for <sidebar>"):
        TypstWriter("book/x", {}, str, "/t.typ").write(doc)
