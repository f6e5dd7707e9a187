"""The sample: participant flow, baseline characteristics by arm, and scale reliability."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mcbi.paper.apa import fmt_num
from mcbi.paper.outcomes import label
from mcbi.trial import design
from mcbi.trial.data import TrialData
from mcbi.trial.instruments import PATIENT_INSTRUMENTS, THERAPIST_INSTRUMENTS
from mcbi.trial.reliability import reliability_table

THERAPIST_BASELINE = {"continuous": ["age", "experience_years"],
                      "categorical": ["gender", "orientation"],
                      "scales": ["pms", "eus_t", "teca", "ffmq", "scs"]}
"""Therapist characteristics in the baseline table (arguments of :func:`baseline_table`)."""

PATIENT_BASELINE = {"continuous": ["age"], "categorical": ["gender", "problem"],
                    "scales": ["eus_p", "bond", "bsi_gsi", "phi"]}
"""Patient characteristics in the baseline table."""


def flow_counts(therapist_long: pd.DataFrame, patient_long: pd.DataFrame,
                patient_info: pd.DataFrame, therapist_info: pd.DataFrame) -> pd.DataFrame:
    """CONSORT-style counts per arm: randomized / enrolled and assessed at each wave.

    Returns one row per arm with ``arm, therapists_randomized, patients_enrolled``,
    ``therapists_<wave>``, ``patients_<wave>`` for every wave, and
    ``therapists_analysed, patients_analysed`` (assessed at least once).
    """
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


def trial_flow(trial: TrialData) -> pd.DataFrame:
    """:func:`flow_counts` of the trial's tables."""
    return flow_counts(trial.therapists, trial.patients, trial.patient_info,
                       trial.therapist_info)


def standardized_difference(a: pd.Series, b: pd.Series) -> float:
    """Standardized mean difference ``(mean_a - mean_b) / sqrt((var_a + var_b) / 2)``.

    For a 0/1 indicator this is the usual difference in proportions over
    ``sqrt((p_a (1 - p_a) + p_b (1 - p_b)) / 2)`` (population variances).
    Returns 0 for two identical constant groups and NaN for two different ones.
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

    def cont_row(name: str, col: str) -> None:
        cells = {arm: f"{fmt_num(g[col].mean(), 2)} ({fmt_num(g[col].std(), 2)})"
                 for arm, g in groups.items()}
        smd = standardized_difference(groups[design.TREATED][col], groups[design.CONTROL][col])
        rows.append({"characteristic": name, **cells, "smd": smd})

    for col in continuous:
        cont_row(f"{col.replace('_', ' ')}, M (SD)", col)
    for col in categorical:
        for level in sorted(pd.unique(data[col].dropna())):
            cells = {}
            for arm, g in groups.items():
                n = int((g[col] == level).sum())
                cells[arm] = f"{n} ({100 * n / len(g):.0f}%)"
            smd = standardized_difference((groups[design.TREATED][col] == level).astype(float),
                                          (groups[design.CONTROL][col] == level).astype(float))
            rows.append({"characteristic": f"{col}: {level}, n (%)", **cells, "smd": smd})
    for scale in scales:
        cont_row(f"{label(scale)}, M (SD)", scale)
    return pd.DataFrame(rows)


def _pre(long: pd.DataFrame, drop: list[str]) -> pd.DataFrame:
    return long[long[design.WAVE] == "pre"].drop(columns=[design.ARM, design.WAVE, *drop])


def therapist_baseline(trial: TrialData) -> pd.DataFrame:
    """The therapists' baseline table (:data:`THERAPIST_BASELINE`)."""
    return baseline_table(trial.therapist_info, _pre(trial.therapists, []),
                          **THERAPIST_BASELINE)


def patient_baseline(trial: TrialData) -> pd.DataFrame:
    """The patients' baseline table (:data:`PATIENT_BASELINE`), by their therapist's arm."""
    return baseline_table(trial.patient_info.drop(columns=design.THERAPIST_ID),
                          _pre(trial.patients, [design.THERAPIST_ID]), **PATIENT_BASELINE)


def reliability(trial: TrialData) -> pd.DataFrame:
    """Cronbach's alpha and McDonald's omega of every scale at every wave, both respondents.

    The rows of :func:`mcbi.trial.reliability.reliability_table` with a ``respondent``
    column (``therapists`` or ``patients``).
    """
    return pd.concat([
        reliability_table(trial.therapist_items, THERAPIST_INSTRUMENTS, design.WAVE)
        .assign(respondent="therapists"),
        reliability_table(trial.patient_items, PATIENT_INSTRUMENTS, design.WAVE)
        .assign(respondent="patients"),
    ])


def cluster_sizes(patient_info: pd.DataFrame) -> pd.Series:
    """Number of patients per therapist."""
    return patient_info.groupby(design.THERAPIST_ID).size()
