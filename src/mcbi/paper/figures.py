"""Figures: trajectories by arm, path diagrams, and saving (the CONSORT flow diagram is in
:mod:`mcbi.paper.consort`).

General plotting helpers; each figure of the book is made by exactly one notebook.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

PALETTE = {"control": "#6c757d", "MCBI": "#1f6f8b"}


def save(fig: plt.Figure, out_dir: str | Path, name: str) -> Path:
    """Save ``fig`` as ``<out_dir>/figures/<name>.png`` (150 dpi), close it, return the path.

    A vector twin ``<name>.svg`` (text as paths, fixed ids, no date) is saved beside it for
    the PDF; its description gives the smallest text size (``smallest text 9 pt``), from
    which the PDF tells the size at print.
    """
    path = Path(out_dir) / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight", metadata={"Software": None})
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip()]
    about = f"smallest text {min(sizes):g} pt" if sizes else "no text"
    with plt.rc_context({"svg.hashsalt": name, "svg.fonttype": "path"}):
        fig.savefig(path.with_suffix(".svg"), bbox_inches="tight",
                    metadata={"Date": None, "Description": about})
    plt.close(fig)
    return path


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


def path_diagram(panels: list[dict], figsize: tuple[float, float] = (10, 6.5)) -> plt.Figure:
    """Draw one or more path diagrams side by side.

    Parameters
    ----------
    panels : list of dict
        Each with ``title`` (str), ``nodes`` (name -> (x, y, label), coordinates in 0-1) and
        ``edges`` (list of ``(from, to, text)``; ``text`` is printed on the arrow), and
        optionally ``label_position`` (share of the way from source to target where the
        text sits, default 0.5). Node names must exist for every edge.
    """
    for panel in panels:
        for src, dst, _ in panel["edges"]:
            if src not in panel["nodes"] or dst not in panel["nodes"]:
                raise ValueError(f"edge {src} -> {dst} names an unknown node")
    fig, axes = plt.subplots(1, len(panels), figsize=figsize, squeeze=False)
    for ax, panel in zip(axes.flat, panels, strict=True):
        nodes = panel["nodes"]
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")
        ax.set_title(panel["title"], fontsize=10)
        for _name, (x, y, label) in nodes.items():
            ax.text(x, y, label, ha="center", va="center", fontsize=8.5,
                    bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "0.3"})
        for src, dst, text in panel["edges"]:
            (x0, y0, _), (x1, y1, _) = nodes[src], nodes[dst]
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops={"arrowstyle": "-|>", "lw": 1.0, "color": "0.25",
                                    "shrinkA": 22, "shrinkB": 22})
            t = panel.get("label_position", 0.5)  # share of the way from source to target
            ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), text, fontsize=7.5, ha="center",
                    va="center", color="#1f3b57",
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"})
    fig.tight_layout()
    return fig
