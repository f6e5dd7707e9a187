"""A small Sphinx extension loaded by the book (``sphinx.extra_extensions`` in _config.yml).

* Launch buttons of the results pages point at the *source* notebook: the pages are the
  executed copies in ``book/sections/`` (never committed), so Binder must open
  ``notebooks/NN_slug.ipynb`` instead. The download button keeps the executed notebook.
* Script tags that a theme extension adds twice (sphinx-thebe's configuration block with
  jupyter-book 1.0.4 and Sphinx 7.4) are written once; twice is a JavaScript
  ``SyntaxError: Identifier 'THEBE_JS_URL' has already been declared`` on every page.
* Every table's body cells carry their column header as ``data-label`` (and wide tables a
  class), so that the stylesheet can reflow a table into cards on a phone
  (:mod:`mcbi.book.tablehtml`).
* APA-like citation and reference-list styles (:mod:`mcbi.book.bibstyle`) and true minus
  signs in glued numbers (:mod:`mcbi.book.typography`).
* Each resolved page also written as Typst markup for the PDF (:mod:`mcbi.book.typst_sphinx`).
* Lookups Sphinx and pybtex repeat done once per build (:mod:`mcbi.book.sphinxspeed`).
"""

from __future__ import annotations

from typing import Any

from mcbi.book import bibstyle, sphinxspeed, tablehtml, typography, typst_sphinx
from mcbi.book.layout import NOTEBOOKS_DIR, SECTIONS_DIR

SECTIONS = f"{SECTIONS_DIR}/"
SOURCES = f"{NOTEBOOKS_DIR}/"


def _rewrite(buttons: list[Any], old: str, new: str) -> None:
    """Point the launch links (absolute URLs) at the source notebook.

    Relative links are left alone: the download button's ``_sources/…/<page>.ipynb`` is the
    executed notebook Sphinx copied into the site (``_sources/notebooks/`` does not exist).
    """
    for button in buttons:
        if not isinstance(button, dict):
            continue
        url = button.get("url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            button["url"] = url.replace(old, new)
        _rewrite(button.get("buttons") or [], old, new)


def _dedupe(scripts: list[Any]) -> list[Any]:
    """Drop repeated scripts: same file and attributes (the priority may differ)."""
    kept, seen = [], set()
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    return kept


def _page_context(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if isinstance(context.get("body"), str):  # table cells labelled for the phone reflow
        context["body"] = tablehtml.label_tables(context["body"])
    if "script_files" in context:
        context["script_files"] = _dedupe(list(context["script_files"]))
    if pagename.startswith(SECTIONS) and "header_buttons" in context:
        name = pagename[len(SECTIONS):]
        _rewrite(context["header_buttons"], f"{pagename}.ipynb", f"{SOURCES}{name}.ipynb")


def setup(app: Any) -> dict[str, Any]:
    """Register the page-context hook (after sphinx-book-theme's, priority 501)."""
    app.connect("html-page-context", _page_context, priority=900)
    bibstyle.register()  # APA-like citations and references (mcbi.book.bibstyle)
    app.connect("doctree-resolved", bibstyle.drop_entry_labels)  # APA lists have no labels
    typography.setup(app)  # true minus signs in glued numbers (mcbi.book.typography)
    typst_sphinx.setup(app)  # each page as Typst markup for the PDF (mcbi.book.typst_sphinx)
    sphinxspeed.setup(app)  # numref targets and pybtex plugins looked up once
    return {"parallel_read_safe": True, "parallel_write_safe": True}
