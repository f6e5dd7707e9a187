"""Time mcbi.stats.msem.fit against lavaan on the fixture models (same data, same run).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_msem.py [--reps 7]

For each model in tests/fixtures/lavaan/models.json the full fit is timed: estimation,
standard errors, saturated and baseline models and fit measures — in Python
``mcbi.stats.msem.fit`` (after one warm-up call; import time excluded) and, when ``Rscript`` with
lavaan is available, ``lavaan::sem(..., cluster=, fixed.x = FALSE, missing=)`` inside
``system.time`` (after one warm-up call). Medians over ``--reps`` repetitions are reported
in benchmarks/results/msem.txt and msem.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from mcbi.stats.msem import fit

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
                **options) -> list[float]:
    """Wall-clock seconds of ``reps`` calls of :func:`mcbi.stats.msem.fit` after a warm-up.

    ``options`` go to ``fit`` (e.g. ``bounds="pos.var", starts="multi"``).
    """
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(model, data, cluster="cluster", missing=missing, **options)
        for _ in range(reps):
            start = time.perf_counter()
            fit(model, data, cluster="cluster", missing=missing, **options)
            times.append(time.perf_counter() - start)
    return times


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
    args = parser.parse_args(argv)
    models = json.loads((FIXTURES / "models.json").read_text())
    lav = time_lavaan(args.reps)
    rows = []
    for name, spec in models.items():
        data = pd.read_csv(FIXTURES / spec["data"])
        py = statistics.median(time_python(spec["model"], data, spec["missing"], args.reps))
        bounded = statistics.median(time_python(spec["model"], data, spec["missing"],
                                                args.reps, bounds="pos.var", starts="multi"))
        r = statistics.median(lav[name]) if lav else float("nan")
        rows.append({"model": name, "rows": len(data), "clusters": data["cluster"].nunique(),
                     "mcbi_s": py, "lavaan_s": r, "ratio": py / r if lav else float("nan"),
                     "mcbi_bounded_multi_s": bounded})
    table = pd.DataFrame(rows)
    header = (f"mcbi.stats.msem vs lavaan: median wall-clock seconds of a full fit over "
              f"{args.reps} "
              f"repetitions (estimates, SEs, H1, baseline, fit measures); "
              f"mcbi_bounded_multi_s: fit(..., bounds='pos.var', starts='multi')\n"
              f"python {platform.python_version()}, {platform.machine()}; "
              + (f"{lav['r_version']}, lavaan {lav['lavaan_version']}" if lav
                 else "lavaan not available") + "\n")
    text = header + table.to_string(index=False, float_format=lambda v: f"{v:.3f}") + "\n"
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "msem.txt").write_text(text)
    meta = {"reps": args.reps, "python": platform.python_version(),
            "r_version": lav["r_version"] if lav else None,
            "lavaan_version": lav["lavaan_version"] if lav else None,
            "results": rows}
    (RESULTS / "msem.json").write_text(json.dumps(meta, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
