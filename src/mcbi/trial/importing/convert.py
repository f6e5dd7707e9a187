"""Convert one source column into one field of the package, checking every value.

Codes that mean missing become empty cells, code maps are applied, and the result is
checked against the canonical field (type, allowed values, range, required). Problems
name the source file, the source column, the rows and the rule, and list the offending
values, so that a data holder can find them in SPSS or Excel.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from mcbi.trial import design
from mcbi.trial.importing.mapping import FieldSpec
from mcbi.trial.importing.problems import ImportProblem, column
from mcbi.trial.importing.sources import SourceTable, code_key, number

MAX_VALUES_SHOWN = 5
_WHITESPACE = re.compile(r"\s")


def _values(bad: list[Any]) -> str:
    distinct = list(dict.fromkeys(str(v) for v in bad))
    shown = ", ".join(f'"{v}"' for v in distinct[:MAX_VALUES_SHOWN])
    more = len(distinct) - MAX_VALUES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


class _Collector:
    def __init__(self, source: SourceTable, col: str) -> None:
        self.source, self.col = source, col
        self.found: dict[tuple[str, str], tuple[list[int], list[Any]]] = {}

    def add(self, rule: str, what: str, row: int, value: Any) -> None:
        rows, values = self.found.setdefault((rule, what), ([], []))
        rows.append(row)
        values.append(value)

    def size(self) -> int:
        return sum(len(rows) for rows, _ in self.found.values())

    def problems(self) -> list[ImportProblem]:
        out = []
        for (rule, what), (rows, values) in self.found.items():
            detail = what.replace("{values}", _values(values))
            out.append(ImportProblem(self.source.name, column(self.col), rule, detail, rows))
        return out


def _identifier(value: Any, row: int, out: _Collector) -> str | None:
    if value is None:
        out.add("required", "an identifier is missing; every row needs one", row, value)
        return None
    num = number(value) if not isinstance(value, str) else None
    text = str(int(num)) if num is not None and num.is_integer() else str(value).strip()
    if _WHITESPACE.search(text):
        out.add("identifier without spaces", "identifiers {values} hold spaces; use codes "
                "without spaces (T01, TH-001)", row, text)
        return None
    return text


def _coded(value: Any, spec: FieldSpec, decimal: str, row: int, out: _Collector) -> Any:
    k = code_key(value, decimal)
    if k is None or k in spec.missing:
        return None
    if not spec.codes:
        return value
    if k in spec.codes:
        return spec.codes[k]
    known = ", ".join(f"{c} = {v}" for c, v in spec.codes.items())
    out.add("code map", "values {values} are not in the code map of " + f"'{spec.name}' "
            f"({known}); add them under 'codes' in the mapping (a code meaning "
            "'missing' goes under 'missing')", row, k)
    return None


def _typed(value: Any, canon: dict, decimal: str, row: int, out: _Collector) -> Any:
    if value is None:
        return None
    c = canon.get("constraints", {})
    if canon["type"] == "integer":
        num = number(value, decimal)
        if num is None or not num.is_integer():
            out.add("whole number", "values {values} are not whole numbers" +
                    f"; '{canon['name']}' holds whole numbers (a "
                "code meaning 'missing' goes under 'missing' in the mapping)", row, value)
            return None
        num = int(num)
        if "enum" in c and num not in c["enum"]:
            out.add("allowed values", "values {values} are not allowed; " + f"the allowed "
                    f"values are {', '.join(map(str, c['enum']))}", row, num)
            return None
        if num < c.get("minimum", num) or num > c.get("maximum", num):
            out.add("range", "values {values} are outside " + f"{c['minimum']} to "
                    f"{c['maximum']} (a code meaning 'missing' goes under 'missing', "
                    "another coding under 'codes')", row, num)
            return None
        return num
    text = value if isinstance(value, str) else code_key(value, decimal)
    if "enum" in c and text not in c["enum"]:
        out.add("allowed values", "values {values} are not allowed; " + f"'{canon['name']}'"
                f" takes {', '.join(c['enum'])}: map the source's codes to them under "
                "'codes' in the mapping", row, text)
        return None
    return text


def convert_column(source: SourceTable, col: str, spec: FieldSpec, canon: dict,
                   rows: list[int] | None = None,
                   values: pd.Series | None = None) -> tuple[pd.Series, list[ImportProblem]]:
    """Convert the source column ``col`` into the canonical field ``canon``.

    Parameters
    ----------
    source : SourceTable
        Where the column is.
    col : str
        The source column (a pattern already expanded).
    spec : FieldSpec
        The mapping's codes and missing codes of the field.
    canon : dict
        The canonical field (name, type, constraints).
    rows, values : optional
        Source row numbers and cells, when not the whole column of ``source``.

    Returns
    -------
    (Series, list of ImportProblem)
        The converted values (``Int64`` for integers, ``string`` otherwise; missing where
        empty, coded missing or refused) and the problems found.
    """
    cells = list(source.frame[col] if values is None else values)
    rows = source.row_numbers() if rows is None else rows
    out = _Collector(source, col)
    converted: list[Any] = []
    is_id = canon["name"] in (design.THERAPIST_ID, design.PATIENT_ID)
    required = canon.get("constraints", {}).get("required", False)
    for value, row in zip(cells, rows, strict=True):
        if is_id:
            converted.append(_identifier(value, row, out))
            continue
        before = out.size()
        coded = _coded(value, spec, source.decimal, row, out)
        typed = _typed(coded, canon, source.decimal, row, out)
        if typed is None and required and out.size() == before:
            out.add("required", f"'{canon['name']}' is missing; every row needs it", row,
                    value)
        converted.append(typed)
    dtype = "Int64" if canon["type"] == "integer" else "string"
    return pd.Series(converted, dtype=dtype, name=canon["name"]), out.problems()
