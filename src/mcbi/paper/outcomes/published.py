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
from mcbi.paper.outcomes.models import OK, between, within
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

COLUMNS = ("who", "outcome", "scale", "wave", "published", "this_build", "estimate",
           "p_holm", "agrees", "agreement")
"""Columns of :func:`published_comparison` (and of a :func:`finding_row`)."""

BETWEEN_KINDS = ("MCBI > control", "no clear difference", "not reported as maintained")


def finding_row(who: str, outcome: str, scale: str | None, wave: str, published: str,
                this_build: str, estimate: float, p_holm: float,
                agrees: bool | None) -> dict:
    """One row of the comparison (for rows other chapters add, e.g. the mechanism chain).

    ``agrees`` is None when the finding could not be checked; ``agreement`` is worded by
    :func:`mcbi.paper.render.phrases.agreement`.
    """
    return {"who": who, "outcome": outcome, "scale": scale, "wave": wave,
            "published": published, "this_build": this_build, "estimate": estimate,
            "p_holm": p_holm, "agrees": agrees, "agreement": phrases.agreement(agrees)}


def _missing(row: pd.Series) -> str | None:
    status = row.get("status", OK)
    est = row["estimate"]
    if status == OK and not (isinstance(est, float) and math.isnan(est)):
        return None
    note = str(row.get("note", "") or "")
    if status == "not available" and note:
        return f"{status} ({note})"
    return f"{status} (see the outcome chapter)"


def _finding(table: pd.DataFrame, outcome: str, wave: str, kind: str,
             alpha: float) -> tuple[str, bool | None, float, float]:
    """This build's finding for one published row: (text, agrees, estimate, p_holm)."""
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
        significant = phrases.is_clear(p, alpha)
        agrees = text == "MCBI > control" if kind == "MCBI > control" else not significant
        return text, agrees, est, p
    word = phrases.change(sign * est, p, alpha)
    improved = word == "improved"
    if kind == "improved (MCBI)":
        text = {"improved": "improved (MCBI)", "worsened": "worsened (MCBI)"}.get(
            word, "no clear change (MCBI)")
        return text, improved, est, p
    text = "maintained" if improved else "not maintained"
    return text, (improved if kind == "maintained" else not improved), est, p


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
    improvement. Significance is the Holm-adjusted two-sided Wald test (``p_holm``, as in
    the outcome tables) at ``alpha``. A finding whose contrast is not available or not
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
        rows.append(finding_row(who, label, outcome, wave, published, text, est, p, agrees))
    rows.extend(extra_rows)
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["agrees"] = out["agrees"].astype(object).where(out["agrees"].notna(), None)
    return out
