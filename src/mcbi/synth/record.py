"""Whether a data package is the generator's synthetic output: established, not asserted.

A package counts as synthetic only when its ``datapackage.json`` carries mcbi's generator
record (``"generator": {"name": "mcbi", "version": ..., "seed": ..., "content_sha256":
...}``, written by :func:`mcbi.synth.simulate.write_package`) **and** regenerating the
package from that record's seed (:func:`mcbi.synth.simulate.package_files`, the same
writer, in memory) reproduces the content hash of its four CSV files. Anything else is
real data: a ``"synthetic": true`` flag, a shipped descriptor copied next to other CSV
files, a record whose seed does not reproduce the files (including a package written by
a version of mcbi whose generator differs).

Regeneration costs about a second; it is cached per seed within a process.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from mcbi.errors import DataError
from mcbi.synth.simulate import package_files
from mcbi.trial import design
from mcbi.trial.content import content_hash, hash_files
from mcbi.trial.descriptor import read_descriptor

__all__ = ["content_hash", "data_note", "generator_record", "is_synthetic", "verdict",
           "regenerated_hash"]

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def generator_record(path: str | Path) -> dict[str, Any] | None:
    """The package's generator record if it names mcbi and a seed, else None.

    Parameters
    ----------
    path : str or Path
        The package folder.
    """
    try:
        record = read_descriptor(path).get("generator")
    except DataError:
        return None
    if not isinstance(record, dict) or record.get("name") != "mcbi":
        return None
    seed = record.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        return None
    return record


@lru_cache(maxsize=8)
def regenerated_hash(seed: int) -> str:
    """Content hash of the package that :func:`mcbi.synth.simulate.write_package` writes
    for ``seed`` (computed in memory, cached per seed).

    Parameters
    ----------
    seed : int
        Non-negative seed of the generator.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return hash_files(package_files(seed))


def is_synthetic(path: str | Path) -> bool:
    """True only when the package is what mcbi's generator writes for its recorded seed.

    Parameters
    ----------
    path : str or Path
        The package folder.

    Returns
    -------
    bool
        True when the descriptor carries mcbi's generator record and regenerating from
        its seed reproduces the content hash of the four CSV files; False otherwise
        (real data), also when the descriptor or a file cannot be read.
    """
    record = generator_record(path)
    if record is None:
        return False
    try:
        actual = content_hash(path)
    except DataError:
        return False
    recorded = record.get("content_sha256")
    if recorded is not None and recorded != actual:
        return False  # the files are not those the record was written with
    return regenerated_hash(record["seed"]) == actual


def _package_name(path: str | Path) -> str:
    try:
        name = read_descriptor(path).get("name")
    except DataError:
        name = None
    if isinstance(name, str) and _SAFE_NAME.fullmatch(name):
        return name
    return design.PACKAGE_NAME


def data_note(path: str | Path, synthetic: str | bool = "auto") -> str:
    """One sentence telling the reader where the results on a page come from.

    Parameters
    ----------
    path : str or Path
        The package folder.
    synthetic : {"auto", "yes", "no"} or bool
        Whether the package is the generator's synthetic output, as decided once by the
        build (``"yes"``/``"no"`` or a bool); ``"auto"`` decides here (:func:`is_synthetic`,
        which regenerates the package: about a second).

    Returns
    -------
    str
        For a synthetic package (:func:`is_synthetic`): that the results come from
        synthetic data, with the seed. Otherwise a neutral note naming the package and the
        first 12 hex digits of its content hash. Never a filesystem path.
    """
    if verdict(path, synthetic):
        seed = generator_record(path)["seed"]  # type: ignore[index]
        return ("These results come from synthetic data generated with the trial's design "
                f"by this project's documented, seeded process (seed {seed}; see the appendix); "
                "they are not the trial's results. The same code runs unchanged on the "
                "trial's data supplied in the same schema.")
    try:
        digest = content_hash(path)[:12]
    except DataError:
        digest = "unavailable"
    return (f"These results come from the data package '{_package_name(path)}' "
            f"(content SHA-256 {digest}).")


def verdict(path: str | Path, synthetic: str | bool) -> bool:
    """The synthetic verdict: given (a bool, ``"yes"`` or ``"no"``) or decided (``"auto"``).

    A given ``True`` still needs the generator record (for the seed the note names).
    """
    if synthetic == "auto":
        return is_synthetic(path)
    if isinstance(synthetic, bool) or synthetic in ("yes", "no"):
        given = synthetic is True or synthetic == "yes"
        return given and generator_record(path) is not None
    raise ValueError(f"synthetic must be 'auto', 'yes', 'no' or a bool, got {synthetic!r}")
