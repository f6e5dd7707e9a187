"""Shared by the benchmark scripts: median wall-clock and CPU time of repeated calls."""

from __future__ import annotations

import statistics
import subprocess
import time
import warnings
from collections.abc import Callable
from pathlib import Path


def median_times(call: Callable[[], object], reps: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ``reps`` calls of ``call()`` after a warm-up.

    Warnings raised by ``call`` are ignored (a benchmark times, it does not report them).
    """
    wall, cpu = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call()
        for _ in range(reps):
            start, start_cpu = time.perf_counter(), time.process_time()
            call()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def code_version(package_dir: Path) -> str:
    """The commit of the checkout holding ``package_dir``, marked when it has local changes.

    Printed by the benchmarks instead of a machine path.
    """
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(package_dir), *args], capture_output=True,
                              text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown commit"
    return commit + (" with local changes" if git("status", "--porcelain", ".") else "")
