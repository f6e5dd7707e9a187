"""Small multiples laid out for the printed page (mcbi.paper.render.panels)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mcbi.paper.render.figures import (
    MAX_HEIGHT_IN,
    MAX_WIDTH_IN,
    MIN_PRINT_PT,
    png_facts,
    printed_min_pt,
    save,
)
from mcbi.paper.render.panels import MIN_PANEL_IN, grid_shape, line_panels


def test_grid_shape_fits_the_box_and_prefers_large_panels() -> None:
    for n in (1, 2, 5, 12, 20, 30):
        rows, cols, height = grid_shape(n)
        assert rows * cols >= n and rows == -(-n // cols)
        assert MAX_WIDTH_IN / cols >= MIN_PANEL_IN
        assert rows * height <= MAX_HEIGHT_IN - 0.9 + 1e-9  # legend and axis label fit too
    assert grid_shape(1)[1] == 1  # one panel: full width
    assert grid_shape(12)[:2] == (4, 3)  # 4 x 3 gives larger panels than 3 x 4 here
    with pytest.raises(ValueError, match="at least one panel"):
        grid_shape(0)


@pytest.mark.parametrize("n", [3, 12, 24])
def test_line_panels_print_at_their_size_with_9_pt_text(tmp_path: Path, n: int) -> None:
    data = pd.DataFrame([{"panel": f"Target number {k} with a long name", "x": x,
                          "group": g, "y": 0.1 * x / 60 + 0.05 * int(g)}
                         for k in range(n) for x in (10, 20, 40, 63) for g in ("1", "2")])
    fig = line_panels(data, "x", "y", "group", "panel", xlabel="Therapists", ylabel="Power",
                      hue_title="Patients per therapist", reference=0.8, ylim=(0, 1))
    assert sum(ax.get_visible() and ax.axison for ax in fig.axes) == n
    path = save(fig, tmp_path, f"p{n}")
    facts = png_facts(path)
    assert printed_min_pt(path) >= MIN_PRINT_PT
    if n <= 12:  # up to a dozen panels: no scaling at all
        assert facts["width_in"] <= 6.5 + 1e-9 and facts["height_in"] <= 7.2 + 1e-9


def test_line_panels_refuses_missing_columns() -> None:
    with pytest.raises(ValueError, match="lack column"):
        line_panels(pd.DataFrame({"x": [1]}), "x", "y", "g", "p", xlabel="", ylabel="",
                    hue_title="")
