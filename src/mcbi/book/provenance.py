"""Provenance of a build: content hashes, git commit, package versions, build date.

The data package hash is defined so that it can be checked with coreutils alone::

    cd <data package folder>
    find . -type f ! -path '*/.*' -printf '%P\\n' | LC_ALL=C sort | xargs sha256sum | sha256sum

that is: every regular file below the folder (paths containing a component that starts
with ``.`` are skipped), ordered by the bytes of its POSIX relative path, listed as
``<sha256>  <path>`` lines (the ``sha256sum`` format), and the SHA-256 of that listing.
The same rule hashes the package code (``src/mcbi``, ``*.py`` only).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import mcbi

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    """Return the hex SHA-256 of a UTF-8 string."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def list_files(folder: Path, pattern: str = "*") -> list[str]:
    """Return the POSIX relative paths of the files below ``folder``, in hashing order.

    Paths with a component starting with ``.`` and ``__pycache__`` folders are skipped;
    the order is that of the UTF-8 bytes of the path (``LC_ALL=C sort``).
    """
    folder = Path(folder)
    names = []
    for path in folder.rglob(pattern):
        rel = path.relative_to(folder)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if path.is_file():
            names.append(rel.as_posix())
    return sorted(names, key=lambda name: name.encode("utf-8"))


def hash_tree(folder: Path, pattern: str = "*") -> tuple[str, dict[str, str]]:
    """Hash a folder: return the package hash and the per-file hashes.

    Parameters
    ----------
    folder : Path
        Folder to hash.
    pattern : str
        Glob pattern of the files to include (``"*.py"`` for code).

    Returns
    -------
    total : str
        SHA-256 of the ``sha256sum``-style listing (see the module docstring).
    files : dict
        Relative POSIX path -> SHA-256, in hashing order.

    Raises
    ------
    ValueError
        If ``folder`` is not a directory.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"not a folder: {folder}")
    files = {name: sha256_file(folder / name) for name in list_files(folder, pattern)}
    listing = "".join(f"{digest}  {name}\n" for name, digest in files.items())
    return sha256_text(listing), files


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
        name = dist.metadata["Name"]
        if name:
            versions[name] = dist.version
    return dict(sorted(versions.items(), key=lambda item: item[0].lower()))


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
