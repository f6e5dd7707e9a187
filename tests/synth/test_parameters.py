"""The table of generating parameters: complete, sourced, consistent with the design."""

from __future__ import annotations

import numpy as np
import pytest

from mcbi.synth.parameters import PARAMETERS, delta_pms_sd, param, parameter_table
from mcbi.trial import design


def test_table_lists_every_parameter_once() -> None:
    tab = parameter_table()
    assert list(tab.columns) == ["name", "value", "source", "description"]
    assert tab["name"].tolist() == [p.name for p in PARAMETERS]
    assert tab["name"].is_unique
    assert (tab["description"].str.len() > 0).all()
    assert (tab["value"].str.len() > 0).all()


def test_sources_are_design_or_assumption() -> None:
    tab = parameter_table()
    assert set(tab["source"]) == {"design", "assumption"}
    design_rows = set(tab.loc[tab["source"] == "design", "name"])
    assert design_rows == {"n_therapists", "n_mcbi", "n_control", "n_patients",
                           "cluster_size_range"}


def test_design_parameters_agree_with_design_module() -> None:
    assert param("n_therapists") == design.N_THERAPISTS == 63
    assert (param("n_mcbi"), param("n_control")) == (33, 30)
    assert param("n_mcbi") + param("n_control") == param("n_therapists")
    assert param("n_patients") == design.N_PATIENTS == 121
    assert param("cluster_size_range") == design.PATIENTS_PER_THERAPIST == (1, 4)


def test_study_effects() -> None:
    assert param("pms_effect") == (0.6, 0.6)
    assert param("empathy_effect") == (0.15, 0.5)
    assert param("ffmq_effect") == (0.5, 0.4)
    assert param("scs_effect") == (0.4, 0.3)
    assert param("dass_effect") == (-0.3, -0.2)
    assert param("therapist_dropout") == (0.08, 0.15)
    assert param("patient_dropout") == (0.15, 0.30)
    assert param("item_missing_rate") == 0.01


@pytest.mark.parametrize(
    ("name", "n"),
    [("cluster_size_probs", 4), ("therapist_gender_probs", len(design.GENDERS)),
     ("patient_gender_probs", len(design.GENDERS)),
     ("orientation_probs", len(design.ORIENTATIONS)), ("problem_probs", len(design.PROBLEMS))],
)
def test_probabilities_sum_to_one(name: str, n: int) -> None:
    probs = param(name)
    assert len(probs) == n
    assert min(probs) > 0
    assert sum(probs) == pytest.approx(1.0)


def test_patient_icc_in_study_range() -> None:
    assert 0.10 <= param("patient_icc") <= 0.20
    lo, hi = param("loading_range")
    assert 0 < lo < hi < 1


def test_param_rejects_unknown_name() -> None:
    with pytest.raises(ValueError, match="unknown generating parameter 'nope'"):
        param("nope")


def test_values_are_formatted_readably() -> None:
    tab = parameter_table().set_index("name")["value"]
    assert tab["n_therapists"] == "63"
    assert tab["pms_effect"] == "0.6, 0.6"
    assert tab["cluster_size_range"] == "1, 4"
    assert tab["change_sd_between"] == "eus_p: 0.85; bond: 1.2; symptoms: 1; phi: 0.8"
    assert tab["item_missing_rate"] == "0.01"
    assert np.isfinite([float(v) for v in tab["therapist_dropout"].split(", ")]).all()


def test_delta_pms_sd() -> None:
    eff, sd = param("pms_effect")[0], param("pms_change_sd")
    share = param("n_mcbi") / param("n_therapists")
    assert delta_pms_sd() == pytest.approx(np.sqrt(eff**2 * share * (1 - share) + sd**2),
                                           rel=1e-15)
    assert delta_pms_sd(share) == delta_pms_sd()
    # one arm only: the arm adds no variance; half and half: the most
    assert delta_pms_sd(0.0) == delta_pms_sd(1.0) == pytest.approx(sd)
    assert delta_pms_sd(0.5) == pytest.approx(np.sqrt(eff**2 / 4 + sd**2))
    with pytest.raises(ValueError, match="p_mcbi"):
        delta_pms_sd(1.5)
