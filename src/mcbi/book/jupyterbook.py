"""Run ``jupyter-book build`` aside and swap the result into the html folder.

The book is built into a staging folder with a derived configuration (the project's
``_config.yml`` plus the provenance footer), warnings are errors (``-W -n --keep-going``),
and only a clean build replaces the html folder (``Layout.html``): the old folder is renamed
aside, the new one renamed in, the old one deleted. A failed build leaves it untouched.
The paths come from the caller (:class:`mcbi.book.layout.Layout`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from mcbi.book.layout import JB_HTML_DIR
from mcbi.book.provenance import BuildInfo
from mcbi.errors import BuildFailed

JB_FLAGS = ["-W", "-n", "--keep-going"]
_JB_MAIN = "from jupyter_book.cli.main import main; main()"


class BookFailed(BuildFailed):
    """jupyter-book failed or warned; ``str()`` lists the first problems and the log."""


REPOSITORY_ENV = "MCBI_REPOSITORY_URL"
"""Environment variable that sets (or overrides) ``repository.url`` of the config."""
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")
LAUNCH_URLS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url")


def repository_settings(config: dict, environ: dict[str, str] | None = None) -> dict:
    """Return ``config`` with its repository and launch buttons set for its repository URL.

    The URL is ``$MCBI_REPOSITORY_URL`` when set, else ``repository.url``. Without one, the
    repository, issues and edit buttons are switched off and every launch service is
    emptied (Jupyter Book would otherwise point them at its own placeholder repository).
    """
    environ = os.environ if environ is None else environ
    repository = dict(config.get("repository") or {})
    url = (environ.get(REPOSITORY_ENV) or repository.get("url") or "").strip()
    repository["url"] = url
    config = {**config, "repository": repository}
    if url:
        return config
    config["html"] = {**(config.get("html") or {}), **dict.fromkeys(REPOSITORY_BUTTONS, False)}
    launch = dict(config.get("launch_buttons") or {})
    launch.update({**dict.fromkeys(LAUNCH_URLS, ""), "thebe": False})
    config["launch_buttons"] = launch
    return config


def derived_config(source: Path, info: BuildInfo, dest: Path) -> Path:
    """Write the project's config file ``source`` with the provenance footer to ``dest``.

    Repository and launch buttons are kept only when a repository URL is configured
    (:func:`repository_settings`).
    """
    config = repository_settings(yaml.safe_load(Path(source).read_text("utf-8")) or {})
    html = config.setdefault("html", {})
    html["extra_footer"] = (html.get("extra_footer") or "") + info.footer_html()
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), "utf-8")
    return dest


def problems(log: str) -> list[str]:
    """Return the log lines that report a Sphinx warning or error."""
    keys = ("WARNING", "ERROR", "CRITICAL", "SEVERE", "Traceback")
    return [line for line in log.splitlines() if any(key in line for key in keys)]


def run_jupyter_book(root: Path, config: Path, out: Path, log_path: Path) -> Path:
    """Build the book of ``root`` into ``out``; return the html folder.

    The html is where jupyter-book itself writes with ``--path-output out``
    (``out/_build/html``, :data:`mcbi.book.layout.JB_HTML_DIR`).

    Raises
    ------
    BookFailed
        If jupyter-book exits non-zero or logs any warning.
    """
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-c", _JB_MAIN, "build", str(root), "--path-output", str(out),
           "--config", str(config), *JB_FLAGS]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text(log, "utf-8")
    found = problems(log)
    html = out / JB_HTML_DIR
    if proc.returncode != 0 or found or not (html / "index.html").exists():
        shown = "\n  ".join(found[:15]) or f"jupyter-book exited with code {proc.returncode}"
        more = f"\n  … and {len(found) - 15} more" if len(found) > 15 else ""
        raise BookFailed(f"jupyter-book reported problems:\n  {shown}{more}\nfull log: {log_path}")
    return html


def swap_in(new: Path, target: Path) -> None:
    """Replace the folder ``target`` by ``new`` (rename aside, rename in, delete old)."""
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    new.rename(target)
    if old.exists():
        shutil.rmtree(old)
