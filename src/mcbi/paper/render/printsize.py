"""The printed size of a figure: the box it is printed in and the smallest text it may have.

Kept apart from :mod:`mcbi.paper.render.figures` (which imports matplotlib) so that the PDF
(:mod:`mcbi.book.pdf`) reads the same numbers without loading a plotting library.
"""

from __future__ import annotations

PRINT_WIDTH_IN = 6.5
"""Text width of the printed page (inches): a wider figure is scaled down to it."""
PRINT_HEIGHT_IN = 7.2
"""Tallest printed figure (inches): the figure box of the PDF's template
(book/typst/apa7.typ, 6.5 x 7.2 in, which leaves room for the caption and note on a US-letter
page; :mod:`mcbi.book.pdf` passes both sizes to it); a taller figure is scaled down to it.
The browser's print style (book/_static/mcbi-print.css) allows more."""
MIN_PRINT_PT = 9.0
"""Smallest text size, in points, of a figure printed at :data:`PRINT_WIDTH_IN`."""
PAD_IN = 0.04
"""White margin around a saved figure (inches)."""
MAX_WIDTH_IN = PRINT_WIDTH_IN - 2 * PAD_IN
"""Widest ``figsize`` whose saved image (with its :data:`PAD_IN` margin) prints at its size."""
MAX_HEIGHT_IN = PRINT_HEIGHT_IN - 2 * PAD_IN
"""Tallest ``figsize`` whose saved image prints at its size: figures fit their layout into it."""
