"""mcbi.paper.figures: saving, the CONSORT flow, trajectories and path diagrams (Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mcbi.paper import figures  # noqa: E402


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


def _texts(fig: plt.Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# --- save ------------------------------------------------------------------------------


def test_save_writes_png_and_closes(tmp_path) -> None:
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1])
    num = fig.number
    path = figures.save(fig, tmp_path / "out", "01_test")
    assert path == tmp_path / "out" / "figures" / "01_test.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 100
    assert not plt.fignum_exists(num)


def test_save_is_byte_reproducible(tmp_path) -> None:
    def make() -> plt.Figure:
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1, 2], [2, 0, 1])
        return fig

    a = figures.save(make(), tmp_path / "a", "f").read_bytes()
    b = figures.save(make(), tmp_path / "b", "f").read_bytes()
    assert a == b  # no timestamp or software metadata


# --- trajectories ----------------------------------------------------------------------


def _means(outcomes: list[str]) -> pd.DataFrame:
    rows = []
    for k, outcome in enumerate(outcomes):
        for g, group in enumerate(("control", "MCBI")):
            for t, time in enumerate(("pre", "post", "followup")):
                est = k + 0.5 * g * t + 0.1 * t
                rows.append({"outcome": outcome, "group": group, "time": time,
                             "estimate": est, "ci_lower": est - 0.2, "ci_upper": est + 0.3})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("n", "ncols"), [(1, 3), (3, 3), (4, 3), (5, 2)])
def test_trajectories_one_visible_axis_per_outcome(n, ncols) -> None:
    outcomes = [f"y{i}" for i in range(n)]
    titles = {o: f"Title {o}" for o in outcomes}
    fig = figures.trajectories(_means(outcomes), outcomes, titles, ncols=ncols)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == n
    assert len(fig.axes) == ncols * int(np.ceil(n / ncols))
    assert [ax.get_title() for ax in visible] == [titles[o] for o in outcomes]


def test_trajectories_plots_the_estimates() -> None:
    means = _means(["a", "b"])
    fig = figures.trajectories(means, ["b"], {})
    ax = next(ax for ax in fig.axes if ax.axison)
    assert ax.get_title() == "b"  # falls back to the outcome name
    assert len(ax.containers) == 2  # one error-bar series per arm
    for container, group in zip(ax.containers, ("control", "MCBI"), strict=True):
        sub = means[(means["outcome"] == "b") & (means["group"] == group)]
        np.testing.assert_allclose(np.asarray(container.lines[0].get_ydata(), dtype=float),
                                   sub["estimate"].to_numpy())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["pre", "post", "followup"]


def test_trajectories_unknown_outcome() -> None:
    with pytest.raises(ValueError, match="no means for: zz"):
        figures.trajectories(_means(["a"]), ["a", "zz"], {})


# --- path_diagram ----------------------------------------------------------------------


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
