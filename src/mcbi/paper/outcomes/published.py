"""The article's published findings and this build's finding for each of them.

Each row's wording comes from the numbers (:mod:`mcbi.paper.render.phrases`): the direction from the
sign of the estimate in the outcome's direction of improvement, the significance from the
same Holm-adjusted p (``p_holm``) the outcome tables show. A finding this build cannot check
(a wave not collected, a model not estimable) is kept, marked as not comparable.
Chapter 05 may append its mechanism row with :func:`finding_row` (``extra_rows``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from mcbi.paper.outcomes.families import improvement_sign
from mcbi.paper.outcomes.models import NOT_AVAILABLE, OK, between, within
from mcbi.paper.render import phrases

PUBLISHED = (
    ("therapists", "PMS", "pms", "post", "MCBI > control"),
    ("therapists", "PMS", "pms", "followup", "MCBI > control"),
    ("therapists", "self-reported empathy (EUS-T)", "eus_t", "post", "no clear difference"),
    ("therapists", "self-reported empathy (EUS-T)", "eus_t", "followup", "MCBI > control"),
    ("therapists", "self-reported empathy (TECA)", "teca", "post", "no clear difference"),
    ("therapists", "self-reported empathy (TECA)", "teca", "followup", "MCBI > control"),
    ("patients", "perceived therapist empathy (EUS-P)", "eus_p", "post", "MCBI > control"),
    ("patients", "perceived therapist empathy (EUS-P)", "eus_p", "followup",
     "not reported as maintained"),
    ("patients", "therapeutic bond", "bond", "post", "MCBI > control"),
    ("patients", "therapeutic bond", "bond", "followup", "not reported as maintained"),
    ("patients", "somatization", "bsi_som", "post", "improved (MCBI)"),
    ("patients", "somatization", "bsi_som", "followup", "maintained"),
    ("patients", "depression", "bsi_dep", "post", "improved (MCBI)"),
    ("patients", "depression", "bsi_dep", "followup", "not maintained"),
    ("patients", "anxiety", "bsi_anx", "post", "improved (MCBI)"),
    ("patients", "anxiety", "bsi_anx", "followup", "maintained"),
)
"""Published findings (direction and significance; shared/study.md, from the abstract)."""

COLUMNS = ("who", "outcome", "scale", "wave", "published", "this_build", "contrast",
           "estimate", "p_holm", "agrees", "agreement")
"""Columns of :func:`published_comparison` (and of a :func:`finding_row`)."""

BETWEEN_KINDS = ("MCBI > control", "no clear difference", "not reported as maintained")

SILENT = frozenset({"not reported as maintained"})
"""Published "findings" that state nothing: the article does not report the contrast, so
there is nothing to agree or disagree with (``agrees`` None, worded as not stated)."""

MAINTAINED, NOT_MAINTAINED, EMERGED = "maintained", "not maintained", "emerged at follow-up"
"""Words of a follow-up change relative to the post change (:func:`followup_word`)."""


def finding_row(who: str, outcome: str, scale: str | None, wave: str, published: str,
                this_build: str, estimate: float, p_holm: float,
                agrees: bool | None, contrast: str = "between") -> dict:
    """One row of the comparison (for rows other chapters add, e.g. the mechanism chain).

    ``agrees`` is None when the finding could not be checked or the article states none
    (:data:`SILENT`); ``agreement`` is worded by :func:`mcbi.paper.render.phrases.agreement`
    ("no finding stated" for a silent one). ``contrast`` says what ``estimate`` is:
    ``"between"`` (MCBI − control difference in change) or ``"within"`` (the MCBI arm's
    change from baseline).
    """
    if contrast not in ("between", "within"):
        raise ValueError(f"contrast must be 'between' or 'within', not {contrast!r}")
    agreement = ("no finding stated" if published in SILENT else
                 "could not be checked" if agrees is None else phrases.agreement(agrees))
    return {"who": who, "outcome": outcome, "scale": scale, "wave": wave,
            "published": published, "this_build": this_build, "contrast": contrast,
            "estimate": estimate, "p_holm": p_holm, "agrees": agrees,
            "agreement": agreement}


def followup_word(post: str, followup: str) -> str:
    """The follow-up finding of a within-arm change, relative to the post change.

    ``post`` and ``followup`` are :func:`mcbi.paper.render.phrases.change` words
    ("improved", "worsened", "did not change clearly", or :data:`phrases.UNAVAILABLE`).
    "maintained" only when post was a clear improvement and follow-up still is; "not
    maintained" only when post was a clear improvement and follow-up is not; "emerged at
    follow-up" when post was not a clear improvement (or not available) and follow-up is;
    otherwise the follow-up change itself ("worsened", "no clear change"). Never
    "maintained" or "not maintained" when there was nothing at post.

    >>> followup_word("did not change clearly", "improved")
    'emerged at follow-up'
    """
    if post == "improved":
        return MAINTAINED if followup == "improved" else NOT_MAINTAINED
    if followup == "improved":
        return EMERGED
    if followup == "worsened":
        return "worsened"
    return "no clear change"


def stated(comparison: pd.DataFrame) -> pd.Series:
    """Which rows of :func:`published_comparison` are findings the article states (its
    silence, :data:`SILENT`, is not one)."""
    return ~comparison["published"].isin(SILENT)


UNCHECKED_REASONS = ("not collected", "one arm", "not estimable")
"""Why a stated finding could not be checked (:func:`unchecked_reason`)."""


def unchecked_reason(text: str) -> str:
    """Why a finding could not be checked, from this build's finding ``text`` as
    :func:`_missing` words it: ``"not collected"`` (its wave was not collected),
    ``"one arm"`` (its wave was not observed in both arms) or ``"not estimable"`` (its
    model could not be estimated); one of :data:`UNCHECKED_REASONS`."""
    text = str(text)
    if not text.startswith(NOT_AVAILABLE):
        return "not estimable"
    return "not collected" if text.endswith("not collected)") else "one arm"


def _missing(row: pd.Series) -> str | None:
    status = row.get("status", OK)
    est = row["estimate"]
    if status == OK and not (isinstance(est, float) and math.isnan(est)):
        return None
    note = str(row.get("note", "") or "")
    if status == NOT_AVAILABLE and note:
        return f"{status} ({note})"
    return f"{status} (see the outcome chapter)"


def _finding(table: pd.DataFrame, outcome: str, wave: str, kind: str,
             alpha: float) -> tuple[str, bool | None, float, float]:
    """This build's finding for one published row: (text, agrees, estimate, p_holm).

    ``agrees`` is True only where the article states the finding and this build finds the
    same; None where the article states nothing (:data:`SILENT`) or this build cannot
    check it.
    """
    sign = improvement_sign(outcome)
    row = between(table, outcome, wave) if kind in BETWEEN_KINDS else within(table, outcome,
                                                                              wave)
    p = float(row["p_holm"]) if "p_holm" in row else float("nan")
    est = float(row["estimate"])
    why = _missing(row)
    if why is not None:
        return why, None, est, p
    if kind in BETWEEN_KINDS:
        text = phrases.compared(sign * est, p, alpha, higher="MCBI > control",
                                lower="MCBI < control", unclear="no clear difference")
        if kind in SILENT:
            return text, None, est, p
        agrees = text == kind
        return text, agrees, est, p
    word = phrases.change(sign * est, p, alpha)
    if kind == "improved (MCBI)":
        text = {"improved": "improved (MCBI)", "worsened": "worsened (MCBI)"}.get(
            word, "no clear change (MCBI)")
        return text, word == "improved", est, p
    post = within(table, outcome, "post")
    post_word = (phrases.UNAVAILABLE if _missing(post) is not None else
                 phrases.change(sign * float(post["estimate"]), float(post["p_holm"]), alpha))
    text = followup_word(post_word, word)
    return text, text == kind, est, p


def common_alpha(*tables: pd.DataFrame) -> float:
    """The level ``alpha`` the contrast ``tables`` were estimated at (their ``alpha``
    column, as chapters 2 and 3 record them).

    Raises
    ------
    ValueError
        If a table has no ``alpha`` column or the tables were made at different levels.
    """
    levels = set()
    for table in tables:
        if "alpha" not in table.columns:
            raise ValueError("a contrast table without its alpha column: rebuild chapters 2 "
                             "and 3 (python -m mcbi build)")
        levels.update(float(a) for a in table["alpha"].dropna().unique())
    if len(levels) != 1:
        raise ValueError("chapters 2 and 3 were run at different levels alpha "
                         f"({', '.join(str(a) for a in sorted(levels)) or 'none'}); "
                         "run them at one level")
    return levels.pop()


def published_comparison(therapist_table: pd.DataFrame, patient_table: pd.DataFrame,
                         alpha: float = 0.05,
                         extra_rows: Iterable[dict] = ()) -> pd.DataFrame:
    """Each published finding beside this build's finding, and whether they agree.

    Between-arm findings use the difference in change (MCBI - control); "improved" and
    "maintained" use the MCBI arm's within-arm change from baseline, in the direction of
    improvement, and a follow-up change is worded relative to the post change
    (:func:`followup_word`). A finding agrees only where the article states it and this
    build finds the same; the article's silence (:data:`SILENT`) is not a finding.
    Significance is the Holm-adjusted two-sided Wald test (``p_holm``, as in the outcome
    tables) at ``alpha``. A finding whose contrast is not available or not
    estimable is kept with ``agrees`` None. ``extra_rows`` (:func:`finding_row` dicts) are
    appended.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`.
    """
    phrases.is_clear(None, alpha)  # validates alpha
    rows = []
    for who, label, outcome, wave, published in PUBLISHED:
        table = therapist_table if who == "therapists" else patient_table
        text, agrees, est, p = _finding(table, outcome, wave, published, alpha)
        contrast = "between" if published in BETWEEN_KINDS else "within"
        rows.append(finding_row(who, label, outcome, wave, published, text, est, p, agrees,
                                contrast))
    rows.extend(extra_rows)
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["agrees"] = out["agrees"].astype(object).where(out["agrees"].notna(), None)
    return out
