"""APA-style formatting of numbers: estimates, p-values and confidence intervals.

General helpers, numbers in and strings out; nothing here knows the trial.
"""

from __future__ import annotations

import math

import pandas as pd


def fmt_num(value: float | None, digits: int = 2, leading_zero: bool = True) -> str:
    """Format a number with ``digits`` decimals; ``-`` as a true minus sign, ``—`` if missing.

    APA drops the leading zero for values that cannot exceed 1 (``leading_zero=False``).
    """
    if value is None or pd.isna(value):
        return "—"
    value = float(value)
    if not math.isfinite(value):
        return "—"
    text = f"{value:.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")  # no "-0.00"
    if not leading_zero:
        text = text.replace("0.", ".", 1) if abs(value) < 1 else text
    return text.replace("-", "\u2212")


def fmt_p(p: float | None) -> str:
    """APA p-value: ``p < .001`` or ``p = .034`` (no leading zero, three decimals)."""
    if p is None or not math.isfinite(p):
        return "—"
    if not 0 <= p <= 1:
        raise ValueError(f"p-value out of range: {p}")
    if p < 0.001:
        return "< .001"
    return "= " + fmt_num(p, 3, leading_zero=False)


def fmt_ci(lower: float, upper: float, digits: int = 2) -> str:
    """A confidence interval as ``[l, u]``."""
    return f"[{fmt_num(lower, digits)}, {fmt_num(upper, digits)}]"


def fmt_estimate_ci(est: float, lower: float, upper: float, digits: int = 2) -> str:
    """``est [l, u]``."""
    return f"{fmt_num(est, digits)} {fmt_ci(lower, upper, digits)}"


def p_cell(p: float | None) -> str:
    """A p-value for a table cell: ``< .001`` or ``.034`` (:func:`fmt_p` without ``= ``)."""
    return fmt_p(p).replace("= ", "")
