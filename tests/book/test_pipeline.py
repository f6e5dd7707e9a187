"""Build pipeline: sections, parameters, incremental execution, failures, run, footer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import BuiltToy, Fakes, beta_notebook, build_in_process, make_notebook, mcbi_cli
from mcbi.book import pipeline, runner
from mcbi.book.execute import SectionFailed
from mcbi.book.jupyterbook import BookFailed, derived_config, problems, swap_in
from mcbi.book.provenance import BuildInfo
from mcbi.book.sections import discover, merge_parameters, parse_value, read_parameters
from mcbi.book.state import load_state
from mcbi.cli import main
from mcbi.errors import BuildFailed, DataError, ParameterError, SectionError
from mcbi.trial.data import DEFAULT_DATA


# ----------------------------------------------------------------------- sections, params
@pytest.mark.parametrize(("text", "value"), [
    ("True", True), ("False", False), ("None", None), ("3", 3), ("-2", -2),
    ("0.05", 0.05), ("1e-3", 1e-3), ("abc", "abc"), ("true", "true"), ("", ""),
])
def test_parse_value_like_papermill(text: str, value: object) -> None:
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_read_parameters_literals_and_expressions(tmp_path: Path) -> None:
    nb = make_notebook(tmp_path / "x.ipynb", [
        ("code", "import os", []),
        ("code", 'a = 1\nb: float = 0.5\nc = "s"  # comment\nd = [1, 2]\ne = os.sep\n',
         ["parameters"]),
    ])
    assert read_parameters(nb) == {"a": 1, "b": 0.5, "c": "s", "d": [1, 2], "e": "os.sep"}


def test_read_parameters_requires_a_parameters_cell(tmp_path: Path) -> None:
    nb = make_notebook(tmp_path / "x.ipynb", [("code", "a = 1", [])])
    with pytest.raises(SectionError, match="no code cell tagged 'parameters'"):
        read_parameters(nb)


def test_discover_sorted_and_merge_rejects_unknown_names(toy_project: Path) -> None:
    sections = discover(toy_project / "notebooks")
    assert [s.name for s in sections] == ["01_alpha", "02_beta"]
    merged = merge_parameters(sections[1], {"scale": 5})
    assert merged == {"data_dir": "data/trial", "out_dir": "book/sections", "scale": 5,
                      "label": "toy"}
    with pytest.raises(ParameterError, match=r"no parameter nope.*scale=2"):
        merge_parameters(sections[1], {"nope": 1})


def test_run_refuses_unknown_section_and_parameter(toy_project: Path) -> None:
    with pytest.raises(SectionError, match="unknown section 'zz'.*01_alpha, 02_beta"):
        pipeline.run_section("zz", {}, root=toy_project)
    with pytest.raises(ParameterError, match="no parameter alpha.*bins=3"):
        pipeline.run_section("01_alpha", {"alpha": "0.1"}, root=toy_project)


def test_cli_prints_user_errors_without_traceback(
    toy_project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(toy_project)
    assert main(["run", "02_beta", "-p", "bogus", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: section 02_beta has no parameter bogus")
    assert "Traceback" not in err


def test_build_refuses_a_toc_page_without_notebook(toy_project: Path) -> None:
    (toy_project / "notebooks" / "02_beta.ipynb").unlink()
    with pytest.raises(SectionError,
                       match=r"_toc.yml lists book/sections/02_beta but notebooks/.*01_alpha"):
        pipeline.build(DEFAULT_DATA, root=toy_project)


def test_build_refuses_a_project_without_notebooks(toy_project: Path) -> None:
    shutil.rmtree(toy_project / "notebooks")
    with pytest.raises(SectionError, match="no notebooks found in"):
        pipeline.build(DEFAULT_DATA, root=toy_project)


def test_toc_documents_walks_parts_chapters_sections(tmp_path: Path) -> None:
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: a\nparts:\n  - caption: P\n    chapters:\n"
        "      - file: b\n        sections:\n          - file: c\n      - file: d\n")
    assert pipeline.toc_documents(tmp_path / "_toc.yml") == ["a", "b", "c", "d"]
    assert pipeline.toc_documents(tmp_path / "missing.yml") == []


def test_build_refuses_missing_data(toy_project: Path) -> None:
    with pytest.raises(DataError, match="data package folder not found"):
        pipeline.build(str(toy_project / "nowhere"), root=toy_project)
    with pytest.raises(DataError, match=f"not found: {toy_project / 'elsewhere'} "):
        pipeline.build("elsewhere", root=toy_project)  # relative: under the root


# ----------------------------------------------------------------------- incremental logic
def _build(root: Path, **kwargs) -> pipeline.BuildReport:
    return pipeline.build(DEFAULT_DATA, root=root, **kwargs)


def _names(fake: Fakes) -> list[str]:
    names = [name for name, _ in fake.executed]
    fake.executed.clear()
    return names


def test_build_reports_and_prints_nothing(
    toy_project: Path, fakes: Fakes, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _build(toy_project)
    assert [(s.name, s.status, s.results) for s in report.sections] == [
        ("01_alpha", "executed", True), ("02_beta", "executed", True)]
    assert all(s.seconds is not None and s.seconds >= 0 for s in report.sections)
    assert report.book == "built" and report.book_seconds is not None
    assert report.html == toy_project / "_build" / "html" / "index.html"
    assert report.manifest == toy_project / "_build" / "manifest.json"
    again = _build(toy_project)
    assert again.executed == [] and again.book == "up to date" and again.book_seconds is None
    assert [s.status for s in again.sections] == ["up to date", "up to date"]
    assert capsys.readouterr() == ("", "")


def test_progress_lines_go_to_the_callback(toy_project: Path, fakes: Fakes) -> None:
    lines: list[str] = []
    _build(toy_project, progress=lines.append)
    assert [line.split(" in ")[0] for line in lines] == [
        "[01_alpha] executed", "[02_beta] executed", "[book] built"]
    assert lines[-1].endswith("-> _build/html/index.html")
    lines.clear()
    _build(toy_project, progress=lines.append)
    assert lines == ["[01_alpha] up to date", "[02_beta] up to date", "[book] up to date"]


def test_missing_results_file_is_noted(toy_project: Path, fakes: Fakes,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def execute(source: Path, output: Path, overrides: dict, cwd: Path, log=None) -> None:
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, output)

    monkeypatch.setattr(runner, "execute_notebook", execute)
    lines: list[str] = []
    report = _build(toy_project, progress=lines.append)
    assert "[01_alpha] note: no 01_alpha.results.json written (Results.save)" in lines
    assert [s.results for s in report.sections] == [False, False]


def test_failing_section_raises_build_failed_with_one_paragraph(
    toy_project: Path, fakes: Fakes, capsys: pytest.CaptureFixture[str]
) -> None:
    _build(toy_project)
    fakes.fail_section = "02_beta"
    lines: list[str] = []
    with pytest.raises(BuildFailed) as info:
        _build(toy_project, force=True, progress=lines.append)
    assert isinstance(info.value, SectionFailed) and info.value.cell_index == 3
    assert str(info.value) == (
        "notebooks/02_beta.ipynb, cell 3 (`ratio = 1`): ZeroDivisionError: division by zero\n"
        "  the executed notebook is kept at _build/failed/02_beta.ipynb; "
        "the previous book in _build/html was left untouched")
    assert lines[-1] == "[02_beta] FAILED" and lines[0].startswith("[01_alpha] executed")
    assert (toy_project / "_build" / "failed" / "02_beta.ipynb").is_file()
    state = load_state(toy_project / "_build" / "state.json")
    assert "02_beta" not in state["sections"] and state["book"] is None
    assert capsys.readouterr() == ("", "")
    fakes.fail_section = None
    _build(toy_project)  # fixed: the kept notebook is cleared
    assert not (toy_project / "_build" / "failed" / "02_beta.ipynb").exists()


def test_failing_book_raises_and_keeps_html(toy_project: Path, fakes: Fakes) -> None:
    _build(toy_project)
    index = (toy_project / "_build" / "html" / "index.html").read_bytes()
    fakes.fail_book = True
    lines: list[str] = []
    with pytest.raises(BookFailed, match=r"WARNING: w\nfull log: .*jupyter-book.log\n"
                       r"  the previous book in _build/html was left untouched"):
        _build(toy_project, force=True, progress=lines.append)
    assert lines[-1] == "[book] FAILED"
    assert (toy_project / "_build" / "html" / "index.html").read_bytes() == index


def test_cli_maps_a_failed_build_to_exit_1(
    toy_project: Path, fakes: Fakes, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(toy_project)
    monkeypatch.setattr("mcbi.paper.appendix.pages.generate_pages", lambda data, root: {})
    fakes.fail_section = "01_alpha"
    assert main(["build", "--jobs", "1"]) == 1
    out, err = capsys.readouterr()
    assert out == "[01_alpha] FAILED\n"
    assert err.startswith("error: notebooks/01_alpha.ipynb, cell 3 (`ratio = 1`): ")
    fakes.fail_section = None
    assert main(["build", "--jobs", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("[book] built in")


def test_run_section_returns_a_report_and_raises_on_failure(
    toy_project: Path, fakes: Fakes, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(toy_project)
    lines: list[str] = []
    report = pipeline.run_section("02_beta", {"scale": "10"}, progress=lines.append)
    assert report.section == "02_beta" and report.seconds >= 0
    assert report.notebook == toy_project.resolve() / "_build" / "runs" / "02_beta.ipynb"
    assert report.overrides == {"scale": 10, "out_dir": "_build/runs/02_beta"}
    assert lines == [lines[0]] and lines[0].startswith("[02_beta] executed in ")
    assert lines[0].endswith("with scale=10, out_dir='_build/runs/02_beta' -> "
                             "_build/runs/02_beta.ipynb and _build/runs/02_beta.html")
    assert report.html == report.notebook.with_suffix(".html") and report.html.is_file()
    fakes.fail_section = "02_beta"
    with pytest.raises(SectionFailed) as info:
        pipeline.run_section("02_beta", {}, output="elsewhere/b.ipynb", progress=lines.append)
    assert str(info.value).endswith(
        "division by zero\n  the executed notebook is kept at elsewhere/b.ipynb "
        "(HTML: elsewhere/b.html)")
    assert lines[-1] == "[02_beta] FAILED"
    assert capsys.readouterr() == ("", "")


def test_incremental_reexecutes_only_what_changed(toy_project: Path, fakes: Fakes) -> None:
    root = toy_project
    assert _build(root).executed == ["01_alpha", "02_beta"]
    assert _names(fakes) == ["01_alpha", "02_beta"] and fakes.books == 1

    report = _build(root)  # nothing changed
    assert _names(fakes) == [] and fakes.books == 1
    assert report.executed == [] and report.book == "up to date"

    beta_notebook(root / "notebooks" / "02_beta.ipynb", body="total = 3 * sum(values)")
    assert _build(root).executed == ["02_beta"]  # notebook content
    assert _names(fakes) == ["02_beta"] and fakes.books == 2

    (root / "data" / "trial" / "values.csv").write_text("x\n1\n", "utf-8")
    _build(root)  # data package
    assert _names(fakes) == ["01_alpha", "02_beta"]

    (root / "src" / "mcbi" / "extra.py").write_text("y = 2\n", "utf-8")
    _build(root)  # package code
    assert _names(fakes) == ["01_alpha", "02_beta"]

    (root / "book" / "intro.md").write_text("# Changed\n", "utf-8")
    report = _build(root)  # prose only: no execution, book rebuilt
    assert _names(fakes) == [] and fakes.books == 5 and report.book == "built"

    (root / "book" / "sections" / "01_alpha.ipynb").unlink()
    _build(root)  # executed page lost
    assert _names(fakes) == ["01_alpha"]

    _build(root, force=True)
    assert _names(fakes) == ["01_alpha", "02_beta"] and fakes.books == 7


def test_data_option_overrides_data_dir_and_reexecutes(toy_project: Path, fakes: Fakes,
                                                       tmp_path: Path) -> None:
    root = toy_project
    _build(root)
    fakes.executed.clear()
    other = shutil.copytree(root / "data" / "trial", tmp_path / "real")
    pipeline.build(str(other), root=root)
    manifest = json.loads((root / "_build" / "manifest.json").read_text("utf-8"))
    sha = manifest["data"]["sha256"]
    link = f"_build/data/{sha[:12]}"  # outside the project: linked, passed relative
    expected = {"data_dir": link, "out_dir": "book/sections"}
    assert fakes.executed == [("01_alpha", expected), ("02_beta", expected)]
    assert (root / link).resolve() == other.resolve()
    assert manifest["data"]["path"] == f"<data package toy, sha256 {sha[:12]}>"
    assert manifest["sections"]["02_beta"]["parameters"]["data_dir"] == link
    assert str(tmp_path) not in (root / "_build" / "manifest.json").read_text("utf-8")


def test_state_records_the_four_input_hashes(toy_project: Path, fakes: Fakes) -> None:
    _build(toy_project)
    state = load_state(toy_project / "_build" / "state.json")
    record = state["sections"]["02_beta"]
    assert set(record["inputs"]) == {"notebook", "parameters", "data", "data_files", "code"}
    assert record["parameters"]["scale"] == 2
    assert state["book"]


def test_page_generators_receive_the_data_folder_and_run_only_when_inputs_change(
    toy_project: Path, fakes: Fakes
) -> None:
    seen: list[tuple[Path, Path]] = []
    extra = toy_project / "evidence.csv"
    extra.write_text("a\n1\n", "utf-8")

    def generate(data: Path, root: Path) -> dict[str, str]:
        seen.append((data, root))
        return {"lead.md": "# Lead\n"}

    generate.inputs = lambda root: [root / "evidence.csv"]  # type: ignore[attr-defined]
    _build(toy_project, page_generators=(generate,))
    assert seen == [(toy_project / "data" / "trial", toy_project)]
    lead = toy_project / "book" / "_generated" / "lead.md"
    assert lead.read_text("utf-8") == "# Lead\n"
    _build(toy_project, page_generators=(generate,))
    assert len(seen) == 1  # nothing it reads changed: not run again
    extra.write_text("a\n2\n", "utf-8")
    _build(toy_project, page_generators=(generate,))
    assert len(seen) == 2  # a file it names changed
    lead.write_text("edited\n", "utf-8")
    _build(toy_project, page_generators=(generate,))
    assert len(seen) == 3 and lead.read_text("utf-8") == "# Lead\n"  # a page was changed


def test_generated_pages_list_parameters_environment_and_citation(
    toy_project: Path, fakes: Fakes
) -> None:
    _build(toy_project)
    generated = toy_project / "book" / "_generated"
    params = (generated / "section_parameters.md").read_text("utf-8")
    assert "| `02_beta` | `scale` | `2` |" in params
    assert "| `01_alpha` | `data_dir` | `'data/trial'` |" in params
    env = (generated / "environment.md").read_text("utf-8")
    assert "`jupyter-book`" in env and "Python 3." in env
    cite = (generated / "citation_build.md").read_text("utf-8")
    assert "version = {0.1.0}" in cite and "commit unknown" in cite


def test_footer_carries_version_commit_data_hash_and_date(toy_project: Path, fakes: Fakes) -> None:
    _build(toy_project)
    html = (toy_project / "_build" / "html" / "index.html").read_text("utf-8")
    manifest = json.loads((toy_project / "_build" / "manifest.json").read_text("utf-8"))
    assert manifest["data"]["sha256"] in html
    assert f"mcbi {manifest['version']}" in html and "commit <code>unknown</code>" in html
    assert manifest["build_date"].replace("T", " ").replace("Z", " UTC") in html


def test_derived_config_keeps_settings_and_adds_footer(tmp_path: Path) -> None:
    (tmp_path / "_config.yml").write_text(
        "title: T\nhtml:\n  extra_footer: '<p>x</p>'\nexecute:\n  execute_notebooks: 'off'\n")
    info = BuildInfo("0.1.0", "abc", "d" * 64, "2026-01-01T00:00:00Z")
    config = derived_config(tmp_path / "_config.yml", info, tmp_path / "s" / "c.yml")
    cfg = yaml.safe_load(config.read_text())
    assert cfg["title"] == "T" and cfg["execute"]["execute_notebooks"] == "off"
    assert cfg["html"]["extra_footer"].startswith("<p>x</p><p class=\"mcbi-provenance\">")


def test_problems_finds_warnings() -> None:
    log = "reading sources\n/x.md:3: WARNING: undefined label\nbuild succeeded"
    assert problems(log) == ["/x.md:3: WARNING: undefined label"]
    assert problems("build succeeded.\n") == []


def test_swap_in_replaces_folder(tmp_path: Path) -> None:
    target, new = tmp_path / "html", tmp_path / "new"
    target.mkdir()
    (target / "old.html").write_text("old")
    new.mkdir()
    (new / "index.html").write_text("new")
    swap_in(new, target)
    assert [p.name for p in target.iterdir()] == ["index.html"]
    assert not new.exists() and not (tmp_path / "html.old").exists()


# ----------------------------------------------------------------------- real toy builds
def test_real_build_renders_glue_figures_and_manifest(built_toy: BuiltToy) -> None:
    root = built_toy.root
    assert "[01_alpha] executed in" in built_toy.first and "[book] built in" in built_toy.first
    html = root / "_build" / "html"
    intro = (html / "book" / "intro.html").read_text("utf-8")
    assert "The mean of the toy values is <span class=\"pasted-text\">2.62</span>" in intro
    for page in html.rglob("*.html"):
        text = page.read_text("utf-8")
        assert "No key" not in text and "{glue" not in text, page
    assert (html / "_images" / "alpha_hist.png").is_file()
    assert "mcbi-provenance" in (html / "book" / "sections" / "02_beta.html").read_text("utf-8")
    manifest = json.loads((root / "_build" / "manifest.json").read_text("utf-8"))
    assert manifest["results"] == {"01_alpha.mean": 2.625, "02_beta.label": "toy",
                                   "02_beta.total": 21.0}
    log = (root / "_build" / "logs" / "jupyter-book.log").read_text("utf-8")
    assert "WARNING" not in log and "build succeeded" in log


def test_real_second_build_is_a_no_op(built_toy: BuiltToy) -> None:
    lines = built_toy.second.strip().splitlines()
    assert lines == ["[01_alpha] up to date", "[02_beta] up to date", "[book] up to date"]


def test_failing_cell_stops_build_and_keeps_previous_book(built_toy: BuiltToy,
                                                          tmp_path: Path) -> None:
    root = shutil.copytree(built_toy.root, tmp_path / "toy", symlinks=True)
    html = root / "_build" / "html"
    before = {p.relative_to(html): p.read_bytes() for p in html.rglob("*") if p.is_file()}
    beta_notebook(root / "notebooks" / "02_beta.ipynb",
                  body="ratio = 1\ntotal = ratio / 0  # boom")
    proc = mcbi_cli(root, "build")
    assert proc.returncode == 1
    assert "[01_alpha] up to date" in proc.stdout
    assert "notebooks/02_beta.ipynb, cell 3, line 2 (`total = ratio / 0  # boom`)" in proc.stderr
    assert "ZeroDivisionError: division by zero" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    kept = root / "_build" / "failed" / "02_beta.ipynb"
    assert kept.is_file() and "ZeroDivisionError" in kept.read_text("utf-8")
    after = {p.relative_to(html): p.read_bytes() for p in html.rglob("*") if p.is_file()}
    assert after == before
    # the failed section is not recorded as up to date
    state = load_state(root / "_build" / "state.json")
    assert "02_beta" not in state["sections"] and "01_alpha" in state["sections"]


def test_book_warning_fails_and_keeps_previous_book(built_toy: BuiltToy, tmp_path: Path) -> None:
    root = shutil.copytree(built_toy.root, tmp_path / "toy", symlinks=True)
    index = (root / "_build" / "html" / "index.html").read_bytes()
    (root / "book" / "intro.md").write_text("# Toy\n\nSee {ref}`no-such-label`.\n", "utf-8")
    lines: list[str] = []
    with pytest.raises(BookFailed) as info:
        build_in_process(root, lines)
    assert lines[-1] == "[book] FAILED"
    err = str(info.value)
    assert "WARNING" in err and "no-such-label" in err and "jupyter-book.log" in err
    assert err.endswith("the previous book in _build/html was left untouched")
    assert (root / "_build" / "html" / "index.html").read_bytes() == index


def test_run_section_with_other_parameters(built_toy: BuiltToy, tmp_path: Path) -> None:
    root = shutil.copytree(built_toy.root, tmp_path / "toy", symlinks=True)
    book_results = (root / "book" / "sections" / "02_beta.results.json").read_bytes()
    proc = mcbi_cli(root, "run", "02_beta", "-p", "scale", "10", "-p", "label", "ten")
    assert proc.returncode == 0, proc.stderr
    assert "[02_beta] executed in" in proc.stdout
    out = root / "_build" / "runs"
    results = json.loads((out / "02_beta" / "02_beta.results.json").read_text("utf-8"))
    assert results == {"label": "ten", "total": 105.0}
    executed = (out / "02_beta.ipynb").read_text("utf-8")
    assert "scale = 10" in executed and "injected-parameters" in executed
    assert (root / "book" / "sections" / "02_beta.results.json").read_bytes() == book_results


# ----------------------------------------------------------------------- documentation
def test_documented_run_commands_name_real_sections_and_parameters() -> None:
    """The `python -m mcbi run` and papermill examples of book/reproducibility.md are valid."""
    import re
    import shlex

    from conftest import REPO
    from mcbi.book.sections import find_section

    text = (REPO / "book" / "reproducibility.md").read_text("utf-8").replace("\\\n", " ")
    runs = re.findall(r"^python -m mcbi run (.+)$", text, flags=re.M)
    papermills = re.findall(r"^papermill (.+)$", text, flags=re.M)
    assert runs and papermills
    if not discover(REPO / "notebooks"):
        pytest.skip("notebooks/ is empty")
    for line in runs:
        words = shlex.split(line)
        section = find_section(REPO / "notebooks", words[0])
        merge_parameters(section, dict(zip(words[2::3], words[3::3], strict=True)))
    for line in papermills:
        words = shlex.split(line)
        section = find_section(REPO / "notebooks", Path(words[0]).stem)
        pairs = [w for w in words[2:] if w != "--cwd"][:-1]
        merge_parameters(section, dict(zip(pairs[1::3], pairs[2::3], strict=True)))
