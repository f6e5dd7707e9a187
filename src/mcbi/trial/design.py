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

WAVE_LABELS: dict[str, str] = {"pre": "pre", "post": "post", "followup": "follow-up"}
"""Reader-facing wave names (the data and the code say ``followup``); the one home of them."""


def wave_label(wave: str, capital: bool = False) -> str:
    """The reader's name of ``wave`` (``"follow-up"``), capitalized on request.

    Unknown waves are returned as given.
    """
    text = WAVE_LABELS.get(wave, wave)
    return text[:1].upper() + text[1:] if capital else text


WAVE_SHORT: dict[str, str] = {"post": "post", "followup": "fu"}
"""Short form of each post-baseline wave in glue names and change-score columns."""

WAVE_DESCRIPTIONS: dict[str, str] = {
    "pre": "before the 8-week intervention period",
    "post": "after the 8 weeks",
    "followup": "follow-up, about four to five months later",
}

N_THERAPISTS = 63
N_PATIENTS = 121
PATIENTS_PER_THERAPIST = (1, 4)
"""Smallest and largest number of participating patients per therapist."""

PACKAGE_NAME = "mcbi-trial"
DEFAULT_DATA = "data/trial"
"""The shipped data package, relative to the project root."""
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
