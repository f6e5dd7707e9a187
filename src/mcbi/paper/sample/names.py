"""Glue names of the sample chapter: ``name -> value`` for the flow and reliability."""

from __future__ import annotations

import pandas as pd

from mcbi.paper.render.disclosure import is_small
from mcbi.trial.design import WAVE_SHORT


def flow_values(counts: pd.DataFrame, sizes: pd.Series, treated: str,
                control: str, min_cell: int = 0) -> dict[str, float | None]:
    """Sample sizes and retention for the flow paragraph.

    Parameters
    ----------
    counts : DataFrame
        :func:`mcbi.paper.sample.analysis.flow_counts`.
    sizes : Series
        Patients per therapist (:func:`mcbi.paper.sample.analysis.cluster_sizes`).
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
        for wave, key in WAVE_SHORT.items():
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
