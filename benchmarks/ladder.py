"""Does the mechanism ladder give an estimate on real-looking data, and is it right?

Usage (from the repository root)::

    PYTHONPATH=src .venv/bin/python benchmarks/ladder.py [--draws 200] [--reps 20] [--workers 2] \
        [--summary benchmarks/results/ladder.csv]

``--summary`` writes the per-kind table (:func:`summarize`) as CSV and, beside it,
``<name>.meta.json`` with the command, seeds, counts, date, code commit and the hash of the
model code that ran (:func:`mcbi.paper.mechanism.evidence.ladder_code_version`, taken at the
start); the book's appendix reads both (:mod:`mcbi.paper.mechanism.evidence`) and says
whether that model code is the build's.

Data sets scored (each through :func:`mcbi.trial.data.load` on a written package, then
:func:`~mcbi.paper.mechanism.model.change_data`, then
:func:`~mcbi.paper.mechanism.ladder.fit_ladder`):

- ``synthetic``: fresh synthetic trials, ``simulate(seed)`` for seeds 5000, 5001, ...;
- perturbed copies of the shipped package ``data/trial`` (``--reps`` each): ``noise5``
  (5 % of the answered item cells replaced by another allowed value), ``drop13`` (13
  randomly chosen therapists and their patients removed), ``missing10/20/30`` (that share
  of item cells blanked), ``one_per_therapist`` (one randomly chosen patient per therapist).

Truth. The generator's paths are defined on latent change scores
(:func:`mcbi.paper.mechanism.model.true_paths`). The model is fitted to observed scale-score
changes, whose units (response scale × mean loading) and measurement error (which
attenuates the between-only ΔPMS) differ, so the latent values are not what the estimator
estimates. The reference for bias and coverage is therefore the *pseudo-true value*: the
same rung's model fitted to all synthetic draws pooled (therapists of different draws are
different clusters; about 12,600 therapists), i.e. the large-sample value of the estimator
on data from this generator. Latent-scale values are printed beside it. Coverage is
reported for the synthetic draws only (the perturbed sets share one underlying draw).

Also prints the time of one whole ladder on the shipped data (median of 5; wall-clock and
CPU, since other processes on a shared machine inflate the wall-clock time).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per worker process

import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from mcbi.paper.mechanism import model as mechanism  # noqa: E402
from mcbi.paper.mechanism.evidence import ladder_code_version  # noqa: E402
from mcbi.paper.mechanism.ladder import RUNGS, fit_ladder, mechanism_values  # noqa: E402
from mcbi.stats.msem import fit  # noqa: E402
from mcbi.synth.simulate import write_package  # noqa: E402
from mcbi.trial import design  # noqa: E402
from mcbi.trial.data import load  # noqa: E402
from mcbi.trial.instruments import instruments_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "trial"
PERTURBATIONS = ("noise5", "drop13", "missing10", "missing20", "missing30",
                 "one_per_therapist")
_RESPONSES = {design.THERAPIST_RESPONSES_FILE: "therapist",
              design.PATIENT_RESPONSES_FILE: "patient"}


def _read(path: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(path / name, dtype=str, keep_default_na=False)


def _item_cols(frame: pd.DataFrame, respondent: str) -> dict[str, object]:
    owner = {}
    for ins in instruments_for(respondent):
        for col in ins.item_columns:
            if col in frame.columns:
                owner[col] = ins
    return owner


def perturb(kind: str, rng: np.random.Generator, src: Path = SHIPPED) -> dict[str, pd.DataFrame]:
    """The shipped package's four tables with perturbation ``kind`` applied."""
    tables = {n: _read(src, n) for n in (design.THERAPISTS_FILE, design.PATIENTS_FILE,
                                         *_RESPONSES)}
    tid, pid = design.THERAPIST_ID, design.PATIENT_ID
    if kind in ("drop13", "one_per_therapist"):
        pats = tables[design.PATIENTS_FILE]
        if kind == "drop13":
            ther = tables[design.THERAPISTS_FILE][tid].to_numpy()
            gone = set(rng.choice(ther, 13, replace=False))
            tables[design.THERAPISTS_FILE] = tables[design.THERAPISTS_FILE][
                ~tables[design.THERAPISTS_FILE][tid].isin(gone)]
            keep = pats[~pats[tid].isin(gone)][pid]
            resp = tables[design.THERAPIST_RESPONSES_FILE]
            tables[design.THERAPIST_RESPONSES_FILE] = resp[~resp[tid].isin(gone)]
        else:
            keep = pats.groupby(tid)[pid].agg(lambda s: rng.choice(s.to_numpy()))
        tables[design.PATIENTS_FILE] = pats[pats[pid].isin(set(keep))]
        resp = tables[design.PATIENT_RESPONSES_FILE]
        tables[design.PATIENT_RESPONSES_FILE] = resp[resp[pid].isin(set(keep))]
        return tables
    for name, respondent in _RESPONSES.items():
        frame = tables[name].copy()
        for col, ins in _item_cols(frame, respondent).items():
            answered = (frame[col] != "").to_numpy()
            if kind == "noise5":
                hit = answered & (rng.random(len(frame)) < 0.05)
                allowed = [v for v in range(ins.low, ins.high + 1)
                           if v not in ins.excluded_values]
                old = frame.loc[hit, col].astype(int).to_numpy()
                new = [rng.choice([v for v in allowed if v != o]) for o in old]
                frame.loc[hit, col] = [str(v) for v in new]
            else:
                share = int(kind.removeprefix("missing")) / 100
                frame.loc[answered & (rng.random(len(frame)) < share), col] = ""
        tables[name] = frame
    return tables


def _change_from_tables(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    tmp = Path(tempfile.mkdtemp(prefix="ladder_"))
    try:
        shutil.copy(SHIPPED / "datapackage.json", tmp / "datapackage.json")
        for name, frame in tables.items():
            frame.to_csv(tmp / name, index=False, lineterminator="\n")
        return mechanism.change_data(load(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def synthetic_change(seed: int) -> pd.DataFrame:
    """Observed change data of a fresh synthetic trial (written, validated, loaded)."""
    tmp = Path(tempfile.mkdtemp(prefix="ladder_"))
    try:
        return mechanism.change_data(load(write_package(tmp, seed)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def evaluate(task: tuple[str, int]) -> tuple[dict, pd.DataFrame]:
    """Ladder on one data set: (row of results, the change data)."""
    kind, seed = task
    if kind == "synthetic":
        data = synthetic_change(seed)
    else:
        data = _change_from_tables(perturb(kind, np.random.default_rng(seed)))
    start = time.perf_counter()
    ladder = fit_ladder(data)
    values = mechanism_values(ladder, n_draws=20000, seed=seed)
    row = {"kind": kind, "seed": seed, "seconds": time.perf_counter() - start,
           "rung": values["mechanism_model"] or "none",
           "tried": len(ladder.outcomes), "reason": values["mechanism_reason"],
           "first_failure": next((f"{o.rung.name}: {_short(o.reasons[0])}"
                                  for o in ladder.outcomes if not o.passed), ""),
           "last_failure": next((f"{o.rung.name}: {_short(o.reasons[0])}"
                                 for o in reversed(ladder.outcomes) if not o.passed), "")}
    row.update({k: v for k, v in values.items() if isinstance(v, float)})
    return row, data


def _reason_kind(failure: str) -> str:
    """'rung: reason' -> the kind of reason, for the summary (e.g. 'too little data')."""
    text = failure.split(": ", 1)[-1]
    for kind in ("too little data", "not identified", "not converged", "inadmissible",
                 "standard errors not available", "fit failed", "no data"):
        if text.startswith(kind):
            return kind
    return text


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out + (" (with uncommitted changes)" if dirty else "")


def write_summary(summary: pd.DataFrame, path: Path, args: argparse.Namespace,
                  elapsed: float, commit: str, model_code: str) -> None:
    """The summary CSV and its sidecar ``<stem>.meta.json`` (command, seeds, date, commit
    and model code at the start of the run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(path, index=False, float_format="%.6g", lineterminator="\n")
    meta = {"command": "PYTHONPATH=src .venv/bin/python benchmarks/ladder.py "
                       + " ".join(sys.argv[1:]),
            "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "code_commit": commit, "model_code": model_code,
            "synthetic_seeds": f"{args.first}-{args.first + args.draws - 1}",
            "perturbation_seeds": f"100-{100 + args.reps - 1}",
            "truth_seeds": f"{TRUTH_SEED}-{TRUTH_SEED + args.truth_draws - 1}",
            "draws": args.draws, "reps": args.reps, "truth_draws": args.truth_draws,
            "minutes": round(elapsed / 60, 1)}
    path.with_suffix(".meta.json").write_text(json.dumps(meta, indent=1) + "\n")


def _short(reason: str) -> str:
    """A reason without its numbers, for counting."""
    return reason.split(" = ")[0].split(" (")[0].split(";")[0]


TRUTH_SEED = 900000


def truth_frames(n: int, workers: int) -> list[pd.DataFrame]:
    """Observed change data of ``n`` synthetic draws reserved for the pseudo-truth."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(synthetic_change, range(TRUTH_SEED, TRUTH_SEED + n),
                             chunksize=4))


def pseudo_truth(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """a, b and a*b of every rung's model fitted to the pooled synthetic draws."""
    pooled = pd.concat([f.assign(**{mechanism.CLUSTER: f"{k}_" + f[mechanism.CLUSTER]})
                        for k, f in enumerate(frames)], ignore_index=True)
    rows = {}
    for rung in RUNGS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fit(rung.model, pooled, cluster=mechanism.CLUSTER, bounds=rung.bounds,
                      saturated=False, se=False)
        est = res.estimates.set_index("label")["estimate"]
        rows[rung.name] = {"a": est["a"], "b": est["b"], "ab": est["a"] * est["b"],
                           "converged": res.converged}
    return pd.DataFrame(rows).T


def latent_truth() -> dict[str, float]:
    tp = mechanism.true_paths().set_index("label")["true"]
    return {"a": float(tp["a"]), "b": float(tp["b"]), "ab": float(tp["a"] * tp["b"])}


def shipped_values() -> dict[str, float]:
    """a, b, a*b of the ladder on the unperturbed shipped package."""
    values = mechanism_values(fit_ladder(mechanism.change_data(load(SHIPPED))))
    return {"a": values["path_a"], "b": values["path_b"], "ab": values["indirect_ab"]}


def summarize(res: pd.DataFrame, truth: pd.DataFrame,
              shipped: dict[str, float] | None = None) -> pd.DataFrame:
    """Per kind of data set: share with an estimate, rungs used, bias and coverage.

    Synthetic draws: bias and coverage vs the pseudo-true value of the rung used.
    Perturbed copies of the shipped package: ``bias`` is the mean shift from the
    estimate on the unperturbed package (``shipped``); no coverage.
    """
    out = []
    for kind, grp in res.groupby("kind", sort=False):
        ok = grp[grp["rung"] != "none"]
        row = {"kind": kind, "n": len(grp), "estimate_%": 100 * len(ok) / len(grp)}
        for rung in RUNGS:
            row[rung.name] = int((grp["rung"] == rung.name).sum())
        row["none"] = int((grp["rung"] == "none").sum())
        reasons = grp.loc[grp["rung"] == "none", "last_failure"].map(_reason_kind)
        row["none_reason"] = reasons.mode().iloc[0] if len(reasons) else ""
        row["s_median"] = grp["seconds"].median()
        for p, col, lo, hi in (("a", "path_a", "path_a_ci_lower", "path_a_ci_upper"),
                               ("b", "path_b", "path_b_ci_lower", "path_b_ci_upper"),
                               ("ab", "indirect_ab", "indirect_ab_ci_lower",
                                "indirect_ab_ci_upper")):
            if kind == "synthetic" or shipped is None:
                true = ok["rung"].map(truth[p]).astype(float)
            else:
                true = pd.Series(shipped[p], index=ok.index)
            row[f"{p}_mean"] = ok[col].mean()
            row[f"{p}_bias"] = (ok[col] - true).mean()
            cover = (ok[lo] <= true) & (true <= ok[hi])
            row[f"{p}_cover%"] = 100 * cover.mean() if kind == "synthetic" else np.nan
        out.append(row)
    return pd.DataFrame(out)


def run(draws: int, first: int, reps: int, workers: int) -> tuple[pd.DataFrame, list]:
    """Evaluate every data set; return the rows and the synthetic change data."""
    tasks = [("synthetic", s) for s in range(first, first + draws)]
    tasks += [(k, 100 + r) for k in PERTURBATIONS for r in range(reps)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(evaluate, tasks, chunksize=4))
    rows = pd.DataFrame([r for r, _ in done])
    return rows, [d for (r, d) in done if r["kind"] == "synthetic"]


def time_ladder(reps: int = 5) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of the ladder plus contract values (shipped data)."""
    data = mechanism.change_data(load(SHIPPED))
    fit_ladder(data)
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        lad = fit_ladder(data)
        mechanism_values(lad)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--first", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--truth-draws", type=int, default=200)
    parser.add_argument("--out", type=Path, default=None, help="CSV of per-data-set rows")
    parser.add_argument("--summary", type=Path, default=None,
                        help="CSV of the per-kind summary (+ .meta.json) for the book")
    args = parser.parse_args()
    commit = _commit()  # the code that runs, not whatever is checked out when it ends
    model_code = ladder_code_version()
    wall, cpu = time_ladder()
    print(f"one ladder on the shipped data: {wall:.2f} s wall-clock, {cpu:.2f} s CPU "
          f"(median of 5; load average {os.getloadavg()[0]:.1f})")
    t0 = time.perf_counter()
    rows, _ = run(args.draws, args.first, args.reps, args.workers)
    truth = pseudo_truth(truth_frames(args.truth_draws, args.workers))
    elapsed = time.perf_counter() - t0
    if args.out:
        rows.to_csv(args.out, index=False)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    print(f"\n{len(rows)} data sets in {elapsed / 60:.1f} min ({args.workers} workers)")
    print(f"\nPseudo-true values (each rung's model on {args.truth_draws} further synthetic "
          "draws pooled):")
    print(truth.to_string(float_format=lambda x: f"{x:.4f}"))
    print(f"Latent-scale generator values (true_paths): {latent_truth()}")
    shipped = shipped_values()
    print(f"Ladder on the unperturbed shipped package: {shipped}")
    print("\nLadder results. synthetic: bias vs the pseudo-true value of the rung used, "
          "coverage of 95 % intervals (Wald for a, b; Monte Carlo for a*b). Perturbed "
          "kinds: bias = mean shift from the unperturbed shipped estimate.")
    summary = summarize(rows, truth, shipped)
    print(summary.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    if args.summary:
        write_summary(summary, args.summary, args, elapsed, commit, model_code)
    for col in ("first_failure", "last_failure"):
        fails = rows[rows[col] != ""].groupby(["kind", col]).size()
        if len(fails):
            print(f"\n{col.replace('_', ' ')} (rung: first reason; count):")
            print(fails.to_string())


if __name__ == "__main__":
    main()
