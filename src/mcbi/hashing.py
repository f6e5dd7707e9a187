"""SHA-256 of files, texts, listings and folders: the project's one way of hashing.

A folder is hashed so that coreutils alone can check it::

    cd <folder>
    find . -type f ! -path '*/.*' -printf '%P\\n' | LC_ALL=C sort | xargs sha256sum | sha256sum

that is: every regular file below the folder (paths with a component that starts with
``.`` and ``__pycache__`` folders are skipped), ordered by the bytes of its POSIX relative
path, listed as ``<sha256>  <path>`` lines (the ``sha256sum`` format), and the SHA-256 of
that listing (:func:`sha256_listing`). A set of named contents (the data package's four
CSV files, an archive's members) is hashed by the same listing in a given order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["hash_parts", "hash_tree", "list_files", "listing", "sha256_bytes", "sha256_file",
           "sha256_listing", "sha256_text"]

_CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    """The hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    """The hex SHA-256 of a UTF-8 string."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def listing(digests: Iterable[tuple[str, str]]) -> str:
    """The ``sha256sum``-format listing of ``(name, hex digest)`` pairs, in the given order."""
    return "".join(f"{digest}  {name}\n" for name, digest in digests)


def sha256_listing(digests: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """The SHA-256 of :func:`listing` (what ``sha256sum FILES | sha256sum`` prints)."""
    pairs = digests.items() if isinstance(digests, Mapping) else digests
    return sha256_text(listing(pairs))


def list_files(folder: str | Path, pattern: str = "*") -> list[str]:
    """The POSIX relative paths of the files below ``folder``, in hashing order.

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


def hash_tree(folder: str | Path, pattern: str = "*") -> tuple[str, dict[str, str]]:
    """Hash a folder: the folder's hash (see the module docstring) and the per-file hashes.

    Parameters
    ----------
    folder : str or Path
        Folder to hash.
    pattern : str
        Glob pattern of the files to include (``"*.py"`` for code).

    Returns
    -------
    total : str
        SHA-256 of the ``sha256sum``-style listing.
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
    return sha256_listing(files), files


def hash_parts(root: str | Path, parts: Iterable[str], pattern: str = "*.py") -> str:
    """Hash named files and folders under ``root`` (a version of some code).

    Each part (a POSIX path relative to ``root``) is a file, hashed by its bytes, or a
    folder, hashed by :func:`hash_tree` over the files matching ``pattern``; parts that do
    not exist are left out. Returns the SHA-256 of the listing of ``(part, hash)`` in the
    given order (:func:`sha256_listing`).
    """
    root = Path(root)
    pairs = []
    for part in parts:
        path = root / part
        if path.is_file():
            pairs.append((part, sha256_file(path)))
        elif path.is_dir():
            pairs.append((part, hash_tree(path, pattern)[0]))
    return sha256_listing(pairs)
