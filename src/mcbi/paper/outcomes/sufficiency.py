"""The data-sufficiency rule of the between-arm change contrasts, fixed in advance.

A between-arm difference in change from baseline to a wave rests on the units whose change
is observed, that is, observed at baseline and at that wave. When an arm has fewer than
:data:`MIN_UNITS` such units, the model's estimate comes mostly from its assumptions (the
random-effects structure and missing at random), not from observed change, and its test
cannot be trusted however small its *p*. Such a contrast is still reported (estimate and
interval) but flagged, left out of the Holm adjustment of its family, and never called
statistically significant.

The units counted are those randomized: therapists. For a therapist outcome a therapist
counts when the outcome is observed at both waves; for a patient outcome when at least one
of the therapist's patients is observed at both waves.
"""

from __future__ import annotations

import pandas as pd

from mcbi.trial import design

__all__ = ["MIN_UNITS", "TOO_FEW", "change_support", "too_few_note"]

MIN_UNITS = 2
"""Fewest units per arm with an observed change for a between-arm contrast to be tested.

Read from the committed type-I error study (``mcbi plan --effects null``; appendix "Which
test for the between-arm contrasts") by :func:`mcbi.paper.outcomes.typeone.chosen_min_units`,
which a test checks against this value: in simulated trials without any arm effect, the
Kenward-Roger test keeps its rejection rate at or below .06 in every band of at least 200
tests from this many therapists per arm with the change observed (smaller counts were above
that rate or too rare in the study to be judged)."""

TOO_FEW = "too few observed changes"
"""Status of a between-arm contrast that fails the rule."""


def change_support(long: pd.DataFrame, outcome: str, subject: str, cluster: str | None,
                   baseline: str, wave: str) -> dict[str, int]:
    """Units of each arm with ``outcome`` observed at ``baseline`` and at ``wave``.

    Parameters
    ----------
    long : DataFrame
        One row per unit and wave with ``arm`` and ``wave`` columns.
    outcome, subject : str
        The score and the unit measured (a therapist or a patient).
    cluster : str or None
        The randomized unit the patients belong to (the therapist); None when the measured
        units are randomized themselves.

    Returns
    -------
    dict
        Arm -> count (every arm of :data:`mcbi.trial.design.ARMS`, zero when absent).
    """
    seen = long[long[outcome].notna()]
    at = {w: set(seen.loc[seen[design.WAVE] == w, subject]) for w in (baseline, wave)}
    both = seen[seen[subject].isin(at[baseline] & at[wave]) & (seen[design.WAVE] == wave)]
    unit = cluster or subject
    counts = both.groupby(design.ARM, observed=True)[unit].nunique()
    return {arm: int(counts.get(arm, 0)) for arm in design.ARMS}


def too_few_note(counts: dict[str, int], wave: str, clustered: bool) -> str:
    """Why a contrast fails the rule, in words: which arm has how many units ("none" for
    zero, never "0"): "not tested: of the therapists, none in the control arm and only 2 in
    the MCBI arm were observed at baseline and post (at least 5 per arm are needed)".
    """
    short = {arm: n for arm, n in counts.items() if n < MIN_UNITS}
    one = list(short.values()) == [1]  # "only 1 in the control arm was observed"
    verb = "had a patient observed" if clustered else ("was observed" if one else "were observed")
    if len(short) > 1 and not any(short.values()):
        who = "none in either arm" if len(short) == 2 else "none in any arm"
    else:
        first = next((arm for arm, n in short.items() if n), None)  # "only" said once
        who = " and ".join(("none" if not n else f"only {n}" if arm == first else str(n))
                           + f" in the {arm} arm" for arm, n in short.items())
    return (f"not tested: of the therapists, {who} {verb} at baseline and "
            f"{design.wave_label(wave)} (at least {MIN_UNITS} per arm are needed)")
