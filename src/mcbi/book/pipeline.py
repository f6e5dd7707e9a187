"""``python -m mcbi build`` and ``python -m mcbi run``: notebooks -> executed pages -> book.

A section is re-executed only when one of its inputs changed: the notebook (content
hash), its merged parameters, the data package (hash of every file) or the package code
(hash of every ``src/mcbi/**/*.py``); see :mod:`mcbi.book.state`. Notebooks are executed
into the staging area and moved into the book's sections folder only when they succeed;
the book is built aside and swapped into the html folder only when jupyter-book reports
no warning (see :mod:`mcbi.book.jupyterbook`). Every path comes from
:class:`mcbi.book.layout.Layout`.

Nothing here prints: progress lines (``[02_x] executed in 3.1 s``) go to an optional
``progress`` callback, results come back as a report, and failures raise
:class:`mcbi.errors.BuildFailed` (a section or the book failed) or a
:class:`mcbi.errors.UserError` (bad data, section or parameter).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mcbi.book.execute import SectionFailed, execute_notebook
from mcbi.book.jupyterbook import BookFailed, derived_config, run_jupyter_book, swap_in
from mcbi.book.layout import SECTIONS_DIR, Layout
from mcbi.book.manifest import build_manifest, write_manifest
from mcbi.book.pages import write_build_pages, write_pages
from mcbi.book.provenance import BuildInfo, code_dir, hash_tree
from mcbi.book.sections import Section, discover, find_section, merge_parameters, parse_value
from mcbi.book.state import book_key, is_up_to_date, load_state, save_state, section_inputs
from mcbi.errors import DataError, SectionError

Progress = Callable[[str], None]
"""Receives one progress line at a time (e.g. ``print``)."""

PageGenerator = Callable[[Path], dict[str, str]]
"""Takes the data folder, returns ``{file name: Markdown}`` for ``Layout.generated``."""


def _silent(line: str) -> None:
    """The default progress callback: show nothing."""


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
class BuildReport:
    """The result of :func:`build`.

    Attributes
    ----------
    sections : tuple of SectionOutcome
        One entry per section, in order.
    book : str
        ``"built"`` or ``"up to date"``.
    book_seconds : float or None
        Time jupyter-book took (None when up to date).
    html : Path
        The book's ``index.html``.
    manifest : Path
        The build manifest.
    """

    sections: tuple[SectionOutcome, ...]
    book: str
    book_seconds: float | None
    html: Path
    manifest: Path

    @property
    def executed(self) -> list[str]:
        """Names of the sections executed by this build."""
        return [s.name for s in self.sections if s.status == "executed"]


@dataclass(frozen=True)
class RunReport:
    """The result of :func:`run_section`: the executed notebook and how it was run."""

    section: str
    notebook: Path
    overrides: dict[str, Any]
    seconds: float


# ----------------------------------------------------------------------------- checks
def resolve_data(layout: Layout) -> str:
    """Return the ``data_dir`` value the notebooks receive for ``layout.data``.

    A folder under the root is given relative to it (POSIX), any other as absolute.

    Raises
    ------
    DataError
        If the folder does not exist.
    ValueError
        If ``layout`` names no data folder.
    """
    if layout.data is None:
        raise ValueError("the layout names no data package folder")
    if not layout.data.is_dir():
        raise DataError(f"data package folder not found: {layout.data} "
                        "(run `make data` or pass --data)")
    return layout.rel(layout.data)


def toc_documents(toc_file: Path) -> list[str]:
    """Return the documents the toc file lists (root first); empty if there is no toc."""
    path = Path(toc_file)
    if not path.is_file():
        return []
    toc = yaml.safe_load(path.read_text("utf-8")) or {}
    found = [toc["root"]] if "root" in toc else []
    stack = list(reversed(toc.get("parts", []) + toc.get("chapters", [])))
    while stack:
        entry = stack.pop()
        if "file" in entry:
            found.append(entry["file"])
        for key in ("parts", "chapters", "sections"):
            stack.extend(reversed(entry.get(key, [])))
    return found


def check_toc(layout: Layout, sections: list[Section]) -> None:
    """Refuse a toc that lists a results page whose notebook does not exist.

    Raises
    ------
    SectionError
        Naming the missing notebooks and the sections that exist.
    """
    names = {s.name for s in sections}
    prefix = SECTIONS_DIR + "/"
    missing = [doc for doc in toc_documents(layout.toc)
               if doc.startswith(prefix) and doc[len(prefix):] not in names]
    if missing:
        raise SectionError(
            f"{layout.toc.name} lists {', '.join(missing)} but {layout.rel(layout.notebooks)}/ "
            f"has no such notebook; sections: {', '.join(sorted(names))}")


def generate_lead_pages(
    layout: Layout, generators: Sequence[PageGenerator] = ()
) -> list[Path]:
    """Write the pages each generator returns for ``layout.data`` into ``layout.generated``."""
    pages: dict[str, str] = {}
    for generate in generators:
        pages.update(generate(layout.data))
    return write_pages(layout.generated, pages) if pages else []


# ----------------------------------------------------------------------------- build
def build(
    data: str | Path, *, force: bool = False, root: Path | None = None,
    page_generators: Sequence[PageGenerator] = (), progress: Progress | None = None,
) -> BuildReport:
    """Execute the sections whose inputs changed, then build the book if anything changed.

    Parameters
    ----------
    data : str or Path
        Data package folder; a relative path is taken under ``root``. The book layer has no
        default: the command line passes :data:`mcbi.trial.data.DEFAULT_DATA`.
    force : bool
        Re-execute every section and rebuild the book.
    root : Path, optional
        Project root (default: the working directory).
    page_generators : sequence of callables
        Each takes the data folder and returns ``{file name: Markdown}`` for
        ``Layout.generated`` (the codebook and the appendix; see :mod:`mcbi.paper.pages`).
    progress : callable, optional
        Receives the progress lines (default: nothing is shown).

    Returns
    -------
    BuildReport
        Per-section status, book status, html and manifest paths.

    Raises
    ------
    SectionFailed
        A cell raised; the executed notebook is kept in ``Layout.failed`` and the previous
        book is left untouched (a :class:`mcbi.errors.BuildFailed`).
    BookFailed
        jupyter-book failed or warned; the previous book is left untouched.
    DataError, SectionError, ParameterError
        No data folder, no notebook, a toc page without notebook, a bad parameters cell.
    """
    say = progress or _silent
    layout = Layout(root or Path.cwd(), data=Path(data))
    sections = discover(layout.notebooks)
    if not sections:
        raise SectionError(f"no notebooks found in {layout.notebooks}")
    check_toc(layout, sections)
    data_value = resolve_data(layout)
    data_sha, data_files = hash_tree(layout.data)
    code_sha, _ = hash_tree(code_dir(layout.code), "*.py")
    state = load_state(layout.state)
    layout.sections.mkdir(parents=True, exist_ok=True)

    outcomes = []
    for section in sections:
        default = section.defaults().get("data_dir")
        overrides = {} if default in (None, data_value) else {"data_dir": data_value}
        params = merge_parameters(section, overrides)
        inputs = section_inputs(section, params, data_sha, code_sha)
        record = state["sections"].get(section.name)
        if not force and is_up_to_date(record, inputs, layout.page(section.name)):
            say(f"[{section.name}] up to date")
            outcomes.append(SectionOutcome(section.name, "up to date", None,
                                           layout.results(section.name).is_file()))
            continue
        outcomes.append(_execute_for_book(layout, section, overrides, state, say))
        state["sections"][section.name] = {"inputs": inputs, "parameters": params}
        save_state(layout.state, state)

    names = {s.name for s in sections}
    state["sections"] = {k: v for k, v in state["sections"].items() if k in names}
    data_record = {"path": data_value, "sha256": data_sha, "files": data_files}
    status, seconds = _build_book(layout, sections, state, data_record, code_sha, force,
                                  page_generators, say)
    return BuildReport(tuple(outcomes), status, seconds, layout.html / "index.html",
                       layout.manifest)


def _execute_for_book(
    layout: Layout, section: Section, overrides: dict[str, Any], state: dict[str, Any],
    say: Progress,
) -> SectionOutcome:
    """Execute ``section`` into the staging area and move it into the book if it succeeds."""
    name = section.name
    state["sections"].pop(name, None)
    state["book"] = None
    save_state(layout.state, state)  # a failure below leaves the section out of date
    layout.results(name).unlink(missing_ok=True)
    staged = layout.staged(name)
    start = time.perf_counter()
    try:
        execute_notebook(section.notebook, staged, overrides, cwd=layout.root,
                         log=layout.log(f"{name}.stderr.log"))
    except SectionFailed as exc:
        kept = layout.kept(name)
        kept.parent.mkdir(parents=True, exist_ok=True)
        if staged.is_file():
            staged.replace(kept)
        say(f"[{name}] FAILED")
        note = (f"the executed notebook is kept at {layout.rel(kept)}; "
                f"the previous book in {layout.rel(layout.html)} was left untouched")
        raise exc.with_note(Path(layout.rel(exc.notebook)), note) from None
    staged.replace(layout.page(name))
    layout.kept(name).unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    say(f"[{name}] executed in {seconds:.1f} s")
    results = layout.results(name).is_file()
    if not results:
        say(f"[{name}] note: no {layout.results(name).name} written (Results.save)")
    return SectionOutcome(name, "executed", seconds, results)


def _build_book(
    layout: Layout, sections: list[Section], state: dict[str, Any], data: dict[str, Any],
    code_sha: str, force: bool, page_generators: Sequence[PageGenerator], say: Progress,
) -> tuple[str, float | None]:
    """Generate pages, then build and swap in the html unless nothing it depends on changed.

    Returns ``("up to date", None)`` or ``("built", seconds)``; raises :class:`BookFailed`.
    """
    info = BuildInfo.collect(layout.root, data["sha256"])
    generate_lead_pages(layout, page_generators)
    write_build_pages(layout, sections, info)
    key = book_key(layout, info, code_sha)
    if not force and state["book"] == key and (layout.html / "index.html").is_file():
        say("[book] up to date")
        return "up to date", None
    start = time.perf_counter()
    config = derived_config(layout.config, info, layout.stage_config)
    try:
        html = run_jupyter_book(layout.root, config, layout.stage_book, layout.book_log)
    except BookFailed as exc:
        say("[book] FAILED")
        raise BookFailed(f"{exc}\n  the previous book in {layout.rel(layout.html)} "
                         "was left untouched") from None
    swap_in(html, layout.html)
    shutil.rmtree(layout.stage_book, ignore_errors=True)
    manifest = build_manifest(info, data, state["sections"], layout.sections)
    write_manifest(layout.manifest, manifest)
    state["book"] = key
    save_state(layout.state, state)
    seconds = time.perf_counter() - start
    say(f"[book] built in {seconds:.1f} s -> {layout.rel(layout.html / 'index.html')}")
    return "built", seconds


# ----------------------------------------------------------------------------- run
def run_section(
    section: str, params: dict[str, str], *, output: str | None = None,
    root: Path | None = None, progress: Progress | None = None,
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
        the working directory). Figures and the results file go to ``out_dir`` (default:
        the notebook's folder + ``/<section>``).
    root : Path, optional
        Project root (default: the working directory).
    progress : callable, optional
        Receives the progress lines (default: nothing is shown).

    Returns
    -------
    RunReport
        The executed notebook, the overrides used and the time taken.

    Raises
    ------
    SectionError, ParameterError
        Unknown section or parameter.
    SectionFailed
        A cell raised (a :class:`mcbi.errors.BuildFailed`); the notebook is kept at
        ``output``.
    """
    say = progress or _silent
    layout = Layout(root or Path.cwd())
    found = find_section(layout.notebooks, section)
    overrides = {name: parse_value(value) for name, value in params.items()}
    target = Path(output) if output else layout.run_output(found.name)
    target = target if target.is_absolute() else (Path.cwd() / target)
    merged = merge_parameters(found, overrides)
    if "out_dir" in merged and "out_dir" not in overrides:
        overrides["out_dir"] = layout.rel(target.parent / found.name)
    start = time.perf_counter()
    try:
        execute_notebook(found.notebook, target, overrides, cwd=layout.root,
                         log=layout.log(f"run-{found.name}.stderr.log"))
    except SectionFailed as exc:
        say(f"[{found.name}] FAILED")
        note = f"the executed notebook is kept at {layout.rel(target)}"
        raise exc.with_note(Path(layout.rel(exc.notebook)), note) from None
    seconds = time.perf_counter() - start
    shown = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
    say(f"[{found.name}] executed in {seconds:.1f} s with {shown} -> {layout.rel(target)}")
    return RunReport(found.name, target, overrides, seconds)
