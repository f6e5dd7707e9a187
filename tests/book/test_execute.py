"""Executing one notebook: the kernel's environment (failures are tested via the pipeline)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import make_notebook
from mcbi.book.execute import KERNEL_ENV, execute_notebook


@pytest.mark.parametrize("preset", [None, "3"])
def test_kernel_gets_one_blas_thread_unless_the_caller_set_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preset: str | None) -> None:
    if preset is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", preset)
    seen = tmp_path / "seen.txt"
    nb = make_notebook(tmp_path / "env.ipynb", [
        ("code", "out = ''", ["parameters"]),
        ("code", "import os, pathlib\npathlib.Path(out).write_text("
                 "os.environ.get('OPENBLAS_NUM_THREADS', 'unset'))", []),
    ])
    execute_notebook(nb, tmp_path / "run.ipynb", {"out": str(seen)}, cwd=tmp_path)
    assert seen.read_text() == (preset or KERNEL_ENV["OPENBLAS_NUM_THREADS"])
    assert os.environ.get("OPENBLAS_NUM_THREADS") == preset  # this process: unchanged


def test_hide_injected_tags_the_parameters_cell(tmp_path) -> None:
    import nbformat

    from mcbi.book.execute import hide_injected

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("alpha = 0.05", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("alpha = 0.1",
                                          metadata={"tags": ["injected-parameters"]}),
                nbformat.v4.new_code_cell("print(alpha)")]
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, str(path))
    assert hide_injected(path) is True
    back = nbformat.read(str(path), as_version=4)
    assert back.cells[1].metadata["tags"] == ["injected-parameters", "remove-cell"]
    assert "tags" not in back.cells[2].metadata
    assert hide_injected(path) is False  # already hidden: untouched
