"""mcbi.paper.outcomes.typeone: the committed type-I error study rendered for the appendix."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mcbi.paper.outcomes import TYPE1_RESULT
from mcbi.paper.outcomes.sufficiency import MIN_UNITS
from mcbi.paper.outcomes.typeone import (
    COMMAND,
    METHOD_LABELS,
    TYPE1_UNITS,
    chosen_min_units,
    type1_markdown,
)


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
    assert "has no type-I error study" in text and COMMAND in text
    assert "--effects null" in COMMAND


def _units(rates: dict[int, float], tests: int = 400) -> pd.DataFrame:
    rows = []
    for method in METHOD_LABELS:
        for lo, rate in rates.items():
            rows.append({"method": method, "units_from": lo,
                         "units_to": float("nan") if lo == max(rates) else lo,
                         "rate": rate, "tests": tests, "mc_se": 0.01})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("rates", "expected"), [
    ({1: 0.20, 2: 0.09, 3: 0.07, 4: 0.055, 5: 0.05, 6: 0.048}, 4),
    ({1: 0.20, 2: 0.04, 3: 0.07, 4: 0.05, 5: 0.05}, 4),  # a later band over the limit counts
    ({2: 0.05, 3: 0.04, 4: 0.05}, 2),
    ({1: 0.05, 2: 0.05}, 2),  # never below 2
])
def test_the_rules_count_is_read_from_the_rates(rates, expected):
    assert chosen_min_units(_units(rates)) == expected


def test_bands_with_few_tests_do_not_count_and_a_failing_last_band_is_refused():
    table = _units({3: 0.2, 4: 0.05, 5: 0.05})
    table.loc[table["units_from"] == 3, "tests"] = 20  # too few tests to read
    assert chosen_min_units(table) == 4
    with pytest.raises(ValueError, match="last count band"):
        chosen_min_units(_units({3: 0.05, 4: 0.09}))
    with pytest.raises(ValueError, match="has 200 tests"):
        chosen_min_units(_units({3: 0.05}, tests=10))


def test_the_appendix_shows_the_units_table_and_says_whether_the_rule_agrees(tmp_path):
    _write(tmp_path)
    rates = {k: (0.2 if k < MIN_UNITS else 0.05) for k in range(1, MIN_UNITS + 3)}
    _units(rates).to_csv(tmp_path / TYPE1_UNITS, index=False)
    text = type1_markdown(tmp_path)
    assert "Therapists per arm with the change observed" in text
    assert f"from {MIN_UNITS} therapists per arm" in text
    assert "This is the count the book uses." in text
    rates = {k: (0.2 if k < MIN_UNITS + 1 else 0.05) for k in range(1, MIN_UNITS + 3)}
    _units(rates).to_csv(tmp_path / TYPE1_UNITS, index=False)
    text = type1_markdown(tmp_path)
    assert f"from {MIN_UNITS + 1} therapists per arm" in text and "disagree" in text


REPO = Path(__file__).resolve().parents[3]


def test_the_committed_study_supports_the_books_test_and_its_count() -> None:
    """The committed evidence (made by ``mcbi plan --effects null``) backs the two choices:
    Kenward-Roger keeps its level within [.025, .06] at every size and wave, and the
    data-sufficiency count is the one the study supports."""
    table = pd.read_csv(REPO / TYPE1_RESULT)
    meta = json.loads((REPO / TYPE1_RESULT).with_name("type1.meta.json").read_text("utf-8"))
    assert "--effects null" in meta["command"] and meta["reps"] >= 200
    assert set(table["n_therapists"]) >= {10, 20, 40, 63}
    kr = table[table["method"] == "kenward_roger"]
    assert len(kr) == 2 * table["n_therapists"].nunique()  # post and follow-up per size
    assert kr["rate"].between(0.025, 0.06).all(), kr[["n_therapists", "time", "rate"]]
    z = table[table["method"] == "z_ml"].set_index(["n_therapists", "time"])["rate"]
    assert z.loc[10].min() > 0.06  # the test it replaced does not keep its level with 10
    units = pd.read_csv(REPO / TYPE1_UNITS)
    assert chosen_min_units(units) == MIN_UNITS


def test_large_counts_have_thousands_separators(tmp_path: Path) -> None:
    _write(tmp_path)
    path = tmp_path / TYPE1_RESULT
    table = pd.read_csv(path)
    table["tests"] = 16000
    table.to_csv(path, index=False)
    meta = path.with_name("type1.meta.json")
    meta.write_text(json.dumps({**json.loads(meta.read_text("utf-8")), "reps": 2000}), "utf-8")
    text = type1_markdown(tmp_path)
    assert "16,000" in text and "(2,000 simulated trials" in text and "16000" not in text
