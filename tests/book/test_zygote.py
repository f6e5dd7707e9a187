"""Kernels forked from the build's zygote: they run notebooks like a fresh kernel does."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mcbi.book import zygote
from mcbi.book.execute import KERNEL_ENV, execute_notebook

PROBE = """import json, os, sys
preloaded = "pandas" in sys.modules
import pandas
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(),
                  "preloaded": preloaded, "value": int(pandas.Series([6]).iloc[0]) * 7,
                  "env": os.environ.get("MCBI_ZYGOTE_TEST", "")}))
"""


def _notebook(path: Path, cells: list[str]) -> Path:
    nb = {"cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {},
                     "execution_count": None, "outputs": [], "source": src}
                    for i, src in enumerate(cells)],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), "utf-8")
    return path


def _probe(tmp_path: Path, name: str) -> dict:
    source = _notebook(tmp_path / f"{name}.ipynb", [PROBE])
    out = tmp_path / f"{name}.out.ipynb"
    execute_notebook(source, out, {}, cwd=tmp_path, log=tmp_path / f"{name}.log")
    cells = json.loads(out.read_text("utf-8"))["cells"]
    return json.loads("".join(cells[0]["outputs"][0]["text"]))


def test_notebook_imports_reads_import_statements_and_skips_magics(tmp_path):
    nb = _notebook(tmp_path / "a.ipynb", [
        "import numpy as np\nfrom pandas import DataFrame\nfrom . import local",
        "%matplotlib inline", "def f():\n    import scipy.stats\n"])
    assert zygote.notebook_imports([nb, tmp_path / "missing.ipynb"]) == [
        "numpy", "pandas", "pandas.DataFrame", "scipy.stats"]


@pytest.mark.parametrize(("cmd", "expected"), [
    (["py", "-m", "ipykernel_launcher", "-f", "c.json"], ["-f", "c.json"]),
    (["py", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "c.json"],
     ["-f", "c.json"]),
    (["py", "-u", "-m", "ipykernel_launcher", "-f", "c.json"], None),
    (["R", "--slave", "-e", "IRkernel::main()"], None),
])
def test_launcher_arguments_accepts_only_an_ipykernel_command(cmd, expected):
    assert zygote.launcher_arguments(cmd) == expected


def test_kernels_are_forked_from_the_zygote_and_run_like_fresh_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("MCBI_ZYGOTE_TEST", "seen")
    fresh = _probe(tmp_path, "fresh")
    assert fresh["ppid"] == os.getpid() and not fresh["preloaded"]
    seed = _notebook(tmp_path / "seed.ipynb", ["import pandas"])
    with zygote.running(tmp_path, [seed], log=tmp_path / "zygote.log",
                        env=KERNEL_ENV) as address:
        assert address is not None and os.environ[zygote.ADDRESS_ENV] == address
        first, second = _probe(tmp_path, "one"), _probe(tmp_path, "two")
        server = Path(address)
        assert server.exists()
    for forked in (first, second):
        assert forked["ppid"] != os.getpid()  # a child of the zygote, not of this process
        assert forked["preloaded"]  # pandas came with the fork
        assert forked["value"] == 42 and forked["env"] == "seen"
        assert Path(forked["cwd"]).resolve() == tmp_path.resolve()
    assert first["pid"] != second["pid"] and first["ppid"] == second["ppid"]
    assert zygote.ADDRESS_ENV not in os.environ
    assert not server.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(first["ppid"], 0)  # the zygote exited with the block
    log = (tmp_path / "zygote.log").read_text("utf-8", errors="replace")
    assert "not forking" not in log


def test_without_a_reachable_zygote_the_kernel_starts_the_usual_way(tmp_path, monkeypatch):
    monkeypatch.setenv(zygote.ADDRESS_ENV, str(tmp_path / "no-such-socket"))
    probe = _probe(tmp_path, "fallback")
    assert probe["ppid"] == os.getpid() and probe["value"] == 42
