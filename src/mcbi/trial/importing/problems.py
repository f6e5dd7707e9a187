"""The importer's problems: each names the file, the column (or mapping key), rows and rule.

Every step collects its problems and the importer raises one :class:`ImportRefused`
listing all of them, grouped by file, place and rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mcbi.errors import DataError
from mcbi.trial.validate import problem_line

MAX_PROBLEMS_SHOWN = 40


@dataclass
class ImportProblem:
    """One broken rule.

    Attributes
    ----------
    file : str
        The source file (``name.xlsx [sheet]``), the mapping file or the output folder.
    place : str
        ``column 'x'`` of a source, ``key 'tables.x'`` of the mapping, or ``""``.
    rule : str
        The rule broken, e.g. ``"code map"``.
    detail : str
        What is wrong and, where possible, what to do.
    rows : list of int
        Source rows (spreadsheet row numbers, SPSS case numbers) where it happens.
    """

    file: str
    place: str
    rule: str
    detail: str
    rows: list[int] = field(default_factory=list)

    def line(self) -> str:
        """The one-line description of the problem (:func:`mcbi.trial.validate.problem_line`)."""
        return problem_line(self.file, self.place, self.rule, self.detail, self.rows)


def column(name: str) -> str:
    """The place of a source column."""
    return f"column '{name}'"


def key(path: str) -> str:
    """The place of a mapping key."""
    return f"key '{path}'"


class ImportRefused(DataError):
    """The import was refused; ``problems`` lists every reason (nothing was written)."""

    def __init__(self, problems: list[ImportProblem], what: str = "import refused") -> None:
        self.problems = merge(problems)
        lines = [f"- {p.line()}" for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        more = len(self.problems) - MAX_PROBLEMS_SHOWN
        if more > 0:
            lines.append(f"- and {more} more problem(s); correct these first")
        super().__init__("\n".join([f"{what} ({len(self.problems)} problem(s)):"] + lines))


def merge(problems: list[ImportProblem]) -> list[ImportProblem]:
    """One problem per (file, place, rule, detail), its rows pooled and sorted."""
    out: dict[tuple[str, str, str, str], ImportProblem] = {}
    for p in problems:
        k = (p.file, p.place, p.rule, p.detail)
        if k in out:
            out[k].rows.extend(p.rows)
        else:
            out[k] = ImportProblem(p.file, p.place, p.rule, p.detail, list(p.rows))
    for p in out.values():
        p.rows = sorted(set(p.rows))
    return list(out.values())


def raise_if(problems: list[ImportProblem], what: str = "import refused") -> None:
    """Raise :class:`ImportRefused` if there is any problem."""
    if problems:
        raise ImportRefused(problems, what)
