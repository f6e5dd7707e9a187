"""Executing the book's stale sections: one at a time, or several in worker processes.

Every section runs in its own Jupyter kernel (forked from the build's zygote when the caller
runs one: :func:`kernel_zygote`). With ``jobs == 1`` they run one after the
other in this process. With ``jobs > 1`` they run in a pool of ``jobs`` spawned worker
processes (each redirects its own stderr to the section's log, which threads could not
do: file descriptor 2 belongs to the process), and the sections that took longest in the
previous build start first (longest-processing-time order, which shortens the whole run
on few cores; without recorded times the notebooks' order is kept).

Each section is executed into the staging area and moved into the book only when it
succeeded and shows no stderr or warning text. Sections are recorded in the build state
as they finish. After a failure no further section is started; the ones already running
finish and are kept, and the failure of the earliest section (in notebook order) is
raised, its executed notebook kept in ``Layout.failed``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcbi.book.execute import SectionFailed, execute_notebook, relativize
from mcbi.book.layout import Layout
from mcbi.book.outputs import OutputLeak, check_outputs
from mcbi.book.sections import Section
from mcbi.book.state import output_hashes, record_files, save_state

__all__ = ["SectionOutcome", "Stale", "execute_sections", "start_order"]

TIMES_KEY = "seconds"
"""Key of the build state holding each section's last execution time (not in the manifest)."""


@dataclass(frozen=True)
class SectionOutcome:
    """What ``build`` did with one section.

    Attributes
    ----------
    name : str
        Section name.
    status : str
        ``"executed"`` or ``"up to date"``.
    seconds : float or None
        Execution time (None when up to date).
    results : bool
        Whether the section's results file exists.
    """

    name: str
    status: str
    seconds: float | None
    results: bool


@dataclass(frozen=True)
class Stale:
    """A section to execute: its overrides and the state record to keep if it succeeds."""

    section: Section
    overrides: dict[str, Any]
    record: dict[str, Any]


def _run(source: Path, staged: Path, overrides: dict[str, Any], cwd: Path,
         log: Path) -> tuple[float, dict[str, Any] | None]:
    """Execute one notebook; return (seconds, None) or (seconds, the failure's fields).

    Runs in a worker process: a :class:`SectionFailed` is returned as plain fields because
    its constructor does not take its message (it would not unpickle).
    """
    start = time.perf_counter()
    try:
        execute_notebook(source, staged, overrides, cwd=cwd, log=log)
    except SectionFailed as exc:
        return time.perf_counter() - start, {
            "cell_index": exc.cell_index, "first_line": exc.first_line, "error": exc.error,
            "line_number": exc.line_number}
    return time.perf_counter() - start, None


def start_order(names: list[str], seconds: dict[str, float]) -> list[str]:
    """Longest recorded time first; unrecorded sections after, in their given order.

    Examples
    --------
    >>> start_order(["01_a", "02_b", "03_c"], {"01_a": 2.0, "03_c": 9.5})
    ['03_c', '01_a', '02_b']
    """
    rank = {name: i for i, name in enumerate(names)}
    return sorted(names, key=lambda n: (-float(seconds.get(n, 0.0)), rank[n]))


def execute_sections(layout: Layout, stale: list[Stale], state: dict[str, Any],
                     say: Callable[[str], None], jobs: int = 1,
                     pool: ProcessPoolExecutor | None = None) -> list[SectionOutcome]:
    """Execute ``stale`` (see the module docstring); return their outcomes in input order.

    ``pool``: worker processes to run them in with ``jobs > 1`` (:func:`section_pool`;
    default: a pool of this call's own).

    Raises
    ------
    ValueError
        ``jobs`` below 1.
    SectionFailed, OutputLeak
        The earliest failing section, after the running ones finished.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if not stale:
        return []
    times = state.setdefault(TIMES_KEY, {})
    for item in stale:
        state["sections"].pop(item.section.name, None)
        layout.results(item.section.name).unlink(missing_ok=True)
        for record in record_files(layout.results(item.section.name)):
            record.unlink()
    state["book"] = None
    save_state(layout.state, state)  # a failure below leaves these sections out of date
    order = {item.section.name: i for i, item in enumerate(stale)}
    by_name = {item.section.name: item for item in stale}
    queue = [by_name[name] for name in start_order(list(order), times)]
    outcomes: dict[str, SectionOutcome] = {}
    failures: dict[str, BaseException] = {}

    def finish(item: Stale, seconds: float, failure: dict[str, Any] | None) -> None:
        try:
            outcomes[item.section.name] = _finish(layout, item, seconds, failure, state, say)
        except (SectionFailed, OutputLeak) as exc:
            failures[item.section.name] = exc

    _execute(layout, stale, queue, jobs, finish, failures, pool)
    if failures:
        first = min(failures, key=order.__getitem__)
        raise failures[first]
    return [outcomes[item.section.name] for item in stale]


def section_pool(jobs: int) -> ProcessPoolExecutor:
    """The pool of ``jobs`` spawned worker processes sections run in (a context manager);
    a build keeps one for all its waves of sections."""
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))


def _execute(layout: Layout, stale: list[Stale], queue: list[Stale], jobs: int,
             finish: Callable[..., None], failures: dict[str, BaseException],
             pool: ProcessPoolExecutor | None = None) -> None:
    """Run the sections one after the other, or ``jobs`` at a time in worker processes."""
    if jobs == 1 or len(stale) == 1:
        for item in stale:
            if failures:
                break
            finish(item, *_run(*_arguments(layout, item)))
    else:
        with contextlib.ExitStack() as own:
            if pool is None:
                pool = own.enter_context(section_pool(min(jobs, len(stale))))
            running: dict[Future, Stale] = {}
            waiting = list(queue)
            while waiting or running:
                while waiting and len(running) < jobs and not failures:
                    item = waiting.pop(0)
                    running[pool.submit(_run, *_arguments(layout, item))] = item
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    finish(running.pop(future), *future.result())


def _arguments(layout: Layout, item: Stale) -> tuple:
    name = item.section.name
    return (item.section.notebook, layout.staged(name), item.overrides, layout.root,
            layout.log(f"{name}.stderr.log"))


def _finish(layout: Layout, item: Stale, seconds: float, failure: dict[str, Any] | None,
            state: dict[str, Any], say: Callable[[str], None]) -> SectionOutcome:
    """Check a section's executed notebook; move it into the book and record it, or raise."""
    name, staged = item.section.name, layout.staged(item.section.name)
    try:
        if failure is not None:
            raise SectionFailed(item.section.notebook, failure["cell_index"],
                                failure["first_line"], failure["error"],
                                line_number=failure["line_number"])
        relativize(staged, layout.root)
        check_outputs(staged, name)
    except (SectionFailed, OutputLeak) as exc:
        kept = layout.kept(name)
        kept.parent.mkdir(parents=True, exist_ok=True)
        if staged.is_file():
            relativize(staged, layout.root)
            staged.replace(kept)
        say(f"[{name}] FAILED")
        note = (f"the executed notebook is kept at {layout.rel(kept)}; "
                f"the previous book in {layout.rel(layout.html)} was left untouched")
        if isinstance(exc, OutputLeak):
            raise OutputLeak(f"{exc}\n  {note}") from None
        raise exc.with_note(Path(layout.rel(exc.notebook)), note) from None
    page, results = layout.page(name), layout.results(name)
    staged.replace(page)
    layout.kept(name).unlink(missing_ok=True)
    state["sections"][name] = {**item.record, "outputs": output_hashes(page, results)}
    state[TIMES_KEY][name] = round(seconds, 2)
    save_state(layout.state, state)
    say(f"[{name}] executed in {seconds:.1f} s")
    if not results.is_file():
        say(f"[{name}] note: no {results.name} written (Results.save)")
    return SectionOutcome(name, "executed", seconds, results.is_file())


def kernel_zygote(layout: Layout, notebooks: list[Path]):
    """Context manager: the zygote the section kernels are forked from while it is open
    (:func:`mcbi.book.zygote.running`, with the kernels' environment and a log in
    ``_build/logs``)."""
    from mcbi.book import zygote
    from mcbi.book.execute import KERNEL_ENV

    return zygote.running(layout.root, notebooks, log=layout.log("zygote.stderr.log"),
                          env=KERNEL_ENV)
