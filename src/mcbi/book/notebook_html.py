"""A standalone HTML view of an executed notebook (what ``python -m mcbi run`` writes).

nbconvert is not part of the pinned environment, so this renders the few things a section
notebook holds: Markdown cells (markdown-it, the parser MyST uses), code cells highlighted
with Pygments, and their outputs (text, HTML tables, Markdown, PNG/SVG figures, errors).
Everything is in one file: styles inline, images as data URIs.
"""

from __future__ import annotations

import ast
import html
import json
import re
from pathlib import Path
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
line-height:1.5;color:#222}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;border-radius:4px;margin:.3rem 0}
.cell{margin:1rem 0}.code pre{border-left:3px solid #4a7ab8}
.out pre{background:#fff;border-left:3px solid #bbb}
.out .stderr,.out .error{background:#fdecea;border-left-color:#c62828}
.tag{font-size:.75rem;color:#777}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2rem .5rem}img{max-width:100%}
"""


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(text)


def _code(source: str) -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    return highlight(source, PythonLexer(), HtmlFormatter(noclasses=True, nowrap=False))


def _pre(text: str, cls: str = "") -> str:
    return f'<pre class="{cls}">{html.escape(_ANSI.sub("", text))}</pre>'


def _output(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return _pre(_text(output.get("text")), output.get("name", ""))
    if kind == "error":
        return _pre("\n".join(output.get("traceback") or []), "error")
    data = output.get("data") or {}
    if "image/png" in data:
        return f'<img alt="figure" src="data:image/png;base64,{_text(data["image/png"])}">'
    if "image/svg+xml" in data:
        return _text(data["image/svg+xml"])
    if "text/html" in data:
        return _text(data["text/html"])
    if "text/markdown" in data:
        return _markdown(_text(data["text/markdown"]))
    if "text/plain" in data:
        return _pre(_text(data["text/plain"]))
    return ""


_GLUE_ROLE = re.compile(r"\{glue(?::(?:text|any|md))?\}`([^`:]+)(?::([^`]*))?`")
_RECORD = "application/papermill.record/"


def glued_values(nb: dict[str, Any]) -> dict[str, Any]:
    """Return ``{key: value}`` of the notebook's glued outputs (myst-nb ``glue``).

    The value is the glued object's ``text/plain`` read back as a Python literal when it
    is one (a number, a quoted string), else the text.
    """
    values: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            name = ((output.get("metadata") or {}).get("scrapbook") or {}).get("name")
            text = (output.get("data") or {}).get(f"{_RECORD}text/plain")
            if name and text is not None:
                try:
                    values[name] = ast.literal_eval(_text(text))
                except (ValueError, SyntaxError):
                    values[name] = _text(text)
    return values


def resolve_glue(markdown: str, values: dict[str, Any]) -> str:
    """Replace ``{glue:text}`key:fmt``` roles by their glued values (unknown keys stay).

    Examples
    --------
    >>> resolve_glue("mean {glue:text}`m:.2f`, n {glue}`n`", {"m": 2.625, "n": 3})
    'mean 2.62, n 3'
    """
    def replace(match: re.Match[str]) -> str:
        key, spec = match.group(1), match.group(2) or ""
        if key not in values:
            return match.group(0)
        try:
            return format(values[key], spec)
        except (TypeError, ValueError):
            return str(values[key])

    return _GLUE_ROLE.sub(replace, markdown)


def notebook_html(notebook: Path) -> str:
    """Return a standalone HTML page showing the cells and outputs of ``notebook``.

    Inline glue roles in Markdown cells show the values the notebook glued.
    """
    nb = json.loads(Path(notebook).read_text("utf-8"))
    glued = glued_values(nb)
    parts = []
    for cell in nb.get("cells", []):
        source = _text(cell.get("source"))
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") == "markdown":
            parts.append(f'<div class="cell md">{_markdown(resolve_glue(source, glued))}</div>')
        elif cell.get("cell_type") == "code":
            tag = f'<div class="tag">{html.escape(", ".join(tags))}</div>' if tags else ""
            outputs = "".join(_output(o) for o in cell.get("outputs", []) or [])
            parts.append(f'<div class="cell code">{tag}{_code(source)}'
                         f'<div class="out">{outputs}</div></div>')
    title = html.escape(Path(notebook).stem)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title><style>{_STYLE}</style></head>\n<body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def write_html(notebook: Path) -> Path:
    """Write the HTML view of ``notebook`` beside it (``.html``); return its path."""
    out = Path(notebook).with_suffix(".html")
    out.write_text(notebook_html(notebook), "utf-8")
    return out
