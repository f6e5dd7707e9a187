"""The ladder's simulation table: read from the committed CSV, rendered, recorded."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from _datafixtures import REPO
from mcbi.paper.mechanism import evidence as ev

ROWS = [
    {"kind": "synthetic", "n": 4, "estimate_%": 100.0, "full": 3, "full_bounded": 0,
     "diagonal_between": 1, "chain": 0, "none": 0, "none_reason": "", "a_bias": 0.01,
     "b_bias": -0.02, "ab_bias": 0.003, "a_cover%": 75.0, "b_cover%": 100.0,
     "ab_cover%": 100.0},
    {"kind": "missing30", "n": 2, "estimate_%": 0.0, "full": 0, "full_bounded": 0,
     "diagonal_between": 0, "chain": 0, "none": 2, "none_reason": "too little data",
     "a_bias": float("nan"), "b_bias": float("nan"), "ab_bias": float("nan"),
     "a_cover%": float("nan"), "b_cover%": float("nan"), "ab_cover%": float("nan")},
]


@pytest.fixture()
def evidence(tmp_path: Path) -> Path:
    path = tmp_path / "ladder.csv"
    pd.DataFrame(ROWS).to_csv(path, index=False)
    meta = {"command": "benchmarks/ladder.py --draws 4", "date_utc": "2026-01-02 03:04",
            "code_commit": "0123456789abcdef", "synthetic_seeds": "5000-5003",
            "perturbation_seeds": "100-101", "truth_draws": 7}
    path.with_suffix(".meta.json").write_text(json.dumps(meta))
    return path


def test_table_has_a_row_per_family_with_rungs_and_reasons(evidence: Path) -> None:
    summary, meta = ev.read_evidence(evidence)
    table = ev.evidence_table(summary)
    assert list(table["Data sets"]) == [ev.KINDS["synthetic"], ev.KINDS["missing30"]]
    assert table.loc[0, "Rung used (count)"] == "1: 3, 3: 1"  # rungs by number, no code names
    assert table.loc[1, "Rung used (count)"] == "none: 2 (too little data)"
    assert table.loc[0, "Coverage a×b (%)"] == "100.0"
    assert table.loc[1, "Bias a"] == "" and meta["truth_draws"] == 7


def test_markdown_says_where_the_table_comes_from(evidence: Path) -> None:
    text = ev.evidence_markdown(evidence)
    assert text.startswith(":::{table}") and ":name: tbl-ladder-simulation" in text
    assert "2026-01-02 03:04" in text and "`0123456789ab`" in text
    assert "benchmarks/ladder.py --draws 4" in text and "7 other draws" in text
    assert "3, the full model with every variance bounded at zero and" in text
    assert "diagonal_between" not in text and "full_bounded" not in text
    assert "| Bias *a* | Bias *b* | Bias *a*×*b* |" in text
    assert "no simulation table" in ev.evidence_markdown(evidence.parent / "absent.csv")


def test_values_record_every_number(evidence: Path) -> None:
    values = ev.evidence_values(evidence)
    assert values["ladder_sim_synthetic_n"] == 4.0
    assert values["ladder_sim_synthetic_ab_cover_pct"] == 100.0
    assert values["ladder_sim_missing30_none"] == 2.0
    assert math.isnan(values["ladder_sim_missing30_a_bias"])
    assert values["ladder_sim_date"] == "2026-01-02 03:04"
    missing = ev.evidence_values(None)
    assert math.isnan(missing["ladder_sim_synthetic_estimated_pct"])


def test_a_csv_without_the_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    pd.DataFrame({"kind": ["synthetic"]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="lacks the columns"):
        ev.read_evidence(path)


def test_the_committed_table_is_readable() -> None:
    path = ev.find_evidence(REPO)
    if path is None:
        pytest.skip("no committed simulation table in this checkout")
    summary, meta = ev.read_evidence(path)
    assert "synthetic" in set(summary["kind"]) and meta.get("code_commit")


def test_the_page_says_whether_the_model_code_is_this_builds(evidence: Path) -> None:
    meta = {"code_commit": "0123456789abcdef (with uncommitted changes)", "model_code": "x"}
    assert ev.code_note(meta, current="x") == "The model code it ran is the code of this build."
    assert "differs from this build's" in ev.code_note(meta, current="y")
    assert "does not name the version" in ev.code_note({"code_commit": "0123"}, current="x")
    # the fixture's record has no model_code: the page must not claim it is this build's
    text = ev.evidence_markdown(evidence)
    assert "does not name the version of the model code" in text
    assert "is the code of this build" not in text


def test_the_ladder_code_version_follows_the_code(tmp_path: Path) -> None:
    for part in ("stats/msem", "stats/lmm", "trial", "synth", "paper/mechanism"):
        (tmp_path / part).mkdir(parents=True, exist_ok=True)
    files = {"stats/msem/fit.py": "x = 1", "paper/mechanism/ladder.py": "y = 1",
             "paper/mechanism/report.py": "z = 1", "stats/lmm/ddf.py": "w = 1",
             "synth/variants.py": "v = 1", "synth/simulate.py": "u = 1"}
    for name, text in files.items():
        (tmp_path / name).write_text(text + "\n")
    before = ev.ladder_code_version(tmp_path)
    for name in ("paper/mechanism/report.py", "stats/lmm/ddf.py", "synth/variants.py"):
        (tmp_path / name).write_text("changed = 1\n")  # not code the ladder runs
        assert ev.ladder_code_version(tmp_path) == before, name
    for name in ("stats/msem/fit.py", "paper/mechanism/ladder.py", "synth/simulate.py"):
        (tmp_path / name).write_text(f"{name} = 2\n".replace("/", "_").replace(".", "_", 1))
        assert ev.ladder_code_version(tmp_path) != before, name
        before = ev.ladder_code_version(tmp_path)
