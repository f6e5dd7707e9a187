"""Rebuild a published archive from its own code, data and lock file.

In the working folder: a fresh virtual environment is created with ``uv venv`` (the Python
version the manifest records when uv finds it on this machine, else the running one; uv
never downloads a Python), the archive's lock file is installed into it with ``uv pip
install -r source/requirements.txt`` (from the package registries through uv's cache;
nothing else is downloaded), then the archive's own source (``source/``, without its
dependencies), and its Jupyter kernel. The data package is copied to the place the
manifest names (``data/trial``), so that every section receives the parameters the
published build had, and the archive's own command line rebuilds the book in ``source/``:
``python -m mcbi build --data <path>``, with ``SOURCE_DATE_EPOCH`` set to the published
build date. Every command's output goes to ``rebuild.log`` in the working folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from mcbi.book.verify.archive import OpenedArchive, load_manifest
from mcbi.errors import BuildFailed, UserError

Progress = Callable[[str], None]
LOG_NAME = "rebuild.log"
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class RebuildFailed(BuildFailed):
    """The archive's book could not be rebuilt (exit code 1): its numbers are not reproduced."""


class EnvironmentFailed(UserError):
    """The archive's environment could not be created (uv missing, lock not installable)."""


@dataclass(frozen=True)
class Rebuilt:
    """A finished rebuild: its manifest and what it took."""

    manifest: dict[str, Any]
    project: Path
    log: Path
    python: str
    seconds: dict[str, float] = field(default_factory=dict)


def find_uv() -> Path:
    """Return the ``uv`` executable: beside this Python (``.venv/bin/uv``) or on the PATH.

    Raises
    ------
    EnvironmentFailed
        If there is none.
    """
    beside = Path(sys.executable).parent / "uv"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("uv")
    if found:
        return Path(found)
    raise EnvironmentFailed("uv is needed to recreate the archive's environment: install it "
                            "(`pip install uv`; `make install` puts it in .venv/bin)")


def data_argument(opened: OpenedArchive, project: Path) -> str:
    """Copy the data package where the published build had it; return ``--data``'s value.

    A project-relative path recorded in the manifest (``data/trial``) is recreated under
    ``project``; otherwise (the build read data outside its project) the package is passed
    by its absolute path, as the published build did.
    """
    recorded = str((opened.manifest.get("data") or {}).get("path") or "")
    rel = PurePosixPath(recorded)
    if not recorded or rel.is_absolute() or ".." in rel.parts or recorded.startswith("<"):
        return str(opened.data)
    target = project / rel
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(opened.data, target)
    return rel.as_posix()


def _environ(manifest: dict[str, Any]) -> dict[str, str]:
    """The rebuild's environment: no PYTHONPATH or active venv, one BLAS thread, the date."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CONDA_PREFIX")}
    for key, value in THREAD_ENV.items():
        env.setdefault(key, value)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    env["PYTHONNOUSERSITE"] = "1"
    stamp = str(manifest.get("build_date") or "")
    try:
        epoch = int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    except ValueError:
        pass
    return env


def _tail(text: str, lines: int = 15) -> str:
    return "\n  ".join(text.strip().splitlines()[-lines:])


class _Runner:
    """Runs commands with one environment, appending their output to the log."""

    def __init__(self, log: Path, env: dict[str, str]) -> None:
        self.log, self.env = log, env

    def __call__(self, cmd: Sequence[str | Path], cwd: Path | None = None,
                 echo: Progress | None = None) -> tuple[int, str]:
        args = [str(c) for c in cmd]
        with open(self.log, "a", encoding="utf-8") as log:
            log.write(f"$ {' '.join(args)}\n")
            log.flush()
            proc = subprocess.Popen(args, cwd=cwd, env=self.env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, errors="replace")
            lines = []
            for line in proc.stdout or ():
                lines.append(line)
                log.write(line)
                if echo is not None and line.startswith("["):
                    echo(f"  {line.rstrip()}")
            code = proc.wait()
            log.write(f"(exit {code})\n")
        return code, "".join(lines)


def create_environment(opened: OpenedArchive, venv: Path, run: _Runner,
                       extra_packages: Sequence[str] = ()) -> str:
    """Create ``venv`` from the archive's lock file and install its source; return Python.

    ``extra_packages`` (requirement strings, e.g. ``numpy==2.3.5``) are installed after
    the lock, replacing its pins: a second environment to test a rebuild against.

    Raises
    ------
    EnvironmentFailed
        If uv cannot create the environment or install the lock or the source.
    """
    uv = find_uv()
    wanted = str(opened.manifest.get("python") or "")
    code, out = run([uv, "venv", "--python", wanted, venv]) if wanted else (1, "")
    if code != 0:
        code, out = run([uv, "venv", "--python", sys.executable, venv])
    if code != 0:
        raise EnvironmentFailed(f"uv could not create a virtual environment:\n  {_tail(out)}")
    python = venv / "bin" / "python"
    steps = [[uv, "pip", "install", "--python", python, "-r", opened.lock]]
    if extra_packages:
        steps.append([uv, "pip", "install", "--python", python, *extra_packages])
    steps.append([uv, "pip", "install", "--python", python, "--no-deps",
                  "--no-build-isolation", opened.source])
    steps.append([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"])
    for step in steps:
        code, out = run(step)
        if code != 0:
            raise EnvironmentFailed(f"the archive's environment could not be created "
                                    f"(`{' '.join(str(s) for s in step[:4])} ...`):\n"
                                    f"  {_tail(out)}")
    code, out = run([python, "-c", "import platform; print(platform.python_version())"])
    return out.strip().splitlines()[-1] if code == 0 and out.strip() else "unknown"


def rebuild(opened: OpenedArchive, work: Path, *, jobs: int = 1,
            extra_packages: Sequence[str] = (), progress: Progress | None = None) -> Rebuilt:
    """Recreate the archive's environment in ``work`` and rebuild its book there.

    Parameters
    ----------
    opened : OpenedArchive
        The checked archive (:func:`mcbi.book.verify.archive.open_archive`).
    work : Path
        Working folder (the virtual environment goes to ``work/venv``).
    jobs : int
        Sections executed at the same time (``python -m mcbi build --jobs``).
    extra_packages : sequence of str
        Requirements installed over the lock (a second environment).
    progress : callable, optional
        Receives progress lines.

    Returns
    -------
    Rebuilt
        The rebuilt manifest, the project folder, the log and the seconds taken.

    Raises
    ------
    EnvironmentFailed
        The environment could not be created (a UserError).
    RebuildFailed
        The archive's build failed or wrote no manifest.
    """
    say = progress or (lambda line: None)
    work = Path(work)
    log = work / LOG_NAME
    run = _Runner(log, _environ(opened.manifest))
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    say(f"[verify] creating the archive's environment from {opened.lock.relative_to(opened.top)}"
        " with uv")
    python = create_environment(opened, work / "venv", run, extra_packages)
    seconds["environment"] = time.perf_counter() - start
    say(f"[verify] environment ready (Python {python}) in {seconds['environment']:.1f} s")
    project = opened.source
    data = data_argument(opened, project)
    start = time.perf_counter()
    say(f"[verify] rebuilding the book in the archive's source with --data {data}")
    code, out = run([work / "venv" / "bin" / "python", "-m", "mcbi", "build", "--data", data,
                     "--jobs", str(max(1, int(jobs)))], cwd=project, echo=say)
    seconds["build"] = time.perf_counter() - start
    manifest = project / "_build" / "manifest.json"
    if code != 0 or not manifest.is_file():
        raise RebuildFailed(f"the rebuild of {opened.name} failed (exit {code}), so its "
                            f"numbers could not be reproduced:\n  {_tail(out)}")
    say(f"[verify] rebuilt in {seconds['build']:.1f} s")
    return Rebuilt(load_manifest(manifest), project, log, python, seconds)
