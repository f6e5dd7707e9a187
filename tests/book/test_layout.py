"""mcbi.book.layout: every project path in one frozen object."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from conftest import REPO
from mcbi.book import layout as layout_module
from mcbi.book.layout import Layout


def test_paths_under_the_root(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    expected = {
        "build": "_build", "html": "_build/html", "manifest": "_build/manifest.json",
        "state": "_build/state.json", "stage": "_build/stage", "failed": "_build/failed",
        "runs": "_build/runs", "logs": "_build/logs", "book": "book",
        "sections": "book/sections", "generated": "book/_generated",
        "notebooks": "notebooks", "code": "src/mcbi", "config": "_config.yml",
        "toc": "_toc.yml", "citation": "CITATION.cff", "zenodo": ".zenodo.json",
        "requirements_in": "requirements.in", "requirements_txt": "requirements.txt",
    }
    assert {name: layout.rel(getattr(layout, name)) for name in expected} == expected
    assert layout.root == tmp_path.resolve() and layout.data is None


def test_per_section_files(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    assert layout.rel(layout.page("02_x")) == "book/sections/02_x.ipynb"
    assert layout.rel(layout.results("02_x")) == "book/sections/02_x.results.json"
    assert layout.rel(layout.staged("02_x")) == "_build/stage/notebooks/02_x.ipynb"
    assert layout.rel(layout.kept("02_x")) == "_build/failed/02_x.ipynb"
    assert layout.rel(layout.run_output("02_x")) == "_build/runs/02_x.ipynb"
    assert layout.rel(layout.book_log) == "_build/logs/jupyter-book.log"
    assert layout.rel(layout.stage_config) == "_build/stage/_config.yml"
    assert layout.rel(layout.stage_book) == "_build/stage/jb"


def test_relative_root_and_data_are_resolved(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    layout = Layout(Path("."), data=Path("pkg/trial"))
    assert layout.root == tmp_path.resolve()
    assert layout.data == tmp_path.resolve() / "pkg" / "trial"
    elsewhere = Layout(tmp_path / "project", data=tmp_path / "other")
    assert elsewhere.data == (tmp_path / "other").resolve()
    assert elsewhere.rel(elsewhere.data) == str((tmp_path / "other").resolve())


def test_layout_is_frozen(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        layout.html = tmp_path  # type: ignore[misc]
    assert Layout(tmp_path) == layout


def test_book_modules_spell_no_build_path() -> None:
    """Only layout.py names the project folders; the other book modules ask it."""
    pattern = re.compile(  # a project path as a string, or a folder joined onto a path
        r"""["'](_build|book/sections|book/_generated|_config\.yml|_toc\.yml|CITATION\.cff|"""
        r"""data/trial)["'/]|/\s*["'](_build|book|notebooks|sections|_generated|src)["']""")
    offenders = []
    for path in sorted((REPO / "src" / "mcbi" / "book").glob("*.py")):
        if path.name == "layout.py":
            continue
        code = path.read_text("utf-8")
        offenders += [f"{path.name}: {m.group(0)}" for m in pattern.finditer(code)]
    assert offenders == []
    assert layout_module.SECTIONS_DIR == "book/sections"


def test_one_default_data_folder_in_src() -> None:
    """``data/trial`` is defined once, in mcbi.trial.design (the CLI passes it to build)."""
    hits = [path.relative_to(REPO).as_posix()
            for path in sorted((REPO / "src" / "mcbi").rglob("*.py"))
            if re.search(r"""Path\(["']data/trial["']\)|=\s*["']data/trial["']""",
                         path.read_text("utf-8"))]
    assert hits == ["src/mcbi/trial/design.py"]
