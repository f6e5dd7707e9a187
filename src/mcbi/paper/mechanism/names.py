"""Glue names of the mechanism chapter: ``name -> value``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mcbi.paper.render.apa import alpha_text, fmt_p
from mcbi.stats.msem import MSEMResult

FIT_MEASURES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr_within",
                "srmr_between", "aic", "bic", "logl", "npar")


"""Fit measures of the mechanism model that are glued as ``fit_<measure>``."""


def msem_values(result: MSEMResult, monte_carlo: pd.DataFrame) -> dict[str, Any]:
    """The mechanism model's reported numbers.

    Parameters
    ----------
    result : mcbi.stats.msem.MSEMResult
        The fitted model.
    monte_carlo : DataFrame
        ``result.monte_carlo_ci(...)`` (columns ``name, estimate, ci_lower, ci_upper``).

    Returns
    -------
    dict
        ``n_rows, n_clusters, n_warnings, converged`` (text), ``iterations,
        max_gradient``; ``msem_<label>_<est|se|ci_lower|ci_upper|pvalue>`` for every
        labelled parameter; ``mc_<name>_<est|lo|hi>`` for every defined parameter;
        ``fit_<measure>`` (:data:`FIT_MEASURES`) and ``icc_<variable>``.
    """
    fm = result.fit_measures
    values: dict[str, Any] = {
        "n_rows": fm["ntotal"], "n_clusters": fm["nclusters"],
        "n_warnings": len(result.warnings),
        "converged": "converged" if result.converged else "did NOT converge",
        "iterations": result.iterations, "max_gradient": result.max_gradient,
    }
    est = result.estimates
    for row in est[est["label"].fillna("") != ""].itertuples(index=False):
        for col, short in (("estimate", "est"), ("se", "se"), ("ci_lower", "ci_lower"),
                           ("ci_upper", "ci_upper"), ("pvalue", "pvalue")):
            name = f"msem_{row.label}_{short}"
            if name in values:
                raise ValueError(f"label {row.label!r} names more than one parameter")
            values[name] = getattr(row, col)
    for row in monte_carlo.itertuples(index=False):
        values.update({f"mc_{row.name}_est": row.estimate, f"mc_{row.name}_lo": row.ci_lower,
                       f"mc_{row.name}_hi": row.ci_upper})
    values.update({f"fit_{key}": fm.get(key) for key in FIT_MEASURES})
    values.update({f"icc_{var}": value for var, value in result.icc.items()})
    return values


def truth_values(comparison: pd.DataFrame | None) -> dict[str, float | None]:
    """``truth_covered, truth_n, truth_sign_agree`` and ``truth_<label>``,
    ``latent_<label>_est`` per path; only the first three (as None) without a truth.

    ``comparison`` is :func:`mcbi.paper.mechanism.compare.truth_comparison` or None.
    """
    if comparison is None:
        return {"truth_covered": None, "truth_n": None, "truth_sign_agree": None}
    values: dict[str, float | None] = {
        "truth_covered": comparison["covered"].sum(), "truth_n": len(comparison),
        "truth_sign_agree": comparison["sign_agrees"].sum()}
    for row in comparison.itertuples(index=False):
        values[f"truth_{row.label}"] = row.true
        values[f"latent_{row.label}_est"] = row.latent_estimate
    return values


def single_level_values(side: pd.DataFrame) -> dict[str, float]:
    """``se_ratio_a`` and ``single_<label>_est`` from
    :func:`mcbi.paper.mechanism.compare.single_level_comparison`."""
    values = {"se_ratio_a": side.set_index("label").loc["a", "se_ratio"]}
    values.update({f"single_{row.label}_est": row.single_estimate
                   for row in side.itertuples(index=False)})
    return values


def sample_values(counts: dict[str, int]) -> dict[str, int]:
    """``mech_<count>`` for every count of :func:`mcbi.paper.mechanism.model.sample_counts`
    (``mech_patients_used``, ``mech_patients_total``, ``mech_therapists_used``, ...)."""
    return {f"mech_{key}": value for key, value in counts.items()}


def claims_values(claims: pd.DataFrame, bond_symptom: tuple[str, ...]) -> dict[str, Any]:
    """The article's mechanism claim against this build.

    ``claims`` is :func:`mcbi.paper.mechanism.compare.claims_comparison`. Names:
    ``mech_claims_reproduced`` (links whose interval excludes zero in the published
    direction), ``mech_claims_estimable`` (links the reported model contains),
    ``mech_claims_total``, ``mech_bond_symptoms_reproduced`` and
    ``mech_bond_symptoms_total`` (the ``bond_symptom`` paths), and ``mech_claim_<label>``
    (1, 0, or None when not estimable).
    """
    rep = claims["reproduced"]
    bond = claims[claims["label"].isin(bond_symptom)]
    values: dict[str, Any] = {
        "mech_claims_reproduced": (rep == 1).sum(), "mech_claims_estimable": rep.notna().sum(),
        "mech_claims_total": len(claims),
        "mech_bond_symptoms_reproduced": (bond["reproduced"] == 1).sum(),
        "mech_bond_symptoms_total": len(bond)}
    values.update({f"mech_claim_{row.label}": row.reproduced
                   for row in claims.itertuples(index=False)})
    return values


def paragraph_values(values: dict[str, Any], alpha: float) -> dict[str, Any]:
    """``values`` plus the texts the mechanism paragraphs need: ``alpha_text`` and
    ``fit_papa`` (APA p of the chi-square test)."""
    out = dict(values)
    out["alpha_text"] = f"α = {alpha_text(alpha)}"
    out["fit_papa"] = fmt_p(values.get("fit_pvalue"))
    return out
