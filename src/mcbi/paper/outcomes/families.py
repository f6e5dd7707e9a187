"""The trial's outcomes: families for Holm's adjustment, figure lists, direction and labels.

Every notebook takes its outcome lists from here, so that a list is written once.
"""

from __future__ import annotations

from mcbi.trial.instruments import scale_label as label

THERAPIST_FAMILIES: dict[str, tuple[str, ...]] = {
    "mindfulness skills": ("pms",),
    "empathy": ("eus_t", "teca", "teca_pt", "teca_eu", "teca_es", "teca_ej"),
    "mindfulness": ("ffmq_obs", "ffmq_des", "ffmq_act", "ffmq_nj", "ffmq_nr"),
    "self-compassion": ("scs",),
    "distress": ("dass_dep", "dass_anx", "dass_str"),
}
"""Therapist outcome families; Holm's adjustment runs within each family."""

PATIENT_FAMILIES: dict[str, tuple[str, ...]] = {
    "perceived empathy": ("eus_p",),
    "alliance": ("bond",),
    "symptoms": ("bsi_som", "bsi_dep", "bsi_anx", "bsi_gsi"),
    "well-being": ("phi",),
    "mindfulness": ("ffmq",),
    "self-compassion": ("scs",),
}
"""Patient outcome families."""

LOWER_IS_BETTER = frozenset({"dass_dep", "dass_anx", "dass_str", "bsi_som", "bsi_dep",
                             "bsi_anx", "bsi_gsi"})
"""Outcomes whose improvement is a decrease (distress and symptoms)."""

THERAPIST_FIGURE: tuple[str, ...] = (
    "pms", "eus_t", "teca", "scs", "ffmq_obs", "ffmq_des", "ffmq_act", "ffmq_nj", "ffmq_nr",
    "dass_dep", "dass_anx", "dass_str",
)
"""Therapist outcomes in the trajectory figure (the TECA total without its subscales)."""


def outcomes(families: dict[str, tuple[str, ...]]) -> list[str]:
    """The outcomes of ``families`` in order, each once.

    Parameters
    ----------
    families : dict
        Family name -> outcome names, e.g. :data:`PATIENT_FAMILIES`.

    Returns
    -------
    list of str
    """
    return list(dict.fromkeys(o for members in families.values() for o in members))


PATIENT_FIGURE: tuple[str, ...] = tuple(outcomes(PATIENT_FAMILIES))
"""Patient outcomes in the trajectory figure (all of them)."""


def labels(names: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Outcome -> display label for every name in ``names``."""
    return {name: label(name) for name in names}


def improvement_sign(outcome: str) -> float:
    """``+1`` if a higher score is better, ``-1`` if lower is better."""
    return -1.0 if outcome in LOWER_IS_BETTER else 1.0
