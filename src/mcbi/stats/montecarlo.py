"""A deterministic, resumable Monte Carlo engine on ``dask.distributed``.

General, nothing of the trial: a *replicate function* ``fn(cell, seed) -> list of dict``
simulates one data set for a design ``cell`` (a tuple of integers) and returns one row per
target (``target, estimate, ci_lower, ci_upper, significant, truth, failed`` and anything
else). :func:`run_replicates` runs every replicate of every cell on a Dask cluster in
chunks, caches each finished chunk as JSON, and returns the rows; :func:`summarise` turns
them into power, its Monte Carlo SE, bias, coverage and failure shares.

Determinism: replicate ``r`` of cell ``c`` uses the seed of
``SeedSequence(seed, spawn_key=(*c, r))`` (what ``SeedSequence(seed).spawn`` gives, indexed
by the design itself), so a cell's results do not depend on the other cells of the grid,
on the chunking, on the number of workers or on the order in which chunks finish.

The replicate function is pluggable: :class:`TwoMeans` (a difference of two independent
normal means, whose power is known in closed form, :func:`two_means_power`) runs through
the same machinery and validates it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

Cell = tuple[int, ...]
Replicate = Callable[[Cell, int], list[dict]]

_LOGGERS = ("distributed", "tornado", "bokeh", "asyncio")


def replicate_seed(seed: int, cell: Cell, rep: int) -> int:
    """The integer seed of replicate ``rep`` of ``cell`` (a 64-bit draw of its SeedSequence)."""
    if rep < 0 or any(int(c) < 0 for c in cell):
        raise ValueError("cell values and replicate index must be non-negative")
    seq = np.random.SeedSequence(int(seed), spawn_key=(*map(int, cell), int(rep)))
    return int(seq.generate_state(1, np.uint64)[0])


def chunks(cells: Sequence[Cell], reps: int, chunk_size: int) -> list[tuple[Cell, int, int]]:
    """``(cell, first, stop)`` replicate ranges: every cell cut into ``chunk_size`` pieces."""
    if reps < 1 or chunk_size < 1:
        raise ValueError("reps and chunk_size must be at least 1")
    return [(tuple(cell), lo, min(lo + chunk_size, reps))
            for cell in cells for lo in range(0, reps, chunk_size)]


def run_chunk(fn: Replicate, seed: int, cell: Cell, first: int, stop: int) -> list[dict]:
    """Run replicates ``first..stop-1`` of ``cell``; rows carry ``cell`` and ``rep``."""
    rows = []
    for rep in range(first, stop):
        for row in fn(cell, replicate_seed(seed, cell, rep)):
            rows.append({"cell": list(cell), "rep": rep, **row})
    return rows


def cache_key(fn: Replicate, seed: int, extra: str = "", code: str = "") -> str:
    """Cache folder name for a replicate function (its ``repr``), seed, ``extra`` and
    ``code`` (the version of the code the replicates run)."""
    text = json.dumps([repr(fn), int(seed), code, extra])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _chunk_file(folder: Path, cell: Cell, first: int, stop: int) -> Path:
    return folder / f"cell-{'x'.join(map(str, cell))}-reps-{first}-{stop}.json"


@contextmanager
def quiet_logs(level: int = logging.CRITICAL) -> Iterator[None]:
    """Silence the loggers of distributed (and its web stack) inside the block."""
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    old = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(level)
    try:
        yield
    finally:
        for lg, lvl in zip(loggers, old, strict=True):
            lg.setLevel(lvl)


@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 1) -> Iterator[object]:
    """A ``distributed.Client``: to ``scheduler`` if given, else to a new ``LocalCluster``.

    The local cluster has ``workers`` processes with one thread each, no dashboard, and
    listens on 127.0.0.1 only; it is closed when the block ends. With ``workers=1`` the one
    worker is a thread of this process (no process to start and no second import of the
    package; the results are the same), and BLAS is limited to one thread in this process
    while the block runs, as Dask does for its worker processes. An existing scheduler is
    used as it is and left running.

    Raises
    ------
    ValueError
        If ``scheduler`` cannot be reached, or ``workers`` is below 1.
    """
    from distributed import Client, LocalCluster

    with quiet_logs():
        if scheduler:
            try:
                client = Client(scheduler)
            except (OSError, ValueError, TypeError) as exc:
                raise ValueError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
            cluster = None
        else:
            if workers < 1:
                raise ValueError("workers must be at least 1")
            local = {"processes": True, "host": "127.0.0.1"} if workers > 1 else {
                "processes": False}  # one worker: a thread here, in-process transport
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                   dashboard_address=None, silence_logs=logging.CRITICAL,
                                   # the workers' and scheduler's health/metrics servers:
                                   # local, any port
                                   worker_dashboard_address="127.0.0.1:0",
                                   scheduler_kwargs={"dashboard": False,
                                                     "dashboard_address": "127.0.0.1:0"},
                                   **local)
            client = Client(cluster)
    # one BLAS thread for the fits, as Dask gives its worker processes: the in-process
    # worker of workers=1 computes here
    limits = threadpool_limits(1) if cluster is not None and workers == 1 else nullcontext()
    try:
        with limits:
            yield client
    finally:
        with quiet_logs():
            client.close()
            if cluster is not None:
                cluster.close()


def run_replicates(fn: Replicate, cells: Sequence[Cell], reps: int, seed: int, client,
                   chunk_size: int = 5, cache_dir: Path | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   code: str = "") -> pd.DataFrame:
    """Run ``reps`` replicates of every cell on ``client``; return the rows, sorted.

    Parameters
    ----------
    fn : callable
        Replicate function ``fn(cell, seed) -> list of dict`` (picklable; its ``repr``
        names it in the cache key, so give it a ``repr`` that shows its parameters).
    cells : sequence of tuple of int
        Design cells.
    reps, seed : int
        Replicates per cell; the seed every replicate's seed is spawned from.
    client : distributed.Client
        Where the chunks run.
    chunk_size : int
        Replicates per task (and per cache file).
    cache_dir : Path, optional
        Finished chunks are written under ``cache_dir/<cache_key>/`` and read back on a
        later call instead of being recomputed (an interrupted run resumes).
    progress : callable, optional
        Called as ``progress(done, total)`` (replicates) after every finished chunk.
    code : str
        Version of the code the replicates run (part of the cache key; e.g. a hash of the
        caller's package), so that changed code is not served from an old cache.

    Returns
    -------
    pandas.DataFrame
        One row per replicate and target; ``cell`` (a tuple) and ``rep`` first, sorted by
        cell, replicate and the order of the replicate function's rows.
    """
    from distributed import as_completed

    todo = chunks(cells, reps, chunk_size)
    folder = None if cache_dir is None else Path(cache_dir) / cache_key(fn, seed, code=code)
    done: dict[tuple, list[dict]] = {}
    pending = []
    for cell, first, stop in todo:
        path = None if folder is None else _chunk_file(folder, cell, first, stop)
        if path is not None and path.is_file():
            done[(cell, first)] = json.loads(path.read_text("utf-8"))
        else:
            pending.append((cell, first, stop, path))
    total = len(cells) * reps
    count = sum(stop - first for cell, first, stop in todo if (cell, first) in done)
    if progress is not None:
        progress(count, total)
    if pending:
        futures = {client.submit(run_chunk, fn, seed, cell, first, stop, pure=False):
                   (cell, first, stop, path) for cell, first, stop, path in pending}
        for future in as_completed(futures):
            cell, first, stop, path = futures[future]
            rows = future.result()
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(rows), "utf-8")
                tmp.replace(path)
            done[(cell, first)] = rows
            count += stop - first
            if progress is not None:
                progress(count, total)
    rows = [row for key in sorted(done) for row in done[key]]
    frame = pd.DataFrame(rows)
    frame["cell"] = [tuple(c) for c in frame["cell"]]
    frame["_order"] = frame.groupby(["cell", "rep"]).cumcount()
    frame = frame.sort_values(["cell", "rep", "_order"], kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Power, Monte Carlo SE, bias, coverage and failure share per cell and target.

    ``power`` is the share of replicates whose test or interval excludes zero among those
    that did not fail, ``power_mcse = sqrt(power (1 - power) / n_ok)``; ``bias`` is the mean
    of ``estimate - truth`` and ``coverage`` the share of intervals holding ``truth``
    (both NaN without a truth); ``failed`` is the share of replicates whose fit failed
    (not converged, refused, or flagged by the replicate function).
    """
    out = []
    for (cell, target), grp in rows.groupby(["cell", "target"], sort=True):
        ok = grp[~grp["failed"].astype(bool)]
        n_ok = len(ok)
        power = float(ok["significant"].astype(float).mean()) if n_ok else math.nan
        mcse = math.sqrt(power * (1 - power) / n_ok) if n_ok else math.nan
        err = ok["estimate"].astype(float) - ok["truth"].astype(float)
        cover = ((ok["ci_lower"] <= ok["truth"]) & (ok["truth"] <= ok["ci_upper"]))
        has_truth = ok["truth"].notna()
        out.append({"cell": cell, "target": target, "reps": len(grp), "n_ok": n_ok,
                    "power": power, "power_mcse": mcse,
                    "bias": float(err[has_truth].mean()) if has_truth.any() else math.nan,
                    "coverage": (float(cover[has_truth].mean()) if has_truth.any()
                                 else math.nan),
                    "failed": 1 - n_ok / len(grp)})
    return pd.DataFrame(out)


def to_csv(table: pd.DataFrame, path: Path | None = None, digits: int = 6) -> str:
    """The table as CSV text with fixed float formatting (``%.{digits}f``), LF line ends."""
    text = table.to_csv(index=False, float_format=f"%.{digits}f", lineterminator="\n",
                        na_rep="NA")
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, "utf-8")
    return text


def two_means_power(delta: float, sd: float, n: int, alpha: float = 0.05) -> float:
    """Power of the two-sided z test of two independent normal means, ``n`` per group.

    ``Φ(δ/SE − z) + Φ(−δ/SE − z)`` with ``SE = sd sqrt(2/n)`` and ``z = z_{1−α/2}``.
    """
    from scipy.stats import norm

    if n < 1 or sd <= 0 or not 0 < alpha < 1:
        raise ValueError("need n >= 1, sd > 0 and 0 < alpha < 1")
    se, z = sd * math.sqrt(2.0 / n), norm.ppf(1 - alpha / 2)
    return float(norm.cdf(delta / se - z) + norm.cdf(-delta / se - z))


@dataclass(frozen=True)
class TwoMeans:
    """Replicate function: two groups of ``cell[0]`` normal draws, SD known, z test.

    Target ``"difference"``: the difference of the means (truth ``delta``) with its Wald
    interval; ``significant`` when the two-sided p-value is below ``alpha``.
    """

    delta: float
    sd: float = 1.0
    alpha: float = 0.05

    def __call__(self, cell: Cell, seed: int) -> list[dict]:
        from scipy.stats import norm

        n = int(cell[0])
        rng = np.random.default_rng(seed)
        a = rng.normal(self.delta, self.sd, n)
        b = rng.normal(0.0, self.sd, n)
        est, se = float(a.mean() - b.mean()), self.sd * math.sqrt(2.0 / n)
        z = float(norm.ppf(1 - self.alpha / 2))
        p = float(2 * norm.sf(abs(est) / se))
        return [{"target": "difference", "estimate": est, "se": se,
                 "ci_lower": est - z * se, "ci_upper": est + z * se,
                 "significant": p < self.alpha, "truth": self.delta, "failed": False}]
