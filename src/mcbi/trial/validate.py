"""Validate a data package against the trial's canonical Table Schemas (with frictionless).

The package's ``datapackage.json`` is read (:func:`mcbi.trial.descriptor.read_descriptor`)
and compared with the canonical descriptor (:func:`mcbi.trial.descriptor.check_descriptor`):
it may add metadata but not contradict the canonical file names, dialect, types,
constraints or keys. Then frictionless checks the four CSV files, under their canonical
names in the package folder, against the canonical schemas
(:func:`mcbi.trial.schema.package_descriptor`), never against the supplied ones: types,
ranges, allowed labels, primary and foreign keys, encoding, header. Nothing is fetched
from the network: frictionless sees only the canonical descriptor, whose resources are
local file names. Errors are grouped into one line per file, column and rule, with the
first few row numbers.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from mcbi.errors import DataError
from mcbi.trial.descriptor import DescriptorError, check_descriptor, read_descriptor
from mcbi.trial.schema import DESCRIPTOR_FILE, package_descriptor

MAX_ROWS_SHOWN = 5

_RULES = {
    "type-error": "type",
    "constraint-error": "constraint",
    "primary-key": "unique primary key",
    "foreign-key": "foreign key",
    "missing-label": "required column",
    "incorrect-label": "column name",
    "duplicate-label": "unique column names",
    "blank-label": "column name",
    "extra-label": "known columns",
    "unmatched-header": "header matches the schema",
    "table-dimensions": "at least one data row",
    "encoding-error": "UTF-8 text",
    "scheme-error": "file exists",
    "source-error": "readable CSV with content",
    "format-error": "CSV format",
    "extra-cell": "same number of cells as columns",
    "missing-cell": "same number of cells as columns",
    "blank-row": "no blank rows",
}
_FATAL = {"scheme-error", "source-error", "encoding-error", "table-dimensions",
          "unmatched-header", "format-error"}


@dataclass
class Problem:
    """One broken rule in one file and column, with the rows where it happens."""

    file: str
    column: str
    rule: str
    detail: str
    rows: list[int] = field(default_factory=list)

    def line(self) -> str:
        """Return the one-line description of the problem."""
        return problem_line(self.file, f"column '{self.column}'" if self.column else "",
                            self.rule, self.detail, self.rows)


def problem_line(file: str, place: str, rule: str, detail: str, rows: list[int]) -> str:
    """``"<file>, <place>: rule '<rule>' broken (rows 2, 3 and 4 more): <detail>"``: the one
    form of a problem line, for validation and import alike."""
    where = f"{file}, {place}" if place else file
    shown = ""
    if rows:
        listed = ", ".join(str(r) for r in rows[:MAX_ROWS_SHOWN])
        more = f" and {len(rows) - MAX_ROWS_SHOWN} more" if len(rows) > MAX_ROWS_SHOWN else ""
        shown = f" (rows {listed}{more})"
    return f"{where}: rule '{rule}' broken{shown}: {detail}"


@dataclass
class ValidationReport:
    """Outcome of :func:`validate_package`."""

    path: Path
    problems: list[Problem]

    @property
    def valid(self) -> bool:
        """True when no rule is broken."""
        return not self.problems

    def message(self) -> str:
        """Human-readable summary: one line per problem."""
        if self.valid:
            return f"{self.path}: valid data package"
        head = f"{self.path}: invalid data package ({len(self.problems)} problem(s))"
        return "\n".join([head] + [f"- {p.line()}" for p in self.problems])


class DataValidationError(DataError, ValueError):
    """Raised by :func:`require_valid` with the report's message.

    A :class:`mcbi.errors.DataError` (the command line prints it without a traceback) and
    a :class:`ValueError`.
    """

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.message())
        self.report = report


def _check_descriptor(path: Path) -> tuple[bool, list[Problem]]:
    """Read and check ``datapackage.json``; return (CSV files can be checked, problems)."""
    if not path.is_dir():
        return False, [Problem(str(path), "", "folder exists", "no such folder")]
    try:
        descriptor = read_descriptor(path)
    except DescriptorError as exc:
        return False, [Problem(DESCRIPTOR_FILE, "", exc.rule, exc.detail)]
    conflicts = check_descriptor(descriptor)
    problems = [Problem(DESCRIPTOR_FILE, c.column, c.rule, c.detail) for c in conflicts]
    return not any(c.blocking for c in conflicts), problems


def _key_columns(resource: dict, error_type: str) -> str:
    schema = resource.get("schema", {})
    if error_type == "primary-key":
        key = schema.get("primaryKey", [])
        return ", ".join([key] if isinstance(key, str) else key)
    if error_type == "foreign-key":
        cols = [c for fk in schema.get("foreignKeys", []) for c in (
            [fk["fields"]] if isinstance(fk["fields"], str) else fk["fields"])]
        return ", ".join(cols)
    return ""


def _detail(error, resource: dict, first_line: str) -> str:
    note = error.note or error.message
    if error.type == "unmatched-header" and (";" in first_line or "\t" in first_line):
        return note + " (wrong delimiter? the schema expects ',')"
    cell = getattr(error, "cell", None)
    if error.type in ("type-error", "constraint-error") and cell is not None:
        return f'value "{cell}": {note}'
    if error.type == "extra-label":
        return (f"{note}; the package holds only the schema's columns: delete the column "
                "from the file, or run `python -m mcbi import` with a mapping that lists "
                "it under 'drop'")
    if error.type == "table-dimensions":
        return "the file has a header but no data rows" if first_line else "the file is empty"
    return note


def validate_package(path: str | Path) -> ValidationReport:
    """Validate the data package in folder ``path``.

    Parameters
    ----------
    path : str or Path
        Folder holding ``datapackage.json`` and the four CSV files under their canonical
        names (:data:`mcbi.trial.content.PACKAGE_FILES`).

    Returns
    -------
    ValidationReport
        ``report.valid`` and ``report.message()`` tell the outcome; nothing is raised
        for bad data.
    """
    path = Path(path)
    readable, problems = _check_descriptor(path)
    if not readable:
        return ValidationReport(path, problems)
    return ValidationReport(path, problems + _check_files(path))


def _check_files(path: Path) -> list[Problem]:
    """Check the CSV files (canonical names, in ``path``) against the canonical schemas."""
    from frictionless import Checklist, FrictionlessException, Package, checks

    canonical = package_descriptor()
    problems: list[Problem] = []
    try:
        package = Package(canonical, basepath=str(path))
        report = package.validate(
            checklist=Checklist(checks=[checks.table_dimensions(min_rows=1)]),
            limit_errors=500)
    except FrictionlessException as exc:  # pragma: no cover - the canonical one is valid
        return [Problem(DESCRIPTOR_FILE, "", "valid descriptor", exc.error.message)]
    resources = {r["name"]: r for r in canonical["resources"]}
    grouped: dict[tuple, Problem] = {}
    fatal_files: set[str] = set()
    for error in report.errors:
        problems.append(Problem(DESCRIPTOR_FILE, "", "valid descriptor", error.message))
    tasks = list(report.tasks)
    files = {t.name: resources.get(t.name, {}).get("path", t.name) for t in tasks}
    first_lines = {name: _first_line(path / file) for name, file in files.items()}
    delimiter_wrong = {name for name, line in first_lines.items()
                       if line and "," not in line and (";" in line or "\t" in line)}
    for task in tasks:
        if task.name in delimiter_wrong or any(e.type in _FATAL for e in task.errors):
            fatal_files.add(task.name)
    wrong = [files[t.name] for t in tasks if t.errors and t.name in delimiter_wrong]
    if wrong:
        problems.append(_delimiter_problem(wrong, [first_lines[t.name] for t in tasks
                                                   if files[t.name] in wrong]))
    for task in tasks:
        resource = resources.get(task.name, {})
        file, first_line = files[task.name], first_lines[task.name]
        if task.errors and task.name in delimiter_wrong:
            continue
        blank = {e.row_number for e in task.errors if e.type == "blank-row"}
        for error in task.errors:
            if error.type == "foreign-key" and _references_fatal(resource, fatal_files):
                continue
            if error.type != "blank-row" and getattr(error, "row_number", None) in blank:
                continue  # a blank row breaks the keys too: one line for one cause
            if _caused_elsewhere(error, path / file):
                continue
            if error.type == "missing-label" and any(
                    e.type == "unmatched-header" for e in task.errors):
                continue
            column = getattr(error, "field_name", None) or _key_columns(resource, error.type)
            rule = _RULES.get(error.type, error.type)
            if error.type == "error" and "unique labels" in error.message:
                rule, column = "unique column names", _duplicated(first_line)
            if error.type == "constraint-error":
                rule = f"constraint {error.note.split('constraint')[-1].strip()}".split(
                    " is ")[0]
            key = (file, column, rule)
            if key not in grouped:
                grouped[key] = Problem(file, column, rule, _detail(error, resource, first_line))
            row = getattr(error, "row_number", None)
            if row is not None:
                grouped[key].rows.append(int(row))
    problems.extend(grouped.values())
    return problems


def _delimiter_problem(files: list[str], first_lines: list[str]) -> Problem:
    """One problem for every file whose header is split by semicolons or tabs."""
    sep = "semicolons" if any(";" in line for line in first_lines) else "tabs"
    them = "them" if len(files) > 1 else "it"
    return Problem(
        ", ".join(files), "", "header matches the schema",
        f"the column delimiter is wrong: the columns are separated by {sep} (as "
        "spreadsheet programs save CSV in some locales) and the package's files use "
        f"commas: re-save {them} as CSV with commas, or run `python -m mcbi import` on "
        f"{them} with a mapping (it reads {sep}, decimal commas and Excel's encodings)")


def _caused_elsewhere(error, file: Path) -> bool:
    """True for a load error reported on a file whose own bytes are fine.

    frictionless reports a referenced (foreign-key) resource's load error on every
    resource that refers to it; the broken file gets its own error.
    """
    if error.type == "scheme-error":
        return file.is_file()
    if error.type == "encoding-error":
        try:
            file.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        return True
    return False


def _references_fatal(resource: dict, fatal: set[str]) -> bool:
    refs = {fk.get("reference", {}).get("resource")
            for fk in resource.get("schema", {}).get("foreignKeys", [])}
    return bool(refs & fatal)


def _duplicated(header_line: str) -> str:
    """Names that occur more than once in a CSV header line (to locate frictionless's error)."""
    names = next(csv.reader([header_line])) if header_line else []
    return ", ".join(dict.fromkeys(n for n in names if names.count(n) > 1))


def _first_line(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            return fh.readline().decode("utf-8", "replace").strip()
    except OSError:
        return ""


def require_valid(path: str | Path) -> None:
    """Raise :class:`DataValidationError` (a ``ValueError``) unless the package is valid."""
    report = validate_package(path)
    if not report.valid:
        raise DataValidationError(report)
