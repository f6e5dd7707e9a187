"""mcbi.paper.outcomes.typeone: the committed type-I error study rendered for the appendix."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mcbi.paper.outcomes import TYPE1_RESULT
from mcbi.paper.outcomes.typeone import METHOD_LABELS, type1_markdown


def _write(root: Path) -> None:
    rows = []
    for n in (10, 63):
        for wave in ("post", "followup"):
            for i, method in enumerate(METHOD_LABELS):
                rows.append({"n_therapists": n, "time": wave, "method": method,
                             "rate": 0.05 + 0.01 * i, "tests": 400, "mc_se": 0.011,
                             "median_df": float("inf") if method.startswith("z") else 9.5})
    path = root / TYPE1_RESULT
    path.parent.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(path, index=False)
    path.with_name("type1.meta.json").write_text(json.dumps(
        {"command": "benchmarks/type1.py --reps 500", "reps": 500, "seed": 1,
         "code_commit": "abc1234", "date_utc": "2026-12-05 05:00 UTC"}), "utf-8")


def test_table_rows_by_size_and_wave_with_every_method(tmp_path: Path) -> None:
    _write(tmp_path)
    text = type1_markdown(tmp_path)
    lines = [line for line in text.splitlines() if line.startswith("| 10 ") or
             line.startswith("| 63 ")]
    assert [line.split("|")[2].strip() for line in lines] == ["Post", "Follow-up"] * 2
    for label in METHOD_LABELS.values():
        assert label.replace(" z,", " *z*,") in text  # statistics in italics
    assert ".080 (.011)" in text  # Kenward-Roger's rate, no leading zero (APA)
    assert "| 9.5 |" in text and "400" in text
    assert "*Note.*" in text and "abc1234" in text and "500 simulated trials" in text


def test_a_checkout_without_the_study_says_so(tmp_path: Path) -> None:
    text = type1_markdown(tmp_path)
    assert "has no type-I error study" in text and "benchmarks/type1.py" in text
