"""Tipping-point analysis of the key contrasts under missing not at random (δ-adjusted
multiple imputation).

For each key outcome the primary model (REML, the rung of the outcome chapters' ladder that
fits) is the imputation model: every missing score of the analysed waves, of every therapist
or patient in the outcome's table, is drawn ``m`` times from the model's conditional
distribution given that unit's (and its therapist's other patients') observed scores, with a
parametric draw of the fixed effects (:func:`mcbi.stats.mi.impute_lmm`). Then, for each δ of
the grid, the *imputed* post-baseline scores of the MCBI arm only are shifted by δ observed
pooled baseline SDs in the direction of improvement (δ < 0: the MCBI arm's missing scores are
worse than missing at random predicts), each completed data set is analysed with the primary
model (:func:`mcbi.stats.mi.mi_contrasts`: variance components from the first completed set,
found from the primary model's optimum as a warm start, fixed effects re-estimated in each)
and the between-arm contrasts are pooled with Rubin's rules (Barnard–Rubin df from the
test's complete-data df). The tipping point of a finding is
the smallest |δ| of the grid whose pooled result differs from the primary finding
(significance at ``alpha`` or, if significant, the direction).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mcbi.paper.outcomes.effects import pooled_baseline_sd
from mcbi.paper.outcomes.families import improvement_sign
from mcbi.paper.outcomes.models import NOT_AVAILABLE, NOT_ESTIMABLE, OK
from mcbi.paper.render.apa import MINUS, fmt_num
from mcbi.paper.sensitivity.analyses import finding, same_finding
from mcbi.paper.sensitivity.fits import Fit
from mcbi.stats.mi import IMPUTED, impute_lmm, mi_contrasts, pool
from mcbi.trial import design

TIP_COLUMNS = ["outcome", "label", "level", "time", "delta", "estimate", "se", "df", "pvalue",
               "ci_lower", "ci_upper", "fmi", "n_shifted", "status", "note"]


def check_grid(deltas: object, imputations: object) -> tuple[list[float], int]:
    """Validate the notebook parameters ``deltas`` and ``imputations``.

    Raises
    ------
    ValueError
        ``deltas`` not a non-empty list of distinct finite numbers, or ``imputations`` not
        a whole number of at least 2.
    """
    ok = (isinstance(deltas, (list, tuple)) and len(deltas) > 0
          and all(isinstance(d, (int, float)) and not isinstance(d, bool) and np.isfinite(d)
                  for d in deltas) and len(set(deltas)) == len(deltas))
    if not ok:
        raise ValueError("notebook parameter deltas must be a list of distinct numbers "
                         f"(shifts in baseline SDs), e.g. [-0.5, 0.0, 0.5]; got {deltas!r}")
    if isinstance(imputations, bool) or not isinstance(imputations, int) or imputations < 2:
        raise ValueError("notebook parameter imputations must be a whole number of at least 2, "
                         f"got {imputations!r}")
    return sorted(float(d) for d in deltas), imputations


def _empty(f: Fit, delta: float, note: str) -> pd.DataFrame:
    t = f.target
    rows = pd.DataFrame({"time": list(design.WAVES[1:])})
    for col, value in (("outcome", t.outcome), ("label", t.label), ("level", t.level),
                       ("delta", delta)):
        rows[col] = value
    for col in ("estimate", "se", "df", "pvalue", "ci_lower", "ci_upper", "fmi"):
        rows[col] = np.nan
    rows["n_shifted"], rows["status"], rows["note"] = 0, NOT_ESTIMABLE, note
    return rows[TIP_COLUMNS]


def _one(f: Fit, deltas: list[float], m: int, seed: list[int], alpha: float,
         ddf: str) -> list[pd.DataFrame]:
    t, res, rung = f.target, f.result, f.rung
    sd = pooled_baseline_sd(t.data, t.outcome, design.ARM, design.WAVE, design.WAVES[0])
    if not np.isfinite(sd):
        return [_empty(f, d, "no baseline SD to scale the shift") for d in deltas]
    completed = impute_lmm(res, f.data, m=m, seed=seed)
    shifted = (completed[IMPUTED] & (completed[design.ARM] == design.TREATED)
               & (completed[design.WAVE] != design.WAVES[0]))
    first = completed["imputation"] == completed["imputation"].iloc[0]
    n_shifted = completed[shifted & first].groupby(design.WAVE).size()
    base = completed[t.outcome].to_numpy()
    out = []
    for delta in deltas:
        data = completed.assign(**{t.outcome: base + shifted.to_numpy()
                                   * delta * sd * improvement_sign(t.outcome)})
        try:
            per = mi_contrasts(data, t.outcome, design.ARM, design.WAVE, t.subject,
                               t.cluster if rung.three_level else None,
                               group_levels=list(design.ARMS), time_levels=f.waves,
                               cluster_time=rung.cluster_time, reml=True, ddf=ddf, alpha=alpha,
                               start=res.optsummary.final)
        except (ValueError, np.linalg.LinAlgError) as err:
            out.append(_empty(f, delta, str(err)))
            continue
        pooled = pool(per[per["contrast"] == "between"], ["time"], df="df", alpha=alpha)
        rows = _empty(f, delta, "").drop(columns=["estimate", "se", "df", "pvalue", "ci_lower",
                                                  "ci_upper", "fmi"])
        rows = rows.merge(pooled[["time", "estimate", "se", "df", "pvalue", "ci_lower",
                                  "ci_upper", "fmi"]], on="time", how="left")
        rows["n_shifted"] = rows["time"].map(n_shifted).fillna(0).astype(int)
        est = rows["estimate"].notna()
        rows["status"] = np.where(est, OK, NOT_AVAILABLE)
        rows["note"] = np.where(est, "", rows["time"].map(
            lambda w: f"{design.wave_label(w)} not observed in both arms"))
        out.append(rows[TIP_COLUMNS])
    return out


def tipping(primaries: list[Fit], deltas: list[float], m: int = 20, seed: int = 0,
            alpha: float = 0.05, ddf: str = "kenward-roger") -> pd.DataFrame:
    """The pooled between-arm contrasts of every key outcome at every δ of the grid.

    Returns
    -------
    DataFrame
        :data:`TIP_COLUMNS`: one row per outcome, post-baseline wave and δ; ``n_shifted``
        counts the MCBI arm's imputed (shifted) scores at that wave; ``fmi`` is the
        fraction of missing information.
    """
    parts = []
    for i, f in enumerate(primaries):
        if f.result is None:
            parts += [_empty(f, d, f.note or "the primary model could not be fitted")
                      for d in deltas]
        else:
            parts += _one(f, deltas, m, [int(seed), i], alpha, ddf)
    return pd.concat(parts, ignore_index=True)


def delta_text(delta: float) -> str:
    """A shift in words: "0.50 SD in the MCBI arm's disfavour" / "... favour"."""
    side = "against" if delta < 0 else "in favour of"
    return f"{fmt_num(abs(delta))} SD {side} the MCBI arm"


def tipping_points(tip: pd.DataFrame, primary: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The smallest |δ| of the grid that changes each primary finding.

    Parameters
    ----------
    tip : DataFrame
        :func:`tipping`.
    primary : DataFrame
        The primary between-arm contrasts (columns of :data:`~.fits.COLUMNS`).
    alpha : float

    Returns
    -------
    DataFrame
        ``outcome, label, time, tip_delta`` (signed; NaN when no δ of the grid changes the
        finding), ``tip_text`` ("0.50 SD against the MCBI arm", "none within ±1.00 SD",
        "already at δ = 0" or, for a contrast failing the data-sufficiency rule, "not
        tested: too few observed changes") and ``grid_max`` (the largest |δ| estimated), for every
        outcome and wave with a primary result and at least one pooled result.
    """
    rows = []
    for r in primary[primary["status"] == OK].itertuples():
        sub = tip[(tip["outcome"] == r.outcome) & (tip["time"] == r.time)
                  & (tip["status"] == OK)]
        if sub.empty:
            continue
        ref = finding(r.estimate, r.pvalue, alpha, r.sufficient)
        order = sub.assign(size=sub["delta"].abs()).sort_values(["size", "delta"])
        tip_delta = np.nan
        for s in order.itertuples():  # the rule rests on the observed changes: the primary's
            if not same_finding(ref, finding(s.estimate, s.pvalue, alpha, r.sufficient)):
                tip_delta = float(s.delta)
                break
        grid_max = float(order["size"].max())
        if not r.sufficient:
            text = "not tested: too few observed changes"
        elif np.isnan(tip_delta):
            text = f"none within ±{fmt_num(grid_max)} SD".replace("±", "\u00b1")
        elif tip_delta == 0:
            text = "already at δ = 0"
        else:
            text = delta_text(tip_delta)
        rows.append({"outcome": r.outcome, "label": r.label, "time": r.time,
                     "tip_delta": tip_delta, "tip_text": text.replace("-", MINUS),
                     "grid_max": grid_max})
    return pd.DataFrame(rows, columns=["outcome", "label", "time", "tip_delta", "tip_text",
                                       "grid_max"])
