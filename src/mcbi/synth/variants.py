"""Realistic variants of a trial data package, for testing the book on data it was not tuned to.

Each variant is what a data manager could hand over in the trial's schema: a pilot of ten
therapists, a wave not yet collected, heavy item non-response, one patient per therapist,
unbalanced arms, the arms swapped, a few noisy item cells. A variant is written as a new
package whose descriptor carries no generator record (so the book treats it as real data).

The transformations work on the CSV files as text tables (every cell a string), so the
written files keep the package's formats exactly; item values are drawn from the ranges of
the canonical schema (:func:`mcbi.trial.schema.package_descriptor`).

Examples
--------
>>> from mcbi.synth.variants import write_variant
>>> write_variant("pilot_10", "data/v_pilot_10", "data/trial")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mcbi.trial import design
from mcbi.trial.descriptor import read_descriptor
from mcbi.trial.schema import package_descriptor

ITEM = re.compile(r"^[a-z]+_\d{2}$")
Tables = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Variant:
    """A named transformation of a package's tables.

    Attributes
    ----------
    name : str
        Identifier (also the package name suffix).
    description : str
        One sentence for reports.
    apply : callable
        ``apply(tables, rng) -> tables``; ``tables`` maps file names to string DataFrames.
    """

    name: str
    description: str
    apply: Callable[[Tables, np.random.Generator], Tables]


def _allowed_values() -> dict[str, list[str]]:
    """Item column -> its allowed values as strings (from the canonical schema)."""
    out: dict[str, list[str]] = {}
    for resource in package_descriptor()["resources"]:
        for field in resource["schema"]["fields"]:
            if not ITEM.match(field["name"]):
                continue
            c = field.get("constraints", {})
            values = c["enum"] if "enum" in c else range(c["minimum"], c["maximum"] + 1)
            out[field["name"]] = [str(v) for v in values]
    return out


def _responses() -> tuple[str, str]:
    return design.THERAPIST_RESPONSES_FILE, design.PATIENT_RESPONSES_FILE


def _item_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if ITEM.match(c)]


# ----------------------------------------------------------------------- transformations
def keep_therapists(n: int) -> Callable[[Tables, np.random.Generator], Tables]:
    """Keep ``n`` randomly chosen therapists (and their patients)."""
    def apply(t: Tables, rng: np.random.Generator) -> Tables:
        ther = t[design.THERAPISTS_FILE]
        if n > len(ther):
            raise ValueError(f"cannot keep {n} of {len(ther)} therapists")
        keep = set(rng.choice(ther[design.THERAPIST_ID].to_numpy(), size=n, replace=False))
        return _restrict_therapists(t, keep)
    return apply


def _restrict_therapists(t: Tables, keep: set[str]) -> Tables:
    out = dict(t)
    ther = t[design.THERAPISTS_FILE]
    out[design.THERAPISTS_FILE] = ther[ther[design.THERAPIST_ID].isin(keep)]
    pat = t[design.PATIENTS_FILE]
    out[design.PATIENTS_FILE] = pat[pat[design.THERAPIST_ID].isin(keep)]
    return _restrict_patients(out, set(out[design.PATIENTS_FILE][design.PATIENT_ID]))


def _restrict_patients(t: Tables, keep: set[str]) -> Tables:
    out = dict(t)
    pat = t[design.PATIENTS_FILE]
    out[design.PATIENTS_FILE] = pat[pat[design.PATIENT_ID].isin(keep)]
    tr = t[design.THERAPIST_RESPONSES_FILE]
    out[design.THERAPIST_RESPONSES_FILE] = tr[tr[design.THERAPIST_ID].isin(
        set(out[design.THERAPISTS_FILE][design.THERAPIST_ID]))]
    pr = t[design.PATIENT_RESPONSES_FILE]
    out[design.PATIENT_RESPONSES_FILE] = pr[pr[design.PATIENT_ID].isin(keep)]
    return out


def one_patient_per_therapist(t: Tables, rng: np.random.Generator) -> Tables:
    """Keep one randomly chosen patient of every therapist."""
    pat = t[design.PATIENTS_FILE]
    keep = {rng.choice(group[design.PATIENT_ID].to_numpy())
            for _, group in pat.groupby(design.THERAPIST_ID)}
    return _restrict_patients(t, keep)


def therapists_without_patients(k: int) -> Callable[[Tables, np.random.Generator], Tables]:
    """Remove every patient of ``k`` randomly chosen therapists (who stay in the trial)."""
    def apply(t: Tables, rng: np.random.Generator) -> Tables:
        pat = t[design.PATIENTS_FILE]
        ids = sorted(set(pat[design.THERAPIST_ID]))
        drop = set(rng.choice(ids, size=min(k, len(ids)), replace=False))
        return _restrict_patients(t, set(pat.loc[~pat[design.THERAPIST_ID].isin(drop),
                                                 design.PATIENT_ID]))
    return apply


def drop_wave(wave: str) -> Callable[[Tables, np.random.Generator], Tables]:
    """Remove every response row of ``wave`` (a wave not yet collected)."""
    def apply(t: Tables, rng: np.random.Generator) -> Tables:
        out = dict(t)
        for name in _responses():
            frame = t[name]
            out[name] = frame[frame[design.WAVE] != wave]
        return out
    return apply


def blank_items(share: float) -> Callable[[Tables, np.random.Generator], Tables]:
    """Blank a further ``share`` of the item cells, at random."""
    if not 0 <= share < 1:
        raise ValueError(f"share must be in [0, 1), got {share}")

    def apply(t: Tables, rng: np.random.Generator) -> Tables:
        out = dict(t)
        for name in _responses():
            frame = t[name].copy()
            cols = _item_columns(frame)
            mask = rng.random((len(frame), len(cols))) < share
            values = frame[cols].to_numpy(dtype=object)
            values[mask] = ""
            frame[cols] = values
            out[name] = frame
        return out
    return apply


def item_noise(share: float) -> Callable[[Tables, np.random.Generator], Tables]:
    """Replace a ``share`` of the answered item cells by another allowed value."""
    if not 0 <= share < 1:
        raise ValueError(f"share must be in [0, 1), got {share}")

    def apply(t: Tables, rng: np.random.Generator) -> Tables:
        allowed = _allowed_values()
        out = dict(t)
        for name in _responses():
            frame = t[name].copy()
            for col in _item_columns(frame):
                values = frame[col].to_numpy(dtype=object)
                hit = (values != "") & (rng.random(len(values)) < share)
                for i in np.flatnonzero(hit):
                    others = [v for v in allowed[col] if v != values[i]]
                    values[i] = others[rng.integers(len(others))]
                frame[col] = values
            out[name] = frame
        return out
    return apply


def drop_arm_share(arm: str, share: float) -> Callable[[Tables, np.random.Generator], Tables]:
    """Remove a ``share`` of the therapists of ``arm`` (unbalanced arms)."""
    def apply(t: Tables, rng: np.random.Generator) -> Tables:
        ther = t[design.THERAPISTS_FILE]
        ids = ther.loc[ther[design.ARM] == arm, design.THERAPIST_ID].to_numpy()
        drop = set(rng.choice(ids, size=int(round(share * len(ids))), replace=False))
        return _restrict_therapists(t, set(ther[design.THERAPIST_ID]) - drop)
    return apply


def swap_arms(t: Tables, rng: np.random.Generator) -> Tables:
    """Exchange the two arm labels (every effect changes sign)."""
    out = dict(t)
    ther = t[design.THERAPISTS_FILE].copy()
    a, b = design.ARMS
    ther[design.ARM] = ther[design.ARM].map({a: b, b: a})
    out[design.THERAPISTS_FILE] = ther
    return out


def unchanged(t: Tables, rng: np.random.Generator) -> Tables:
    """The same tables (only the descriptor loses its generator record)."""
    return dict(t)


def _chain(*steps: Callable[[Tables, np.random.Generator], Tables]):
    def apply(t: Tables, rng: np.random.Generator) -> Tables:
        for step in steps:
            t = step(t, rng)
        return t
    return apply


VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant("real_copy", "the shipped tables as real data (no generator record)", unchanged),
    Variant("pilot_10", "a pilot of 10 therapists", keep_therapists(10)),
    Variant("therapists_50", "50 of the 63 therapists", keep_therapists(50)),
    Variant("pre_post_only", "follow-up not yet collected", drop_wave("followup")),
    Variant("one_patient", "one patient per therapist", one_patient_per_therapist),
    Variant("zero_patients", "8 therapists without patients", therapists_without_patients(8)),
    Variant("blank_5", "5 % more blank item cells", blank_items(0.05)),
    Variant("blank_30", "30 % more blank item cells", blank_items(0.30)),
    Variant("noise_5", "5 % of item cells replaced by other allowed values", item_noise(0.05)),
    Variant("unbalanced", "half of the control therapists removed",
            drop_arm_share(design.CONTROL, 0.5)),
    Variant("arms_swapped", "the arm labels exchanged", swap_arms),
    Variant("pilot_pre_post_blank", "10 therapists, no follow-up, 25 % blank items",
            _chain(keep_therapists(10), drop_wave("followup"), blank_items(0.25))),
    Variant("pre_post_blank_30", "follow-up not yet collected, 30 % more blank item cells",
            _chain(drop_wave("followup"), blank_items(0.30))),
)}


# ----------------------------------------------------------------------------- writing
def read_tables(package: str | Path) -> Tables:
    """Read the four CSV files of ``package`` as string DataFrames (blank cells as "")."""
    folder = Path(package)
    return {name: pd.read_csv(folder / name, dtype=str, keep_default_na=False)
            for name in (design.THERAPISTS_FILE, design.PATIENTS_FILE,
                         design.THERAPIST_RESPONSES_FILE, design.PATIENT_RESPONSES_FILE)}


def write_variant(name: str, out: str | Path, source: str | Path, seed: int = 1) -> Path:
    """Write variant ``name`` of the package in ``source`` into the new folder ``out``.

    Parameters
    ----------
    name : str
        A key of :data:`VARIANTS`.
    out : str or Path
        Output folder; must not exist or be empty.
    source : str or Path
        The package to derive from (e.g. ``data/trial``).
    seed : int
        Seed of the random choices.

    Returns
    -------
    Path
        The written folder.
    """
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty")
    tables = VARIANTS[name].apply(read_tables(source), np.random.default_rng(seed))
    out.mkdir(parents=True, exist_ok=True)
    for file, frame in tables.items():
        frame.to_csv(out / file, index=False, lineterminator="\n")
    descriptor = read_descriptor(source)
    for key in ("generator", "synthetic"):
        descriptor.pop(key, None)
    descriptor["name"] = f"{descriptor.get('name', 'package')}-{name.replace('_', '-')}"
    descriptor["description"] = f"Variant '{name}': {VARIANTS[name].description}."
    (out / "datapackage.json").write_text(
        json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return out

