"""The worded claims of the outcome chapters: each contrast as a clause chosen from its numbers.

Every clause reads truthfully whatever the data: the direction words come from the sign of
the estimate (:mod:`mcbi.paper.render.phrases`), the significance from the Holm-adjusted p that the
tables show (``p_Holm``), and a contrast that could not be computed says why. Texts with
statistics are plain text, glued as text (also into other pages); the book sets the symbols
in italics (:mod:`mcbi.book.typography`), as APA asks.
"""

from __future__ import annotations

import math

import pandas as pd

from mcbi.paper.outcomes.families import LOWER_IS_BETTER
from mcbi.paper.outcomes.sufficiency import TOO_FEW
from mcbi.paper.render import phrases
from mcbi.paper.render.apa import ci_pct, fmt_ci, fmt_num, fmt_p
from mcbi.trial import design

__all__ = ["fit_sentence", "followup_sentence", "more_or_less",
           "later_clause", "result", "summary", "verdict", "waves_text", "within_text",
           "within_word"]


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
    """``"0.45, 95% CI [0.10, 0.80], d = 0.52, Holm-adjusted p = .012"`` for a
    between-arm row; ``"−1.20, 95% CI [−1.90, −0.50], Holm-adjusted p < .001"`` for a
    within-arm row (Markdown); or why it is missing (plain)."""
    why = _unavailable(row)
    if why is not None:
        return why
    p = f"Holm-adjusted p {fmt_p(row['p_holm'])}"
    ci = ("" if _nan(row.get("ci_lower")) or _nan(row.get("ci_upper")) else
          f", {ci_pct(alpha)}% CI {fmt_ci(row['ci_lower'], row['ci_upper'])}")
    d = ("" if row["contrast"] != "between" or _nan(row.get("d"))
         else f", d = {fmt_num(row['d'])}")
    return f"{fmt_num(row['estimate'])}{ci}{d}, {p}"


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
    """:func:`summary` followed by the :func:`verdict` (or only why it is missing);
    Markdown."""
    text = summary(row, alpha)
    if _unavailable(row) is not None:
        return text
    estimate, rest = text.split(", ", 1)
    return f"{estimate} ({rest}), {verdict(row, alpha)}"


def not_collected(row: pd.Series) -> bool:
    """True for a contrast whose wave was not collected at all (its note says so), which a
    page states once instead of per outcome; False for every other row, including a wave
    observed in one arm only."""
    return (str(row.get("status", "ok")) == "not available"
            and str(row.get("note", "") or "").endswith("not collected"))


def later_clause(row: pd.Series, alpha: float) -> str:
    """"; from baseline to follow-up it was <result>" for a between-arm row after post, or
    "" when its wave was not collected (the chapter says that once, not per outcome)."""
    if not_collected(row):
        return ""
    return (f"; from baseline to {design.wave_label(str(row['time']))} it was "
                  f"{result(row, alpha)}")


def within_word(row: pd.Series, alpha: float) -> str:
    """"improved", "worsened", "did not change clearly" (outcome's direction of
    improvement) or :data:`~mcbi.paper.render.phrases.UNAVAILABLE`."""
    if _unavailable(row) is not None:
        return phrases.UNAVAILABLE
    return phrases.change(row["estimate"], row["p_holm"], alpha,
                          lower_is_better=row["outcome"] in LOWER_IS_BETTER)


def within_text(row: pd.Series, alpha: float) -> str:
    """A within-arm change: "improved (−1.20, 95% CI [...], Holm-adjusted p < .001)",
    "worsened (...)", "did not change clearly (...)", in the outcome's direction of
    improvement; "was not available (follow-up not collected)" without an estimate."""
    if _unavailable(row) is not None:
        return f"was {summary(row, alpha)}"
    estimate, rest = summary(row, alpha).split(", ", 1)
    return f"{within_word(row, alpha)} ({estimate}, {rest})"


def more_or_less(row: pd.Series) -> str:
    """"more" or "less": the MCBI arm's change relative to the control arm's (by sign)."""
    return phrases.direction(row["estimate"], "more", "less", "as much")


def waves_text(waves: list[str]) -> str:
    """"post and follow-up", "post" or "no wave after baseline"."""
    named = [design.wave_label(w) for w in waves]
    if not named:
        return "no wave after baseline"
    return phrases.listing(named)


_FALLBACK = ("used a simpler random-effects structure than requested (a term could not be "
             "estimated from these data)")
_SINGULAR = ("had at least one variance component estimated at zero (a singular fit; the "
             "model notes name the component)")


def fit_sentence(counts: dict[str, int]) -> str:
    """Sentences on the fits: models not estimable, then, among those estimated, models with
    a simpler random-effects structure and singular fits.

    Only counts above zero are named, each as a writer would ("Of the 16 models, 12 could not
    be estimated …. Of the other 4, 2 had …"; "all", "both", "none of the 9 models");
    when every count is zero one sentence says so ("All 16 models were estimated with the
    requested random-effects structure, and none had a variance component estimated at
    zero.").
    """
    n = counts["n_models"]
    failed = counts["n_not_estimable"]
    if n == 0:
        return "No model could be fitted to these data."
    if failed == n:
        return ("The model could not be estimated (the model notes give the reason)."
                if n == 1 else ("Neither model" if n == 2 else f"None of the {n} models")
                + " could be estimated (the model notes give the reasons).")
    fallback, singular = counts["n_fallback"], counts["n_singular"]
    estimated = n - failed
    if failed:
        why = "reason" if failed == 1 else "reasons"
        first = (f"Of the {n} models, {failed} could not be estimated (the model notes give "
                 f"the {why}).")
    else:
        first = ("The model was estimated" if n == 1 else "Both models were estimated"
                 if n == 2 else f"All {n} models were estimated")
        if not fallback and not singular:
            return (f"{first} with the requested random-effects structure, and "
                    f"{'it had no' if n == 1 else 'none had a'} variance component estimated "
                    "at zero.")
        first += "."
    if not fallback and not singular:
        return (first + (" The other model was" if estimated == 1 else
                         f" The other {estimated} were")
                + " estimated with the requested random-effects structure, and "
                + ("it had no" if estimated == 1 else "none had a")
                + " variance component estimated at zero.")
    if estimated == 1:
        subject = "It" if n == 1 else "The one estimated model"
        verbs = [v for c, v in ((fallback, _FALLBACK), (singular, _SINGULAR)) if c]
        return f"{first} {subject} {' and '.join(verbs)}."
    shown = [(c, v) for c, v in ((fallback, _FALLBACK), (singular, _SINGULAR)) if c]
    every = [v for c, v in shown if c == estimated]  # findings true of every model estimated
    some = [f"{c} {v}" for c, v in shown if c != estimated]
    if not every:
        lead = "Of these" if not failed else f"Of the other {estimated}"
        return f"{first} {lead}, {', and '.join(some)}."
    quantifier = "both" if estimated == 2 else "all"
    text = (f"{first[:-1]}, and {quantifier} " if not failed
            else f"{first} The other {estimated} {quantifier} ") + " and ".join(every)
    if some:
        text += "; " + ", and ".join(f"{c} of them {v}" for c, v in shown if c != estimated)
    return text + "."


def followup_sentence(waves: list[str]) -> str:
    """A sentence when follow-up is missing from the analysed waves, otherwise ``""``."""
    if "followup" in waves:
        return ""
    return ("Follow-up is not available in these data, so only the change from baseline to "
            "post is reported.")
