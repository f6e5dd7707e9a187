"""Prose templates: paragraphs kept in Markdown files, filled with values chosen in Python.

A template is a Markdown file under ``book/templates/`` whose paragraphs each follow a
``<!-- block -->`` line (block names: lower-case letters, digits, ``_`` and ``-``); text before
the first block describes the file and is not shown. Python chooses which blocks a page shows
and supplies their ``${name}`` values; the words stay in the template, where an author reads
and edits them.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

__all__ = ["fill", "parse_template", "read_template", "render"]

_BLOCK = re.compile(r"^<!--\s*([a-z0-9_-]+)\s*-->\s*$", re.MULTILINE)


def parse_template(text: str) -> dict[str, str]:
    """``{block: paragraph}`` of a template whose paragraphs follow ``<!-- block -->`` lines.

    Raises
    ------
    ValueError
        If a block name appears twice.
    """
    parts = _BLOCK.split(text)
    blocks: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in blocks:
            raise ValueError(f"template block {name!r} appears twice")
        blocks[name] = body.strip()
    return blocks


def read_template(path: str | Path) -> dict[str, str]:
    """The blocks of the template file ``path`` (:func:`parse_template`)."""
    return parse_template(Path(path).read_text("utf-8"))


def fill(blocks: dict[str, str], name: str, values: dict, what: str = "the template") -> str:
    """Block ``name`` of ``blocks`` with its ``${name}`` values substituted.

    Raises
    ------
    ValueError
        If the block is missing or a value it needs is not given.
    """
    if name not in blocks:
        raise ValueError(f"{what} has no block {name!r}")
    try:
        return Template(blocks[name]).substitute(values)
    except KeyError as exc:
        raise ValueError(f"block {name!r} of {what} needs the value {exc.args[0]!r}") from None


def render(template: str, chosen: list[tuple[str, dict]], what: str = "the template") -> str:
    """The chosen blocks of ``template`` (its text) filled with their values, joined as
    paragraphs.

    Raises
    ------
    ValueError
        If a chosen block is not in the template or lacks a value.
    """
    blocks = parse_template(template)
    return "\n\n".join(fill(blocks, name, values, what) for name, values in chosen)
