"""Execute one section notebook with papermill; a failure raises :class:`SectionFailed`."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mcbi.errors import BuildFailed


class SectionFailed(BuildFailed):
    """A section notebook raised: the notebook, the cell, the failing line and the error.

    ``str()`` is the one-paragraph message shown to the user, e.g.
    ``notebooks/02_x.ipynb, cell 3, line 2 (`total = ratio / 0`): ZeroDivisionError:
    division by zero`` (the cell index counts every cell of the source notebook from 0; the
    line is the one of that cell where the exception arose, from the traceback), followed
    by ``note`` on a second line when one is given. Without ``line_number`` the quoted
    line is shown alone (``cell 3 (`ratio = 1`)``).
    """

    def __init__(self, notebook: Path, cell_index: int | None, first_line: str, error: str,
                 note: str = "", line_number: int | None = None):
        self.notebook = Path(notebook)
        self.cell_index = cell_index
        self.first_line = first_line
        self.line_number = line_number
        self.error = error
        self.note = note
        where = "" if line_number is None else f", line {line_number}"
        cell = "" if cell_index is None else f", cell {cell_index}{where} (`{first_line}`)"
        text = f"{self.notebook.as_posix()}{cell}: {error}"
        super().__init__(text + (f"\n  {note}" if note else ""))

    def with_note(self, notebook: Path, note: str) -> SectionFailed:
        """Return the same failure naming ``notebook`` (e.g. relative) and adding ``note``."""
        return SectionFailed(notebook, self.cell_index, self.first_line, self.error, note,
                             self.line_number)


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


#: Environment of a section's kernel unless the caller's environment sets these already: one
#: BLAS/OpenMP thread. The models' matrices are small, so extra threads only contend with
#: each other and with a second section running beside it (measured on the trial's outcome
#: models at load 8 on 2 cores: 20.8 s of fitting with OpenBLAS's default threads, 8.7 s
#: with one). Dask's worker processes get the same by default. ipykernel's debugger is told
#: not to warn about frozen modules (its warning would fill every section's log).
KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


@contextmanager
def _kernel_env() -> Iterator[None]:
    """Set :data:`KERNEL_ENV` (where not already set) while a kernel is started."""
    added = {k: v for k, v in KERNEL_ENV.items() if k not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


IOPUB_TIMEOUT = 60
"""Seconds nbclient waits for a cell's last outputs after it finished (its default, 4 s,
fails cells at random on a loaded machine: "Timeout waiting for IOPub output")."""


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

    The kernel runs with :data:`KERNEL_ENV` added to this process's environment; it is
    forked from the build's zygote when one runs (:mod:`mcbi.book.zygote`).

    Raises
    ------
    SectionFailed
        If a cell raises or the kernel cannot run the notebook.
    """
    import papermill

    from mcbi.book.zygote import ZygoteKernelManager

    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiet ipykernel's debugger
    output.parent.mkdir(parents=True, exist_ok=True)
    log = log or output.with_suffix(".stderr.log")
    try:
        with _stderr_to(log), _kernel_env():
            papermill.execute_notebook(
                str(source), str(output), parameters=overrides or None, cwd=str(cwd),
                progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                iopub_timeout=IOPUB_TIMEOUT, kernel_manager_class=ZygoteKernelManager,
            )
    except papermill.PapermillExecutionError as exc:
        index = _source_cell(output, exc.cell_index)
        number, line = failing_line(exc.source, exc.traceback)
        raise SectionFailed(source, index, line, f"{exc.ename}: {exc.evalue}",
                            line_number=number) from None
    except Exception as exc:  # kernel died, missing kernel, bad notebook: report, no traceback
        raise SectionFailed(source, None, "", f"{type(exc).__name__}: {exc}") from None
    hide_injected(output)


def hide_injected(notebook: Path) -> bool:
    """Tag papermill's injected-parameters cell ``remove-cell`` so no page shows it (the
    chapter's "Re-run this chapter" box states the parameters in words instead).

    Returns True when the notebook was changed. Written aside, then swapped in.
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    changed = False
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
            changed = True
    if changed:
        tmp = notebook.with_suffix(notebook.suffix + ".tmp")
        nbformat.write(nb, str(tmp))
        os.replace(tmp, notebook)
    return changed


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_LINE = re.compile(r"Cell In\[\d*\], line (\d+)|<cell line: (\d+)>")


def failing_line(source: str, traceback: list[str] | None) -> tuple[int | None, str]:
    """Return ``(line number, line text)`` of ``source`` where the exception arose.

    The number comes from the first frame of the IPython ``traceback`` that points into
    the cell (``Cell In[3], line 2``); without one, the cell's first non-blank line is
    returned with ``None``.

    Examples
    --------
    >>> failing_line("import os\\nx = 1 / 0", ["Cell In[4], line 2", "ZeroDivisionError"])
    (2, 'x = 1 / 0')
    """
    lines = source.splitlines()
    text = _ANSI.sub("", "\n".join(traceback or []))
    match = _CELL_LINE.search(text)
    if match:
        number = int(match.group(1) or match.group(2))
        if 1 <= number <= len(lines):
            return number, lines[number - 1].strip()
    return None, next((line.strip() for line in lines if line.strip()), "")


def _source_cell(executed: Path, index: int) -> int:
    """Map a cell index of the executed notebook back to the source notebook."""
    try:
        import nbformat

        cells = nbformat.read(executed, as_version=4).cells
    except Exception:  # the failed notebook could not be read: keep papermill's index
        return index
    cells = [c for c in cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    injected = sum(
        "injected-parameters" in c.metadata.get("tags", []) for c in cells[:index]
    )
    return index - injected


def relativize(notebook: Path, root: Path) -> None:
    """Make papermill's ``input_path``/``output_path`` metadata relative to ``root``.

    Papermill records absolute paths in the executed notebook's metadata; a published
    notebook should not carry the builder's folders. Paths outside ``root`` keep only
    their file name.
    """
    path = Path(notebook)
    nb = json.loads(path.read_text("utf-8"))
    meta = nb.get("metadata", {}).get("papermill")
    if not isinstance(meta, dict):
        return
    changed = False
    for key in ("input_path", "output_path"):
        value = meta.get(key)
        if isinstance(value, str) and Path(value).is_absolute():
            try:
                meta[key] = Path(value).resolve().relative_to(Path(root).resolve()).as_posix()
            except ValueError:
                meta[key] = Path(value).name
            changed = True
    if changed:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", "utf-8")

