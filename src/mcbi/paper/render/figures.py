"""Figures: trajectories by arm, path diagrams, and saving (the CONSORT flow diagram is in
:mod:`mcbi.paper.sample.consort`).

General plotting helpers; each figure of the book is made by exactly one notebook.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

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


