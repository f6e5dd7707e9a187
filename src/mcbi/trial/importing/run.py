"""The import as one call: mapping, sources, tables, package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mcbi.trial.importing.mapping import load_mapping
from mcbi.trial.importing.tables import build_tables
from mcbi.trial.importing.write import write_package


@dataclass
class ImportSummary:
    """What was written: the folder and the rows of each table."""

    path: Path
    rows: dict[str, int]

    def describe(self) -> str:
        """E.g. ``63 therapists, 121 patients, 172 and 317 rows of responses``."""
        r = self.rows
        return (f"{r['therapists']} therapists, {r['patients']} patients, "
                f"{r['therapist_responses']} and {r['patient_responses']} rows of therapist "
                "and patient responses")


def import_package(sources: list[str | Path], mapping: str | Path,
                   out: str | Path) -> ImportSummary:
    """Import the source files into a validated package in ``out``.

    Parameters
    ----------
    sources : list of str or Path
        The data holder's files (``.sav``, ``.xlsx``, ``.csv``).
    mapping : str or Path
        The mapping file (format: ``docs/mapping.md``).
    out : str or Path
        The package folder to write.

    Returns
    -------
    ImportSummary
        The folder written and the number of rows of each table.

    Raises
    ------
    ImportRefused
        (a :class:`mcbi.errors.DataError`) listing every problem of the mapping, the
        sources or the resulting package; nothing is written then.
    """
    paths = [Path(s) for s in sources]
    spec = load_mapping(mapping)
    tables = build_tables(spec, paths)
    path = write_package(tables, out, spec.package, [p.name for p in paths])
    return ImportSummary(path, {name: len(frame) for name, frame in tables.items()})
