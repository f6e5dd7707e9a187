"""The effects of a replication plan taken from the current build (``--effects build``).

:func:`build_effects` reads the build's machine-readable results (``_build/manifest.json``,
section ``results``, written by ``python -m mcbi build``) and turns them into effect
overrides of the generator (:data:`mcbi.synth.parameters.EFFECT_OVERRIDES`), so that
:func:`mcbi.synth.simulate.simulate` generates a world whose effects are the ones the book
estimated:

* **therapist contrasts** (chapter 02): Feingold's d of the between-arm difference in change
  at post of PMS, EUS-T and TECA (``02_therapists.<scale>_post_diff_d``) is taken as the
  latent effect at post (``pms_effect``, ``eust_effect``, ``teca_effect``). The PMS effect
  is also the mechanism's first path, arm -> ΔPMS.
* **mechanism** (chapter 05): the paths ΔPMS -> ΔEUS-P and ΔEUS-P -> Δbond of the reported
  rung (``05_mechanisms.path_a``, ``path_b``, in units of the observed change scores) are
  put in baseline-SD units with the observed pooled baseline SDs the book's d's use
  (``<scale>_post_diff / <scale>_post_diff_d`` of PMS, EUS-P and bond), then standardized
  within the between level with the generator's variances (SD of ΔPMS, between-therapist
  SDs of the patients' changes) to give ``path_pms_eusp_between`` and
  ``path_eusp_bond_between``. A path beyond ±1 once standardized cannot be generated and is
  refused.
* **patient contrasts** (chapter 03): d at post of EUS-P, bond and the three BSI-18
  symptoms (``03_patients.<scale>_post_diff_d``) is the latent total effect. The generator
  carries the arm to patients only through ΔPMS; the part of each d that the paths above
  do not carry (:func:`mcbi.synth.simulate.implied_effects`) is generated as a direct arm
  effect on that outcome's change (``direct_<outcome>``). The book's mechanism model has no
  such direct path, so when the build's contrasts and its mechanism disagree, the simulated
  mechanism fits are misspecified as the book's would be in that world; the bias of the
  paths in the plan shows by how much.

Conversion: a d is taken as the effect in latent baseline-SD units, i.e. measurement
attenuation is ignored. The generator adds measurement error (item loadings 0.6-0.8,
rounding), so the simulated observed effects come out smaller than the build's d's and the
paths smaller than the build's paths: the contrasts' power is conservative
(the mechanism's too, unless a direct effect biases its paths upward). Every other
generating parameter (variances, ICCs, measurement, dropout, follow-up effects, the symptom
paths, the allocation ratio) keeps its value in :mod:`mcbi.synth.parameters`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from mcbi.errors import UserError
from mcbi.synth.parameters import check_effects, delta_pms_sd, param
from mcbi.synth.simulate import PATIENT_DIRECT, implied_effects

THERAPISTS, PATIENTS, MECHANISM = "02_therapists", "03_patients", "05_mechanisms"
THERAPIST_D = {"pms_effect": "pms", "eust_effect": "eus_t", "teca_effect": "teca"}
"""Therapist effect override -> scale whose d at post gives it."""


def read_results(path: str | Path) -> dict[str, Any]:
    """The ``results`` section of a build manifest.

    Raises
    ------
    mcbi.errors.UserError
        If the file is missing or unreadable, or has no ``results`` section.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"--effects build needs a build: {path} not found (run `python -m "
                        "mcbi build` first, or give the manifest with --manifest)")
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"cannot read the build manifest {path}: {exc}") from None
    results = manifest.get("results") if isinstance(manifest, dict) else None
    if not isinstance(results, dict):
        raise UserError(f"the build manifest {path} has no 'results' section")
    return results


def _value(results: dict[str, Any], key: str, path: Path, why: str) -> float:
    """A finite number of the results, or a UserError naming the file, the key and why."""
    value = results.get(key)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        state = "lacks" if key not in results else f"has no estimate ({value!r}) for"
        reason = results.get(f"{MECHANISM}.mechanism_reason") if key.startswith(
            MECHANISM) else ""
        extra = f"; the build says: {reason}" if reason else ""
        raise UserError(f"--effects build: {path} {state} {key} ({why}){extra}")
    return number


def _d(results, scale: str, section: str, path: Path) -> float:
    return _value(results, f"{section}.{scale}_post_diff_d", path,
                  f"the {scale} effect at post; is the post wave collected?")


def _baseline_sd(results, scale: str, section: str, path: Path) -> float:
    """Observed pooled baseline SD of ``scale``: the difference over its d."""
    diff = _value(results, f"{section}.{scale}_post_diff", path,
                  f"the {scale} difference at post, for its baseline SD")
    sd = diff / _d(results, scale, section, path)
    if not (math.isfinite(sd) and sd > 0):
        raise UserError(f"--effects build: {path} gives no usable baseline SD of {scale} "
                        f"(difference {diff:g} over d)")
    return sd


def _standardized(value: float, name: str, label: str) -> float:
    if abs(value) > 1:
        raise UserError(f"--effects build: the build's path {label} is {value:.2f} once "
                        "standardized with the generator's variances, beyond ±1; the "
                        f"generator cannot make it ({name})")
    return value


def build_origin(path: str | Path) -> str:
    """Which build the effects come from: its commit and data hash (12 hex digits each).

    ``"unknown"`` stands in for a field the manifest lacks.

    Raises
    ------
    mcbi.errors.UserError
        If the manifest cannot be read (see :func:`read_results`).
    """
    read_results(path)
    manifest = json.loads(Path(path).read_text("utf-8"))
    data = manifest.get("data") if isinstance(manifest.get("data"), dict) else {}
    commit = str(manifest.get("commit") or "unknown")[:12]
    sha = str(data.get("sha256") or "unknown")[:12]
    return f"build at commit {commit}, data sha256 {sha}"


def build_effects(path: str | Path) -> dict[str, float]:
    """Effect overrides of the generator from a build's results (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The build manifest (default: ``_build/manifest.json`` of this repository).

    Returns
    -------
    dict
        ``{override name: value}`` for every name of
        :data:`mcbi.synth.parameters.EFFECT_OVERRIDES`, ready for
        :func:`mcbi.synth.simulate.simulate`.

    Raises
    ------
    mcbi.errors.UserError
        If there is no build, or the build lacks an effect (e.g. the post wave was not
        collected or the mechanism could not be estimated); the message names the file and
        the missing key.
    """
    path = Path(path)
    results = read_results(path)
    out = {name: _d(results, scale, THERAPISTS, path) for name, scale in THERAPIST_D.items()}
    sd_pms = _baseline_sd(results, "pms", THERAPISTS, path)
    sd_eusp = _baseline_sd(results, "eus_p", PATIENTS, path)
    sd_bond = _baseline_sd(results, "bond", PATIENTS, path)
    a_raw = _value(results, f"{MECHANISM}.path_a", path, "the mechanism's path ΔPMS → ΔEUS-P")
    b_raw = _value(results, f"{MECHANISM}.path_b", path, "the mechanism's path ΔEUS-P → Δbond")
    sdb = param("change_sd_between")
    a_latent, b_latent = a_raw * sd_pms / sd_eusp, b_raw * sd_eusp / sd_bond
    out["path_pms_eusp_between"] = _standardized(
        a_latent * delta_pms_sd(pms_effect=out["pms_effect"]) / sdb["eus_p"],
        "path_pms_eusp_between", "ΔPMS → ΔEUS-P")
    out["path_eusp_bond_between"] = _standardized(
        b_latent * sdb["eus_p"] / sdb["bond"], "path_eusp_bond_between", "ΔEUS-P → Δbond")
    implied = _post(implied_effects(out))
    for name in PATIENT_DIRECT:
        out[f"direct_{name}"] = _d(results, name, PATIENTS, path) - implied[name]
    return check_effects(out)


def _post(table: pd.DataFrame) -> dict[str, float]:
    post = table[table["wave"] == "post"]
    return {str(k): float(v) for k, v in zip(post["outcome"], post["implied"], strict=True)}


def effects_key(effects: dict[str, float] | None) -> tuple[tuple[str, float], ...]:
    """Effect overrides as a sorted tuple of ``(name, value)`` pairs (hashable, exact repr)."""
    return tuple(sorted(check_effects(effects).items()))
