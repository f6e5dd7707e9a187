"""The evidence for the book's test of the contrasts: a committed type-I error study.

``benchmarks/type1.py`` simulates trials with this project's generator, permutes the arm
labels among therapists (so that the arm has no effect), fits every contrast outcome and
tests the between-arm difference in change with Wald *z* on maximum likelihood, Wald *z*
on REML, Satterthwaite and Kenward-Roger; ``--summary`` writes one row per number of
therapists, wave and method (rate, tests, Monte Carlo SE, median df) to
:data:`TYPE1_RESULT` with a ``.meta.json`` record (command, replicates, seed, commit,
date). The study takes CPU-hours, so the book reads the committed files and renders them
as the appendix table (:func:`type1_markdown`); a checkout without them says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mcbi.paper.outcomes import TYPE1_RESULT
from mcbi.paper.render.apa import fmt_bounded
from mcbi.paper.render.tables import markdown_table
from mcbi.trial import design

__all__ = ["METHOD_LABELS", "TYPE1_RESULT", "type1_markdown"]

METHOD_LABELS = {"z_ml": "Wald z, ML", "z_reml": "Wald z, REML",
                 "satterthwaite": "Satterthwaite, REML",
                 "kenward_roger": "Kenward–Roger, REML"}
"""The study's tests, in the reader's words (in the table's order)."""


def type1_markdown(root: str | Path, alpha_label: str = ".05") -> str:
    """The appendix section: the rejection rates by number of therapists, wave and test."""
    path = Path(root) / TYPE1_RESULT
    meta_file = path.with_name(path.stem + ".meta.json")
    if not path.is_file():
        return ("*This checkout has no type-I error study (`"
                f"{TYPE1_RESULT.as_posix()}`): run `benchmarks/type1.py --summary "
                f"{TYPE1_RESULT.as_posix()}` to make it.*\n")
    table = pd.read_csv(path)
    meta = json.loads(meta_file.read_text("utf-8")) if meta_file.is_file() else {}
    rows = []
    for n in sorted(table["n_therapists"].unique()):
        for wave in design.WAVES[1:]:
            sub = table[(table["n_therapists"] == n) & (table["time"] == wave)]
            if sub.empty:
                continue
            sub = sub.set_index("method")
            row = {"Therapists": int(n), "Wave": design.wave_label(wave, capital=True)}
            for key, label in METHOD_LABELS.items():
                if key in sub.index:
                    r = sub.loc[key]
                    row[label] = (f"{fmt_bounded(r['rate'], 3)} "
                                  f"({fmt_bounded(r['mc_se'], 3)})")
            if "kenward_roger" in sub.index:
                kr = sub.loc["kenward_roger"]
                row["Tests"] = int(kr["tests"])
                row["KR df (median)"] = f"{kr['median_df']:.1f}"
            rows.append(row)
    frame = pd.DataFrame(rows)
    source = (f"Made by `{meta.get('command', 'benchmarks/type1.py')}` "
              f"({meta.get('reps', '?')} simulated trials per number of therapists, seed "
              f"{meta.get('seed', '?')}) at commit {meta.get('code_commit', 'unknown')} on "
              f"{meta.get('date_utc', 'an unrecorded date')}.")
    note = ("*Note.* Share of tests rejecting at α = " + alpha_label + " (Monte Carlo SE in "
            "parentheses) of the between-arm difference in change from baseline, on simulated "
            "trials whose arm labels were permuted among therapists, so that no between-arm "
            "effect exists; every contrast outcome of the planning chapter counts. The tests "
            "of one trial's outcomes are correlated, so the Monte Carlo SEs are somewhat too "
            "small. " + source)
    return markdown_table(frame) + "\n" + note + "\n"
