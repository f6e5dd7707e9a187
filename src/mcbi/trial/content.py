"""The data package's one content hash: the SHA-256 of the listing of its four CSV files.

Light on purpose (no pandas): the command line hashes a package at the door of every
build. The descriptor is not part of the hash: metadata may change, the data not.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mcbi.errors import DataError
from mcbi.hashing import sha256_bytes, sha256_listing
from mcbi.trial import design

__all__ = ["PACKAGE_FILES", "content_hash", "hash_files"]

PACKAGE_FILES: tuple[str, ...] = (design.THERAPISTS_FILE, design.PATIENTS_FILE,
                                  design.THERAPIST_RESPONSES_FILE,
                                  design.PATIENT_RESPONSES_FILE)
"""The package's CSV files, in canonical order."""


def hash_files(contents: Mapping[str, bytes]) -> str:
    """Content hash of the package's four CSV files given as ``{file name: bytes}``.

    SHA-256 of the ``sha256sum``-style manifest (``"<hex>  <name>\\n"`` per file, files in
    canonical order, :data:`PACKAGE_FILES`); in the package folder,
    ``sha256sum therapists.csv patients.csv therapist_responses.csv
    patient_responses.csv | sha256sum`` gives the same hex digest.

    Raises
    ------
    ValueError
        If one of the four files is not in ``contents``.
    """
    missing = [name for name in PACKAGE_FILES if name not in contents]
    if missing:
        raise ValueError(f"contents lacks {', '.join(missing)}")
    return sha256_listing((name, sha256_bytes(contents[name])) for name in PACKAGE_FILES)


def content_hash(path: str | Path = design.DEFAULT_DATA) -> str:
    """Content hash (SHA-256 hex) of the four CSV files of the package at ``path``.

    See :func:`hash_files`. The descriptor is not part of it: metadata may change, the
    data not.

    Raises
    ------
    mcbi.errors.DataError
        If one of the four files cannot be read.
    """
    contents = {}
    for name in PACKAGE_FILES:
        try:
            contents[name] = (Path(path) / name).read_bytes()
        except OSError as exc:
            raise DataError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    return hash_files(contents)
