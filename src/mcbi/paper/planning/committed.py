"""A committed planning result: the CSV ``python -m mcbi plan`` wrote, with its record.

A full-size plan takes CPU-hours, so the book does not run one: the planning chapter reads
a result committed to the repository (:data:`PLAN_RESULT`) together with its sidecar
``<name>.meta.json`` (command, seed, replicates, commit, date and the version of the model
code it ran), and says when the model code it ran differs from the build's. A result with
fewer than :data:`MIN_REPS` replicates in any design is refused: the book never shows
Monte Carlo noise as a result.
"""

from __future__ import annotations

import importlib.resources
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from mcbi.errors import UserError
from mcbi.hashing import hash_parts

__all__ = ["MIN_REPS", "MODEL_CODE", "PLAN_RESULT", "committed_values", "meta_path",
           "model_code_version", "read_committed", "write_meta"]

PLAN_RESULT = Path("benchmarks") / "results" / "plan.csv"
"""The committed planning result, relative to the project root."""

MIN_REPS = 200
"""Fewest replicates per design the book shows."""

MODEL_CODE = ("stats", "trial", "synth", "paper/outcomes", "paper/mechanism",
              "paper/planning", "paper/render", "paper/parameters.py")
"""The parts of the mcbi package a planning replicate runs (its "model code")."""


def meta_path(csv: str | Path) -> Path:
    """The record beside a plan CSV: ``plan.csv`` -> ``plan.meta.json``."""
    csv = Path(csv)
    return csv.with_name(csv.stem + ".meta.json")


def model_code_version(package_dir: str | Path | None = None) -> str:
    """Hash of the ``*.py`` files of :data:`MODEL_CODE` under the mcbi package folder
    (default: the installed package)."""
    root = Path(package_dir or str(importlib.resources.files("mcbi")))
    return hash_parts(root, MODEL_CODE)


def write_meta(csv: str | Path, command: str, seed: int, reps: int, commit: str,
               date: datetime | None = None, model_code: str | None = None) -> Path:
    """Write the record of a plan CSV (see the module docstring); return its path."""
    meta = {"command": command, "seed": int(seed), "reps": int(reps), "code_commit": commit,
            "date_utc": (date or datetime.now(tz=UTC)).strftime("%Y-%m-%d %H:%M UTC"),
            "model_code": model_code or model_code_version()}
    path = meta_path(csv)
    path.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", "utf-8")
    return path


def read_committed(csv: str | Path, min_reps: int = MIN_REPS
                   ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The committed plan table and its record.

    Raises
    ------
    UserError
        The CSV or its record is missing, or a design has fewer than ``min_reps``
        replicates; the message says how to make it.
    """
    csv = Path(csv)
    remedy = (f"run `python -m mcbi plan --therapists 20 40 63 100 --patients-per-therapist "
              f"1 2 4 --reps 500 --seed 1 --out {csv.as_posix()}` and commit both files")
    if not csv.is_file() or not meta_path(csv).is_file():
        raise UserError(f"no committed planning result at {csv.as_posix()} (with "
                        f"{meta_path(csv).name}); {remedy}")
    table = pd.read_csv(csv)
    meta = json.loads(meta_path(csv).read_text("utf-8"))
    if table.empty or int(table["reps"].min()) < min_reps:
        raise UserError(f"{csv.as_posix()} has designs with fewer than {min_reps} replicates; "
                        f"{remedy}")
    return table, meta


def committed_values(meta: dict[str, Any], current: str | None = None) -> dict[str, str]:
    """Texts to glue about the committed result: its command, seed, commit, date, and
    ``plan_code_note``, a sentence saying whether its model code is the build's."""
    current = current or model_code_version()
    same = meta.get("model_code") == current
    commit = str(meta.get("code_commit", "unknown"))
    note = (f"The model code it ran (commit {commit}) is the code of this build."
            if same else
            f"The model code it ran (commit {commit}) differs from this build's, so its "
            "numbers may differ from what this build's code would give; re-run the command "
            "to update them.")
    return {"plan_command": str(meta.get("command", "")), "plan_commit": commit,
            "plan_date": str(meta.get("date_utc", "")), "plan_code_note": note}
