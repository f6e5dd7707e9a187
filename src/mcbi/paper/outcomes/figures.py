"""Trajectories by arm: model-estimated means with intervals, one panel per outcome."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from mcbi.paper.render.figures import PALETTE  # noqa: E402


def trajectories(means: pd.DataFrame, outcomes: list[str], titles: dict[str, str],
                 group: str = "group", time: str = "time", ncols: int = 3) -> plt.Figure:
    """Model-estimated means and 95% CIs by group and wave, one panel per outcome.

    ``means`` has columns ``outcome, group, time, estimate, ci_lower, ci_upper`` (as from
    :func:`mcbi.stats.lmm.marginal_means`); waves are plotted in their order of appearance.
    """
    missing = set(outcomes) - set(means["outcome"])
    if missing:
        raise ValueError(f"no means for: {', '.join(sorted(missing))}")
    nrows = int(np.ceil(len(outcomes) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 2.6 * nrows), squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        sub = means[means["outcome"] == outcome]
        waves = list(dict.fromkeys(sub[time].astype(str)))
        groups = list(dict.fromkeys(sub[group].astype(str)))
        for j, g in enumerate(groups):
            s = sub[sub[group].astype(str) == g]
            s = s.set_index(s[time].astype(str)).loc[waves]
            x = np.arange(len(waves)) + (j - (len(groups) - 1) / 2) * 0.08
            err = np.vstack([s["estimate"] - s["ci_lower"], s["ci_upper"] - s["estimate"]])
            ax.errorbar(x, s["estimate"], yerr=err, marker="o", ms=4, capsize=3, lw=1.2,
                        color=PALETTE.get(g), label=g)
        ax.set_xticks(range(len(waves)), waves)
        ax.set_title(titles.get(outcome, outcome), fontsize=9)
        ax.tick_params(labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
