"""mcbi.paper.mechanism.figures: the path diagram."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mcbi.paper.mechanism import figures  # noqa: E402
from mcbi.paper.render.figures import MIN_PRINT_PT, printed_min_pt, save  # noqa: E402


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


def _panel(edges) -> dict:
    return {"title": "Between", "size": (6.5, 2.0),
            "nodes": {"x": (1.0, 1.0, "X"), "y": (5.0, 1.0, "Y")}, "edges": edges}


def test_path_diagram_draws_panels() -> None:
    fig = figures.path_diagram([_panel([("x", "y", "0.45 [0.12, 0.78]", False)]),
                                _panel([])])
    assert len(fig.axes) == 2
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"X", "Y", "0.45 [0.12, 0.78]"} <= set(texts)
    assert fig.axes[0].get_title(loc="left") == "Between"
    arrow = fig.axes[0].patches[0]
    assert arrow.get_linestyle() not in ("-", "solid")  # not significant: dashed
    # the panels are stacked: the first above the second
    assert fig.axes[0].get_position().y0 > fig.axes[1].get_position().y1


@pytest.mark.parametrize("edge", [("x", "z", "1"), ("w", "y", "1"), ("x", "y")])
def test_path_diagram_bad_edge(edge) -> None:
    with pytest.raises(ValueError, match="unknown node|must be"):
        figures.path_diagram([_panel([("x", "y", "ok"), edge])])


def test_layout_labels_keep_clear_of_other_arrows() -> None:
    """Two arrows side by side: each label sits on its own arrow, clear of the other."""
    panel = {"title": "", "size": (6.5, 3.0), "edges": [("a", "b", "l1"), ("c", "d", "l2")],
             "nodes": {"a": (1, 2, "A"), "b": (5, 2, "B"), "c": (1, 1, "C"),
                       "d": (5, 1, "D")}}
    sizes = {k: (0.6, 0.3) for k in panel["nodes"]}
    out = figures.layout_labels(panel, sizes, [[(1.2, 0.2)], [(1.2, 0.2)]])
    assert all(o["clear"] for o in out)
    assert out[0]["at"][1] == pytest.approx(2) and out[1]["at"][1] == pytest.approx(1)
    # a label too tall for the gap is moved off the other arrow
    tall = figures.layout_labels(panel, sizes, [[(1.2, 1.3)], [(1.2, 0.2)]])
    assert tall[0]["clear"] is False or abs(tall[0]["at"][1] - 1) > 0.65 + 0.05


def test_segment_helpers() -> None:
    p, q = np.array([0.0, 0.0]), np.array([2.0, 2.0])
    assert figures.segments_cross((p, q), (np.array([0.0, 2.0]), np.array([2.0, 0.0])))
    assert not figures.segments_cross((p, q), (p, np.array([2.0, 0.0])))  # shared end
    assert figures.segment_hits_rect(p, q, (0.9, 0.9, 1.1, 1.1))
    assert not figures.segment_hits_rect(p, q, (1.5, 0.0, 2.0, 0.4))


def test_label_forms() -> None:
    assert figures.label_forms("0.45 [0.12, 0.78]") == ["0.45 [0.12, 0.78]",
                                                         "0.45\n[0.12, 0.78]"]
    assert figures.label_forms("0.45") == ["0.45"]


def test_path_diagram_legible_when_printed(tmp_path) -> None:
    fig = figures.path_diagram([_panel([("x", "y", "0.45 [0.12, 0.78]", True)])])
    assert printed_min_pt(save(fig, tmp_path, "diagram")) >= MIN_PRINT_PT
