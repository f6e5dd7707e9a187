"""The trial's canonical data package descriptor, built from the design and the registry.

:func:`package_descriptor` builds the canonical descriptor: field types, descriptions,
response anchors, item ranges, allowed labels, primary and foreign keys, file names and
CSV dialect. Validation always uses these canonical Table Schemas, never the ones a
package supplies (:mod:`mcbi.trial.descriptor` reads a supplied ``datapackage.json`` and
tells where it contradicts this one).
"""

from __future__ import annotations

from typing import Any

from mcbi import __version__
from mcbi.trial import design
from mcbi.trial.instruments import PATIENT_INSTRUMENTS, THERAPIST_INSTRUMENTS, Instrument

DESCRIPTOR_FILE = "datapackage.json"
"""Name of the descriptor file in a package folder."""


ID_PATTERN = r"\S+"
"""Identifiers: any non-empty code without whitespace (``T01``, ``TH-001``, ``p_17``)."""

DIALECT = {"delimiter": ",", "quoteChar": '"', "header": True}
"""The CSV dialect of every file: comma-separated, double quotes, one header row."""


def _id_field(name: str, pattern: str, description: str) -> dict[str, Any]:
    return {"name": name, "type": "string", "description": description,
            "constraints": {"required": True, "pattern": pattern}}


def _therapist_id(description: str) -> dict[str, Any]:
    return _id_field(design.THERAPIST_ID, ID_PATTERN, description)


def _patient_id(description: str) -> dict[str, Any]:
    return _id_field(design.PATIENT_ID, ID_PATTERN, description)


def _enum(name: str, values: tuple[str, ...], description: str) -> dict[str, Any]:
    return {"name": name, "type": "string", "description": description,
            "constraints": {"required": True, "enum": list(values)}}


def _integer(name: str, lo: int, hi: int, description: str, unit: str = "",
             required: bool = True) -> dict[str, Any]:
    field = {"name": name, "type": "integer", "description": description,
             "constraints": {"required": required, "minimum": lo, "maximum": hi}}
    if unit:
        field["unit"] = unit
    return field


def _wave() -> dict[str, Any]:
    desc = "assessment wave: " + "; ".join(
        f"{w} = {d}" for w, d in design.WAVE_DESCRIPTIONS.items())
    return _enum(design.WAVE, design.WAVES, desc)


def _item_fields(instrument: Instrument) -> list[dict[str, Any]]:
    fields = []
    scale_of: dict[int, list[str]] = {}
    for scale in instrument.scales:
        for i in scale.items:
            scale_of.setdefault(i, []).append(scale.name)
    reverse = set(instrument.scales[0].reverse)
    for i, col in enumerate(instrument.item_columns, start=1):
        keyed = " (reverse-keyed)" if i in reverse else ""
        field: dict[str, Any] = {
            "name": col, "type": "integer",
            "description": (f"{instrument.name}, item {i}{keyed}; scales: "
                            f"{', '.join(scale_of.get(i, []))}. Missing = not answered."),
            "rdfType": "https://schema.org/QuantitativeValue",
            "anchors": instrument.anchors,
        }
        constraints: dict[str, Any] = {"minimum": instrument.low, "maximum": instrument.high}
        if instrument.excluded_values:
            constraints = {"enum": [v for v in range(instrument.low, instrument.high + 1)
                                    if v not in instrument.excluded_values]}
        field["constraints"] = constraints
        fields.append(field)
    return fields


def _resource(name: str, path: str, title: str, description: str, fields: list,
              primary_key: list[str], foreign_keys: list | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"fields": fields, "fieldsMatch": "equal",
                              "primaryKey": primary_key, "missingValues": [""]}
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return {"name": name, "path": path, "title": title, "description": description,
            "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "dialect": dict(DIALECT), "schema": schema}


def _fk(field: str, resource: str) -> dict[str, Any]:
    return {"fields": [field], "reference": {"resource": resource, "fields": [field]}}


def _generator(seed: int, content_sha256: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {"name": "mcbi", "version": __version__, "seed": seed,
                              "command": f"python -m mcbi simulate --out DIR --seed {seed}"}
    if content_sha256 is not None:
        record["content_sha256"] = content_sha256
    return record


def package_descriptor(seed: int | None = None,
                       content_sha256: str | None = None) -> dict[str, Any]:
    """Return the canonical ``datapackage.json`` descriptor of the trial's data package.

    Parameters
    ----------
    seed : int, optional
        Seed of the synthetic generator; when given, the descriptor carries the generator
        record (``generator``) and says in its description that the data are synthetic.
    content_sha256 : str, optional
        Content hash of the generated CSV files, recorded as
        ``generator.content_sha256`` (only with ``seed``).

    Returns
    -------
    dict
        The descriptor, ready for :func:`json.dumps`.
    """
    therapists = _resource(
        "therapists", design.THERAPISTS_FILE, "Therapists",
        "One row per randomized psychotherapist: arm and demographics.",
        [
            _therapist_id("therapist identifier"),
            _enum(design.ARM, design.ARMS,
                  "randomized arm: MCBI = mindfulness and compassion-based intervention, "
                  "control = empathy diary (active control)"),
            _integer("age", 18, 90, "age at baseline", "years"),
            _enum("gender", design.GENDERS, "self-reported gender"),
            _integer("experience_years", 0, 60, "years of clinical experience", "years"),
            _enum("orientation", design.ORIENTATIONS, "main theoretical orientation"),
        ],
        [design.THERAPIST_ID],
    )
    patients = _resource(
        "patients", design.PATIENTS_FILE, "Patients",
        "One row per participating patient, nested in their therapist.",
        [
            _patient_id("patient identifier"),
            _therapist_id("the patient's therapist (foreign key to therapists)"),
            _integer("age", 18, 99, "age at baseline", "years"),
            _enum("gender", design.GENDERS, "self-reported gender"),
            _enum("problem", design.PROBLEMS, "main problem category"),
        ],
        [design.PATIENT_ID],
        [_fk(design.THERAPIST_ID, "therapists")],
    )
    t_items = [f for ins in THERAPIST_INSTRUMENTS for f in _item_fields(ins)]
    p_items = [f for ins in PATIENT_INSTRUMENTS for f in _item_fields(ins)]
    therapist_responses = _resource(
        "therapist_responses", design.THERAPIST_RESPONSES_FILE, "Therapist item responses",
        "One row per therapist and attended wave; a wave missed is an absent row.",
        [_therapist_id("therapist identifier (foreign key to therapists)"), _wave(), *t_items],
        [design.THERAPIST_ID, design.WAVE],
        [_fk(design.THERAPIST_ID, "therapists")],
    )
    patient_responses = _resource(
        "patient_responses", design.PATIENT_RESPONSES_FILE, "Patient item responses",
        "One row per patient and attended wave; a wave missed is an absent row.",
        [_patient_id("patient identifier (foreign key to patients)"), _wave(), *p_items],
        [design.PATIENT_ID, design.WAVE],
        [_fk(design.PATIENT_ID, "patients")],
    )
    origin = (f"Synthetic data generated by mcbi {__version__} "
              f"(python -m mcbi simulate, seed {seed}) with the trial's design; "
              "not the trial's data." if seed is not None else "")
    return {
        "profile": "tabular-data-package",
        "name": design.PACKAGE_NAME,
        "title": "MCBI for psychotherapists and their patients: trial data",
        "description": (
            "Item-level data of a randomized controlled trial of a mindfulness and "
            "compassion-based intervention for psychotherapists (Garrote-Caparrós et al., "
            "2023, doi:10.1037/pst0000467), in the schema this project analyses. " + origin
        ).strip(),
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                      "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "synthetic": seed is not None,
        **({"generator": _generator(seed, content_sha256)} if seed is not None else {}),
        "resources": [therapists, patients, therapist_responses, patient_responses],
    }

