"""The article's published findings and this build's finding for each of them."""

from __future__ import annotations

import pandas as pd

from mcbi.paper.models import between, within
from mcbi.paper.outcomes import improvement_sign

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


def _finding(table: pd.DataFrame, outcome: str, wave: str, kind: str,
             alpha: float) -> tuple[str, bool, float, float]:
    """This build's finding for one published row: (text, agrees, estimate, p)."""
    sign = improvement_sign(outcome)
    if kind in ("MCBI > control", "no clear difference", "not reported as maintained"):
        row = between(table, outcome, wave)
        better = sign * row["estimate"] > 0
        significant = row["pvalue"] < alpha
        if significant and better:
            text = "MCBI > control"
        elif significant:
            text = "MCBI < control"
        else:
            text = "no clear difference"
        agrees = {"MCBI > control": text == "MCBI > control",
                  "no clear difference": not significant,
                  "not reported as maintained": not significant}[kind]
        return text, agrees, float(row["estimate"]), float(row["pvalue"])
    row = within(table, outcome, wave)
    improved = sign * row["estimate"] > 0 and row["pvalue"] < alpha
    if kind == "improved (MCBI)":
        text = "improved (MCBI)" if improved else "no clear change (MCBI)"
        return text, improved, float(row["estimate"]), float(row["pvalue"])
    text = "maintained" if improved else "not maintained"
    agrees = improved if kind == "maintained" else not improved
    return text, agrees, float(row["estimate"]), float(row["pvalue"])


def published_comparison(therapist_table: pd.DataFrame, patient_table: pd.DataFrame,
                         alpha: float = 0.05) -> pd.DataFrame:
    """Each published finding beside this build's finding, and whether they agree.

    Between-arm findings use the difference in change (MCBI - control); "improved" and
    "maintained" use the MCBI arm's within-arm change from baseline, in the direction of
    improvement. Significance is the unadjusted two-sided Wald test at ``alpha``.
    """
    rows = []
    for who, label, outcome, wave, published in PUBLISHED:
        table = therapist_table if who == "therapists" else patient_table
        text, agrees, est, p = _finding(table, outcome, wave, published, alpha)
        rows.append({"who": who, "outcome": label, "scale": outcome, "wave": wave,
                     "published": published, "this_build": text, "estimate": est,
                     "pvalue": p, "agrees": agrees})
    return pd.DataFrame(rows)
