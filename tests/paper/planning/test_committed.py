"""mcbi.paper.planning.committed: the committed planning result and its record."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from mcbi.errors import UserError
from mcbi.paper.planning import committed


def _plan(tmp_path: Path, reps: int) -> Path:
    csv = tmp_path / "plan.csv"
    pd.DataFrame({"n_therapists": [20, 40], "patients_per_therapist": [2, 2],
                  "target": ["pms", "pms"], "reps": [reps, reps],
                  "power": [0.4, 0.7]}).to_csv(csv, index=False)
    return csv


def test_meta_round_trip_and_code_note(tmp_path: Path) -> None:
    csv = _plan(tmp_path, 500)
    meta = committed.write_meta(csv, "python -m mcbi plan ...", 7, 500, "abc1234",
                                datetime(2026, 12, 5, 5, 0, tzinfo=UTC), model_code="x")
    assert meta.name == "plan.meta.json"
    table, record = committed.read_committed(csv)
    assert len(table) == 2 and record["seed"] == 7 and record["code_commit"] == "abc1234"
    differs = committed.committed_values(record, current="y")
    assert "differs from this build's" in differs["plan_code_note"]
    same = committed.committed_values(record, current="x")
    assert "is the code of this build" in same["plan_code_note"]
    assert same["plan_date"] == "2026-12-05 05:00 UTC"


def test_too_few_replicates_or_no_record_are_refused(tmp_path: Path) -> None:
    csv = _plan(tmp_path, 50)
    with pytest.raises(UserError, match="no committed planning result"):
        committed.read_committed(csv)
    committed.write_meta(csv, "cmd", 1, 50, "abc")
    with pytest.raises(UserError, match="fewer than 200 replicates"):
        committed.read_committed(csv)


def test_model_code_version_follows_the_model_code(tmp_path: Path) -> None:
    pkg = tmp_path / "mcbi"
    (pkg / "stats").mkdir(parents=True)
    (pkg / "book").mkdir()
    (pkg / "stats" / "a.py").write_text("x = 1\n")
    (pkg / "book" / "b.py").write_text("y = 1\n")
    first = committed.model_code_version(pkg)
    (pkg / "book" / "b.py").write_text("y = 2\n")  # not model code
    assert committed.model_code_version(pkg) == first
    (pkg / "stats" / "a.py").write_text("x = 2\n")
    assert committed.model_code_version(pkg) != first
