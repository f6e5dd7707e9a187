"""The ladder's simulation evidence: the committed table of ``benchmarks/ladder.py``.

``benchmarks/ladder.py --summary benchmarks/results/ladder.csv`` scores the mechanism
ladder (:mod:`mcbi.paper.mechanism.ladder`) on fresh synthetic trials and on perturbed copies of the
shipped package, and writes one row per family of data sets plus a sidecar
``ladder.meta.json`` (command, seeds, date, code commit and ``model_code``, the hash of the
model code it ran, :func:`ladder_code_version`). The simulation is slow (about 20 minutes),
so the book does not re-run it: it reads the committed files, renders them as an APA table
for the appendix (:func:`evidence_markdown`) and records every number through
:class:`mcbi.paper.render.results.Results` (:func:`evidence_values`), saying in the caption where
the table comes from, when it was made and whether the model code it ran is this build's
(:func:`code_note`).
"""

from __future__ import annotations

import importlib.resources
import inspect
import json
import math
from pathlib import Path

import pandas as pd

from mcbi.hashing import hash_parts
from mcbi.paper.mechanism import EVIDENCE
from mcbi.paper.mechanism.ladder import MIN_COVERAGE, MIN_PAIRS, RUNGS, mechanism_values
from mcbi.paper.mechanism.words import rung_words
from mcbi.paper.render.apa import fmt_num
from mcbi.paper.render.tables import ITALIC_SYMBOLS, myst_table

__all__ = ["EVIDENCE", "KINDS", "LADDER_CODE", "code_note", "ladder_code_version",
           "read_evidence", "evidence_table", "evidence_caption",
           "evidence_markdown", "evidence_values", "find_evidence"]


KINDS = {
    "synthetic": "fresh synthetic trials",
    "noise5": "shipped package, 5% of item answers replaced",
    "drop13": "shipped package, 13 therapists removed",
    "missing10": "shipped package, 10% of item cells blank",
    "missing20": "shipped package, 20% of item cells blank",
    "missing30": "shipped package, 30% of item cells blank",
    "one_per_therapist": "shipped package, one patient per therapist",
}
"""Families of data sets of ``benchmarks/ladder.py``, in words."""

LADDER_CODE = ("stats/__init__.py", "stats/blas.py", "stats/msem",
               *(f"trial/{m}.py" for m in ("__init__", "content", "data", "descriptor", "design",
                                           "instruments", "schema", "validate")),
               *(f"synth/{m}.py" for m in ("__init__", "parameters", "record", "simulate")),
               "paper/mechanism/model.py", "paper/mechanism/ladder.py")
"""The modules of the mcbi package the ladder's simulation runs (its "model code": the
two-level SEM, loading and scoring the data, the generator, the change data and the
ladder); a change elsewhere (the mixed models, the pages) leaves its numbers as they are."""


def ladder_code_version(package_dir: str | Path | None = None) -> str:
    """Hash of the ``*.py`` files of :data:`LADDER_CODE` under the mcbi package folder
    (default: the package imported)."""
    root = Path(package_dir or str(importlib.resources.files("mcbi")))
    return hash_parts(root, LADDER_CODE)


def code_note(meta: dict, current: str | None = None) -> str:
    """A sentence saying whether the model code the simulation ran (its record's
    ``model_code``) is this build's (``current``, default :func:`ladder_code_version`)."""
    recorded = meta.get("model_code")
    if not recorded:
        return ("Its record does not name the version of the model code it ran, so that code "
                "may differ from this build's; re-run the command to update the table.")
    if recorded == (current or ladder_code_version()):
        return "The model code it ran is the code of this build."
    return ("The model code it ran differs from this build's, so its numbers may differ from "
            "what this build's code would give; re-run the command to update them.")


_PATHS = (("a", "a"), ("b", "b"), ("a×b", "ab"))
_RUNGS = tuple(rung.name for rung in RUNGS)
_COLUMNS = ("kind", "n", "estimate_%", *_RUNGS, "none", "none_reason", "a_bias", "b_bias",
            "ab_bias", "a_cover%", "b_cover%", "ab_cover%")


def find_evidence(root: str | Path) -> Path | None:
    """:data:`EVIDENCE` under the project ``root``, or None when the checkout lacks it."""
    path = Path(root) / EVIDENCE
    return path if path.is_file() else None


def read_evidence(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """The summary CSV and its ``.meta.json`` sidecar (empty dict when absent).

    Raises
    ------
    ValueError
        If the CSV lacks a column of the table.
    """
    path = Path(path)
    summary = pd.read_csv(path, keep_default_na=True)
    missing = [c for c in _COLUMNS if c not in summary.columns]
    if missing:
        raise ValueError(f"{path} lacks the columns {missing}")
    summary["none_reason"] = summary["none_reason"].fillna("")
    meta_path = path.with_suffix(".meta.json")
    meta = json.loads(meta_path.read_text("utf-8")) if meta_path.is_file() else {}
    return summary, meta


def _pct(value: float) -> str:
    return "" if not math.isfinite(value) else fmt_num(value, 1)


def evidence_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The APA table: per family, data sets, share with an estimate, rungs used, bias and
    coverage of a, b and a×b (coverage for the synthetic draws only)."""
    rows = []
    for r in summary.to_dict("records"):
        used = ", ".join(f"{i}: {int(r[rung])}" for i, rung in enumerate(_RUNGS, start=1)
                         if int(r[rung]) > 0)
        none = int(r["none"])
        if none:
            used += ("; " if used else "") + f"none: {none} ({r['none_reason']})"
        rows.append({
            "Data sets": KINDS.get(r["kind"], r["kind"]), "n": str(int(r["n"])),
            "With estimate (%)": _pct(float(r["estimate_%"])), "Rung used (count)": used,
            **{f"Bias {p}": fmt_num(float(r[f"{k}_bias"]), 3)
               if math.isfinite(float(r[f"{k}_bias"])) else "" for p, k in _PATHS},
            **{f"Coverage {p} (%)": _pct(float(r[f"{k}_cover%"])) for p, k in _PATHS},
        })
    return pd.DataFrame(rows)


def evidence_caption(meta: dict, path: str | Path = EVIDENCE,
                     current: str | None = None) -> str:
    """Where the table comes from, when it was made and whether the model code it ran is
    this build's (``current``: the build's :func:`ladder_code_version`)."""
    made = meta.get("date_utc", "an unrecorded date")
    commit = str(meta.get("code_commit", "unrecorded")).split(" ")[0][:12]
    cmd = meta.get("command", "benchmarks/ladder.py")
    seeds = meta.get("synthetic_seeds")
    seed_text = f" (synthetic seeds {seeds}; perturbation seeds " \
                f"{meta.get('perturbation_seeds', '?')})" if seeds else ""
    return (f"Read from the committed file `{Path(path).as_posix()}`, written on {made} UTC "
            f"by `{cmd}` at code commit `{commit}`{seed_text}; the book does not re-run "
            f"the simulation. {code_note(meta, current)}")


def evidence_markdown(path: str | Path | None) -> str:
    """The appendix section: a note on the method, the table and its source."""
    if path is None or not Path(path).is_file():
        return ("*This checkout has no simulation table of the ladder "
                f"(`{EVIDENCE.as_posix()}`): run `benchmarks/ladder.py --summary "
                f"{EVIDENCE.as_posix()}` to make it.*\n")
    summary, meta = read_evidence(path)
    table = evidence_table(summary)
    level = 100 * inspect.signature(mechanism_values).parameters["level"].default
    note = (
        f"*Note.* {evidence_caption(meta, EVIDENCE)} Fresh synthetic trials: bias is the mean "
        "of estimate − pseudo-true value (the same rung's model fitted to "
        f"{meta.get('truth_draws', 'further')} other draws pooled), coverage the share of "
        f"{level:.0f}% intervals (Wald for *a* and *b*, Monte Carlo for *a*×*b*) that "
        "contain it. Perturbed copies of the shipped package share one underlying draw: "
        "bias is the mean shift from the estimate on the unperturbed package, and coverage "
        "is not defined. Rungs are numbered as in the mechanism chapter's ladder: "
        + "; ".join(f"{i}, {rung_words(name)}" for i, name in enumerate(_RUNGS, start=1))
        + "; *none*: no rung passed. Reasons: *too little data* = path *a* or *b* had fewer than "
        f"{MIN_PAIRS} units or {100 * MIN_COVERAGE:.0f}% of the units observed on both of "
        "its variables; *not identified* = no therapist with two patients.")
    caption = ("The mechanism ladder on data of known origin: share of data sets with an "
               "estimate, rung reported, bias, and coverage of a, b, and a×b")
    return myst_table(table, caption, "tbl-ladder-simulation", "lrrl" + "r" * 6, note=note,
                      symbols=(*ITALIC_SYMBOLS, "a"))  # the paths a and b alike


def evidence_values(path: str | Path | None) -> dict[str, float | str]:
    """Every number of the table as ``ladder_sim_<kind>_<column>`` (plus the date and
    commit), for :meth:`mcbi.paper.render.results.Results.glue_all`. Without the file, the
    synthetic family's ``n``, ``estimated_pct`` and ``ab_cover_pct`` (which the chapter's
    prose cites) are NaN and the date says that there is no table."""
    if path is None or not Path(path).is_file():
        return {"ladder_sim_date": "no simulation table in this checkout",
                **{f"ladder_sim_synthetic_{k}": float("nan")
                   for k in ("n", "estimated_pct", "ab_cover_pct")}}
    summary, meta = read_evidence(path)
    out: dict[str, float | str] = {"ladder_sim_date": str(meta.get("date_utc", "")),
                                   "ladder_sim_commit": str(meta.get("code_commit", ""))}
    cols = {"n": "n", "estimate_%": "estimated_pct", "none": "none", **{r: r for r in _RUNGS},
            **{f"{p}_bias": f"{p}_bias" for p in ("a", "b", "ab")},
            **{f"{p}_cover%": f"{p}_cover_pct" for p in ("a", "b", "ab")}}
    for r in summary.to_dict("records"):
        for col, name in cols.items():
            out[f"ladder_sim_{r['kind']}_{name}"] = float(r[col])
    return out
