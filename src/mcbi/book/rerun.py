"""``python -m mcbi run``: re-execute one section with other parameters, outside the book.

The executed notebook goes to ``_build/runs/<section>.ipynb`` (or ``--output``) with an
HTML view beside it, and the section's figures and results file to
``_build/runs/<section>/``: a re-run never writes into the book's folder (only
``python -m mcbi build`` does), so it cannot change what the book or the manifest shows.
Overrides are checked against the notebook's defaults (:func:`parse_overrides`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcbi.book.door import CheckedData
from mcbi.book.execute import SectionFailed, execute_notebook, relativize
from mcbi.book.layout import Layout
from mcbi.book.lock import build_lock
from mcbi.book.notebook_html import write_html
from mcbi.book.sections import find_section, parse_overrides
from mcbi.errors import ParameterError

Progress = Callable[[str], None]
ParameterCheck = Callable[[str, dict[str, Any]], None]
DataCheck = Callable[[str], CheckedData]


def _silent(line: str) -> None:
    """The default progress callback: show nothing."""


@dataclass(frozen=True)
class RunReport:
    """The result of :func:`run_section`: the executed notebook, its HTML view, how it ran."""

    section: str
    notebook: Path
    overrides: dict[str, Any]
    seconds: float
    html: Path | None = None


def run_section(
    section: str, params: dict[str, str], *, output: str | None = None,
    root: Path | None = None, progress: Progress | None = None,
    check: ParameterCheck | None = None, data_check: DataCheck | None = None,
    protected: frozenset[str] = frozenset(),
) -> RunReport:
    """Re-execute one section with other parameters, outside the book.

    Parameters
    ----------
    section : str
        Section name, e.g. ``"02_therapists"``.
    params : dict
        Parameter overrides as command-line strings (parsed like ``papermill -p``).
    output : str, optional
        Executed notebook path (default ``Layout.run_output(section)``, relative paths from
        the working directory); its HTML view is written beside it (``.html``). Figures
        and the results file go to ``out_dir`` (default: the notebook's folder +
        ``/<section>``). Neither may lie inside the book's folder.
    root : Path, optional
        Project root (default: the working directory).
    progress : callable, optional
        Receives the progress lines (default: nothing is shown).
    check : callable, optional
        ``check(section, parameters)`` raises :class:`~mcbi.errors.ParameterError` for a
        value out of range (the command line passes :func:`mcbi.paper.parameters.check_all`);
        called on the merged parameters before any kernel starts.
    data_check : callable, optional
        ``data_check(data_dir)`` validates the data package the section will read (its
        ``data_dir``, as given or by default) and returns its
        :class:`~mcbi.book.door.CheckedData`, whose hash and verdict are then passed as
        ``data_sha256`` and ``synthetic`` when the notebook declares them.
    protected : frozenset of str
        Parameters a user may not set (those the command sets from the data).

    Returns
    -------
    RunReport
        The executed notebook, its HTML view, the overrides used and the time taken.

    Raises
    ------
    SectionError, ParameterError
        Unknown section or parameter, a value of the wrong type (checked against the
        notebook's default), an output inside the book's folder.
    BuildLocked
        Another build, run or publish holds ``_build``.
    SectionFailed
        A cell raised (a :class:`mcbi.errors.BuildFailed`); the notebook is kept at
        ``output``.
    """
    say = progress or _silent
    layout = Layout(root or Path.cwd())
    found = find_section(layout.notebooks, section)
    overrides = parse_overrides(found, params)
    refused = sorted(protected & set(overrides))
    if refused:
        raise ParameterError(f"parameter {', '.join(refused)} of {found.name} is set by the "
                             "command from the data package it checks; leave it out")
    defaults = found.defaults()
    if check is not None:
        check(found.name, {**defaults, **overrides})
    if data_check is not None and "data_dir" in defaults:
        checked = data_check(str(overrides.get("data_dir", defaults["data_dir"])))
        door = {"data_sha256": checked.sha256, "synthetic": "yes" if checked.synthetic else "no"}
        overrides.update({k: v for k, v in door.items() if k in defaults})
    target = Path(output) if output else layout.run_output(found.name)
    target = (target if target.is_absolute() else (Path.cwd() / target)).resolve()
    if "out_dir" in found.defaults() and "out_dir" not in overrides:
        overrides["out_dir"] = layout.rel(target.parent / found.name)
    _refuse_book_tree(layout, "--output", target)
    if "out_dir" in overrides:
        _refuse_book_tree(layout, "out_dir", layout.root / str(overrides["out_dir"]))
    with build_lock(layout.build, f"run {found.name}"):
        start = time.perf_counter()
        try:
            execute_notebook(found.notebook, target, overrides, cwd=layout.root,
                             log=layout.log(f"run-{found.name}.stderr.log"))
        except SectionFailed as exc:
            say(f"[{found.name}] FAILED")
            html = _html_or_none(target, layout.root)
            shown = layout.rel(target) + (f" (HTML: {layout.rel(html)})" if html else "")
            note = f"the executed notebook is kept at {shown}"
            raise exc.with_note(Path(layout.rel(exc.notebook)), note) from None
        seconds = time.perf_counter() - start
        html = _html_or_none(target, layout.root)
    shown = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
    where = layout.rel(target) + (f" and {layout.rel(html)}" if html else "")
    say(f"[{found.name}] executed in {seconds:.1f} s with {shown} -> {where}")
    return RunReport(found.name, target, overrides, seconds, html)


def _refuse_book_tree(layout: Layout, what: str, path: Path) -> None:
    """Refuse a re-run writing into the book's folder (only ``build`` writes there)."""
    if path.resolve().is_relative_to(layout.book):
        raise ParameterError(
            f"{what} {layout.rel(path)} is inside the book's folder "
            f"{layout.rel(layout.book)}/, which only `python -m mcbi build` writes; "
            f"choose a folder outside it (default: {layout.rel(layout.runs)}/)")


def _html_or_none(notebook: Path, root: Path) -> Path | None:
    """Write the HTML view of an executed notebook; None if there is no notebook."""
    if not notebook.is_file():
        return None
    relativize(notebook, root)
    return write_html(notebook)
