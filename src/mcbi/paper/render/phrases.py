"""Words of direction, significance and agreement, chosen from the numbers.

Prose never types "higher", "improved" or "agrees": a notebook computes the phrase from the
estimate and its p-value with these functions and glues it as text. Every function returns
a phrase for each possible outcome (both directions, an unclear result, a missing value), so
the same sentence reads truthfully on any data.

Examples
--------
>>> direction(-0.28, "higher", "lower")
'lower'
>>> significance(0.03, alpha=0.05)
'statistically significant'
"""

from __future__ import annotations

import math
from collections.abc import Sequence

UNAVAILABLE = "not estimable"


def listing(items: Sequence[str], conjunction: str = "and") -> str:
    """Items as a person lists them: "a", "a and b", "a, b, and c" (APA 7 uses the serial
    comma in a series of three or more); ``""`` for none. ``conjunction`` may be "or".

    >>> listing(["PMS", "EUS-T", "TECA"])
    'PMS, EUS-T, and TECA'
    """
    items = list(items)
    if len(items) <= 2:
        return f" {conjunction} ".join(items)
    return ", ".join(items[:-1]) + f", {conjunction} " + items[-1]


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")


def capital(text: str) -> str:
    """``text`` with its first letter in upper case, the rest as written ("mindfulness
    skills" -> "Mindfulness skills"; "EUS-T" stays)."""
    return text[:1].upper() + text[1:]


def direction(value: float | None, positive: str, negative: str,
              zero: str = "neither higher nor lower") -> str:
    """``positive`` for a value above 0, ``negative`` below 0, ``zero`` at 0.

    Parameters
    ----------
    value : float or None
        A signed difference (e.g. MCBI minus control).
    positive, negative, zero : str
        The words for each sign.

    Returns
    -------
    str
        One of the three words, or :data:`UNAVAILABLE` for a missing value.
    """
    if _missing(value):
        return UNAVAILABLE
    if value > 0:
        return positive
    if value < 0:
        return negative
    return zero


def significance(p: float | None, alpha: float = 0.05) -> str:
    """"statistically significant" when ``p < alpha``, otherwise "not statistically
    significant"; :data:`UNAVAILABLE` when p is missing."""
    _check_alpha(alpha)
    if _missing(p):
        return UNAVAILABLE
    return "statistically significant" if p < alpha else "not statistically significant"


def is_clear(p: float | None, alpha: float = 0.05) -> bool:
    """True when ``p`` is available and below ``alpha``."""
    _check_alpha(alpha)
    return not _missing(p) and p < alpha


def change(estimate: float | None, p: float | None, alpha: float = 0.05,
           lower_is_better: bool = False) -> str:
    """Describe a change or a difference in change for an outcome.

    Returns "improved" or "worsened" when ``p < alpha`` (the better direction depends on
    ``lower_is_better``), "did not change clearly" otherwise, and :data:`UNAVAILABLE` when the
    estimate or p is missing.
    """
    _check_alpha(alpha)
    if _missing(estimate) or _missing(p):
        return UNAVAILABLE
    if p >= alpha or estimate == 0:
        return "did not change clearly"
    better = estimate < 0 if lower_is_better else estimate > 0
    return "improved" if better else "worsened"


def compared(estimate: float | None, p: float | None, alpha: float = 0.05,
             higher: str = "higher", lower: str = "lower",
             unclear: str = "not clearly different") -> str:
    """``higher``/``lower`` by the sign of a clear difference, else ``unclear``."""
    _check_alpha(alpha)
    if _missing(estimate) or _missing(p):
        return UNAVAILABLE
    if p >= alpha:
        return unclear
    return direction(estimate, higher, lower, unclear)


def agreement(agrees: bool | None) -> str:
    """"agrees" or "differs"; :data:`UNAVAILABLE` when the comparison could not be made."""
    if agrees is None or (isinstance(agrees, float) and math.isnan(agrees)):
        return UNAVAILABLE
    return "agrees" if agrees else "differs"


def count_phrase(n: int, singular: str, plural: str | None = None) -> str:
    """"1 therapist", "3 therapists", "no therapists" (APA: numerals for counts in running
    text; a count of zero in words, never "0 therapists")."""
    if n < 0:
        raise ValueError(f"a count cannot be negative, got {n}")
    word = singular if n == 1 else (plural or singular + "s")
    return f"no {word}" if n == 0 else f"{n} {word}"


def count_of(k: int, n: int, singular: str, plural: str | None = None) -> str:
    """A part of a whole as a person says it: "none of the 16 models", "all 9 models",
    "the only model", "3 of the 16 models".

    A count of zero reads "none of the …" (or "no model" of one), so that no sentence says
    "0 had".

    >>> count_of(0, 16, "model"), count_of(9, 9, "model"), count_of(3, 16, "model")
    ('none of the 16 models', 'all 9 models', '3 of the 16 models')
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    many = plural or singular + "s"
    if n == 1:
        return f"the only {singular}" if k == 1 else f"no {singular}"
    if k == 0:
        return f"none of the {n} {many}"
    if k == n:
        return f"all {n} {many}"
    return f"{k} of the {n} {many}"


def reproduced(estimate: float | None, lower: float | None, upper: float | None,
               expected_sign: int) -> str:
    """Whether a published direction is reproduced by an estimate and its interval.

    "reproduced" when the interval excludes zero on the side of ``expected_sign`` (+1: the
    lower limit is above 0; -1: the upper limit is below 0), "not reproduced" otherwise
    (the interval includes zero or lies on the other side), :data:`UNAVAILABLE` when the
    estimate or a limit is missing.
    """
    if expected_sign not in (1, -1):
        raise ValueError(f"expected_sign must be 1 or -1, got {expected_sign!r}")
    if _missing(estimate) or _missing(lower) or _missing(upper):
        return UNAVAILABLE
    ok = lower > 0 if expected_sign > 0 else upper < 0
    return "reproduced" if ok else "not reproduced"
