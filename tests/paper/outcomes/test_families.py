"""mcbi.paper.outcomes.families: the outcome families, figure lists, direction and labels."""

from __future__ import annotations

import pytest

from mcbi.paper.outcomes import families as outcomes
from mcbi.trial.instruments import PATIENT_INSTRUMENTS, THERAPIST_INSTRUMENTS


def _scales(instruments) -> set[str]:
    return {scale.name for ins in instruments for scale in ins.scales}


def test_families_name_scales_of_the_right_respondent() -> None:
    t = outcomes.outcomes(outcomes.THERAPIST_FAMILIES)
    p = outcomes.outcomes(outcomes.PATIENT_FAMILIES)
    assert set(t) <= _scales(THERAPIST_INSTRUMENTS)
    assert set(p) <= _scales(PATIENT_INSTRUMENTS)
    assert len(t) == sum(len(v) for v in outcomes.THERAPIST_FAMILIES.values())


def test_outcomes_keeps_order_and_drops_repeats() -> None:
    fams = {"a": ("x", "y"), "b": ("z", "x")}
    assert outcomes.outcomes(fams) == ["x", "y", "z"]
    assert outcomes.outcomes({}) == []


def test_figure_lists_are_analysed_outcomes() -> None:
    assert set(outcomes.THERAPIST_FIGURE) <= set(outcomes.outcomes(outcomes.THERAPIST_FAMILIES))
    assert list(outcomes.PATIENT_FIGURE) == outcomes.outcomes(outcomes.PATIENT_FAMILIES)
    # the TECA subscales stay out of the trajectory figure, the total is in
    assert "teca" in outcomes.THERAPIST_FIGURE
    assert not any(o.startswith("teca_") for o in outcomes.THERAPIST_FIGURE)


def test_lower_is_better_are_distress_and_symptoms() -> None:
    analysed = set(outcomes.outcomes(outcomes.THERAPIST_FAMILIES)) | set(
        outcomes.outcomes(outcomes.PATIENT_FAMILIES))
    assert outcomes.LOWER_IS_BETTER <= analysed
    assert {o for o in analysed if o.startswith(("dass_", "bsi_"))} == outcomes.LOWER_IS_BETTER
    assert outcomes.improvement_sign("bsi_dep") == -1.0
    assert outcomes.improvement_sign("bond") == 1.0


def test_labels() -> None:
    assert outcomes.label("pms") == "Psychotherapeutic mindfulness skills"
    got = outcomes.labels(("pms", "eus_t"))
    assert list(got) == ["pms", "eus_t"]
    assert got["eus_t"] == "EUS-T empathic understanding"
    with pytest.raises(ValueError, match="unknown scale"):
        outcomes.label("nope")
