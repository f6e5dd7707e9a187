"""Check an executed notebook for output a reader should not see: stderr and warnings.

A page of the book must not show a stray ``RuntimeWarning: …`` or a library's log line: a
warning that matters is shown by the notebook as an admonition. :func:`find_leaks` lists
every stderr stream output and every output text holding ``SomethingWarning:`` (or a bare
``Warning:``); :func:`check_outputs` turns the first one into :class:`OutputLeak`, a
:class:`mcbi.errors.BuildFailed` naming the section, the cell and the offending line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from mcbi.errors import BuildFailed

WARNING_TEXT = re.compile(r"\b\w*Warning:")
"""Output text that looks like a Python warning (``UserWarning:``, ``Warning:``)."""


class OutputLeak(BuildFailed):
    """An executed notebook shows stderr or warning text; ``str()`` names where."""


@dataclass(frozen=True)
class Leak:
    """One offending output.

    Attributes
    ----------
    cell : int
        Index of the code cell in the executed notebook's cells, counted from 0 without
        papermill's injected-parameters cell (so it matches the source notebook).
    kind : str
        ``"stderr"`` or ``"warning"``.
    line : str
        The first offending line of the output.
    """

    cell: int
    kind: str
    line: str


def _text(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _first_line(text: str, pattern: re.Pattern[str] | None = None) -> str:
    for line in text.splitlines():
        if line.strip() and (pattern is None or pattern.search(line)):
            return line.strip()
    return ""


def find_leaks(notebook: Path) -> list[Leak]:
    """Return every stderr output and every output text with warning text, in cell order.

    Parameters
    ----------
    notebook : Path
        An executed notebook (``.ipynb``).

    Examples
    --------
    A notebook whose only output is ``{"output_type": "stream", "name": "stderr", "text":
    "boom"}`` in its second cell gives ``[Leak(cell=1, kind='stderr', line='boom')]``.
    """
    cells = json.loads(Path(notebook).read_text("utf-8")).get("cells", [])
    leaks, index = [], 0
    for cell in cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []) or []:
            kind = output.get("output_type")
            if kind == "stream":
                text = _text(output.get("text"))
                if output.get("name") == "stderr":
                    leaks.append(Leak(index, "stderr", _first_line(text)))
                    continue
            elif kind in ("execute_result", "display_data"):
                text = _text((output.get("data") or {}).get("text/plain"))
            else:
                continue
            if WARNING_TEXT.search(text):
                leaks.append(Leak(index, "warning", _first_line(text, WARNING_TEXT)))
        index += 1
    return leaks


def check_outputs(notebook: Path, section: str) -> None:
    """Raise :class:`OutputLeak` if ``notebook`` (the executed ``section``) leaks output.

    Raises
    ------
    OutputLeak
        ``section 02_x: cell 4 writes to stderr: `RuntimeWarning: …``` and how many more.
    """
    leaks = find_leaks(notebook)
    if leaks:
        first = leaks[0]
        what = "writes to stderr" if first.kind == "stderr" else "shows warning text"
        more = f" (and {len(leaks) - 1} more)" if len(leaks) > 1 else ""
        raise OutputLeak(
            f"section {section}: cell {first.cell} {what}: `{first.line}`{more}; "
            "a page must not show stderr or warnings: silence the cause, or show a "
            "warning that matters as an admonition")
