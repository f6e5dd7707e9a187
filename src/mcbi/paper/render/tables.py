"""The book's tables: Markdown / MyST rendering and the formatted outcome, sample and
published-findings tables (tidy results in, strings out)."""

from __future__ import annotations

import re

import pandas as pd

from mcbi.paper.render.phrases import capital

_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
_INLINE_SYNTAX = re.compile(r"([\\`*_$])")


def escape_markdown(text: str, keep_code: bool = True) -> str:
    r"""Escape MyST/Markdown inline syntax so that ``text`` shows literally in a table cell.

    Backslashes, backticks, ``*``, ``_`` and ``$`` (dollar math) are backslash-escaped, so
    ``a*b*c1`` is not set in italics and ``a0*a*b`` does not lose its asterisks; ``|`` is
    escaped everywhere (also inside code) so that it cannot split the cell; line breaks
    become spaces. With ``keep_code`` (the default) a complete code span such as
    ```n_items``` stays a code span.

    >>> print(escape_markdown("a0*a*b + n_x | `code_x`"))
    a0\*a\*b + n\_x \| `code_x`
    """
    text = str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    parts, pos = [], 0
    spans = _CODE_SPAN.finditer(text) if keep_code else ()
    for match in spans:
        parts.append(_INLINE_SYNTAX.sub(r"\\\1", text[pos:match.start()]))
        parts.append(match.group(0))
        pos = match.end()
    parts.append(_INLINE_SYNTAX.sub(r"\\\1", text[pos:]))
    return "".join(parts).replace("|", "\\|")


#: Statistical symbols set in italics when they stand alone in a table header (APA 7, 6.45).
ITALIC_SYMBOLS = ("d", "p", "n", "N", "M", "SD", "SE", "t", "z", "r", "b", "F")
_SYMBOL = re.compile(r"(?<![\w\\*`])(" + "|".join(ITALIC_SYMBOLS) + r")(?![\w*\\`])")


def italic_symbols(header: str, symbols: tuple[str, ...] = ITALIC_SYMBOLS) -> str:
    """Set the statistical symbols of :data:`ITALIC_SYMBOLS` (or ``symbols``) standing alone
    in italics.

    Meant for a header already escaped by :func:`escape_markdown`.

    >>> print(italic_symbols("d [95 % CI]"), "|", italic_symbols("p (Holm)"), "|",
    ...       italic_symbols("Depression"))
    *d* [95 % CI] | *p* (Holm) | Depression
    """
    pattern = _SYMBOL if symbols == ITALIC_SYMBOLS else re.compile(
        r"(?<![\w\\*`])(" + "|".join(map(re.escape, symbols)) + r")(?![\w*\\`])")
    return pattern.sub(r"*\1*", header)


def markdown_table(frame: pd.DataFrame, align: str | None = None,
                   symbols: tuple[str, ...] = ITALIC_SYMBOLS) -> str:
    """Render a DataFrame as a GitHub/MyST pipe table.

    Headers and cells show literally (:func:`escape_markdown`; complete code spans are
    kept), except that statistical symbols standing alone in a header are set in italics
    (:func:`italic_symbols`; ``symbols`` adds a table's own, such as the path *a*); a
    missing value is an empty cell.
    """
    if frame.empty:
        raise ValueError("cannot render an empty table")
    cols = [italic_symbols(escape_markdown(c), symbols) for c in frame.columns]
    align = align or "l" * len(cols)
    if len(align) != len(cols) or set(align) - {"l", "r", "c"}:
        raise ValueError(f"align must give one of l, r, c for each of the {len(cols)} columns")
    marks = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = ["| " + " | ".join(cols) + " |",
             "|" + "|".join(marks[a] for a in align) + "|"]
    for row in frame.itertuples(index=False):
        cells = ["" if pd.isna(v) else escape_markdown(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


NOTE_CLASS = "mcbi-table-note"
"""HTML class of the *Note.* under a table (styled by book/_static/mcbi.css)."""


def myst_table(frame: pd.DataFrame, caption: str, name: str, align: str | None = None,
               note: str | None = None, symbols: tuple[str, ...] = ITALIC_SYMBOLS) -> str:
    """A numbered MyST ``{table}`` directive around :func:`markdown_table`, with an APA note.

    Display it from a notebook with ``IPython.display.Markdown``; the book renders notebook
    Markdown as MyST, so the table is numbered and ``{numref}`` can refer to ``name``.

    Parameters
    ----------
    frame, caption, name, align
        The table, its title, its label and the column alignments (``l``, ``r``, ``c``).
    note : str, optional
        MyST text of the table's general note; it is set right under the table as a
        paragraph beginning "*Note.*" (added when the text does not begin with it).
    symbols : tuple of str, optional
        The symbols set in italics where they stand alone in a header (:func:`italic_symbols`).
    """
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"table name {name!r} must be letters, digits, '-' or '_'")
    text = (f":::{{table}} {caption}\n:name: {name}\n\n"
            f"{markdown_table(frame, align, symbols)}:::\n")
    if note is not None:
        note = " ".join(str(note).split())
        if not note:
            raise ValueError("note must not be empty")
        if not note.startswith("*Note.*"):
            note = f"*Note.* {note}"
        text += f"\n::::{{container}} {NOTE_CLASS}\n{note}\n::::\n"
    return text


# --- the book's formatted tables ---------------------------------------------------------


def block_labels(values) -> list[str]:
    """The label of a block of rows written once, at its first row, with a capital (APA):
    ``["empathy", "empathy", "distress"]`` -> ``["Empathy", "", "Distress"]``."""
    out, previous = [], object()
    for value in values:
        out.append(capital(str(value)) if value != previous else "")
        previous = value
    return out
