"""Provenance of a build: content hashes, git commit, package versions, build date.

Hashes come from :mod:`mcbi.hashing`: the package
code is hashed as a folder (``src/mcbi``, ``*.py`` only); the data package's one hash is
its content hash (:func:`mcbi.trial.content.content_hash`).
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import mcbi
from mcbi.trial.content import PACKAGE_FILES

#: The coreutils command that prints the data package's hash in the package's folder (the
#: PDF's reproducibility statement and book/reproducibility.md give it).
DATA_HASH_COMMAND = "sha256sum " + " ".join(PACKAGE_FILES) + " | sha256sum"


def code_dir(local: Path) -> Path:
    """Return the package source the notebooks import.

    ``local`` (``Layout.code``, the project's ``src/mcbi``) if it is a folder, else the
    installed package.
    """
    local = Path(local)
    return local if local.is_dir() else Path(mcbi.__file__).resolve().parent


def git_commit(root: Path) -> str:
    """Return the short commit of ``root`` with ``-dirty`` if tracked files changed.

    Follows ``git describe --dirty``: untracked files do not make the tree dirty.
    Returns ``"unknown"`` when ``root`` is not in a git work tree or git is missing.
    """
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def build_date() -> datetime:
    """Return the build date in UTC (``SOURCE_DATE_EPOCH`` wins when set)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def package_versions() -> dict[str, str]:
    """Return ``{distribution: version}`` of every installed distribution, sorted by name."""
    versions = {}
    for dist in importlib.metadata.distributions():
        name, version = _name_version(dist.read_text("METADATA") or dist.read_text("PKG-INFO"))
        if name and version:
            versions[name] = version
    return dict(sorted(versions.items(), key=lambda item: item[0].lower()))


def _name_version(text: str | None) -> tuple[str | None, str | None]:
    """``Name`` and ``Version`` of a core-metadata text, read from its header lines only
    (the email parser of ``importlib.metadata`` costs half a second for an environment)."""
    found: dict[str, str] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in found:
            found[key] = value.strip()
    return found.get("Name"), found.get("Version")


def python_version() -> str:
    """Return the running Python's version, e.g. ``"3.11.7"``."""
    return ".".join(str(part) for part in sys.version_info[:3])


@dataclass(frozen=True)
class BuildInfo:
    """What the footer of every page and the manifest state about a build."""

    version: str
    commit: str
    data_sha256: str
    date: str  # ISO 8601, UTC, e.g. 2026-01-31T12:00:00Z

    @classmethod
    def collect(cls, root: Path, data_sha256: str) -> BuildInfo:
        """Collect the build information of the project at ``root``."""
        date = build_date().strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls(mcbi.__version__, git_commit(root), data_sha256, date)

    def as_dict(self) -> dict[str, str]:
        """Return the fields as a plain dict."""
        return asdict(self)

    def footer_html(self) -> str:
        """Return the HTML provenance line shown under every page."""
        when = self.date.replace("T", " ").replace("Z", " UTC")
        return (
            '<p class="mcbi-provenance">'
            f"mcbi {self.version} · commit <code>{self.commit}</code> · "
            f"data package SHA-256 <code>{self.data_sha256}</code> · built {when}"
            "</p>"
        )
