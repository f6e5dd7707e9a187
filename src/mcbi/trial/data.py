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

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mcbi.errors import DataError
from mcbi.trial import design
from mcbi.trial.instruments import (
    PATIENT_INSTRUMENTS,
    THERAPIST_INSTRUMENTS,
    scale_names,
    score_instruments,
)
from mcbi.trial.schema import DIALECT, PACKAGE_FILES
from mcbi.trial.validate import require_valid

DEFAULT_DATA = Path("data/trial")
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


def load(path: str | Path = DEFAULT_DATA) -> TrialData:
    """Validate the data package at ``path`` and return the trial's tidy tables.

    Raises
    ------
    mcbi.trial.validate.DataValidationError
        (a ``ValueError``) naming the file, column and rule, if the package is invalid.

    Examples
    --------
    >>> from mcbi.trial.data import load
    >>> trial = load()  # the package at DEFAULT_DATA  # doctest: +SKIP
    >>> trial.therapists.groupby(["arm", "wave"], observed=True)["pms"].mean()  # doctest: +SKIP
    """
    path = Path(path)
    require_valid(path)
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


def hash_files(contents: Mapping[str, bytes]) -> str:
    """Content hash of the package's four CSV files given as ``{file name: bytes}``.

    SHA-256 of the ``sha256sum``-style manifest (``"<hex>  <name>\\n"`` per file, files in
    canonical order, :data:`mcbi.trial.schema.PACKAGE_FILES`); in the package folder,
    ``sha256sum therapists.csv patients.csv therapist_responses.csv
    patient_responses.csv | sha256sum`` gives the same hex digest.

    Raises
    ------
    ValueError
        If one of the four files is not in ``contents``.
    """
    missing = [name for name in PACKAGE_FILES if name not in contents]
    if missing:
        raise ValueError(f"contents lacks {', '.join(missing)}")
    manifest = "".join(f"{hashlib.sha256(contents[name]).hexdigest()}  {name}\n"
                       for name in PACKAGE_FILES)
    return hashlib.sha256(manifest.encode("utf-8")).hexdigest()


def content_hash(path: str | Path = DEFAULT_DATA) -> str:
    """Content hash (SHA-256 hex) of the four CSV files of the package at ``path``.

    See :func:`hash_files`. The descriptor is not part of it: metadata may change, the
    data not.

    Raises
    ------
    mcbi.errors.DataError
        If one of the four files cannot be read.
    """
    contents = {}
    for name in PACKAGE_FILES:
        try:
            contents[name] = (Path(path) / name).read_bytes()
        except OSError as exc:
            raise DataError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    return hash_files(contents)
