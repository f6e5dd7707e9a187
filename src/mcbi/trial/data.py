"""Load a validated data package into analysis-ready tidy tables.

:func:`load` validates first (:mod:`mcbi.trial.validate`), then reads the CSV files, scores the
instruments (:mod:`mcbi.trial.instruments`) and returns long tables (one row per person and
wave) and wide change scores. It never writes anything. It reads exactly what was
validated: the canonical file names in the package folder, with the canonical dialect
(:data:`mcbi.trial.schema.DIALECT`), whatever the supplied descriptor says.

:func:`content_hash` identifies a package's content (its four CSV files);
:mod:`mcbi.synth.record` uses it to establish whether a package is the generator's output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mcbi.errors import DataError
from mcbi.trial import design
from mcbi.trial.content import content_hash
from mcbi.trial.instruments import (
    PATIENT_INSTRUMENTS,
    THERAPIST_INSTRUMENTS,
    scale_names,
    score_instruments,
)
from mcbi.trial.schema import DIALECT
from mcbi.trial.validate import require_valid

DEFAULT_DATA = Path(design.DEFAULT_DATA)
"""Default location of the data package, relative to the repository root.

The one place this folder is named: ``python -m mcbi build`` passes it to the book
pipeline, which has no default of its own."""

CHANGE_PREFIX = {"post": "d_post_", "followup": "d_fu_"}
"""Prefix of change-score columns: ``d_post_<scale>`` = post - pre, ``d_fu_<scale>``."""


@dataclass
class TrialData:
    """The trial's analysis-ready tables.

    Attributes
    ----------
    therapists : DataFrame
        Long: therapist_id, arm, wave, one column per therapist scale score.
    patients : DataFrame
        Long: patient_id, therapist_id, arm, wave, one column per patient scale score.
    therapist_change, patient_change : DataFrame
        Wide: one row per person; ``d_post_<scale>`` (post - pre) and ``d_fu_<scale>``
        (follow-up - pre) columns, missing where a wave is missing.
    therapist_info, patient_info : DataFrame
        Demographics, one row per person (patients carry their therapist's arm).
    therapist_items, patient_items : DataFrame
        Item responses as read (long), for reliability.
    path : Path
        The package folder.
    """

    therapists: pd.DataFrame
    patients: pd.DataFrame
    therapist_change: pd.DataFrame
    patient_change: pd.DataFrame
    therapist_info: pd.DataFrame
    patient_info: pd.DataFrame
    therapist_items: pd.DataFrame
    patient_items: pd.DataFrame
    path: Path


def _read(path: Path, name: str) -> pd.DataFrame:
    """Read one CSV file the way validation read it (canonical dialect, UTF-8)."""
    return pd.read_csv(path / name, sep=DIALECT["delimiter"], quotechar=DIALECT["quoteChar"],
                       doublequote=True, header=0, encoding="utf-8-sig",
                       dtype={design.THERAPIST_ID: "string", design.PATIENT_ID: "string",
                              design.WAVE: "string", design.ARM: "string"},
                       keep_default_na=False, na_values=[""])


def _categorical(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    if design.ARM in frame:
        frame[design.ARM] = pd.Categorical(frame[design.ARM], categories=list(design.ARMS))
    if design.WAVE in frame:
        frame[design.WAVE] = pd.Categorical(frame[design.WAVE], categories=list(design.WAVES),
                                            ordered=True)
    return frame


def change_scores(long: pd.DataFrame, id_cols: list[str], scales: list[str]) -> pd.DataFrame:
    """Wide change scores (each non-baseline wave minus baseline) from a long table.

    Parameters
    ----------
    long : DataFrame
        One row per person and wave, with a ``wave`` column.
    id_cols : list of str
        Person-level columns kept (the first is the person's id).
    scales : list of str
        Score columns to difference.
    """
    base_wave = design.WAVES[0]
    wide = long.pivot_table(index=id_cols[0], columns=design.WAVE, values=scales,
                            observed=False, dropna=False)
    persons = long[id_cols].drop_duplicates(id_cols[0]).set_index(id_cols[0])
    out = persons.copy()
    for wave, prefix in CHANGE_PREFIX.items():
        for scale in scales:
            out[prefix + scale] = wide[(scale, wave)] - wide[(scale, base_wave)]
    return out.reset_index()


def load(path: str | Path = DEFAULT_DATA, sha256: str = "") -> TrialData:
    """Validate the data package at ``path`` and return the trial's tidy tables.

    Parameters
    ----------
    path : str or Path
        The package folder.
    sha256 : str, optional
        The package's content hash (:func:`content_hash`) as validated before, e.g. by the
        command line at the door of a build. When given and the files still have it, the
        package is not validated again; when the files changed since, a ``DataError``
        says so. Empty (the default): the package is validated here.

    Raises
    ------
    mcbi.trial.validate.DataValidationError
        (a ``ValueError``) naming the file, column and rule, if the package is invalid.
    mcbi.errors.DataError
        If the files no longer have the content hash ``sha256``.

    Examples
    --------
    >>> from mcbi.trial.data import load
    >>> trial = load()  # the package at DEFAULT_DATA  # doctest: +SKIP
    >>> trial.therapists.groupby(["arm", "wave"], observed=True)["pms"].mean()  # doctest: +SKIP
    """
    path = Path(path)
    if not sha256:
        require_valid(path)
    elif content_hash(path) != sha256:
        raise DataError(f"{path}: the data package changed since it was validated (content "
                        f"SHA-256 is no longer {sha256[:12]}); run the build again")
    return from_tables(_read(path, design.THERAPISTS_FILE), _read(path, design.PATIENTS_FILE),
                       _read(path, design.THERAPIST_RESPONSES_FILE),
                       _read(path, design.PATIENT_RESPONSES_FILE), path)


def from_tables(therapists: pd.DataFrame, patients: pd.DataFrame,
                therapist_responses: pd.DataFrame, patient_responses: pd.DataFrame,
                path: str | Path = "") -> TrialData:
    """Score already valid tables in the package's layout (what :func:`load` does after
    validating and reading the files; also used for simulated data held in memory).

    Parameters
    ----------
    therapists, patients, therapist_responses, patient_responses : pandas.DataFrame
        The four tables of the package, columns as in its schema.
    path : str or Path
        Where the tables came from (empty for data held in memory).
    """
    t_info = _categorical(therapists)
    p_info = _categorical(patients.merge(t_info[[design.THERAPIST_ID, design.ARM]],
                                         on=design.THERAPIST_ID, how="left"))
    t_items = _categorical(therapist_responses)
    p_items = _categorical(patient_responses)
    t_scores = score_instruments(t_items, THERAPIST_INSTRUMENTS,
                                 keep=[design.THERAPIST_ID, design.WAVE])
    t_long = t_info[[design.THERAPIST_ID, design.ARM]].merge(t_scores, on=design.THERAPIST_ID)
    p_scores = score_instruments(p_items, PATIENT_INSTRUMENTS,
                                 keep=[design.PATIENT_ID, design.WAVE])
    p_long = p_info[[design.PATIENT_ID, design.THERAPIST_ID, design.ARM]].merge(
        p_scores, on=design.PATIENT_ID)
    t_long = t_long.sort_values([design.THERAPIST_ID, design.WAVE]).reset_index(drop=True)
    p_long = p_long.sort_values([design.PATIENT_ID, design.WAVE]).reset_index(drop=True)

    t_change = change_scores(t_long, [design.THERAPIST_ID, design.ARM],
                             scale_names("therapist"))
    p_change = change_scores(p_long, [design.PATIENT_ID, design.THERAPIST_ID, design.ARM],
                             scale_names("patient"))
    return TrialData(t_long, p_long, t_change, p_change, t_info, p_info, t_items, p_items,
                     Path(path))
