"""The ``simulate`` and ``validate`` sub-commands, in process (fast) and their usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from _datafixtures import snapshot
from mcbi.cli import main, make_parser
from mcbi.synth.simulate import DEFAULT_SEED


def test_validate_missing_folder_exit_code(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope")]) == 1
    assert "rule 'folder exists' broken" in capsys.readouterr().out


def test_simulate_with_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "new" / "pkg"
    assert main(["simulate", "--out", str(out), "--seed", "42"]) == 0
    assert f"(seed 42) to {out}" in capsys.readouterr().out
    assert len(snapshot(out)) == 5
    assert "seed 42)" in (out / "datapackage.json").read_text("utf-8")


def test_simulate_default_seed_is_the_shipped_one() -> None:
    args = make_parser().parse_args(["simulate", "--out", "x"])
    assert args.seed is None  # resolved to DEFAULT_SEED by the command
    assert DEFAULT_SEED == 20230401


@pytest.mark.parametrize(
    "argv",
    [[], ["simulate"], ["simulate", "--out", "x", "--seed", "abc"], ["validate"],
     ["frobnicate"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err
    assert "Traceback" not in err
