"""mcbi.paper.mechanism.figures: the path diagram."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from mcbi.paper.mechanism import figures  # noqa: E402


def _panel(edges) -> dict:
    return {"title": "Between", "nodes": {"x": (0.2, 0.5, "X"), "y": (0.8, 0.5, "Y")},
            "edges": edges}


def test_path_diagram_draws_panels() -> None:
    fig = figures.path_diagram([_panel([("x", "y", "0.45")]), _panel([])])
    assert len(fig.axes) == 2
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"X", "Y", "0.45"} <= set(texts)
    assert fig.axes[0].get_title() == "Between"


@pytest.mark.parametrize("edge", [("x", "z", "1"), ("w", "y", "1")])
def test_path_diagram_unknown_node(edge) -> None:
    with pytest.raises(ValueError, match="unknown node"):
        figures.path_diagram([_panel([("x", "y", "ok"), edge])])
