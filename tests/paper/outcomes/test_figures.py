"""mcbi.paper.outcomes.figures: trajectories by arm."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mcbi.paper.outcomes import figures  # noqa: E402


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


def _texts(fig: plt.Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# --- save ------------------------------------------------------------------------------


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
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Pre", "Post", "Follow-up"]
    assert ax.get_xlabel() == "Wave"
    assert ax.get_ylabel() == "Estimated mean"  # not a scale of the trial: a plain label


def test_trajectories_unknown_outcome() -> None:
    with pytest.raises(ValueError, match="no means for: zz"):
        figures.trajectories(_means(["a"]), ["a", "zz"], {})


# --- path_diagram ----------------------------------------------------------------------


def test_score_label() -> None:
    assert figures.score_label("pms") == "Mean score (1–5)"
    assert figures.score_label("bsi_som") == "Sum score (0–24)"  # 6 items of 0–4
    assert figures.score_label("eus_t") == "Mean score (\u22123 to 3)"
    assert figures.score_label("nonsense") == "Estimated mean"


def test_trajectories_legible_when_printed(tmp_path) -> None:
    """Every text at least 9 pt at the printed width; y labels, x label and one legend."""
    from mcbi.paper.outcomes import families
    from mcbi.paper.render.figures import MIN_PRINT_PT, printed_min_pt, save

    for shown in (list(families.THERAPIST_FIGURE), list(families.PATIENT_FIGURE)):
        fig = figures.trajectories(_means(shown), shown, families.labels(shown))
        visible = [ax for ax in fig.axes if ax.axison]
        assert all(ax.get_ylabel() for ax in visible[::3])  # each row says its score
        assert {ax.get_xlabel() for ax in visible[-3:]} == {"Wave"}
        assert len(fig.legends) == 1
        assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Control", "MCBI"]
        assert printed_min_pt(save(fig, tmp_path, "t")) >= MIN_PRINT_PT


def test_trajectories_never_narrower_panels_than_legible() -> None:
    outcomes = [f"y{i}" for i in range(8)]
    fig = figures.trajectories(_means(outcomes), outcomes, {}, ncols=4)  # 4 asked, 3 fit
    assert len(fig.axes) == 3 * 3


def test_a_long_axis_label_goes_on_two_lines_on_a_low_panel() -> None:
    from mcbi.paper.outcomes.figures import fit_label

    assert fit_label("Mean score (−3 to 3)", 3.0) == "Mean score (−3 to 3)"
    assert fit_label("Mean score (−3 to 3)", 1.4) == "Mean score\n(−3 to 3)"
    assert fit_label("Estimated mean", 0.5) == "Estimated mean"  # nothing to split at


@pytest.mark.parametrize("ncols", [1, 3])
def test_wave_labels_never_touch(ncols) -> None:
    """"Post" and "Follow-up" must not run together ("PostFollow-up") on a narrow panel; a
    wide panel keeps "Follow-up" on one line."""
    outcomes = [f"y{i}" for i in range(ncols * 3)]
    fig = figures.trajectories(_means(outcomes), outcomes, {}, ncols=ncols)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in (a for a in fig.axes if a.axison):
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        assert len(boxes) == 3
        assert all(b.x0 > a.x1 for a, b in zip(boxes, boxes[1:], strict=False))
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == "Pre" and labels[2].replace("\n", "") == "Follow-up"
    if ncols == 1:
        assert labels[2] == "Follow-up"
