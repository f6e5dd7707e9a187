"""mcbi.trial.reliability: alpha and omega of every scale, per wave present in the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.stats.reliability import cronbach_alpha
from mcbi.synth.simulate import simulate
from mcbi.trial.instruments import DASS21, PMS, THERAPIST_INSTRUMENTS
from mcbi.trial.reliability import COLUMNS, reliability_table

SCS = next(i for i in THERAPIST_INSTRUMENTS if i.code == "scs")


@pytest.fixture(scope="module")
def responses() -> pd.DataFrame:
    return simulate(7).therapist_responses


def test_reliability_table_by_wave(responses) -> None:
    instruments = [PMS, SCS, DASS21]  # the others take longer and add no new case
    tab = reliability_table(responses, instruments, by="wave")
    assert list(tab.columns) == ["instrument", "scale", "label", "wave", *COLUMNS[3:]]
    n_scales = sum(len(i.scales) for i in instruments)
    assert len(tab) == 3 * n_scales
    two_item = tab[tab["n_items"] == 2]
    assert len(two_item) == 3 * 6 and two_item["omega"].isna().all()
    assert two_item["alpha"].notna().all()
    # the generator aims at alpha of about 0.75-0.92 for the multi-item scales
    long = tab[tab["n_items"] >= 7]
    assert long["alpha"].between(0.6, 0.97).all(), long[["scale", "wave", "alpha"]]
    assert long["omega"].between(0.6, 0.97).all()
    assert not tab["small_n"].any()  # 63 therapists: at least 30 at every wave
    pms_pre = tab[(tab["scale"] == "pms") & (tab["wave"] == "pre")].iloc[0]
    items = responses.loc[responses["wave"] == "pre", PMS.item_columns]
    assert pms_pre["n_complete"] == len(items.dropna())
    assert pms_pre["n_respondents"] == len(items.dropna(how="all"))
    assert pms_pre["alpha"] == pytest.approx(cronbach_alpha(items))  # pairwise


def test_only_waves_present_are_reported(responses) -> None:
    pre_post = responses[responses["wave"].astype(str) != "followup"]
    tab = reliability_table(pre_post, [PMS], by="wave")
    assert sorted(tab["wave"].astype(str)) == ["post", "pre"]


def test_small_samples_are_flagged_and_tiny_ones_explained(responses) -> None:
    pre = responses[responses["wave"].astype(str) == "pre"]
    few = pre.head(12)
    tab = reliability_table(few, [PMS], by="wave", min_n=30)
    row = tab.iloc[0]
    assert row["small_n"] and np.isfinite(row["alpha"])
    two = pre.head(2)
    row = reliability_table(two, [PMS], by="wave").iloc[0]
    assert np.isnan(row["alpha"]) and row["note"].startswith("not estimable")
    assert not row["small_n"]  # no estimate to flag: the note says why


def test_reliability_table_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="not in the responses"):
        reliability_table(pd.DataFrame({"x": [1]}), [PMS], by="wave")
    with pytest.raises(ValueError, match="min_n"):
        reliability_table(pd.DataFrame({"wave": ["pre"]}), [PMS], by="wave", min_n=0)
