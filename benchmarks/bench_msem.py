"""Time mcbi.stats.msem.fit against lavaan on the fixture models (same data, same run).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_msem.py [--reps 7]

For each model in tests/fixtures/lavaan/models.json the full fit is timed: estimation,
standard errors, saturated and baseline models and fit measures — in Python
``mcbi.stats.msem.fit`` (after one warm-up call; import time excluded) and, when ``Rscript`` with
lavaan is available, ``lavaan::sem(..., cluster=, fixed.x = FALSE, missing=)`` inside
``system.time`` (after one warm-up call). The book's mechanism model on the shipped data
(:func:`mcbi.paper.mechanism.model.change_data` of ``data/trial``) is timed too: one ``fit`` with
the ladder's options (``starts="multi"``, ``saturated=False``, ``max_iter=MAX_ITER``) and
the whole :func:`mcbi.paper.mechanism.ladder.fit_ladder` (no lavaan counterpart). Medians over
``--reps`` repetitions, wall-clock and CPU (process) time, are reported in
benchmarks/results/<out>.txt and <out>.json (``--out``, default ``msem``), with the
machine's load average at the start and the end (wall-clock times on a loaded machine are
noisier than CPU times).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
from _timing import median_times

from mcbi.paper.mechanism.ladder import MAX_ITER, fit_ladder
from mcbi.paper.mechanism.model import CLUSTER, MODEL, change_data
from mcbi.stats.msem import fit
from mcbi.trial.data import load

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "lavaan"
RESULTS = ROOT / "benchmarks" / "results"

R_SCRIPT = r"""
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
here <- args[1]; reps <- as.integer(args[2])
models <- fromJSON(file.path(here, "models.json"), simplifyVector = FALSE)
out <- list(r_version = R.version.string, lavaan_version = as.character(packageVersion("lavaan")))
for (name in names(models)) {
  spec <- models[[name]]
  data <- read.csv(file.path(here, spec$data))
  data <- data[order(data$cluster), ]   # lavaan issue #379
  pt <- lavaanify(spec$model)
  lv1 <- intersect(unique(c(pt$lhs[pt$level %in% c("1", "within")],
                            pt$rhs[pt$level %in% c("1", "within")])), names(data))
  data <- data[rowSums(!is.na(data[, lv1, drop = FALSE])) > 0, ]
  run <- function() suppressWarnings(sem(spec$model, data = data, cluster = "cluster",
                                         fixed.x = FALSE, missing = spec$missing))
  invisible(run())
  times <- sapply(seq_len(reps), function(i) system.time(run())[["elapsed"]])
  out[[name]] <- times
}
cat(toJSON(out, digits = NA, auto_unbox = TRUE))
"""


def time_python(model: str, data: pd.DataFrame, missing: str, reps: int,
                cluster: str = "cluster", **options) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of :func:`mcbi.stats.msem.fit` (``median_times``).

    ``options`` go to ``fit`` (e.g. ``bounds="pos.var", starts="multi"``).
    """
    return median_times(lambda: fit(model, data, cluster=cluster, missing=missing, **options),
                     reps)


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages (and the number of CPUs)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unavailable"
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def time_lavaan(reps: int) -> dict | None:
    """Timings from lavaan, or None when Rscript/lavaan are unavailable."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(R_SCRIPT)
    proc = subprocess.run(["Rscript", fh.name, str(FIXTURES), str(reps)],
                          capture_output=True, text=True, check=False)
    Path(fh.name).unlink()
    if proc.returncode != 0:
        print("lavaan timing failed:\n" + proc.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--out", default="msem", help="stem of the result files")
    parser.add_argument("--no-lavaan", action="store_true", help="skip the lavaan timings")
    parser.add_argument("--note", default="", help="a line added to the header")
    args = parser.parse_args(argv)
    load_start = load_average()
    models = json.loads((FIXTURES / "models.json").read_text())
    lav = None if args.no_lavaan else time_lavaan(args.reps)
    rows = []
    for name, spec in models.items():
        data = pd.read_csv(FIXTURES / spec["data"])
        py, py_cpu = time_python(spec["model"], data, spec["missing"], args.reps)
        bounded, _ = time_python(spec["model"], data, spec["missing"], args.reps,
                                 bounds="pos.var", starts="multi")
        r = statistics.median(lav[name]) if lav else float("nan")
        rows.append({"model": name, "rows": len(data), "clusters": data["cluster"].nunique(),
                     "mcbi_s": py, "mcbi_cpu_s": py_cpu, "lavaan_s": r,
                     "ratio": py / r if lav else float("nan"),
                     "mcbi_bounded_multi_s": bounded})
    mech = change_data(load(ROOT / "data" / "trial"))
    ladder_options = {"starts": "multi", "saturated": False, "max_iter": MAX_ITER}
    one, one_cpu = time_python(MODEL, mech, "ml", args.reps, cluster=CLUSTER,
                               **ladder_options)
    bounded, _ = time_python(MODEL, mech, "ml", args.reps, cluster=CLUSTER,
                             bounds="pos.var", **ladder_options)
    lad, lad_cpu = median_times(lambda: fit_ladder(mech), args.reps)
    common = {"rows": len(mech), "clusters": mech[CLUSTER].nunique(),
              "lavaan_s": float("nan"), "ratio": float("nan")}
    rows.append({"model": "mechanism_fit", **common, "mcbi_s": one, "mcbi_cpu_s": one_cpu,
                 "mcbi_bounded_multi_s": bounded})
    rows.append({"model": "mechanism_ladder", **common, "mcbi_s": lad, "mcbi_cpu_s": lad_cpu,
                 "mcbi_bounded_multi_s": float("nan")})
    table = pd.DataFrame(rows)
    header = (f"mcbi.stats.msem vs lavaan: median seconds of a full fit over {args.reps} "
              f"repetitions (estimates, SEs, H1, baseline, fit measures); "
              f"mcbi_bounded_multi_s: fit(..., bounds='pos.var', starts='multi') (wall)\n"
              "mechanism_fit: the book's mechanism model on data/trial with the ladder's "
              "options (starts='multi', saturated=False, max_iter=MAX_ITER; no H1); "
              "mechanism_ladder: the whole fit_ladder\n"
              f"python {platform.python_version()}, {platform.machine()}; "
              + (f"{lav['r_version']}, lavaan {lav['lavaan_version']}" if lav
                 else "lavaan not timed") + "\n"
              f"{load_start} at the start, {load_average()} at the end\n"
              + (args.note + "\n" if args.note else ""))
    text = header + table.to_string(index=False, float_format=lambda v: f"{v:.3f}") + "\n"
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.txt").write_text(text)
    meta = {"reps": args.reps, "python": platform.python_version(),
            "r_version": lav["r_version"] if lav else None,
            "lavaan_version": lav["lavaan_version"] if lav else None,
            "load_start": load_start, "load_end": load_average(), "note": args.note,
            "results": rows}
    (RESULTS / f"{args.out}.json").write_text(json.dumps(meta, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
