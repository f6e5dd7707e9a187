"""Tables of the rendered pages: labels for phone reflow and a class for wide tables (an
``html-page-context`` step of :mod:`mcbi.book.sphinxext`).

Every body cell of a table gets ``data-label`` = the text of its column header (and
``data-label-em`` when the whole header is in italics, a statistic's symbol; when only part
of it is, as in "*d* [95% CI]" or "Wald *z*", the cell also carries the header with its
italics as a first ``<span class="mcbi-cell-label">``, hidden except on a phone, and
``data-label-rich``), so that on a
narrow screen the stylesheet (book/_static/mcbi.css) can set each row as a card of
"header: value" lines instead of a table that scrolls sideways (the estimate, its interval
and *p* then stay on the screen). A table with at least :data:`REFLOW_COLUMNS` columns gets
the class :data:`REFLOW_CLASS` (reflowed on a phone) and one with at least
:data:`WIDE_COLUMNS` columns :data:`WIDE_CLASS` (may use the page's margin on a desktop).

The static HTML carries the labels, so no script is needed to read a table on a phone.
"""

from __future__ import annotations

import html
import re

REFLOW_CLASS = "mcbi-reflow"
WIDE_CLASS = "mcbi-wide"
REFLOW_COLUMNS = 3
WIDE_COLUMNS = 7

_TABLE = re.compile(r"<table\b[^>]*>.*?</table>", re.S)
_OPEN = re.compile(r"<table\b([^>]*)>")
_HEAD = re.compile(r"<thead\b[^>]*>(.*?)</thead>", re.S)
_BODY = re.compile(r"<tbody\b[^>]*>.*?</tbody>", re.S)
_ROW = re.compile(r"<tr\b[^>]*>.*?</tr>", re.S)
_TH = re.compile(r"<th\b[^>]*>(.*?)</th>", re.S)
_TD = re.compile(r"<td\b(?![^>]*\bdata-label=)([^>]*)>(.*?)</td>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _text(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())


_ALL_EM = re.compile(r"^\s*(?:<p>)?\s*<em>[^<]*</em>\s*(?:</p>)?\s*$")


_EM_ONLY = re.compile(r"<(?!/?em>)[^>]+>")


def _rich_label(header_html: str) -> str | None:
    """The header's text with its ``<em>`` kept (other tags dropped) when only part of it
    is in italics; None otherwise."""
    if "<em>" not in header_html or _ALL_EM.match(header_html):
        return None
    return " ".join(_EM_ONLY.sub("", header_html).split())


def _label_rows(body: str, headers: list[str], italic: list[bool],
                rich: list[str | None]) -> str:
    def row(match: re.Match) -> str:
        k = iter(range(10_000))

        def cell(m: re.Match) -> str:
            i = next(k)
            if i >= len(headers):
                return m.group(0)
            em = " data-label-em" if italic[i] else ""
            empty = "" if _text(m.group(2)) else " data-empty"  # hidden on a phone's card
            label, content = "", m.group(2)
            if rich[i] is not None:
                label = " data-label-rich"
                content = (f'<span class="mcbi-cell-label" aria-hidden="true">{rich[i]}</span>'
                           + content)
            return (f'<td data-label="{html.escape(headers[i], quote=True)}"{em}{label}{empty}'
                    f'{m.group(1)}>{content}</td>')

        return _TD.sub(cell, match.group(0))

    return _ROW.sub(row, body)


def _add_class(open_tag: str, names: list[str]) -> str:
    attrs = _OPEN.match(open_tag).group(1)
    found = re.search(r'\bclass="([^"]*)"', attrs)
    if found:
        classes = " ".join([found.group(1), *[n for n in names if n not in found.group(1)]])
        attrs = attrs[:found.start()] + f'class="{classes}"' + attrs[found.end():]
    else:
        attrs += f' class="{" ".join(names)}"'
    return f"<table{attrs}>"


def label_table(table: str) -> str:
    """One ``<table>``: body cells labelled with their column's header; classes added.

    A table without a header row, or whose header spans rows or columns, is left alone.
    """
    head = _HEAD.search(table)
    if head is None or "colspan" in head.group(1) or "rowspan" in head.group(1):
        return table
    rows = _ROW.findall(head.group(1))
    if len(rows) != 1:
        return table
    cells = _TH.findall(rows[0])
    headers = [_text(h) for h in cells]
    italic = [bool(_ALL_EM.match(h)) for h in cells]  # a statistic's symbol: *p*, *SE*
    body = _BODY.search(table)
    if body is None or "colspan" in body.group(0) or "rowspan" in body.group(0):
        return table
    rich = [_rich_label(h) for h in cells]
    out = (table[:body.start()] + _label_rows(body.group(0), headers, italic, rich)
           + table[body.end():])
    names = ([REFLOW_CLASS] if len(headers) >= REFLOW_COLUMNS else []) + (
        [WIDE_CLASS] if len(headers) >= WIDE_COLUMNS else [])
    if names:
        opening = _OPEN.match(out)
        out = _add_class(opening.group(0), names) + out[opening.end():]
    return out


def label_tables(page: str) -> str:
    """Every table of a page's HTML body through :func:`label_table`."""
    return _TABLE.sub(lambda m: label_table(m.group(0)), page)
