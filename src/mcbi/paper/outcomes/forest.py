"""Forest plot of the between-arm effect sizes (Cohen's d with its interval).

One panel per respondent group (therapists, patients), one row per outcome, one marker per
post-baseline wave (colour and marker shape both differ, from seaborn's colour-blind-safe
palette). Contrasts without an estimate are left out; :func:`forest_rows` says which.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from mcbi.trial import design

__all__ = ["forest_plot", "forest_rows"]

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


def forest_plot(tables: dict[str, pd.DataFrame], ci_pct: str = "95",
                lower_is_better: frozenset[str] = frozenset(),
                width: float = 7.0) -> plt.Figure:
    """Cohen's d and its interval for every between-arm contrast, by panel and wave.

    Parameters
    ----------
    tables : dict
        Panel title -> contrast table (see :func:`forest_rows`).
    ci_pct : str, default "95"
        The interval level in percent, for the axis label.
    lower_is_better : frozenset of str
        Outcomes whose improvement is a decrease; their labels say "(lower is better)".
    width : float, default 7.0
        Figure width in inches (page width).

    Returns
    -------
    matplotlib.figure.Figure
        With one axis per panel that has at least one estimate (one axis with a message when
        none has).
    """
    rows = forest_rows(tables)
    panels = [p for p in tables if (rows["panel"] == p).any()]
    waves = list(dict.fromkeys(rows["time"].astype(str)))
    colours = dict(zip(waves, sns.color_palette("colorblind", max(len(waves), 1)), strict=False))
    sizes = [max(rows[rows["panel"] == p]["outcome"].nunique(), 1) for p in panels] or [1]
    fig, axes = plt.subplots(len(sizes), 1, figsize=(width, 0.9 + 0.32 * sum(sizes)
                                                     + 0.5 * len(sizes)),
                             sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": sizes})
    if not panels:
        axes[0, 0].text(0.5, 0.5, "no effect size could be estimated", ha="center",
                        va="center", transform=axes[0, 0].transAxes)
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
                        capsize=2.5, lw=1.2, label=design.wave_label(wave))
        labels = dict(zip(sub["outcome"], sub["label"], strict=False))
        ax.set_yticks([ypos[o] for o in order],
                      [labels[o] + (" (lower is better)" if o in lower_is_better else "")
                       for o in order], fontsize=8.5)
        ax.set_ylim(-0.6, len(order) - 0.4)
        ax.axvline(0, color="0.4", lw=0.8, ls="--")
        ax.set_title(panel, fontsize=10, loc="left")
        ax.grid(axis="x", color="0.9", lw=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelsize=8.5)
    axes[-1, 0].set_xlabel(f"Cohen's d, MCBI − control difference in change "
                           f"({ci_pct}% CI)", fontsize=9)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    top = 1 - 0.45 / fig.get_figheight()
    fig.legend(handles, labels, title="Change from baseline to", fontsize=8,
               title_fontsize=8, frameon=False, loc="upper center", ncol=max(len(waves), 1),
               bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout(rect=(0, 0, 1, top))
    return fig
