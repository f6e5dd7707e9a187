"""Record every reported number: glue it into the notebook and save it as name -> value.

Each executed section notebook creates one :class:`Results`, glues its numbers through it,
and calls :meth:`Results.save`, which writes ``<out_dir>/<section>.results.json``. The book
pipeline collects these files into ``_build/manifest.json``. A chapter that another one
reads also saves record tables (:meth:`Results.save_table`, read by :func:`read_table`):
chapter 4 reads the contrasts chapters 2 and 3 estimated instead of refitting them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd


class Results:
    """Collector of a section's reported results.

    Parameters
    ----------
    section : str
        Section name, e.g. ``"02_therapists"``.
    out_dir : str or Path
        Folder the results file is written to.
    """

    def __init__(self, section: str, out_dir: str | Path) -> None:
        self.section = section
        self.out_dir = Path(out_dir)
        self.values: dict[str, Any] = {}

    def _store(self, name: str, value: Any) -> None:
        if not name.isidentifier():
            raise ValueError(f"result name {name!r} must be a valid identifier")
        if name in self.values:
            raise ValueError(f"result {name!r} recorded twice in section {self.section}")
        self.values[name] = value

    def glue(self, name: str, value: float | int | None) -> float | None:
        """Glue a number (as a plain Python float) and record it; return the float."""
        number = None if value is None else float(value)
        if number is not None and not math.isfinite(number):
            number = None
        self._store(name, number)
        _myst_glue(name, number if number is not None else float("nan"))
        return number

    def glue_text(self, name: str, text: str) -> str:
        """Glue a preformatted string and record it."""
        text = str(text)
        self._store(name, text)
        _myst_glue(name, text)
        return text

    def glue_all(self, values: Mapping[str, Any]) -> None:
        """Glue and record every ``name -> value``: strings as text, the rest as numbers.

        ``values`` typically comes from the chapters' ``names`` modules.
        """
        for name, value in values.items():
            if isinstance(value, str):
                self.glue_text(name, value)
            else:
                self.glue(name, value)

    def save_table(self, name: str, frame: pd.DataFrame) -> Path:
        """Write a record table another chapter reads: ``<out_dir>/<section>.<name>.csv``.

        Floats are written at full precision, so the reader gets the same numbers.
        """
        if not name.isidentifier():
            raise ValueError(f"record name {name!r} must be a valid identifier")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{self.section}.{name}.csv"
        frame.to_csv(path, index=False, float_format="%.17g", lineterminator="\n")
        return path

    def save(self) -> Path:
        """Write ``<out_dir>/<section>.results.json`` and return its path."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{self.section}.results.json"
        path.write_text(json.dumps(self.values, indent=1, sort_keys=True) + "\n", "utf-8")
        return path


def read_table(folder: str | Path, section: str, name: str) -> pd.DataFrame:
    """Read the record table ``name`` that ``section`` wrote into ``folder``
    (:meth:`Results.save_table`).

    Raises
    ------
    FileNotFoundError
        Naming the file and how to make it.
    """
    path = Path(folder) / f"{section}.{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path.as_posix()} does not exist: this chapter reads what {section} wrote; "
            "build the book first (python -m mcbi build) or pass the folder of a run of "
            f"{section} as sections_dir")
    return pd.read_csv(path)


def _myst_glue(name: str, value: Any) -> None:
    try:
        from myst_nb import glue
    except ImportError:  # pragma: no cover - myst-nb is a pinned dependency
        return
    glue(name, value, display=False)
