"""Reader's words for the mechanism chapter's codes: rungs, reasons and estimator warnings.

The ladder and the estimator speak in codes ("full_bounded", "not converged (ABNORMAL …;
max|grad| = 2.4e+08)", "near-zero between-level variance som ~~ som (level 2) = 3.215").
A page shows none of them: these functions translate each into a sentence a reader can use,
and choose "near zero" from the numbers.
"""

from __future__ import annotations

import re

from mcbi.paper.mechanism.model import VARIABLES
from mcbi.paper.render.apa import fmt_num

__all__ = ["RUNG_WORDS", "expression", "reason_words", "rung_words", "symbol",
           "warning_words"]

RUNG_WORDS = {
    "full": "the full model as specified (unrestricted)",
    "full_bounded": "the full model with every variance bounded at zero",
    "diagonal_between": ("the full model with every variance bounded at zero and the "
                         "between-therapist covariances of the outcomes fixed at zero"),
    "chain": ("the chain alone (arm → ΔPMS → Δ perceived empathy → Δ bond), with every "
              "variance bounded at zero"),
}
"""Each rung of :data:`mcbi.paper.mechanism.ladder.RUNGS`, in words."""

_LEVEL = {"1": "within-therapist", "2": "between-therapist"}


def rung_words(name: str) -> str:
    """A rung's description; an unknown name is described as "a further model"."""
    return RUNG_WORDS.get(name, "a further model of the ladder")


def _variable(code: str) -> str:
    return VARIABLES.get(code, code)


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def symbol(label: str) -> str:
    """A path label as the symbol a reader sees: ``a0`` → a₀, ``c1`` → c₁, ``b_w`` → b′
    (a prime marks a within-therapist path), ``c_w2`` → c′₂; other labels unchanged."""
    m = re.fullmatch(r"(?P<head>[a-z])(?P<w>_w)?(?P<n>\d*)", str(label))
    if not m:
        return str(label)
    return m["head"] + ("′" if m["w"] else "") + m["n"].translate(_SUB)


def expression(text: str) -> str:
    """A defined effect's expression in symbols: ``a0*(a*b*c1 + a*d1)`` →
    ``a₀ × (a × b × c₁ + a × d₁)``."""
    out = re.sub(r"[a-z]\w*", lambda m: symbol(m[0]), str(text))
    return re.sub(r"\s*\*\s*", " × ", out)


def _where(match: re.Match) -> str:
    return f"the {_LEVEL.get(match['level'], 'model')} variance of {_variable(match['var'])}"


_VAR = r"(?P<var>\w+) ~~ \w+ \(level (?P<level>\d)\)"


def warning_words(text: str) -> str:
    """One estimator warning or rung reason in a reader's words (never raw optimiser text).

    A between-level variance is called "near zero" only when it is below 1e-4 (or rounds to
    zero at three decimals); a larger one flagged because it is smaller than its standard
    error is described as that, with both numbers.
    """
    text = text.strip().removeprefix("inadmissible: ")
    if text.startswith(("not converged", "CONVERGENCE", "ABNORMAL")) or "max|grad|" in text:
        return "the optimiser did not converge"
    if text.startswith("fit failed"):
        return "the model could not be fitted"
    if text.startswith("standard errors not available"):
        return ("standard errors could not be computed (the information matrix is not "
                "positive definite)")
    m = re.match(rf"Heywood case: negative variance {_VAR} = (?P<v>\S+)", text)
    if m:
        return f"{_where(m)} was estimated below zero ({fmt_num(float(m['v']), 3)})"
    m = re.match(rf"near-zero between-level variance {_VAR} = (?P<v>\S+) \(SE (?P<se>\S+)\)",
                 text)
    if m:
        value, se = float(m["v"]), float(m["se"])
        if abs(value) < 1e-4 or fmt_num(value, 3) in ("0.000", "−0.000"):
            return f"{_where(m)} was estimated at or near zero"
        return (f"{_where(m)} ({fmt_num(value, 3)}) was smaller than its standard error "
                f"({fmt_num(se, 3)}), so it is poorly determined")
    m = re.match(r"model-implied (?P<level>within|between) covariance matrix", text)
    if m:
        return (f"the model-implied {m['level']}-therapist covariance matrix was not "
                "positive definite")
    m = re.match(r"model has no parameter labelled '(?P<lab>\w+)'", text)
    if m:
        return f"the model has no path {m['lab']}"
    return re.sub(r"\b(\w+) ~~ \1\b", lambda g: f"the variance of {_variable(g[1])}", text)


def reason_words(reasons: list[str]) -> str:
    """Several reasons, translated and joined ("; "), each once."""
    return "; ".join(dict.fromkeys(warning_words(r) for r in reasons))
