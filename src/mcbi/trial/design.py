"""The trial's design constants: arms, waves, sample sizes, labels and file names.

Facts are from the published record of Garrote-Caparrós et al. (2023) and the trial
registration NCT04680559. Nothing here imports the rest of :mod:`mcbi`.
"""

from __future__ import annotations

ARMS: tuple[str, ...] = ("control", "MCBI")
"""Arm labels; the first is the reference level in every model."""

CONTROL, TREATED = ARMS

WAVES: tuple[str, ...] = ("pre", "post", "followup")
"""Assessment waves; the first is the baseline of every change score."""

WAVE_DESCRIPTIONS: dict[str, str] = {
    "pre": "before the 8-week intervention period",
    "post": "after the 8 weeks",
    "followup": "follow-up, about four to five months later",
}

N_THERAPISTS = 63
N_BY_ARM: dict[str, int] = {"MCBI": 33, "control": 30}
N_PATIENTS = 121
PATIENTS_PER_THERAPIST = (1, 4)
"""Smallest and largest number of participating patients per therapist."""

PACKAGE_NAME = "mcbi-trial"
THERAPISTS_FILE = "therapists.csv"
PATIENTS_FILE = "patients.csv"
THERAPIST_RESPONSES_FILE = "therapist_responses.csv"
PATIENT_RESPONSES_FILE = "patient_responses.csv"

THERAPIST_ID = "therapist_id"
PATIENT_ID = "patient_id"
ARM = "arm"
WAVE = "wave"

GENDERS: tuple[str, ...] = ("female", "male", "other")
ORIENTATIONS: tuple[str, ...] = (
    "cognitive-behavioural",
    "integrative",
    "humanistic",
    "psychodynamic",
    "systemic",
)
PROBLEMS: tuple[str, ...] = ("anxiety", "depression", "relational", "adjustment", "other")
