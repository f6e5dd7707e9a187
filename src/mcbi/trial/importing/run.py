"""The import as one call: mapping, sources, tables, package."""

from __future__ import annotations

from pathlib import Path

from mcbi.trial.importing.mapping import load_mapping
from mcbi.trial.importing.tables import build_tables
from mcbi.trial.importing.write import write_package


def import_package(sources: list[str | Path], mapping: str | Path, out: str | Path) -> Path:
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
    Path
        ``out``.

    Raises
    ------
    ImportRefused
        (a :class:`mcbi.errors.DataError`) listing every problem of the mapping, the
        sources or the resulting package; nothing is written then.
    """
    paths = [Path(s) for s in sources]
    spec = load_mapping(mapping)
    tables = build_tables(spec, paths)
    return write_package(tables, out, spec.package, [p.name for p in paths])
