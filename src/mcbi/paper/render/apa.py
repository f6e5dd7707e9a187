"""APA-style formatting of numbers: estimates, p-values and confidence intervals.

General helpers, numbers in and strings out; nothing here knows the trial. The conventions
are APA 7's (Publication Manual, sections 6.36-6.44):

* negative numbers with a true minus sign (U+2212), never a hyphen, and never "−0.00";
* no leading zero for a statistic that cannot exceed 1 in absolute value (*p*, α, ω, *r*,
  an ICC, a proportion): ``fmt_num(v, leading_zero=False)`` or :func:`fmt_bounded`;
* fixed decimals, never scientific notation; a value too small to show in the chosen
  decimals is "< 0.001" (:func:`fmt_small`), a *p*-value below .001 is "< .001".

The strings use ordinary spaces; the book binds "p < .001" and "[0.12, 0.48]" so that they
never break across lines when it renders them (:mod:`mcbi.book.typography`).

Examples
--------
>>> fmt_num(-0.25), fmt_p(0.0004), fmt_estimate_ci(0.5, 0.1, 0.9)
('−0.25', '< .001', '0.50 [0.10, 0.90]')
"""

from __future__ import annotations

import math

MINUS = "\u2212"
DASH = "\u2014"


def _check_digits(digits: int) -> None:
    if not isinstance(digits, int) or isinstance(digits, bool) or digits < 0:
        raise ValueError(f"digits must be a non-negative integer, got {digits!r}")


def _finite(value: object) -> float | None:
    """``float(value)``, or None for a missing or infinite value (None, NaN, pd.NA, pd.NaT,
    ±inf). pandas is not imported: the book's Sphinx extension formats numbers with this
    module too, and needs nothing else of pandas."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def fmt_num(value: float | None, digits: int = 2, leading_zero: bool = True) -> str:
    """Format a number with ``digits`` decimals; a true minus sign; ``—`` if missing.

    Parameters
    ----------
    value : float or None
        The number; None, NaN, ``pd.NA`` and infinities are shown as an em dash.
    digits : int
        Decimals (fixed notation, never scientific).
    leading_zero : bool
        False drops the zero before the decimal point of values below 1 in absolute value,
        as APA asks for statistics that cannot exceed 1 (p, α, r, proportions).

    Examples
    --------
    >>> fmt_num(-1.5), fmt_num(0.034, 3, leading_zero=False), fmt_num(-0.001)
    ('−1.50', '.034', '0.00')
    """
    _check_digits(digits)
    number = _finite(value)
    if number is None:
        return DASH
    text = f"{number:.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")  # no "-0.00"
    if not leading_zero and abs(float(text)) < 1:
        text = text.replace("0.", ".", 1)
    return text.replace("-", MINUS)


def fmt_bounded(value: float | None, digits: int = 2) -> str:
    """A statistic that cannot exceed 1 in absolute value, without the leading zero.

    For α, ω, correlations, ICCs and proportions. Raises ``ValueError`` for a value beyond
    ±1 (beyond rounding), which would show that the statistic is not what the caller thinks.

    >>> fmt_bounded(0.8712), fmt_bounded(-0.3)
    ('.87', '−.30')
    """
    number = _finite(value)
    if number is not None and abs(number) > 1 + 1e-12:
        raise ValueError(f"a bounded statistic must lie in [-1, 1], got {number}")
    return fmt_num(value, digits, leading_zero=False)


def fmt_small(value: float | None, digits: int = 3, leading_zero: bool = True) -> str:
    """Fixed decimals, with "< 0.001" (non-breaking) for a nonzero value that would round to 0.

    For quantities that are reported to be small (a largest gradient, a tolerance) and must
    not appear in scientific notation in prose.

    >>> fmt_small(1.1e-08), fmt_small(0.0123), fmt_small(0.0)
    ('< 0.001', '0.012', '0.000')
    """
    _check_digits(digits)
    number = _finite(value)
    if number is None or number == 0 or abs(number) >= 0.5 * 10.0 ** -digits:
        return fmt_num(value, digits, leading_zero)
    bound = fmt_num(10.0 ** -digits, digits, leading_zero)
    return f"< {bound}" if number > 0 else f"> {MINUS}{bound}"


def fmt_p(p: float | None) -> str:
    """APA p-value: ``< .001``, ``= .034`` (no leading zero, three decimals) or ``> .99``
    for a value above .99 (never "= 1.000").

    >>> fmt_p(0.0341), fmt_p(1.0)
    ('= .034', '> .99')
    """
    if _finite(p) is None:
        return DASH
    p = float(p)
    if not 0 <= p <= 1:
        raise ValueError(f"p-value out of range: {p}")
    if p < 0.001:
        return "< .001"
    if p > 0.99:
        return "> .99"
    return "= " + fmt_num(p, 3, leading_zero=False)


def fmt_ci(lower: float, upper: float, digits: int = 2, leading_zero: bool = True) -> str:
    """A confidence interval as ``[l, u]``."""
    return f"[{fmt_num(lower, digits, leading_zero)}, {fmt_num(upper, digits, leading_zero)}]"


def fmt_estimate_ci(est: float, lower: float, upper: float, digits: int = 2,
                    leading_zero: bool = True) -> str:
    """``est [l, u]``."""
    return f"{fmt_num(est, digits, leading_zero)} {fmt_ci(lower, upper, digits, leading_zero)}"


def p_cell(p: float | None) -> str:
    """A p-value for a table cell: ``< .001`` or ``.034`` (:func:`fmt_p` without ``= ``)."""
    return fmt_p(p).removeprefix("= ")


def ci_pct(alpha: float) -> str:
    """The confidence level ``1 - alpha`` in percent as text: ``"95"``, ``"90"``, ``"99.9"``.

    The one place the level of an interval is written (captions, tables, prose).
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    return f"{100 * (1 - alpha):.10g}"


def alpha_text(alpha: float) -> str:
    """``alpha`` as APA prints a level: ``".05"``, ``".10"``, ``".005"``, ``".001"``.

    At least two decimals, more when the level needs them; no leading zero.
    """
    ci_pct(alpha)  # validates
    text = f"{alpha:.10f}".rstrip("0")
    decimals = len(text.split(".")[1])
    return (text if decimals >= 2 else f"{alpha:.2f}").removeprefix("0")
