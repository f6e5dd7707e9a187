"""APA-style formatting of numbers and tables for the book.

General helpers: numbers in, strings out; DataFrames in, formatted DataFrames or
Markdown out. Nothing here knows the trial.
"""

from __future__ import annotations

import math

import pandas as pd


def fmt_num(value: float | None, digits: int = 2, leading_zero: bool = True) -> str:
    """Format a number with ``digits`` decimals; ``-`` as a true minus sign, ``—`` if missing.

    APA drops the leading zero for values that cannot exceed 1 (``leading_zero=False``).
    """
    if value is None or pd.isna(value):
        return "—"
    value = float(value)
    if not math.isfinite(value):
        return "—"
    text = f"{value:.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")  # no "-0.00"
    if not leading_zero:
        text = text.replace("0.", ".", 1) if abs(value) < 1 else text
    return text.replace("-", "\u2212")


def fmt_p(p: float | None) -> str:
    """APA p-value: ``p < .001`` or ``p = .034`` (no leading zero, three decimals)."""
    if p is None or not math.isfinite(p):
        return "—"
    if not 0 <= p <= 1:
        raise ValueError(f"p-value out of range: {p}")
    if p < 0.001:
        return "< .001"
    return "= " + fmt_num(p, 3, leading_zero=False)


def fmt_ci(lower: float, upper: float, digits: int = 2) -> str:
    """A confidence interval as ``[l, u]``."""
    return f"[{fmt_num(lower, digits)}, {fmt_num(upper, digits)}]"


def fmt_estimate_ci(est: float, lower: float, upper: float, digits: int = 2) -> str:
    """``est [l, u]``."""
    return f"{fmt_num(est, digits)} {fmt_ci(lower, upper, digits)}"


def markdown_table(frame: pd.DataFrame, align: str | None = None) -> str:
    """Render a DataFrame as a GitHub/MyST pipe table (strings as given; ``|`` escaped)."""
    if frame.empty:
        raise ValueError("cannot render an empty table")
    cols = [str(c).replace("|", "\\|") for c in frame.columns]
    align = align or "l" * len(cols)
    if len(align) != len(cols) or set(align) - {"l", "r", "c"}:
        raise ValueError(f"align must give one of l, r, c for each of the {len(cols)} columns")
    marks = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = ["| " + " | ".join(cols) + " |",
             "|" + "|".join(marks[a] for a in align) + "|"]
    for row in frame.itertuples(index=False):
        cells = ["" if pd.isna(v) else str(v).replace("|", "\\|") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def myst_table(frame: pd.DataFrame, caption: str, name: str, align: str | None = None) -> str:
    """A numbered MyST ``{table}`` directive around :func:`markdown_table`.

    Display it from a notebook with ``IPython.display.Markdown``; the book renders notebook
    Markdown as MyST, so the table is numbered and ``{numref}`` can refer to ``name``.
    """
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"table name {name!r} must be letters, digits, '-' or '_'")
    return f":::{{table}} {caption}\n:name: {name}\n\n{markdown_table(frame, align)}:::\n"
