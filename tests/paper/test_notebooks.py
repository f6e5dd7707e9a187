"""The section notebooks stay thin: they call mcbi.paper, display and glue.

Each notebook has at most 60 code lines (not counting blanks and comments), takes its
outcome lists from :mod:`mcbi.paper.outcomes.families`, and every figure and table of the book is
made by exactly one notebook.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from mcbi.paper.outcomes import families as outcomes

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
MAX_CODE_LINES = 60
OUTCOMES = set(outcomes.outcomes(outcomes.THERAPIST_FAMILIES)) | set(
    outcomes.outcomes(outcomes.PATIENT_FAMILIES))


def _code(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def code_lines(sources: list[str]) -> int:
    """Lines of code: neither blank nor a comment."""
    return sum(1 for src in sources for line in src.splitlines()
               if line.strip() and not line.strip().startswith("#"))


def test_code_lines_counts_code_only() -> None:
    assert code_lines(["# a comment\n\nx = 1  # trailing\n    # indented comment\ny = 2"]) == 2
    assert code_lines([]) == 0


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_thin(path) -> None:
    n = code_lines(_code(path))
    assert n <= MAX_CODE_LINES, f"{path.name} has {n} code lines"


def _literal_outcome_lists(source: str) -> list[list[str]]:
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            names = [e.value for e in node.elts
                     if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(names) >= 2 and set(names) <= OUTCOMES:
                found.append(names)
    return found


def test_literal_outcome_list_detected() -> None:
    assert _literal_outcome_lists("f(x, ['pms', 'eus_t'])") == [["pms", "eus_t"]]
    assert _literal_outcome_lists("f(x, ['age', 'gender'])") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outcome_lists_come_from_the_package(path) -> None:
    for source in _code(path):
        assert _literal_outcome_lists(source) == [], path.name


def _products(pattern: str) -> dict[str, list[str]]:
    made: dict[str, list[str]] = {}
    for path in NOTEBOOKS:
        for name in re.findall(pattern, "\n".join(_code(path))):
            made.setdefault(name, []).append(path.stem)
    return made


def test_each_figure_made_by_one_notebook() -> None:
    made = _products(r"save_figure\([^)]*?\"([\w-]+)\"\)")
    assert made, "no figure found"
    assert {name: stems for name, stems in made.items() if len(stems) > 1} == {}


def test_each_table_made_by_one_notebook() -> None:
    made = _products(r"\"(tbl-[\w-]+)\"")
    assert len(made) >= 10
    assert {name: stems for name, stems in made.items() if len(stems) > 1} == {}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_default_out_dir_is_outside_the_book(path) -> None:
    """A notebook run by hand with its defaults never writes into the book's tree."""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    values = {t.id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body
              if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
    out_dir = Path(values["out_dir"])
    assert out_dir.parts[0] != "book", f"{path.name}: default out_dir {out_dir} is in book/"


def test_every_notebook_is_a_chapter_of_the_book() -> None:
    toc = (Path(__file__).resolve().parents[2] / "_toc.yml").read_text("utf-8")
    listed = set(re.findall(r"file:\s*book/sections/(\w+)", toc))
    assert {p.stem for p in NOTEBOOKS} <= listed


def test_sensitivity_parameters_are_checked_and_offer_the_tests() -> None:
    from mcbi.book.sections import parameter_choices, read_parameter_comments, read_parameters
    from mcbi.paper.parameters import RULES
    from mcbi.paper.sensitivity.fits import DDF

    path = next(p for p in NOTEBOOKS if p.stem == "08_sensitivity")
    values = read_parameters(path)
    assert {"data_dir", "data_sha256", "synthetic", "out_dir", "alpha", "ddf", "imputations",
            "deltas", "seed"} <= set(values)
    assert parameter_choices(read_parameter_comments(path)["ddf"]) == list(DDF)
    from mcbi.paper.outcomes.models import INFERENCE
    assert values["ddf"] == INFERENCE  # the outcome chapters' test is the primary one
    for name in ("alpha", "imputations", "deltas", "seed"):
        assert RULES[name].accepts(values[name]), name
    assert not RULES["deltas"].accepts([0.5, 0.5]) and not RULES["imputations"].accepts(1)


NO_RERUN_BOX = {"07_discussion"}  # reads the other chapters' results; re-run with the book


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem not in NO_RERUN_BOX],
                         ids=lambda p: p.stem)
def test_every_results_chapter_ends_with_its_rerun_box(path) -> None:
    nb = nbformat.read(path, as_version=4)
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and "Re-run this chapter" in last.source
    assert "{glue:text}`rerun_command:s`" in last.source
    assert f'rerun.rerun_values("{path.stem}"' in "\n".join(_code(path))
