"""The mechanism path diagram."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


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
