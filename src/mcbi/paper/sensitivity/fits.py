"""The key outcomes' mixed models, fitted one rung, estimator and data set at a time.

The models are those of the outcome chapters (:mod:`mcbi.paper.outcomes.models`): arm x
wave fixed effects; a random intercept per therapist for the therapist outcomes; for the
patient outcomes, the first rung of the fallback ladder
(:data:`~mcbi.paper.outcomes.models.LADDER`) that the data identify and that converges. The
waves analysed are those observed in both arms. Here each fit can also be asked for with a
given rung, by ML or REML, and on a subset of the data (complete cases); a fit that cannot be
made is returned with its reason, never raised.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mcbi.paper.outcomes.models import (
    INFERENCES,
    LADDER,
    NOT_AVAILABLE,
    NOT_ESTIMABLE,
    OK,
    THERAPIST_STRUCTURE,
    Structure,
)
from mcbi.paper.outcomes.sufficiency import MIN_UNITS, change_support, too_few_note
from mcbi.stats.lmm import LMMResult, contrasts, fit_lmm
from mcbi.trial import design
from mcbi.trial.data import TrialData
from mcbi.trial.instruments import scale_label

KEY_THERAPIST: tuple[str, ...] = ("pms", "eus_t", "teca")
"""The therapists' key outcomes: mindfulness skills (PMS) and self-reported empathy."""
KEY_PATIENT: tuple[str, ...] = ("eus_p", "bond", "bsi_som", "bsi_dep", "bsi_anx")
"""The patients' key outcomes: perceived empathy, bond and the three BSI-18 symptom scales."""

DDF: tuple[str, ...] = INFERENCES
"""Reference distributions a test may use (the outcome chapters' choices, theirs first)."""
DDF_LABEL = {"z": "z", "satterthwaite": "Satterthwaite", "kenward-roger": "Kenward–Roger"}

COLUMNS = ["outcome", "label", "level", "time", "estimate", "se", "df", "pvalue", "ci_lower",
           "ci_upper", "n_units", "status", "note", "collected", "sufficient"]
"""Columns of every contrast table of this chapter (one between-arm contrast per row;
``collected``: whether the wave is in the outcome's table at all; ``sufficient``: whether
the contrast passes the outcome chapters' data-sufficiency rule
(:mod:`mcbi.paper.outcomes.sufficiency`), without which it is never called significant)."""


@dataclass(frozen=True)
class Target:
    """A key outcome and the table and levels it is analysed on."""

    outcome: str
    level: str  # "therapists" or "patients"
    data: pd.DataFrame
    subject: str
    cluster: str | None
    ladder: tuple[Structure, ...]

    @property
    def label(self) -> str:
        return scale_label(self.outcome)


def targets(trial: TrialData) -> list[Target]:
    """The key outcomes present in ``trial``'s tables, therapists first."""
    out = [Target(o, "therapists", trial.therapists, design.THERAPIST_ID, None,
                  (THERAPIST_STRUCTURE,)) for o in KEY_THERAPIST if o in trial.therapists]
    out += [Target(o, "patients", trial.patients, design.PATIENT_ID, design.THERAPIST_ID,
                   LADDER) for o in KEY_PATIENT if o in trial.patients]
    return out


def analysed_waves(data: pd.DataFrame, outcome: str) -> list[str]:
    """The waves (in design order) at which ``outcome`` is observed in both arms."""
    seen = data[data[outcome].notna()]
    arms = seen.groupby(design.WAVE, observed=True)[design.ARM].nunique()
    return [w for w in design.WAVES if int(arms.get(w, 0)) == len(design.ARMS)]


@dataclass
class Fit:
    """A fit of one target: the result (None when none could be made), its rung, the
    waves analysed, why a rung was left (or why nothing could be fitted), the rows used and
    the waves present in the data at all (``collected``)."""

    target: Target
    result: LMMResult | None
    rung: Structure | None
    waves: list[str]
    note: str = ""
    data: pd.DataFrame | None = None
    collected: tuple[str, ...] = design.WAVES


def _unidentified(seen: pd.DataFrame, rung: Structure, target: Target) -> str | None:
    """Why ``rung`` cannot be identified from the observed rows (the outcome chapters'
    rules), or None."""
    if target.cluster is None:
        return None
    per_cluster = seen.groupby(target.cluster)[target.subject].nunique()
    if rung.three_level and (per_cluster < 2).all():
        return ("no therapist has two patients with this outcome, so therapist and patient "
                "variance cannot be separated")
    if rung.cluster_time and not (seen.groupby([target.cluster, design.WAVE], observed=True)
                                  .size() > 1).any():
        return ("no therapist has two patients observed at the same wave, so the therapist "
                "× wave term cannot be separated from the residual")
    return None


def theta_names(rung: Structure, waves: list[str]) -> tuple[str, ...]:
    """The variance components of ``rung``'s model on ``waves``, in the order of its theta
    (as :attr:`mcbi.stats.lmm.frame.ModelFrame.theta_names`)."""
    names = (["cluster"] if rung.three_level else []) + ["subject"]
    if rung.cluster_time == "by_time":
        names += [f"cluster_time[{w}]" for w in waves]
    elif rung.cluster_time:
        names.append("cluster_time")
    return tuple(names)


def warm_start(source: LMMResult | None, rung: Structure,
               waves: list[str]) -> list[float] | None:
    """A start for ``rung``'s optimiser from another fit of the same outcome (``source``):
    each of the rung's components takes the source's value of the same name (one therapist
    × wave variance from the root mean square of the per-wave ones, and back); None when
    the source lacks a component (a richer rung than the source's starts from the grid)."""
    if source is None:
        return None
    have = dict(zip(source.optsummary.theta_names, source.optsummary.final, strict=True))
    per_wave = [v for k, v in have.items() if k.startswith("cluster_time[")]
    start = []
    for name in theta_names(rung, waves):
        if name in have:
            start.append(float(have[name]))
        elif name == "cluster_time" and per_wave:
            start.append(float(np.sqrt(np.mean(np.square(per_wave)))))
        elif name.startswith("cluster_time[") and "cluster_time" in have:
            start.append(float(have["cluster_time"]))
        else:
            return None
    return start


def fit(target: Target, rungs: tuple[Structure, ...] | None = None, reml: bool = True,
        data: pd.DataFrame | None = None, start_from: LMMResult | None = None) -> Fit:
    """The first of ``rungs`` (default the target's ladder) that fits ``data`` (default the
    target's table), by REML or ML. With ``start_from`` (another fit of the outcome, e.g.
    the same model by the other criterion or on more data), each rung's optimiser starts
    from :func:`warm_start` instead of its grid of starts where the components match."""
    data = target.data if data is None else data
    waves = analysed_waves(data, target.outcome)
    collected = tuple(w for w in design.WAVES if (data[design.WAVE] == w).any())
    if design.WAVES[0] not in waves or len(waves) < 2:
        return Fit(target, None, None, waves, "no baseline and later wave observed in both arms",
                   data, collected)
    used = data[data[design.WAVE].isin(waves)]
    seen = used[used[target.outcome].notna()]
    notes: list[str] = []
    for rung in rungs or target.ladder:
        why = _unidentified(seen, rung, target)
        if why is None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = fit_lmm(used, target.outcome, design.ARM, design.WAVE, target.subject,
                                  target.cluster if rung.three_level else None,
                                  group_levels=list(design.ARMS), time_levels=waves,
                                  cluster_time=rung.cluster_time, reml=reml,
                                  start=warm_start(start_from, rung, waves))
                if res.converged:
                    return Fit(target, res, rung, waves, "; ".join(notes), used, collected)
                why = "the fit did not converge"
            except (ValueError, np.linalg.LinAlgError, FloatingPointError) as err:
                why = str(err)
        if why not in notes:
            notes.append(why)
    return Fit(target, None, None, waves, "; ".join(notes), used, collected)


def units(data: pd.DataFrame, target: Target) -> int:
    """Units (therapists or patients) with at least one observed score of the outcome."""
    return int(data.loc[data[target.outcome].notna(), target.subject].nunique())


def between(f: Fit, alpha: float, ddf: str = "z") -> pd.DataFrame:
    """The between-arm differences in change of a fit, one row per post-baseline wave of
    the design, in :data:`COLUMNS` (``status`` "not available" for a wave not analysed,
    "not estimable" when the model could not be fitted)."""
    t = f.target
    rows = pd.DataFrame({"time": list(design.WAVES[1:])})
    rows.insert(0, "level", t.level)
    rows.insert(0, "label", t.label)
    rows.insert(0, "outcome", t.outcome)
    for col in ("estimate", "se", "df", "pvalue", "ci_lower", "ci_upper"):
        rows[col] = np.nan
    rows["n_units"] = units(f.data, t) if f.data is not None else 0
    rows["status"], rows["note"] = NOT_ESTIMABLE, f.note
    est = None
    if f.result is not None:
        try:
            est = contrasts(f.result, alpha, ddf=ddf)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError) as err:
            rows["note"] = f"the test could not be computed: {err}"
    if est is not None:
        est = est[est["contrast"] == "between"].set_index("time")
        if "df" not in est.columns:
            est["df"] = np.inf
        for i, w in enumerate(rows["time"]):
            if w in est.index:
                for col in ("estimate", "se", "df", "pvalue", "ci_lower", "ci_upper"):
                    rows.loc[i, col] = float(est.loc[w, col])
                rows.loc[i, ["status", "note"]] = [OK, ""]
    rows["sufficient"] = True
    if f.data is not None:
        for i, w in enumerate(rows["time"]):
            counts = change_support(f.data, t.outcome, t.subject, t.cluster, design.WAVES[0], w)
            if min(counts.values()) < MIN_UNITS:
                rows.loc[i, "sufficient"] = False
                if rows.loc[i, "status"] == OK:
                    rows.loc[i, "note"] = too_few_note(counts, w, t.cluster is not None)
    present = set(f.collected)
    rows["collected"] = rows["time"].isin(present)
    for i, w in enumerate(rows["time"]):
        if w not in f.waves:
            why = "not observed in both arms" if w in present else "not collected"
            rows.loc[i, ["status", "note"]] = [NOT_AVAILABLE, f"{design.wave_label(w)} {why}"]
    return rows[COLUMNS]
