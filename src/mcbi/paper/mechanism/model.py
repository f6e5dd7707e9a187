"""The trial's mechanism model: change-score data, the MSEM specification and its truth.

Specific to this trial; the estimator (:mod:`mcbi.stats.msem`) is general. Variables are post -
pre change scores: therapist ``pms`` and ``mcbi`` (arm, 1 = MCBI) exist only at level 2;
the patients' ``eusp`` (perceived empathy), ``bond`` and symptoms ``som``, ``dep``, ``anx``
have a between-therapist and a within-therapist part.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mcbi.synth.parameters import delta_pms_sd, param
from mcbi.synth.record import generator_record, verdict
from mcbi.trial import design
from mcbi.trial.data import CHANGE_PREFIX, TrialData

CLUSTER = design.THERAPIST_ID
SYMPTOMS = ("som", "dep", "anx")
VARIABLES = {
    "mcbi": "arm (MCBI = 1)",
    "pms": "Δ psychotherapeutic mindfulness skills (therapist)",
    "eusp": "Δ perceived therapist empathy (EUS-P)",
    "bond": "Δ therapeutic bond",
    "som": "Δ somatization (BSI-18)",
    "dep": "Δ depression (BSI-18)",
    "anx": "Δ anxiety (BSI-18)",
}
_SCALES = {"pms": "pms", "eusp": "eus_p", "bond": "bond", "som": "bsi_som",
           "dep": "bsi_dep", "anx": "bsi_anx"}

MODEL = """
level: 1
  bond ~ b_w*eusp
  som ~ c_w1*bond
  dep ~ c_w2*bond
  anx ~ c_w3*bond
  som ~~ dep + anx
  dep ~~ anx
level: 2
  pms ~ a0*mcbi
  eusp ~ a*pms
  bond ~ b*eusp
  som ~ c1*bond + d1*eusp
  dep ~ c2*bond + d2*eusp
  anx ~ c3*bond + d3*eusp
  som ~~ dep + anx
  dep ~~ anx
pms_eusp_bond := a*b
pms_som := a*b*c1 + a*d1
pms_dep := a*b*c2 + a*d2
pms_anx := a*b*c3 + a*d3
arm_eusp := a0*a
arm_bond := a0*a*b
arm_som := a0*(a*b*c1 + a*d1)
arm_dep := a0*(a*b*c2 + a*d2)
arm_anx := a0*(a*b*c3 + a*d3)
within_som := b_w*c_w1
within_dep := b_w*c_w2
within_anx := b_w*c_w3
"""
"""lavaan syntax of the mechanism model (2-1-1 mediation at the between level)."""

SINGLE_LEVEL_MODEL = """
pms ~ a0*mcbi
eusp ~ a*pms
bond ~ b*eusp
som ~ c1*bond + d1*eusp
dep ~ c2*bond + d2*eusp
anx ~ c3*bond + d3*eusp
som ~~ dep
som ~~ anx
dep ~~ anx
"""
"""The same paths in one level, ignoring that patients are nested in therapists."""

INDIRECT = {
    "pms_eusp_bond": "ΔPMS → ΔEUS-P → Δbond (between)",
    "pms_som": "ΔPMS → Δsomatization via ΔEUS-P and Δbond (between)",
    "pms_dep": "ΔPMS → Δdepression via ΔEUS-P and Δbond (between)",
    "pms_anx": "ΔPMS → Δanxiety via ΔEUS-P and Δbond (between)",
    "arm_eusp": "arm → ΔPMS → ΔEUS-P",
    "arm_bond": "arm → ΔPMS → ΔEUS-P → Δbond",
    "arm_som": "arm → … → Δsomatization",
    "arm_dep": "arm → … → Δdepression",
    "arm_anx": "arm → … → Δanxiety",
    "within_som": "ΔEUS-P → Δbond → Δsomatization (within)",
    "within_dep": "ΔEUS-P → Δbond → Δdepression (within)",
    "within_anx": "ΔEUS-P → Δbond → Δanxiety (within)",
}


def _assemble(patient_part: pd.DataFrame, therapist_part: pd.DataFrame) -> pd.DataFrame:
    out = patient_part.merge(therapist_part, on=CLUSTER, how="left")
    out["mcbi"] = (out[design.ARM].astype(str) == design.TREATED).astype(float)
    return out.drop(columns=[design.ARM])


def change_data(trial: TrialData) -> pd.DataFrame:
    """Post - pre change scores, one row per patient, with the therapist's ΔPMS and arm."""
    prefix = CHANGE_PREFIX["post"]
    t = trial.therapist_change[[CLUSTER, design.ARM, prefix + "pms"]].rename(
        columns={prefix + "pms": "pms"})
    cols = {prefix + s: v for v, s in _SCALES.items() if v != "pms"}
    p = trial.patient_change[[design.PATIENT_ID, CLUSTER, *cols]].rename(columns=cols)
    return _assemble(p, t)


PATIENT_VARIABLES = ("eusp", "bond", *SYMPTOMS)
"""The level-1 (patient) variables of every rung of the mechanism model."""


def sample_counts(trial: TrialData, data: pd.DataFrame) -> dict[str, int]:
    """Who the mechanism model uses, out of whom.

    The estimator (:func:`mcbi.stats.msem.fit`, FIML) keeps every patient with a post - pre
    change on at least one of :data:`PATIENT_VARIABLES` (a row with none of them carries
    no level-1 information) and every therapist with at least one such patient; missing
    cells of the kept rows, and a kept therapist's missing ΔPMS, are handled by
    full-information maximum likelihood.

    Parameters
    ----------
    trial : TrialData
        The loaded package (for the numbers enrolled).
    data : DataFrame
        :func:`change_data` of ``trial``.

    Returns
    -------
    dict
        ``patients_total, therapists_total`` (in the package), ``patients_used,
        therapists_used`` (in the model), ``patients_complete`` (used patients with every
        patient variable observed), ``therapists_no_pms`` (used therapists without a
        ΔPMS), ``therapists_multi`` (used therapists with two or more used patients: the
        ones that separate within- from between-therapist variation) and
        ``patients_per_therapist_min`` / ``_max`` (used patients per used therapist; 0 when
        no patient is used).
    """
    missing = [v for v in (*PATIENT_VARIABLES, "pms", CLUSTER) if v not in data.columns]
    if missing:
        raise ValueError(f"change data lack the columns {missing}")
    obs = data[list(PATIENT_VARIABLES)].notna()
    used = data[obs.any(axis=1)]
    by_therapist = used.groupby(CLUSTER)["pms"].first()
    sizes = used.groupby(CLUSTER).size()
    return {"patients_total": int(trial.patient_info[design.PATIENT_ID].nunique()),
            "therapists_total": int(trial.therapist_info[CLUSTER].nunique()),
            "patients_used": len(used), "therapists_used": int(used[CLUSTER].nunique()),
            "patients_complete": int(obs.all(axis=1).sum()),
            "therapists_no_pms": int(by_therapist.isna().sum()),
            "therapists_multi": int((sizes >= 2).sum()),
            "patients_per_therapist_min": int(sizes.min()) if len(sizes) else 0,
            "patients_per_therapist_max": int(sizes.max()) if len(sizes) else 0}


def generator_seed(path: str | Path, synthetic: str | bool = "auto") -> int | None:
    """The generator seed of a synthetic package (None for real data).

    A package is synthetic only when regenerating from its record reproduces its content
    (:func:`mcbi.synth.record.is_synthetic`); ``synthetic`` is that verdict when the build
    already decided it (``"yes"``/``"no"``), ``"auto"`` to decide here.
    """
    if not verdict(path, synthetic):
        return None
    record = generator_record(path)
    return None if record is None else int(record["seed"])


def latent_change_data(seed: int) -> pd.DataFrame:
    """The generating process's latent post - pre changes (no measurement error, no dropout)."""
    from mcbi.synth.simulate import simulate

    sim = simulate(seed)

    def diff(frame: pd.DataFrame, key: str, cols: list[str]) -> pd.DataFrame:
        wide = frame.set_index([key, design.WAVE])[cols]
        out = wide.xs("post", level=design.WAVE) - wide.xs("pre", level=design.WAVE)
        return out.reset_index()

    t = diff(sim.therapist_latent, CLUSTER, ["pms"])
    t = t.merge(sim.therapist_latent[[CLUSTER, design.ARM]].drop_duplicates(), on=CLUSTER)
    scales = {s: v for v, s in _SCALES.items() if v != "pms"}
    p = diff(sim.patient_latent, design.PATIENT_ID, list(scales)).rename(columns=scales)
    p = p.merge(sim.patient_latent[[design.PATIENT_ID, CLUSTER]].drop_duplicates(),
                on=design.PATIENT_ID)
    return _assemble(p, t)


def true_paths() -> pd.DataFrame:
    """The generating process's paths in the units of the latent change scores.

    The process specifies standardized paths within each level (:mod:`mcbi.synth.parameters`);
    multiplying by the level SDs gives the unstandardized values that a model of the latent
    changes estimates. Returns ``lhs, op, rhs, level, label, true``.
    """
    eff = param("pms_effect")[0]
    pms_sd = delta_pms_sd()
    sdb = param("change_sd_between")
    a, b = param("path_pms_eusp_between"), param("path_eusp_bond_between")
    c, d = param("path_bond_symptoms_between"), param("path_eusp_symptoms_between")
    rows = [("pms", "mcbi", 2, "a0", eff),
            ("eusp", "pms", 2, "a", sdb["eus_p"] * a / pms_sd),
            ("bond", "eusp", 2, "b", sdb["bond"] * b / sdb["eus_p"]),
            ("bond", "eusp", 1, "b_w", param("path_eusp_bond_within"))]
    for k, s in enumerate(SYMPTOMS, start=1):
        rows += [(s, "bond", 2, f"c{k}", sdb["symptoms"] * c / sdb["bond"]),
                 (s, "eusp", 2, f"d{k}", sdb["symptoms"] * d / sdb["eus_p"]),
                 (s, "bond", 1, f"c_w{k}", param("path_bond_symptoms_within"))]
    out = pd.DataFrame(rows, columns=["lhs", "rhs", "level", "label", "true"])
    out.insert(1, "op", "~")
    return out
