"""mcbi.trial.reliability: alpha and omega of every scale, per wave."""

from __future__ import annotations

import pandas as pd
import pytest

from mcbi.stats.reliability import cronbach_alpha
from mcbi.synth.simulate import simulate
from mcbi.trial.instruments import DASS21, PMS, THERAPIST_INSTRUMENTS
from mcbi.trial.reliability import reliability_table

SCS = next(i for i in THERAPIST_INSTRUMENTS if i.code == "scs")


def test_reliability_table_by_wave() -> None:
    trial = simulate(7)
    instruments = [PMS, SCS, DASS21]  # the others take longer and add no new case
    tab = reliability_table(trial.therapist_responses, instruments, by="wave")
    assert list(tab.columns) == ["instrument", "scale", "label", "wave", "n_items", "n",
                                 "alpha", "omega"]
    n_scales = sum(len(i.scales) for i in instruments)
    assert len(tab) == 3 * n_scales
    two_item = tab[tab["n_items"] == 2]
    assert len(two_item) == 3 * 6 and two_item["omega"].isna().all()
    assert two_item["alpha"].notna().all()
    # the generator aims at alpha of about 0.75-0.92 for the multi-item scales
    long = tab[tab["n_items"] >= 7]
    assert long["alpha"].between(0.6, 0.97).all(), long[["scale", "wave", "alpha"]]
    assert long["omega"].between(0.6, 0.97).all()
    pms_pre = tab[(tab["scale"] == "pms") & (tab["wave"] == "pre")].iloc[0]
    items = trial.therapist_responses.loc[trial.therapist_responses["wave"] == "pre",
                                          PMS.item_columns]
    assert pms_pre["n"] == len(items.dropna())
    assert pms_pre["alpha"] == pytest.approx(cronbach_alpha(items))


def test_reliability_table_requires_by_column() -> None:
    with pytest.raises(ValueError, match="not in the responses"):
        reliability_table(pd.DataFrame({"x": [1]}), [PMS], by="wave")
