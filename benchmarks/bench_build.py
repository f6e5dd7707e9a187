"""Time a clean book build and a no-op rebuild in a temporary copy of the repository.

Usage: ``python benchmarks/bench_build.py`` (``make benchmark``). Prints the two times and
their ratio and writes them to ``benchmarks/results/build.txt``. The copy holds the tracked
and untracked-but-not-ignored files (no ``_build``, no executed notebooks), and the build
runs with this interpreter and the copy's ``src/`` first on the path.
"""

from __future__ import annotations

import os
import platform
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


def timed_build(root: Path) -> tuple[float, str]:
    """Run ``python -m mcbi build`` in ``root``; return (seconds, stdout)."""
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mcbi", "build"], cwd=root, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"build failed in {root}:\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout


def main() -> int:
    """Run the benchmark and write its report."""
    with tempfile.TemporaryDirectory(prefix="mcbi-bench-") as tmp:
        root = Path(tmp) / "repo"
        copy_work_tree(REPO, root)
        clean, out = timed_build(root)
        noop, again = timed_build(root)
    report = [
        f"date        {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC",
        f"machine     {platform.machine()}, {os.cpu_count()} cpus, Python "
        f"{platform.python_version()}",
        f"clean build {clean:8.1f} s",
        f"no-op build {noop:8.1f} s",
        f"ratio       {noop / clean:8.3f}  (goal: < 0.1)",
        "",
        "clean build output:",
        *("  " + line for line in out.splitlines()),
        "no-op build output:",
        *("  " + line for line in again.splitlines()),
    ]
    text = "\n".join(report) + "\n"
    print(text, end="")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
