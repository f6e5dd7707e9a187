"""``python -m mcbi build``: notebooks -> executed pages -> book (``run``: :mod:`.rerun`).

A build holds the checkout's build lock (:mod:`mcbi.book.lock`) from start to end. A
section is re-executed only when one of its inputs changed: the notebook (content hash),
its merged parameters, the data package (hash of every file) or the package code (hash of
every ``src/mcbi/**/*.py``), or when its executed page or results file is no longer the
one the pipeline wrote; see :mod:`mcbi.book.state`. The pipeline always passes
``data_dir`` (project-relative; data outside the project are linked under
``_build/data/``) and ``out_dir`` (``book/sections``). Notebooks are executed into the
staging area and moved into the book's sections folder only when they succeed and show
no stderr or warning text (:mod:`mcbi.book.outputs`); the book is built aside and swapped
into the html folder only when jupyter-book reports no warning (see
:mod:`mcbi.book.jupyterbook`). Every path comes from :class:`mcbi.book.layout.Layout`.

Nothing here prints: progress lines (``[02_x] executed in 3.1 s``) go to an optional
``progress`` callback, results come back as a report, and failures raise
:class:`mcbi.errors.BuildFailed` (a section or the book failed) or a
:class:`mcbi.errors.UserError` (bad data, section or parameter).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mcbi.book.door import CheckedData
from mcbi.book.jupyterbook import BookFailed, derived_config, run_jupyter_book, swap_in
from mcbi.book.layout import PLAN_CACHE_DIR, SECTIONS_DIR, Layout
from mcbi.book.lock import build_lock
from mcbi.book.manifest import build_manifest, write_manifest
from mcbi.book.pages import write_build_pages, write_pages
from mcbi.book.provenance import BuildInfo, code_dir
from mcbi.book.rerun import RunReport, run_section
from mcbi.book.runner import (
    TIMES_KEY,
    SectionOutcome,
    Stale,
    execute_sections,
    kernel_zygote,
    section_pool,
)
from mcbi.book.sections import Section, discover, merge_parameters
from mcbi.book.state import (
    book_key,
    canonical,
    is_up_to_date,
    load_state,
    save_state,
    section_inputs,
)
from mcbi.errors import BuildFailed, DataError, SectionError
from mcbi.hashing import hash_tree, sha256_file, sha256_text
from mcbi.trial.content import content_hash

__all__ = ["BuildReport", "RunReport", "SectionOutcome", "build", "run_section"]

Progress = Callable[[str], None]
"""Receives one progress line at a time (e.g. ``print``)."""

PageGenerator = Callable[[Path, Path], dict[str, str]]
"""Takes the data folder and the project root, returns ``{file name: Markdown}`` for
``Layout.generated``. It may carry an attribute ``inputs(root) -> list of Path`` naming the
files it reads besides the data and the package code (they decide when it runs again)."""
PAGES_KEY = "pages"
"""Key of the build state recording the generated pages and what they were made from."""


def _silent(line: str) -> None:
    """The default progress callback: show nothing."""


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


# ----------------------------------------------------------------------------- checks
def resolve_data(layout: Layout) -> str:
    """Return ``layout.data`` relative to the root (POSIX), or absolute if outside it.

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


def data_argument(layout: Layout, data_sha: str) -> str:
    """Return the project-relative ``data_dir`` the notebooks receive for ``layout.data``.

    A folder under the root is passed relative to it. A folder outside the root is linked
    as ``_build/data/<first 12 hex digits of its hash>`` and that relative path is passed,
    so that no absolute path reaches the pages, the manifest or the published notebooks.
    """
    value = resolve_data(layout)
    if not Path(value).is_absolute():
        return value
    link = layout.build / "data" / data_sha[:12]
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        if link.resolve() == layout.data:
            return layout.rel(link)
        link.unlink()
    link.symlink_to(layout.data, target_is_directory=True)
    return layout.rel(link)


def data_label(layout: Layout, data_sha: str) -> str:
    """Return how the manifest names the data: a project-relative path or a neutral name.

    Outside the root: ``<data package NAME, sha256 1a2b3c4d5e6f>`` (``NAME`` from
    ``datapackage.json`` when it has one).
    """
    value = resolve_data(layout)
    if not Path(value).is_absolute():
        return value
    try:
        name = json.loads((layout.data / "datapackage.json").read_text("utf-8")).get("name")
    except (OSError, ValueError, AttributeError):
        name = None
    return f"<data package {name or 'outside the project'}, sha256 {data_sha[:12]}>"


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
    layout: Layout, generators: Sequence[PageGenerator] = (), state: dict | None = None,
    inputs: str = "",
) -> list[Path]:
    """Write the pages each generator returns for ``layout.data`` into ``layout.generated``.

    With a build ``state`` and the hash of the ``inputs`` (data and code), the generators
    run only when those, the files a generator names in its ``inputs(root)`` attribute, or
    the pages already written changed (generators import the analysis stack: seconds).
    """
    extra = [p for g in generators for p in getattr(g, "inputs", lambda root: [])(layout.root)]
    key = sha256_text(canonical([inputs, [(str(p), sha256_file(p) if Path(p).is_file() else None)
                                           for p in extra]]))
    recorded = (state or {}).get(PAGES_KEY) or {}
    if (state is not None and inputs and recorded.get("key") == key
            and recorded.get("pages") == _page_hashes(layout, recorded.get("pages", {}))):
        return [layout.generated / name for name in recorded["pages"]]
    pages: dict[str, str] = {}
    for generate in generators:
        pages.update(generate(layout.data, layout.root))
    written = write_pages(layout.generated, pages) if pages else []
    if state is not None:
        state[PAGES_KEY] = {"key": key, "pages": _page_hashes(layout, pages)}
    return written


def _page_hashes(layout: Layout, names) -> dict[str, str | None]:
    return {name: sha256_file(layout.generated / name)
            if (layout.generated / name).is_file() else None for name in names}


# ----------------------------------------------------------------------------- build
def build(
    data: str | Path, *, force: bool = False, root: Path | None = None,
    page_generators: Sequence[PageGenerator] = (), progress: Progress | None = None,
    checked: CheckedData | None = None, jobs: int = 1,
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
        Each takes the data folder and the project root and returns ``{file name: Markdown}`` for
        ``Layout.generated`` (the codebook and the appendix; see :mod:`mcbi.paper.appendix.pages`).
    progress : callable, optional
        Receives the progress lines (default: nothing is shown).
    checked : CheckedData, optional
        The package as checked at the door (:func:`mcbi.book.door.check_data`: validated,
        its content hash and its synthetic verdict decided once; the command line always
        passes it). The verdict is recorded as the manifest's ``data.synthetic``, which
        ``publish`` relies on, and the hash and verdict are passed to the notebooks
        (``data_sha256``, ``synthetic``), which then neither validate nor regenerate.
        Without it the package is hashed here (:func:`_unchecked_hash`), not validated,
        and counted as not synthetic.
    jobs : int
        Sections executed at the same time, each in its own worker process (default 1:
        one after the other; see :mod:`mcbi.book.runner`).

    Returns
    -------
    BuildReport
        Per-section status, book status, html and manifest paths.

    Raises
    ------
    BuildLocked
        Another build, run or publish of this checkout holds ``_build`` (a UserError).
    SectionFailed
        A cell raised; the executed notebook is kept in ``Layout.failed`` and the previous
        book is left untouched (a :class:`mcbi.errors.BuildFailed`).
    OutputLeak
        An executed notebook shows stderr or warning text (a BuildFailed); kept likewise.
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
    resolve_data(layout)
    with build_lock(layout.build, "build"):
        state = load_state(layout.state)
        state["status"] = "running"
        save_state(layout.state, state)
        try:
            report = _build_locked(layout, sections, state, force, page_generators, say,
                                   checked, jobs)
        except BaseException:
            state["status"] = "failed"
            save_state(layout.state, state)
            raise
        state["status"] = "ok"
        save_state(layout.state, state)
        return report


def _unchecked_hash(folder: Path, tree_sha: str) -> str:
    """The hash of a package nobody checked: its content hash when its files are there,
    else the hash of the whole folder (a test's toy package)."""
    try:
        return content_hash(folder)
    except DataError:
        return tree_sha


def section_waves(sections: list[Section]) -> list[list[Section]]:
    """Group ``sections`` so that each runs after the sections it needs
    (:meth:`~mcbi.book.sections.Section.needs`): every wave needs only earlier waves.

    Raises
    ------
    SectionError
        A section needs an unknown section, or the needs form a cycle.
    """
    names = {s.name for s in sections}
    needs = {s.name: set(s.needs()) for s in sections}
    for name, wanted in needs.items():
        unknown = sorted(wanted - names)
        if unknown:
            raise SectionError(f"section {name} needs {', '.join(unknown)}, which the "
                               f"notebooks folder does not have")
    waves, placed = [], set()
    while len(placed) < len(sections):
        wave = [s for s in sections if s.name not in placed and needs[s.name] <= placed]
        if not wave:
            left = sorted(names - placed)
            raise SectionError(f"sections {', '.join(left)} need each other (a cycle)")
        waves.append(wave)
        placed |= {s.name for s in wave}
    return waves


def needed_outputs(section: Section, state: dict[str, Any]) -> dict[str, str]:
    """The recorded outputs of the sections ``section`` needs, as one input hash
    (``{"needs": sha256}``; empty when it needs none): a change of their records, results
    or pages re-executes it."""
    wanted = section.needs()
    if not wanted:
        return {}
    recorded = {name: (state["sections"].get(name) or {}).get("outputs") for name in wanted}
    return {"needs": sha256_text(canonical(recorded))}


def section_overrides(section: Section, data_value: str, data_sha: str = "",
                      synthetic: bool = False) -> dict[str, Any]:
    """Return what the pipeline injects: ``data_dir``, ``out_dir`` (``book/sections``),
    ``cache_dir`` (the Monte Carlo cache, ``_build/plan-cache``), and the door's
    ``data_sha256`` and ``synthetic`` (``"yes"``/``"no"``).

    Both are passed explicitly whenever the notebook declares them, so the book never
    depends on a notebook's defaults (a notebook's default ``out_dir`` should be a scratch
    folder, so that a run by hand never writes into the book).
    """
    defaults = section.defaults()
    wanted = {"data_dir": data_value, "out_dir": SECTIONS_DIR, "cache_dir": PLAN_CACHE_DIR,
              "sections_dir": SECTIONS_DIR, "data_sha256": data_sha,
              "synthetic": "yes" if synthetic else "no"}
    return {name: value for name, value in wanted.items() if name in defaults}


def _build_locked(
    layout: Layout, sections: list[Section], state: dict[str, Any], force: bool,
    page_generators: Sequence[PageGenerator], say: Progress,
    checked: CheckedData | None = None, jobs: int = 1,
) -> BuildReport:
    """The body of :func:`build`, run while holding the build lock."""
    tree_sha, data_files = hash_tree(layout.data)
    data_sha = checked.sha256 if checked is not None else _unchecked_hash(layout.data, tree_sha)
    synthetic = checked.synthetic if checked is not None else False
    data_value = data_argument(layout, data_sha)
    code_sha, _ = hash_tree(code_dir(layout.code), "*.py")
    layout.sections.mkdir(parents=True, exist_ok=True)

    outcomes: dict[str, SectionOutcome] = {}
    with contextlib.ExitStack() as kernels:
        _run_waves(layout, sections, state, force, say, jobs, kernels, outcomes,
                   data_value, data_sha, synthetic, code_sha, tree_sha)
    names = {s.name for s in sections}
    state["sections"] = {k: v for k, v in state["sections"].items() if k in names}
    state[TIMES_KEY] = {k: v for k, v in state.get(TIMES_KEY, {}).items() if k in names}
    mixed = sorted(k for k, v in state["sections"].items() if v["inputs"]["data"] != data_sha)
    if mixed:  # cannot happen through this function; refuse rather than mix data sets
        raise BuildFailed(f"sections {', '.join(mixed)} were executed on other data")
    data_record = {"path": data_label(layout, data_sha), "sha256": data_sha,
                   "files": data_files, "synthetic": synthetic}
    status, seconds = _build_book(layout, sections, state, data_record, code_sha, force,
                                  page_generators, say)
    state["data"] = data_sha
    return BuildReport(tuple(outcomes[s.name] for s in sections), status, seconds,
                       layout.html / "index.html", layout.manifest)


def _run_waves(layout: Layout, sections: list[Section], state: dict[str, Any], force: bool,
               say: Progress, jobs: int, kernels: contextlib.ExitStack,
               outcomes: dict[str, SectionOutcome], data_value: str, data_sha: str,
               synthetic: bool, code_sha: str, tree_sha: str) -> None:
    """Execute the stale sections wave by wave (:func:`section_waves`) into ``outcomes``."""
    started, pool = False, None
    for wave in section_waves(sections):
        stale = []
        for section in wave:
            overrides = section_overrides(section, data_value, data_sha, synthetic)
            params = merge_parameters(section, overrides)
            inputs = {**section_inputs(section, params, data_sha, code_sha),
                      "data_files": tree_sha, **needed_outputs(section, state)}
            record = state["sections"].get(section.name)
            page, results = layout.page(section.name), layout.results(section.name)
            if not force and is_up_to_date(record, inputs, page, results):
                say(f"[{section.name}] up to date")
                outcomes[section.name] = SectionOutcome(section.name, "up to date", None,
                                                        results.is_file())
            else:
                stale.append(Stale(section, overrides,
                                   {"inputs": inputs, "parameters": params}))
        if stale and not started:  # one zygote and one pool for the build, from the first
            kernels.enter_context(kernel_zygote(layout, [s.notebook for s in sections]))
            if jobs > 1:
                pool = kernels.enter_context(section_pool(jobs))
            started = True
        for outcome in execute_sections(layout, stale, state, say, jobs, pool):
            outcomes[outcome.name] = outcome


def _build_book(
    layout: Layout, sections: list[Section], state: dict[str, Any], data: dict[str, Any],
    code_sha: str, force: bool, page_generators: Sequence[PageGenerator], say: Progress,
) -> tuple[str, float | None]:
    """Generate pages, then build and swap in the html unless nothing it depends on changed.

    Returns ``("up to date", None)`` or ``("built", seconds)``; raises :class:`BookFailed`.
    """
    info = BuildInfo.collect(layout.root, data["sha256"])
    generate_lead_pages(layout, page_generators, state,
                        sha256_text(canonical([data["files"], code_sha])))
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
    if layout.stage_typst.is_dir():  # the pages as Typst markup, for `mcbi pdf`
        swap_in(layout.stage_typst, layout.typst)
    shutil.rmtree(layout.stage_book, ignore_errors=True)
    manifest = build_manifest(info, data, state["sections"], layout.sections)
    write_manifest(layout.manifest, manifest)
    state["book"] = key
    save_state(layout.state, state)
    seconds = time.perf_counter() - start
    say(f"[book] built in {seconds:.1f} s -> {layout.rel(layout.html / 'index.html')}")
    return "built", seconds
