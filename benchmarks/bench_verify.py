"""Time ``mcbi verify`` of a published archive against a clean ``make book``.

Usage: ``python benchmarks/bench_verify.py`` (``make benchmark``). In a temporary copy of
the repository (tracked and untracked-but-not-ignored files, no ``.venv``, no ``_build``):

1. ``make book``: the clean build a newcomer runs (a new ``.venv`` from the lock file with
   uv, then ``python -m mcbi build``);
2. ``python -m mcbi publish``, then
3. ``python -m mcbi verify ARCHIVE``: unpack and check, a new environment from the
   archive's lock file with uv, a full rebuild, the comparison and its reports.

Prints both times (wall clock and CPU of every process started), their ratio (goal: verify
at most 2 x the clean ``make book``) and the verify summary; writes them to
``benchmarks/results/verify.txt``. Both runs use uv's cache, as a second ``make book`` or a
reader's ``verify`` on a machine that has installed the environment once would.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_build import copy_work_tree

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "verify.txt"
GOAL = 2.0


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run ``cmd`` in ``cwd``; return (seconds, CPU seconds of its processes, output)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed (exit {proc.returncode}) in {cwd}:\n"
                 f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds, cpu, proc.stdout


def main() -> int:
    """Run the benchmark and write its report."""
    with tempfile.TemporaryDirectory(prefix="mcbi-bench-verify-") as tmp:
        root = Path(tmp) / "repo"
        copy_work_tree(REPO, root)
        book, book_cpu, book_out = timed(["make", "book"], root)
        python = str(root / ".venv" / "bin" / "python")
        _, _, published = timed([python, "-m", "mcbi", "publish", "--out", "dist"], root)
        archive = published.split("wrote ", 1)[1].strip()
        verify, verify_cpu, verify_out = timed(
            [python, "-m", "mcbi", "verify", archive, "--report", str(Path(tmp) / "report")],
            Path(tmp))
    ratio = verify / book
    report = [
        f"date         {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC",
        f"machine      {platform.machine()}, {os.cpu_count()} cpus, Python "
        f"{platform.python_version()}",
        f"load         {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min)",
        f"make book    {book:8.1f} s  (CPU {book_cpu:.1f} s; clean copy: new .venv + build)",
        f"verify       {verify:8.1f} s  (CPU {verify_cpu:.1f} s; unpack, new environment, "
        "rebuild, compare)",
        f"ratio        {ratio:8.2f}  (goal: <= {GOAL:g})",
        "",
        "verify output:",
        *("  " + line for line in verify_out.splitlines()
          if not line.startswith(("JSON report: ", "HTML report: "))),  # temporary paths
        "make book output (last lines):",
        *("  " + line for line in book_out.splitlines()[-9:]),
    ]
    text = "\n".join(report) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, "utf-8")
    print(text, end="")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
