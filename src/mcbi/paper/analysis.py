"""The trial's analyses: which outcomes, in which families, and the tables they give.

This module is specific to the trial: it applies the general tools (:mod:`mcbi.stats.lmm`,
:mod:`mcbi.paper.report`) to the tables of :mod:`mcbi.trial.data`, so that the notebooks stay thin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mcbi.paper.report import fmt_estimate_ci, fmt_num, fmt_p
from mcbi.stats.lmm import contrasts, fit_lmm, holm, icc, marginal_means
from mcbi.trial import design
from mcbi.trial.instruments import find_scale

THERAPIST_FAMILIES: dict[str, tuple[str, ...]] = {
    "mindfulness skills": ("pms",),
    "empathy": ("eus_t", "teca", "teca_pt", "teca_eu", "teca_es", "teca_ej"),
    "mindfulness": ("ffmq_obs", "ffmq_des", "ffmq_act", "ffmq_nj", "ffmq_nr"),
    "self-compassion": ("scs",),
    "distress": ("dass_dep", "dass_anx", "dass_str"),
}
"""Therapist outcome families; Holm's adjustment runs within each family."""

PATIENT_FAMILIES: dict[str, tuple[str, ...]] = {
    "perceived empathy": ("eus_p",),
    "alliance": ("bond",),
    "symptoms": ("bsi_som", "bsi_dep", "bsi_anx", "bsi_gsi"),
    "well-being": ("phi",),
    "mindfulness": ("ffmq",),
    "self-compassion": ("scs",),
}
"""Patient outcome families."""

LOWER_IS_BETTER = {"dass_dep", "dass_anx", "dass_str", "bsi_som", "bsi_dep", "bsi_anx",
                   "bsi_gsi"}


@dataclass
class OutcomeAnalysis:
    """Mixed-model results for a set of outcomes."""

    contrasts: pd.DataFrame
    means: pd.DataFrame
    variance: pd.DataFrame


def analyse_outcomes(
    long: pd.DataFrame,
    families: dict[str, tuple[str, ...]],
    subject: str,
    cluster: str | None = None,
    alpha: float = 0.05,
    cluster_time: bool | str = False,
) -> OutcomeAnalysis:
    """Fit the arm x wave mixed model to every outcome and collect the contrasts.

    Holm-adjusted p-values (``p_holm``) are computed within each family, separately for
    each contrast (the same kind of contrast at the same wave across the family's
    outcomes). ``cluster_time`` (only with ``cluster``) adds cluster x wave random
    intercepts: ``True`` with one variance, ``"by_time"`` with a variance per wave
    (see :func:`mcbi.stats.lmm.fit_lmm`).
    """
    rows, means, variance = [], [], []
    for family, outcomes in families.items():
        for outcome in outcomes:
            res = fit_lmm(long, outcome, design.ARM, design.WAVE, subject, cluster,
                          group_levels=list(design.ARMS), time_levels=list(design.WAVES),
                          alpha=alpha, cluster_time=cluster_time)
            if not res.converged:
                raise RuntimeError(f"mixed model for {outcome} did not converge")
            con = contrasts(res, alpha=alpha)
            con.insert(0, "family", family)
            rows.append(con)
            mm = marginal_means(res, alpha=alpha)
            means.append(mm)
            vc = res.variance_components.copy()
            vc.insert(0, "outcome", outcome)
            vc["icc"] = icc(res)
            vc["nobs"] = res.nobs
            variance.append(vc)
    table = pd.concat(rows, ignore_index=True)
    table["p_holm"] = np.nan
    for _, idx in table.groupby(["family", "contrast", "group", "time"]).groups.items():
        table.loc[idx, "p_holm"] = holm(table.loc[idx, "pvalue"].to_numpy())
    table["label"] = table["outcome"].map(lambda s: find_scale(s)[1].label)
    return OutcomeAnalysis(table, pd.concat(means, ignore_index=True),
                           pd.concat(variance, ignore_index=True))


def between(table: pd.DataFrame, outcome: str, wave: str) -> pd.Series:
    """The between-arm difference in change for ``outcome`` at ``wave``."""
    sel = table[(table["outcome"] == outcome) & (table["contrast"] == "between")
                & (table["time"] == wave)]
    if len(sel) != 1:
        raise ValueError(f"no unique between-arm contrast for {outcome} at {wave}")
    return sel.iloc[0]


def within(table: pd.DataFrame, outcome: str, wave: str, arm: str = design.TREATED) -> pd.Series:
    """The within-arm change from baseline for ``outcome`` at ``wave`` in ``arm``."""
    sel = table[(table["outcome"] == outcome) & (table["contrast"] == "within")
                & (table["time"] == wave) & (table["group"] == arm)]
    if len(sel) != 1:
        raise ValueError(f"no unique within-arm contrast for {outcome} at {wave} ({arm})")
    return sel.iloc[0]


# --- sample -------------------------------------------------------------------------


def flow_counts(therapist_long: pd.DataFrame, patient_long: pd.DataFrame,
                patient_info: pd.DataFrame, therapist_info: pd.DataFrame) -> pd.DataFrame:
    """CONSORT-style counts per arm: randomized / enrolled and assessed at each wave."""
    rows = []
    for arm in design.ARMS:
        t_ids = therapist_info.loc[therapist_info[design.ARM] == arm, design.THERAPIST_ID]
        p_ids = patient_info.loc[patient_info[design.ARM] == arm, design.PATIENT_ID]
        row = {"arm": arm, "therapists_randomized": len(t_ids),
               "patients_enrolled": len(p_ids)}
        for wave in design.WAVES:
            t_w = therapist_long[(therapist_long[design.WAVE] == wave)
                                 & therapist_long[design.THERAPIST_ID].isin(t_ids)]
            p_w = patient_long[(patient_long[design.WAVE] == wave)
                               & patient_long[design.PATIENT_ID].isin(p_ids)]
            row[f"therapists_{wave}"] = t_w[design.THERAPIST_ID].nunique()
            row[f"patients_{wave}"] = p_w[design.PATIENT_ID].nunique()
        row["therapists_analysed"] = therapist_long.loc[
            therapist_long[design.THERAPIST_ID].isin(t_ids), design.THERAPIST_ID].nunique()
        row["patients_analysed"] = patient_long.loc[
            patient_long[design.PATIENT_ID].isin(p_ids), design.PATIENT_ID].nunique()
        rows.append(row)
    return pd.DataFrame(rows)


def standardized_difference(a: pd.Series, b: pd.Series) -> float:
    """Standardized mean difference ``(mean_a - mean_b) / sqrt((var_a + var_b) / 2)``.

    For a 0/1 indicator this is the usual difference in proportions over
    ``sqrt((p_a (1 - p_a) + p_b (1 - p_b)) / 2)`` (population variances).
    """
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("each group needs at least two observations")
    binary = set(np.unique(np.concatenate([a, b]))) <= {0.0, 1.0}
    ddof = 0 if binary else 1
    pooled = np.sqrt((a.var(ddof=ddof) + b.var(ddof=ddof)) / 2)
    if pooled == 0:  # both groups constant: balanced if equal, otherwise undefined
        return 0.0 if a.mean() == b.mean() else float("nan")
    return float((a.mean() - b.mean()) / pooled)


def baseline_table(info: pd.DataFrame, scores_pre: pd.DataFrame, continuous: list[str],
                   categorical: list[str], scales: list[str]) -> pd.DataFrame:
    """Baseline characteristics by arm with standardized differences (MCBI - control).

    Returns columns ``characteristic, control, MCBI, smd`` with preformatted cells
    (M (SD) for continuous variables, n (%) for categories) and the numeric SMD.
    """
    data = info.merge(scores_pre, how="left")
    rows = []
    groups = {arm: data[data[design.ARM] == arm] for arm in design.ARMS}

    def cont_row(label: str, col: str) -> None:
        cells = {arm: f"{fmt_num(g[col].mean(), 2)} ({fmt_num(g[col].std(), 2)})"
                 for arm, g in groups.items()}
        smd = standardized_difference(groups[design.TREATED][col], groups[design.CONTROL][col])
        rows.append({"characteristic": label, **cells, "smd": smd})

    for col in continuous:
        cont_row(f"{col.replace('_', ' ')}, M (SD)", col)
    for col in categorical:
        levels = [lv for lv in pd.unique(data[col].dropna())]
        for level in sorted(levels):
            cells = {}
            for arm, g in groups.items():
                n = int((g[col] == level).sum())
                cells[arm] = f"{n} ({100 * n / len(g):.0f}%)"
            smd = standardized_difference((groups[design.TREATED][col] == level).astype(float),
                                          (groups[design.CONTROL][col] == level).astype(float))
            rows.append({"characteristic": f"{col}: {level}, n (%)", **cells, "smd": smd})
    for scale in scales:
        cont_row(f"{find_scale(scale)[1].label}, M (SD)", scale)
    return pd.DataFrame(rows)


# --- published findings ----------------------------------------------------------------

PUBLISHED = (
    ("therapists", "PMS", "pms", "post", "MCBI > control"),
    ("therapists", "PMS", "pms", "followup", "MCBI > control"),
    ("therapists", "self-reported empathy (EUS-T)", "eus_t", "post", "no clear difference"),
    ("therapists", "self-reported empathy (EUS-T)", "eus_t", "followup", "MCBI > control"),
    ("therapists", "self-reported empathy (TECA)", "teca", "post", "no clear difference"),
    ("therapists", "self-reported empathy (TECA)", "teca", "followup", "MCBI > control"),
    ("patients", "perceived therapist empathy (EUS-P)", "eus_p", "post", "MCBI > control"),
    ("patients", "perceived therapist empathy (EUS-P)", "eus_p", "followup",
     "not reported as maintained"),
    ("patients", "therapeutic bond", "bond", "post", "MCBI > control"),
    ("patients", "therapeutic bond", "bond", "followup", "not reported as maintained"),
    ("patients", "somatization", "bsi_som", "post", "improved (MCBI)"),
    ("patients", "somatization", "bsi_som", "followup", "maintained"),
    ("patients", "depression", "bsi_dep", "post", "improved (MCBI)"),
    ("patients", "depression", "bsi_dep", "followup", "not maintained"),
    ("patients", "anxiety", "bsi_anx", "post", "improved (MCBI)"),
    ("patients", "anxiety", "bsi_anx", "followup", "maintained"),
)
"""Published findings (direction and significance; shared/study.md, from the abstract)."""


def _finding(table: pd.DataFrame, outcome: str, wave: str, kind: str,
             alpha: float) -> tuple[str, bool, float, float]:
    """This build's finding for one published row: (text, agrees, estimate, p)."""
    sign = -1.0 if outcome in LOWER_IS_BETTER else 1.0
    if kind in ("MCBI > control", "no clear difference", "not reported as maintained"):
        row = between(table, outcome, wave)
        better = sign * row["estimate"] > 0
        significant = row["pvalue"] < alpha
        if significant and better:
            text = "MCBI > control"
        elif significant:
            text = "MCBI < control"
        else:
            text = "no clear difference"
        agrees = {"MCBI > control": text == "MCBI > control",
                  "no clear difference": not significant,
                  "not reported as maintained": not significant}[kind]
        return text, agrees, float(row["estimate"]), float(row["pvalue"])
    row = within(table, outcome, wave)
    improved = sign * row["estimate"] > 0 and row["pvalue"] < alpha
    if kind == "improved (MCBI)":
        text = "improved (MCBI)" if improved else "no clear change (MCBI)"
        return text, improved, float(row["estimate"]), float(row["pvalue"])
    text = "maintained" if improved else "not maintained"
    agrees = improved if kind == "maintained" else not improved
    return text, agrees, float(row["estimate"]), float(row["pvalue"])


def published_comparison(therapist_table: pd.DataFrame, patient_table: pd.DataFrame,
                         alpha: float = 0.05) -> pd.DataFrame:
    """Each published finding beside this build's finding, and whether they agree.

    Between-arm findings use the difference in change (MCBI - control); "improved" and
    "maintained" use the MCBI arm's within-arm change from baseline, in the direction of
    improvement. Significance is the unadjusted two-sided Wald test at ``alpha``.
    """
    rows = []
    for who, label, outcome, wave, published in PUBLISHED:
        table = therapist_table if who == "therapists" else patient_table
        text, agrees, est, p = _finding(table, outcome, wave, published, alpha)
        rows.append({"who": who, "outcome": label, "scale": outcome, "wave": wave,
                     "published": published, "this_build": text, "estimate": est,
                     "pvalue": p, "agrees": agrees})
    return pd.DataFrame(rows)


_WAVE_KEY = {"post": "post", "followup": "fu"}


def contrast_values(table: pd.DataFrame) -> dict[str, float]:
    """Name -> value of every reported contrast, for glue and the build manifest.

    Names: ``<outcome>_<post|fu>_diff`` (between arms, with ``_lo``, ``_hi``, ``_d``,
    ``_p``, ``_pholm``) and ``<outcome>_<post|fu>_<arm>_change`` (within arm, with
    ``_p``).
    """
    values: dict[str, float] = {}
    for row in table.itertuples(index=False):
        wave = _WAVE_KEY[str(row.time)]
        if row.contrast == "between":
            stem = f"{row.outcome}_{wave}_diff"
            values.update({stem: row.estimate, f"{stem}_lo": row.ci_lower,
                           f"{stem}_hi": row.ci_upper, f"{stem}_d": row.d,
                           f"{stem}_p": row.pvalue, f"{stem}_pholm": row.p_holm})
        else:
            stem = f"{row.outcome}_{wave}_{str(row.group).lower()}_change"
            values.update({stem: row.estimate, f"{stem}_p": row.pvalue})
    return values


def contrast_texts(table: pd.DataFrame) -> dict[str, str]:
    """Preformatted APA p for prose: ``<outcome>_<post|fu>_papa`` ("< .001", "= .034")."""
    out = {}
    for row in table[table["contrast"] == "between"].itertuples(index=False):
        out[f"{row.outcome}_{_WAVE_KEY[str(row.time)]}_papa"] = fmt_p(row.pvalue)
    return out


def contrast_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One formatted row per outcome and wave: changes and the between-arm difference.

    Columns: family, outcome, wave, the change from baseline in each arm, the difference
    in change [95% CI], Cohen's d [95% CI] and the Holm-adjusted p.
    """
    rows = []
    for (family, _, outcome), sub in table.groupby(["family", "outcome", "label"], sort=False):
        for wave, short in (("post", "post"), ("followup", "follow-up")):
            s = sub[sub["time"].astype(str) == wave]
            row = {"Family": family, "Outcome": outcome, "Wave": short}
            for arm in design.ARMS:
                w = s[(s["contrast"] == "within") & (s["group"] == arm)].iloc[0]
                row[f"Δ {arm}"] = fmt_num(w["estimate"], 2)
            b = s[s["contrast"] == "between"].iloc[0]
            row["Difference [95% CI]"] = fmt_estimate_ci(b["estimate"], b["ci_lower"],
                                                         b["ci_upper"])
            row["d [95% CI]"] = fmt_estimate_ci(b["d"], b["d_ci_lower"], b["d_ci_upper"])
            row["p (Holm)"] = fmt_p(b["p_holm"]).replace("= ", "")
            rows.append(row)
    return pd.DataFrame(rows)
