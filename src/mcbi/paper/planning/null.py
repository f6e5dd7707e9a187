"""The type-I error study of the between-arm change contrasts (``mcbi plan --effects null``).

Each replicate simulates the trial's data-generating process (:func:`mcbi.synth.simulate
.simulate`) with the design's numbers, scores it as the book does, and **permutes the arm
labels among the therapists** (a therapist's patients follow their therapist), so that the
arm has no effect on any outcome while the clustering, the change variances, the dropout and
the measurement stay as generated. For every contrast outcome of the planning table (the
therapists' PMS, EUS-T and TECA; the patients' EUS-P, bond and BSI-18 symptoms, with one
therapist x wave variance per wave as in the book) it fits the arm x wave model by maximum
likelihood and by REML and tests the between-arm difference in change from baseline to every
later wave with each of :data:`METHODS`. Every test row also carries ``units``, the smaller of
the two arms' counts of therapists with that change observed
(:func:`mcbi.paper.outcomes.sufficiency.change_support`), so that the rejection rate can be
read by the data-sufficiency rule's count (:func:`by_units`;
:func:`mcbi.paper.outcomes.typeone.chosen_min_units` reads the rule's count from it).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mcbi.paper.outcomes.sufficiency import change_support
from mcbi.paper.planning.replicates import PATIENT_TARGETS, THERAPIST_TARGETS, score
from mcbi.stats import montecarlo as power
from mcbi.stats.lmm import contrasts, fit_lmm
from mcbi.synth.simulate import simulate
from mcbi.trial import design

__all__ = ["METHODS", "NullReplicate", "by_units", "permute_arms", "run_null", "type1_table"]

METHODS = {"z_ml": ("ml", "z"), "z_reml": ("reml", "z"),
           "satterthwaite": ("reml", "satterthwaite"),
           "kenward_roger": ("reml", "kenward-roger")}
"""The tests compared: name -> (estimation, denominator df)."""

UNIT_BINS = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30)
"""Lower edges of the ``units`` bins of :func:`by_units` (the last bin is open)."""


def permute_arms(therapists: pd.DataFrame, patients: pd.DataFrame,
                 rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two long tables with the arm labels permuted among the therapists."""
    arms = therapists.drop_duplicates(design.THERAPIST_ID).set_index(
        design.THERAPIST_ID)[design.ARM]
    new = pd.Series(rng.permutation(arms.to_numpy()), index=arms.index)
    out = []
    for long in (therapists, patients):
        long = long.copy()
        dtype = long[design.ARM].dtype
        long[design.ARM] = long[design.THERAPIST_ID].map(new).astype(dtype)
        out.append(long)
    return out[0], out[1]


def _row(outcome: str, reason: str, **extra) -> dict:
    nan = math.nan
    return {"target": outcome, "time": extra.get("time", ""), "method": extra.get("method", ""),
            "estimate": nan, "se": nan, "df": nan, "pvalue": nan, "ci_lower": nan,
            "ci_upper": nan, "significant": False, "truth": 0.0, "failed": True,
            "units": extra.get("units", -1), "reason": reason[:200]}


def null_tests(long: pd.DataFrame, outcome: str, subject: str, cluster: str | None,
               alpha: float, **kw) -> list[dict]:
    """Every method's test of the between-arm change of ``outcome`` at every later wave.

    One row per wave and method (``target`` is the outcome); a model that cannot be fitted
    or does not converge gives one failed row (``failed`` True, ``reason``).
    """
    waves = [w for w in design.WAVES if w in set(long[design.WAVE])]
    units = {w: min(change_support(long, outcome, subject, cluster, waves[0], w).values())
             for w in waves[1:]}
    fits = {}
    for kind in ("ml", "reml"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = fit_lmm(long, outcome, design.ARM, design.WAVE, subject, cluster,
                              group_levels=list(design.ARMS), time_levels=waves,
                              alpha=alpha, reml=kind == "reml", **kw)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as err:
            return [_row(outcome, f"{kind}: {err}")]
        if not res.converged:
            return [_row(outcome, f"{kind}: not converged")]
        fits[kind] = res
    rows = []
    for method, (kind, ddf) in METHODS.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tab = contrasts(fits[kind], alpha=alpha, ddf=ddf)
        except (ValueError, np.linalg.LinAlgError) as err:
            rows.append(_row(outcome, str(err), method=method))
            continue
        for r in tab[tab["contrast"] == "between"].itertuples():
            df = float(getattr(r, "df", math.inf))
            rows.append({"target": outcome, "time": r.time, "method": method,
                         "estimate": float(r.estimate), "se": float(r.se), "df": df,
                         "pvalue": float(r.pvalue), "ci_lower": float(r.ci_lower),
                         "ci_upper": float(r.ci_upper),
                         "significant": bool(r.pvalue < alpha), "truth": 0.0,
                         "failed": not math.isfinite(float(r.pvalue)),
                         "units": int(units.get(r.time, -1)), "reason": ""})
    return rows


@dataclass(frozen=True)
class NullReplicate:
    """Replicate function of the null study for :func:`mcbi.stats.montecarlo.run_replicates`.

    ``cell = (n_therapists, patients_per_therapist)``; returns the rows of
    :func:`null_tests` for every outcome of the planning table's contrasts. The permutation
    is drawn from its own stream of the replicate's seed.
    """

    alpha: float = 0.05
    cluster_time: str = "by_time"

    def __call__(self, cell: power.Cell, seed: int) -> list[dict]:
        n_t, per = (int(c) for c in cell)
        trial = score(simulate(seed, n_therapists=n_t, patients_per_therapist=per))
        rng = np.random.default_rng([seed, 1])
        therapists, patients = permute_arms(trial.therapists, trial.patients, rng)
        rows = []
        for outcome in THERAPIST_TARGETS:
            rows += null_tests(therapists, outcome, design.THERAPIST_ID, None, self.alpha)
        for outcome in PATIENT_TARGETS:
            rows += null_tests(patients, outcome, design.PATIENT_ID, design.THERAPIST_ID,
                               self.alpha, cluster_time=self.cluster_time)
        return rows


def _tested(rows: pd.DataFrame) -> pd.DataFrame:
    ok = rows[~rows["failed"].astype(bool) & (rows["method"] != "")].copy()
    ok["significant"] = ok["significant"].astype(bool)
    return ok


def _rates(grouped) -> pd.DataFrame:
    tab = grouped["significant"].agg(rate="mean", tests="size").reset_index()
    tab["mc_se"] = np.sqrt(tab["rate"] * (1 - tab["rate"]) / tab["tests"])
    return tab


def type1_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Rejection rate by design, wave and method (``rate, tests, mc_se, median_df, failed``).

    ``failed`` is the share of the design's outcome fits (replicate x outcome) that could
    not be estimated, so gave no test.
    """
    if rows.empty:
        raise ValueError("no replicate rows to summarise")
    data = rows.copy()
    for i, col in enumerate(("n_therapists", "patients_per_therapist")):
        data[col] = [int(c[i]) for c in data["cell"]]
    keys = ["n_therapists", "patients_per_therapist", "time", "method"]
    ok = _tested(data)
    tab = _rates(ok.groupby(keys, sort=True))
    tab["median_df"] = ok.groupby(keys, sort=True)["df"].median().to_numpy()
    design_keys = ["n_therapists", "patients_per_therapist"]
    fits = data.groupby(design_keys)[["rep", "target"]].apply(
        lambda g: len(g.drop_duplicates()))
    failed = data[data["method"] == ""].groupby(design_keys).size()
    tab["failed"] = [float(failed.get((n, k), 0)) / fits[(n, k)] for n, k in
                     zip(tab["n_therapists"], tab["patients_per_therapist"], strict=True)]
    order = {m: i for i, m in enumerate(METHODS)}
    tab["_m"] = tab["method"].map(order)
    return (tab.sort_values(["n_therapists", "patients_per_therapist", "time", "_m"])
            .drop(columns="_m").reset_index(drop=True))


def by_units(rows: pd.DataFrame) -> pd.DataFrame:
    """Rejection rate by method and ``units`` bin (:data:`UNIT_BINS`), over all designs.

    Columns ``method, units_from, units_to, rate, tests, mc_se`` (``units_to`` is NaN for
    the open last bin).
    """
    ok = _tested(rows)
    ok = ok[ok["units"] >= 1]
    edges = list(UNIT_BINS) + [math.inf]
    ok["units_from"] = pd.cut(ok["units"], edges, right=False, labels=list(UNIT_BINS)
                              ).astype(int)
    tab = _rates(ok.groupby(["method", "units_from"], sort=True, observed=True))
    upper = dict(zip(UNIT_BINS, [b - 1 for b in UNIT_BINS[1:]] + [math.nan], strict=True))
    tab.insert(2, "units_to", tab["units_from"].map(upper))
    order = {m: i for i, m in enumerate(METHODS)}
    tab["_m"] = tab["method"].map(order)
    return tab.sort_values(["_m", "units_from"]).drop(columns="_m").reset_index(drop=True)


def run_null(therapists, per, reps: int, seed: int, client, alpha: float = 0.05,
             chunk_size: int = 5, cache_dir=None, progress=None, code: str = ""
             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run the null study on ``client``: the rows, :func:`type1_table` and :func:`by_units`.

    Arguments as :func:`mcbi.paper.planning.replicates.plan` (``code``: the cache key's
    code version).
    """
    cells = [(int(n), int(k)) for n in sorted(set(therapists)) for k in sorted(set(per))]
    rows = power.run_replicates(NullReplicate(alpha=alpha), cells, reps, seed, client,
                                chunk_size=chunk_size, cache_dir=cache_dir,
                                progress=progress, code=code)
    return rows, type1_table(rows), by_units(rows)
