"""mcbi.paper.mechanism_report: formatted tables, notes and the path-diagram layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.paper import mechanism, mechanism_report
from mcbi.paper.figures import path_diagram
from mcbi.stats.msem import build_partable

MINUS = "\u2212"


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
    assert none.startswith(":::{note}") and "no problem" in none
    two = mechanism_report.warnings_note(["first", "second"])
    assert two.startswith(":::{admonition} The estimator flagged 2 problem(s)")
    assert ":class: caution\n- first\n- second\n:::" in two


def test_not_synthetic_note() -> None:
    note = mechanism_report.not_synthetic_note()
    assert note.startswith(":::{note}") and "not synthetic" in note and note.endswith(":::\n")


def test_diagram_panels_edges_and_stars() -> None:
    est = _model_estimates()
    panels = mechanism_report.diagram_panels(est, alpha=0.05)
    assert [p["title"] for p in panels] == ["Between therapists (level 2)",
                                            "Within therapists (level 1)"]
    between, within = ({(s, d): t for s, d, t in p["edges"]} for p in panels)
    assert len(between) == 3 + 2 * len(mechanism.SYMPTOMS)
    assert len(within) == 1 + len(mechanism.SYMPTOMS)
    row = est.set_index("label").loc["a"]
    expected = f"{row['estimate']:.2f}".replace("-", MINUS) + ("*" if row["pvalue"] < .05 else "")
    assert between[("pms", "eusp")] == expected
    # a stricter alpha removes every star
    strict = mechanism_report.diagram_panels(est, alpha=1e-9)
    assert not any(t.endswith("*") for p in strict for _, _, t in p["edges"])
    fig = path_diagram(panels)  # every edge names a node of its panel
    assert len(fig.axes) == 2


def test_paths_table() -> None:
    est = _model_estimates()
    out = mechanism_report.paths_table(est)
    assert list(out.columns) == ["Level", "Label", "Path", "Estimate [CI]", "SE", "p"]
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
    assert list(out.iloc[0]) == [mechanism.INDIRECT["pms_som"], "a*b*c1 + a*d1",
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
    assert list(out.columns) == ["Label", "Level", "Path", "True", "Latent changes [CI]",
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
    assert list(out.columns) == ["Label", "Path", "Two-level (between) est (SE)",
                                 "Single-level est (SE)", "SE ratio (single / two-level)"]
    assert out.iloc[0]["Two-level (between) est (SE)"] == "0.250 (0.100)"
    assert out.iloc[0]["SE ratio (single / two-level)"] == ratio
