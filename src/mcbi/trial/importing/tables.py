"""Assemble the package's four tables from the sources, as a mapping says.

Each table's source file (and sheet) is read once, every mapped column is converted and
checked (:mod:`.convert`), wide tables are made long (:mod:`.reshape`), then the tables
are checked together: every source column is mapped or dropped, identifiers are unique,
every patient's therapist and every response's person exist.
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mcbi.trial import design
from mcbi.trial.importing.convert import convert_column
from mcbi.trial.importing.mapping import (
    PERSON_TABLES,
    TABLES,
    Mapping,
    TableSpec,
    canonical_fields,
    expand_wave,
)
from mcbi.trial.importing.problems import ImportProblem, column, key, raise_if
from mcbi.trial.importing.reshape import ROW, sort_rows, wide_to_long
from mcbi.trial.importing.sources import (
    SourceError,
    SourceTable,
    kind,
    read_csv,
    read_sav,
    read_xlsx,
)

PARENT = {"patients": "therapists", "therapist_responses": "therapists",
          "patient_responses": "patients"}
"""The table each table's identifier refers to (foreign keys)."""


@dataclass
class _Read:
    """The source tables read so far and the columns each table used."""

    tables: dict[tuple[str, str | None], SourceTable]
    used: dict[tuple[str, str | None], set[str]]
    drop: dict[tuple[str, str | None], list[str]]


def resolve_sources(mapping: Mapping, paths: list[Path]) -> tuple[dict[str, Path],
                                                                  list[ImportProblem]]:
    """Which given file each table reads (by file name, or the only file given)."""
    by_name = {p.name: p for p in paths}
    out, problems = {}, []
    for name, spec in mapping.tables.items():
        where = key(f"tables.{name}.source")
        if spec.source is None:
            if len(paths) == 1:
                out[name] = paths[0]
            else:
                problems.append(ImportProblem(mapping.path.name, where, "source named",
                                              "several files were given: name the one "
                                              f"this table comes from ({', '.join(by_name)})"))
        elif Path(spec.source).name in by_name:
            out[name] = by_name[Path(spec.source).name]
        else:
            problems.append(ImportProblem(mapping.path.name, where, "source given",
                                          f"'{spec.source}' is not among the files given "
                                          f"({', '.join(by_name) or 'none'}); add it to the "
                                          "command line"))
    return out, problems


def _read(path: Path, sheet: str | None, mapping: Mapping) -> SourceTable:
    what = kind(path)
    opts = mapping.sources.get(path.name, {})
    if what == "xlsx":
        return read_xlsx(path, sheet)
    if sheet is not None:
        raise SourceError(ImportProblem(path.name, "", "sheet named", f"'sheet: {sheet}' "
                                        "is given, but the file is not an Excel workbook"))
    if what == "sav":
        return read_sav(path)
    return read_csv(path, opts.get("delimiter"), opts.get("decimal"), opts.get("encoding"))


def _missing_columns(source: SourceTable,
                     wanted: dict[str, list[str]]) -> list[ImportProblem]:
    have = [str(c) for c in source.frame.columns]
    problems = []
    for where, cols in wanted.items():
        absent = [c for c in cols if c not in have]
        if not absent:
            continue
        lower = {c.lower(): c for c in have}
        hint = ([lower[absent[0].lower()]] if absent[0].lower() in lower
                else difflib.get_close_matches(absent[0], have, n=3))
        shown = ", ".join(absent[:5]) + (f" and {len(absent) - 5} more" if len(absent) > 5
                                         else "")
        problems.append(ImportProblem(
            source.name, key(where), "column exists",
            f"no column {shown} in the file" + (f" (did you mean {', '.join(hint)}?)"
                                                if hint else "") + "; correct the mapping"))
    return problems


def _table(source: SourceTable, spec: TableSpec, canon: list[dict],
           used: set[str]) -> tuple[pd.DataFrame, list[ImportProblem]]:
    """Convert one table; its frame keeps the source row numbers in :data:`ROW`."""
    by_name = {c["name"]: c for c in canon}
    id_field = spec.id_field
    person_cols = [f for f in spec.fields if spec.layout != "wide" or f == id_field]
    wave_cols = [f for f in spec.fields if f not in person_cols]
    wanted: dict[str, list[str]] = {}
    for f in person_cols:
        if spec.fields[f].column is not None:
            wanted.setdefault(spec.fields[f].key, []).append(spec.fields[f].column)
    for f in wave_cols:
        if spec.fields[f].column is not None:
            wanted.setdefault(spec.fields[f].key, []).extend(
                expand_wave(spec.fields[f].column, s) for s in spec.waves.values())
    problems = _missing_columns(source, wanted)
    if problems:
        return pd.DataFrame(), problems
    for cols in wanted.values():
        used.update(cols)
    rows = source.row_numbers()
    n = len(source.frame)

    def convert(f: str, col: str | None) -> pd.Series:
        if col is None:
            dtype = "Int64" if by_name[f]["type"] == "integer" else "string"
            return pd.Series([pd.NA] * n, dtype=dtype, name=f)
        values, found = convert_column(source, col, spec.fields[f], by_name[f])
        problems.extend(found)
        return values

    plain = {f: convert(f, spec.fields[f].column) for f in person_cols}
    if spec.layout != "wide":
        frame = pd.DataFrame(plain)
        frame[ROW] = rows
    else:
        columns = {(f, w): convert(f, None if spec.fields[f].column is None else
                                   expand_wave(spec.fields[f].column, s))
                   for f in wave_cols for w, s in spec.waves.items()}
        frame = wide_to_long(plain[id_field], rows, columns, list(spec.waves), id_field,
                             wave_cols)
    order = [c["name"] for c in canon]
    return frame[[*order, ROW]], problems


def _duplicates(frame: pd.DataFrame, keys: list[str], name: str,
                col: str) -> list[ImportProblem]:
    dup = frame[frame.duplicated(keys, keep=False) & frame[keys].notna().all(axis=1)]
    if dup.empty:
        return []
    shown = ", ".join(dict.fromkeys(" ".join(map(str, r)) for r in dup[keys].to_numpy()))
    what = "person" if len(keys) == 1 else "person and wave"
    return [ImportProblem(name, column(col), "unique identifiers",
                          f"{shown} occur more than once" + (
                              " with different values" if len(keys) == 1 else "") +
                          f"; there is one row per {what}",
                          list(dup[ROW]))]


def build_tables(mapping: Mapping, paths: list[Path]) -> dict[str, pd.DataFrame]:
    """Read the sources and build the package's four tables.

    Parameters
    ----------
    mapping : Mapping
        A checked mapping (:func:`mcbi.trial.importing.mapping.load_mapping`).
    paths : list of Path
        The source files given on the command line.

    Returns
    -------
    dict
        Table name -> DataFrame with the canonical columns, in the canonical order,
        rows ordered by identifier (and wave).

    Raises
    ------
    ImportRefused
        Listing every problem found in the sources.
    """
    files, problems = resolve_sources(mapping, paths)
    raise_if(problems)
    read = _Read({}, {}, {})
    canon = canonical_fields()
    frames, names = {}, {}
    for name in TABLES:
        spec = mapping.tables[name]
        src = (files[name].name, spec.sheet)
        if src not in read.tables:
            try:
                read.tables[src] = _read(files[name], spec.sheet, mapping)
            except SourceError as exc:
                problems.append(exc.problem)
                read.tables[src] = None  # type: ignore[assignment]
        source = read.tables[src]
        if source is None:
            continue
        read.drop.setdefault(src, []).extend(spec.drop)
        frame, found = _table(source, spec, canon[name], read.used.setdefault(src, set()))
        problems.extend(found)
        if any(p.rule == "column exists" for p in found):
            read.drop[src].append("*")  # the unmapped columns follow from that problem
        if not found:
            if name in PERSON_TABLES:  # rows repeating a person's values are one person
                frame = frame.drop_duplicates(subset=[c["name"] for c in canon[name]])
            frames[name], names[name] = frame, source.name
    problems.extend(_unmapped(read))
    raise_if(problems)
    broken: set[str] = set()
    for name, frame in frames.items():
        spec = mapping.tables[name]
        keys = [spec.id_field] + ([] if name in PERSON_TABLES else [design.WAVE])
        person = {"therapist_responses": "therapists", "patient_responses": "patients"}
        if person.get(name) in broken and mapping.tables[person[name]].source == spec.source:
            continue  # the same rows of the same file: reported once, for the person table
        found = _duplicates(frame, keys, names[name], spec.fields[spec.id_field].column
                            or spec.id_field)
        if found:
            broken.add(name)
        problems.extend(found)
        parent = PARENT.get(name)
        if parent and parent not in broken:
            fk = design.THERAPIST_ID if parent == "therapists" else design.PATIENT_ID
            known = set(frames[parent][fk])
            orphan = frame[~frame[fk].isin(known)]
            if not orphan.empty:
                problems.append(ImportProblem(
                    names[name], column(mapping.tables[name].fields[fk].column or fk),
                    "known identifiers", f"{fk.replace('_', ' ')}s "
                    f"{', '.join(dict.fromkeys(map(str, orphan[fk])))} are not in the "
                    f"{parent} table ({names[parent]})", list(orphan[ROW])))
    raise_if(problems)
    return {name: sort_rows(frames[name].drop(columns=ROW), mapping.tables[name].id_field)
            for name in TABLES}


def _unmapped(read: _Read) -> list[ImportProblem]:
    """Source columns that no table maps and the mapping does not drop."""
    out = []
    for src, table in read.tables.items():
        if table is None:
            continue
        used, drop = read.used.get(src, set()), read.drop.get(src, [])
        left = [str(c) for c in table.frame.columns if str(c) not in used and not any(
            fnmatch.fnmatchcase(str(c), pattern) for pattern in drop)]
        if left:
            shown = ", ".join(left[:8]) + (f" and {len(left) - 8} more" if len(left) > 8
                                           else "")
            out.append(ImportProblem(
                table.name, "", "every column mapped or dropped",
                f"columns {shown} are neither mapped nor dropped: map them, or list them "
                "under 'drop' of a table that reads this file (wildcards allowed, e.g. "
                "'*_total')"))
    return out
