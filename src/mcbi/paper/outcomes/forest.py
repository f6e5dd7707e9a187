"""Forest plot of the between-arm effect sizes (Cohen's d with its interval).

One panel per respondent group (therapists, patients), one row per outcome, one marker per
post-baseline wave (colour and marker shape both differ, from seaborn's colour-blind-safe
palette). Every d is signed so that right of zero favours the MCBI: the sign of an outcome
where lower scores are better is reversed, and its label is marked. Contrasts without an
estimate are left out; :func:`forest_rows` says which.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from mcbi.paper.render.figures import MAX_HEIGHT_IN, PRINT_WIDTH_IN  # noqa: E402
from mcbi.trial import design

__all__ = ["favours_mcbi", "forest_plot", "forest_rows"]

_MARKERS = ("o", "s", "D", "^")


def forest_rows(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The between-arm rows of each table that have an effect size.

    Parameters
    ----------
    tables : dict
        Panel title -> contrast table (columns ``outcome, label, contrast, time, d,
        d_ci_lower, d_ci_upper``, as :attr:`mcbi.paper.outcomes.models.OutcomeAnalysis.contrasts`).

    Returns
    -------
    DataFrame
        Columns ``panel, outcome, label, time, d, d_ci_lower, d_ci_upper``.
    """
    parts = []
    for panel, table in tables.items():
        missing = {"outcome", "label", "contrast", "time", "d", "d_ci_lower",
                   "d_ci_upper"} - set(table.columns)
        if missing:
            raise ValueError(f"table {panel!r} lacks column(s) {sorted(missing)}")
        sel = table[(table["contrast"] == "between") & table["d"].notna()]
        sel = sel[["outcome", "label", "time", "d", "d_ci_lower", "d_ci_upper"]].copy()
        sel.insert(0, "panel", panel)
        parts.append(sel)
    cols = ["panel", "outcome", "label", "time", "d", "d_ci_lower", "d_ci_upper"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


REVERSED_MARK = "\u2020"
"""Marks an outcome whose sign was reversed (lower is better) in the forest plot's labels."""

FONT = 9.5
"""Text size (points) of the forest plot, printed at its own width."""
ROW_IN = 0.24
"""Height of an outcome's row (inches) when the page has room for it."""
MIN_ROW_IN = 1.45 * FONT / 72
"""Lowest row (inches) whose labels do not touch: rows are made lower, down to it, so that
the figure fits the printed page (:data:`MAX_HEIGHT_IN`)."""


def favours_mcbi(rows: pd.DataFrame, lower_is_better: frozenset[str]) -> pd.DataFrame:
    """``rows`` (:func:`forest_rows`) with d signed so that a positive value favours the MCBI.

    For the outcomes in ``lower_is_better`` d and its interval change sign (the bounds swap);
    a column ``reversed`` says which rows were changed.
    """
    flip = rows["outcome"].isin(lower_is_better)
    out = rows.copy()
    out["reversed"] = flip
    out.loc[flip, "d"] = -rows.loc[flip, "d"]
    out.loc[flip, "d_ci_lower"] = -rows.loc[flip, "d_ci_upper"]
    out.loc[flip, "d_ci_upper"] = -rows.loc[flip, "d_ci_lower"]
    return out


def forest_plot(tables: dict[str, pd.DataFrame], ci_pct: str = "95",
                lower_is_better: frozenset[str] = frozenset(),
                width: float = PRINT_WIDTH_IN,
                max_height: float = MAX_HEIGHT_IN) -> plt.Figure:
    """Cohen's d and its interval for every between-arm contrast, by panel and wave, signed
    so that right of zero favours the MCBI for every outcome.

    Parameters
    ----------
    tables : dict
        Panel title -> contrast table (see :func:`forest_rows`).
    ci_pct : str, default "95"
        The interval level in percent, for the axis label.
    lower_is_better : frozenset of str
        Outcomes whose improvement is a decrease: their d and interval are drawn with the
        sign reversed (:func:`favours_mcbi`) and their labels carry :data:`REVERSED_MARK`.
    width : float
        Figure width in inches (the printed text width).
    max_height : float
        Tallest figure in inches (the printed page's figure box): rows are made lower (to at
        least :data:`MIN_ROW_IN`) when the outcomes do not fit at :data:`ROW_IN`.

    Returns
    -------
    matplotlib.figure.Figure
        With one axis per panel that has at least one estimate (one axis with a message when
        none has); under the lowest axis, "Favours control" left and "Favours MCBI" right.
    """
    rows = favours_mcbi(forest_rows(tables), lower_is_better)
    panels = [p for p in tables if (rows["panel"] == p).any()]
    waves = list(dict.fromkeys(rows["time"].astype(str)))
    colours = dict(zip(waves, sns.color_palette("colorblind", max(len(waves), 1)), strict=False))
    sizes = [max(rows[rows["panel"] == p]["outcome"].nunique(), 1) for p in panels] or [1]
    fixed = 1.2 + 0.5 * len(sizes)  # legend, axis labels and panel titles
    row = max(MIN_ROW_IN, min(ROW_IN, (max_height - fixed) / sum(sizes)))
    fig, axes = plt.subplots(len(sizes), 1, figsize=(width, fixed + row * sum(sizes)),
                             sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": sizes})
    if not panels:
        axes[0, 0].text(0.5, 0.5, "No effect size could be estimated.", ha="center",
                        va="center", transform=axes[0, 0].transAxes, fontsize=FONT)
        axes[0, 0].set_axis_off()
        return fig
    step = 0.22 if len(waves) > 1 else 0.0
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        sub = rows[rows["panel"] == panel]
        order = list(dict.fromkeys(sub["outcome"]))
        ypos = {o: len(order) - 1 - i for i, o in enumerate(order)}
        for k, wave in enumerate(waves):
            s = sub[sub["time"].astype(str) == wave]
            if s.empty:
                continue
            y = np.array([ypos[o] for o in s["outcome"]]) + (k - (len(waves) - 1) / 2) * -step
            ax.errorbar(s["d"], y, xerr=np.vstack([s["d"] - s["d_ci_lower"],
                                                   s["d_ci_upper"] - s["d"]]),
                        fmt=_MARKERS[k % len(_MARKERS)], color=colours[wave], ms=5,
                        capsize=2.5, lw=1.2, label=design.wave_label(wave, capital=True))
        labels = dict(zip(sub["outcome"], sub["label"], strict=False))
        flipped = set(sub.loc[sub["reversed"], "outcome"])
        ax.set_yticks([ypos[o] for o in order],
                      [labels[o] + (f" {REVERSED_MARK}" if o in flipped else "")
                       for o in order], fontsize=FONT)
        ax.set_ylim(-0.6, len(order) - 0.4)
        ax.axvline(0, color="0.4", lw=0.8, ls="--")
        ax.set_title(panel, fontsize=FONT + 1, loc="left", fontweight="bold")
        ax.grid(axis="x", color="0.9", lw=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelsize=FONT)
    last = axes[-1, 0]
    # whole steps of 0.2 or 0.5 (never 0.25: its labels run into each other at 9.5 pt)
    last.xaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 5, 10]))
    last.set_xlabel(f"Cohen's $d$ of the difference in change ({ci_pct}% CI)", fontsize=FONT,
                    labelpad=FONT * 2.2)
    for text, ha, dx in (("\u2190 Favours control", "right", -6),
                         ("Favours MCBI \u2192", "left", 6)):
        last.annotate(text, xy=(0, 0), xycoords=("data", "axes fraction"),
                      xytext=(dx, -FONT * 2.4), textcoords="offset points", ha=ha, va="top",
                      fontsize=FONT, fontstyle="italic")
    if rows["reversed"].any():
        fig.text(0.01, 0.005, f"{REVERSED_MARK} Lower scores are better: sign reversed, so "
                 "that right favours the MCBI.", fontsize=FONT, ha="left", va="bottom")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    top = 1 - 0.45 / fig.get_figheight()
    bottom = 0.3 / fig.get_figheight() if rows["reversed"].any() else 0
    fig.legend(handles, labels, title="Change from baseline to", fontsize=FONT,
               title_fontsize=FONT, frameon=False, loc="upper center",
               ncol=max(len(waves), 1), bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout(rect=(0, bottom, 1, top))
    return fig
