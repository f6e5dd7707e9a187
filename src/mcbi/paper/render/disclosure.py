"""Disclosure control for descriptive tables of real data: small counts are not shown.

A count of people from 1 to ``threshold - 1`` is replaced by the text ``"< threshold"``
(primary suppression); zero is shown. This is threshold suppression only: where a
suppressed count equals the difference of two counts that are shown (for example the
number not assessed at a wave, next to the numbers allocated and assessed), it can be
recovered, so a table meant for release still needs a human check (secondary
suppression or rounding). Synthetic data need no suppression; the notebooks pass
``threshold=0`` for them.

Examples
--------
>>> import pandas as pd
>>> suppress_small_counts(pd.DataFrame({"n": [0, 3, 12]}), ["n"], 5)["n"].tolist()
['0', '< 5', '12']
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

DEFAULT_THRESHOLD = 5
"""Counts below this are suppressed (the usual minimum cell size of data-release rules)."""


def _check_threshold(threshold: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise ValueError(f"threshold must be a non-negative integer, got {threshold!r}")


def is_small(count: float | None, threshold: int) -> bool:
    """True when ``count`` is a count from 1 to ``threshold - 1`` (to be suppressed)."""
    _check_threshold(threshold)
    if count is None or (isinstance(count, float) and math.isnan(count)):
        return False
    return 0 < count < threshold


def count_text(count: float | None, threshold: int) -> str:
    """A count as text: ``"< threshold"`` when small, ``"—"`` when missing, else the integer."""
    if is_small(count, threshold):
        return f"< {threshold}"
    if count is None or (isinstance(count, float) and math.isnan(count)):
        return "—"
    return str(int(count))


def count_percent_text(count: float, total: float, threshold: int) -> str:
    """``"n (p%)"``, or ``"< threshold"`` (no percentage) when the count is small.

    ``"n (—)"`` when ``total`` is zero or missing.
    """
    if is_small(count, threshold):
        return f"< {threshold}"
    if not total or (isinstance(total, float) and math.isnan(total)):
        return f"{count_text(count, threshold)} (—)"
    return f"{int(count)} ({100 * count / total:.0f}%)"


def suppress_small_counts(frame: pd.DataFrame, columns: Iterable[str],
                          threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Copy of ``frame`` with the count ``columns`` as text, small counts suppressed.

    Parameters
    ----------
    frame : DataFrame
        A table of counts.
    columns : iterable of str
        Columns holding counts of people (non-negative integers or missing).
    threshold : int
        Counts from 1 to ``threshold - 1`` become ``"< threshold"``; 0 and 1 turn
        suppression off.

    Returns
    -------
    DataFrame
        The other columns unchanged; the count columns as strings (:func:`count_text`).

    Raises
    ------
    ValueError
        For a negative or non-integer threshold, a column not in ``frame``, or a value
        in a count column that is not a non-negative whole number.
    """
    _check_threshold(threshold)
    columns = list(columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"columns not in the table: {', '.join(missing)}")
    out = frame.copy()
    for col in columns:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.notna() & ((values < 0) | (values % 1 != 0))
        bad |= values.isna() & frame[col].notna()
        if bad.any():
            raise ValueError(f"column {col!r} holds values that are not counts")
        out[col] = [count_text(None if pd.isna(v) else float(v), threshold) for v in values]
    return out


def disclosure_sentence(threshold: int) -> str:
    """What the chapter's tables and figures do with small counts, for the prose."""
    _check_threshold(threshold)
    if threshold <= 1:
        return "All counts are shown in full."
    return (f"Counts of 1 to {threshold - 1} people in the descriptive tables and the flow "
            f"diagram are shown as “< {threshold}” (disclosure control), except the numbers "
            "allocated to each arm; a suppressed count can still be recovered where it is "
            "the difference of two counts shown.")


def rule_sentence(threshold: int) -> str:
    """The disclosure rule applied to real data, for the Methods (whatever data are used)."""
    _check_threshold(threshold)
    if threshold <= 1:
        return ("On real data, all counts are shown (the notebook parameter min_cell is "
                f"{threshold}).")
    return (f"On real data, counts of 1 to {threshold - 1} people in the descriptive tables "
            f"and the flow diagram are shown as “< {threshold}” (the notebook parameter "
            "min_cell), except the numbers allocated to each arm.")
