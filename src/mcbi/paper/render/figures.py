"""Saving figures: a PNG for the web page and an SVG for print, both byte-reproducible (the
CONSORT flow diagram is in :mod:`mcbi.paper.sample.consort`, the trajectories and the forest
plot in :mod:`mcbi.paper.outcomes`, the path diagram in :mod:`mcbi.paper.mechanism.figures`).

Legibility rule of the book (checked by the tests and the browser test): every text of a
figure is at least :data:`MIN_PRINT_PT` points high when the figure is printed at
:data:`PRINT_WIDTH_IN` inches wide (or at its own size when it is narrower). :func:`save`
records the smallest font size of the saved figure in the PNG's metadata
(:data:`FONT_KEY`), so that a reader of the PNG alone (the browser test) can check the size
at which its text is shown.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_agg import RendererAgg  # noqa: E402

from mcbi.paper.render.printsize import (  # noqa: E402, F401  (the print box, re-exported)
    MAX_HEIGHT_IN,
    MAX_WIDTH_IN,
    MIN_PRINT_PT,
    PAD_IN,
    PRINT_HEIGHT_IN,
    PRINT_WIDTH_IN,
)

PALETTE = {"control": "#6c757d", "MCBI": "#1f6f8b"}

DPI = 150
"""Resolution of the saved PNG (pixels per inch)."""
FONT_KEY = "mcbi:min-font-pt"
"""PNG text chunk holding the smallest font size (points) drawn in the figure."""
SVG_SALT = "mcbi"
"""``svg.hashsalt``: fixed ids in the SVG, so the same figure gives the same bytes."""


@contextlib.contextmanager
def _recording_text_sizes(sizes: list[float]) -> Iterator[None]:
    """Record the size in points of every non-empty text the Agg renderer draws meanwhile.

    Only what is really drawn counts (an axis that is switched off, an empty label or a
    tick outside the view does not; nor does the layout pass of ``bbox_inches="tight"``,
    which draws with the renderer's drawing switched off).
    """
    original = RendererAgg.draw_text

    def record(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):  # noqa: ANN001, ANN202
        if str(s).strip():
            sizes.append(float(prop.get_size_in_points()))
        return original(self, gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    RendererAgg.draw_text = record
    try:
        yield
    finally:
        RendererAgg.draw_text = original


def drawn_font_sizes(fig: plt.Figure) -> list[float]:
    """The size in points of every non-empty text the figure draws (ticks, titles, labels).

    The figure is drawn once on its canvas, so only what is really drawn counts.
    """
    sizes: list[float] = []
    with _recording_text_sizes(sizes):
        fig.canvas.draw()
    return sizes


def min_font_pt(fig: plt.Figure) -> float:
    """The smallest font size (points) drawn in ``fig``; ``inf`` when it draws no text."""
    sizes = drawn_font_sizes(fig)
    return min(sizes) if sizes else float("inf")


def _with_text_chunk(png: bytes, key: str, value: str) -> bytes:
    """``png`` with a ``tEXt`` chunk ``key``/``value`` inserted before its ``IEND``."""
    body = b"tEXt" + key.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def print_font_pt(font_pt: float, width_in: float, print_width_in: float = PRINT_WIDTH_IN,
                  height_in: float = 0.0, print_height_in: float = PRINT_HEIGHT_IN) -> float:
    """The size a ``font_pt`` text has when a ``width_in`` wide (``height_in`` high) figure
    is printed.

    A figure wider than ``print_width_in`` or higher than ``print_height_in`` is scaled down
    to fit; a smaller one is printed at its own size.
    """
    if width_in <= 0 or height_in < 0:
        raise ValueError("width_in must be positive and height_in not negative")
    return font_pt * min(1.0, print_width_in / width_in,
                         print_height_in / height_in if height_in else 1.0)


def png_facts(path: str | Path) -> dict[str, float | None]:
    """``width_in``, ``height_in`` (pixels / :data:`DPI`), ``width_px`` and ``font_pt`` (the
    smallest font size :func:`save` recorded, None when absent) of a saved PNG."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    width_px, height_px = struct.unpack(">II", data[16:24])
    pos, font = 8, None
    while pos + 8 <= len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        if kind == b"tEXt":
            key, _, value = data[pos + 8:pos + 8 + length].partition(b"\0")
            if key.decode("latin-1") == FONT_KEY:
                font = float(value)
        pos += 12 + length
    return {"width_px": width_px, "width_in": width_px / DPI, "height_in": height_px / DPI,
            "font_pt": font}


def printed_min_pt(path: str | Path, print_width_in: float = PRINT_WIDTH_IN) -> float:
    """The smallest text size (points) of a PNG written by :func:`save` once it is printed
    (:func:`print_font_pt` of its recorded font and its saved width)."""
    facts = png_facts(path)
    if facts["font_pt"] is None:
        raise ValueError(f"{path} has no recorded font size ({FONT_KEY}): not saved by save()")
    return print_font_pt(facts["font_pt"], facts["width_in"], print_width_in,
                         facts["height_in"])


def _write_aside(path: Path, write) -> None:  # noqa: ANN001
    """Write with ``write(tmp)`` to a temporary name beside ``path``, then swap it in."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save(fig: plt.Figure, out_dir: str | Path, name: str) -> Path:
    """Save ``fig`` as ``<out_dir>/figures/<name>.png`` (150 dpi) and ``<name>.svg`` (vector,
    for print), close it, and return the PNG's path.

    Both files are byte-reproducible (no date, no software version; fixed SVG ids; the SVG's
    text drawn as paths, so the PDF needs no font). The PNG carries the smallest font size
    drawn, in points, as the text chunk :data:`FONT_KEY`; the SVG's description says it too
    (``smallest text 9 pt``), from which the PDF tells the size at print.
    """
    path = Path(out_dir) / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        sizes: list[float] = []
        buffer = io.BytesIO()
        with _recording_text_sizes(sizes):  # the font sizes, recorded as the PNG is drawn
            fig.savefig(buffer, dpi=DPI, bbox_inches="tight", format="png", pad_inches=PAD_IN,
                        metadata={"Software": None})
        font = min(sizes) if sizes else float("inf")
        png = _with_text_chunk(buffer.getvalue(), FONT_KEY, f"{font:g}")
        _write_aside(path, lambda p: p.write_bytes(png))
        about = {"Date": None, "Creator": None, "Description": f"smallest text {font:g} pt"}
        with matplotlib.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "path"}):
            _write_aside(path.with_suffix(".svg"),
                         lambda p: fig.savefig(p, bbox_inches="tight", format="svg",
                                               pad_inches=PAD_IN, metadata=about))
    finally:
        plt.close(fig)
    return path
