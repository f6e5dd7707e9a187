"""The mechanism chapter's displays: formatted tables, notes and the path-diagram layout.

Tidy results in (the estimates of :mod:`mcbi.stats.msem`, the comparisons of
:mod:`mcbi.paper.mechanism_compare`), strings out.
"""

from __future__ import annotations

import pandas as pd

from mcbi.paper.apa import fmt_ci, fmt_estimate_ci, fmt_num, p_cell
from mcbi.paper.mechanism import INDIRECT, SYMPTOMS, VARIABLES

LEVELS = {1: "within", 2: "between"}

_BETWEEN_NODES = {"mcbi": (0.08, 0.85, "arm"), "pms": (0.08, 0.45, "ΔPMS"),
                  "eusp": (0.36, 0.45, "ΔEUS-P"), "bond": (0.5, 0.9, "Δbond"),
                  "som": (0.92, 0.8, "Δsom"), "dep": (0.92, 0.45, "Δdep"),
                  "anx": (0.92, 0.1, "Δanx")}
_WITHIN_NODES = {"eusp": (0.15, 0.5, "ΔEUS-P"), "bond": (0.5, 0.5, "Δbond"),
                 "som": (0.88, 0.75, "Δsom"), "dep": (0.88, 0.5, "Δdep"),
                 "anx": (0.88, 0.25, "Δanx")}

_FIT_NAMES = {"logl": "log-likelihood", "npar": "free parameters", "chisq": "χ²", "df": "df",
              "pvalue": "p (χ²)", "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA",
              "srmr_within": "SRMR within", "srmr_between": "SRMR between", "aic": "AIC",
              "bic": "BIC", "ntotal": "patients (level 1)",
              "nclusters": "therapists (level 2)"}
_COUNTS = ("npar", "df", "ntotal", "nclusters")


def _path(frame: pd.DataFrame) -> pd.Series:
    return frame["rhs"].map(VARIABLES) + " → " + frame["lhs"].map(VARIABLES)


def warnings_note(warnings: list[str]) -> str:
    """A MyST admonition listing the estimator's warnings, or a note that there were none."""
    if warnings:
        items = "\n".join(f"- {w}" for w in warnings)
        return (f":::{{admonition}} The estimator flagged {len(warnings)} problem(s)\n"
                f":class: caution\n{items}\n:::\n")
    return (":::{note}\nThe estimator flagged no problem (convergence, Heywood cases, "
            "near-zero variances, non-positive-definite matrices).\n:::\n")


def not_synthetic_note() -> str:
    """The MyST note shown instead of the truth comparison for real data."""
    return (":::{note}\nThese data are not synthetic: there is no known truth to compare "
            "with.\n:::\n")


def diagram_panels(estimates: pd.DataFrame, alpha: float) -> list[dict]:
    """The two panels of the model's path diagram (:func:`mcbi.paper.figures.path_diagram`).

    Each arrow carries the labelled path's estimate, starred if its p is below ``alpha``.
    """
    labelled = estimates[estimates["label"].fillna("") != ""].set_index("label")

    def edge(name: str) -> str:
        row = labelled.loc[name]
        star = "*" if row["pvalue"] < alpha else ""
        return f"{fmt_num(row['estimate'], 2)}{star}"

    symptoms = list(enumerate(SYMPTOMS, 1))
    b_edges = [("mcbi", "pms", edge("a0")), ("pms", "eusp", edge("a")),
               ("eusp", "bond", edge("b"))]
    b_edges += [("bond", s, edge(f"c{k}")) for k, s in symptoms]
    b_edges += [("eusp", s, edge(f"d{k}")) for k, s in symptoms]
    w_edges = [("eusp", "bond", edge("b_w"))] + [("bond", s, edge(f"c_w{k}"))
                                                  for k, s in symptoms]
    return [{"title": "Between therapists (level 2)", "nodes": _BETWEEN_NODES,
             "edges": b_edges, "label_position": 0.4},
            {"title": "Within therapists (level 1)", "nodes": _WITHIN_NODES,
             "edges": w_edges}]


def paths_table(estimates: pd.DataFrame) -> pd.DataFrame:
    """The regression paths: level, label, path, estimate [CI], SE and p."""
    paths = estimates[estimates["op"] == "~"]
    return pd.DataFrame({
        "Level": paths["level"].map(LEVELS),
        "Label": paths["label"],
        "Path": _path(paths),
        "Estimate [CI]": [fmt_estimate_ci(e, lo, hi) for e, lo, hi in
                          zip(paths["estimate"], paths["ci_lower"], paths["ci_upper"],
                              strict=True)],
        "SE": paths["se"].map(lambda v: fmt_num(v, 3)),
        "p": paths["pvalue"].map(p_cell),
    })


def indirect_table(estimates: pd.DataFrame, monte_carlo: pd.DataFrame) -> pd.DataFrame:
    """The defined (indirect) effects: definition, estimate, delta-method SE, Monte Carlo CI.

    ``monte_carlo`` has one row per defined parameter (``name, expression, estimate,
    ci_lower, ci_upper``); the SE comes from the ``:=`` rows of ``estimates``.
    """
    defined = estimates.loc[estimates["op"] == ":=", ["lhs", "se"]].rename(
        columns={"lhs": "name"})
    ind = monte_carlo.merge(defined, on="name", how="left", validate="one_to_one")
    return pd.DataFrame({
        "Effect": ind["name"].map(lambda n: INDIRECT.get(n, n)),
        "Definition": ind["expression"],
        "Estimate": ind["estimate"].map(lambda v: fmt_num(v, 3)),
        "Delta SE": ind["se"].map(lambda v: fmt_num(v, 3)),
        "Monte Carlo CI": [fmt_ci(lo, hi, 3) for lo, hi in
                           zip(ind["ci_lower"], ind["ci_upper"], strict=True)],
    })


def fit_table(fit_measures: dict, icc: pd.Series) -> pd.DataFrame:
    """Fit measures and the intraclass correlations of the change scores, formatted."""
    fit = pd.DataFrame({"Measure": list(_FIT_NAMES.values()),
                        "Value": [fmt_num(fit_measures.get(k), 0 if k in _COUNTS else 3)
                                  for k in _FIT_NAMES]})
    iccs = pd.DataFrame({"Measure": [f"ICC {VARIABLES.get(v, v)}" for v in icc.index],
                         "Value": [fmt_num(v, 3) for v in icc]})
    return pd.concat([fit, iccs])


def truth_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`mcbi.paper.mechanism_compare.truth_comparison`, formatted."""
    c = comparison
    return pd.DataFrame({
        "Label": c["label"],
        "Level": c["level"].map(LEVELS),
        "Path": _path(c),
        "True": c["true"].map(lambda v: fmt_num(v, 3)),
        "Latent changes [CI]": [fmt_estimate_ci(e, lo, hi, 3) for e, lo, hi in
                                zip(c["latent_estimate"], c["latent_ci_lower"],
                                    c["latent_ci_upper"], strict=True)],
        "Covered": c["covered"].map({True: "yes", False: "no"}),
        "Observed scores": c["observed_estimate"].map(lambda v: fmt_num(v, 3)),
    })


def single_level_table(side: pd.DataFrame) -> pd.DataFrame:
    """:func:`mcbi.paper.mechanism_compare.single_level_comparison`, formatted."""
    def est_se(est: pd.Series, se: pd.Series) -> list[str]:
        return [f"{fmt_num(e, 3)} ({fmt_num(s, 3)})" for e, s in zip(est, se, strict=True)]

    return pd.DataFrame({
        "Label": side["label"],
        "Path": _path(side),
        "Two-level (between) est (SE)": est_se(side["estimate"], side["se"]),
        "Single-level est (SE)": est_se(side["single_estimate"], side["single_se"]),
        "SE ratio (single / two-level)": side["se_ratio"].map(lambda v: fmt_num(v, 2)),
    })
