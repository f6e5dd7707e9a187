"""Execute one section notebook with papermill; a failure raises :class:`SectionFailed`."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mcbi.errors import BuildFailed


class SectionFailed(BuildFailed):
    """A section notebook raised: the notebook, the cell, its first line and the error.

    ``str()`` is the one-paragraph message shown to the user, e.g.
    ``notebooks/02_x.ipynb, cell 3 (`ratio = 1`): ZeroDivisionError: division by zero``,
    followed by ``note`` on a second line when one is given.
    """

    def __init__(self, notebook: Path, cell_index: int | None, first_line: str, error: str,
                 note: str = ""):
        self.notebook = Path(notebook)
        self.cell_index = cell_index
        self.first_line = first_line
        self.error = error
        self.note = note
        cell = "" if cell_index is None else f", cell {cell_index} (`{first_line}`)"
        text = f"{self.notebook.as_posix()}{cell}: {error}"
        super().__init__(text + (f"\n  {note}" if note else ""))

    def with_note(self, notebook: Path, note: str) -> SectionFailed:
        """Return the same failure naming ``notebook`` (e.g. relative) and adding ``note``."""
        return SectionFailed(notebook, self.cell_index, self.first_line, self.error, note)


@contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send file descriptor 2 (ours and the kernel's) to ``path`` for the duration."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "wb") as log:
            os.dup2(log.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def execute_notebook(
    source: Path, output: Path, overrides: dict[str, Any], cwd: Path, log: Path | None = None
) -> None:
    """Run ``source`` with papermill into ``output``, working directory ``cwd``.

    Parameters
    ----------
    source, output : Path
        Notebook to run and where to write the executed copy (written even on failure).
    overrides : dict
        Parameters injected after the ``parameters`` cell (none: no cell is injected).
    cwd : Path
        Working directory of the kernel (the project root).
    log : Path, optional
        File receiving the kernel's and papermill's stderr (default: next to ``output``).

    Raises
    ------
    SectionFailed
        If a cell raises or the kernel cannot run the notebook.
    """
    import papermill

    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiet ipykernel's debugger
    output.parent.mkdir(parents=True, exist_ok=True)
    log = log or output.with_suffix(".stderr.log")
    try:
        with _stderr_to(log):
            papermill.execute_notebook(
                str(source), str(output), parameters=overrides or None, cwd=str(cwd),
                progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            )
    except papermill.PapermillExecutionError as exc:
        index, line = _source_cell(output, exc.cell_index, exc.source)
        raise SectionFailed(source, index, line, f"{exc.ename}: {exc.evalue}") from None
    except Exception as exc:  # kernel died, missing kernel, bad notebook: report, no traceback
        raise SectionFailed(source, None, "", f"{type(exc).__name__}: {exc}") from None


def _source_cell(executed: Path, index: int, source: str) -> tuple[int, str]:
    """Map a cell index of the executed notebook back to the source notebook."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    try:
        import nbformat

        cells = nbformat.read(executed, as_version=4).cells
    except Exception:  # the failed notebook could not be read: keep papermill's index
        return index, first
    cells = [c for c in cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    injected = sum(
        "injected-parameters" in c.metadata.get("tags", []) for c in cells[:index]
    )
    return index - injected, first
