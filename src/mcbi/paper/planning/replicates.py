"""Planning a replication: Monte Carlo power of the trial's contrasts and its mechanism.

Each replicate simulates the trial's data-generating process (:func:`mcbi.synth.simulate
.simulate`) with another number of therapists and patients per therapist, scores the item
responses as the book does (:func:`score`, the scoring of :func:`mcbi.trial.data.load`
without the file validation), and fits the book's models:

* the arm x wave mixed models (:func:`mcbi.paper.outcomes.models.analyse_outcomes`) of the
  therapists' PMS, EUS-T and TECA and the patients' EUS-P, bond and BSI-18 symptoms,
  keeping the between-arm difference in change at post (Wald test at ``alpha``);
* the mechanism through the model ladder (:func:`mcbi.paper.mechanism.ladder.fit_ladder`): the
  paths arm -> ΔPMS (``a0``), ΔPMS -> ΔEUS-P (``a``), ΔEUS-P -> Δbond (``b``) with Wald
  intervals and the indirect effect ``a*b`` with its Monte Carlo interval
  (:func:`mcbi.paper.mechanism.ladder.mechanism_values`); the rung used is recorded.

Effects: by default the generator's (:mod:`mcbi.synth.parameters`); with
``effects="build"`` the current build's estimates (:func:`mcbi.paper.planning.effects
.build_effects`: chapter 02's and 03's d's at post and chapter 05's paths, mapped onto the
generator's effects). The table records which (``effects``), the build they came from
(``effects_origin``: its commit and data hash) and the latent value of every target's effect
(``effect_latent``), and the cache keeps the two apart.

Truths: the generator's effects are in latent baseline-SD units. Each replicate converts
them to the observed scores' units with the slope of the observed baseline score on its
latent trait in that replicate (rounding, clipping and item loadings included). Measurement
error still attenuates the observed regression paths, so the mechanism's ``bias`` is the
bias relative to the latent paths, i.e. it includes that attenuation; power does not use
the truth.
"""

from __future__ import annotations

import importlib.resources
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mcbi.errors import UserError
from mcbi.hashing import hash_tree
from mcbi.paper.mechanism.ladder import RUNGS, fit_ladder, mechanism_values
from mcbi.paper.mechanism.model import change_data
from mcbi.paper.outcomes.models import analyse_outcomes, between
from mcbi.paper.planning import effects as plan_effects
from mcbi.paper.render.apa import fmt_num
from mcbi.stats import montecarlo as power
from mcbi.synth.parameters import delta_pms_sd, effect, param
from mcbi.synth.simulate import implied_effects, simulate
from mcbi.trial import design
from mcbi.trial.data import TrialData, from_tables

THERAPIST_TARGETS = ("pms", "eus_t", "teca")
PATIENT_TARGETS = ("eus_p", "bond", "bsi_som", "bsi_dep", "bsi_anx")
MECHANISM_TARGETS = ("path_a0", "path_a", "path_b", "indirect_ab")
TARGETS = THERAPIST_TARGETS + PATIENT_TARGETS + MECHANISM_TARGETS
"""Targets in the order of the table: contrasts at post (by scale), then the mechanism."""

TARGET_LABELS = {
    "pms": "PMS (therapists)", "eus_t": "EUS-T (therapists)", "teca": "TECA (therapists)",
    "eus_p": "EUS-P (patients)", "bond": "Bond (patients)", "bsi_som": "Somatization",
    "bsi_dep": "Depression", "bsi_anx": "Anxiety", "path_a0": "arm → ΔPMS",
    "path_a": "ΔPMS → ΔEUS-P", "path_b": "ΔEUS-P → Δbond", "indirect_ab": "ΔPMS → ΔEUS-P → Δbond",
}
EFFECTS = ("generator", "build")
NULL = "null"
"""``--effects null``: the type-I error study (:mod:`mcbi.paper.planning.null`)."""
DESIGN_COLUMNS = ("n_therapists", "patients_per_therapist")
"""``_build/plan-cache`` of the repository this package is in."""


def score(sim) -> TrialData:
    """Score a :class:`~mcbi.synth.simulate.SimulatedTrial` in memory, as ``load`` does.

    :func:`mcbi.trial.data.from_tables`, the scoring step of :func:`mcbi.trial.data.load`,
    without writing and validating a package (``path`` is left empty).
    """
    return from_tables(sim.therapists, sim.patients, sim.therapist_responses,
                       sim.patient_responses)


def _slope(observed: pd.DataFrame, latent: pd.DataFrame, key: str, scale: str) -> float:
    """Observed baseline score per latent SD (latent: the scale or its subscales' mean)."""
    pre = design.WAVES[0]
    obs = observed[observed[design.WAVE] == pre].set_index(key)[scale]
    lat_pre = latent[latent[design.WAVE] == pre].set_index(key)
    cols = [scale] if scale in lat_pre else [c for c in lat_pre if c.startswith(scale + "_")]
    x = lat_pre[cols].mean(axis=1).reindex(obs.index)
    ok = obs.notna() & x.notna()
    return float(np.cov(obs[ok], x[ok])[0, 1] / np.var(x[ok], ddof=1))


def latent_truths(p_mcbi: float, effects: dict[str, float] | None = None) -> dict[str, float]:
    """The targets' generating values in latent baseline-SD units (``p_mcbi``: MCBI share).

    ``effects``: the overrides :func:`mcbi.synth.simulate.simulate` was given (None: the
    generator's effects). ``indirect_ab`` is ``path_a * path_b``.
    """
    pms = effect("pms_effect", effects)
    out = {"pms": pms, "eus_t": effect("eust_effect", effects),
           "teca": effect("teca_effect", effects)}
    post = implied_effects(effects).query("wave == 'post'").set_index("outcome")["implied"]
    out.update({k: float(post[k]) for k in PATIENT_TARGETS})
    sdb = param("change_sd_between")
    out["path_a0"] = pms
    out["path_a"] = (sdb["eus_p"] * effect("path_pms_eusp_between", effects)
                     / delta_pms_sd(p_mcbi, pms))
    out["path_b"] = sdb["bond"] * effect("path_eusp_bond_between", effects) / sdb["eus_p"]
    out["indirect_ab"] = out["path_a"] * out["path_b"]
    return out


def observed_truths(sim, trial: TrialData,
                    effects: dict[str, float] | None = None) -> dict[str, float]:
    """:func:`latent_truths` (of the simulated ``effects``) in this replicate's observed units."""
    p_mcbi = float((sim.therapists[design.ARM] == design.TREATED).mean())
    lat = latent_truths(p_mcbi, effects)
    slope = {s: _slope(trial.therapists, sim.therapist_latent, design.THERAPIST_ID, s)
             for s in THERAPIST_TARGETS}
    slope.update({s: _slope(trial.patients, sim.patient_latent, design.PATIENT_ID, s)
                  for s in PATIENT_TARGETS})
    out = {s: lat[s] * slope[s] for s in THERAPIST_TARGETS + PATIENT_TARGETS}
    out["path_a0"] = lat["path_a0"] * slope["pms"]
    out["path_a"] = lat["path_a"] * slope["eus_p"] / slope["pms"]
    out["path_b"] = lat["path_b"] * slope["bond"] / slope["eus_p"]
    out["indirect_ab"] = out["path_a"] * out["path_b"]
    return out


def _failed(target: str, truth: float, reason: str, rung: str = "") -> dict:
    nan = math.nan
    return {"target": target, "estimate": nan, "se": nan, "ci_lower": nan, "ci_upper": nan,
            "significant": False, "truth": truth, "failed": True, "rung": rung,
            "reason": reason}


def _contrast_rows(long, targets, subject, cluster, truths, alpha, **kw) -> list[dict]:
    rows = []
    for target in targets:
        try:
            res = analyse_outcomes(long, {target: (target,)}, subject, cluster, alpha=alpha, **kw)
            row = between(res.contrasts, target, "post")
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
            rows.append(_failed(target, truths[target], str(exc)))
            continue
        rows.append({"target": target, "estimate": float(row["estimate"]),
                     "se": float(row["se"]), "ci_lower": float(row["ci_lower"]),
                     "ci_upper": float(row["ci_upper"]),
                     "significant": bool(row["pvalue"] < alpha), "truth": truths[target],
                     "failed": False, "rung": "", "reason": ""})
    return rows


def _mechanism_rows(trial: TrialData, truths: dict, alpha: float, n_draws: int,
                    seed: int) -> list[dict]:
    lad = fit_ladder(change_data(trial))
    if lad.chosen is None:
        reason = "; ".join(r for o in lad.outcomes for r in o.reasons)[:300]
        return [_failed(t, truths[t], reason, "none") for t in MECHANISM_TARGETS]
    vals = mechanism_values(lad, n_draws=n_draws, seed=seed % 2**32, level=1 - alpha)
    est = lad.result.estimates
    a0 = est[(est["lhs"] == "pms") & (est["op"] == "~") & (est["rhs"] == "mcbi")].iloc[0]
    z = (vals["path_a_ci_upper"] - vals["path_a"]) / vals["path_a_se"]
    values = {"path_a0": (a0["estimate"], a0["se"]),
              "path_a": (vals["path_a"], vals["path_a_se"]),
              "path_b": (vals["path_b"], vals["path_b_se"]),
              "indirect_ab": (vals["indirect_ab"], math.nan)}
    rows = []
    for target, (estimate, se) in values.items():
        if target == "indirect_ab":
            lo, hi = vals["indirect_ab_ci_lower"], vals["indirect_ab_ci_upper"]
        else:
            lo, hi = estimate - z * se, estimate + z * se
        rows.append({"target": target, "estimate": float(estimate), "se": float(se),
                     "ci_lower": float(lo), "ci_upper": float(hi),
                     "significant": bool(lo > 0 or hi < 0), "truth": truths[target],
                     "failed": not (math.isfinite(lo) and math.isfinite(hi)),
                     "rung": lad.chosen.rung.name, "reason": ""})
    return rows


@dataclass(frozen=True)
class TrialReplicate:
    """Replicate function of the trial for :func:`mcbi.stats.montecarlo.run_replicates`.

    ``cell = (n_therapists, patients_per_therapist)``; returns one row per target of
    :data:`TARGETS` (columns ``target, estimate, se, ci_lower, ci_upper, significant,
    truth, failed, rung, reason``). ``effects``: the simulation's effect overrides as
    :func:`mcbi.paper.planning.effects.effects_key` pairs (empty: the generator's effects); they
    are part of the ``repr``, hence of the cache key.
    """

    alpha: float = 0.05
    n_draws: int = 5000
    cluster_time: str = "by_time"
    effects: tuple[tuple[str, float], ...] = ()

    def __call__(self, cell: power.Cell, seed: int) -> list[dict]:
        n_t, per = (int(c) for c in cell)
        effects = dict(self.effects)
        sim = simulate(seed, n_therapists=n_t, patients_per_therapist=per, effects=effects)
        trial = score(sim)
        truths = observed_truths(sim, trial, effects)
        rows = _contrast_rows(trial.therapists, THERAPIST_TARGETS, design.THERAPIST_ID,
                              None, truths, self.alpha)
        rows += _contrast_rows(trial.patients, PATIENT_TARGETS, design.PATIENT_ID,
                               design.THERAPIST_ID, truths, self.alpha,
                               cluster_time=self.cluster_time)
        return rows + _mechanism_rows(trial, truths, self.alpha, self.n_draws, seed)


@dataclass
class Plan:
    """Result of :func:`plan`: ``rows`` (one per replicate and target) and ``table``."""

    rows: pd.DataFrame
    table: pd.DataFrame


def package_version() -> str:
    """Version of the mcbi code a replicate runs, for the cache key: the hash of every
    ``*.py`` file of the installed package (:func:`mcbi.hashing.hash_tree`)."""
    return hash_tree(Path(str(importlib.resources.files("mcbi"))), "*.py")[0]


def check_grid(therapists: Sequence[int], per: Sequence[int], reps: int,
               effects: str = "generator") -> None:
    """Refuse designs the generator cannot make and unknown effects (``UserError``)."""
    if effects not in (*EFFECTS, NULL):
        raise UserError(f"--effects must be one of {', '.join((*EFFECTS, NULL))}")
    if not therapists or not per:
        raise UserError("give at least one number of therapists and of patients per therapist")
    if min(therapists) < 4:
        raise UserError("every design needs at least 4 therapists (2 per arm)")
    if min(per) < 1:
        raise UserError("patients per therapist must be at least 1")
    if reps < 2:
        raise UserError("--reps must be at least 2")


def simulated_effects(effects: str = "generator",
                      manifest: Path | None = None) -> dict[str, float]:
    """The effect overrides of a plan: none for ``"generator"``, the build's for ``"build"``.

    ``manifest`` (the build's ``manifest.json``) is required for ``"build"``; see
    :func:`mcbi.paper.planning.effects.build_effects` for the mapping and its errors.
    """
    if effects not in EFFECTS:
        raise UserError(f"--effects must be one of {', '.join(EFFECTS)}")
    if effects == "generator":
        return {}
    if manifest is None:
        raise UserError("--effects build needs the build's manifest (_build/manifest.json)")
    return plan_effects.build_effects(manifest)


def plan(therapists: Sequence[int], per: Sequence[int], reps: int, seed: int, client,
         effects: str = "generator", chunk_size: int = 5, cache_dir: Path | None = None,
         progress: Callable[[int, int], None] | None = None,
         replicate: power.Replicate | None = None, manifest: Path | None = None) -> Plan:
    """Monte Carlo power of every target for every design (see the module docstring).

    Parameters
    ----------
    therapists, per : sequence of int
        Numbers of therapists and of patients per therapist (all combinations).
    reps, seed : int
        Replicates per design and the seed of :func:`mcbi.stats.montecarlo.replicate_seed`.
    client : distributed.Client
        Cluster to run on (:func:`mcbi.stats.montecarlo.dask_client`).
    effects : {"generator", "build"}
        Where the effects come from: the generator's parameters, or the current build's
        estimates (:func:`simulated_effects`).
    chunk_size, cache_dir, progress
        See :func:`mcbi.stats.montecarlo.run_replicates` (no cache when ``cache_dir`` is
        None; the cache key includes the version of the mcbi package's code).
    replicate : callable, optional
        Replicate function (default :class:`TrialReplicate` with the effects).
    manifest : Path, optional
        Build manifest read with ``effects="build"`` (required then).

    The table ends with ``effects`` (the source), ``effects_origin`` (the build's commit and
    data hash with ``effects="build"``, else empty) and ``effect_latent`` (the target's
    simulated effect in latent baseline-SD units at the design's allocation; NaN for a
    target the trial's generator does not know).
    """
    check_grid(therapists, per, reps, effects)
    overrides = simulated_effects(effects, manifest)
    cells = [(int(n), int(k)) for n in sorted(set(therapists)) for k in sorted(set(per))]
    if replicate is None:
        replicate = TrialReplicate(effects=plan_effects.effects_key(overrides))
    rows = power.run_replicates(replicate, cells, reps, seed, client,
                                chunk_size=chunk_size, cache_dir=cache_dir, progress=progress,
                                code=package_version())
    table = power_table(rows)
    origin = plan_effects.build_origin(manifest) if effects == "build" else ""
    return Plan(rows, with_effects(table, effects, overrides, origin))


def with_effects(table: pd.DataFrame, source: str, overrides: dict[str, float],
                 origin: str = "") -> pd.DataFrame:
    """``table`` with ``effects`` (``source``), ``effects_origin`` (which build, or empty)
    and ``effect_latent`` columns at the end."""
    out = table.copy()
    out["effects"] = source
    out["effects_origin"] = origin
    values = []
    for n, target in zip(out["n_therapists"], out["target"], strict=True):
        n_mcbi = round(int(n) * param("n_mcbi") / param("n_therapists"))
        values.append(latent_truths(n_mcbi / int(n), overrides).get(target, math.nan))
    out["effect_latent"] = values
    return out


def power_table(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`mcbi.stats.montecarlo.summarise` with design columns, target order and rung shares."""
    table = power.summarise(rows)
    for i, col in enumerate(DESIGN_COLUMNS):
        table.insert(i, col, [int(c[i]) for c in table["cell"]])
    table = table.drop(columns="cell")
    rank = {t: i for i, t in enumerate(TARGETS)}
    table["_rank"] = table["target"].map(lambda t: rank.get(t, len(rank)))
    if "rung" in rows:
        rungs = (rows.assign(rung=rows["rung"].fillna("")).groupby(["cell", "target"])["rung"]
                 .agg(lambda r: "; ".join(f"{k} {v}" for k, v in sorted(
                     r[r != ""].value_counts().items()))))
        table["rungs"] = [rungs.get(((n, k), t), "") for n, k, t in zip(
            table["n_therapists"], table["patients_per_therapist"], table["target"],
            strict=True)]
    table = table.sort_values([*DESIGN_COLUMNS, "_rank"]).drop(columns="_rank")
    return table.reset_index(drop=True)


def therapists_needed(table: pd.DataFrame, target_power: float = 0.8) -> pd.DataFrame:
    """Therapists needed for ``target_power``, by target and patients per therapist.

    Linear interpolation of power on the number of therapists between the first design
    that reaches ``target_power`` and the one before it; ``needed`` is NaN (and ``text``
    says "more than N") when no design reaches it, and the smallest design when the
    smallest already does.
    """
    out = []
    for (target, per), grp in table.groupby(["target", "patients_per_therapist"], sort=False):
        grp = grp.sort_values("n_therapists")
        n, p = grp["n_therapists"].to_numpy(float), grp["power"].to_numpy(float)
        hit = np.flatnonzero(p >= target_power)
        if hit.size == 0:
            needed, text = math.nan, f"more than {int(n[-1])}"
        elif hit[0] == 0:
            needed = n[0]
            text = f"{int(n[0])} or fewer"
        else:
            i = hit[0]
            needed = n[i - 1] + (target_power - p[i - 1]) * (n[i] - n[i - 1]) / (p[i] - p[i - 1])
            needed = math.ceil(needed)
            text = str(needed)
        out.append({"target": target, "patients_per_therapist": int(per),
                    "needed": needed, "text": text})
    return pd.DataFrame(out)


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The power table formatted for the book (power ± MC SE, bias, coverage, failed %)."""
    def pct(v: float) -> str:
        return "–" if pd.isna(v) else f"{100 * v:.0f}"

    return pd.DataFrame({
        "Therapists": table["n_therapists"], "Patients each": table["patients_per_therapist"],
        "Target": table["target"].map(lambda t: TARGET_LABELS.get(t, t)),
        "Power %": ["–" if pd.isna(p) else f"{pct(p)} ± {pct(s)}"
                    for p, s in zip(table["power"], table["power_mcse"], strict=True)],
        "Bias": table["bias"].map(lambda v: "–" if pd.isna(v) else fmt_num(v, 2)),
        "Coverage %": table["coverage"].map(pct),
        "Failed %": table["failed"].map(pct),
        "Rungs": table.get("rungs", pd.Series("", index=table.index)).fillna("").map(
            rung_numbers),
    })


def rung_numbers(rungs: str) -> str:
    """A ``"full 98; chain 2; none 5"`` summary with each rung by its number in the ladder
    (as in the mechanism chapter's ladder table): ``"1: 98, 4: 2, none: 5"``."""
    number = {rung.name: str(i) for i, rung in enumerate(RUNGS, start=1)}
    parts = []
    for part in str(rungs).split("; "):
        bits = part.rsplit(" ", 1)
        if len(bits) == 2:
            parts.append((number.get(bits[0], "none"), f"{number.get(bits[0], 'none')}: {bits[1]}"))
    return ", ".join(text for _, text in sorted(parts))


def plan_values(table: pd.DataFrame, needed: pd.DataFrame) -> dict[str, float | str]:
    """Values to glue: Monte Carlo size and error, failure shares, therapists needed.

    ``plan_needed_<target>`` is the text of :func:`therapists_needed` for the largest number
    of patients per therapist on the grid; ``plan_max_mcse`` the largest Monte Carlo SE of a
    power, ``plan_failed_contrasts`` / ``plan_failed_mechanism`` the largest failure shares
    and ``plan_mechanism_full`` the share of mechanism fits on the ladder's first rung; each
    of these four also as ``<name>_pct`` (in percent, for the prose).
    """
    per = int(table["patients_per_therapist"].max())
    mech = table["target"].isin(MECHANISM_TARGETS)
    out: dict[str, float | str] = {
        "plan_reps": float(table["reps"].min()), "plan_designs": float(
            len(table[DESIGN_COLUMNS[0]].unique()) * len(table[DESIGN_COLUMNS[1]].unique())),
        "plan_max_mcse": float(table["power_mcse"].max()),
        "plan_failed_contrasts": float(table.loc[~mech, "failed"].max()),
        "plan_failed_mechanism": float(table.loc[mech, "failed"].max()),
        "plan_per_max": float(per),
        "plan_n_min": float(table["n_therapists"].min()),
        "plan_n_max": float(table["n_therapists"].max()),
    }
    if "rungs" in table:
        ab = table[table["target"] == "indirect_ab"]
        full = sum(_count(r, "full") for r in ab["rungs"])
        out["plan_mechanism_full"] = full / float(ab["reps"].sum()) if len(ab) else math.nan
    for key in ("plan_max_mcse", "plan_failed_contrasts", "plan_failed_mechanism",
                "plan_mechanism_full"):
        if key in out:
            out[f"{key}_pct"] = 100.0 * float(out[key])  # prose shows shares as percentages
    out["plan_failed_text"] = _failed_text(float(out["plan_failed_contrasts"]),
                                           float(out["plan_failed_mechanism"]))
    sel = needed[needed["patients_per_therapist"] == per].set_index("target")["text"]
    for target, text in sel.items():
        out[f"plan_needed_{target}"] = text
    return out


def _failed_text(contrasts: float, mechanism: float) -> str:
    """How many fits failed, in words ("none of ..." when none did)."""
    def part(share: float, what: str) -> str:
        if not share > 0:
            return f"none of {what} failed"
        return f"up to {100 * share:.0f}% of {what} failed"
    return (f"{part(contrasts, 'the mixed models of a contrast')} and "
            f"{part(mechanism, 'the mechanism fits')}")


def _count(rungs: str, name: str) -> int:
    """How many replicates used rung ``name`` in a ``"rung n; rung n"`` summary."""
    for part in str(rungs).split("; "):
        bits = part.rsplit(" ", 1)
        if len(bits) == 2 and bits[0] == name:
            return int(bits[1])
    return 0
