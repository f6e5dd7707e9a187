"""Reliability of every scale of the trial's instruments, per wave present in the data."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from mcbi.stats.reliability import reliability
from mcbi.trial.instruments import Instrument, keyed_items

MIN_N = 30
"""Reliability resting on fewer respondents than this (fewest answering a pair of items)
is flagged as imprecise. For an alpha of .80 on a 10-item scale, Feldt's 95 % interval
runs from about .67 to .89 with n = 30 and from about .54 to .94 with n = 10."""

COLUMNS = ["instrument", "scale", "label", "n_items", "n_respondents", "n_complete",
           "n_pairwise_min", "alpha", "omega", "small_n", "note"]
"""Columns of :func:`reliability_table` (after the ``by`` column)."""


def reliability_table(
    responses: pd.DataFrame,
    instruments: Iterable[Instrument],
    by: str,
    missing: str = "pairwise",
    min_n: int = MIN_N,
) -> pd.DataFrame:
    """Alpha and omega of every scale, per level of ``by`` present in the data (e.g. the wave).

    Parameters
    ----------
    responses : DataFrame
        Item responses, one row per respondent and level of ``by``.
    instruments : iterable of Instrument
        The instruments whose scales are assessed.
    by : str
        Column that splits the rows (levels without rows are left out).
    missing : {"pairwise", "listwise"}
        Passed to :func:`mcbi.stats.reliability.reliability`.
    min_n : int
        ``small_n`` is True when the n the estimate rests on (``n_pairwise_min``, or
        ``n_complete`` for listwise) is below this.

    Returns
    -------
    DataFrame
        Columns ``instrument, scale, label, <by>`` and then :data:`COLUMNS` from
        ``n_items`` on; ``note`` gives the reason for a missing estimate (omega is missing
        for scales of fewer than three items without a note: the one-factor model is not
        identified).
    """
    if by not in responses.columns:
        raise ValueError(f"column {by!r} not in the responses")
    if min_n < 1:
        raise ValueError(f"min_n must be a positive integer, got {min_n!r}")
    n_col = "n_pairwise_min" if missing == "pairwise" else "n_complete"
    rows = []
    groups = responses.groupby(by, observed=True, sort=True).groups
    for instrument in instruments:
        for scale in instrument.scales:
            items = keyed_items(responses, instrument, scale)
            for level, idx in groups.items():
                out = reliability(items.loc[idx], missing)
                estimable = not str(out["note"]).startswith("not estimable")
                small = estimable and out[n_col] < min_n
                rows.append({"instrument": instrument.code, "scale": scale.name,
                             "label": scale.label, by: level, **out, "small_n": bool(small)})
    columns = ["instrument", "scale", "label", by, *COLUMNS[3:]]
    return pd.DataFrame(rows, columns=columns)
