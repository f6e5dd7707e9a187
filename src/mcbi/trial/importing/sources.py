"""Read a data holder's source files: SPSS ``.sav``, Excel ``.xlsx`` and CSV.

Every reader returns a :class:`SourceTable`: the cells as Python values (``None`` for an
empty or system-missing cell, ``str``, ``int`` or ``float``), the variable labels and value
labels where the format has them (SPSS), and how to number its rows in messages. SPSS
user-missing codes declared in the file are read as missing (``pyreadstat``'s default);
codes that are not declared there are listed in the mapping. CSV files are read as text:
encoding (BOM, UTF-8, else Windows-1252), delimiter (``,``, ``;``, tab or ``|``) and
decimal mark (a comma when the delimiter is not one and numbers are written ``2,5``) are
detected unless the mapping declares them.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mcbi.trial.importing.problems import ImportProblem

SAV_SUFFIXES = (".sav", ".zsav")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
DELIMITERS = (",", ";", "\t", "|")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


@dataclass
class SourceTable:
    """One table of a source file (a ``.sav`` file, a sheet, a CSV file).

    Attributes
    ----------
    name : str
        How messages name it: the file name, with ``[sheet]`` for a workbook.
    frame : DataFrame
        The cells, object dtype, one column per source column, in file order.
    first_row : int
        Row number of the first data row in messages: 2 for a sheet or CSV file (the header
        is row 1), 1 for SPSS (case numbers).
    decimal : str
        Decimal mark of numbers written as text.
    labels : dict
        Variable labels (SPSS), column -> label.
    value_labels : dict
        Value labels (SPSS), column -> {code: label}.
    missing_codes : dict
        User-missing codes declared in the file (SPSS), column -> list; already read as
        missing.
    """

    name: str
    frame: pd.DataFrame
    first_row: int = 2
    decimal: str = "."
    labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    missing_codes: dict[str, list[Any]] = field(default_factory=dict)

    def row_numbers(self) -> list[int]:
        """Row number of each data row, as the data holder sees it."""
        return list(range(self.first_row, self.first_row + len(self.frame)))


class SourceError(Exception):
    """A source cannot be read; ``problem`` says why."""

    def __init__(self, problem: ImportProblem) -> None:
        super().__init__(problem.line())
        self.problem = problem


def _fail(name: str, rule: str, detail: str) -> SourceError:
    return SourceError(ImportProblem(name, "", rule, detail))


def _cell(value: Any) -> Any:
    """A cell as None, str, int or float (NaN, NaT and blank text are None)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return int(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, int | float):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    return str(value)


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    values = [[_cell(v) for v in frame[c].tolist()] for c in frame.columns]
    return pd.DataFrame({str(c).strip(): pd.Series(v, dtype=object)
                         for c, v in zip(frame.columns, values, strict=True)},
                        columns=[str(c).strip() for c in frame.columns])


def kind(path: Path) -> str:
    """``"sav"``, ``"xlsx"`` or ``"csv"`` from the file's suffix ("" if unknown)."""
    suffix = path.suffix.lower()
    for name, suffixes in (("sav", SAV_SUFFIXES), ("xlsx", XLSX_SUFFIXES),
                           ("csv", CSV_SUFFIXES)):
        if suffix in suffixes:
            return name
    return ""


def _check_file(path: Path) -> None:
    if not path.exists():
        raise _fail(path.name, "file exists", f"there is no file {path}")
    if not path.is_file():
        raise _fail(path.name, "file exists", f"{path} is a folder, not a file")
    if not kind(path):
        raise _fail(path.name, "known file type",
                    f"'{path.suffix or path.name}' is not a type the importer reads: save "
                    "it as an SPSS .sav file, an Excel .xlsx workbook or a CSV file")


def read_sav(path: Path) -> SourceTable:
    """Read an SPSS file with its variable labels, value labels and user-missing codes."""
    import pyreadstat

    _check_file(path)
    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=False)
    except Exception as exc:  # pyreadstat raises its own exception types
        raise _fail(path.name, "readable SPSS file",
                    f"pyreadstat cannot read it ({exc}); open it in SPSS and save it "
                    "again as .sav") from None
    labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
    try:  # the declared codes are listed only when user-missing values are kept
        _, declared = pyreadstat.read_sav(str(path), metadataonly=True, user_missing=True)
    except Exception:  # pragma: no cover - the file was just read
        declared = meta
    missing = {}
    for col, ranges in (declared.missing_ranges or {}).items():
        codes = []
        for r in ranges:
            codes.extend([r["lo"]] if r["lo"] == r["hi"] else [r["lo"], r["hi"]])
        missing[col] = codes
    return SourceTable(path.name, _cells(frame), 1, ".", labels,
                       dict(meta.variable_value_labels or {}), missing)


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook, in order."""
    _check_file(path)
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            return [str(s) for s in book.sheet_names]
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _fail(path.name, "readable Excel workbook",
                    f"openpyxl cannot read it ({type(exc).__name__}: {exc}); open it in "
                    "Excel and save it again as .xlsx") from None


def read_xlsx(path: Path, sheet: str | None = None) -> SourceTable:
    """Read one sheet of a workbook (the only one when ``sheet`` is None)."""
    names = sheet_names(path)
    if sheet is None:
        if len(names) != 1:
            raise _fail(path.name, "sheet named",
                        f"the workbook has {len(names)} sheets ({', '.join(names)}); name "
                        "the one to read with 'sheet' in the mapping")
        sheet = names[0]
    if sheet not in names:
        raise _fail(f"{path.name} [{sheet}]", "sheet exists",
                    f"the workbook has no sheet '{sheet}'; its sheets are "
                    f"{', '.join(names)}")
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
    except Exception as exc:  # pragma: no cover - the workbook opened above
        raise _fail(f"{path.name} [{sheet}]", "readable sheet", str(exc)) from None
    frame = frame.dropna(how="all")
    unnamed = [str(c) for c in frame.columns if str(c).startswith("Unnamed:")]
    if unnamed:
        empty = [c for c in frame.columns if str(c) in unnamed and frame[c].isna().all()]
        frame = frame.drop(columns=empty)
    return SourceTable(f"{path.name} [{sheet}]", _cells(frame), 2)


def _decode(raw: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding:
        return raw.decode(encoding), encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw.decode("utf-8-sig"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="strict"), "cp1252"


def _delimiter(header: str) -> str:
    counts = {d: len(next(csv.reader([header], delimiter=d))) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))
    return best if counts[best] > 1 else ","


def read_csv(path: Path, delimiter: str | None = None, decimal: str | None = None,
             encoding: str | None = None) -> SourceTable:
    """Read a CSV file as text, detecting what is not declared."""
    _check_file(path)
    try:
        text, encoding = _decode(path.read_bytes(), encoding)
    except (OSError, LookupError, UnicodeDecodeError) as exc:
        raise _fail(path.name, "readable text file",
                    f"cannot decode it ({exc}); declare its encoding in the mapping "
                    "(sources: NAME: encoding: ...)") from None
    if not text.strip():
        raise _fail(path.name, "readable CSV with content", "the file is empty")
    delimiter = delimiter or _delimiter(text.splitlines()[0])
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str,
                            keep_default_na=False, skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError) as exc:
        raise _fail(path.name, "CSV format", f"{exc} (delimiter {delimiter!r})") from None
    cells = _cells(frame)
    if decimal is None:
        decimal = "," if delimiter != "," and any(
            isinstance(v, str) and _DECIMAL_COMMA.match(v)
            for v in cells.to_numpy().ravel()) else "."
    return SourceTable(path.name, cells, 2, decimal)


def number(value: Any, decimal: str = ".") -> float | None:
    """The number a cell holds (text with the decimal mark ``decimal``), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if not math.isnan(value) else None
    text = str(value).strip()
    if decimal != ".":
        if "." in text:
            return None
        text = text.replace(decimal, ".")
    try:
        out = float(text)
    except ValueError:
        return None
    return out if math.isfinite(out) else None


def code_key(value: Any, decimal: str = ".") -> str | None:
    """A cell or a mapping code as a comparable key: ``1``, ``1.0`` and ``"1"`` -> ``"1"``."""
    if value is None:
        return None
    num = number(value, decimal)
    if num is not None:
        return str(int(num)) if num.is_integer() else repr(num)
    return str(value).strip()
