"""Trajectories by arm: model-estimated means with intervals, one panel per outcome."""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from mcbi.paper.render.figures import MAX_HEIGHT_IN, PALETTE, PRINT_WIDTH_IN  # noqa: E402
from mcbi.trial import design  # noqa: E402
from mcbi.trial.instruments import find_scale  # noqa: E402

FONT = 9.5
"""Text size (points) of the trajectories; the figure is :data:`PRINT_WIDTH_IN` wide."""
MIN_PANEL_IN = 2.1
"""Narrowest panel (inches) at which "Pre", "Post" and "Follow-up" sit apart."""
MIN_PANEL_HEIGHT_IN = 1.3
"""Lowest panel (inches) that still shows a title, three ticks and the wave labels; panels
are flattened towards it so that the figure fits the printed page (:data:`MAX_HEIGHT_IN`)."""


def score_label(outcome: str) -> str:
    """The y-axis label of ``outcome``: its kind of score and range, e.g. "Mean score (1–5)".

    An outcome that is not a scale of the trial's instruments is labelled "Estimated mean".
    """
    try:
        instrument, scale = find_scale(outcome)
    except ValueError:
        return "Estimated mean"
    n = len(scale.items) if scale.rule == "sum" else 1
    low, high = instrument.low * n, instrument.high * n
    span = f"{low:g} to {high:g}" if low < 0 else f"{low:g}–{high:g}"
    kind = "Sum score" if scale.rule == "sum" else "Mean score"
    return f"{kind} ({span})".replace("-", "\u2212")


def fit_label(label: str, height: float) -> str:
    """``label`` on two lines (its range in parentheses below) when one line, at
    :data:`FONT`, would be longer than the axis of a ``height`` inch high panel (about 0.7
    of it: its title and tick labels take the rest)."""
    if len(label) * FONT * 0.55 / 72 > 0.7 * height and " (" in label:
        return label.replace(" (", "\n(", 1)
    return label


def trajectories(means: pd.DataFrame, outcomes: list[str], titles: dict[str, str],
                 group: str = "group", time: str = "time", ncols: int = 3,
                 ylabels: dict[str, str] | None = None,
                 width: float = PRINT_WIDTH_IN,
                 max_height: float = MAX_HEIGHT_IN) -> plt.Figure:
    """Model-estimated means and their CIs by group and wave, one panel per outcome.

    Parameters
    ----------
    means : DataFrame
        Columns ``outcome, group, time, estimate, ci_lower, ci_upper`` (as from
        :func:`mcbi.stats.lmm.marginal_means`); waves are plotted in their order of
        appearance and labelled with :func:`mcbi.trial.design.wave_label`.
    outcomes : list of str
        The outcomes to draw, one panel each.
    titles : dict
        Outcome -> panel title (the outcome's name when missing).
    ncols : int, default 3
        Panels per row; at most one per :data:`MIN_PANEL_IN` inches of ``width`` (fewer
        are used when more are asked for, so that the text stays legible).
    ylabels : dict, optional
        Outcome -> y-axis label; by default :func:`score_label`.
    width : float
        Figure width in inches (the printed text width); panels are about square.
    max_height : float
        Tallest figure (inches, the printed page's figure box): more rows than fit square
        are flattened (to at most :data:`MIN_PANEL_HEIGHT_IN` each), so the figure prints
        at its size and its text at the size drawn.

    Returns
    -------
    matplotlib.figure.Figure
        One visible axis per outcome (the unused cells of the grid switched off), the x axis
        labelled "Wave" under the lowest panel of each column and one legend for the arms.
    """
    missing = set(outcomes) - set(means["outcome"])
    if missing:
        raise ValueError(f"no means for: {', '.join(sorted(missing))}")
    if ncols < 1:
        raise ValueError("ncols must be at least 1")
    ncols = min(ncols, max(1, int(width // MIN_PANEL_IN)))
    ylabels = ylabels or {}
    nrows = int(np.ceil(len(outcomes) / ncols))
    panel = width / ncols
    height = max(MIN_PANEL_HEIGHT_IN, min(panel * 0.88, (max_height - 0.45) / nrows))
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, 0.45 + height * nrows),
                             squeeze=False)
    left = ""
    # characters per title line: as wide as the axis (the panel less its y labels), so that a
    # title never reaches over the y-axis label of its panel
    wrap = max(12, int((panel - 0.55) * 72 / (FONT * 0.55)))
    for k, (ax, outcome) in enumerate(zip(axes.flat, outcomes, strict=False)):
        sub = means[means["outcome"] == outcome]
        waves = list(dict.fromkeys(sub[time].astype(str)))
        groups = list(dict.fromkeys(sub[group].astype(str)))
        for j, g in enumerate(groups):
            s = sub[sub[group].astype(str) == g]
            s = s.set_index(s[time].astype(str)).reindex(waves)
            x = np.arange(len(waves)) + (j - (len(groups) - 1) / 2) * 0.1
            err = np.vstack([s["estimate"] - s["ci_lower"], s["ci_upper"] - s["estimate"]])
            ax.errorbar(x, s["estimate"], yerr=err, marker="o", ms=4, capsize=3, lw=1.3,
                        color=PALETTE.get(g), label=g[:1].upper() + g[1:])
        ax.set_xticks(range(len(waves)), [design.wave_label(w, capital=True) for w in waves])
        ax.set_xlim(-0.3, len(waves) - 0.7)
        ax.set_title(textwrap.fill(titles.get(outcome, outcome), wrap), fontsize=FONT + 0.5)
        ylabel = ylabels.get(outcome, score_label(outcome))
        if k % ncols == 0 or ylabel != left:  # said once per row while it stays the same
            ax.set_ylabel(fit_label(ylabel, height), fontsize=FONT)
        left = ylabel
        below = k + ncols
        if below >= len(outcomes):  # the lowest panel of its column
            ax.set_xlabel("Wave", fontsize=FONT)
        ax.tick_params(labelsize=FONT - 0.5)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.axis("off")
    handles, labels = [], []
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    top = 1 - 0.4 / fig.get_figheight()
    if handles:
        fig.legend(handles, labels, loc="upper center", ncol=len(handles), frameon=False,
                   fontsize=FONT, bbox_to_anchor=(0.5, 1.0), title=None)
    fig.tight_layout(rect=(0, 0, 1, top), h_pad=1.2, w_pad=0.8)
    if _break_crowded_ticks(fig, [ax for ax in axes.flat if ax.axison]):
        fig.tight_layout(rect=(0, 0, 1, top), h_pad=1.2, w_pad=0.8)
    return fig


def _break_crowded_ticks(fig, axes: list) -> bool:
    """Put hyphenated x tick labels ("Follow-up") on two lines in every panel when the
    labels of any panel would touch each other; return whether they were broken.

    No draw is needed: the labels' places follow the layout, and ``get_xticklabels``
    brings the ticks up to date first."""
    renderer = fig.canvas.get_renderer()
    crowded = False
    for ax in axes:
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        gap = 0.15 * FONT / 72 * fig.dpi  # at least a space between two labels
        if any(b.x0 - a.x1 < gap for a, b in zip(boxes, boxes[1:], strict=False)):
            crowded = True
            break
    if crowded:
        for ax in axes:
            labels = [t.get_text().replace("-", "-\n") for t in ax.get_xticklabels()]
            ax.set_xticks(ax.get_xticks(), labels)
    return crowded
