"""Build the whole book on every data variant of :mod:`mcbi.synth.variants`; print a table.

Each variant gets a fresh copy of the project (tracked files only) in a temporary folder and
a full ``python -m mcbi build --data data/<variant>``. The table gives, per variant, the exit
code, the wall-clock build time and what the pages show: flagged admonitions, leaked warning
or traceback text, and whether the build calls the data synthetic (its manifest verdict, a
page's data note, or the synthetic-data sentence).

Run: ``.venv/bin/python benchmarks/variants.py [NAME ...]`` (all variants by default; about
half a minute each on the project's 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LEAKS = re.compile(r"Traceback|Warning:|warnings\.warn|Error:|UserWarning|RuntimeWarning")


def copy_project(dest: Path) -> Path:
    """Copy the tracked and untracked-but-not-ignored files of the repository to ``dest``."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def page_text(html: Path) -> str:
    """The visible text of every built page (tags stripped crudely)."""
    texts = []
    for page in sorted(html.rglob("*.html")):
        raw = page.read_text("utf-8", errors="replace")
        raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
        texts.append(re.sub(r"<[^>]+>", " ", raw))
    return "\n".join(texts)


def build_variant(name: str, work: Path) -> dict:
    """Write variant ``name`` into a copy of the project and build the book there."""
    from mcbi.synth.variants import write_variant

    root = copy_project(work / name)
    write_variant(name, root / "data" / name, REPO / "data" / "trial")
    env = dict(os.environ, PYTHONPATH=str(root / "src"))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mcbi", "build", "--data", f"data/{name}"],
                          cwd=root, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    html = root / "_build" / "html"
    text = page_text(html) if (html / "index.html").is_file() else ""
    manifest = root / "_build" / "manifest.json"
    results = json.loads(manifest.read_text("utf-8")) if manifest.is_file() else {}
    notes = [v for k, v in results.get("results", {}).items() if k.endswith(".data_note")]
    return {
        "variant": name, "exit": done.returncode, "seconds": round(seconds, 1),
        "leaks": len(LEAKS.findall(text)),
        # called synthetic: the build's verdict, a page's data note, or the synthetic note text
        "says_synthetic": bool(results.get("data", {}).get("synthetic"))
        or any("synthetic" in str(n).lower() for n in notes)
        or "these results come from the synthetic" in text.lower(),
        "last_error": (done.stderr.strip().splitlines() or [""])[-1][:160],
    }


def main(argv: list[str] | None = None) -> int:
    from mcbi.synth.variants import VARIANTS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(VARIANTS))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mcbi-variants-") as tmp:
        rows = [build_variant(name, Path(tmp)) for name in args.names]
    width = max(len(r["variant"]) for r in rows)
    print(f"{'variant':<{width}}  exit  seconds  leaks  synthetic  error")
    for r in rows:
        print(f"{r['variant']:<{width}}  {r['exit']:>4}  {r['seconds']:>7}  {r['leaks']:>5}  "
              f"{str(r['says_synthetic']):>9}  {r['last_error']}")
    return 0 if all(r["exit"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
