"""The mechanism path diagram: panels stacked top to bottom, one value per arrow.

Coordinates are in inches on the printed page, so the text sizes are the printed sizes.
Each arrow's value sits on the arrow itself (on a white ground that interrupts the line), at
the first place along it where the label touches no other arrow, node or label; an arrow
whose path is not significant is dashed.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from mcbi.paper.render.figures import MAX_HEIGHT_IN, PRINT_WIDTH_IN  # noqa: E402

NODE_FONT = 10.0
LABEL_FONT = 9.5
TITLE_FONT = 10.5
_TITLE_IN = 0.4  # height above each panel for its title (inches)
_GAP_IN = 0.05  # clearance between an arrow's end and its box; around labels (inches)
_MAX_COVER = 0.6  # largest share of an arrow's length that a label on it may hide
_POSITIONS = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82)

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 (inches)


def _edges(panel: dict) -> list[tuple[str, str, str, bool]]:
    """``(from, to, text, significant)`` for each edge (3-tuples count as significant)."""
    out = []
    for edge in panel["edges"]:
        if len(edge) not in (3, 4):
            raise ValueError(f"edge {edge!r} must be (from, to, text[, significant])")
        src, dst, text, *sig = edge
        if src not in panel["nodes"] or dst not in panel["nodes"]:
            raise ValueError(f"edge {src} -> {dst} names an unknown node")
        out.append((src, dst, str(text), bool(sig[0]) if sig else True))
    return out


def _rect(center: tuple[float, float], size: tuple[float, float], pad: float = 0.0) -> Rect:
    (x, y), (w, h) = center, size
    return (x - w / 2 - pad, y - h / 2 - pad, x + w / 2 + pad, y + h / 2 + pad)


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _clip(p: np.ndarray, q: np.ndarray, rect: Rect) -> np.ndarray:
    """The point where the segment from ``p`` (inside ``rect``) towards ``q`` leaves it."""
    d = q - p
    ts = []
    for k, (lo, hi) in enumerate(((rect[0], rect[2]), (rect[1], rect[3]))):
        if d[k] > 0:
            ts.append((hi - p[k]) / d[k])
        elif d[k] < 0:
            ts.append((lo - p[k]) / d[k])
    t = min([t for t in ts if t >= 0], default=0.0)
    return p + min(t, 1.0) * d


def segment_hits_rect(p: np.ndarray, q: np.ndarray, rect: Rect) -> bool:
    """Whether the segment ``p``–``q`` meets the rectangle (Liang–Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    d = q - p
    for k, (lo, hi) in enumerate(((rect[0], rect[2]), (rect[1], rect[3]))):
        if d[k] == 0:
            if not lo <= p[k] <= hi:
                return False
            continue
        a, b = (lo - p[k]) / d[k], (hi - p[k]) / d[k]
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
        if t0 > t1:
            return False
    return True


def segments_cross(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> bool:
    """Whether two segments cross at a point inside both (shared end points do not count)."""
    (p, p2), (q, q2) = a, b
    r, s = p2 - p, q2 - q
    den = r[0] * s[1] - r[1] * s[0]
    if abs(den) < 1e-12:
        return False
    t = ((q - p)[0] * s[1] - (q - p)[1] * s[0]) / den
    u = ((q - p)[0] * r[1] - (q - p)[1] * r[0]) / den
    return 1e-6 < t < 1 - 1e-6 and 1e-6 < u < 1 - 1e-6


def _text_size(fig: plt.Figure, text: str, fontsize: float, pad_pt: float) -> tuple[float, float]:
    """Width and height (inches) of ``text`` in a box with ``pad_pt`` points of padding."""
    t = fig.text(0, 0, text, fontsize=fontsize, ha="left", va="bottom", linespacing=1.15)
    box = t.get_window_extent(fig.canvas.get_renderer())
    t.remove()
    pad = 2 * pad_pt / 72
    return box.width / fig.dpi + pad, box.height / fig.dpi + pad


def layout_labels(panel: dict, node_sizes: dict[str, tuple[float, float]],
                  label_sizes: Sequence[Sequence[tuple[float, float]]]) -> list[dict]:
    """Where each arrow of ``panel`` starts and ends and where its value goes.

    Parameters
    ----------
    panel : dict
        As for :func:`path_diagram`.
    node_sizes : dict
        Box size (inches) of each node.
    label_sizes : sequence
        Per edge (in edge order), the box sizes (inches) of its label's forms in order of
        preference (e.g. on one line, then with the interval on a second line).

    Returns
    -------
    list of dict
        Per edge: ``route`` (its points from start to end, arrays in inches; the bends of
        ``panel["via"]`` between), ``at`` (label centre), ``form``
        (index of the label form used) and ``clear`` (False when no place along the arrow
        kept the label off every other arrow, node and label; the least crowded place is
        used then).
    """
    edges = _edges(panel)
    nodes = {k: np.array(v[:2], dtype=float) for k, v in panel["nodes"].items()}
    boxes = {k: _rect(tuple(nodes[k]), node_sizes[k]) for k in nodes}
    routes = []  # per edge, its points: start, bends (panel["via"]), end
    for src, dst, _, _ in edges:
        a, b = nodes[src], nodes[dst]
        via = [np.array(v, dtype=float) for v in panel.get("via", {}).get((src, dst), ())]
        first, last = (via[0], via[-1]) if via else (b, a)
        routes.append([_clip(a, first, _rect(tuple(a), node_sizes[src], _GAP_IN)), *via,
                       _clip(b, last, _rect(tuple(b), node_sizes[dst], _GAP_IN))])
    segs = [(r[k], r[k + 1]) for r in routes for k in range(len(r) - 1)]
    owner = [i for i, r in enumerate(routes) for _ in range(len(r) - 1)]
    width, height = panel["size"]
    placed: list[Rect] = []
    out = []
    for i, (route, sizes) in enumerate(zip(routes, label_sizes, strict=True)):
        # on the arrow before beside it; on its longest straight piece first; the preferred
        # form of the label first; the middle of the piece first
        pieces = sorted(zip(route[:-1], route[1:], strict=True),
                        key=lambda se: -float(np.hypot(*(se[1] - se[0]))))
        best = None
        for side, (start, end), (form, size) in product((0, 1, -1, 2, -2), pieces,
                                                        enumerate(sizes)):
            d = end - start
            normal = np.array([-d[1], d[0]]) / max(np.hypot(*d), 1e-9)
            away = abs(normal[0]) * size[0] / 2 + abs(normal[1]) * size[1] / 2 + _GAP_IN
            off = np.sign(side) * (away + 0.2 * (abs(side) - 1)) if side else 0.0
            length = float(np.hypot(*d))
            along = abs(d[0]) * size[0] / max(length, 1e-9) + abs(d[1]) * size[1] / max(
                length, 1e-9)
            if side == 0 and along > _MAX_COVER * length:
                continue  # on the arrow it would hide too much of it: beside it instead
            for t in _POSITIONS:
                at = start + t * d + off * normal
                rect = _rect(tuple(at), size, _GAP_IN / 2)
                cost = (sum(segment_hits_rect(*s, rect) for j, s in zip(owner, segs,
                                                                        strict=True) if j != i)
                        + sum(_overlap(rect, b) for b in boxes.values())
                        + (rect[0] < 0 or rect[1] < 0 or rect[2] > width or rect[3] > height)
                        + sum(_overlap(rect, p) for p in placed)
                        + (off != 0 and segment_hits_rect(start, end, rect)))
                if best is None or cost < best[0]:
                    best = (cost, at, form, rect)
                if cost == 0:
                    break
            if best[0] == 0:
                break
        cost, at, form, rect = best
        placed.append(rect)
        out.append({"route": route, "at": at, "form": form, "clear": cost == 0})
    return out


def label_forms(text: str) -> list[str]:
    """An edge label on one line and, when it has an interval, with the interval below."""
    return [text] + ([text.replace(" [", "\n[", 1)] if " [" in text else [])


def fit_height(panels: list[dict], max_height: float) -> list[dict]:
    """``panels`` drawn lower, when their panels and titles are higher than ``max_height``.

    Every vertical coordinate (panel heights, node positions, bend points) is multiplied by
    one factor; the boxes and the text keep their size, so the printed text stays as large.
    """
    total = sum(p["size"][1] + _TITLE_IN for p in panels)
    free = max_height - _TITLE_IN * len(panels)
    if total <= max_height or free <= 0:
        return panels
    f = free / sum(p["size"][1] for p in panels)
    return [{**p, "size": (p["size"][0], p["size"][1] * f),
             "nodes": {k: (x, y * f, *rest) for k, (x, y, *rest) in p["nodes"].items()},
             "via": {k: [(x, y * f) for x, y in pts] for k, pts in p.get("via", {}).items()}}
            for p in panels]


def path_diagram(panels: list[dict], width: float = PRINT_WIDTH_IN,
                 max_height: float = MAX_HEIGHT_IN) -> plt.Figure:
    """Draw path diagrams, one panel under the other.

    Parameters
    ----------
    panels : list of dict
        Each with ``title`` (str), ``size`` (width, height in inches), ``nodes`` (name ->
        ``(x, y, label)``, inches from the panel's lower left corner; a label may have line
        breaks) and ``edges`` (``(from, to, text, significant)``; ``text`` is written on the
        arrow, a non-significant arrow is dashed); optionally ``via`` ((from, to) -> list of
        bend points, inches) for an arrow that goes around others. Node names must exist
        for every edge.
    width : float
        Figure width in inches; a panel narrower than it is centred.
    max_height : float
        Tallest figure in inches (the printed page's figure box): higher panels are drawn
        lower (:func:`fit_height`), so the figure prints at the size of its text.

    Returns
    -------
    matplotlib.figure.Figure
        One axis per panel, in data units of inches.
    """
    for panel in panels:
        _edges(panel)  # names and shapes checked before anything is drawn
        w, h = panel["size"]
        if w > width or w <= 0 or h <= 0:
            raise ValueError(f"panel size {panel['size']} must be positive and fit {width} in")
    panels = fit_height(panels, max_height)
    total = sum(p["size"][1] + _TITLE_IN for p in panels) or 1.0
    fig = plt.figure(figsize=(width, total))
    top = total
    for panel in panels:
        w, h = panel["size"]
        top -= _TITLE_IN
        ax = fig.add_axes(((width - w) / 2 / width, (top - h) / total, w / width, h / total))
        top -= h
        ax.set_xlim(0, w)
        ax.set_ylim(0, h)
        ax.axis("off")
        ax.set_title(panel["title"], fontsize=TITLE_FONT, loc="left", fontweight="bold")
        _draw_panel(fig, ax, panel)
    return fig


def _draw_panel(fig: plt.Figure, ax: plt.Axes, panel: dict) -> None:
    edges = _edges(panel)
    node_sizes = {k: _text_size(fig, v[2], NODE_FONT, 0.35 * NODE_FONT)
                  for k, v in panel["nodes"].items()}
    forms = [label_forms(text) for _, _, text, _ in edges]
    label_sizes = [[_text_size(fig, f, LABEL_FONT, 0.15 * LABEL_FONT) for f in fs]
                   for fs in forms]
    for x, y, label in panel["nodes"].values():
        ax.text(x, y, label, ha="center", va="center", fontsize=NODE_FONT, linespacing=1.15,
                bbox={"boxstyle": "round,pad=0.35", "fc": "white", "ec": "0.25", "lw": 1.0},
                zorder=3)
    places = layout_labels(panel, node_sizes, label_sizes)
    for (_, _, _, significant), place, fs in zip(edges, places, forms, strict=True):
        route = place["route"]
        style = "-" if significant else (0, (4, 2.5))
        if len(route) > 2:  # the bends as plain lines, the arrow head on the last piece
            xs, ys = zip(*route[:-1], strict=True)
            ax.plot(xs, ys, color="0.2", lw=1.1, linestyle=style, zorder=1,
                    solid_joinstyle="round")
        ax.add_patch(FancyArrowPatch(tuple(route[-2]), tuple(route[-1]),
                                     arrowstyle="-|>", mutation_scale=11, lw=1.1,
                                     color="0.2", shrinkA=0, shrinkB=0, zorder=1,
                                     linestyle=style))
        ax.text(*place["at"], fs[place["form"]], ha="center", va="center",
                fontsize=LABEL_FONT, color="#1f3b57", zorder=2, linespacing=1.15,
                bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none"})
