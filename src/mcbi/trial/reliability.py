"""Reliability of every scale of the trial's instruments, per wave."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from mcbi.stats.reliability import cronbach_alpha, mcdonald_omega
from mcbi.trial.instruments import Instrument, keyed_items


def reliability_table(
    responses: pd.DataFrame,
    instruments: Iterable[Instrument],
    by: str,
) -> pd.DataFrame:
    """Alpha and omega of every scale, per level of ``by`` (e.g. the wave).

    Returns columns ``instrument, scale, label, by-column, n_items, n, alpha, omega``.
    Scales of fewer than three items get omega missing (the one-factor model is not
    identified); alpha is still given.
    """
    if by not in responses.columns:
        raise ValueError(f"column {by!r} not in the responses")
    rows = []
    for instrument in instruments:
        for scale in instrument.scales:
            items = keyed_items(responses, instrument, scale)
            for level, idx in responses.groupby(by, observed=True).groups.items():
                sub = items.loc[idx]
                n = int(sub.dropna().shape[0])
                alpha = cronbach_alpha(sub) if n >= 3 else np.nan
                omega = mcdonald_omega(sub) if n >= 3 and len(scale.items) >= 3 else np.nan
                rows.append((instrument.code, scale.name, scale.label, level,
                             len(scale.items), n, alpha, omega))
    return pd.DataFrame(rows, columns=["instrument", "scale", "label", by, "n_items", "n",
                                       "alpha", "omega"])
