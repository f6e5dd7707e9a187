"""Two lookups Sphinx and pybtex repeat on every use, done once per build process.

* ``{numref}``: Sphinx's standard domain unpickles the *whole* doctree of the target page
  for every numbered reference, only to read the target node's ids and type
  (``StandardDomain._resolve_numref_xref`` calls ``env.get_doctree``). The book has dozens
  of such references to a few pages; here each page is unpickled once per write phase and
  the copy is used for these read-only lookups (the copies Sphinx resolves and writes are
  untouched). The cache is emptied when reading ends (``env-updated``).
* pybtex looks every plugin (style, label, name and sorting styles) up through
  :func:`importlib.metadata.entry_points`, which scans the metadata of every installed
  distribution on each call; the installed entry points do not change during a build, so
  each query is answered once. Plugins registered at run time are looked up before entry
  points, as before.

Both are pure caches: the built pages are the same bytes with and without them (tested).
"""

from __future__ import annotations

import functools
from typing import Any

from sphinx.domains.std import StandardDomain

_DOCTREES: dict[str, Any] = {}


class NumrefOnceDomain(StandardDomain):
    """The standard domain, with each numbered reference's target page unpickled once."""

    def _resolve_numref_xref(self, env: Any, *args: Any, **kwargs: Any) -> Any:
        original = env.get_doctree

        def cached(docname: str) -> Any:
            if docname not in _DOCTREES:
                _DOCTREES[docname] = original(docname)
            return _DOCTREES[docname]

        env.get_doctree = cached  # the instance attribute shadows the method meanwhile
        try:
            return super()._resolve_numref_xref(env, *args, **kwargs)
        finally:
            del env.get_doctree


def _forget_doctrees(*_: Any) -> None:
    _DOCTREES.clear()


def cache_pybtex_entry_points() -> None:
    """Answer pybtex's entry-point queries from a cache (idempotent)."""
    import pybtex.plugin as plugin

    lookup = plugin.entry_points
    if getattr(lookup, "cache_info", None) is None:
        @functools.cache
        def entry_points(**query: str) -> Any:
            return lookup(**query)

        plugin.entry_points = entry_points


def setup(app: Any) -> dict[str, Any]:
    """Install both caches (called from :func:`mcbi.book.sphinxext.setup`)."""
    app.add_domain(NumrefOnceDomain, override=True)
    app.connect("env-updated", _forget_doctrees)
    app.connect("build-finished", _forget_doctrees)
    cache_pybtex_entry_points()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
