"""mcbi.paper.render.tables: Markdown / MyST rendering and the book's formatted tables."""

from __future__ import annotations

import pandas as pd
import pytest

from mcbi.paper.render.tables import escape_markdown, markdown_table, myst_table


def test_markdown_table_layout() -> None:
    frame = pd.DataFrame({"name": ["a", "b"], "value": ["1.00", "2.50"]})
    assert markdown_table(frame) == (
        "| name | value |\n"
        "|:--|:--|\n"
        "| a | 1.00 |\n"
        "| b | 2.50 |\n"
    )


def test_markdown_table_alignment_row() -> None:
    frame = pd.DataFrame({"a": ["x"], "b": ["y"], "c": ["z"]})
    lines = markdown_table(frame, "lrc").splitlines()
    assert lines[1] == "|:--|--:|:-:|"
    assert len(lines) == 3


def test_markdown_table_escapes_pipes_and_blanks_missing() -> None:
    frame = pd.DataFrame({"a": ["x|y", None], "b": ["p", float("nan")]})
    lines = markdown_table(frame).splitlines()
    assert lines[2] == "| x\\|y | p |"
    assert lines[3] == "|  |  |"
    # every body row has as many unescaped separators as the header
    for line in lines:
        assert line.replace("\\|", "").count("|") == 3


def test_markdown_table_escapes_pipes_in_header() -> None:
    # BUG (reported): only body cells are escaped; a "|" in a column name adds a column.
    frame = pd.DataFrame({"x|y": ["x"], "c": ["y"]})
    header = markdown_table(frame).splitlines()[0]
    assert header == "| x\\|y | c |"


def test_markdown_table_non_string_cells() -> None:
    frame = pd.DataFrame({"n": [3], "x": [0.5]})
    assert markdown_table(frame).splitlines()[2] == "| 3 | 0.5 |"


@pytest.mark.parametrize("frame", [pd.DataFrame(), pd.DataFrame({"a": [], "b": []})])
def test_markdown_table_empty(frame) -> None:
    with pytest.raises(ValueError, match="empty"):
        markdown_table(frame)


# --- myst_table ------------------------------------------------------------------------


def test_myst_table_directive() -> None:
    frame = pd.DataFrame({"a": ["1"], "b": ["2"]})
    text = myst_table(frame, "Baseline by arm.", "tbl-baseline_1", "lr")
    assert text == (
        ":::{table} Baseline by arm.\n"
        ":name: tbl-baseline_1\n"
        "\n"
        "| a | *b* |\n"
        "|:--|--:|\n"
        "| 1 | 2 |\n"
        ":::\n"
    )
    assert text.startswith(":::{table}") and text.endswith(":::\n")


def test_myst_table_note_follows_the_table() -> None:
    frame = pd.DataFrame({"a": ["1"]})
    text = myst_table(frame, "T.", "tbl-t", note="Values are means.\n  SD in parentheses.")
    table, note = text.split(":::\n\n", 1)
    assert table.endswith("| 1 |\n")
    assert note == ("::::{container} mcbi-table-note\n"
                    "*Note.* Values are means. SD in parentheses.\n::::\n")
    again = myst_table(frame, "T.", "tbl-t", note="*Note.* Given.")
    assert again.count("*Note.*") == 1
    with pytest.raises(ValueError, match="empty"):
        myst_table(frame, "T.", "tbl-t", note="  ")


@pytest.mark.parametrize("name", ["", "tbl x", "tbl:x", "a.b", "tbl/1", "name!"])
def test_myst_table_rejects_bad_names(name) -> None:
    frame = pd.DataFrame({"a": ["1"]})
    with pytest.raises(ValueError, match="table name"):
        myst_table(frame, "caption", name)


def test_myst_table_empty_frame() -> None:
    with pytest.raises(ValueError):
        myst_table(pd.DataFrame({"a": []}), "caption", "tbl-x")


# --- formatted sample, variance and published tables -------------------------------------

MINUS = "\u2212"


@pytest.mark.parametrize(("text", "expected"), [
    ("a*b*c1", r"a\*b\*c1"),
    ("a0*a*b", r"a0\*a\*b"),
    ("a0*(a*b*c1 + a*d1)", r"a0\*(a\*b\*c1 + a\*d1)"),
    ("n_items_x", r"n\_items\_x"),
    ("x|y", r"x\|y"),
    ("a ` b", r"a \` b"),
    ("costs $5 or $6", r"costs \$5 or \$6"),
    ("back\\slash", r"back\\slash"),
    ("two\nlines", "two lines"),
    ("`n_items` is *code*", r"`n_items` is \*code\*"),
    ("`a|b`", r"`a\|b`"),
    ("plain, text [0.1, 0.2] < .001", "plain, text [0.1, 0.2] < .001"),
])
def test_escape_markdown(text, expected) -> None:
    assert escape_markdown(text) == expected


def test_escape_markdown_without_code_spans() -> None:
    assert escape_markdown("`x_1`", keep_code=False) == r"\`x\_1\`"


def test_markdown_table_cells_show_literally() -> None:
    frame = pd.DataFrame({"Label": ["arm_bond", "pms_som"],
                          "Definition": ["a0*a*b", "a*b*c1 + a*d1"]})
    lines = markdown_table(frame).splitlines()
    assert lines[2] == r"| arm\_bond | a0\*a\*b |"
    assert lines[3] == r"| pms\_som | a\*b\*c1 + a\*d1 |"


def test_markdown_table_renders_definitions_literally() -> None:
    # the rendered html (markdown-it, as MyST parses it) keeps every asterisk, no <em>
    from markdown_it import MarkdownIt

    frame = pd.DataFrame({"Definition": ["a0*a*b", "a*b*c1", "x_1_y"], "Code": ["`a*b`"] * 3})
    html = MarkdownIt("commonmark").enable("table").render(markdown_table(frame))
    assert "<em>" not in html
    assert "a0*a*b" in html and "a*b*c1" in html and "x_1_y" in html
    assert html.count("<code>a*b</code>") == 3


def test_header_symbols_in_italics_but_not_words_code_or_cells() -> None:
    frame = pd.DataFrame({"d [95 % CI]": ["p"], "p (Holm)": ["d"], "n_items": ["1"],
                          "`p`": ["x"], "Depression": ["y"]})
    header, _, body = markdown_table(frame).splitlines()
    assert header == "| *d* [95 % CI] | *p* (Holm) | n\\_items | `p` | Depression |"
    assert body == "| p | d | 1 | x | y |"


def test_a_table_may_add_its_own_italic_symbols() -> None:
    from mcbi.paper.render.tables import ITALIC_SYMBOLS

    frame = pd.DataFrame({"Bias a": ["0.1"], "Bias a×b": ["0.2"], "Data sets": ["x"]})
    header = markdown_table(frame, symbols=(*ITALIC_SYMBOLS, "a")).splitlines()[0]
    assert header == "| Bias *a* | Bias *a*×*b* | Data sets |"
    assert markdown_table(frame).splitlines()[0] == "| Bias a | Bias a×*b* | Data sets |"


def test_block_labels_name_each_block_once_with_a_capital() -> None:
    from mcbi.paper.render.tables import block_labels

    assert block_labels(["empathy", "empathy", "distress", "empathy"]) == [
        "Empathy", "", "Distress", "Empathy"]
    assert block_labels([]) == []
