"""Safe builds: the lock, one data set per book, no absolute path, typed parameters, leaks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, Fakes, make_notebook, make_toy_project, mcbi_cli
from mcbi.book import pipeline
from mcbi.book.execute import failing_line
from mcbi.book.lock import BuildLocked, build_lock
from mcbi.book.manifest import collect_results
from mcbi.book.notebook_html import notebook_html
from mcbi.book.outputs import Leak, OutputLeak, check_outputs, find_leaks
from mcbi.book.publish import publish
from mcbi.book.sections import (
    coerce_parameter,
    describe_sections,
    discover,
    parameter_choices,
    parse_overrides,
    read_parameter_comments,
)
from mcbi.book.state import load_state
from mcbi.cli import main
from mcbi.errors import BuildFailed, ParameterError, UserError
from mcbi.trial.data import DEFAULT_DATA

HOLD = """
import sys, time
from pathlib import Path
from mcbi.book.lock import build_lock
with build_lock(Path(sys.argv[1]), "build"):
    print("locked", flush=True)
    time.sleep(60)
"""


# ----------------------------------------------------------------------- the lock
def _hold_lock(build_dir: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(build_dir)],
                            stdout=subprocess.PIPE, text=True,
                            env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"})
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_process_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    build_dir = tmp_path / "_build"
    holder = _hold_lock(build_dir)
    try:
        start = time.monotonic()
        with pytest.raises(BuildLocked, match=rf"pid {holder.pid}.*wait for it to finish"):
            with build_lock(build_dir, "publish", wait=0.3):
                pass
        assert time.monotonic() - start >= 0.3  # it waited briefly first
    finally:
        holder.kill()
        holder.wait()
    with build_lock(build_dir, "build", wait=0) as path:  # died with the process
        assert f"pid {__import__('os').getpid()}" in path.read_text("utf-8")


def test_cli_build_and_publish_refuse_while_another_build_runs(toy_project: Path) -> None:
    holder = _hold_lock(toy_project / "_build")
    try:
        for args in (["build"], ["publish"]):
            proc = mcbi_cli(toy_project, *args)
            assert proc.returncode == 2, (args, proc.stderr)
            assert proc.stderr.startswith("error: ") and f"pid {holder.pid}" in proc.stderr
            assert "Traceback" not in proc.stderr
        with pytest.raises(BuildLocked, match=f"pid {holder.pid}"):
            pipeline.run_section("02_beta", {}, root=toy_project)
    finally:
        holder.kill()
        holder.wait()


def test_two_threads_do_not_hold_the_lock_at_once(tmp_path: Path) -> None:
    inside: list[int] = []
    refused: list[str] = []

    def work() -> None:
        try:
            with build_lock(tmp_path, "build", wait=0):
                inside.append(1)
                time.sleep(0.5)
        except BuildLocked as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(inside) == 1 and len(refused) == 1


# ----------------------------------------------------------------------- one data set
def _build(root: Path, data: object = DEFAULT_DATA, **kwargs) -> pipeline.BuildReport:
    return pipeline.build(data, root=root, **kwargs)


def test_failed_build_on_other_data_cannot_be_published(
    toy_project: Path, fakes: Fakes, tmp_path: Path
) -> None:
    _build(toy_project)
    assert load_state(toy_project / "_build" / "state.json")["status"] == "ok"
    publish(tmp_path / "ok", root=toy_project)  # a clean build publishes
    other = shutil.copytree(toy_project / "data" / "trial", toy_project / "other")
    (other / "values.csv").write_text("x\n10\n20\n", "utf-8")
    fakes.fail_section = "02_beta"
    with pytest.raises(BuildFailed):
        _build(toy_project, "other")  # 01_alpha now on other data, 02_beta on the old
    state = load_state(toy_project / "_build" / "state.json")
    assert state["status"] == "failed" and state["book"] is None
    with pytest.raises(UserError, match="the last build failed"):
        publish(tmp_path / "dist", root=toy_project)
    fakes.fail_section = None
    fakes.executed.clear()
    report = _build(toy_project)  # back to the first data: both must run again
    assert report.executed == ["01_alpha", "02_beta"]
    manifest = json.loads((toy_project / "_build" / "manifest.json").read_text("utf-8"))
    assert {r["inputs"]["data"] for r in manifest["sections"].values()} == {
        manifest["data"]["sha256"]}
    publish(tmp_path / "dist", root=toy_project)


def test_publish_refuses_sections_on_other_data_or_changed_files(
    toy_project: Path, fakes: Fakes, tmp_path: Path
) -> None:
    _build(toy_project)
    manifest_path = toy_project / "_build" / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    mixed = json.loads(json.dumps(manifest))
    mixed["sections"]["02_beta"]["inputs"]["data"] = "0" * 64
    manifest_path.write_text(json.dumps(mixed), "utf-8")
    with pytest.raises(UserError, match="sections 02_beta were not executed on the data"):
        publish(tmp_path / "dist", root=toy_project)
    manifest_path.write_text(json.dumps(manifest), "utf-8")
    (toy_project / "book" / "sections" / "01_alpha.results.json").write_text('{"x": 9}')
    with pytest.raises(UserError, match="01_alpha.results.json changed after the build"):
        publish(tmp_path / "dist", root=toy_project)


def test_a_run_by_hand_into_the_book_makes_the_section_out_of_date(
    toy_project: Path, fakes: Fakes
) -> None:
    _build(toy_project)
    fakes.executed.clear()
    # e.g. `papermill notebooks/02_beta.ipynb x.ipynb -p scale 10` with out_dir book/sections
    (toy_project / "book" / "sections" / "02_beta.results.json").write_text('{"total": 1}')
    report = _build(toy_project)
    assert report.executed == ["02_beta"] and report.book == "built"
    manifest = json.loads((toy_project / "_build" / "manifest.json").read_text("utf-8"))
    assert manifest["results"]["02_beta.x"] == 1.5  # what the pipeline wrote


def test_collect_results_takes_only_what_the_pipeline_wrote(tmp_path: Path) -> None:
    (tmp_path / "01_a.results.json").write_text('{"n": 1}')
    with pytest.raises(BuildFailed, match="01_a.results.json is not the file the build wrote"):
        collect_results(tmp_path, ["01_a"], {"01_a": "f" * 64})
    with pytest.raises(BuildFailed):
        collect_results(tmp_path, ["01_a"], {"01_a": None})  # it wrote none


def test_the_pipeline_always_passes_data_dir_and_out_dir(
    toy_project: Path, fakes: Fakes
) -> None:
    _build(toy_project)
    assert fakes.executed[0] == ("01_alpha", {"data_dir": "data/trial",
                                              "out_dir": "book/sections"})


# ----------------------------------------------------------------------- no absolute path
def test_data_outside_the_project_leaves_no_absolute_path(tmp_path: Path) -> None:
    root = make_toy_project(tmp_path / "toy")
    outside = shutil.move(root / "data" / "trial", tmp_path / "elsewhere" / "real-data")
    outside = Path(outside).resolve()
    try:
        pipeline.build(str(outside), root=root)
    except Exception as exc:  # show the jupyter-book log with the failure
        log = root / "_build" / "logs" / "jupyter-book.log"
        tail = log.read_text("utf-8")[-3000:] if log.exists() else ""
        raise AssertionError(f"{exc}\n{tail}") from exc
    dist = tmp_path / "dist"
    archive = publish(dist, root=root)
    texts = {p: p.read_text("utf-8", errors="replace")
             for p in [*(root / "_build" / "html").rglob("*.html"),
                       root / "_build" / "manifest.json",
                       *(root / "book" / "sections").glob("*.ipynb")]}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if member.isfile():
                texts[Path(member.name)] = tar.extractfile(member).read().decode(
                    "utf-8", errors="replace")
    for forbidden in (str(outside), str(tmp_path)):
        leaking = [str(p) for p, text in texts.items() if forbidden in text]
        assert leaking == [], forbidden
    executed = (root / "book" / "sections" / "01_alpha.ipynb").read_text("utf-8")
    assert "_build/data/" in executed  # the injected, project-relative data path
    manifest = json.loads((root / "_build" / "manifest.json").read_text("utf-8"))
    assert manifest["data"]["path"].startswith("<data package toy, sha256 ")
    assert manifest["results"]["01_alpha.mean"] == 2.625


# ----------------------------------------------------------------------- parameters
@pytest.mark.parametrize(("text", "default", "value"), [
    ("0.1", 0.05, 0.1), ("3", 0.05, 3.0), ("7", 20000, 7), ("true", False, True),
    ("0", True, False), ("No", True, False), ("x y", "a", "x y"), ("[1, 2]", [0], [1, 2]),
    ("None", None, None), ("4", None, 4),
])
def test_coerce_parameter_follows_the_default(text: str, default: object,
                                              value: object) -> None:
    parsed = coerce_parameter("02_x", "p", text, default)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(("text", "default", "message"), [
    ("abc", 0.05, "parameter p of 02_x expects a number like 0.05, got 'abc'"),
    ("1.5", 20000, "parameter p of 02_x expects an integer like 20000, got '1.5'"),
    ("maybe", True, "parameter p of 02_x expects true or false (1 or 0) like True, got 'maybe'"),
    ("3", [1], "parameter p of 02_x expects a Python list like [1], got '3'"),
])
def test_coerce_parameter_refuses_clearly(text: str, default: object, message: str) -> None:
    with pytest.raises(ParameterError) as info:
        coerce_parameter("02_x", "p", text, default)
    assert str(info.value) == message


def test_choices_from_the_comment(tmp_path: Path) -> None:
    nb = make_notebook(tmp_path / "03_x.ipynb", [(
        "code", "mode = 'by_time'  # intercepts: 'by_time' (a variance per wave), True (one), "
                "False (none)\nalpha = 0.05  # two-sided level: of tests\n", ["parameters"])])
    comments = read_parameter_comments(nb)
    assert parameter_choices(comments["mode"]) == ["by_time", True, False]
    assert parameter_choices(comments["alpha"]) is None
    section = discover(tmp_path)[0]
    assert parse_overrides(section, {"mode": "true", "alpha": "0.1"}) == {
        "mode": True, "alpha": 0.1}
    assert parse_overrides(section, {"mode": "by_time"}) == {"mode": "by_time"}
    with pytest.raises(ParameterError, match=r"parameter mode of 03_x expects one of "
                                             r"'by_time', True, False, got 'foo'"):
        parse_overrides(section, {"mode": "foo"})
    with pytest.raises(ParameterError, match="no parameter nope; its parameters are: mode="):
        parse_overrides(section, {"nope": "1"})


def test_cli_run_refuses_a_badly_typed_value(
    toy_project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(toy_project)
    assert main(["run", "02_beta", "-p", "scale", "abc"]) == 2
    assert capsys.readouterr().err == (
        "error: parameter scale of 02_beta expects an integer like 2, got 'abc'\n")


def test_run_refuses_to_write_into_the_book(toy_project: Path, fakes: Fakes) -> None:
    with pytest.raises(ParameterError, match="out_dir book/sections is inside the book's"):
        pipeline.run_section("02_beta", {"out_dir": "book/sections"}, root=toy_project)
    with pytest.raises(ParameterError, match="--output .*book/x.ipynb is inside the book's"):
        pipeline.run_section("02_beta", {}, output=str(toy_project / "book" / "x.ipynb"),
                             root=toy_project)
    assert fakes.executed == []


def test_failing_line_comes_from_the_traceback() -> None:
    source = "import math\nratio = 1\ntotal = ratio / 0\n"
    tb = ["\x1b[0;31m---------\x1b[0m", "Cell \x1b[0;32mIn[4], line 3\x1b[0m",
          "\x1b[1;32m----> 3\x1b[0m total = ratio / 0", "ZeroDivisionError: division by zero"]
    assert failing_line(source, tb) == (3, "total = ratio / 0")
    assert failing_line(source, ["Input In [2], in <cell line: 2>()"]) == (2, "ratio = 1")
    assert failing_line(source, []) == (None, "import math")


# ----------------------------------------------------------------------- help
def test_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "``" not in out and ":class:" not in out and "exit codes" in out
    assert "simulate" in out and "publish" in out


def test_run_help_lists_sections_and_parameters(
    toy_project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(toy_project)
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "``" not in out
    assert "  02_beta\n" in out and "scale = 2" in out and "bins = 3" in out
    listed = describe_sections(toy_project / "notebooks")
    assert listed in out


def test_notebook_html_shows_cells_outputs_and_figures(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |"),
                nbformat.v4.new_code_cell("print('<hi>')")]
    nb.cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="<hi>\n"),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="}),
    ]
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    page = notebook_html(path)
    assert "<h1>Title</h1>" in page and "<table>" in page
    assert "&lt;hi&gt;" in page and "data:image/png;base64,iVBORw0KGgo=" in page


# ----------------------------------------------------------------------- leaks
def _leaky(path: Path, outputs: list[dict]) -> Path:
    make_notebook(path, [("code", "x = 1", ["parameters"]), ("code", "import warnings", []),
                         ("code", "warn()", [])])
    nb = nbformat.read(path, as_version=4)
    injected = nbformat.v4.new_code_cell("x = 2")
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(1, injected)
    nb.cells[3].outputs = [nbformat.v4.new_output(**o) for o in outputs]
    nbformat.write(nb, path)
    return path


def test_find_leaks_stderr_and_warning_text(tmp_path: Path) -> None:
    clean = _leaky(tmp_path / "clean.ipynb", [
        {"output_type": "stream", "name": "stdout", "text": "no warnings here\n"}])
    assert find_leaks(clean) == []
    check_outputs(clean, "01_x")
    stderr = _leaky(tmp_path / "err.ipynb", [
        {"output_type": "stream", "name": "stderr", "text": "\n/x.py:3: UserWarning: w\n"}])
    assert find_leaks(stderr) == [Leak(2, "stderr", "/x.py:3: UserWarning: w")]
    shown = _leaky(tmp_path / "shown.ipynb", [
        {"output_type": "execute_result", "execution_count": 1, "metadata": {},
         "data": {"text/plain": "ok\nRuntimeWarning: overflow"}},
        {"output_type": "stream", "name": "stdout", "text": "Warning: careful\n"}])
    assert find_leaks(shown) == [Leak(2, "warning", "RuntimeWarning: overflow"),
                                 Leak(2, "warning", "Warning: careful")]
    with pytest.raises(OutputLeak, match=r"section 02_x: cell 2 shows warning text: "
                                         r"`RuntimeWarning: overflow` \(and 1 more\)"):
        check_outputs(shown, "02_x")


def test_a_leaking_section_fails_the_build(toy_project: Path, fakes: Fakes) -> None:
    _leaky(toy_project / "notebooks" / "02_beta.ipynb", [
        {"output_type": "stream", "name": "stderr", "text": "FutureWarning: soon\n"}])
    with pytest.raises(OutputLeak) as info:
        _build(toy_project)
    assert str(info.value).startswith(
        "section 02_beta: cell 2 writes to stderr: `FutureWarning: soon`")
    assert "kept at _build/failed/02_beta.ipynb" in str(info.value)
    assert isinstance(info.value, BuildFailed)
    assert not (toy_project / "book" / "sections" / "02_beta.ipynb").exists()
