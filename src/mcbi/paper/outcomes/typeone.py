"""The evidence for the book's test of the contrasts: a committed type-I error study.

``python -m mcbi plan --effects null`` (:mod:`mcbi.paper.planning.null`) simulates trials
with this project's generator, permutes the arm labels among therapists (so that the arm
has no effect), fits every contrast outcome and tests the between-arm difference in change
with Wald *z* on maximum likelihood, Wald *z* on REML, Satterthwaite and Kenward-Roger. It
writes one row per design, wave and method (rate, tests, Monte Carlo SE, median df) to
:data:`TYPE1_RESULT`, the rates by the smaller arm's number of therapists with the change
observed to ``type1_units.csv`` (:data:`TYPE1_UNITS`), and a ``.meta.json`` record
(command, replicates, seed, commit, date). The study takes CPU-hours, so the book reads
the committed files and renders them as the appendix (:func:`type1_markdown`), including
the data-sufficiency count the study supports (:func:`chosen_min_units`); a checkout
without them says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mcbi.paper.outcomes import TYPE1_RESULT
from mcbi.paper.outcomes.sufficiency import MIN_UNITS
from mcbi.paper.render.apa import fmt_bounded
from mcbi.paper.render.tables import myst_table
from mcbi.trial import design

__all__ = ["COMMAND", "METHOD_LABELS", "RULE_LIMIT", "RULE_METHOD", "RULE_MIN_TESTS",
           "TYPE1_RESULT", "TYPE1_UNITS", "chosen_min_units", "type1_markdown"]

TYPE1_UNITS = TYPE1_RESULT.with_name("type1_units.csv")
"""The committed rates by the number of therapists per arm with the change observed."""

COMMAND = ("python -m mcbi plan --therapists 10 20 40 63 --patients-per-therapist 2 "
           "--reps 2000 --seed 20230467 --effects null --out " + TYPE1_RESULT.as_posix())
"""The command that makes the full study (2,000 replicates per size)."""

RULE_METHOD = "kenward_roger"
RULE_LIMIT = 0.06
RULE_MIN_TESTS = 200
"""The data-sufficiency count is read for the book's test: the fewest therapists per arm
from which its rejection rate stays at most :data:`RULE_LIMIT` in every count band with at
least :data:`RULE_MIN_TESTS` tests."""

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
                f"{TYPE1_RESULT.as_posix()}`): run `{COMMAND}` to make it.*\n")
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
                row["Tests"] = f"{int(kr['tests']):,}"  # APA: 15,997
                row["KR df (median)"] = f"{kr['median_df']:.1f}"
            rows.append(row)
    frame = pd.DataFrame(rows)
    source = (f"Made by `{meta.get('command', COMMAND)}` "
              f"({_count(meta.get('reps'))} simulated trials per number of therapists, seed "
              f"{meta.get('seed', '?')}) at commit {meta.get('code_commit', 'unknown')} on "
              f"{meta.get('date_utc', 'an unrecorded date')}.")
    note = ("Share of tests rejecting at α = " + alpha_label + " (Monte Carlo SE in "
            "parentheses) of the between-arm difference in change from baseline, on simulated "
            "trials whose arm labels were permuted among therapists, so that no between-arm "
            "effect exists; every contrast outcome of the planning chapter counts. The tests "
            "of one trial's outcomes are correlated, so the Monte Carlo SEs are somewhat too "
            "small. " + source)
    text = myst_table(frame, "Type-I error of the between-arm difference in change, by number "
                      "of therapists, wave, and test", "tbl-type1",
                      "ll" + "r" * (frame.shape[1] - 2), note=note)
    units = path.with_name(TYPE1_UNITS.name)
    if units.is_file():
        text += "\n" + units_markdown(pd.read_csv(units), alpha_label)
    return text


def _count(value) -> str:
    """A whole number as APA writes it (2,000), or "?" when unknown."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "?"


def chosen_min_units(table: pd.DataFrame, method: str = RULE_METHOD, limit: float = RULE_LIMIT,
                     min_tests: int = RULE_MIN_TESTS) -> int:
    """The fewest therapists per arm with the change observed from which ``method`` keeps
    its rejection rate (the committed study's answer for the data-sufficiency rule).

    ``table`` has one row per method and count band (``method, units_from, units_to, rate,
    tests``). The answer is the start of the first band with at least ``min_tests`` tests
    after the last such band whose rate exceeds ``limit`` (the first band with enough tests
    when none does), and at least 2: a change observed in one therapist per arm leaves no
    between-therapist variation to test it against.

    Raises
    ------
    ValueError
        ``method`` has no band with ``min_tests`` tests, or its last such band exceeds
        ``limit`` (then no count would do).
    """
    sub = table[(table["method"] == method) & (table["tests"] >= min_tests)]
    if sub.empty:
        raise ValueError(f"no count band of {method!r} has {min_tests} tests")
    sub = sub.sort_values("units_from")
    over = sub[sub["rate"] > limit]
    if over.empty:
        return max(2, int(sub["units_from"].iloc[0]))
    later = sub[sub["units_from"] > over["units_from"].max()]
    if later.empty:
        raise ValueError(f"{method!r} rejects more than {limit} in its last count band")
    return max(2, int(later["units_from"].iloc[0]))


def _band(row) -> str:
    lo, hi = int(row["units_from"]), row["units_to"]
    if pd.isna(hi):
        return f"{lo} or more"
    return str(lo) if int(hi) == lo else f"{lo}–{int(hi)}"


def units_markdown(table: pd.DataFrame, alpha_label: str = ".05") -> str:
    """The rates by count band (one row per band, one column per test) and what they imply
    for the data-sufficiency rule, in words chosen from the numbers."""
    rows = []
    for lo in sorted(table["units_from"].unique()):
        sub = table[table["units_from"] == lo].set_index("method")
        first = sub.iloc[0]
        row = {"Therapists per arm with the change observed": _band(first)}
        for key, label in METHOD_LABELS.items():
            if key in sub.index:
                row[label] = (f"{fmt_bounded(sub.loc[key, 'rate'], 3)} "
                              f"({fmt_bounded(sub.loc[key, 'mc_se'], 3)})")
        row["Tests"] = f"{int(sub['tests'].max()):,}"
        rows.append(row)
    label = METHOD_LABELS[RULE_METHOD].split(",")[0]
    limit = fmt_bounded(RULE_LIMIT, 2)
    try:
        chosen = chosen_min_units(table)
    except ValueError as exc:
        verdict = (f"This study does not fix the count: {exc}. The book keeps the rule's "
                   f"count of {MIN_UNITS} therapists per arm.")
    else:
        agree = ("This is the count the book uses." if chosen == MIN_UNITS else
                 f"The book uses {MIN_UNITS}, so its rule and this study disagree; the rule's "
                 "count should be revised and the study re-run.")
        verdict = (f"Counted in bands with at least {RULE_MIN_TESTS} tests, {label}'s test "
                   f"keeps its rate at or below {limit} from {chosen} therapists per arm "
                   f"with the change observed. {agree}")
    note = ("The same tests as in the table above, grouped by the smaller of the two "
            "arms' numbers of therapists whose change from baseline was observed (for a "
            "patient outcome: who had a patient observed at baseline and at that wave), the "
            "count the data-sufficiency rule uses. Rates at α = " + alpha_label + ", Monte "
            "Carlo SE in parentheses; both waves and every design pooled.")
    frame = pd.DataFrame(rows)
    return (myst_table(frame, "Type-I error by the number of therapists per arm with the change "
                       "observed", "tbl-type1-units", "l" + "r" * (frame.shape[1] - 1), note=note)
            + "\n" + verdict + "\n")
