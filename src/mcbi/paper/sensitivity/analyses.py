"""The chapter's comparisons of the key between-arm contrasts: estimator, test, random-effects
structure and the data analysed.

Every function returns one long table: the columns of :data:`~.fits.COLUMNS` with a leading
``variant`` (the estimator, test, rung or data set), one row per key outcome, wave and
variant. The *primary* analysis is the outcome chapters' model fitted by REML and tested with
the chosen reference distribution (``ddf``); p-values here are unadjusted (the outcome
chapters adjust them with Holm's method within each family).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mcbi.paper.outcomes.models import LADDER, NOT_AVAILABLE, NOT_ESTIMABLE, OK
from mcbi.paper.sensitivity.fits import DDF, DDF_LABEL, Fit, Target, between, fit
from mcbi.trial import design

ML, REML = "ML", "REML"
ALL_DATA, COMPLETE = "all available data", "complete cases"


def check_ddf(ddf: object) -> str:
    """``ddf`` in lower case if it is one of :data:`~.fits.DDF`.

    Raises
    ------
    ValueError
        Naming the notebook parameter and its allowed values.
    """
    key = str(ddf).strip().lower()
    if key not in DDF:
        raise ValueError(f"notebook parameter ddf must be one of {', '.join(map(repr, DDF))}, "
                         f"got {ddf!r}")
    return key


def primary_fits(targets: list[Target]) -> list[Fit]:
    """The primary model of every target: REML, the first rung of its ladder that fits."""
    return [fit(t, reml=True) for t in targets]


def _tagged(table: pd.DataFrame, variant: str) -> pd.DataFrame:
    table = table.copy()
    table.insert(0, "variant", variant)
    return table


def estimators(primaries: list[Fit], alpha: float) -> pd.DataFrame:
    """ML against REML: the primary rung refitted by ML (from the REML optimum as a warm
    start), both with Wald *z* tests."""
    parts = []
    for f in primaries:
        ml = fit(f.target, (f.rung,), reml=False, start_from=f.result) if f.rung is not None else f
        parts += [_tagged(between(ml, alpha, "z"), ML), _tagged(between(f, alpha, "z"), REML)]
    return pd.concat(parts, ignore_index=True)


def tests(primaries: list[Fit], alpha: float) -> pd.DataFrame:
    """The REML fits' contrasts tested with *z*, Satterthwaite's and Kenward–Roger's df."""
    parts = [_tagged(between(f, alpha, d), DDF_LABEL[d])
             for f in primaries for d in ("z", "satterthwaite", "kenward-roger")]
    return pd.concat(parts, ignore_index=True)


def structures(primaries: list[Fit], alpha: float, ddf: str) -> pd.DataFrame:
    """Every rung of the patients' ladder fitted on its own (REML, test ``ddf``; the primary
    fit stands for its own rung); an empty table when no patient outcome is a target."""
    parts = [_tagged(between(f if f.rung == rung else fit(f.target, (rung,)), alpha, ddf),
                     rung.key)
             for f in primaries if f.target.level == "patients" for rung in LADDER]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def complete_units(data: pd.DataFrame, target: Target, waves: list[str]) -> pd.DataFrame:
    """The rows of the units whose outcome is observed at every wave of ``waves``."""
    seen = data[data[target.outcome].notna() & data[design.WAVE].isin(waves)]
    counts = seen.groupby(target.subject)[design.WAVE].nunique()
    keep = counts.index[counts == len(waves)]
    return data[data[target.subject].isin(keep)]


def complete_cases(primaries: list[Fit], alpha: float, ddf: str) -> pd.DataFrame:
    """All available data (the primary fit, missing at random) against the complete cases
    (the units observed at every wave the primary fit analyses), refitted from the primary
    rung down the ladder."""
    parts = []
    for f in primaries:
        t = f.target
        primary = between(f, alpha, ddf)
        parts.append(_tagged(primary, ALL_DATA))
        if f.result is None:
            parts.append(_tagged(primary, COMPLETE))
            continue
        ladder = t.ladder[t.ladder.index(f.rung):]
        rows = between(fit(t, ladder, data=complete_units(t.data, t, f.waves)), alpha, ddf)
        rows["collected"] = primary["collected"].to_numpy()
        lost = (primary["status"] == OK).to_numpy() & (rows["status"] == NOT_AVAILABLE)
        rows.loc[lost, ["status", "note"]] = [NOT_ESTIMABLE, "too few complete cases"]
        parts.append(_tagged(rows, COMPLETE))
    return pd.concat(parts, ignore_index=True)


def finding(estimate: float, p: float, alpha: float,
            sufficient: bool = True) -> tuple[int, bool] | None:
    """``(sign, significant)`` of a contrast; None when it is missing. A contrast that fails
    the data-sufficiency rule (``sufficient`` False) is never significant."""
    if estimate is None or p is None or not (np.isfinite(estimate) and np.isfinite(p)):
        return None
    return int(np.sign(estimate)), bool(p < alpha) and bool(sufficient)


def same_finding(a: tuple[int, bool] | None, b: tuple[int, bool] | None) -> bool | None:
    """Whether two findings agree: both significant in the same direction, or both not
    significant; None when either is missing."""
    if a is None or b is None:
        return None
    return a[1] == b[1] and (not a[1] or a[0] == b[0])


def agreement(table: pd.DataFrame, reference: str, alpha: float) -> pd.DataFrame:
    """Per outcome and wave: whether every variant's finding equals ``reference``'s.

    Returns
    -------
    DataFrame
        ``outcome, label, time, compared`` (variants with a result besides the reference)
        and ``agrees`` (True, False; None when the reference or no other variant has a
        result), for the rows whose reference status is "ok".
    """
    rows = []
    for (outcome, time), sub in table.groupby(["outcome", "time"], sort=False):
        ref = sub[sub["variant"] == reference]
        if ref.empty or ref["status"].iloc[0] != OK:
            continue
        base = finding(ref["estimate"].iloc[0], ref["pvalue"].iloc[0], alpha,
                       ref["sufficient"].iloc[0])
        others = sub[(sub["variant"] != reference) & (sub["status"] == OK)]
        verdicts = [same_finding(base, finding(r.estimate, r.pvalue, alpha, r.sufficient))
                    for r in others.itertuples()]
        rows.append({"outcome": outcome, "label": ref["label"].iloc[0], "time": time,
                     "compared": len(verdicts),
                     "agrees": all(verdicts) if verdicts else None})
    return pd.DataFrame(rows, columns=["outcome", "label", "time", "compared", "agrees"])


def waves_present(table: pd.DataFrame) -> list[str]:
    """Post-baseline waves with at least one estimated contrast in ``table``."""
    ok = table[table["status"] == OK] if len(table) else table
    return [w for w in design.WAVES[1:] if len(ok) and (ok["time"] == w).any()]
