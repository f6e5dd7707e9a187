"""Instrument registry and scoring, against keys and scores worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.trial.instruments import (
    BSI18,
    DASS21,
    MIN_ANSWERED,
    PATIENT_INSTRUMENTS,
    PHI,
    PMS,
    TECA,
    THERAPIST_INSTRUMENTS,
    WATOCI,
    Instrument,
    Scale,
    find_scale,
    instruments_for,
    item_column,
    keyed_items,
    scale_names,
    score_instruments,
    score_scale,
)

NAN = np.nan
ALL = THERAPIST_INSTRUMENTS + PATIENT_INSTRUMENTS


def _instrument(code: str, respondent: str = "therapist") -> Instrument:
    return next(i for i in instruments_for(respondent) if i.code == code)


def _scale(instrument: Instrument, name: str) -> Scale:
    return next(s for s in instrument.scales if s.name == name)


def _responses(instrument: Instrument, values: dict[int, float], default: float = NAN):
    """One respondent's items: ``values`` by item number, others ``default``."""
    row = {col: values.get(i, default)
           for i, col in enumerate(instrument.item_columns, start=1)}
    return pd.DataFrame([row])


def _score(instrument: Instrument, scale_name: str, values: dict[int, float],
           default: float = NAN) -> float:
    frame = _responses(instrument, values, default)
    return float(score_scale(frame, instrument, _scale(instrument, scale_name)).iloc[0])


# ----------------------------------------------------------------------- reverse keys


def test_ffmq_reversed_item_is_six_minus_value() -> None:
    ffmq = _instrument("ffmq")
    # nonjudging = items 3, 10, 14, 17, 25, 30, 35, 39, all reversed on 1..5 (6 - x):
    # raw 1 everywhere except item 3 = 2 -> keyed 5 x 7 and 4 -> (35 + 4) / 8 = 4.875
    values = {i: 1 for i in (10, 14, 17, 25, 30, 35, 39)} | {3: 2}
    assert _score(ffmq, "ffmq_nj", values) == pytest.approx(39 / 8)
    keyed = keyed_items(_responses(ffmq, {3: 2}, 1), ffmq, _scale(ffmq, "ffmq_nj"))
    assert keyed["ffmq_03"].iloc[0] == 4


def test_ffmq_describing_reverses_only_its_negative_items() -> None:
    ffmq = _instrument("ffmq")
    # describing = 2, 7, 12, 16, 22, 27, 32, 37 with 12, 16, 22 reversed; all raw = 2:
    # five items stay 2, three become 4 -> (10 + 12) / 8 = 2.75
    assert _score(ffmq, "ffmq_des", {}, default=2) == pytest.approx(22 / 8)
    # observing has no reversed item: raw mean
    obs = dict(zip((1, 6, 11, 15, 20, 26, 31, 36), (1, 2, 3, 4, 5, 1, 2, 3), strict=True))
    assert _score(ffmq, "ffmq_obs", obs) == pytest.approx(21 / 8)


def test_eus_reversal_is_negation_on_minus3_to_plus3() -> None:
    for form, respondent in (("eust", "therapist"), ("eusp", "patient")):
        eus = _instrument(form, respondent)
        scale = eus.scales[0]
        assert (eus.low, eus.high, eus.excluded_values) == (-3, 3, (0,))
        assert scale.reverse == tuple(range(2, 17, 2))
        values = [-3, -2, -1, 1, 2, 3]
        frame = pd.DataFrame({col: values for col in eus.item_columns})
        keyed = keyed_items(frame, eus, scale)
        for i, col in enumerate(eus.item_columns, start=1):
            expected = [-v for v in values] if i % 2 == 0 else values
            assert keyed[col].tolist() == expected, col
        # odd items raw 2, even items raw -1 (-> keyed 1): (8 * 2 + 8 * 1) / 16 = 1.5
        raw = {i: (2 if i % 2 else -1) for i in range(1, 17)}
        assert _score(eus, scale.name, raw) == pytest.approx(1.5)


def test_phi_reverses_items_4_and_9_as_ten_minus_value() -> None:
    # all raw 7 except items 4 and 9 = 2 (keyed 8): (9 * 7 + 2 * 8) / 11 = 79 / 11
    assert (PHI.low, PHI.high) == (0, 10)
    assert _score(PHI, "phi", {4: 2, 9: 2}, default=7) == pytest.approx(79 / 11)


def test_scs_total_reverses_uncompassionate_items_subscales_do_not() -> None:
    scs = _instrument("scs")
    total = _scale(scs, "scs")
    assert total.items == tuple(range(1, 13))
    assert total.reverse == (1, 4, 8, 9, 11, 12)
    assert all(s.reverse == () for s in scs.scales if s.name != "scs")
    # raw 3 everywhere, item 1 = 5: total keys it as 1 -> (11 * 3 + 1) / 12;
    # over-identification (1, 9) keeps it raw -> (5 + 3) / 2 = 4
    assert _score(scs, "scs", {1: 5}, default=3) == pytest.approx(34 / 12)
    assert _score(scs, "scs_oi", {1: 5}, default=3) == pytest.approx(4.0)


# ------------------------------------------------------------------ subscale membership


def _check_partition(scales: list[Scale], sizes: list[int], n_items: int) -> None:
    assert [len(s.items) for s in scales] == sizes
    members = [i for s in scales for i in s.items]
    assert len(members) == len(set(members)), "subscales overlap"
    assert sorted(members) == list(range(1, n_items + 1)), "subscales do not cover the items"


def test_ffmq_facets_partition_the_39_items() -> None:
    ffmq = _instrument("ffmq")
    facets = [s for s in ffmq.scales if s.name != "ffmq"]
    assert [s.name for s in facets] == ["ffmq_obs", "ffmq_des", "ffmq_act", "ffmq_nj",
                                        "ffmq_nr"]
    _check_partition(facets, [8, 8, 8, 8, 7], 39)


def test_ffmq_total_uses_baer_reverse_key() -> None:
    # Baer et al. (2006): the 19 negatively worded items
    baer = (3, 5, 8, 10, 12, 13, 14, 16, 17, 18, 22, 23, 25, 28, 30, 34, 35, 38, 39)
    ffmq = _instrument("ffmq")
    total = _scale(ffmq, "ffmq")
    assert total.items == tuple(range(1, 40))
    assert total.reverse == baer
    facet_reverse = sorted(i for s in ffmq.scales if s.name != "ffmq" for i in s.reverse)
    assert tuple(facet_reverse) == baer


def test_scs_subscales_partition_the_12_items() -> None:
    scs = _instrument("scs")
    _check_partition([s for s in scs.scales if s.name != "scs"], [2] * 6, 12)


def test_dass21_published_key() -> None:
    assert {s.name: s.items for s in DASS21.scales} == {
        "dass_dep": (3, 5, 10, 13, 16, 17, 21),
        "dass_anx": (2, 4, 7, 9, 15, 19, 20),
        "dass_str": (1, 6, 8, 11, 12, 14, 18),
    }
    _check_partition(list(DASS21.scales), [7, 7, 7], 21)
    assert all(s.rule == "sum" for s in DASS21.scales)


def test_bsi18_subscales_and_global_severity() -> None:
    subs = [s for s in BSI18.scales if s.name != "bsi_gsi"]
    _check_partition(subs, [6, 6, 6], 18)
    assert _scale(BSI18, "bsi_som").items == (1, 4, 7, 10, 13, 16)
    gsi = _scale(BSI18, "bsi_gsi")
    assert gsi.items == tuple(range(1, 19))
    assert all(s.rule == "sum" and s.reverse == () for s in BSI18.scales)


def test_teca_subscales_partition_the_33_items() -> None:
    subs = [s for s in TECA.scales if s.name != "teca"]
    _check_partition(subs, [8, 9, 8, 8], 33)
    assert _scale(TECA, "teca").items == tuple(range(1, 34))


def test_watoci_bond_is_items_1_to_6() -> None:
    assert _scale(WATOCI, "bond").items == (1, 2, 3, 4, 5, 6)
    assert _scale(WATOCI, "watoci").items == tuple(range(1, 18))


# ---------------------------------------------------------------------------- prorating


def test_mean_rule_prorates_over_answered_items() -> None:
    # PMS, 9 of 10 answered: (1 + 2 + 3 + 4 + 5 + 1 + 2 + 3 + 4) / 9 = 25 / 9
    values = dict(zip(range(1, 10), (1, 2, 3, 4, 5, 1, 2, 3, 4), strict=True))
    assert _score(PMS, "pms", values) == pytest.approx(25 / 9)


def test_sum_rule_is_mean_times_number_of_items() -> None:
    dep = _scale(DASS21, "dass_dep")
    # 6 of 7 answered (item 21 missing): mean (1 + 2 + 3 + 0 + 1 + 2) / 6 = 1.5 -> 1.5 * 7
    values = dict(zip(dep.items[:6], (1, 2, 3, 0, 1, 2), strict=True))
    assert _score(DASS21, "dass_dep", values) == pytest.approx(10.5)
    # complete: the plain sum
    full = values | {21: 3}
    assert _score(DASS21, "dass_dep", full) == pytest.approx(12.0)


def test_bsi_global_severity_is_the_sum_of_all_18() -> None:
    values = {i: i % 5 for i in range(1, 19)}
    assert _score(BSI18, "bsi_gsi", values) == pytest.approx(sum(values.values()))


@pytest.mark.parametrize(
    ("code", "scale_name", "answered", "scored"),
    [
        ("pms", "pms", 8, True),  # 10 items: 8 = 80 %
        ("pms", "pms", 7, False),
        ("scs", "scs_sk", 2, True),  # 2 items: both needed
        ("scs", "scs_sk", 1, False),
        ("dass", "dass_anx", 6, True),  # 7 items: ceil(5.6) = 6
        ("dass", "dass_anx", 5, False),
        ("ffmq", "ffmq_obs", 7, True),  # 8 items: ceil(6.4) = 7
        ("ffmq", "ffmq_obs", 6, False),
        ("ffmq", "ffmq", 32, True),  # 39 items: ceil(31.2) = 32
        ("ffmq", "ffmq", 31, False),
    ],
)
def test_eighty_percent_rule(code: str, scale_name: str, answered: int, scored: bool) -> None:
    instrument = _instrument(code)
    scale = _scale(instrument, scale_name)
    values = {i: 2 for i in scale.items[:answered]}
    score = _score(instrument, scale_name, values)
    assert np.isnan(score) != scored
    if scored:
        keyed = [instrument.low + instrument.high - 2 if i in scale.reverse else 2
                 for i in scale.items[:answered]]
        factor = len(scale.items) if scale.rule == "sum" else 1
        assert score == pytest.approx(np.mean(keyed) * factor)


def test_min_answered_default_and_override() -> None:
    assert MIN_ANSWERED == 0.8
    frame = _responses(PMS, dict.fromkeys(range(1, 10), 3))  # 9 of 10
    assert score_scale(frame, PMS, PMS.scales[0]).iloc[0] == 3
    assert np.isnan(score_scale(frame, PMS, PMS.scales[0], min_answered=1.0).iloc[0])


@pytest.mark.parametrize("bad", [0, -0.5, 1.01])
def test_min_answered_out_of_range(bad: float) -> None:
    frame = _responses(PMS, {}, 3)
    with pytest.raises(ValueError, match="min_answered"):
        score_scale(frame, PMS, PMS.scales[0], min_answered=bad)


def test_rows_are_scored_independently() -> None:
    frame = pd.concat([_responses(PMS, {}, 4), _responses(PMS, {1: 2}),
                       _responses(PMS, {i: 1 for i in range(1, 9)})], ignore_index=True)
    score = score_scale(frame, PMS, PMS.scales[0])
    assert score.name == "pms"
    assert score.iloc[0] == 4
    assert np.isnan(score.iloc[1])
    assert score.iloc[2] == 1


# ----------------------------------------------------------------------------- bad input


def test_missing_item_column_raises() -> None:
    frame = _responses(PMS, {}, 3).drop(columns=["pms_04", "pms_07"])
    with pytest.raises(ValueError, match="pms_04, pms_07"):
        score_scale(frame, PMS, PMS.scales[0])
    with pytest.raises(ValueError, match="pms_04"):
        score_instruments(frame, [PMS])


def test_scale_definition_is_checked() -> None:
    with pytest.raises(ValueError, match="rule"):
        Scale("x", "x", (1, 2), rule="median")
    with pytest.raises(ValueError, match="reversed items"):
        Scale("x", "x", (1, 2), reverse=(3,))


def test_lookups_reject_unknown_names() -> None:
    with pytest.raises(ValueError, match="respondent"):
        instruments_for("supervisor")
    with pytest.raises(ValueError, match="unknown scale"):
        find_scale("nope")
    ins, scale = find_scale("bond")
    assert ins is WATOCI and scale.items == tuple(range(1, 7))


# ------------------------------------------------------------------------- registry


def test_item_column_names() -> None:
    assert item_column("ffmq", 7) == "ffmq_07"
    assert PMS.item_columns == [f"pms_{i:02d}" for i in range(1, 11)]


@pytest.mark.parametrize(
    ("code", "respondent", "n_items", "low", "high"),
    [
        ("pms", "therapist", 10, 1, 5), ("eust", "therapist", 16, -3, 3),
        ("teca", "therapist", 33, 1, 5), ("ffmq", "therapist", 39, 1, 5),
        ("scs", "therapist", 12, 1, 5), ("dass", "therapist", 21, 0, 3),
        ("eusp", "patient", 16, -3, 3), ("watoci", "patient", 17, 1, 7),
        ("bsi", "patient", 18, 0, 4), ("phi", "patient", 11, 0, 10),
        ("ffmq", "patient", 39, 1, 5), ("scs", "patient", 12, 1, 5),
    ],
)
def test_registry_matches_study(code: str, respondent: str, n_items: int, low: int,
                                high: int) -> None:
    ins = _instrument(code, respondent)
    assert (ins.n_items, ins.low, ins.high, ins.respondent) == (n_items, low, high, respondent)


def test_assumed_keys_are_flagged() -> None:
    assumed = {(i.code, i.respondent) for i in ALL if i.is_assumed}
    assert assumed == {("pms", "therapist"), ("teca", "therapist"), ("eust", "therapist"),
                       ("eusp", "patient"), ("phi", "patient"), ("watoci", "patient")}
    for ins in ALL:
        assert ins.key_source, ins.code
        assert ins.key_source.startswith("assumption") == ins.is_assumed


@pytest.mark.parametrize("respondent", ["therapist", "patient"])
def test_item_columns_and_scale_names_unique(respondent: str) -> None:
    instruments = instruments_for(respondent)
    cols = [c for ins in instruments for c in ins.item_columns]
    assert len(cols) == len(set(cols))
    names = scale_names(respondent)
    assert len(names) == len(set(names))
    assert all(n.isidentifier() for n in names)
    assert not set(names) & set(cols)


@pytest.mark.parametrize("ins", ALL, ids=[f"{i.code}-{i.respondent}" for i in ALL])
def test_scales_refer_to_existing_items(ins: Instrument) -> None:
    for scale in ins.scales:
        assert len(scale.items) == len(set(scale.items)) >= 2
        assert set(scale.items) <= set(range(1, ins.n_items + 1))
        assert set(scale.reverse) <= set(scale.items)
    assert ins.low < ins.high
    assert all(ins.low < v < ins.high for v in ins.excluded_values)


def test_score_instruments_keeps_columns_and_adds_one_per_scale() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({col: rng.integers(ins.low, ins.high + 1, 5)
                          for ins in THERAPIST_INSTRUMENTS for col in ins.item_columns})
    frame.insert(0, "therapist_id", [f"T{i:02d}" for i in range(5)])
    out = score_instruments(frame, THERAPIST_INSTRUMENTS, keep=["therapist_id"])
    assert list(out.columns) == ["therapist_id", *scale_names("therapist")]
    assert len(out) == 5
    pms = frame[PMS.item_columns].mean(axis=1)
    np.testing.assert_allclose(out["pms"], pms)


def test_items_required_rounds_up_to_whole_items() -> None:
    from mcbi.trial.instruments import items_required

    assert [items_required(k) for k in (2, 7, 10, 16, 39)] == [2, 6, 8, 13, 32]
    assert items_required(10, 0.5) == 5 and items_required(10, 1.0) == 10
    with pytest.raises(ValueError, match="min_answered"):
        items_required(10, 0.0)
    with pytest.raises(ValueError, match="at least one item"):
        items_required(0)
