"""The outcome chapters' tables: contrasts, variance components and published findings
(tidy results in, formatted frames out)."""

from __future__ import annotations

import pandas as pd

from mcbi.paper.outcomes.families import label
from mcbi.paper.outcomes.sufficiency import TOO_FEW
from mcbi.paper.render.apa import ci_pct, fmt_bounded, fmt_estimate_ci, fmt_num, p_cell
from mcbi.paper.render.tables import block_labels
from mcbi.trial import design


def contrast_summary(table: pd.DataFrame, alpha: float = 0.05,
                     fits: pd.DataFrame | None = None) -> pd.DataFrame:
    """One formatted row per outcome and wave: changes and the between-arm difference.

    Columns: family (capitalized, on the first row of its block only), outcome, wave, the
    change from baseline in each arm, the difference
    in change [CI at ``1 - alpha``], Cohen's d [CI], the Holm-adjusted p and, with ``fits``
    (:attr:`mcbi.paper.outcomes.models.OutcomeAnalysis.fits`), a ``Model notes`` column flagging
    singular, simplified and not estimable models. Waves with no estimate for any outcome
    (e.g. not collected) are left out; a single missing contrast shows its status.
    """
    level = f"{ci_pct(alpha)}%"
    status = table["status"] if "status" in table else pd.Series("ok", index=table.index)
    waves = [w for w in design.WAVES[1:] if ((table["time"].astype(str) == w)
                                             & (status == "ok")).any()]
    notes = {} if fits is None else {r.outcome: _model_note(r) for r in fits.itertuples()}
    rows = []
    for (family, _, outcome), sub in table.groupby(["family", "outcome", "label"], sort=False):
        for wave in waves:
            s = sub[sub["time"].astype(str) == wave]
            row = {"Family": family, "Outcome": outcome, "Wave": design.wave_label(wave)}
            for arm in design.ARMS:
                w = s[(s["contrast"] == "within") & (s["group"] == arm)].iloc[0]
                row[f"Δ {arm}"] = fmt_num(w["estimate"], 2)
            b = s[s["contrast"] == "between"].iloc[0]
            ok = not pd.isna(b["estimate"])
            row[f"Difference [{level} CI]"] = (fmt_estimate_ci(b["estimate"], b["ci_lower"],
                                                               b["ci_upper"])
                                               if ok else str(b.get("status", "—")))
            row[f"d [{level} CI]"] = (fmt_estimate_ci(b["d"], b["d_ci_lower"],
                                                      b["d_ci_upper"]) if ok else "—")
            row["p (Holm)"] = ("not tested" if b.get("status") == TOO_FEW
                               else p_cell(b["p_holm"]))
            if fits is not None:
                row["Model notes"] = notes.get(b["outcome"], "") if wave == waves[0] else ""
            rows.append(row)
    out = pd.DataFrame(rows)
    if not out.empty:
        out["Family"] = block_labels(out["Family"])  # a family names a block of rows
    return out


def _model_note(fit) -> str:
    """Flags of one model: not estimable, simplified structure, variance components at 0."""
    if not fit.estimable:
        return f"not estimable: {fit.note}" if fit.note else "not estimable"
    flags = []
    if fit.structure != fit.requested:
        flags.append(f"simplified: {fit.structure}")
    if fit.singular:
        flags.append(f"singular: {fit.zero_components} variance = 0")
    return "; ".join(flags)


_COMPONENTS = {"cluster": "Therapist variance", "subject": "Patient variance",
               "cluster_time": "Therapist × wave variance", "residual": "Residual variance",
               "icc": "ICC (therapist)",
               **{f"cluster_time[{w}]": f"Therapist × {design.wave_label(w)} variance"
                  for w in design.WAVES},
               **{f"icc_{w}": f"ICC {design.wave_label(w)}" for w in design.WAVES}}


def variance_display(variance: pd.DataFrame) -> pd.DataFrame:
    """:func:`mcbi.paper.outcomes.models.variance_table` with outcome labels and three decimals.

    The ICC, a proportion, has no leading zero (APA).
    """
    out = variance.reset_index().rename(columns={"outcome": "Outcome", **_COMPONENTS})
    out["Outcome"] = out["Outcome"].map(label)
    for c in out.columns[1:]:
        fmt = fmt_bounded if str(c).startswith("ICC") else fmt_num
        out[c] = out[c].map(lambda v, fmt=fmt: fmt(v, 3))
    return out


CONTRAST_WORDS = {"between": "Between arms", "within": "MCBI arm"}
"""What the estimate of a published-findings row is (its ``contrast``), in words: the
difference in change (MCBI − control) or the MCBI arm's own change from baseline (the
chapter's caption and note say so)."""


def published_display(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`mcbi.paper.outcomes.published.published_comparison` formatted for the book.

    The estimate's column is labelled by what each row's estimate is (the ``Contrast``
    column: a between-arm difference in change or the MCBI arm's own change), since the
    two kinds are not on one footing.
    """
    return comparison.assign(
        who=block_labels(comparison["who"].astype(str)),
        contrast=comparison["contrast"].map(lambda c: CONTRAST_WORDS.get(c, str(c))),
        estimate=comparison["estimate"].map(lambda v: fmt_num(v, 2)),
        p_holm=comparison["p_holm"].map(p_cell),
        wave=comparison["wave"].map(lambda w: design.wave_label(w)),
    ).drop(columns=["scale", "agrees"]).rename(columns={
        "who": "Who", "outcome": "Outcome", "wave": "Wave", "published": "Published",
        "this_build": "This build", "contrast": "Contrast", "estimate": "Estimate",
        "p_holm": "p (Holm)", "agreement": "Agreement"})
