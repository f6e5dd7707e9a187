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
    assert "90% CI" in axes[-1].get_xlabel() and "Cohen's $d$" in axes[-1].get_xlabel()
    assert [t.get_text() for t in axes[1].get_yticklabels()] == ["BSI \u2020"]
    # one error-bar series per wave per panel; lower is better: the sign is reversed
    xs = [float(x) for c in axes[1].containers for x in c.lines[0].get_xdata()]
    assert xs == pytest.approx([0.2, 0.2])
    xs = [float(x) for c in axes[0].containers for x in c.lines[0].get_xdata()]
    assert xs == pytest.approx([0.4] * 4)  # higher is better: as estimated
    favours = [t.get_text() for t in axes[-1].texts]
    assert favours == ["\u2190 Favours control", "Favours MCBI \u2192"]
    assert any("sign reversed" in t.get_text() for t in fig.texts)
    assert len({c.lines[0].get_marker() for c in axes[0].containers}) == 2
    legend = fig.legends[0]  # above the panels, clear of the data
    assert [t.get_text() for t in legend.get_texts()] == ["Post", "Follow-up"]


def test_favours_mcbi_swaps_the_bounds() -> None:
    rows = forest.forest_rows({"P": _table(["bsi", "phi"], ["post"], d=-0.2)})
    out = forest.favours_mcbi(rows, frozenset({"bsi"}))
    bsi, phi = out.iloc[0], out.iloc[1]
    assert (bsi["d"], bsi["d_ci_lower"], bsi["d_ci_upper"]) == pytest.approx((0.2, -0.1, 0.5))
    assert (phi["d"], phi["d_ci_lower"], phi["d_ci_upper"]) == pytest.approx((-0.2, -0.5, 0.1))
    assert list(out["reversed"]) == [True, False]


def test_forest_plot_legible_when_printed(tmp_path) -> None:
    from mcbi.paper.outcomes import families
    from mcbi.paper.render.figures import MIN_PRINT_PT, printed_min_pt, save

    tables = {"Therapist outcomes": _table(list(families.THERAPIST_FIGURE), ["post", "followup"]),
              "Patient outcomes": _table(list(families.PATIENT_FIGURE), ["post", "followup"])}
    fig = forest.forest_plot(tables, "95", families.LOWER_IS_BETTER)
    ticks = fig.axes[-1].get_xticks()
    assert len(ticks) <= 8  # tick labels that do not run into each other
    assert printed_min_pt(save(fig, tmp_path, "forest")) >= MIN_PRINT_PT


def test_forest_plot_one_wave_and_nothing_estimable() -> None:
    fig = forest.forest_plot({"T": _table(["a"], ["post"]),
                              "P": _table(["b"], ["post"]).assign(d=np.nan)})
    assert len(fig.axes) == 1  # the panel without estimates is left out
    empty = forest.forest_plot({"T": _table(["a"], ["post"]).assign(d=np.nan)})
    assert "No effect size" in empty.axes[0].texts[0].get_text()
