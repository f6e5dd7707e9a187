"""The chapter's glue values, sentences and display tables, chosen from the numbers.

Every sentence here reads truthfully on any data: counts come from the tables, directions
and significance from the estimates and p-values (:mod:`mcbi.paper.render.phrases`), and a
contrast that could not be computed is named as such.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mcbi.paper.outcomes.families import improvement_sign
from mcbi.paper.outcomes.models import LADDER, OK
from mcbi.paper.outcomes.sufficiency import MIN_UNITS
from mcbi.paper.render import phrases
from mcbi.paper.render.apa import alpha_text, ci_pct, fmt_ci, fmt_num, fmt_p, p_cell
from mcbi.paper.render.tables import myst_table
from mcbi.paper.sensitivity.analyses import (
    ALL_DATA,
    COMPLETE,
    ML,
    REML,
    agreement,
    finding,
)
from mcbi.paper.sensitivity.fits import DDF_LABEL
from mcbi.trial import design
from mcbi.trial.design import WAVE_SHORT


def of_phrase(k: int, n: int, noun: str = "contrasts") -> str:
    """"all 16 contrasts", "both contrasts", "none of the 16 contrasts", "3 of the 16
    contrasts", "the one contrast" (``noun`` plural; a trailing "s" is dropped for one)."""
    single = noun[:-1] if noun.endswith("s") else noun
    if n == 1:
        return f"the one {single}" if k == 1 else f"not the one {single}"
    if k == n:
        return f"both {noun}" if n == 2 else f"all {n} {noun}"
    if k == 0:
        return f"none of the {n} {noun}"
    return f"{k} of the {n} {noun}"


def _name(row: Any) -> str:
    return f"{row.label} at {design.wave_label(str(row.time))}"




def agreement_sentence(table: pd.DataFrame, reference: str, alpha: float, across: str) -> str:
    """"The finding ... is the same <across> for all 16 contrasts." or which differ."""
    agree = agreement(table, reference, alpha)
    agree = agree[agree["agrees"].notna()]
    n = len(agree)
    if n == 0:
        return "No contrast could be compared."
    k = int((agree["agrees"] == True).sum())  # noqa: E712
    text = f"The finding is the same {across} for {of_phrase(k, n)}"
    if k < n:
        differ = [_name(r) for r in agree[agree["agrees"] == False].itertuples()]  # noqa: E712
        text += f"; it differs for {phrases.listing(differ)}"
    return text + "."


FEW = " (too few observed changes)"
"""Marks a contrast that fails the data-sufficiency rule."""


def _cell(row: Any, alpha: float, with_df: bool = False) -> str:
    if row.status != OK:
        return str(row.status)
    df = f"; df = {fmt_num(row.df, 1)}" if with_df and np.isfinite(row.df) else ""
    return (f"{fmt_num(row.estimate)} {fmt_ci(row.ci_lower, row.ci_upper)}{df}; "
            f"p {fmt_p(row.pvalue)}{'' if row.sufficient else FEW}")


def _wide(table: pd.DataFrame, variants: list[str], cell) -> pd.DataFrame:
    keys = table[["outcome", "label", "time"]].drop_duplicates()
    out = []
    for k in keys.itertuples():
        sub = table[(table["outcome"] == k.outcome) & (table["time"] == k.time)]
        row = {"Outcome": k.label, "Wave": design.wave_label(str(k.time))}
        for v in variants:
            hit = sub[sub["variant"] == v]
            row[v] = cell(hit.iloc[0]) if len(hit) else ""
        out.append(row)
    return pd.DataFrame(out)


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the waves collected (a wave not in the data at all is left out; a
    contrast that could not be estimated, or not at a wave observed in one arm only, is
    shown as such)."""
    if table.empty:
        return table
    keys = table[table["collected"].astype(bool)][["outcome", "time"]].drop_duplicates()
    return table.merge(keys, on=["outcome", "time"])


def show(frame: pd.DataFrame, caption: str, name: str, align: str | None = None) -> str:
    """:func:`~mcbi.paper.render.tables.myst_table` of ``frame``, or of a one-cell table
    saying that nothing could be estimated when ``frame`` is empty."""
    if frame.empty:
        frame, align = pd.DataFrame({"Outcome": ["no contrast could be estimated"]}), "l"
    return myst_table(frame, caption, name, align)


def structure_sentence(structures: pd.DataFrame, primary: pd.DataFrame, alpha: float) -> str:
    """:func:`agreement_sentence` of every rung against the primary analysis (the first
    rung that fits); "" when no patient outcome is analysed."""
    if structures.empty:
        return ""
    table = pd.concat([structures, primary[primary["level"] == "patients"]
                       .assign(variant="primary")], ignore_index=True)
    return agreement_sentence(table, "primary", alpha,
                              "under every structure that could be estimated")


def reml_table(table: pd.DataFrame) -> pd.DataFrame:
    """ML and REML estimates (SE) side by side with the ratio of the SEs."""
    table = _shown(table)
    if table.empty:
        return pd.DataFrame()

    def cell(r: pd.Series) -> str:
        return f"{fmt_num(r.estimate)} ({fmt_num(r.se, 3)})" if r.status == OK else r.status

    wide = _wide(table, [ML, REML], cell)
    ratio = []
    for k in table[["outcome", "time"]].drop_duplicates().itertuples():
        sub = table[(table["outcome"] == k.outcome) & (table["time"] == k.time)]
        se = sub.set_index("variant")["se"]
        ratio.append(fmt_num(se.get(ML, np.nan) / se.get(REML, np.nan), 3))
    wide.columns = ["Outcome", "Wave", "ML: estimate (SE)", "REML: estimate (SE)"]
    wide["SE ratio ML/REML"] = ratio
    return wide


def reml_values(table: pd.DataFrame) -> dict[str, Any]:
    """``sens_reml_n``, ``sens_se_ratio_min``/``_max``, ``sens_est_maxdiff`` and
    ``sens_reml_sentence``."""
    pair = table[table["status"] == OK].pivot_table(index=["outcome", "time"],
                                                    columns="variant", values=["se", "estimate"])
    pair = pair.dropna()
    n = len(pair)
    if n == 0:
        return {"sens_reml_n": 0, "sens_se_ratio_min": None, "sens_se_ratio_max": None,
                "sens_est_maxdiff": None,
                "sens_reml_sentence": "No contrast could be estimated by both methods."}
    ratio = pair[("se", ML)] / pair[("se", REML)]
    larger = int((pair[("se", REML)] > pair[("se", ML)]).sum())
    diff = float((pair[("estimate", ML)] - pair[("estimate", REML)]).abs().max())
    sentence = (f"REML's standard error is larger than ML's for {of_phrase(larger, n)}; the "
                f"ratio of ML's to REML's ranges from {fmt_num(ratio.min(), 3)} to "
                f"{fmt_num(ratio.max(), 3)}, and the estimates differ by at most "
                f"{fmt_num(diff, 3)}.")
    return {"sens_reml_n": n, "sens_se_ratio_min": float(ratio.min()),
            "sens_se_ratio_max": float(ratio.max()), "sens_est_maxdiff": diff,
            "sens_reml_sentence": sentence}


def ddf_table(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per contrast: df, p and CI under z, Satterthwaite and Kenward–Roger."""
    table = _shown(table)
    if table.empty:
        return pd.DataFrame()
    labels = [DDF_LABEL[d] for d in ("z", "satterthwaite", "kenward-roger")]
    return _wide(table, labels, lambda r: _cell(r, alpha, with_df=r.variant != "z"))


def structure_table(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The patient contrasts under each rung of the ladder."""
    table = _shown(table)
    if table.empty:
        return pd.DataFrame()
    wide = _wide(table, [r.key for r in LADDER], lambda r: _cell(r, alpha))
    wide.columns = ["Outcome", "Wave"] + [phrases.capital(r.text) for r in LADDER]
    return wide


def complete_table(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """All available data against complete cases, with the units each analysis used."""
    table = _shown(table)
    if table.empty:
        return pd.DataFrame()

    def cell(r: pd.Series) -> str:
        return f"{_cell(r, alpha)} (n = {int(r.n_units)})" if r.status == OK else r.status

    wide = _wide(table, [ALL_DATA, COMPLETE], cell)
    wide.columns = ["Outcome", "Wave", "All available data", "Complete cases"]
    return wide


def complete_values(table: pd.DataFrame) -> dict[str, Any]:
    """``sens_cc_units_share_min``/``_max``: the complete cases' share of the units that
    all available data use, over the key contrasts."""
    ok = table[table["status"] == OK]
    wide = ok.pivot_table(index=["outcome", "time"], columns="variant", values="n_units")
    if ALL_DATA not in wide or COMPLETE not in wide:
        share = pd.Series(dtype=float)
    else:
        share = (wide[COMPLETE] / wide[ALL_DATA]).dropna()
    if not len(share):
        text = "no complete-case model could be estimated"
    elif fmt_num(100 * share.min(), 0) == fmt_num(100 * share.max(), 0):
        text = f"{fmt_num(100 * share.min(), 0)}% of those the primary analysis uses"
    else:
        text = (f"between {fmt_num(100 * share.min(), 0)}% and {fmt_num(100 * share.max(), 0)}% "
                "of those the primary analysis uses")
    return {"sens_cc_share_min": float(share.min()) if len(share) else None,
            "sens_cc_share_max": float(share.max()) if len(share) else None,
            "sens_cc_share_txt": text}


def finding_text(estimate: float, p: float, outcome: str, alpha: float,
                 sufficient: bool = True) -> str:
    """"statistically significant, favouring the MCBI arm" / "... the control arm" / "not
    statistically significant" / "not tested: too few observed changes" / "not
    estimable"."""
    f = finding(estimate, p, alpha, sufficient)
    if f is None:
        return phrases.UNAVAILABLE
    if not sufficient:
        return "not tested: too few observed changes"
    if not f[1]:
        return phrases.significance(p, alpha)
    favour = phrases.direction(f[0] * improvement_sign(outcome), "the MCBI arm",
                               "the control arm")
    return f"{phrases.significance(p, alpha)}, favouring {favour}"


def tipping_table(tip: pd.DataFrame, points: pd.DataFrame, primary: pd.DataFrame,
                  alpha: float) -> pd.DataFrame:
    """Per key contrast: the primary finding, the pooled estimate (p) at every δ, and the
    tipping point."""
    shown = tip[tip["status"] == OK]
    if shown.empty:
        return pd.DataFrame()
    deltas = sorted(shown["delta"].unique())
    out = []
    for k in shown[["outcome", "label", "time"]].drop_duplicates().itertuples():
        ref = primary[(primary["outcome"] == k.outcome) & (primary["time"] == k.time)]
        r = ref.iloc[0] if len(ref) else None
        row = {"Outcome": k.label, "Wave": design.wave_label(str(k.time)),
               "Primary finding": (finding_text(r["estimate"], r["pvalue"], k.outcome, alpha,
                                                bool(r["sufficient"]))
                                   if r is not None else phrases.UNAVAILABLE)}
        sub = tip[(tip["outcome"] == k.outcome) & (tip["time"] == k.time)].set_index("delta")
        for d in deltas:
            s = sub.loc[d] if d in sub.index else None
            row[f"δ = {fmt_num(d)}"] = (f"{fmt_num(s['estimate'])} ({p_cell(s['pvalue'])})"
                                        if s is not None and s["status"] == OK else
                                        (s["status"] if s is not None else ""))
        hit = points[(points["outcome"] == k.outcome) & (points["time"] == k.time)]
        row["Tipping point"] = hit["tip_text"].iloc[0] if len(hit) else phrases.UNAVAILABLE
        out.append(row)
    return pd.DataFrame(out)


def tipping_values(tip: pd.DataFrame, points: pd.DataFrame, primary: pd.DataFrame,
                   alpha: float) -> dict[str, Any]:
    """Glue values of the tipping-point analysis.

    ``sens_tip_sentence`` (the tipping point of every significant primary finding, or that
    none is significant), ``sens_tip_n_sig`` and per contrast ``<outcome>_<post|fu>_tip``
    (text) and ``..._tip_delta`` (NaN when no δ of the grid changes the finding).
    """
    values: dict[str, Any] = {}
    sig, other, few = [], [], []
    for p in points.itertuples():
        key = f"{p.outcome}_{WAVE_SHORT[str(p.time)]}"
        values[f"{key}_tip"] = p.tip_text
        values[f"{key}_tip_delta"] = p.tip_delta
        r = primary[(primary["outcome"] == p.outcome) & (primary["time"] == p.time)].iloc[0]
        f = finding(r["estimate"], r["pvalue"], alpha, bool(r["sufficient"]))
        group = sig if f is not None and f[1] else other if r["sufficient"] else few
        group.append((p, _name(p)))
    values["sens_tip_n_sig"] = len(sig)
    values["sens_tip_n"] = len(points)
    values["sens_tip_n_few"] = len(few)
    tested = len(points) - len(few)
    if not len(points):
        text = "No key contrast could be analysed by multiple imputation."
    elif not tested:
        text = (f"{phrases.capital(of_phrase(len(few), len(points), 'key contrasts'))} "
                f"{'rests' if len(few) == 1 else 'rest'} on too few observed changes to be "
                "tested, so no shift of the missing scores can change a finding.")
    elif not sig:
        subject = ("The one key contrast tested" if tested == 1
                   else f"None of the {tested} key contrasts tested")
        verb = "is not" if tested == 1 else "is"
        text = (f"{subject} {verb} statistically significant in the primary analysis, so the "
                f"question is which shift would make {'it' if tested == 1 else 'one'} so: "
                f"{_tip_list(other)}.{_few_sentence(few)}")
    else:
        n = len(sig)
        text = (f"In the primary analysis, {of_phrase(n, len(points), 'key contrasts')} "
                f"{'is' if n == 1 else 'are'} statistically significant; the smallest shift of "
                f"the grid that changes {'that finding' if n == 1 else 'each of these findings'}"
                f" is: {_tip_list(sig)}.{_few_sentence(few)}")
    values["sens_tip_sentence"] = text
    return values


def _few_sentence(few: list[tuple[Any, str]]) -> str:
    if not few:
        return ""
    names = phrases.listing([name for _, name in few])
    return (f" The test of {names} rests on too few observed changes, so no shift can make "
            f"{'it' if len(few) == 1 else 'them'} statistically significant.")


def _tip_list(items: list[tuple[Any, str]]) -> str:
    return "; ".join(f"{name}, {p.tip_text}" for p, name in items)


def method_values(alpha: float, ddf: str, deltas: list[float], m: int) -> dict[str, Any]:
    """Words and numbers of the chapter's methods paragraph."""
    return {"ci_pct": ci_pct(alpha), "alpha_txt": alpha_text(alpha), "sens_min_units": MIN_UNITS,
            "sens_test_txt": {"z": "Wald z tests", "satterthwaite":
                              "t tests with Satterthwaite's degrees of freedom",
                              "kenward-roger": "t tests with Kenward–Roger's adjusted standard "
                              "errors and degrees of freedom"}[ddf],
            "sens_m": m, "sens_delta_min": min(deltas), "sens_delta_max": max(deltas),
            "sens_deltas_txt": ", ".join(fmt_num(d) for d in deltas)}
