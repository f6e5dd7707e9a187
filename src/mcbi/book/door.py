"""Checks at the door: the data package is validated, hashed and judged once per command.

``build``, ``run`` and ``publish`` call :func:`check_data` before any kernel starts. It
validates the package with the validator the command line passes in (the book knows no
trial rules), names the folder exactly as the user typed it in every message, computes
the package's one content hash (:func:`mcbi.trial.content.content_hash`: the SHA-256 of the
``sha256sum`` listing of the four CSV files, recomputable with
``sha256sum therapists.csv patients.csv therapist_responses.csv patient_responses.csv |
sha256sum`` in the package folder) and decides once whether the package is the
generator's synthetic output. The notebooks then receive the hash and the verdict as
parameters and neither validate nor regenerate again.

Validating costs seconds, so a package already found valid is remembered in
``Layout.door`` under the hash of every file of the folder and of the package code: an
unchanged package is not validated twice, a changed file or changed code validates anew.
Only valid packages are remembered.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mcbi.book.layout import Layout
from mcbi.book.provenance import code_dir
from mcbi.errors import DataError
from mcbi.hashing import hash_tree
from mcbi.trial.content import content_hash

__all__ = ["CheckedData", "check_data"]

Validator = Callable[[Path], None]
"""Validates the package at the path it is given; raises ``DataError`` naming that path."""
Verdict = Callable[[Path], bool]
"""True when the package is the generator's synthetic output."""

_KEEP = 8
"""Packages remembered in ``Layout.door`` (the most recent ones)."""


@dataclass(frozen=True)
class CheckedData:
    """A data package that passed the door.

    Attributes
    ----------
    typed : str
        The folder as the user typed it (shown in messages).
    path : Path
        The folder, absolute.
    sha256 : str
        The package's content hash, the one hash every page, note and manifest shows.
    synthetic : bool
        Whether the package is the generator's synthetic output (decided once).
    """

    typed: str
    path: Path
    sha256: str
    synthetic: bool


def check_data(layout: Layout, typed: str | Path, validate: Validator,
               is_synthetic: Verdict) -> CheckedData:
    """Validate, hash and judge the data package ``typed`` (see the module docstring).

    Parameters
    ----------
    layout : Layout
        The project (where the remembered checks are kept).
    typed : str or Path
        The package folder as the user typed it, relative to the working directory or
        absolute.
    validate : callable
        Raises :class:`mcbi.errors.DataError` for an invalid package, naming the path it
        is given (the command line passes the trial's validation).
    is_synthetic : callable
        Decides whether the package is the generator's synthetic output.

    Raises
    ------
    DataError
        The folder does not exist, or the package is invalid; the message names the
        folder as typed.
    """
    shown = Path(typed).as_posix()
    folder = Path(typed).expanduser()
    folder = (folder if folder.is_absolute() else Path.cwd() / folder).resolve()
    if not folder.is_dir():
        raise DataError(f"data package folder not found: {shown} "
                        "(run `make data` or pass --data PATH)")
    tree, _ = hash_tree(folder)
    code, _ = hash_tree(code_dir(layout.code), "*.py")
    key = f"{tree}:{code}"
    remembered = _read(layout.door)
    if key in remembered:
        entry = remembered[key]
        return CheckedData(shown, folder, entry["sha256"], bool(entry["synthetic"]))
    validate(Path(typed))
    try:
        digest = content_hash(folder)
    except DataError as exc:
        raise DataError(f"{shown}: {exc}") from None
    checked = CheckedData(shown, folder, digest, bool(is_synthetic(folder)))
    remembered.pop(key, None)
    remembered[key] = {"sha256": digest, "synthetic": checked.synthetic}
    _write(layout.door, dict(list(remembered.items())[-_KEEP:]))
    return checked


def _read(path: Path) -> dict[str, dict]:
    try:
        value = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write(path: Path, value: dict) -> None:
    """Write ``value`` aside and swap it in (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=1, sort_keys=True)
    os.replace(tmp, path)
