"""mcbi.paper.outcomes.forest: the forest plot of every between-arm effect size."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mcbi.paper.outcomes import forest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


def _table(outcomes: list[str], waves: list[str], d: float = 0.4) -> pd.DataFrame:
    rows = []
    for o in outcomes:
        for w in waves:
            rows.append({"outcome": o, "label": o.upper(), "contrast": "between", "time": w,
                         "d": d, "d_ci_lower": d - 0.3, "d_ci_upper": d + 0.3})
            rows.append({"outcome": o, "label": o.upper(), "contrast": "within", "time": w,
                         "d": np.nan, "d_ci_lower": np.nan, "d_ci_upper": np.nan})
    return pd.DataFrame(rows)


def test_forest_rows_keep_between_rows_with_d() -> None:
    t = _table(["a", "b"], ["post", "followup"])
    t.loc[(t["outcome"] == "b") & (t["time"] == "followup"), "d"] = np.nan
    rows = forest.forest_rows({"Therapists": t, "Patients": _table(["c"], ["post"])})
    assert len(rows) == 3 + 1
    assert list(rows["panel"].unique()) == ["Therapists", "Patients"]
    with pytest.raises(ValueError, match="lacks"):
        forest.forest_rows({"x": t.drop(columns="d")})


def test_forest_plot_panels_markers_and_labels() -> None:
    tables = {"Therapist outcomes": _table(["a", "b"], ["post", "followup"]),
              "Patient outcomes": _table(["bsi"], ["post", "followup"], d=-0.2)}
    fig = forest.forest_plot(tables, "90", frozenset({"bsi"}))
    axes = fig.axes
    assert len(axes) == 2
    assert [ax.get_title(loc="left") for ax in axes] == list(tables)
    assert "90% CI" in axes[-1].get_xlabel() and "Cohen's d" in axes[-1].get_xlabel()
    assert [t.get_text() for t in axes[1].get_yticklabels()] == ["BSI (lower is better)"]
    # one error-bar series per wave per panel, with the d values as x
    xs = [float(x) for c in axes[1].containers for x in c.lines[0].get_xdata()]
    assert xs == pytest.approx([-0.2, -0.2])
    assert len({c.lines[0].get_marker() for c in axes[0].containers}) == 2
    legend = fig.legends[0]  # above the panels, clear of the data
    assert [t.get_text() for t in legend.get_texts()] == ["post", "follow-up"]


def test_forest_plot_one_wave_and_nothing_estimable() -> None:
    fig = forest.forest_plot({"T": _table(["a"], ["post"]),
                              "P": _table(["b"], ["post"]).assign(d=np.nan)})
    assert len(fig.axes) == 1  # the panel without estimates is left out
    empty = forest.forest_plot({"T": _table(["a"], ["post"]).assign(d=np.nan)})
    assert "no effect size" in empty.axes[0].texts[0].get_text()
