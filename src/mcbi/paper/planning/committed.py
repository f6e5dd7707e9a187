"""A committed planning result: the CSV ``python -m mcbi plan`` wrote, with its record.

A full-size plan takes CPU-hours, so the book does not run one: the planning chapter reads
a result committed to the repository (:data:`PLAN_RESULT`) together with its sidecar
``<name>.meta.json`` (command, seed, replicates, commit, date and the version of the model
code it ran), and says when the model code it ran differs from the build's. A result with
fewer than :data:`MIN_REPS` replicates in any design is refused: the book never shows
Monte Carlo noise as a result.
"""

from __future__ import annotations

import ast
import importlib.resources
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from mcbi.errors import UserError
from mcbi.hashing import hash_parts

__all__ = ["MIN_REPS", "PLAN_RESULT", "REPLICATE_MODULE", "committed_values", "meta_path",
           "model_code", "model_code_version", "read_committed", "write_meta"]

PLAN_RESULT = Path("benchmarks") / "results" / "plan.csv"
"""The committed planning result, relative to the project root."""

MIN_REPS = 200
"""Fewest replicates per design the book shows."""

REPLICATE_MODULE = "mcbi.paper.planning.replicates"
"""The module of a planning replicate; the code it imports is its "model code"."""


def meta_path(csv: str | Path) -> Path:
    """The record beside a plan CSV: ``plan.csv`` -> ``plan.meta.json``."""
    csv = Path(csv)
    return csv.with_name(csv.stem + ".meta.json")


def _module_file(root: Path, module: str) -> Path | None:
    """The source of ``module`` (``mcbi.a.b``) under the package folder ``root``."""
    parts = module.split(".")[1:]
    for path in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")):
        if parts and path.is_file():
            return path
    init = root / "__init__.py"
    return init if not parts and init.is_file() else None


def model_code(package_dir: str | Path | None = None,
               module: str = REPLICATE_MODULE) -> list[str]:
    """The files of the mcbi package that ``module`` runs: itself and every mcbi module it
    imports, directly or through others (read from the import statements of the source,
    those inside functions included), with the ``__init__.py`` of each package on the way.

    Paths are relative to the package folder (default: the installed package), sorted.
    Rendering, prose and book code that a replicate does not import are not in it.
    """
    root = Path(package_dir or str(importlib.resources.files("mcbi")))
    seen: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):  # the packages on the way, then the module
            path = _module_file(root, ".".join(parts[:depth]))
            if path is None or path in seen:
                continue
            seen.add(path)
            package = ".".join(parts[:depth] if path.name == "__init__.py"
                               else parts[:depth - 1])
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Import):
                    todo += [a.name for a in node.names if a.name.split(".")[0] == "mcbi"]
                elif isinstance(node, ast.ImportFrom):
                    base = node.module or ""
                    if node.level:
                        up = package.split(".")[:len(package.split(".")) - node.level + 1]
                        base = ".".join([*up, base] if base else up)
                    if base.split(".")[0] == "mcbi":
                        todo.append(base)
                        todo += [f"{base}.{a.name}" for a in node.names]
    return sorted(p.relative_to(root).as_posix() for p in seen)


def model_code_version(package_dir: str | Path | None = None) -> str:
    """Hash of the files of :func:`model_code` (the code a planning replicate runs)."""
    root = Path(package_dir or str(importlib.resources.files("mcbi")))
    return hash_parts(root, model_code(root))


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
