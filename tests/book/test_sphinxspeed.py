"""mcbi.book.sphinxspeed: the caches change nothing but the time.

A small Sphinx project with numbered figures, tables and sections referenced across pages
is built with and without the extension; the HTML must be the same bytes, and with it each
target page must be unpickled once for all its references.
"""

from __future__ import annotations

import importlib.metadata
from collections import Counter
from pathlib import Path

import pytest

sphinx_app = pytest.importorskip("sphinx.application")

PAGES = {
    "index": """Index
=====

.. toctree::

   one
   two

See :numref:`fig-a`, :numref:`tbl-a`, :numref:`fig-b`, :numref:`fig-a` again and
:numref:`Section %s <sec-b>`.
""",
    "one": """One
===

.. _fig-a:

.. figure:: pic.png

   A figure.

.. _tbl-a:

.. table:: A table.

   ===  ===
   a    b
   ===  ===
   1    2
   ===  ===

Back to :numref:`fig-b`.
""",
    "two": """.. _sec-b:

Two
===

.. _fig-b:

.. figure:: pic.png

   Another figure, :numref:`fig-a` and :numref:`tbl-a`.
""",
}


def _build(root: Path, extensions: list[str]) -> dict[str, bytes]:
    src, out = root / "src", root / "out"
    src.mkdir(parents=True)
    (src / "conf.py").write_text(f"extensions = {extensions!r}\nnumfig = True\n"
                                 "numfig_secnum_depth = 0\n", "utf-8")
    (src / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    for name, text in PAGES.items():
        (src / f"{name}.rst").write_text(text, "utf-8")
    app = sphinx_app.Sphinx(str(src), str(src), str(out), str(root / "doctrees"), "html",
                            status=None, warning=None, freshenv=True)
    app.build()
    assert app.statuscode == 0
    return {name: (out / f"{name}.html").read_bytes() for name in PAGES}


def test_pages_are_the_same_bytes_and_targets_unpickled_once(tmp_path: Path,
                                                             monkeypatch) -> None:
    from sphinx.environment import BuildEnvironment

    loads: list[str] = []
    original = BuildEnvironment.get_doctree

    def counting(self, docname):  # noqa: ANN001, ANN202
        loads.append(docname)
        return original(self, docname)

    monkeypatch.setattr(BuildEnvironment, "get_doctree", counting)
    plain = _build(tmp_path / "plain", [])
    plain_loads = Counter(loads)
    loads.clear()
    cached = _build(tmp_path / "cached", ["mcbi.book.sphinxspeed"])
    assert cached == plain
    assert b"Fig. 1" in plain["index"] and b"Table 1" in plain["index"]
    # without the cache: page "one" once to write it and once per reference to its figure
    # (3) and table (2); "two" once plus 3 references
    assert plain_loads["one"] == 6 and plain_loads["two"] == 4
    # with it: once to write, once for all the references
    assert Counter(loads) == plain_loads - Counter({"one": 4, "two": 2})


def test_pybtex_entry_points_answered_once_with_the_same_answers() -> None:
    import pybtex.plugin as plugin

    from mcbi.book.sphinxspeed import cache_pybtex_entry_points

    expected = importlib.metadata.entry_points(group="pybtex.style.formatting", name="plain")
    cache_pybtex_entry_points()
    cache_pybtex_entry_points()  # idempotent: not a cache of the cache
    first = plugin.entry_points(group="pybtex.style.formatting", name="plain")
    assert list(first) == list(expected) and len(first) == 1
    assert plugin.entry_points(group="pybtex.style.formatting", name="plain") is first
    assert plugin.entry_points.__wrapped__ is not plugin.entry_points
    assert not hasattr(plugin.entry_points.__wrapped__, "cache_info")
    assert plugin.find_plugin("pybtex.style.formatting", "plain").__name__ == "Style"


def test_the_book_extension_does_not_import_pandas() -> None:
    """The Sphinx process loads mcbi.book.sphinxext; pandas would cost it about 0.3 CPU-s
    for nothing (number formatting needs only the standard library)."""
    import subprocess
    import sys

    code = ("import sys, mcbi.book.sphinxext; "
            "print(sorted(m for m in ('pandas', 'numpy', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
