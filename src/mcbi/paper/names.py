"""Names of the reported numbers: ``name -> value`` for glue and the build manifest.

Each function takes a result table and returns a dict whose keys are the glue names the
book's prose uses; :meth:`mcbi.paper.results.Results.glue_all` glues and records them.
Numbers are returned as given (the recorder converts them to plain floats); preformatted
texts are strings.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mcbi.paper import claims
from mcbi.paper.apa import fmt_num, fmt_p
from mcbi.paper.disclosure import is_small
from mcbi.paper.models import fit_counts
from mcbi.stats.msem import MSEMResult

WAVE_KEY = {"post": "post", "followup": "fu"}
"""Short form of each post-baseline wave in glue names."""

FIT_MEASURES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr_within",
                "srmr_between", "aic", "bic", "logl", "npar")
"""Fit measures of the mechanism model that are glued as ``fit_<measure>``."""


def outcome_key(outcome: str, wave: str) -> str:
    """The stem ``<outcome>_<post|fu>`` of every name about ``outcome`` at ``wave``."""
    if wave not in WAVE_KEY:
        raise ValueError(f"wave must be one of {', '.join(WAVE_KEY)}, not {wave!r}")
    return f"{outcome}_{WAVE_KEY[wave]}"


# --- outcome models --------------------------------------------------------------------


def contrast_values(table: pd.DataFrame) -> dict[str, float]:
    """Every reported contrast of an outcome-model table (NaN when not available).

    Names: ``<outcome>_<post|fu>_diff`` (between arms, with ``_lo``, ``_hi``, ``_d``
    (Feingold's d), ``_p`` (unadjusted), ``_pholm``) and
    ``<outcome>_<post|fu>_<arm>_change`` (within arm, with ``_p`` and ``_pholm``).
    """
    values: dict[str, float] = {}
    for row in table.itertuples(index=False):
        key = outcome_key(row.outcome, str(row.time))
        if row.contrast == "between":
            stem = f"{key}_diff"
            values.update({stem: row.estimate, f"{stem}_lo": row.ci_lower,
                           f"{stem}_hi": row.ci_upper, f"{stem}_d": row.d,
                           f"{stem}_p": row.pvalue, f"{stem}_pholm": row.p_holm})
        else:
            stem = f"{key}_{str(row.group).lower()}_change"
            values.update({stem: row.estimate, f"{stem}_p": row.pvalue,
                           f"{stem}_pholm": row.p_holm})
    return values


def contrast_texts(table: pd.DataFrame, alpha: float = 0.05) -> dict[str, str]:
    """Worded contrasts for prose (:mod:`mcbi.paper.claims`), chosen from the numbers.

    Per between-arm contrast ``<outcome>_<post|fu>``: ``_result`` (summary and verdict),
    ``_summary`` (estimate, CI, d and
    p_Holm, or why it is missing), ``_verdict`` (significance after Holm and the arm it
    favours), ``_more`` ("more"/"less") and ``_pholm_apa`` ("< .001", "= .034"). Per
    within-arm change: ``<outcome>_<post|fu>_<arm>_change_txt``.
    """
    out = {}
    for _, row in table.iterrows():
        key = outcome_key(row["outcome"], str(row["time"]))
        if row["contrast"] == "between":
            out[f"{key}_result"] = claims.result(row, alpha)
            out[f"{key}_summary"] = claims.summary(row, alpha)
            out[f"{key}_verdict"] = claims.verdict(row, alpha)
            out[f"{key}_more"] = claims.more_or_less(row)
            out[f"{key}_pholm_apa"] = fmt_p(row["p_holm"])
        else:
            out[f"{key}_{str(row['group']).lower()}_change_txt"] = claims.within_text(row, alpha)
    return out


def fit_values(fits: pd.DataFrame, waves: list[str]) -> dict[str, Any]:
    """Counts of the model fits and the sentences about them.

    ``n_models, n_estimable, n_singular, n_fallback, n_not_estimable``
    (:func:`mcbi.paper.models.fit_counts`), ``fits_sentence``, ``waves_txt`` (the analysed
    post-baseline waves in words) and ``followup_sentence`` ("" when follow-up is analysed).
    """
    counts = fit_counts(fits)
    values: dict[str, Any] = dict(counts)
    values.update(fits_sentence=claims.fit_sentence(counts), waves_txt=claims.waves_text(waves),
                  followup_sentence=claims.followup_sentence(waves))
    return values


def structure_values(fits: pd.DataFrame) -> dict[str, str]:
    """``requested_txt`` (the requested random intercepts, in words) and
    ``fallback_sentence`` (which models stepped down the ladder, to what and why)."""
    requested = str(fits["requested"].iloc[0]) if len(fits) else ""
    est = fits[fits["estimable"].astype(bool)]
    down = est[est["structure"] != est["requested"]]
    if down.empty:
        sentence = "none of the models here needed to."
    elif len(down) == len(fits) and down["structure"].nunique() == 1:
        reasons = list(dict.fromkeys("; ".join(down["fallback"]).split("; ")))
        sentence = (f"all {len(fits)} models did, to {down['structure'].iloc[0]}, because: "
                    f"{'; '.join(reasons)}.")
    else:
        groups = [f"{', '.join(sub['label'])} with {structure}"
                  for structure, sub in down.groupby("structure", sort=False)]
        reasons = list(dict.fromkeys("; ".join(down["fallback"]).split("; ")))
        sentence = (f"{len(down)} of {len(fits)} models did ({'; '.join(groups)}), because: "
                    f"{'; '.join(reasons)}.")
    return {"requested_txt": requested, "fallback_sentence": sentence}


def icc_values(icc: pd.DataFrame) -> dict[str, Any]:
    """``icc_min``, ``icc_max``, ``icc_range_txt`` and ``<outcome>_icc_<pre|post|fu>``: the
    therapist share of variance at each wave.

    ``icc`` is :attr:`mcbi.paper.models.OutcomeAnalysis.icc` (columns ``outcome, time,
    icc``); the range runs over every outcome and wave (NaN when empty).
    """
    short = {"pre": "pre", **WAVE_KEY}
    known = icc["icc"].dropna()
    values: dict[str, Any] = {"icc_min": known.min() if len(known) else None,
                              "icc_max": known.max() if len(known) else None}
    values["icc_range_txt"] = (
        f"ranges from {fmt_num(known.min())} to {fmt_num(known.max())}" if len(known) else
        "could not be estimated: no model could separate the therapist from the patient level")
    values.update({f"{row.outcome}_icc_{short.get(str(row.time), str(row.time))}": row.icc
                   for row in icc.itertuples(index=False)})
    return values


def finding_values(comparison: pd.DataFrame) -> dict[str, Any]:
    """``n_agree``, ``n_findings``, ``n_compared`` and, per published finding,
    ``<outcome>_<post|fu>_finding`` (this build's finding, text) and ``..._agrees`` (1, 0 or
    NaN when not comparable).

    ``comparison`` is :func:`mcbi.paper.published.published_comparison`.
    """
    known = comparison["agrees"].map(lambda a: isinstance(a, bool))
    values: dict[str, Any] = {"n_agree": int((comparison["agrees"] == True).sum()),  # noqa: E712
                              "n_findings": len(comparison), "n_compared": int(known.sum())}
    for row in comparison.itertuples():
        if pd.isna(row.scale) or row.wave not in WAVE_KEY:
            continue
        key = outcome_key(row.scale, row.wave)
        values[f"{key}_finding"] = row.this_build
        values[f"{key}_agrees"] = float(row.agrees) if isinstance(row.agrees, bool) else None
    return values


# --- sample ----------------------------------------------------------------------------


def flow_values(counts: pd.DataFrame, sizes: pd.Series, treated: str,
                control: str, min_cell: int = 0) -> dict[str, float | None]:
    """Sample sizes and retention for the flow paragraph.

    Parameters
    ----------
    counts : DataFrame
        :func:`mcbi.paper.sample.flow_counts`.
    sizes : Series
        Patients per therapist (:func:`mcbi.paper.sample.cluster_sizes`).
    treated, control : str
        The arm labels, glued as ``n_mcbi`` and ``n_control``.
    min_cell : int
        ``n_single`` is None when it is from 1 to ``min_cell - 1`` (disclosure control).

    Returns
    -------
    dict
        ``n_therapists, n_patients, n_mcbi, n_control, max_cluster, n_single`` and the
        percentages assessed ``t_post_pct, t_fu_pct, p_post_pct, p_fu_pct`` (None for a
        wave without columns in ``counts``, or without anyone to assess).
    """
    tot = counts.drop(columns="arm").sum()
    by_arm = counts.set_index("arm")["therapists_randomized"]
    values: dict[str, float | None] = {
        "n_therapists": tot["therapists_randomized"], "n_patients": tot["patients_enrolled"],
        "n_mcbi": by_arm.get(treated, 0), "n_control": by_arm.get(control, 0),
        "max_cluster": sizes.max() if len(sizes) else None, "n_single": (sizes == 1).sum()}
    if is_small(values["n_single"], min_cell):
        values["n_single"] = None
    for who, short, base in (("therapists", "t", "randomized"), ("patients", "p", "enrolled")):
        for wave, key in WAVE_KEY.items():
            col, whole = f"{who}_{wave}", tot[f"{who}_{base}"]
            values[f"{short}_{key}_pct"] = (100 * tot[col] / whole
                                            if col in tot.index and whole else None)
    return values


def reliability_values(rel: pd.DataFrame) -> dict[str, float]:
    """``alpha_min`` and ``alpha_max``: the range of Cronbach's alpha over scales of 3+ items
    (estimable ones; NaN, recorded as None, when there are none)."""
    multi = rel[rel["n_items"] > 2]
    return {"alpha_min": multi["alpha"].min(), "alpha_max": multi["alpha"].max()}


# --- mechanism -------------------------------------------------------------------------


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

    ``comparison`` is :func:`mcbi.paper.mechanism_compare.truth_comparison` or None.
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
    :func:`mcbi.paper.mechanism_compare.single_level_comparison`."""
    values = {"se_ratio_a": side.set_index("label").loc["a", "se_ratio"]}
    values.update({f"single_{row.label}_est": row.single_estimate
                   for row in side.itertuples(index=False)})
    return values


def sample_values(counts: dict[str, int]) -> dict[str, int]:
    """``mech_<count>`` for every count of :func:`mcbi.paper.mechanism.sample_counts`
    (``mech_patients_used``, ``mech_patients_total``, ``mech_therapists_used``, ...)."""
    return {f"mech_{key}": value for key, value in counts.items()}


def claims_values(claims: pd.DataFrame, bond_symptom: tuple[str, ...]) -> dict[str, Any]:
    """The article's mechanism claim against this build.

    ``claims`` is :func:`mcbi.paper.mechanism_compare.claims_comparison`. Names:
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
    out["alpha_text"] = f"α = {fmt_num(alpha, 2, leading_zero=False)}"
    out["fit_papa"] = fmt_p(values.get("fit_pvalue"))
    return out
