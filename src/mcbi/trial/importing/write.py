"""Write the imported package aside, validate it, then swap it in.

The four CSV files are written exactly as the package's own writer writes them (comma
separated, ``\\n`` line ends, UTF-8 without BOM, empty cells for missing values, whole
numbers without decimals), so the same data give the same content hash
(:func:`mcbi.trial.data.content_hash`). The descriptor is the canonical one without a
generator record: an imported package is never called synthetic. Nothing is
half-written: the package is written to a temporary folder next to the output folder,
validated with the project's validation, and only then moved into place.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from mcbi.errors import UserError
from mcbi.trial import design
from mcbi.trial.content import PACKAGE_FILES
from mcbi.trial.importing.problems import ImportProblem, raise_if
from mcbi.trial.schema import DESCRIPTOR_FILE, package_descriptor
from mcbi.trial.validate import validate_package

FILE_OF = {"therapists": design.THERAPISTS_FILE, "patients": design.PATIENTS_FILE,
           "therapist_responses": design.THERAPIST_RESPONSES_FILE,
           "patient_responses": design.PATIENT_RESPONSES_FILE}


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as the package's CSV bytes (the generator's formatting)."""
    return frame.to_csv(index=False, lineterminator="\n", na_rep="").encode("utf-8")


def descriptor(package: dict[str, str], sources: list[str]) -> dict:
    """The canonical descriptor with the mapping's metadata and the source files named."""
    desc = package_descriptor()
    for k in ("name", "title"):
        if package.get(k):
            desc[k] = package[k]
    note = (f" Imported with `python -m mcbi import` from {', '.join(sources)}."
            if sources else "")
    desc["description"] = (package.get("description") or desc["description"]) + note
    return desc


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} is a file, not a folder; choose a folder for the package")
    if not out.is_dir():
        return
    others = sorted(p.name for p in out.iterdir()
                    if p.name not in (*PACKAGE_FILES, DESCRIPTOR_FILE))
    if others:
        raise UserError(f"{out} holds other files than a data package ({', '.join(others[:5])}"
                        "); choose an empty or new folder (an earlier import into it is "
                        "replaced)")
    try:
        synthetic = json.loads((out / DESCRIPTOR_FILE).read_text("utf-8")).get("synthetic")
    except (OSError, ValueError, AttributeError):
        synthetic = False
    if synthetic is True:
        raise UserError(f"{out} holds the synthetic package; import into another folder, "
                        "e.g. data/real (ignored by git)")


def write_package(tables: dict[str, pd.DataFrame], out: str | Path,
                  package: dict[str, str] | None = None,
                  sources: list[str] | None = None) -> Path:
    """Write the four tables and the descriptor to ``out``, validated, all or nothing.

    Parameters
    ----------
    tables : dict
        Table name -> DataFrame in the canonical layout.
    out : str or Path
        The package folder; created, or replaced if it holds only an earlier package.
    package : dict, optional
        Metadata (name, title, description) for the descriptor.
    sources : list of str, optional
        The source files' names, recorded in the description.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    mcbi.errors.UserError
        If ``out`` is a file, holds other files, or holds the synthetic package.
    ImportRefused
        If the written package does not validate (nothing is moved into ``out``).
    """
    out = Path(out)
    _check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out.parent))
    try:
        for name, frame in tables.items():
            (tmp / FILE_OF[name]).write_bytes(csv_bytes(frame))
        (tmp / DESCRIPTOR_FILE).write_text(
            json.dumps(descriptor(package or {}, sources or []), indent=2,
                       ensure_ascii=False) + "\n", encoding="utf-8")
        report = validate_package(tmp)
        raise_if([ImportProblem(p.file, f"column '{p.column}'" if p.column else "",
                                p.rule, p.detail, p.rows) for p in report.problems],
                 "the imported package does not validate")
        _swap(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _swap(tmp: Path, out: Path) -> None:
    """Move ``tmp`` to ``out``; an earlier package there is removed only afterwards."""
    if not out.exists():
        tmp.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    out.rename(old)
    try:
        tmp.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
