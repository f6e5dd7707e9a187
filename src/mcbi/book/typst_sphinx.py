"""Write each page of the html build as Typst markup for the PDF (``doctree-resolved``).

When the html builder has resolved a page (glued values pasted, citations and numbered
references written), :class:`mcbi.book.typst_markup.TypstWriter` turns the same tree into
``<page>.typ`` in a ``typst`` folder beside the html output (``<outdir>/../typst``), which
the pipeline swaps in with the html (``Layout.typst``). Figures point at their vector
version (``.svg`` beside the ``.png``) when the build saved one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.util import logging

from mcbi.book.layout import TYPST_TEMPLATE
from mcbi.book.typst_markup import TypstWriter, UnknownNode

TYPST_DIR = "typst"
"""Folder beside the builder's output that receives the pages' Typst markup."""
_LOG = logging.getLogger(__name__)


def fragment_name(docname: str) -> str:
    """File name of a page's Typst markup: ``book/sections/x`` -> ``book.sections.x.typ``."""
    return docname.replace("/", ".") + ".typ"


def vector_figure(srcdir: Path, uri: str) -> str:
    """The path the PDF uses for image ``uri``: its ``.svg`` twin when present, rooted at /."""
    path = Path(uri)
    svg = path.with_suffix(".svg")
    chosen = svg if path.suffix.lower() == ".png" and (srcdir / svg).is_file() else path
    return "/" + chosen.as_posix()


def _resolved(app: Any, doctree: Any, docname: str) -> None:
    if app.builder.format != "html":
        return
    srcdir = Path(app.srcdir)
    numbers = getattr(app.env, "toc_fignumbers", {}).get(docname, {})
    writer = TypstWriter(docname, numbers, lambda uri: vector_figure(srcdir, uri),
                         "/" + TYPST_TEMPLATE)
    try:
        markup = writer.write(doctree)
    except UnknownNode as exc:
        _LOG.warning("%s (the PDF needs a rule for it in mcbi.book.typst_markup)", exc)
        return
    out = Path(app.outdir).parent / TYPST_DIR
    out.mkdir(parents=True, exist_ok=True)
    (out / fragment_name(docname)).write_text(markup, "utf-8")


def setup(app: Any) -> None:
    """Connect the writer to ``doctree-resolved``."""
    app.connect("doctree-resolved", _resolved)
