"""Fixtures shared by the paper tests: the committed trial and small outcome-model fits."""

from __future__ import annotations

import pytest

from _datafixtures import DATA
from mcbi.paper.outcomes import models
from mcbi.trial import design
from mcbi.trial.data import TrialData, load


@pytest.fixture(scope="session")
def trial() -> TrialData:
    return load(DATA)


@pytest.fixture(scope="session")
def pms_only(trial) -> models.OutcomeAnalysis:
    return models.analyse_outcomes(trial.therapists, {"skills": ("pms",)},
                                   design.THERAPIST_ID)


@pytest.fixture(scope="session")
def two_in_family(trial) -> models.OutcomeAnalysis:
    return models.analyse_outcomes(trial.therapists, {"fam": ("pms", "eus_t")},
                                   design.THERAPIST_ID)


@pytest.fixture(scope="session")
def two_families(trial) -> models.OutcomeAnalysis:
    return models.analyse_outcomes(trial.therapists, {"f1": ("pms",), "f2": ("eus_t",)},
                                   design.THERAPIST_ID)
