"""mcbi.book.typography: minus signs and non-breaking spaces in the rendered book."""

from __future__ import annotations

import pytest
from docutils import nodes

from mcbi.book.typography import MINUS, NBSP, bind_numbers, true_minus, typeset


def glued(text: str) -> nodes.inline:
    return nodes.inline(text, text, classes=["pasted-text"])


@pytest.mark.parametrize(("text", "expected"), [
    ("-0.25", f"{MINUS}0.25"),
    ("-.5 and -12", f"{MINUS}.5 and {MINUS}12"),
    ("[-0.1, -0.2]", f"[{MINUS}0.1, {MINUS}0.2]"),
    ("2018-09-01", "2018-09-01"),
    ("BSI-18, COVID-19, x-1", "BSI-18, COVID-19, x-1"),
    ("well-being", "well-being"),
    (f"{MINUS}0.3", f"{MINUS}0.3"),
])
def test_true_minus(text, expected) -> None:
    assert true_minus(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("p < .001", "p~<~.001"),
    ("p = .034", "p~=~.034"),
    ("d = -0.45", "d~=~-0.45"),
    ("0.30 [0.12, 0.48]", "0.30~[0.12,~0.48]"),
    ("[−0.12, —]", "[−0.12,~—]"),
    ("a < b and [see, also]", "a < b and [see, also]"),
    ("3 [a, b]", "3 [a, b]"),
])
def test_bind_numbers(text, expected) -> None:
    assert bind_numbers(text).replace(NBSP, "~") == expected


def test_table_cells_may_put_the_interval_below_the_estimate() -> None:
    assert bind_numbers("0.30 [0.12, 0.48]", estimate_with_interval=False).replace(
        NBSP, "~") == "0.30 [0.12,~0.48]"


def _typeset(*children: nodes.Node) -> str:
    paragraph = nodes.paragraph()
    for child in children:
        paragraph += child
    section = nodes.section()
    section += paragraph
    typeset(section)
    return paragraph.astext().replace(NBSP, "~")


def test_statistic_binds_to_glued_relation() -> None:
    out = _typeset(nodes.emphasis("p", "p"), nodes.Text(" "), glued("= .034"),
                   nodes.Text(", "), nodes.emphasis("d", "d"), nodes.Text(" = "), glued("-0.25"))
    assert out == f"p~=~.034, d~=~{MINUS}0.25"


def test_glued_interval_bounds_bind() -> None:
    out = _typeset(nodes.Text("CI ["), glued("-0.10"), nodes.Text(", "), glued("0.20"),
                   nodes.Text("]"))
    assert out == f"CI [{MINUS}0.10,~0.20]"


def test_hyphens_outside_glue_and_tables_are_kept() -> None:
    # typed prose ("post - pre" written by an author) and code are not glued numbers
    out = _typeset(nodes.Text("range 1 -2 "), nodes.literal("x = -1", "x = -1"))
    assert out == "range 1 -2 x = -1"


def test_table_cells_get_minus_signs() -> None:
    entry = nodes.entry()
    paragraph = nodes.paragraph()
    paragraph += nodes.Text("-0.14 [-0.3, 0.1]")
    entry += paragraph
    typeset(entry)
    assert entry.astext().replace(NBSP, "~") == f"{MINUS}0.14 [{MINUS}0.3,~0.1]"


@pytest.mark.parametrize(("text", "expected"), [
    ("1.1e-08", "< 0.001"),
    ("-4e-9", f"> {MINUS}0.001"),
    ("3.2e-02", "0.032"),
    ("2.5e+03", "2500"),
    ("1.5e0", "1.50"),
    ("e-mail and x1e5 and 10", "e-mail and x1e5 and 10"),
])
def test_fixed_notation(text, expected) -> None:
    from mcbi.book.typography import fixed_notation

    assert fixed_notation(text) == expected


def test_glued_scientific_notation_becomes_fixed() -> None:
    out = _typeset(nodes.Text("largest gradient "), glued("1.1e-08"))
    assert out == "largest gradient~<~0.001"


def test_glued_p_value_loses_its_leading_zero() -> None:
    out = _typeset(nodes.Text("("), nodes.emphasis("p", "p"), nodes.Text(" = "),
                   glued("0.452"), nodes.Text("; "), nodes.emphasis("d", "d"), nodes.Text(" = "),
                   glued("0.45"), nodes.Text(")"))
    assert out == "(p~=~.452; d~=~0.45)"


def test_look_alike_text_nodes_are_handled_one_by_one() -> None:
    # two ", " nodes in one paragraph: only the one between glued bounds is bound
    out = _typeset(nodes.Text(", "), nodes.Text("x"), nodes.Text("["), glued("1"),
                   nodes.Text(", "), glued("2"), nodes.Text("]"))
    assert out == ", x[1,~2]"


def test_glued_statistics_are_set_in_italics() -> None:
    from docutils import nodes

    from mcbi.book.typography import GLUE_CLASS, italic_statistics, typeset

    text = "0.46 (95% CI [0.27, 0.64], d = 0.83, Holm-adjusted p < .001)"
    para = nodes.paragraph("", "", nodes.Text("was "),
                           nodes.inline(text, text, classes=[GLUE_CLASS]))
    doc = nodes.section("", para)
    typeset(doc)
    assert [e.astext() for e in doc.findall(nodes.emphasis)] == ["d", "p"]
    assert doc.astext().replace("\u00a0", " ") == "was " + text
    # words that merely contain the letters are left alone, and so is unglued prose
    assert italic_statistics("p-values, step 2, d 3") == [("p-values, step 2, d 3", False)]
    plain = nodes.section("", nodes.paragraph("", "", nodes.Text("so p = .05 here")))
    typeset(plain)
    assert not list(plain.findall(nodes.emphasis))


def test_statistics_in_table_cells_are_set_in_italics() -> None:
    from docutils import nodes

    from mcbi.book.typography import NBSP, typeset

    def cell(text: str) -> nodes.entry:
        return nodes.entry("", nodes.paragraph("", "", nodes.Text(text)))

    cells = [cell("0.26 [−3.58, 4.09]; df = 3.0; p = .847 (n = 13)"), cell("age, M (SD)"),
             cell("gender: female, n (%)"), cell("χ²(3) = 8.29"), cell("SE 0.12"),
             cell("a"), cell("b"), cell("p"), cell("Mean, SDQ, p-values, Cohen’s"),
             cell("KR df (median)"), cell("p (χ²)")]
    table = nodes.table("", nodes.tgroup("", nodes.tbody("", nodes.row("", *cells))))
    doc = nodes.section("", table)
    typeset(doc)
    italic = [[e.astext() for e in c.findall(nodes.emphasis)] for c in cells]
    assert italic == [["df", "p", "n"], ["M", "SD"], ["n"], ["χ²"], ["SE"], [], [], [],
                      [], ["df"], ["p", "χ²"]]
    assert cells[0].astext().replace(NBSP, " ") == (
        "0.26 [−3.58, 4.09]; df = 3.0; p = .847 (n = 13)")
    assert f"p{NBSP}={NBSP}.847" in cells[0].astext()  # no break after the symbol
    # prose outside tables and glue stays as written
    plain = nodes.section("", nodes.paragraph("", "", nodes.Text("age, M (SD), p = .05")))
    typeset(plain)
    assert not list(plain.findall(nodes.emphasis))


def test_glued_values_in_the_rerun_box_are_code_to_copy() -> None:
    """The re-run box pastes a command and parameter values: they keep their hyphen-minus
    (a typeset − would not paste into a shell) and are shown as code."""
    from mcbi.book.typography import GLUE_CLASS, VERBATIM_CLASS

    def box(classes: list[str]) -> nodes.Element:
        para = nodes.paragraph()
        para += nodes.Text("ran with ")
        para += nodes.inline("", "deltas = -1.0 -0.5, alpha = 0.05", classes=[GLUE_CLASS])
        return nodes.admonition("", para, classes=classes)

    doc = nodes.section()
    doc += box(["tip", VERBATIM_CLASS])
    doc += box(["tip"])
    typeset(doc)
    rerun, other = doc.children
    literal = next(iter(rerun.findall(nodes.literal)))
    assert literal.astext() == "deltas = -1.0 -0.5, alpha = 0.05"
    assert not list(other.findall(nodes.literal))
    assert MINUS + "1.0" in other.astext()  # elsewhere a glued number gets the true minus


def test_a_test_named_by_its_statistic_is_italic() -> None:
    from mcbi.book.typography import italic_statistics

    runs = italic_statistics("tested with t tests with Kenward–Roger's df, or Wald z tests")
    assert [p for p, italic in runs if italic] == ["t", "z"]
    assert not any(italic for _, italic in italic_statistics("a test, the t-shirt, z-scores"))


def test_glued_text_gets_typographic_quotes_and_apostrophes() -> None:
    out = _typeset(nodes.Text("its finding is "), glued("the article's for 6"),
                   nodes.Text(" (code: "), nodes.literal("x", "don't"), nodes.Text(")"))
    assert out == "its finding is the article\u2019s for 6 (code: don't)"
    out = _typeset(glued("from the data package 'mcbi-trial-pilot-10' (content SHA-256 "
                         "f63c0c84699b)."))
    assert out == "from the data package \u2018mcbi-trial-pilot-10\u2019 (content SHA-256 " \
        "f63c0c84699b)."
    from mcbi.book.typography import smart_quotes

    assert smart_quotes("'x' and the arms' 2's, \"full\"") == \
        "\u2018x\u2019 and the arms\u2019 2\u2019s, \u201cfull\u201d"
    assert smart_quotes("p < .001 and a\\b") == "p < .001 and a\\b"
