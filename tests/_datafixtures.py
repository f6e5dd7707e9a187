"""Helpers shared by the data-foundation tests (not a conftest: imported explicitly).

Everything here works on copies of the committed package ``data/trial`` in a temporary
folder; nothing writes into the repository.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data" / "trial"


def copy_package(dest: Path, src: Path = DATA) -> Path:
    """Copy the data package ``src`` (default: the committed one) to ``dest``."""
    shutil.copytree(src, dest)
    return dest


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder`` (empty for a missing folder)."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def read_rows(path: Path) -> list[list[str]]:
    """The CSV file's rows (header first) as lists of strings."""
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    """Write rows the way the package writes them (comma, ``\\n`` line ends)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def set_cell(path: Path, column: str, value: str, row: int = 0) -> str:
    """Set ``column`` of data row ``row`` (0 = first after the header); return the old value."""
    rows = read_rows(path)
    j = rows[0].index(column)
    old = rows[row + 1][j]
    rows[row + 1][j] = value
    write_rows(path, rows)
    return old


def drop_column(path: Path, column: str) -> None:
    """Remove ``column`` from the CSV file."""
    rows = read_rows(path)
    j = rows[0].index(column)
    write_rows(path, [r[:j] + r[j + 1:] for r in rows])


def rename_column(path: Path, old: str, new: str) -> None:
    """Rename header ``old`` to ``new``."""
    rows = read_rows(path)
    rows[0][rows[0].index(old)] = new
    write_rows(path, rows)


def duplicate_row(path: Path, row: int = 0) -> None:
    """Insert a copy of data row ``row`` right after it."""
    rows = read_rows(path)
    rows.insert(row + 2, list(rows[row + 1]))
    write_rows(path, rows)


def edit_descriptor(folder: Path, change: Callable[[dict], object]) -> None:
    """Apply ``change`` (in place; its return value is ignored) to the package's
    ``datapackage.json`` and write it back."""
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text("utf-8"))
    change(descriptor)
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def run_cli(*args: str, cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m mcbi ARGS`` with this interpreter; capture text output."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "mcbi", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)
