"""Executing stale sections: in order in-process, or in parallel worker processes."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

from conftest import Fakes, beta_notebook, build_in_process
from mcbi.book import runner
from mcbi.book.execute import SectionFailed
from mcbi.book.state import load_state


def test_doctests() -> None:
    assert doctest.testmod(runner).failed == 0


def test_start_order_longest_first_then_unrecorded_in_order() -> None:
    assert runner.start_order(["a", "b", "c", "d"], {"c": 3.0, "a": 3.0, "b": 7.5}) == [
        "b", "a", "c", "d"]
    assert runner.start_order(["x", "y"], {}) == ["x", "y"]


def test_jobs_below_one_is_refused(toy_project: Path) -> None:
    from mcbi.book.layout import Layout
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        runner.execute_sections(Layout(toy_project), [], {"sections": {}}, print, jobs=0)


def test_parallel_build_runs_real_kernels_in_workers(toy_project: Path, fakes: Fakes) -> None:
    report, text = build_in_process(toy_project, jobs=2)
    assert report.executed == ["01_alpha", "02_beta"]  # reported in notebook order
    assert fakes.executed == []  # not the in-process stand-in: real kernels in workers
    sections = toy_project / "book" / "sections"
    assert json.loads((sections / "02_beta.results.json").read_text())["total"] > 0
    state = load_state(toy_project / "_build" / "state.json")
    assert set(state["sections"]) == {"01_alpha", "02_beta"}
    assert set(state[runner.TIMES_KEY]) == {"01_alpha", "02_beta"}
    manifest = json.loads((toy_project / "_build" / "manifest.json").read_text())
    assert all(runner.TIMES_KEY not in rec for rec in manifest["sections"].values())
    again, _ = build_in_process(toy_project, jobs=2)
    assert again.executed == [] and again.book == "up to date"


def test_parallel_failure_keeps_the_finished_section_and_raises(toy_project: Path,
                                                                fakes: Fakes) -> None:
    beta_notebook(toy_project / "notebooks" / "02_beta.ipynb", body="total = 1 / 0")
    lines: list[str] = []
    with pytest.raises(SectionFailed) as info:
        build_in_process(toy_project, lines, jobs=2)
    assert str(info.value).startswith(
        "notebooks/02_beta.ipynb, cell 3, line 1 (`total = 1 / 0`): ZeroDivisionError")
    assert "[02_beta] FAILED" in lines
    assert any(line.startswith("[01_alpha] executed") for line in lines)
    state = load_state(toy_project / "_build" / "state.json")
    assert "01_alpha" in state["sections"] and "02_beta" not in state["sections"]
    assert state["book"] is None
    assert (toy_project / "_build" / "failed" / "02_beta.ipynb").is_file()
    assert (toy_project / "book" / "sections" / "01_alpha.ipynb").is_file()


def test_times_of_removed_sections_are_dropped(toy_project: Path, fakes: Fakes) -> None:
    build_in_process(toy_project)
    assert set(load_state(toy_project / "_build" / "state.json")[runner.TIMES_KEY]) == {
        "01_alpha", "02_beta"}
    (toy_project / "notebooks" / "02_beta.ipynb").unlink()
    toc = toy_project / "_toc.yml"
    toc.write_text("\n".join(line for line in toc.read_text().splitlines()
                             if "02_beta" not in line) + "\n")
    build_in_process(toy_project)
    assert set(load_state(toy_project / "_build" / "state.json")[runner.TIMES_KEY]) == {
        "01_alpha"}
