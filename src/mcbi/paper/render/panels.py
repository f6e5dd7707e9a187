"""Small multiples: one line chart per panel, laid out to fit the printed page.

The grid is chosen from the print box (:data:`~mcbi.paper.render.figures.PRINT_WIDTH_IN`
wide, at most :data:`~mcbi.paper.render.figures.MAX_HEIGHT_IN` high), not from the number
of panels of one data set: the number of columns is the one that gives the largest panels
that still fit, so the figure is printed at its own size and its text at the size drawn.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from mcbi.paper.render.figures import MAX_HEIGHT_IN, MAX_WIDTH_IN  # noqa: E402

__all__ = ["grid_shape", "line_panels"]

FONT = 9.5
"""Text size (points) of the panels, printed at the figure's own size."""
MIN_PANEL_IN = 1.5
"""Narrowest panel (inches) whose tick labels and wrapped title still read."""
LEGEND_IN = 0.55
"""Height above the panels for the legend (inches)."""
AXIS_IN = 0.35
"""Height below the panels for the x-axis label (inches)."""


def grid_shape(n: int, width: float = MAX_WIDTH_IN, height: float = MAX_HEIGHT_IN,
               aspect: float = 0.85) -> tuple[int, int, float]:
    """``(rows, columns, panel height)`` of ``n`` panels in a ``width`` x ``height`` box.

    Each column is at least :data:`MIN_PANEL_IN` wide; a panel is ``aspect`` times as high
    as wide, or lower when the rows would not fit. Of the column counts possible, the one
    whose panels have the largest smaller side is taken (fewer rows on a tie).
    """
    if n < 1:
        raise ValueError("there must be at least one panel")
    free = height - LEGEND_IN - AXIS_IN
    best = None
    for cols in range(1, max(1, int(width // MIN_PANEL_IN)) + 1):
        rows = math.ceil(n / cols)
        panel_h = min(aspect * width / cols, free / rows)
        side = min(width / cols, panel_h)
        if best is None or side > best[0] + 1e-9:
            best = (side, rows, cols, panel_h)
    _, rows, cols, panel_h = best
    return rows, cols, panel_h


def line_panels(data: pd.DataFrame, x: str, y: str, hue: str, panel: str, *,
                xlabel: str, ylabel: str, hue_title: str, reference: float | None = None,
                ylim: tuple[float, float] | None = None, width: float = MAX_WIDTH_IN,
                max_height: float = MAX_HEIGHT_IN) -> plt.Figure:
    """One line chart per value of ``panel`` (in order of appearance), lines by ``hue``.

    Parameters
    ----------
    data : DataFrame
        Long data with the columns ``x``, ``y``, ``hue`` and ``panel``.
    x, y, hue, panel : str
        Column names: the axes, the line grouping and the panel's title.
    xlabel, ylabel, hue_title : str
        Axis labels (under the lowest panel of each column, beside the first of each row)
        and the legend's title.
    reference : float, optional
        A dashed horizontal line at this value in every panel (a target, say).
    ylim : tuple of float, optional
        Shared y limits (otherwise the data's, shared by all panels).
    width, max_height : float
        The figure's box in inches (by default the printed page's).

    Returns
    -------
    matplotlib.figure.Figure
        Panels in a grid from :func:`grid_shape`; unused cells switched off.
    """
    missing = {x, y, hue, panel} - set(data.columns)
    if missing:
        raise ValueError(f"data lack column(s) {sorted(missing)}")
    titles = list(dict.fromkeys(data[panel].astype(str)))
    if not titles:
        raise ValueError("data have no rows to draw")
    groups = list(dict.fromkeys(data[hue].astype(str)))
    colours = dict(zip(groups, sns.color_palette("colorblind", len(groups)), strict=True))
    rows, cols, panel_h = grid_shape(len(titles), width, max_height)
    fig, axes = plt.subplots(rows, cols, figsize=(width, LEGEND_IN + AXIS_IN + rows * panel_h),
                             sharex=True, sharey=True, squeeze=False)
    wrap = max(10, int(width / cols * 72 / (FONT * 0.55)))  # characters per title line
    for k, (ax, title) in enumerate(zip(axes.flat, titles, strict=False)):
        sub = data[data[panel].astype(str) == title]
        for g in groups:
            s = sub[sub[hue].astype(str) == g].sort_values(x)
            if not s.empty:
                ax.plot(s[x], s[y], marker="o", ms=4, lw=1.4, color=colours[g], label=g)
        if reference is not None:
            ax.axhline(reference, color="grey", lw=0.8, ls="--")
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.set_title(textwrap.fill(title, wrap), fontsize=FONT)
        if k % cols == 0:
            ax.set_ylabel(ylabel, fontsize=FONT)
        if k + cols >= len(titles):  # the lowest panel of its column
            ax.set_xlabel(xlabel, fontsize=FONT)
            ax.xaxis.set_tick_params(labelbottom=True)
        ax.tick_params(labelsize=FONT)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in list(axes.flat)[len(titles):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    seen = dict(zip(labels, handles, strict=True))
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(lab, h)
    fig.legend(list(seen.values()), list(seen), loc="upper center", ncol=len(seen),
               frameon=False, fontsize=FONT, title=hue_title, title_fontsize=FONT,
               bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout(rect=(0, 0, 1, 1 - LEGEND_IN / fig.get_figheight()), h_pad=0.8,
                     w_pad=0.6)
    return fig
