"""Monte Carlo type-I error of the between-arm change contrasts: z vs Satterthwaite vs KR.

Usage (from the repository root)::

    PYTHONPATH=src OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/type1.py \
        [--sizes 10 20 40 63] [--reps 2000] [--seed 1] [--workers 1] [--out type1.csv]

Each replicate simulates a trial with the project's generator
(:func:`mcbi.synth.simulate.simulate`, ``n_therapists`` as given, the trial's cluster sizes
and missingness), scores it, and then **permutes the arm labels among the therapists**
(one permutation per replicate; a therapist's patients follow their therapist), so that
the arm has no effect on any outcome while everything else -- clustering, change
variances, dropout -- stays as generated. For every outcome (``--outcomes``; default the
planning chapter's contrast targets: PMS, EUS-T, TECA for the therapists, two-level,
therapist intercepts; EUS-P, bond, BSI somatisation, depression and anxiety for the
patients, patients within therapists with one therapist x wave variance per wave,
``cluster_time="by_time"``) it fits the model by ML and by REML and tests the between-arm
difference in change from baseline to post and to follow-up at ``--alpha`` with

- ``z_ml``: Wald z on the ML fit (the book's present test),
- ``z_reml``: Wald z on the REML fit,
- ``satterthwaite``: *t* with Satterthwaite's df on the REML fit (lmerTest's method),
- ``kenward_roger``: *t* with Kenward-Roger's adjusted SE and df (pbkrtest's method).

A fit that fails or does not converge counts as a failure for that outcome (no test).

Prints, per number of therapists, wave and method, the rejection rate over all outcomes
and replicates with its Monte Carlo SE, the number of tests, and the CPU seconds per
replicate; ``--out`` writes the per-test rows (CSV) for further summaries. The full study
(2,000 replicates at 10, 20, 40 and 63 therapists) is long: run a small ``--reps`` first
and scale by the printed seconds per replicate.
"""

from __future__ import annotations

import argparse
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from mcbi.paper.planning.replicates import PATIENT_TARGETS, THERAPIST_TARGETS, score
from mcbi.stats.lmm import contrasts, fit_lmm
from mcbi.synth.simulate import simulate
from mcbi.trial import design

METHODS = {"z_ml": ("ml", "z"), "z_reml": ("reml", "z"),
           "satterthwaite": ("reml", "satterthwaite"),
           "kenward_roger": ("reml", "kenward-roger")}


def permute_arms(trial, rng: np.random.Generator):
    """Therapist and patient tables with the arm labels permuted among therapists."""
    arms = trial.therapists.drop_duplicates(design.THERAPIST_ID).set_index(
        design.THERAPIST_ID)[design.ARM]
    new = pd.Series(rng.permutation(arms.to_numpy()), index=arms.index)
    out = []
    for long in (trial.therapists, trial.patients):
        long = long.copy()
        dtype = long[design.ARM].dtype
        long[design.ARM] = long[design.THERAPIST_ID].map(new).astype(dtype)
        out.append(long)
    return out


def _tests(long: pd.DataFrame, outcome: str, subject: str, cluster: str | None,
           alpha: float, **kw) -> list[dict]:
    """Between-arm change tests of one outcome under every method (empty on failure)."""
    rows = []
    fits = {}
    for kind in ("ml", "reml"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = fit_lmm(long, outcome, design.ARM, design.WAVE, subject, cluster,
                              group_levels=list(design.ARMS), time_levels=list(design.WAVES),
                              alpha=alpha, reml=kind == "reml", **kw)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as err:
            return [{"outcome": outcome, "failed": f"{kind}: {err}"}]
        if not res.converged:
            return [{"outcome": outcome, "failed": f"{kind}: not converged"}]
        fits[kind] = res
    for method, (kind, ddf) in METHODS.items():
        try:
            tab = contrasts(fits[kind], alpha=alpha, ddf=ddf)
        except (ValueError, np.linalg.LinAlgError) as err:
            rows.append({"outcome": outcome, "method": method, "failed": str(err)})
            continue
        for row in tab[tab["contrast"] == "between"].itertuples():
            rows.append({"outcome": outcome, "method": method, "time": row.time,
                         "estimate": row.estimate, "se": row.se,
                         "df": getattr(row, "df", np.inf), "pvalue": row.pvalue,
                         "reject": bool(row.pvalue < alpha), "failed": ""})
    return rows


def replicate(seed: int, rep: int, n_therapists: int, outcomes: list[str],
              alpha: float) -> list[dict]:
    """All tests of one null replicate."""
    sim_seed = int(np.random.SeedSequence([seed, n_therapists, rep]).generate_state(1)[0])
    trial = score(simulate(sim_seed, n_therapists=n_therapists))
    rng = np.random.default_rng([seed, n_therapists, rep, 1])
    therapists, patients = permute_arms(trial, rng)
    rows = []
    for outcome in outcomes:
        if outcome in therapists.columns:
            found = _tests(therapists, outcome, design.THERAPIST_ID, None, alpha)
        else:
            found = _tests(patients, outcome, design.PATIENT_ID, design.THERAPIST_ID, alpha,
                           cluster_time="by_time")
        rows += [dict(r, n_therapists=n_therapists, rep=rep) for r in found]
    return rows


def _replicate_rows(seed: int, n_therapists: int, outcomes: list[str], alpha: float,
                    rep: int) -> list[dict]:
    return replicate(seed, rep, n_therapists, outcomes, alpha)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    ok = rows[rows["failed"] == ""]
    tab = ok.groupby(["n_therapists", "time", "method"], sort=False)["reject"].agg(
        rate="mean", tests="size").reset_index()
    tab["mc_se"] = np.sqrt(tab["rate"] * (1 - tab["rate"]) / tab["tests"])
    med_df = ok.groupby(["n_therapists", "time", "method"], sort=False)["df"].median()
    tab["median_df"] = med_df.to_numpy()
    return tab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 20, 40, 63])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--outcomes", nargs="+",
                        default=list(THERAPIST_TARGETS) + list(PATIENT_TARGETS))
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes (set OPENBLAS_NUM_THREADS=1)")
    parser.add_argument("--out", type=Path, default=None, help="per-test rows (CSV)")
    parser.add_argument("--summary", type=Path, default=None,
                        help="summary CSV for the book's appendix, with a .meta.json record")
    parser.add_argument("--from-rows", type=Path, default=None,
                        help="summarise the per-test rows of an earlier run instead of running")
    args = parser.parse_args()
    if args.from_rows is not None:
        rows = pd.read_csv(args.from_rows, keep_default_na=False,
                           na_values={"estimate": [""], "se": [""], "df": [""], "pvalue": [""]})
        rows["reject"] = rows["reject"].astype(str) == "True"
        rows["df"] = pd.to_numeric(rows["df"], errors="coerce")
        sizes = " ".join(map(str, sorted(rows["n_therapists"].unique())))
        reps = int(rows["rep"].max()) + 1
        write_summary(rows, args.summary, seed=args.seed, reps=reps, command=(
            f"benchmarks/type1.py --sizes {sizes} --reps {reps} --seed {args.seed}"))
        return
    all_rows = []
    pool = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    try:
        for n in args.sizes:
            start, wall = time.process_time(), time.perf_counter()
            run = partial(_replicate_rows, args.seed, n, args.outcomes, args.alpha)
            reps = range(args.reps)
            for rows in (pool.map(run, reps) if pool else map(run, reps)):
                all_rows += rows
            cpu = (time.process_time() - start) / args.reps
            per = (time.perf_counter() - wall) / args.reps
            what = (f"{per:.2f} s wall per replicate with {args.workers} workers" if pool
                    else f"{cpu:.2f} s CPU per replicate")
            print(f"{n} therapists: {args.reps} replicates, {what} "
                  f"({len(args.outcomes)} outcomes, ML + REML fits each)", flush=True)
    finally:
        if pool:
            pool.shutdown()
    rows = pd.DataFrame(all_rows)
    failed = rows[rows["failed"] != ""]
    if len(failed):
        print(f"{len(failed)} failed fits or tests (first: {failed['failed'].iloc[0]})")
    tab = summary(rows)
    with pd.option_context("display.width", 120):
        print(tab.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(".tmp")
        rows.to_csv(tmp, index=False)
        tmp.replace(args.out)
    if args.summary is not None:
        write_summary(rows, args.summary, command=(
            f"benchmarks/type1.py --sizes {' '.join(map(str, args.sizes))} --reps {args.reps}"
            f" --seed {args.seed}"), reps=args.reps, seed=args.seed)


def write_summary(rows: pd.DataFrame, path: Path, command: str, reps: int, seed: int) -> None:
    """Write :func:`summary` of ``rows`` to ``path`` and its record beside it."""
    import json
    import subprocess
    from datetime import UTC, datetime

    path.parent.mkdir(parents=True, exist_ok=True)
    summary(rows).to_csv(path, index=False, float_format="%.6g", lineterminator="\n")
    commit = subprocess.run(["git", "-C", str(Path(__file__).resolve().parent), "rev-parse",
                             "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    meta = {"command": command, "reps": reps, "seed": seed, "code_commit": commit or "unknown",
            "date_utc": datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")}
    path.with_name(path.stem + ".meta.json").write_text(
        json.dumps(meta, indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {path} and its .meta.json")


if __name__ == "__main__":
    main()
