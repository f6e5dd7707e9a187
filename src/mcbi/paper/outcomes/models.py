"""The outcome models: arm x wave mixed models, their contrasts and Holm within each family.

Applies the general :mod:`mcbi.stats.lmm` to the trial's long tables
(:class:`mcbi.trial.data.TrialData`) with the families of :mod:`mcbi.paper.outcomes.families`.

Nothing here stops on unusual data. For each outcome:

1. the waves analysed are those observed in both arms (a wave not collected, or observed in
   one arm only, gives contrasts marked ``"not available"``);
2. the random-effects structure is the first of a fixed ladder (:data:`LADDER`, from the
   requested rung down) whose terms the data can identify and whose fit converges; each
   step down is recorded with its reason;
3. a model that cannot be fitted at all gives contrasts marked ``"not estimable"`` with the
   reason; warnings raised while fitting are kept in the record, never printed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mcbi.paper.outcomes.effects import add_d, pooled_baseline_sd
from mcbi.paper.outcomes.families import PATIENT_FAMILIES, THERAPIST_FAMILIES, label
from mcbi.paper.outcomes.sufficiency import (
    MIN_UNITS,
    TOO_FEW,
    change_support,
    too_few_note,
)
from mcbi.paper.parameters import RULES
from mcbi.stats.lmm import LMMResult, contrasts, fit_lmm, holm, icc_by_time, marginal_means
from mcbi.trial import design
from mcbi.trial.data import TrialData

OK, NOT_AVAILABLE, NOT_ESTIMABLE = "ok", "not available", "not estimable"
"""Values of the ``status`` column of a contrast table (and
:data:`~mcbi.paper.outcomes.sufficiency.TOO_FEW`)."""

INFERENCES = ("kenward-roger", "satterthwaite", "z")
"""Tests of the contrasts :func:`analyse_outcomes` can use."""
INFERENCE = "kenward-roger"
"""The book's test: REML with Kenward-Roger's small-sample df (see Methods)."""


@dataclass(frozen=True)
class Structure:
    """One rung of the random-effects ladder of the patient models.

    Attributes
    ----------
    key : str
        Short name (also the value of the ``therapist_by_wave`` notebook parameter).
    cluster_time : bool or str
        Passed to :func:`mcbi.stats.lmm.fit_lmm`.
    three_level : bool
        Whether therapists are a level of their own.
    text : str
        The random intercepts, in words.
    """

    key: str
    cluster_time: bool | str
    three_level: bool
    text: str


LADDER: tuple[Structure, ...] = (
    Structure("by_time", "by_time", True,
              "therapist, patient and therapist × wave intercepts (a variance per wave)"),
    Structure("common", True, True,
              "therapist, patient and therapist × wave intercepts (one variance)"),
    Structure("none", False, True, "therapist and patient intercepts"),
    Structure("patient", False, False, "patient intercepts only"),
)
"""The patient models' random-effects structures, richest first. The analysis starts at the
requested rung and steps down when a term is not identifiable or the fit fails."""

THERAPIST_STRUCTURE = Structure("therapist", False, False, "therapist intercepts")
"""The therapist models' only structure (waves within therapists)."""

_BY_WAVE = {"by_time": "by_time", "common": "common", "true": "common", "none": "none",
            "false": "none"}


def check_parameters(alpha: object, therapist_by_wave: object = "by_time") -> tuple[float, str]:
    """Validate the notebook parameters ``alpha`` and ``therapist_by_wave``.

    Parameters
    ----------
    alpha : object
        A number in (0, 0.5] (:data:`mcbi.paper.parameters.RULES`).
    therapist_by_wave : object
        ``"by_time"`` (a therapist x wave variance per wave), ``"common"`` or ``True`` (one
        variance), ``"none"`` or ``False`` (no therapist x wave term).

    Returns
    -------
    tuple
        ``(alpha, key)`` with ``key`` the :data:`LADDER` rung to start from.

    Raises
    ------
    ValueError
        Naming the notebook parameter and its allowed values.
    """
    if isinstance(alpha, np.number):
        alpha = alpha.item()
    if not RULES["alpha"].accepts(alpha):
        raise ValueError(f"notebook parameter alpha must be {RULES['alpha'].expects}, "
                         f"got {alpha!r}")
    key = _BY_WAVE.get(str(therapist_by_wave).strip().lower())
    if key is None:
        raise ValueError("notebook parameter therapist_by_wave must be 'by_time', 'common' "
                         f"(or True) or 'none' (or False), got {therapist_by_wave!r}")
    return float(alpha), key


@dataclass
class OutcomeAnalysis:
    """Mixed-model results for a set of outcomes.

    Attributes
    ----------
    contrasts : DataFrame
        One row per outcome, post-baseline wave of :data:`design.WAVES` and contrast
        (within each arm, between arms): :func:`mcbi.stats.lmm.contrasts` columns with
        ``family``, Feingold's ``d`` (:mod:`mcbi.paper.outcomes.effects`), ``p_holm``, ``label``,
        ``status`` (:data:`OK`, :data:`NOT_AVAILABLE`, :data:`NOT_ESTIMABLE`) and ``note``.
    means : DataFrame
        Model-estimated means by arm and analysed wave (estimated outcomes only).
    variance : DataFrame
        Variance components per outcome (``outcome, component, variance, sd,
        proportion``).
    icc : DataFrame
        Therapist share of variance per outcome and wave
        (:func:`mcbi.stats.lmm.icc_by_time`; NaN for a clustered outcome fitted without
        its therapist level).
    fits : DataFrame
        One row per outcome: ``family, outcome, label, requested, structure, fallback,
        waves, nobs, converged, zero_components, singular, estimable, note``.
    alpha : float
        Level of every interval is ``1 - alpha``.
    """

    contrasts: pd.DataFrame
    means: pd.DataFrame
    variance: pd.DataFrame
    icc: pd.DataFrame
    fits: pd.DataFrame
    alpha: float = 0.05

    @property
    def waves(self) -> list[str]:
        """Post-baseline waves with at least one estimated contrast."""
        ok = self.contrasts[self.contrasts["status"] == OK]
        return [w for w in design.WAVES[1:] if (ok["time"] == w).any()]


def _waves(long: pd.DataFrame, outcome: str) -> tuple[list[str], dict[str, str]]:
    """Waves observed in both arms, and a reason for every other wave."""
    seen = long[long[outcome].notna()]
    arms = seen.groupby(design.WAVE, observed=True)[design.ARM].nunique()
    used, reasons = [], {}
    for w in design.WAVES:
        k = int(arms.get(w, 0))
        if k == len(design.ARMS):
            used.append(w)
        else:
            reasons[w] = ("not collected" if not (long[design.WAVE] == w).any()
                          else "not observed" if k == 0 else "observed in one arm only")
    return used, reasons


def _unidentified(seen: pd.DataFrame, rung: Structure, subject: str,
                  cluster: str | None) -> str | None:
    """Why ``rung`` cannot be identified from the observed rows, or None."""
    if cluster is None:
        return None
    per_cluster = seen.groupby(cluster)[subject].nunique()
    if rung.three_level and (per_cluster < 2).all():
        return ("no therapist has two patients with this outcome, so therapist and patient "
                "variance cannot be separated")
    if rung.cluster_time and not (seen.groupby([cluster, design.WAVE], observed=True)
                                  .size() > 1).any():
        return ("no therapist has two patients observed at the same wave, so the therapist "
                "× wave term cannot be separated from the residual")
    return None


def _fit(long: pd.DataFrame, outcome: str, subject: str, cluster: str | None,
         waves: list[str], ladder: tuple[Structure, ...], alpha: float, reml: bool = False
         ) -> tuple[LMMResult | None, Structure | None, list[str]]:
    """The first rung of ``ladder`` that fits, and the reasons of the steps down (each once)."""
    data = long[long[design.WAVE].isin(waves)]
    seen = data[data[outcome].notna()]
    notes: list[str] = []
    for rung in ladder:
        why = _unidentified(seen, rung, subject, cluster)
        if why is None:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    res = fit_lmm(data, outcome, design.ARM, design.WAVE, subject,
                                  cluster if rung.three_level else None,
                                  group_levels=list(design.ARMS), time_levels=waves,
                                  alpha=alpha, cluster_time=rung.cluster_time, reml=reml)
                notes += [f"warning: {w.message}" for w in caught
                          if f"warning: {w.message}" not in notes]
                if res.converged:
                    return res, rung, notes
                why = "the fit did not converge"
            except (ValueError, np.linalg.LinAlgError, FloatingPointError) as err:
                why = str(err)
        if why not in notes:
            notes.append(why)
    return None, None, notes


def _empty_contrasts(outcome: str) -> pd.DataFrame:
    rows = []
    for w in design.WAVES[1:]:
        rows += [("within", arm, w) for arm in design.ARMS]
        rows.append(("between", f"{design.TREATED} - {design.CONTROL}", w))
    out = pd.DataFrame(rows, columns=["contrast", "group", "time"])
    out.insert(0, "outcome", outcome)
    for col in ("estimate", "se", "statistic", "pvalue", "ci_lower", "ci_upper"):
        out[col] = np.nan
    return out


def component_name(component: str, subject: str = "patient") -> str:
    """A variance component in words: ``cluster_time[post]`` -> "therapist × post"."""
    if component.startswith("cluster_time["):
        wave = component[len("cluster_time["):-1]
        return f"therapist × {design.wave_label(wave)}"
    return {"cluster": "therapist", "subject": subject, "cluster_time": "therapist × wave",
            "residual": "residual"}.get(component, component)


def _zero_components(res: LMMResult) -> list[str]:
    vc = res.variance_components
    subject = "patient" if res.cluster is not None else "therapist"
    return [component_name(c, subject) for c, v in zip(vc["component"], vc["variance"],
                                                       strict=True)
            if c != "residual" and v <= 0]


def analyse_outcomes(
    long: pd.DataFrame,
    families: dict[str, tuple[str, ...]],
    subject: str,
    cluster: str | None = None,
    alpha: float = 0.05,
    cluster_time: bool | str = False,
    inference: str = INFERENCE,
) -> OutcomeAnalysis:
    """Fit the arm x wave mixed model to every outcome and collect the contrasts.

    ``inference`` is the test of every contrast: ``"kenward-roger"`` (the book's: REML
    fits, Kenward-Roger's adjusted SE and denominator df, *t* reference), ``"satterthwaite"``
    (REML, Satterthwaite's df) or ``"z"`` (ML fits, Wald *z*). Between-arm contrasts that
    fail the data-sufficiency rule (:mod:`mcbi.paper.outcomes.sufficiency`) get the status
    :data:`~mcbi.paper.outcomes.sufficiency.TOO_FEW`, keep their estimate and interval, and
    are left out of the Holm adjustment (``p_holm`` NaN).

    Holm-adjusted p-values (``p_holm``) are computed within each family, separately for
    each contrast (the same kind of contrast at the same wave across the family's estimated
    outcomes). With ``cluster``, ``cluster_time`` is the requested rung of :data:`LADDER`
    (``"by_time"``, ``True`` or ``False``; see :func:`mcbi.stats.lmm.fit_lmm`); the fit steps
    down the ladder when needed. Without ``cluster`` the model has subject intercepts only.
    ``d`` is Feingold's (2009) growth-model d (:mod:`mcbi.paper.outcomes.effects`).

    Raises
    ------
    ValueError
        ``alpha`` outside (0, 1) or an unknown ``cluster_time``.
    """
    alpha, key = check_parameters(alpha, cluster_time if cluster is not None else "none")
    if inference not in INFERENCES:
        raise ValueError(f"inference must be one of {', '.join(INFERENCES)}, got {inference!r}")
    reml = inference != "z"
    start = [r.key for r in LADDER].index(key)
    ladder = LADDER[start:] if cluster is not None else (THERAPIST_STRUCTURE,)
    rows, means, variance, iccs, fits = [], [], [], [], []
    for family, members in families.items():
        for outcome in members:
            waves, missing = _waves(long, outcome)
            con = _empty_contrasts(outcome)
            fit = {"family": family, "outcome": outcome, "label": label(outcome),
                   "requested": ladder[0].text, "structure": "", "fallback": "",
                   "waves": ", ".join(waves), "nobs": 0, "converged": False,
                   "zero_components": "", "singular": False, "estimable": False, "note": ""}
            res = None
            if design.WAVES[0] not in waves or len(waves) < 2:
                fit["note"] = "no baseline and later wave observed in both arms"
            else:
                res, rung, notes = _fit(long, outcome, subject, cluster, waves, ladder, alpha,
                                        reml)
                if res is None:
                    fit["note"] = "; ".join(notes)
            if res is not None:
                est = contrasts(res, alpha=alpha, ddf=inference)
                con = con[["outcome", "contrast", "group", "time"]].merge(
                    est, on=["outcome", "contrast", "group", "time"], how="left")
                zeros = _zero_components(res)
                fit.update(structure=rung.text, fallback="; ".join(notes), nobs=res.nobs,
                           converged=res.converged, zero_components=", ".join(zeros),
                           singular=bool(zeros), estimable=True)
                means.append(marginal_means(res, alpha=alpha, ddf=inference))
                vc = res.variance_components.copy()
                vc.insert(0, "outcome", outcome)
                variance.append(vc)
                share = icc_by_time(res)
                if cluster is not None and not rung.three_level:  # no therapist level
                    share[["top", "icc"]] = np.nan
                iccs.append(share)
            sd = pooled_baseline_sd(long, outcome, design.ARM, design.WAVE, design.WAVES[0])
            con = add_d(con, sd)
            estimated = con["estimate"].notna()
            con["status"] = np.where(estimated, OK, NOT_ESTIMABLE)
            con["note"] = np.where(estimated, "", fit["note"])
            for w, why in missing.items():
                sel = (con["time"] == w) & ~estimated
                con.loc[sel, ["status", "note"]] = [NOT_AVAILABLE,
                                                    f"{design.wave_label(w)} {why}"]
            _apply_sufficiency(con, long, outcome, subject, cluster)
            con.insert(0, "family", family)
            rows.append(con)
            fits.append(fit)
    table = pd.concat(rows, ignore_index=True)
    table["p_holm"] = np.nan
    tested = table[table["status"] != TOO_FEW]
    for _, idx in tested.groupby(["family", "contrast", "group", "time"]).groups.items():
        table.loc[idx, "p_holm"] = holm(table.loc[idx, "pvalue"].to_numpy())
    table["label"] = table["outcome"].map(label)

    def _cat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)

    return OutcomeAnalysis(
        table,
        _cat(means, ["outcome", "group", "time", "estimate", "se", "ci_lower", "ci_upper", "n"]),
        _cat(variance, ["outcome", "component", "variance", "sd", "proportion"]),
        _cat(iccs, ["outcome", "time", "top", "total", "icc"]),
        pd.DataFrame(fits), alpha)


def _apply_sufficiency(con: pd.DataFrame, long: pd.DataFrame, outcome: str, subject: str,
                       cluster: str | None) -> None:
    """Flag the estimated between-arm rows of ``con`` that fail the data-sufficiency rule
    (``support``: the smaller arm's count of units with an observed change)."""
    con["support"] = np.nan
    for i in con.index[(con["contrast"] == "between") & (con["status"] == OK)]:
        wave = con.at[i, "time"]
        counts = change_support(long, outcome, subject, cluster, design.WAVES[0], wave)
        con.loc[i, "support"] = min(counts.values())
        if min(counts.values()) < MIN_UNITS:
            con.loc[i, ["status", "note"]] = [TOO_FEW,
                                              too_few_note(counts, wave, cluster is not None)]


def analyse_therapists(trial: TrialData, alpha: float = 0.05) -> OutcomeAnalysis:
    """The therapist outcomes: a random intercept per therapist (two levels)."""
    return analyse_outcomes(trial.therapists, THERAPIST_FAMILIES, design.THERAPIST_ID,
                            alpha=alpha)


def analyse_patients(trial: TrialData, alpha: float = 0.05,
                     cluster_time: bool | str = "by_time") -> OutcomeAnalysis:
    """The patient outcomes: waves in patients in therapists (three levels).

    ``cluster_time`` is the requested rung of :data:`LADDER` (see :func:`analyse_outcomes`).
    """
    return analyse_outcomes(trial.patients, PATIENT_FAMILIES, design.PATIENT_ID,
                            design.THERAPIST_ID, alpha=alpha, cluster_time=cluster_time)


def between(table: pd.DataFrame, outcome: str, wave: str) -> pd.Series:
    """The between-arm difference in change for ``outcome`` at ``wave``."""
    sel = table[(table["outcome"] == outcome) & (table["contrast"] == "between")
                & (table["time"] == wave)]
    if len(sel) != 1:
        raise ValueError(f"no unique between-arm contrast for {outcome} at {wave}")
    return sel.iloc[0]


def within(table: pd.DataFrame, outcome: str, wave: str, arm: str = design.TREATED) -> pd.Series:
    """The within-arm change from baseline for ``outcome`` at ``wave`` in ``arm``."""
    sel = table[(table["outcome"] == outcome) & (table["contrast"] == "within")
                & (table["time"] == wave) & (table["group"] == arm)]
    if len(sel) != 1:
        raise ValueError(f"no unique within-arm contrast for {outcome} at {wave} ({arm})")
    return sel.iloc[0]


def variance_table(variance: pd.DataFrame, icc: pd.DataFrame | None = None) -> pd.DataFrame:
    """Variance components side by side, one row per outcome, with the ICC at each wave.

    Parameters
    ----------
    variance : DataFrame
        :attr:`OutcomeAnalysis.variance` (columns ``outcome, component, variance``).
    icc : DataFrame, optional
        :attr:`OutcomeAnalysis.icc` (columns ``outcome, time, icc``); adds one column
        ``icc_<wave>`` per wave.

    Returns
    -------
    DataFrame
        Indexed by ``outcome`` (in the input's order); one column per component (in order of
        first appearance; NaN where an outcome's model lacks it), then the ICC columns.
    """
    wide = variance.pivot_table(index="outcome", columns="component", values="variance",
                                sort=False, dropna=False)
    wide = wide[list(variance["component"].unique())]
    wide.columns.name = None
    if icc is not None and len(icc):
        per = icc.pivot_table(index="outcome", columns="time", values="icc", sort=False,
                              observed=True)
        for w in [w for w in design.WAVES if w in per.columns]:
            wide[f"icc_{w}"] = per[w]
    return wide


def fit_counts(fits: pd.DataFrame) -> dict[str, int]:
    """``n_models``, ``n_estimable``, ``n_singular``, ``n_fallback`` and
    ``n_not_estimable`` from :attr:`OutcomeAnalysis.fits`."""
    est = fits["estimable"].astype(bool)
    return {"n_models": len(fits), "n_estimable": int(est.sum()),
            "n_singular": int((fits["singular"].astype(bool) & est).sum()),
            "n_fallback": int((est & (fits["structure"] != fits["requested"])).sum()),
            "n_not_estimable": int((~est).sum())}
