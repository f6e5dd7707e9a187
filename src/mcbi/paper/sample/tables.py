"""The sample chapter's tables: baseline characteristics by arm."""

from __future__ import annotations

import pandas as pd

from mcbi.paper.render.apa import fmt_num
from mcbi.paper.render.phrases import capital
from mcbi.trial import design


def baseline_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`~mcbi.paper.sample.analysis.baseline_table`: SMD formatted, row labels
    capitalized, display headers."""
    out = table.copy()
    out["smd"] = out["smd"].map(lambda v: fmt_num(v, 2))
    # a row label begins with a capital (APA), except a statistic's symbol ("n")
    out["characteristic"] = [c if c in ("n", "N") else capital(c)
                             for c in out["characteristic"].astype(str)]
    return out.rename(columns={"characteristic": "Characteristic", "smd": "SMD",
                               design.CONTROL: "Control", design.TREATED: "MCBI"})
