"""The formats with which the book's prose prints glued numbers (``{glue:text}`name:.1f```).

A section notebook glues a result under its short name and its own Markdown refers to it
as ``name:.1f``; the other pages refer to it as ``sections/<section>.ipynb::name:.1f``.
:func:`glue_formats` collects, for every ``<section>.<name>``, the format of the prose
(when a result is printed with several, the one with the most decimals).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_ROLE = re.compile(r"\{glue(?::[a-z]+)?\}`([^`]+)`")
_DECIMALS = re.compile(r"\.(\d+)f")


def references(markdown: str, section: str | None) -> dict[str, str]:
    """Return ``{"<section>.<name>": spec}`` of the glue references in ``markdown``.

    ``section`` is the notebook's own section (for bare ``name:spec`` references); on the
    other pages (``section=None``) only ``sections/<section>.ipynb::name`` references
    count. References without a format are left out.

    Examples
    --------
    >>> references("{glue:text}`sections/01_a.ipynb::n:.0f` and {glue:text}`m:.2f`", "02_b")
    {'01_a.n': '.0f', '02_b.m': '.2f'}
    """
    found: dict[str, str] = {}
    for match in _ROLE.finditer(markdown):
        ref = match.group(1)
        where, _, key = ref.rpartition("::")
        name, _, spec = key.partition(":")
        owner = Path(where).stem if where else section
        if not owner or not spec:
            continue
        full = f"{owner}.{name.strip()}"
        if _decimals(spec) >= _decimals(found.get(full, "")):
            found[full] = spec.strip()
    return found


def _decimals(spec: str) -> int:
    match = _DECIMALS.fullmatch(spec)
    return int(match.group(1)) if match else -1


def glue_formats(notebooks: Path, pages: Path) -> dict[str, str]:
    """Collect the glue formats of the section notebooks and of the Markdown pages.

    Parameters
    ----------
    notebooks : Path
        Folder of the section notebooks (``<section>.ipynb``).
    pages : Path
        Folder of the book's Markdown pages (searched recursively).
    """
    found: dict[str, str] = {}

    def merge(new: dict[str, str]) -> None:
        for name, spec in new.items():
            if _decimals(spec) >= _decimals(found.get(name, "")):
                found[name] = spec

    for path in sorted(Path(notebooks).glob("*.ipynb")):
        try:
            cells = json.loads(path.read_text("utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") == "markdown":
                source = cell.get("source", "")
                merge(references("".join(source) if isinstance(source, list) else source,
                                 path.stem))
    for path in sorted(Path(pages).rglob("*.md")):
        merge(references(path.read_text("utf-8", errors="replace"), None))
    return found
