"""Time a clean book build and a no-op rebuild in a temporary copy of the repository.

Usage: ``python benchmarks/bench_build.py`` (``make benchmark``). Machines here differ
about threefold in speed, so the goals are ratios to a *floor* measured in the same run:
the CPU time of ``python -c "import pandas, numpy, scipy, matplotlib, seaborn"`` in this
environment (median of five). Prints the floor, the clean build (default ``--jobs``: the
number of CPUs) in CPU seconds of the whole process tree and in floors (goal: at most 17),
a no-op rebuild in wall seconds and in floors (goal: at most 0.15), and a forced rebuild
with ``--jobs 1``; writes them to ``benchmarks/results/build.txt``. The copy holds the tracked and
untracked-but-not-ignored files (no ``_build``, no executed notebooks), and the build runs
with this interpreter and the copy's ``src/`` first on the path.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "build.txt"


def copy_work_tree(src: Path, dest: Path) -> None:
    """Copy the files ``git ls-files --cached --others --exclude-standard`` lists."""
    listed = subprocess.run(
        ["git", "-C", str(src), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (src / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / name, dest / name)


def timed_build(root: Path, *args: str) -> tuple[float, float, str]:
    """Run ``python -m mcbi build [args]`` in ``root``; return (seconds, CPU seconds, stdout).

    CPU seconds are user + system time of the build and every process it started (kernels,
    workers, jupyter-book): less sensitive to other load on a shared machine than the
    wall-clock time.
    """
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mcbi", "build", *args], cwd=root, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"build failed in {root}:\n{proc.stdout}\n{proc.stderr}")
    return seconds, cpu, proc.stdout


FLOOR = "import pandas, numpy, scipy, matplotlib, seaborn"


def floor_seconds(runs: int = 5) -> float:
    """Median CPU seconds (user + system) of one interpreter importing the analysis stack."""
    values = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", FLOOR], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        values.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return sorted(values)[len(values) // 2]


def main() -> int:
    """Run the benchmark and write its report."""
    floor = floor_seconds()
    with tempfile.TemporaryDirectory(prefix="mcbi-bench-") as tmp:
        root = Path(tmp) / "repo"
        copy_work_tree(REPO, root)
        clean, cpu, out = timed_build(root)
        noops = [timed_build(root) for _ in range(5)]
        noop = sorted(n[0] for n in noops)[2]
        again = noops[0][2]
        serial, serial_cpu, serial_out = timed_build(root, "--force", "--jobs", "1")
    report = [
        f"date        {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC",
        f"machine     {platform.machine()}, {os.cpu_count()} cpus, Python "
        f"{platform.python_version()}",
        f"load        {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min)",
        f"floor       {floor:8.2f} CPU-s  (python -c \"{FLOOR}\", median of 5)",
        f"clean build {clean:8.1f} s  (CPU {cpu:.1f} s = {cpu / floor:.1f} floors, goal <= 17; "
        f"--jobs {os.cpu_count()})",
        f"no-op build {noop:8.2f} s  (wall, median of 5 = {noop / floor:.3f} floors, "
        "goal <= 0.15)",
        f"serial      {serial:8.1f} s  (CPU {serial_cpu:.1f} s; build --force --jobs 1)",
        "",
        "clean build output:",
        *("  " + line for line in out.splitlines()),
        "no-op build output:",
        *("  " + line for line in again.splitlines()),
        "serial build output:",
        *("  " + line for line in serial_out.splitlines()),
    ]
    text = "\n".join(report) + "\n"
    print(text, end="")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
