"""The worded claims of the outcome chapters: each contrast as a clause chosen from its numbers.

Every clause reads truthfully whatever the data: the direction words come from the sign of
the estimate (:mod:`mcbi.paper.render.phrases`), the significance from the Holm-adjusted p that the
tables show (``p_Holm``), and a contrast that could not be computed says why. Texts are plain
(glued as text), so symbols are written plainly (``d``, "Holm-adjusted p").
"""

from __future__ import annotations

import math

import pandas as pd

from mcbi.paper.outcomes.families import LOWER_IS_BETTER
from mcbi.paper.outcomes.sufficiency import TOO_FEW
from mcbi.paper.render import phrases
from mcbi.paper.render.apa import ci_pct, fmt_num, fmt_p
from mcbi.trial import design

__all__ = ["fit_sentence", "followup_sentence", "more_or_less",
           "result", "summary", "verdict", "waves_text", "within_text"]


def _unavailable(row: pd.Series) -> str | None:
    if row.get("status", "ok") == "ok" and not _nan(row["estimate"]):
        return None
    note = str(row.get("note", "") or "").strip()
    status = str(row.get("status", phrases.UNAVAILABLE))
    if status == "not available" and note:
        return f"not available ({note})"
    if status == TOO_FEW and note:
        return f"{fmt_num(row['estimate'])}, {note}"
    return f"{status} (see the model notes)" if note else status


def _nan(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def summary(row: pd.Series, alpha: float) -> str:
    """``"0.45 (95% CI 0.10 to 0.80; d = 0.52; Holm-adjusted p = .012)"`` for a between-arm
    row; ``"-1.20, Holm-adjusted p < .001"`` for a within-arm row; or why it is missing."""
    why = _unavailable(row)
    if why is not None:
        return why
    p = f"Holm-adjusted p {fmt_p(row['p_holm'])}"
    if row["contrast"] != "between":
        return f"{fmt_num(row['estimate'])}, {p}"
    d = "" if _nan(row.get("d")) else f"; d = {fmt_num(row['d'])}"
    return (f"{fmt_num(row['estimate'])} ({ci_pct(alpha)}% CI {fmt_num(row['ci_lower'])} to "
            f"{fmt_num(row['ci_upper'])}{d}; {p})")


def verdict(row: pd.Series, alpha: float) -> str:
    """What a between-arm row shows, in words from its numbers.

    "statistically significant, favouring MCBI" (or "favouring the control arm") when
    ``p_holm < alpha``, in the direction of improvement of the outcome; "not statistically
    significant" otherwise; "not available" or "not estimable"
    when there is no estimate.
    """
    if _unavailable(row) is not None:
        return str(row.get("status", phrases.UNAVAILABLE))
    if not phrases.is_clear(row["p_holm"], alpha):
        return "not statistically significant"
    lower = row["outcome"] in LOWER_IS_BETTER
    better = phrases.direction(-row["estimate"] if lower else row["estimate"],
                               design.TREATED, "the control arm", "neither arm")
    return f"statistically significant, favouring {better}"


def result(row: pd.Series, alpha: float) -> str:
    """:func:`summary` followed by the :func:`verdict` (or only why it is missing)."""
    text = summary(row, alpha)
    return text if _unavailable(row) is not None else f"{text}, {verdict(row, alpha)}"


def within_text(row: pd.Series, alpha: float) -> str:
    """A within-arm change: "improved (-1.20, Holm-adjusted p < .001)", "worsened (...)",
    "did not change clearly (...)", in the outcome's direction of improvement."""
    if _unavailable(row) is not None:
        return summary(row, alpha)
    word = phrases.change(row["estimate"], row["p_holm"], alpha,
                          lower_is_better=row["outcome"] in LOWER_IS_BETTER)
    return f"{word} ({summary(row, alpha)})"


def more_or_less(row: pd.Series) -> str:
    """"more" or "less": the MCBI arm's change relative to the control arm's (by sign)."""
    return phrases.direction(row["estimate"], "more", "less", "as much")


def waves_text(waves: list[str]) -> str:
    """"post and follow-up", "post" or "no wave after baseline"."""
    named = [design.wave_label(w) for w in waves]
    if not named:
        return "no wave after baseline"
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def fit_sentence(counts: dict[str, int]) -> str:
    """One sentence on the fits: singular, simplified and not estimable models, counted."""
    n = counts["n_models"]
    parts = [f"Of the {phrases.count_phrase(n, 'model')}, "
             f"{counts['n_singular']} had at least one variance component estimated at zero "
             "(a singular fit; the component is listed in the model notes)"]
    parts.append(f"{counts['n_fallback']} used a simpler random-effects structure than "
                 "requested because a term could not be estimated from these data")
    parts.append(f"{counts['n_not_estimable']} could not be estimated at all")
    return "; ".join(parts[:-1]) + " and " + parts[-1] + "."


def followup_sentence(waves: list[str]) -> str:
    """A sentence when follow-up is missing from the analysed waves, otherwise ``""``."""
    if "followup" in waves:
        return ""
    return ("Follow-up is not available in these data, so only the change from baseline to "
            "post is reported; follow-up clauses below say so.")
