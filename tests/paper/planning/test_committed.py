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
    for folder in ("stats", "book", "paper/planning", "paper/render"):
        (pkg / folder).mkdir(parents=True)
        (pkg / folder / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "paper" / "__init__.py").write_text("")
    (pkg / "paper" / "planning" / "replicates.py").write_text(
        "from mcbi.stats import a\nfrom . import helper\n"
        "def f():\n    import mcbi.paper.render.apa\n")
    (pkg / "paper" / "planning" / "helper.py").write_text("from ..render import words\n")
    (pkg / "paper" / "render" / "apa.py").write_text("import math\n")
    (pkg / "paper" / "render" / "words.py").write_text("w = 1\n")
    (pkg / "paper" / "render" / "tables.py").write_text("t = 1\n")  # not imported
    (pkg / "stats" / "a.py").write_text("x = 1\n")
    (pkg / "book" / "b.py").write_text("y = 1\n")
    assert committed.model_code(pkg) == [
        "__init__.py", "paper/__init__.py", "paper/planning/__init__.py",
        "paper/planning/helper.py", "paper/planning/replicates.py", "paper/render/__init__.py",
        "paper/render/apa.py", "paper/render/words.py", "stats/__init__.py", "stats/a.py"]
    first = committed.model_code_version(pkg)
    (pkg / "book" / "b.py").write_text("y = 2\n")  # not model code
    (pkg / "paper" / "render" / "tables.py").write_text("t = 2\n")  # nor this
    assert committed.model_code_version(pkg) == first
    for changed in ("stats/a.py", "paper/render/words.py", "paper/render/apa.py"):
        (pkg / changed).write_text((pkg / changed).read_text() + "z = 3\n")
        assert committed.model_code_version(pkg) != first
        first = committed.model_code_version(pkg)


def test_the_model_code_is_what_a_replicate_imports() -> None:
    """The static closure equals the mcbi modules a fresh interpreter loads with the
    replicate module (so nothing a replicate runs is left out of the hash)."""
    import subprocess
    import sys

    code = ("import sys, mcbi.paper.planning.replicates as r; "
            "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] == 'mcbi')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    files = committed.model_code()
    as_modules = sorted("mcbi" + ("." + f[:-3].replace("/", ".") if f != "__init__.py" else "")
                        for f in files)
    as_modules = sorted(m.removesuffix(".__init__") for m in as_modules)
    assert set(loaded) <= set(as_modules)
    assert "paper/render/tables.py" not in files and "book/pipeline.py" not in files
