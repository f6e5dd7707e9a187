"""The sample chapter's tables: baseline characteristics by arm."""

from __future__ import annotations

import pandas as pd

from mcbi.paper.render.apa import fmt_num
from mcbi.trial import design


def baseline_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`~mcbi.paper.sample.analysis.baseline_table`: SMD formatted, display headers."""
    out = table.copy()
    out["smd"] = out["smd"].map(lambda v: fmt_num(v, 2))
    return out.rename(columns={"characteristic": "Characteristic", "smd": "SMD",
                               design.CONTROL: "Control", design.TREATED: "MCBI"})
