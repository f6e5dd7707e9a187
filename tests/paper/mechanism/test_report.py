"""mcbi.paper.mechanism.report: formatted tables, notes and the path-diagram layout."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _datafixtures import DATA
from mcbi.paper.mechanism import model as mechanism
from mcbi.paper.mechanism import report as mechanism_report
from mcbi.paper.mechanism.figures import path_diagram
from mcbi.paper.render.templates import read_template
from mcbi.stats.msem import build_partable

MINUS = "\u2212"

BLOCKS = read_template(Path(__file__).resolve().parents[3] / mechanism_report.TEMPLATE)


def _model_estimates() -> pd.DataFrame:
    """The mechanism model's parameter table with made-up numbers (label k -> k-th value)."""
    table, _ = build_partable(mechanism.MODEL)
    est = table[["lhs", "op", "rhs", "level", "label"]].copy()
    n = len(est)
    est["estimate"] = np.linspace(-1, 1, n)
    est["se"] = 0.1
    est["ci_lower"] = est["estimate"] - 0.2
    est["ci_upper"] = est["estimate"] + 0.2
    est["pvalue"] = np.where(np.arange(n) % 2 == 0, 0.0004, 0.5)
    return est


def test_warnings_note() -> None:
    none = mechanism_report.warnings_note([])
    assert none.startswith(":::{note}") and "raised no warning" in none
    assert "earlier" not in none
    after = mechanism_report.warnings_note([], n_failed=2)
    assert "2 earlier rungs of the ladder failed" in after  # no bare "no problem" after failures
    two = mechanism_report.warnings_note(
        ["not converged: ABNORMAL_TERMINATION_IN_LNSRCH; max|grad| = 2.4e+08",
         "near-zero between-level variance som ~~ som (level 2) = 3.215 (SE 4.1)"])
    assert two.startswith(":::{admonition} The reported model raised 2 warnings")
    assert "- The optimiser did not converge." in two
    assert "max|grad|" not in two and "ABNORMAL" not in two and "near zero" not in two
    assert "(3.215) was smaller than its standard error (4.100)" in two


def test_diagram_panels_edges_intervals_and_dashes() -> None:
    est = _model_estimates()
    panels = mechanism_report.diagram_panels(est, alpha=0.05)
    assert [p["title"] for p in panels] == ["Between therapists (level 2)",
                                            "Within therapists (level 1)"]
    between, within = ({(s, d): (t, sig) for s, d, t, sig in p["edges"]} for p in panels)
    assert len(between) == 3 + 2 * len(mechanism.SYMPTOMS)
    assert len(within) == 1 + len(mechanism.SYMPTOMS)
    row = est.set_index("label").loc["a"]
    expected = "{:.2f} [{:.2f}, {:.2f}]".format(row["estimate"], row["ci_lower"],
                                                row["ci_upper"]).replace("-", MINUS)
    assert between[("pms", "eusp")] == (expected, bool(row["pvalue"] < .05))
    # a stricter alpha makes every path non-significant (dashed)
    strict = mechanism_report.diagram_panels(est, alpha=1e-9)
    assert not any(sig for p in strict for *_, sig in p["edges"])
    # node labels are words, no codes
    labels = [lab for p in panels for *_, lab in p["nodes"].values()]
    assert "\u0394 Somatization" in labels and not any("som" == x for x in labels)
    fig = path_diagram(panels)  # every edge names a node of its panel
    assert len(fig.axes) == 2


def test_diagram_layout_has_no_crossing_arrows_and_clear_labels(tmp_path) -> None:
    """The full model: no two arrows cross, every value sits clear of the other arrows,
    nodes and values, and every text is at least 9 pt printed."""
    from mcbi.paper.mechanism import figures
    from mcbi.paper.render.figures import MIN_PRINT_PT, printed_min_pt, save

    est = _model_estimates()
    est[["estimate", "ci_lower", "ci_upper"]] *= -12.3  # long labels: "−12.30 [−14.76, …]"
    panels = mechanism_report.diagram_panels(est, alpha=0.05)
    fig = path_diagram(panels)
    for panel in panels:
        sizes = {k: figures._text_size(fig, v[2], figures.NODE_FONT, 0.35 * figures.NODE_FONT)
                 for k, v in panel["nodes"].items()}
        labels = [[figures._text_size(fig, f, figures.LABEL_FONT, 0.15 * figures.LABEL_FONT)
                   for f in figures.label_forms(t)] for _, _, t, _ in panel["edges"]]
        places = figures.layout_labels(panel, sizes, labels)
        assert all(p["clear"] for p in places)
        pieces = [(k, (r[j], r[j + 1])) for k, p in enumerate(places)
                  for r in [p["route"]] for j in range(len(r) - 1)]
        crossing = [(a, b) for a, sa in pieces for b, sb in pieces
                    if a < b and figures.segments_cross(sa, sb)]
        assert crossing == []
    assert printed_min_pt(save(fig, tmp_path, "diagram")) >= MIN_PRINT_PT


def test_paths_table() -> None:
    est = _model_estimates()
    out = mechanism_report.paths_table(est)
    assert list(out.columns) == ["Level", "Symbol", "Path", "Estimate [CI]", "SE", "p"]
    assert len(out) == (est["op"] == "~").sum()
    assert set(out["Level"]) == {"within", "between"}
    first = out.iloc[0]
    assert first["Path"] == f"{mechanism.VARIABLES['eusp']} → {mechanism.VARIABLES['bond']}"
    assert first["SE"] == "0.100"
    assert first["p"] in {"< .001", ".500"}


def test_indirect_table() -> None:
    est = pd.DataFrame({"lhs": ["a", "pms_som", "unknown"], "op": ["~", ":=", ":="],
                        "se": [0.5, 0.012, 0.3]})
    mc = pd.DataFrame({"name": ["pms_som", "unknown"], "expression": ["a*b*c1 + a*d1", "x"],
                       "estimate": [-0.0456, 1.0], "ci_lower": [-0.1, 0.5],
                       "ci_upper": [0.0012, 1.5]})
    out = mechanism_report.indirect_table(est, mc)
    assert list(out.columns) == ["Effect", "Definition", "Estimate", "Delta SE",
                                 "Monte Carlo CI"]
    assert list(out.iloc[0]) == [mechanism.INDIRECT["pms_som"], "a × b × c₁ + a × d₁",
                                 MINUS + "0.046", "0.012", f"[{MINUS}0.100, 0.001]"]
    assert out.iloc[1]["Effect"] == "unknown"  # no description: the name itself


def test_fit_table() -> None:
    fm = {"logl": -1234.5678, "npar": 40, "chisq": 12.3456, "df": 9, "ntotal": 121}
    out = mechanism_report.fit_table(fm, pd.Series({"eusp": 0.25}))
    values = dict(zip(out["Measure"], out["Value"], strict=True))
    assert values["log-likelihood"] == MINUS + "1234.568"
    assert values["free parameters"] == "40" and values["df"] == "9"
    assert values["χ²"] == "12.346" and values["CFI"] == "\u2014"  # absent measure
    assert values[f"ICC {mechanism.VARIABLES['eusp']}"] == "0.250"
    assert len(out) == 14 + 1


def test_truth_table() -> None:
    comp = pd.DataFrame({"lhs": ["eusp"], "op": "~", "rhs": ["pms"], "level": [2],
                         "label": ["a"], "true": [0.5], "latent_estimate": [0.45],
                         "latent_ci_lower": [0.3], "latent_ci_upper": [0.6],
                         "observed_estimate": [1.2345], "covered": [True],
                         "sign_agrees": [True]})
    out = mechanism_report.truth_table(comp)
    assert list(out.columns) == ["Symbol", "Level", "Path", "True", "Latent changes [CI]",
                                 "Covered", "Observed scores"]
    assert list(out.iloc[0]) == ["a", "between",
                                 f"{mechanism.VARIABLES['pms']} → {mechanism.VARIABLES['eusp']}",
                                 "0.500", "0.450 [0.300, 0.600]", "yes", "1.234"]


@pytest.mark.parametrize(("single", "ratio"), [((0.3, 0.05), "0.50"), ((np.nan, np.nan),
                                                                       "\u2014")])
def test_single_level_table(single, ratio) -> None:
    side = pd.DataFrame({"lhs": ["eusp"], "rhs": ["pms"], "label": ["a"], "estimate": [0.25],
                         "se": [0.1], "single_estimate": [single[0]],
                         "single_se": [single[1]], "se_ratio": [single[1] / 0.1]})
    out = mechanism_report.single_level_table(side)
    assert list(out.columns) == ["Symbol", "Path", "Two-level (between) est (SE)",
                                 "Single-level est (SE)", "SE ratio (single / two-level)"]
    assert out.iloc[0]["Two-level (between) est (SE)"] == "0.250 (0.100)"
    assert out.iloc[0]["SE ratio (single / two-level)"] == ratio


# --- ladder, claim and conditional paragraphs -------------------------------------------


def _outcome(rung, passed, reasons=()):
    from mcbi.paper.mechanism.ladder import RungOutcome

    return RungOutcome(rung, passed, list(reasons))


def test_ladder_table_lists_every_rung_with_its_outcome() -> None:
    from mcbi.paper.mechanism.ladder import RUNGS, LadderResult

    first, second = _outcome(RUNGS[0], False, [
        "not converged (CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH)",
        "inadmissible: Heywood case: negative variance som ~~ som (level 2) = -0.1"]), \
        _outcome(RUNGS[1], True)
    out = mechanism_report.ladder_table(LadderResult([first, second], second))
    assert list(out.columns) == ["Rung", "Model", "Outcome", "Reason"]
    assert list(out["Rung"]) == [str(i) for i in range(1, len(RUNGS) + 1)]
    assert list(out["Outcome"]) == ["failed", "passed: reported"] + ["not tried"] * (
        len(RUNGS) - 2)
    assert out.loc[0, "Reason"].startswith("the optimiser did not converge; the between-")
    assert "FACTR" not in out.loc[0, "Reason"] and "~~" not in out.loc[0, "Reason"]
    assert out.loc[1, "Reason"] == ""
    assert not out["Model"].str.contains("_").any()


def test_ladder_sentence_names_the_rung_or_says_none_passed() -> None:
    from mcbi.paper.mechanism.ladder import RUNGS, LadderResult

    first = _outcome(RUNGS[0], True)
    assert "the first rung: the full model as specified" in mechanism_report.ladder_sentence(
        LadderResult([first], first))
    fails = [_outcome(r, False, ["why"]) for r in RUNGS[:2]]
    third = _outcome(RUNGS[2], True)
    text = mechanism_report.ladder_sentence(LadderResult([*fails, third], third))
    assert "rung 3, after 2 earlier rungs failed: the full model with every variance" in text
    assert "diagonal_between" not in text
    none = mechanism_report.ladder_sentence(LadderResult(fails, None))
    assert none.startswith("No rung passed")
    why = ["not identified: one patient each"]
    stopped = LadderResult([_outcome(r, False, why) for r in RUNGS], None, why)
    assert mechanism_report.ladder_sentence(stopped).startswith("No rung was fitted")
    table = mechanism_report.ladder_table(stopped)
    assert set(table["Outcome"]) == {"not fitted"}


def test_no_estimate_note_carries_the_reason() -> None:
    note = mechanism_report.no_estimate_note("no rung passed: chain: not identified")
    assert note.startswith(":::{admonition} No estimate of the mechanism\n:class: caution")
    assert "chain: not identified" in note and note.endswith(":::\n")
    assert "numref" not in note


def _claims(rows):
    return pd.DataFrame(rows, columns=["label", "kind", "sign", "estimate", "ci_lower",
                                       "ci_upper", "reproduced"])


def test_claims_table_and_verdicts() -> None:
    claims = _claims([("a", "path", 1, 0.5, 0.1, 0.9, 1.0),
                      ("c1", "path", -1, -0.2, -0.5, 0.1, 0.0),
                      ("pms_som", "indirect", -1, np.nan, np.nan, np.nan, np.nan)])
    out = mechanism_report.claims_table(claims)
    assert list(out.columns) == ["Link of the chain", "Published direction",
                                 "This build [CI]", "Verdict"]
    assert list(out["Verdict"]) == ["reproduced", "not reproduced", "not estimable"]
    assert list(out["Published direction"]) == ["positive", "negative", "negative"]
    assert out.loc[0, "Link of the chain"].endswith("(between, path a)")
    assert "path c₁" in out.loc[1, "Link of the chain"]
    assert out.loc[2, "Link of the chain"] == "indirect: " + mechanism.INDIRECT["pms_som"]
    assert out.loc[0, "This build [CI]"] == "0.500 [0.100, 0.900]"


@pytest.mark.parametrize(("ci", "expected"), [
    ([(-0.9, -0.1)] * 3, "are reproduced for all 3 symptoms."),
    ([(-0.9, 0.1)] * 3, "are not reproduced for any of the 3 symptoms."),
    ([(-0.9, -0.1), (-0.5, 0.5), (0.1, 0.9)], "reproduced for 1 of 3 symptoms ("),
    ([(np.nan, np.nan)] * 3, "are not estimable: this build has no estimate of them."),
])
def test_bond_symptom_sentence(ci, expected) -> None:
    claims = _claims([(f"c{k}", "path", -1, (lo + hi) / 2, lo, hi, np.nan)
                      for k, (lo, hi) in enumerate(ci, 1)])
    text = mechanism_report.bond_symptom_sentence(claims)
    assert text.startswith("Between therapists, the paths from Δ bond to the symptom changes")
    assert expected in text


def test_the_chapters_words_come_from_its_markdown_template() -> None:
    """The figure's block and every caption live in book/templates/mechanism.md; a missing
    block or value is an error, not an empty caption."""
    blocks = BLOCKS
    assert "figure" in blocks and {f"caption-{n}" for n in mechanism_report._ALIGN} <= set(blocks)
    assert not any("{" in line and "${" not in line and "{numref}" not in line
                   and "{figure}" not in line for line in blocks["figure"].splitlines())
    with pytest.raises(ValueError, match="no block 'paths'"):
        mechanism_report.paragraph(blocks, "paths", {})
    with pytest.raises(ValueError, match="needs the value"):
        mechanism_report.paragraph(blocks, "figure", {})


def test_diagram_panels_of_the_chain_rung() -> None:
    from mcbi.paper.mechanism.ladder import CHAIN_MODEL

    table, _ = build_partable(CHAIN_MODEL)
    est = table[["lhs", "op", "rhs", "level", "label"]].copy()
    est["estimate"], est["pvalue"] = 0.3, np.nan
    between, within = mechanism_report.diagram_panels(est, alpha=0.05)
    assert {(s, d) for s, d, _, _ in between["edges"]} == {("mcbi", "pms"), ("pms", "eusp"),
                                                           ("eusp", "bond")}
    assert set(between["nodes"]) == {"mcbi", "pms", "eusp", "bond"}
    # no p-value: dashed (not shown to differ from zero); no interval: the estimate alone
    assert [(t, sig) for _, _, t, sig in within["edges"]] == [("0.30", False)]
    assert len(path_diagram([between, within]).axes) == 2


# --- the chapter's sections -------------------------------------------------------------


@pytest.fixture(scope="module")
def analysis(trial):
    from mcbi.paper.mechanism.compare import analyse

    return analyse(mechanism.change_data(trial), DATA, 500, 1, 0.9)


@pytest.fixture(scope="module")
def no_estimates(trial):
    from mcbi.paper.mechanism.compare import analyse

    one = mechanism.change_data(trial).groupby(mechanism.CLUSTER).head(1)
    return analyse(one, DATA, 500, 1, 0.9)  # one patient per therapist: no rung fitted


def _values(mech, alpha: float = 0.1) -> dict:
    from mcbi.paper.mechanism import names

    values = mechanism_report.chapter_values(mech, 500, 1, 1 - alpha)
    values["ci_level"] = 100 * (1 - alpha)
    return names.paragraph_values(values, alpha)


def test_chapter_values_with_estimates(analysis) -> None:
    values = _values(analysis)
    assert values["mechanism_model"] == analysis.ladder.chosen.rung.name
    assert values["mechanism_reason"] == "" and np.isfinite(values["path_a"])
    assert values["msem_a_est"] == values["path_a"]
    assert values["mech_claims_total"] == 9 and values["truth_n"] > 0
    assert "se_ratio_a" in values


def test_every_section_with_estimates_cites_only_what_it_shows(analysis) -> None:
    values = _values(analysis)
    for name in ("ladder", "status", "figure", "paths", "indirect", "fit", "claims",
                 "single", "truth"):
        label = "" if name in ("status", "figure") else f"tbl-x-{name}"
        text = mechanism_report.section(name, analysis, values, label, BLOCKS)
        cited = set(re.findall(r"\{numref\}`([\w-]+)`", text))
        shown = set(re.findall(r":name: ([\w-]+)", text))
        assert cited <= shown, name
        assert text.strip() or name == "status", name  # the fit's checks: a glued sentence
    paths = mechanism_report.section("paths", analysis, values, "tbl-x", BLOCKS)
    assert ":name: tbl-x\n" in paths and "{numref}" not in paths
    with pytest.raises(ValueError, match="no section"):
        mechanism_report.section("nonsense", analysis, values, "", BLOCKS)
    with pytest.raises(ValueError, match="give its label"):
        mechanism_report.section("paths", analysis, values, "", BLOCKS)


def test_sections_without_estimates(no_estimates) -> None:
    values = _values(no_estimates)
    assert values["mechanism_model"] == "" and math.isnan(values["path_a"])
    assert values["mechanism_reason"].startswith("no rung fitted: not identified")
    assert values["mech_claims_reproduced"] == 0 and values["mech_claims_estimable"] == 0
    status = mechanism_report.section("status", no_estimates, values, "", BLOCKS)
    assert status.startswith(":::{admonition} No estimate of the mechanism")
    for name in ("figure", "paths", "indirect", "fit", "single", "truth"):
        label = "" if name == "figure" else "tbl-x"
        assert mechanism_report.section(name, no_estimates, values, label, BLOCKS) == "", name
    claims = mechanism_report.section("claims", no_estimates, values, "tbl-msem-claims", BLOCKS)
    assert ":name: tbl-msem-claims" in claims and "not estimable" in claims
