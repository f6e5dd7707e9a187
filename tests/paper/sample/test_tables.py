"""mcbi.paper.sample.tables: the baseline table."""

from __future__ import annotations

import pandas as pd

from mcbi.paper.render.apa import MINUS
from mcbi.paper.sample import tables


def test_baseline_display() -> None:
    table = pd.DataFrame({"characteristic": ["age, M (SD)"], "control": ["40.00 (10.00)"],
                          "MCBI": ["47.00 (13.11)"], "smd": [-0.123]})
    out = tables.baseline_display(table)
    assert list(out.columns) == ["Characteristic", "Control", "MCBI", "SMD"]
    assert out.loc[0, "SMD"] == MINUS + "0.12"
    assert table.loc[0, "smd"] == -0.123  # the input is not modified
