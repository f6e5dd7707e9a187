"""mcbi.paper.tables: Markdown / MyST rendering and the book's formatted tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.paper import tables
from mcbi.paper.apa import fmt_estimate_ci, fmt_num, fmt_p
from mcbi.paper.models import between, within
from mcbi.paper.tables import escape_markdown, markdown_table, myst_table


def test_contrast_summary(two_in_family) -> None:
    con = two_in_family.contrasts
    summary = tables.contrast_summary(con)
    assert len(summary) == 2 * 2  # outcomes x waves
    assert list(summary.columns) == ["Family", "Outcome", "Wave", "Δ control", "Δ MCBI",
                                     "Difference [95% CI]", "d [95% CI]", "p (Holm)"]
    assert list(summary["Wave"]) == ["post", "follow-up"] * 2
    assert list(summary["Outcome"].iloc[::2]) == ["Psychotherapeutic mindfulness skills",
                                                  "EUS-T empathic understanding"]
    row = summary.iloc[3]  # eus_t at follow-up
    b = between(con, "eus_t", "followup")
    assert row["Difference [95% CI]"] == fmt_estimate_ci(b["estimate"], b["ci_lower"],
                                                         b["ci_upper"])
    assert row["d [95% CI]"] == fmt_estimate_ci(b["d"], b["d_ci_lower"], b["d_ci_upper"])
    assert row["Δ MCBI"] == fmt_num(within(con, "eus_t", "followup")["estimate"])
    assert row["Δ control"] == fmt_num(
        within(con, "eus_t", "followup", "control")["estimate"])
    assert row["p (Holm)"] == fmt_p(b["p_holm"]).removeprefix("= ")
    assert not summary["p (Holm)"].str.startswith("=").any()


def test_contrast_summary_level_missing_wave_and_notes(two_in_family) -> None:
    con = two_in_family.contrasts.copy()
    fu = con["time"] == "followup"
    con.loc[fu, ["estimate", "ci_lower", "ci_upper", "d", "p_holm"]] = np.nan
    con.loc[fu, "status"] = "not available"
    fits = two_in_family.fits.assign(singular=[True, False], zero_components=["therapist", ""])
    summary = tables.contrast_summary(con, alpha=0.1, fits=fits)
    assert list(summary["Wave"]) == ["post", "post"]  # the empty wave is left out
    assert "Difference [90% CI]" in summary.columns and "d [90% CI]" in summary.columns
    assert list(summary["Model notes"]) == ["singular: therapist variance = 0", ""]


# --- markdown_table --------------------------------------------------------------------


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


def test_baseline_display() -> None:
    table = pd.DataFrame({"characteristic": ["age, M (SD)"], "control": ["40.00 (10.00)"],
                          "MCBI": ["47.00 (13.11)"], "smd": [-0.123]})
    out = tables.baseline_display(table)
    assert list(out.columns) == ["Characteristic", "Control", "MCBI", "SMD"]
    assert out.loc[0, "SMD"] == MINUS + "0.12"
    assert table.loc[0, "smd"] == -0.123  # the input is not modified


def test_variance_display() -> None:
    variance = pd.DataFrame({"cluster": [0.01234], "cluster_time[post]": [0.2],
                             "residual": [1.5], "icc_post": [0.0083]},
                            index=pd.Index(["bond"], name="outcome"))
    out = tables.variance_display(variance)
    assert list(out.columns) == ["Outcome", "Therapist variance", "Therapist × post variance",
                                 "Residual variance", "ICC post"]
    # the ICC is a proportion: no leading zero (APA)
    assert list(out.iloc[0]) == ["WATOCI therapeutic bond", "0.012", "0.200", "1.500", ".008"]


def test_variance_display_follow_up_label() -> None:
    variance = pd.DataFrame({"cluster_time[followup]": [0.1]},
                            index=pd.Index(["bond"], name="outcome"))
    assert list(tables.variance_display(variance).columns) == [
        "Outcome", "Therapist × follow-up variance"]


def test_published_display() -> None:
    comparison = pd.DataFrame({
        "who": ["patients", "patients"], "outcome": ["therapeutic bond", "anxiety"],
        "scale": ["bond", "bsi_anx"], "wave": ["post", "followup"],
        "published": ["MCBI > control", "maintained"],
        "this_build": ["MCBI > control", "maintained"],
        "estimate": [0.456, -0.5], "p_holm": [0.0123, 0.0001], "agrees": [True, False],
        "agreement": ["agrees", "differs"]})
    out = tables.published_display(comparison)
    assert list(out.columns) == ["Who", "Outcome", "Wave", "Published", "This build",
                                 "Estimate", "p (Holm)", "Agreement"]
    assert list(out.iloc[0]) == ["patients", "therapeutic bond", "post", "MCBI > control",
                                 "MCBI > control", "0.46", ".012", "agrees"]
    assert list(out.iloc[1][["Wave", "Estimate", "p (Holm)", "Agreement"]]) == [
        "follow-up", MINUS + "0.50", "< .001", "differs"]


# --- Markdown escaping -----------------------------------------------------------------


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
