"""Every parameter of the synthetic data-generating process, with its source.

This table is the single place where the generator's numbers live: :mod:`mcbi.synth.simulate`
reads them from here and the book's appendix lists them. ``source`` is ``"design"`` for a
fact of the published trial and ``"assumption"`` for a choice of this project
(see ``shared/study.md``). Effects are in baseline-SD units of the latent trait.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Parameter:
    """One generating parameter."""

    name: str
    value: float | int | tuple
    source: str
    description: str


_P = Parameter
_A, _D = "assumption", "design"

PARAMETERS: tuple[Parameter, ...] = (
    # design
    _P("n_therapists", 63, _D, "therapists randomized"),
    _P("n_mcbi", 33, _D, "therapists allocated to the MCBI (fixed allocation, order shuffled)"),
    _P("n_control", 30, _D, "therapists allocated to the active control (empathy diary)"),
    _P("n_patients", 121, _D, "patients nested in the therapists"),
    _P("cluster_size_range", (1, 4), _D, "participating patients per therapist"),
    _P("cluster_size_probs", (0.40, 0.33, 0.17, 0.10), _A,
       "probabilities of 1, 2, 3, 4 patients before adjusting the total to 121"),
    # therapist outcomes (MCBI - control, change from pre)
    _P("pms_effect", (0.6, 0.6), _A, "therapist PMS: effect at post, follow-up"),
    _P("empathy_effect", (0.15, 0.5), _A, "therapist EUS-T and TECA: effect at post, follow-up"),
    _P("ffmq_effect", (0.5, 0.4), _A, "therapist FFMQ facets: effect at post, follow-up"),
    _P("scs_effect", (0.4, 0.3), _A, "therapist SCS-SF subscales: effect at post, follow-up"),
    _P("dass_effect", (-0.3, -0.2), _A, "therapist DASS-21 subscales: effect at post, follow-up"),
    _P("therapist_change_sd", 0.45, _A, "SD of a therapist's individual change (each wave)"),
    _P("pms_change_sd", 0.4, _A, "SD of a therapist's individual PMS change at post"),
    _P("subscale_shared_variance", 0.5, _A,
       "share of a subscale's baseline variance due to its instrument's common factor"),
    # patient mechanism on post - pre changes (standardized within level)
    _P("path_pms_eusp_between", 0.45, _A, "between: therapist dPMS -> dEUS-P (cluster part)"),
    _P("path_eusp_bond_between", 0.50, _A, "between: dEUS-P -> dbond"),
    _P("path_bond_symptoms_between", -0.30, _A, "between: dbond -> dsymptoms"),
    _P("path_eusp_symptoms_between", -0.20, _A, "between: dEUS-P -> dsymptoms (direct)"),
    _P("path_eusp_bond_within", 0.40, _A, "within: dEUS-P -> dbond"),
    _P("path_bond_symptoms_within", -0.25, _A, "within: dbond -> dsymptoms"),
    _P("path_eusp_phi", 0.55, _A, "between and within: dEUS-P -> dPHI (outside the MSEM)"),
    _P("change_sd_between", {"eus_p": 0.85, "bond": 1.2, "symptoms": 1.0, "phi": 0.8}, _A,
       "SD of the between-therapist part of patients' post - pre change"),
    _P("change_sd_within", 0.7, _A, "SD of the within-therapist part of patients' change"),
    _P("patient_icc", 0.15, _A, "therapist-level ICC of every patient outcome at baseline"),
    _P("symptom_trend", (-0.25, -0.30), _A,
       "change of patients' symptoms in both arms (ongoing therapy), post and follow-up"),
    _P("phi_trend", (0.10, 0.10), _A, "change of patients' PHI in both arms"),
    _P("followup_carryover", {"eus_p": 0.33, "bond": 0.375, "bsi_som": 0.875,
                              "bsi_dep": 0.25, "bsi_anx": 0.875, "phi": 0.4}, _A,
       "share of the post change (beyond the trend) kept at follow-up; ratio of the "
       "follow-up to the post target effect set by this project"),
    _P("followup_noise_sd", 0.5, _A, "SD of patients' extra change between post and follow-up"),
    # measurement
    _P("loading_range", (0.6, 0.8), _A, "standardized item loadings (uniform)"),
    _P("item_location_sd", 0.2, _A, "SD of item-specific location, in item-spread units"),
    _P("item_center", {"pms": 3.2, "eust": 1.2, "eusp": 1.3, "teca": 3.6, "ffmq": 3.3,
                       "scs": 3.1, "dass": 0.7, "bsi": 1.3, "phi": 6.3, "watoci": 5.3}, _A,
       "mean item response at baseline, per instrument (before reverse keys)"),
    _P("item_spread", {"pms": 0.8, "eust": 1.1, "eusp": 1.1, "teca": 0.7, "ffmq": 0.8,
                       "scs": 0.8, "dass": 0.7, "bsi": 0.9, "phi": 1.8, "watoci": 1.0}, _A,
       "response units per latent SD, per instrument"),
    # missing data
    _P("therapist_dropout", (0.08, 0.15), _A, "therapists missing at post, follow-up"),
    _P("patient_dropout", (0.15, 0.30), _A, "patients missing at post, follow-up"),
    _P("dropout_baseline_slope", 0.5, _A,
       "log-odds of dropout per SD lower baseline score (missing at random)"),
    _P("item_missing_rate", 0.01, _A, "share of single item responses missing at random"),
    # demographics
    _P("therapist_age", (39.0, 9.0, 24, 66), _A, "mean, SD, min, max"),
    _P("patient_age", (34.0, 11.0, 18, 75), _A, "mean, SD, min, max"),
    _P("therapist_gender_probs", (0.70, 0.28, 0.02), _A, "female, male, other"),
    _P("patient_gender_probs", (0.65, 0.33, 0.02), _A, "female, male, other"),
    _P("orientation_probs", (0.35, 0.30, 0.15, 0.12, 0.08), _A,
       "cognitive-behavioural, integrative, humanistic, psychodynamic, systemic"),
    _P("problem_probs", (0.35, 0.25, 0.15, 0.15, 0.10), _A,
       "anxiety, depression, relational, adjustment, other"),
    _P("experience_share", (0.3, 0.9), _A,
       "years of experience = years since age 24 times a uniform share in this range"),
)

_BY_NAME = {p.name: p for p in PARAMETERS}


def param(name: str):  # noqa: ANN201 - value types vary by parameter
    """Return the value of generating parameter ``name``."""
    try:
        return _BY_NAME[name].value
    except KeyError:
        raise ValueError(f"unknown generating parameter {name!r}") from None


def delta_pms_sd(p_mcbi: float | None = None, pms_effect: float | None = None) -> float:
    """SD of the therapists' latent post - pre PMS change across both arms.

    The change is ``pms_effect[0] * arm + pms_change_sd * noise`` with ``arm`` 1 for a
    share ``p_mcbi`` of therapists, so its variance is
    ``pms_effect[0]**2 * p_mcbi * (1 - p_mcbi) + pms_change_sd**2``.

    Parameters
    ----------
    p_mcbi : float, optional
        Share of therapists in the MCBI arm; default ``n_mcbi / n_therapists``.
    pms_effect : float, optional
        The PMS effect at post in place of ``pms_effect[0]`` (see :data:`EFFECT_OVERRIDES`).
    """
    if p_mcbi is None:
        p_mcbi = param("n_mcbi") / param("n_therapists")
    if not 0 <= p_mcbi <= 1:
        raise ValueError(f"p_mcbi must lie in [0, 1], not {p_mcbi}")
    eff = param("pms_effect")[0] if pms_effect is None else float(pms_effect)
    return float(math.sqrt(eff**2 * p_mcbi * (1 - p_mcbi) + param("pms_change_sd") ** 2))


EFFECT_OVERRIDES: dict[str, str] = {
    "pms_effect": "therapist PMS: effect at post (latent SD; default pms_effect[0])",
    "eust_effect": "therapist EUS-T: effect at post (latent SD; default empathy_effect[0])",
    "teca_effect": "therapist TECA: effect at post (latent SD; default empathy_effect[0])",
    "path_pms_eusp_between": "standardized between path dPMS -> dEUS-P (|value| <= 1)",
    "path_eusp_bond_between": "standardized between path dEUS-P -> dbond (|value| <= 1)",
    "direct_eus_p": "direct arm effect on patients' EUS-P change at post (latent SD; default 0)",
    "direct_bond": "direct arm effect on patients' bond change at post (latent SD; default 0)",
    "direct_bsi_som": "direct arm effect on somatization change at post (latent SD; default 0)",
    "direct_bsi_dep": "direct arm effect on depression change at post (latent SD; default 0)",
    "direct_bsi_anx": "direct arm effect on anxiety change at post (latent SD; default 0)",
}
"""Effects :func:`mcbi.synth.simulate.simulate` can take in place of the table's values.

Every other parameter (variances, ICCs, measurement, dropout, follow-up effects) stays at
its value in :data:`PARAMETERS`. The generator itself has no direct arm effect on patients
(the arm reaches them only through dPMS); a ``direct_*`` effect is added to the patients'
post change (and kept at follow-up in the outcome's ``followup_carryover`` share).
"""

_PATHS = ("path_pms_eusp_between", "path_eusp_bond_between")


def check_effects(effects: dict[str, float] | None) -> dict[str, float]:
    """Validate effect overrides (:data:`EFFECT_OVERRIDES`); return them as floats.

    Raises
    ------
    ValueError
        For an unknown name, a value that is not finite, or a standardized path outside
        [-1, 1].
    """
    out = {}
    for name, value in (effects or {}).items():
        if name not in EFFECT_OVERRIDES:
            raise ValueError(f"unknown effect {name!r}; known: {', '.join(EFFECT_OVERRIDES)}")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"effect {name} must be finite, not {value}")
        if name in _PATHS and abs(value) > 1:
            raise ValueError(f"{name} is a standardized path and must lie in [-1, 1], "
                             f"not {value:g}")
        out[name] = value
    return out


def effect(name: str, effects: dict[str, float] | None = None) -> float:
    """The value of effect ``name`` of :data:`EFFECT_OVERRIDES`: overridden or the default."""
    if name not in EFFECT_OVERRIDES:
        raise ValueError(f"unknown effect {name!r}; known: {', '.join(EFFECT_OVERRIDES)}")
    if effects and name in effects:
        return float(effects[name])
    if name in ("eust_effect", "teca_effect"):
        return float(param("empathy_effect")[0])
    if name == "pms_effect":
        return float(param("pms_effect")[0])
    return float(param(name)) if name in _PATHS else 0.0


def parameter_table() -> pd.DataFrame:
    """All generating parameters as a tidy table (name, value, source, description)."""
    return pd.DataFrame(
        [(p.name, _fmt(p.value), p.source, p.description) for p in PARAMETERS],
        columns=["name", "value", "source", "description"],
    )


def _fmt(value: object) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v:g}" for k, v in value.items())
    if isinstance(value, tuple):
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)
