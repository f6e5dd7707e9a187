"""Glue names of the outcome chapters (therapists, patients, published findings).

Each function takes a result table and returns a dict whose keys are the glue names the
prose uses; :meth:`mcbi.paper.render.results.Results.glue_all` glues and records them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mcbi.paper.outcomes import claims, published
from mcbi.paper.outcomes.models import fit_counts
from mcbi.paper.render import phrases
from mcbi.paper.render.apa import fmt_num, fmt_p
from mcbi.trial.design import WAVE_SHORT


def outcome_key(outcome: str, wave: str) -> str:
    """The stem ``<outcome>_<post|fu>`` of every name about ``outcome`` at ``wave``."""
    if wave not in WAVE_SHORT:
        raise ValueError(f"wave must be one of {', '.join(WAVE_SHORT)}, not {wave!r}")
    return f"{outcome}_{WAVE_SHORT[wave]}"


# --- outcome models --------------------------------------------------------------------


def contrast_values(table: pd.DataFrame) -> dict[str, float]:
    """Every reported contrast of an outcome-model table (NaN when not available).

    Names: ``<outcome>_<post|fu>_diff`` (between arms, with ``_lo``, ``_hi``, ``_d``
    (Feingold's d), ``_p`` (unadjusted), ``_pholm``) and
    ``<outcome>_<post|fu>_<arm>_change`` (within arm, with ``_p`` and ``_pholm``).
    """
    values: dict[str, float] = {}
    for row in table.itertuples(index=False):
        key = outcome_key(row.outcome, str(row.time))
        if row.contrast == "between":
            stem = f"{key}_diff"
            values.update({stem: row.estimate, f"{stem}_lo": row.ci_lower,
                           f"{stem}_hi": row.ci_upper, f"{stem}_d": row.d,
                           f"{stem}_p": row.pvalue, f"{stem}_pholm": row.p_holm})
        else:
            stem = f"{key}_{str(row.group).lower()}_change"
            values.update({stem: row.estimate, f"{stem}_p": row.pvalue,
                           f"{stem}_pholm": row.p_holm})
    return values


def contrast_texts(table: pd.DataFrame, alpha: float = 0.05) -> dict[str, str]:
    """Worded contrasts for prose (:mod:`mcbi.paper.outcomes.claims`), chosen from the numbers.

    Per between-arm contrast ``<outcome>_<post|fu>``: ``_result`` (summary and verdict),
    ``_summary`` (estimate, CI, d and
    p_Holm, or why it is missing), ``_verdict`` (significance after Holm and the arm it
    favours), ``_more`` ("more"/"less") and ``_pholm_apa`` ("< .001", "= .034"); after post
    also ``_clause`` ("; from baseline to follow-up it was …", or "" when the wave was not
    collected, which the chapter says once). Per within-arm change:
    ``<outcome>_<post|fu>_<arm>_change_txt``.
    """
    out = {}
    for _, row in table.iterrows():
        key = outcome_key(row["outcome"], str(row["time"]))
        if row["contrast"] == "between":
            out[f"{key}_result"] = claims.result(row, alpha)
            out[f"{key}_summary"] = claims.summary(row, alpha)
            out[f"{key}_verdict"] = claims.verdict(row, alpha)
            out[f"{key}_more"] = claims.more_or_less(row)
            out[f"{key}_pholm_apa"] = fmt_p(row["p_holm"])
            if str(row["time"]) != "post":
                out[f"{key}_clause"] = claims.later_clause(row, alpha)
        else:
            out[f"{key}_{str(row['group']).lower()}_change_txt"] = claims.within_text(row, alpha)
    return out


def fit_values(fits: pd.DataFrame, waves: list[str]) -> dict[str, Any]:
    """Counts of the model fits and the sentences about them.

    ``n_models, n_estimable, n_singular, n_fallback, n_not_estimable``
    (:func:`mcbi.paper.outcomes.models.fit_counts`), ``fits_sentence``, ``waves_txt`` (the analysed
    post-baseline waves in words) and ``followup_sentence`` ("" when follow-up is analysed).
    """
    counts = fit_counts(fits)
    values: dict[str, Any] = dict(counts)
    values.update(fits_sentence=claims.fit_sentence(counts), waves_txt=claims.waves_text(waves),
                  followup_sentence=claims.followup_sentence(waves))
    return values


def structure_values(fits: pd.DataFrame) -> dict[str, str]:
    """``requested_txt`` (the requested random intercepts, in words) and
    ``fallback_sentence`` (which models stepped down the ladder, to what and why).

    The sentence continues the chapter's "…; " and never nests parentheses (a structure's
    name may hold some): "all 9 models did, to therapist and patient intercepts, because
    the fit did not converge." or "2 of the 9 models did: A, to X, because R; B and C, to
    Y, because S."
    """
    requested = str(fits["requested"].iloc[0]) if len(fits) else ""
    est = fits[fits["estimable"].astype(bool)]
    down = est[est["structure"] != est["requested"]]
    if down.empty:
        return {"requested_txt": requested,
                "fallback_sentence": "none of the models here needed to."}
    who = phrases.count_of(len(down), len(fits), "model")
    groups: dict[tuple[str, str], list[str]] = {}
    for row in down.itertuples():
        reasons = "; ".join(dict.fromkeys(str(row.fallback).split("; ")))
        groups.setdefault((str(row.structure), reasons), []).append(str(row.label))
    parts = [(labels, f"to {structure}, because {reasons}")
             for (structure, reasons), labels in groups.items()]
    if len(parts) == 1 and len(down) == len(fits):
        sentence = f"{who} did, {parts[0][1]}."
    else:
        sentence = f"{who} did: " + "; ".join(f"{phrases.listing(labels)}, {how}"
                                               for labels, how in parts) + "."
    return {"requested_txt": requested, "fallback_sentence": sentence}


def icc_values(icc: pd.DataFrame) -> dict[str, Any]:
    """``icc_min``, ``icc_max``, ``icc_range_txt`` and ``<outcome>_icc_<pre|post|fu>``: the
    therapist share of variance at each wave.

    ``icc`` is :attr:`mcbi.paper.outcomes.models.OutcomeAnalysis.icc` (columns ``outcome, time,
    icc``); the range runs over every outcome and wave (NaN when empty).
    """
    short = {"pre": "pre", **WAVE_SHORT}
    known = icc["icc"].dropna()
    values: dict[str, Any] = {"icc_min": known.min() if len(known) else None,
                              "icc_max": known.max() if len(known) else None}
    values["icc_range_txt"] = (
        f"ranges from {fmt_num(known.min())} to {fmt_num(known.max())}" if len(known) else
        "could not be estimated: no model could separate the therapist from the patient level")
    values.update({f"{row.outcome}_icc_{short.get(str(row.time), str(row.time))}": row.icc
                   for row in icc.itertuples(index=False)})
    return values


def finding_values(comparison: pd.DataFrame) -> dict[str, Any]:
    """``n_agree``, ``n_findings`` (rows), ``n_stated`` (findings the article states),
    ``n_compared`` (stated findings this build could check), the stated findings it could
    not check by reason (``n_unchecked_not_collected``, ``n_unchecked_one_arm``,
    ``n_unchecked_not_estimable``; :func:`~mcbi.paper.outcomes.published.unchecked_reason`)
    and, per published finding, ``<outcome>_<post|fu>_finding`` (this build's finding,
    text) and ``..._agrees`` (1, 0 or NaN when not comparable).

    ``comparison`` is :func:`mcbi.paper.outcomes.published.published_comparison`.
    """
    said = published.stated(comparison)
    known = comparison["agrees"].map(lambda a: isinstance(a, bool)) & said
    reasons = [published.unchecked_reason(text)
               for text in comparison.loc[said & ~known, "this_build"]]
    values: dict[str, Any] = {"n_agree": int((comparison["agrees"] == True).sum()),  # noqa: E712
                              "n_findings": len(comparison), "n_stated": int(said.sum()),
                              "n_compared": int(known.sum())}
    values.update({f"n_unchecked_{reason.replace(' ', '_')}": reasons.count(reason)
                   for reason in published.UNCHECKED_REASONS})
    for row in comparison.itertuples():
        if pd.isna(row.scale) or row.wave not in WAVE_SHORT:
            continue
        key = outcome_key(row.scale, row.wave)
        values[f"{key}_finding"] = row.this_build
        values[f"{key}_agrees"] = float(row.agrees) if isinstance(row.agrees, bool) else None
    return values


# --- sample ----------------------------------------------------------------------------
