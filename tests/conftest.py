"""Shared fixtures: toy book projects and the end-to-end build of the real book."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import yaml

from mcbi.book.execute import SectionFailed
from mcbi.book.jupyterbook import BookFailed

REPO = Path(__file__).resolve().parents[1]

TOY_TOC = """\
format: jb-book
root: book/intro
parts:
  - caption: Results
    chapters:
      - file: book/sections/01_alpha
      - file: book/sections/02_beta
  - caption: Reproducibility
    chapters:
      - file: book/reproducibility
      - file: book/cite
      - file: book/references
"""

TOY_INTRO = """\
# Toy book

The mean of the toy values is {glue:text}`sections/01_alpha.ipynb::mean:.2f` and the
scaled total is {glue:text}`sections/02_beta.ipynb::total:.1f`.
"""

PARAMS = 'data_dir = "data/trial"\nout_dir = "book/sections"\n'


def make_notebook(path: Path, cells: list[tuple[str, str, list[str]]]) -> Path:
    """Write a notebook of ``(kind, source, tags)`` cells with kernel metadata."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source, tags in cells:
        new = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        cell = new(source)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def alpha_notebook(path: Path, extra: str = "") -> Path:
    """Section 01_alpha: reads the data, saves a figure, records ``mean``."""
    return make_notebook(path, [
        ("markdown", "# Alpha\n\nThe mean is {glue:text}`mean:.2f`.", []),
        ("code", PARAMS + "bins = 3\n", ["parameters"]),
        ("code", "import csv, pathlib\nfrom mcbi.paper.render.results import Results\n"
                 "rows = list(csv.DictReader(open(pathlib.Path(data_dir) / 'values.csv')))\n"
                 "values = [float(r['x']) for r in rows]" + extra, []),
        ("code", "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
                 "fig, ax = plt.subplots(figsize=(3, 2))\nax.hist(values, bins=bins)\n"
                 "(pathlib.Path(out_dir) / 'figures').mkdir(parents=True, exist_ok=True)\n"
                 "fig.savefig(pathlib.Path(out_dir) / 'figures' / 'alpha_hist.png')\n"
                 "plt.close(fig)", []),
        ("markdown", "```{figure} figures/alpha_hist.png\n:name: fig-alpha\n\n"
                     "Histogram of the toy values.\n```", []),
        ("code", "res = Results('01_alpha', out_dir)\n"
                 "res.glue('mean', sum(values) / len(values))\nres.save()", []),
    ])


def beta_notebook(path: Path, body: str = "total = scale * sum(values)") -> Path:
    """Section 02_beta: records ``total``; ``body`` may be replaced by failing code."""
    return make_notebook(path, [
        ("markdown", "# Beta\n\nThe scaled total is {glue:text}`total:.1f`.", []),
        ("code", PARAMS + "scale = 2\nlabel = 'toy'\n", ["parameters"]),
        ("code", "import csv, pathlib\nfrom mcbi.paper.render.results import Results\n"
                 "values = [float(r['x']) for r in "
                 "csv.DictReader(open(pathlib.Path(data_dir) / 'values.csv'))]", []),
        ("code", body, []),
        ("code", "res = Results('02_beta', out_dir)\nres.glue('total', total)\n"
                 "res.glue_text('label', label)\nres.save()", []),
    ])


def make_toy_project(root: Path) -> Path:
    """Create a small book project (two sections, toy data, the real config and pages)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("_config.yml", "CITATION.cff", "requirements.in", "requirements.txt"):
        if (REPO / name).is_file():
            shutil.copy(REPO / name, root / name)
    (root / "_toc.yml").write_text(TOY_TOC, "utf-8")
    book = root / "book"
    book.mkdir(parents=True)
    (book / "intro.md").write_text(TOY_INTRO, "utf-8")
    for name in ("reproducibility.md", "cite.md", "references.md", "references.bib"):
        shutil.copy(REPO / "book" / name, book / name)
    shutil.copytree(REPO / "book" / "_static", book / "_static")
    shutil.copytree(REPO / "book" / "typst", book / "typst")  # the PDF's template
    data = root / "data" / "trial"
    # the shipped package (valid, so the command line's door lets it in) plus the toy values
    shutil.copytree(REPO / "data" / "trial", data)
    descriptor = json.loads((data / "datapackage.json").read_text("utf-8"))
    (data / "datapackage.json").write_text(json.dumps({**descriptor, "name": "toy"}), "utf-8")
    (data / "values.csv").write_text("x\n1\n2\n3\n4.5\n", "utf-8")
    # a stand-in for the package code, so that its hash is stable and can be changed
    (root / "src" / "mcbi").mkdir(parents=True)
    (root / "src" / "mcbi" / "__init__.py").write_text('"""toy"""\n', "utf-8")
    alpha_notebook(root / "notebooks" / "01_alpha.ipynb")
    beta_notebook(root / "notebooks" / "02_beta.ipynb")
    return root


@pytest.fixture
def toy_project(tmp_path: Path) -> Path:
    """A fresh toy project (not built)."""
    return make_toy_project(tmp_path / "toy")


@dataclass
class BuiltToy:
    root: Path
    first: str
    second: str


def build_in_process(root: Path, lines: list[str] | None = None, **kwargs) -> tuple:
    """Run ``pipeline.build`` on ``root`` (default data folder, no page generator).

    The toy data package is not the trial's, so ``mcbi.paper.appendix.pages`` cannot describe it.
    Progress lines are appended to ``lines`` (kept when the build raises). Returns
    ``(BuildReport, progress text)``.
    """
    from mcbi.book import pipeline
    from mcbi.trial.data import DEFAULT_DATA

    lines = [] if lines is None else lines
    report = pipeline.build(DEFAULT_DATA, root=root, progress=lines.append, **kwargs)
    return report, "\n".join(lines)


@pytest.fixture(scope="session")
def built_toy(tmp_path_factory: pytest.TempPathFactory) -> BuiltToy:
    """A toy project built for real (papermill + jupyter-book), then built again."""
    root = make_toy_project(tmp_path_factory.mktemp("built") / "toy")
    try:
        _, first = build_in_process(root)
    except Exception as exc:  # show the jupyter-book log with the failure
        raise AssertionError(f"{exc}\n{_log(root)}") from exc
    _, second = build_in_process(root)
    return BuiltToy(root, first, second)


def _log(root: Path) -> str:
    log = root / "_build" / "logs" / "jupyter-book.log"
    return log.read_text("utf-8")[-4000:] if log.is_file() else ""


class Fakes:
    """Stand-ins for papermill and jupyter-book that record what they were asked to do."""

    def __init__(self) -> None:
        self.executed: list[tuple[str, dict]] = []
        self.books = 0
        self.fail_section: str | None = None
        self.fail_book = False

    def execute(self, source: Path, output: Path, overrides: dict, cwd: Path, log=None) -> None:
        self.executed.append((source.stem, dict(overrides)))
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, output)
        if source.stem == self.fail_section:
            raise SectionFailed(source, 3, "ratio = 1", "ZeroDivisionError: division by zero")
        out = cwd / overrides.get("out_dir", "book/sections")
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{source.stem}.results.json").write_text(json.dumps({"x": 1.5}), "utf-8")

    def book(self, root: Path, config: Path, out: Path, log_path: Path) -> Path:
        if self.fail_book:
            raise BookFailed(f"jupyter-book reported problems:\n  x.md: WARNING: w\n"
                             f"full log: {log_path}")
        self.books += 1
        html = out / "_build" / "html"
        html.mkdir(parents=True)
        footer = yaml.safe_load(config.read_text("utf-8"))["html"]["extra_footer"]
        (html / "index.html").write_text(f"<html>{footer}</html>", "utf-8")
        return html


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    """Replace papermill and jupyter-book in the pipeline (and ``run``) by :class:`Fakes`."""
    from mcbi.book import pipeline, rerun, runner

    fake = Fakes()
    monkeypatch.setattr(runner, "execute_notebook", fake.execute)
    monkeypatch.setattr(rerun, "execute_notebook", fake.execute)
    monkeypatch.setattr(pipeline, "run_jupyter_book", fake.book)
    return fake


def copy_work_tree(src: Path, dest: Path) -> Path:
    """Copy the tracked and untracked-but-not-ignored files of ``src`` to ``dest``."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(src), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard"], capture_output=True, check=True).stdout
        names = [n for n in listed.decode().split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        skip = {".venv", "_build", "dist", ".git", "test-artifacts", ".pytest_cache"}
        names = [p.relative_to(src).as_posix() for p in src.rglob("*")
                 if p.is_file() and not skip & set(p.relative_to(src).parts)]
    for name in names:
        source = src / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


@dataclass
class BuiltBook:
    root: Path
    first: subprocess.CompletedProcess
    second: subprocess.CompletedProcess


def mcbi_cli(root: Path, *args: str, timeout: float = 3600,
             src: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m mcbi ARGS`` in ``root`` with this interpreter (``src`` first on the path)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "mcbi", *args], cwd=root, capture_output=True,
                          text=True, timeout=timeout, env=env)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> BuiltBook:
    """The real book built from a clean copy of the work tree, then built a second time."""
    if not sorted((REPO / "notebooks").glob("*.ipynb")):
        pytest.skip("notebooks/ has no section notebook yet: nothing to build end to end")
    root = copy_work_tree(REPO, tmp_path_factory.mktemp("e2e") / "repo")
    if not (root / "data" / "trial").is_dir():
        made = mcbi_cli(root, "simulate", "--out", "data/trial", src=root / "src")
        assert made.returncode == 0, made.stdout + made.stderr
    first = mcbi_cli(root, "build", src=root / "src")
    assert first.returncode == 0, first.stdout + first.stderr + _log(root)
    second = mcbi_cli(root, "build", src=root / "src")
    assert second.returncode == 0, second.stdout + second.stderr
    return BuiltBook(root, first, second)


def toc_files(root: Path) -> list[str]:
    """Return every document of ``_toc.yml`` (root first)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text("utf-8"))
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("chapters", "sections", "parts"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []) + toc.get("chapters", []))
    return files


def abstract_words(html: Path) -> int:
    """Words of the built abstract page (``book/abstract.html``) below its title, counted as a
    word processor counts them: whitespace-separated tokens with a letter or digit."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((html / "book" / "abstract.html").read_text("utf-8"), "html.parser")
    section = soup.find("section", id="abstract")
    if section is None:
        raise ValueError("the built abstract page has no section with id 'abstract'")
    section.find("h1").decompose()
    return sum(1 for token in section.get_text(" ").split() if re.search(r"\w", token))
