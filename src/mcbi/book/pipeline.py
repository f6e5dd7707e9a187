"""``python -m mcbi build`` and ``python -m mcbi run``: notebooks -> executed pages -> book.

A section is re-executed only when one of its inputs changed: the notebook (content
hash), its merged parameters, the data package (hash of every file) or the package code
(hash of every ``src/mcbi/**/*.py``). The hashes of the last successful execution are kept
in ``_build/state.json``. Notebooks are executed into ``_build/stage/`` and moved into
``book/sections/`` only when they succeed; the book is built aside and swapped into
``_build/html`` only when jupyter-book reports no warning (see :mod:`mcbi.book.jupyterbook`).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from mcbi.book.jupyterbook import BookFailed, derived_config, run_jupyter_book, swap_in
from mcbi.book.pages import GENERATED, write_build_pages, write_pages
from mcbi.errors import UserError
from mcbi.book.execute import SectionFailed, execute_notebook
from mcbi.book.manifest import build_manifest, write_manifest
from mcbi.book.provenance import BuildInfo, code_dir, hash_tree, sha256_file, sha256_text
from mcbi.book.sections import Section, discover, find_section, merge_parameters, parse_value

DEFAULT_DATA = "data/trial"
SECTIONS_DIR = Path("book") / "sections"


class Layout:
    """Where the pipeline reads and writes, relative to a project root."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.build = self.root / "_build"
        self.html = self.build / "html"
        self.state = self.build / "state.json"
        self.manifest = self.build / "manifest.json"
        self.stage = self.build / "stage"
        self.failed = self.build / "failed"
        self.runs = self.build / "runs"
        self.log = self.build / "logs" / "jupyter-book.log"
        self.sections = self.root / SECTIONS_DIR


# ----------------------------------------------------------------------------- state
def load_state(path: Path) -> dict[str, Any]:
    """Return the recorded state (``{"sections": {...}, "book": ...}``); empty if absent."""
    try:
        state = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        state = {}
    state.setdefault("sections", {})
    state.setdefault("book", None)
    return state


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write the state atomically (write a temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True, default=repr) + "\n", "utf-8")
    tmp.replace(path)


def canonical(params: dict[str, Any]) -> str:
    """Return the canonical JSON of a parameter dict (the text that is hashed)."""
    return json.dumps(params, sort_keys=True, default=repr, separators=(",", ":"))


def section_inputs(
    section: Section, params: dict[str, Any], data_sha: str, code_sha: str
) -> dict[str, str]:
    """Return the input hashes that decide whether ``section`` must be re-executed."""
    return {
        "notebook": sha256_file(section.notebook),
        "parameters": sha256_text(canonical(params)),
        "data": data_sha,
        "code": code_sha,
    }


def is_up_to_date(record: dict[str, Any] | None, inputs: dict[str, str], page: Path) -> bool:
    """True if the recorded inputs equal ``inputs`` and the executed page still exists."""
    return bool(record) and record.get("inputs") == inputs and page.is_file()


def book_key(layout: Layout, info: BuildInfo, code_sha: str) -> str:
    """Hash of what the html depends on: book/, config, toc, package code, footer (not date)."""
    root = layout.root
    _, files = hash_tree(root / "book")
    parts = [canonical(files)]
    for name in ("_config.yml", "_toc.yml"):
        path = root / name
        parts.append(sha256_file(path) if path.is_file() else "-")
    parts += [info.version, info.commit, info.data_sha256, code_sha]
    return sha256_text("\n".join(parts))


# ----------------------------------------------------------------------------- helpers
def resolve_data(root: Path, data: str | None) -> tuple[Path, str]:
    """Return the data folder and the ``data_dir`` value the notebooks receive.

    Raises
    ------
    UserError
        If the folder does not exist.
    """
    path = (Path(data).expanduser() if data else root / DEFAULT_DATA).resolve()
    if not path.is_dir():
        raise UserError(f"data package folder not found: {path} (run `make data` or pass --data)")
    try:
        value = path.relative_to(root).as_posix()
    except ValueError:
        value = str(path)
    return path, value


def toc_documents(root: Path) -> list[str]:
    """Return the documents ``_toc.yml`` lists (root first); empty if there is no toc."""
    path = Path(root) / "_toc.yml"
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


def check_toc(root: Path, sections: list[Section]) -> None:
    """Refuse a toc that lists a results page whose notebook does not exist.

    Raises
    ------
    UserError
        Naming the missing notebooks and the sections that exist.
    """
    names = {s.name for s in sections}
    prefix = SECTIONS_DIR.as_posix() + "/"
    missing = [doc for doc in toc_documents(root)
               if doc.startswith(prefix) and doc[len(prefix):] not in names]
    if missing:
        raise UserError(
            f"_toc.yml lists {', '.join(missing)} but notebooks/ has no such notebook; "
            f"sections: {', '.join(sorted(names))}")


PageGenerator = Callable[[Path], dict[str, str]]


def generate_lead_pages(
    root: Path, data_dir: Path, generators: Sequence[PageGenerator] = ()
) -> list[Path]:
    """Write the pages each generator returns for ``data_dir`` into ``book/_generated``."""
    pages: dict[str, str] = {}
    for generate in generators:
        pages.update(generate(data_dir))
    return write_pages(root / GENERATED, pages) if pages else []


def _rel(layout: Layout, path: Path) -> str:
    try:
        return path.relative_to(layout.root).as_posix()
    except ValueError:
        return str(path)


def _report_failure(layout: Layout, name: str, exc: SectionFailed, kept: Path, tail: str) -> int:
    """Print the one-paragraph failure message of a section to stderr; return 1."""
    cell = "" if exc.cell_index is None else f", cell {exc.cell_index} (`{exc.first_line}`)"
    print(f"[{name}] FAILED")
    print(f"error: {_rel(layout, exc.notebook)}{cell}: {exc.error}\n"
          f"  the executed notebook is kept at {_rel(layout, kept)}{tail}", file=sys.stderr)
    return 1


def _fail_section(layout: Layout, section: Section, exc: SectionFailed, staged: Path) -> int:
    layout.failed.mkdir(parents=True, exist_ok=True)
    kept = layout.failed / f"{section.name}.ipynb"
    if staged.is_file():
        staged.replace(kept)
    tail = f"; the previous book in {_rel(layout, layout.html)} was left untouched"
    return _report_failure(layout, section.name, exc, kept, tail)


# ----------------------------------------------------------------------------- build
def build(
    force: bool = False, data: str | None = None, root: Path | None = None,
    page_generators: Sequence[PageGenerator] = (),
) -> int:
    """Execute the sections whose inputs changed, then build the book if anything changed.

    Parameters
    ----------
    force : bool
        Re-execute every section and rebuild the book.
    data : str, optional
        Data package folder (default ``data/trial`` under ``root``).
    root : Path, optional
        Project root (default: the working directory).
    page_generators : sequence of callables
        Each takes the data folder and returns ``{file name: Markdown}`` for
        ``book/_generated`` (the codebook and the appendix; see :mod:`mcbi.paper.pages`).

    Returns
    -------
    int
        0 on success, 1 if a section or the book failed (the message is printed).
    """
    layout = Layout(root or Path.cwd())
    sections = discover(layout.root)
    if not sections:
        raise UserError(f"no notebooks found in {layout.root / 'notebooks'}")
    check_toc(layout.root, sections)
    data_dir, data_value = resolve_data(layout.root, data)
    data_sha, data_files = hash_tree(data_dir)
    code_sha, _ = hash_tree(code_dir(layout.root), "*.py")
    state = load_state(layout.state)
    layout.sections.mkdir(parents=True, exist_ok=True)

    for section in sections:
        default = section.defaults().get("data_dir")
        overrides = {} if default in (None, data_value) else {"data_dir": data_value}
        params = merge_parameters(section, overrides)
        inputs = section_inputs(section, params, data_sha, code_sha)
        page = layout.sections / f"{section.name}.ipynb"
        if not force and is_up_to_date(state["sections"].get(section.name), inputs, page):
            print(f"[{section.name}] up to date")
            continue
        if _execute_for_book(layout, section, overrides, state) != 0:
            return 1
        state["sections"][section.name] = {"inputs": inputs, "parameters": params}
        save_state(layout.state, state)

    names = {s.name for s in sections}
    state["sections"] = {k: v for k, v in state["sections"].items() if k in names}
    data = {"path": data_value, "sha256": data_sha, "files": data_files}
    return _build_book(layout, sections, state, data_dir, data, code_sha, force,
                       page_generators)


def _execute_for_book(
    layout: Layout, section: Section, overrides: dict[str, Any], state: dict[str, Any]
) -> int:
    """Execute ``section`` into the staging area and move it into the book if it succeeds."""
    state["sections"].pop(section.name, None)
    state["book"] = None
    save_state(layout.state, state)  # a failure below leaves the section out of date
    (layout.sections / f"{section.name}.results.json").unlink(missing_ok=True)
    staged = layout.stage / "notebooks" / f"{section.name}.ipynb"
    start = time.perf_counter()
    try:
        execute_notebook(section.notebook, staged, overrides, cwd=layout.root,
                         log=layout.build / "logs" / f"{section.name}.stderr.log")
    except SectionFailed as exc:
        return _fail_section(layout, section, exc, staged)
    staged.replace(layout.sections / f"{section.name}.ipynb")
    (layout.failed / f"{section.name}.ipynb").unlink(missing_ok=True)
    print(f"[{section.name}] executed in {time.perf_counter() - start:.1f} s")
    if not (layout.sections / f"{section.name}.results.json").is_file():
        print(f"[{section.name}] note: no {section.name}.results.json written (Results.save)")
    return 0


def _build_book(
    layout: Layout, sections: list[Section], state: dict[str, Any], data_dir: Path,
    data: dict[str, Any], code_sha: str, force: bool,
    page_generators: Sequence[PageGenerator] = (),
) -> int:
    """Generate pages, then build and swap in the html unless nothing it depends on changed."""
    info = BuildInfo.collect(layout.root, data["sha256"])
    generate_lead_pages(layout.root, data_dir, page_generators)
    write_build_pages(layout.root, sections, info)
    key = book_key(layout, info, code_sha)
    if not force and state["book"] == key and (layout.html / "index.html").is_file():
        print("[book] up to date")
        return 0
    start = time.perf_counter()
    config = derived_config(layout.root, info, layout.stage / "_config.yml")
    try:
        html = run_jupyter_book(layout.root, config, layout.stage / "jb", layout.log)
    except BookFailed as exc:
        print("[book] FAILED")
        print(f"error: {exc}\n  the previous book in {_rel(layout, layout.html)} "
              "was left untouched", file=sys.stderr)
        return 1
    swap_in(html, layout.html)
    shutil.rmtree(layout.stage / "jb", ignore_errors=True)
    manifest = build_manifest(info, data, state["sections"], layout.sections)
    write_manifest(layout.manifest, manifest)
    state["book"] = key
    save_state(layout.state, state)
    print(f"[book] built in {time.perf_counter() - start:.1f} s -> "
          f"{_rel(layout, layout.html / 'index.html')}")
    return 0


# ----------------------------------------------------------------------------- run
def run_section(
    section: str, params: dict[str, str], output: str | None = None, root: Path | None = None
) -> int:
    """Re-execute one section with other parameters, outside the book.

    Parameters
    ----------
    section : str
        Section name, e.g. ``"02_therapists"``.
    params : dict
        Parameter overrides as command-line strings (parsed like ``papermill -p``).
    output : str, optional
        Executed notebook path (default ``_build/runs/<section>.ipynb``). Figures and the
        results file go to ``out_dir`` (default: the notebook's folder + ``/<section>``).
    root : Path, optional
        Project root (default: the working directory).

    Returns
    -------
    int
        0 on success, 1 if a cell failed.

    Raises
    ------
    UserError
        Unknown section or parameter.
    """
    layout = Layout(root or Path.cwd())
    found = find_section(layout.root, section)
    overrides = {name: parse_value(value) for name, value in params.items()}
    target = Path(output) if output else layout.runs / f"{found.name}.ipynb"
    target = target if target.is_absolute() else (Path.cwd() / target)
    merged = merge_parameters(found, overrides)
    if "out_dir" in merged and "out_dir" not in overrides:
        overrides["out_dir"] = _rel(layout, target.parent / found.name)
    start = time.perf_counter()
    try:
        execute_notebook(found.notebook, target, overrides, cwd=layout.root,
                         log=layout.build / "logs" / f"run-{found.name}.stderr.log")
    except SectionFailed as exc:
        return _report_failure(layout, found.name, exc, target, "")
    shown = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
    print(f"[{found.name}] executed in {time.perf_counter() - start:.1f} s with {shown} -> "
          f"{_rel(layout, target)}")
    return 0
