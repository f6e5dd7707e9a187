"""Every path of a book project, spelled once (after showyourwork's ``paths.py``).

The relative names below are the only place the book layer writes ``_build``,
``book/sections`` and the rest; :class:`Layout` turns them into absolute paths under one
project root. The data package folder is *not* named here: the book knows nothing of the
trial, so the caller (the command line) passes it in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

BUILD_DIR = "_build"
HTML_DIR = f"{BUILD_DIR}/html"
MANIFEST_FILE = f"{BUILD_DIR}/manifest.json"
STATE_FILE = f"{BUILD_DIR}/state.json"
STAGE_DIR = f"{BUILD_DIR}/stage"
FAILED_DIR = f"{BUILD_DIR}/failed"
RUNS_DIR = f"{BUILD_DIR}/runs"
LOGS_DIR = f"{BUILD_DIR}/logs"
PLAN_CACHE_DIR = f"{BUILD_DIR}/plan-cache"
DOOR_FILE = f"{BUILD_DIR}/data-checks.json"
BOOK_DIR = "book"
SECTIONS_DIR = f"{BOOK_DIR}/sections"
GENERATED_DIR = f"{BOOK_DIR}/_generated"
NOTEBOOKS_DIR = "notebooks"
CODE_DIR = "src/mcbi"
CONFIG_FILE = "_config.yml"
TOC_FILE = "_toc.yml"
CITATION_FILE = "CITATION.cff"
ZENODO_FILE = ".zenodo.json"
REQUIREMENTS_IN = "requirements.in"
REQUIREMENTS_TXT = "requirements.txt"
JB_HTML_DIR = "_build/html"
"""Where jupyter-book itself writes the html under its ``--path-output`` folder."""
JB_SINGLEHTML_DIR = "_build/singlehtml"
"""Where jupyter-book writes the one-page html (``--builder singlehtml``)."""
TYPST_DIR = f"{BOOK_DIR}/typst"
"""The PDF's Typst template (``apa7.typ``), statement and plan of the article (``paper.yml``)."""
TYPST_TEMPLATE = f"{TYPST_DIR}/apa7.typ"
PDF_DIR = f"{BUILD_DIR}/pdf"
PDF_NAME = "mcbi-book.pdf"
DOWNLOADS_DIR = "_downloads"
"""Folder of the html site that holds downloadable files (the PDF)."""
LICENSE_FILE = "LICENSE"
README_FILE = "README.md"
EVIDENCE_FILES = (*(f"benchmarks/results/{name}{ext}" for name in ("ladder", "type1/type1", "plan")
                    for ext in (".csv", ".meta.json")), "benchmarks/results/type1/type1_units.csv")
"""Committed inputs of results pages (the simulations the book reads instead of running:
the mechanism ladder's, the type-I error study, the full-size planning run)."""
SOURCE_PATHS = ("src", "notebooks", "book", CONFIG_FILE, TOC_FILE, "Makefile", "pyproject.toml",
                REQUIREMENTS_IN, REQUIREMENTS_TXT, README_FILE, LICENSE_FILE, CITATION_FILE,
                ZENODO_FILE, *EVIDENCE_FILES)
"""What the publish archive holds as the source of the build (folders and files): all a
rebuild reads besides the data (``python -m mcbi verify`` rebuilds from it)."""
SOURCE_SKIP = (SECTIONS_DIR, GENERATED_DIR)
"""Build outputs inside the source folders (the archive holds them elsewhere)."""


@dataclass(frozen=True)
class Layout:
    """Where the book pipeline reads and writes, as absolute paths under ``root``.

    Parameters
    ----------
    root : Path
        Project root (resolved to an absolute path).
    data : Path, optional
        Data package folder; a relative path is taken under ``root``. ``None`` when the
        command needs no data (``run``, ``publish``).

    Examples
    --------
    >>> layout = Layout(Path("/project"), data=Path("pkg"))
    >>> layout.manifest.as_posix(), layout.data.as_posix()
    ('/project/_build/manifest.json', '/project/pkg')
    """

    root: Path
    data: Path | None = None
    build: Path = field(init=False)
    html: Path = field(init=False)
    manifest: Path = field(init=False)
    state: Path = field(init=False)
    stage: Path = field(init=False)
    failed: Path = field(init=False)
    runs: Path = field(init=False)
    logs: Path = field(init=False)
    book: Path = field(init=False)
    sections: Path = field(init=False)
    generated: Path = field(init=False)
    notebooks: Path = field(init=False)
    code: Path = field(init=False)
    config: Path = field(init=False)
    toc: Path = field(init=False)
    citation: Path = field(init=False)
    zenodo: Path = field(init=False)
    requirements_in: Path = field(init=False)
    requirements_txt: Path = field(init=False)
    plan_cache: Path = field(init=False)
    door: Path = field(init=False)

    def __post_init__(self) -> None:
        root = Path(self.root).expanduser().resolve()
        paths = {
            "root": root, "build": BUILD_DIR, "html": HTML_DIR, "manifest": MANIFEST_FILE,
            "state": STATE_FILE, "stage": STAGE_DIR, "failed": FAILED_DIR, "runs": RUNS_DIR,
            "logs": LOGS_DIR, "book": BOOK_DIR, "sections": SECTIONS_DIR,
            "generated": GENERATED_DIR, "notebooks": NOTEBOOKS_DIR, "code": CODE_DIR,
            "config": CONFIG_FILE, "toc": TOC_FILE, "citation": CITATION_FILE,
            "zenodo": ZENODO_FILE, "requirements_in": REQUIREMENTS_IN,
            "requirements_txt": REQUIREMENTS_TXT, "plan_cache": PLAN_CACHE_DIR,
            "door": DOOR_FILE,
        }
        for name, rel in paths.items():
            object.__setattr__(self, name, root if name == "root" else root / rel)
        if self.data is not None:
            object.__setattr__(self, "data", (root / Path(self.data).expanduser()).resolve())

    # ------------------------------------------------------------------ per-section files
    def page(self, section: str) -> Path:
        """The executed notebook the book shows: ``book/sections/<section>.ipynb``."""
        return self.sections / f"{section}.ipynb"

    def results(self, section: str) -> Path:
        """The section's results file: ``book/sections/<section>.results.json``."""
        return self.sections / f"{section}.results.json"

    def staged(self, section: str) -> Path:
        """Where a section is executed before it enters the book."""
        return self.stage / "notebooks" / f"{section}.ipynb"

    def kept(self, section: str) -> Path:
        """Where the executed notebook of a failed section is kept."""
        return self.failed / f"{section}.ipynb"

    def run_output(self, section: str) -> Path:
        """Default output of ``python -m mcbi run <section>``."""
        return self.runs / f"{section}.ipynb"

    def log(self, name: str) -> Path:
        """A log file: ``_build/logs/<name>`` (e.g. ``jupyter-book.log``)."""
        return self.logs / name

    # ------------------------------------------------------------------ staging of the book
    @property
    def stage_config(self) -> Path:
        """The derived ``_config.yml`` (project config plus provenance footer)."""
        return self.stage / CONFIG_FILE

    @property
    def stage_book(self) -> Path:
        """The folder jupyter-book builds into before the html is swapped in."""
        return self.stage / "jb"

    @property
    def book_log(self) -> Path:
        """The full jupyter-book log of the last book build."""
        return self.log("jupyter-book.log")

    # ------------------------------------------------------------------ pdf and publishing
    @property
    def pdf_dir(self) -> Path:
        """Folder of the whole-book PDF: ``_build/pdf``."""
        return self.root / PDF_DIR

    @property
    def pdf(self) -> Path:
        """The whole-book PDF: ``_build/pdf/mcbi-book.pdf``."""
        return self.pdf_dir / PDF_NAME

    @property
    def pdf_record(self) -> Path:
        """Which build the PDF was made from: ``_build/pdf/mcbi-book.json``."""
        return self.pdf.with_suffix(".json")

    @property
    def pdf_download(self) -> Path:
        """The PDF's copy in the html site: ``_build/html/_downloads/mcbi-book.pdf``."""
        return self.html / DOWNLOADS_DIR / PDF_NAME

    @property
    def typst(self) -> Path:
        """The pages of the last html build as Typst markup: ``_build/typst``."""
        return self.build / "typst"

    @property
    def stage_typst(self) -> Path:
        """Where the html build writes the pages' Typst markup (beside its html)."""
        return self.stage_book / "_build" / "typst"

    @property
    def stage_pdf(self) -> Path:
        """The folder the PDF is typeset in before it moves into place."""
        return self.stage / "pdf"

    @property
    def pdf_log(self) -> Path:
        """The log of the last PDF build (Typst's warnings)."""
        return self.log("pdf.log")

    @property
    def license(self) -> Path:
        """The project's ``LICENSE`` file."""
        return self.root / LICENSE_FILE

    @property
    def readme(self) -> Path:
        """The project's ``README.md``."""
        return self.root / README_FILE

    def source_files(self) -> list[Path]:
        """Return the source files of the project (:data:`SOURCE_PATHS`), sorted.

        Build outputs (:data:`SOURCE_SKIP`), hidden files and folders, ``__pycache__`` and
        ``*.egg-info`` folders are left out; missing paths are skipped.
        """
        skip = [self.root / rel for rel in SOURCE_SKIP]
        found: set[Path] = set()
        for rel in SOURCE_PATHS:
            path = self.root / rel
            candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
            for file in candidates:
                parts = file.relative_to(self.root).parts
                if (not file.is_file() or any(p.startswith(".") and p != rel for p in parts)
                        or any(p == "__pycache__" or p.endswith(".egg-info") for p in parts)
                        or any(file.is_relative_to(s) for s in skip)):
                    continue
                found.add(file)
        return sorted(found, key=lambda p: p.relative_to(self.root).as_posix())

    def rel(self, path: Path) -> str:
        """``path`` relative to the root in POSIX form, or as given if outside it."""
        try:
            return Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return str(path)
