"""The synthetic trial: a seeded data-generating process with the trial's design.

The process (``shared/study.md``, every number in :mod:`mcbi.synth.parameters`):

1. Allocate 63 therapists (33 MCBI, 30 control) and nest 121 patients in them (1-4 each).
2. Draw latent traits (baseline SD 1) for every scale at every wave. Therapists change by
   the arm effects of :mod:`mcbi.synth.parameters`. Patients change through the mechanism on
   post - pre changes: therapist dPMS -> between part of dEUS-P -> dbond -> dsymptoms,
   with dEUS-P -> dbond -> dsymptoms also within therapists; the arm acts on patients
   only through these paths (unless :func:`simulate` is given direct effects, as
   ``plan --effects build`` does). Follow-up keeps a share of the post change.
3. Generate item responses from the latent traits (loadings 0.6-0.8), round and clip them
   to the response range, and apply reverse keys.
4. Remove whole waves (dropout, more likely for lower baseline scores: missing at random)
   and about 1% of single item responses.

:func:`simulate` returns the tables and the latent truths; :func:`write_package` writes the
Frictionless data package (byte-identical for a given seed; :func:`package_files` gives its
bytes without writing, for :mod:`mcbi.synth.record`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mcbi.errors import UserError
from mcbi.synth.parameters import check_effects, delta_pms_sd, effect, param
from mcbi.trial import design
from mcbi.trial.instruments import PATIENT_INSTRUMENTS, THERAPIST_INSTRUMENTS, Instrument

DEFAULT_SEED = 20230401
"""Seed of the shipped synthetic data package."""

@dataclass
class SimulatedTrial:
    """The generated tables (as written to the package) and the latent truths."""

    therapists: pd.DataFrame
    patients: pd.DataFrame
    therapist_responses: pd.DataFrame
    patient_responses: pd.DataFrame
    therapist_latent: pd.DataFrame
    patient_latent: pd.DataFrame
    seed: int


def _cluster_sizes(rng: np.random.Generator, n_t: int = design.N_THERAPISTS,
                   n_p: int = design.N_PATIENTS) -> np.ndarray:
    lo, hi = param("cluster_size_range")
    sizes = rng.choice(np.arange(lo, hi + 1), size=n_t, p=param("cluster_size_probs"))
    # adjust one therapist at a time until the total is the design's
    while sizes.sum() != n_p:
        if sizes.sum() < n_p:
            idx = rng.choice(np.flatnonzero(sizes < hi))
            sizes[idx] += 1
        else:
            idx = rng.choice(np.flatnonzero(sizes > lo))
            sizes[idx] -= 1
    return sizes


def _demographics(rng: np.random.Generator, n: int, age_key: str, gender_key: str):
    mean, sd, lo, hi = param(age_key)
    age = np.clip(np.round(rng.normal(mean, sd, n)), lo, hi).astype(int)
    gender = rng.choice(design.GENDERS, size=n, p=param(gender_key))
    return age, gender


def _subscale_latents(rng, n, instrument: Instrument) -> dict[str, np.ndarray]:
    """Baseline latent per lowest-level scale: a common factor plus a specific part."""
    r = param("subscale_shared_variance")
    common = rng.standard_normal(n)
    out = {}
    for scale in _leaf_scales(instrument):
        out[scale.name] = np.sqrt(r) * common + np.sqrt(1 - r) * rng.standard_normal(n)
    return out


def _leaf_scales(instrument: Instrument):
    """Scales whose items generate responses: subscales, or the only scale."""
    scales = [s for s in instrument.scales if len(s.items) < instrument.n_items]
    if instrument.code == "bsi":
        scales = [s for s in instrument.scales if s.name != "bsi_gsi"]
    if instrument.code == "watoci":
        return [instrument.scales[0]]  # bond items; other items load on the total
    return scales or [instrument.scales[0]]


_THERAPIST_EFFECT_KEY = {
    "pms": "pms_effect", "eust": "empathy_effect", "teca": "empathy_effect",
    "ffmq": "ffmq_effect", "scs": "scs_effect", "dass": "dass_effect",
}


_OVERRIDE_KEY = {"pms": "pms_effect", "eust": "eust_effect", "teca": "teca_effect"}
PATIENT_DIRECT = ("eus_p", "bond", "bsi_som", "bsi_dep", "bsi_anx")
"""Patient outcomes that can take a direct arm effect (``direct_<outcome>``)."""


def _therapist_latent(rng, arm_mcbi: np.ndarray,
                      effects: dict[str, float]) -> tuple[pd.DataFrame, np.ndarray]:
    n = arm_mcbi.size
    sd = param("therapist_change_sd")
    waves = {}
    d_pms = None
    for instrument in THERAPIST_INSTRUMENTS:
        eff_post, eff_fu = param(_THERAPIST_EFFECT_KEY[instrument.code])
        eff_post = effects.get(_OVERRIDE_KEY.get(instrument.code, ""), eff_post)
        for name, base in _subscale_latents(rng, n, instrument).items():
            if instrument.code == "pms":
                d_pms = eff_post * arm_mcbi + param("pms_change_sd") * rng.standard_normal(n)
                post = base + d_pms
            else:
                post = base + eff_post * arm_mcbi + sd * rng.standard_normal(n)
            fu = base + eff_fu * arm_mcbi + sd * rng.standard_normal(n)
            waves[name] = (base, post, fu)
    return _wave_frames(waves), d_pms


def _wave_frames(waves: dict[str, tuple]) -> list[pd.DataFrame]:
    """One frame per wave from ``{scale: (pre, post, followup)}`` latent arrays."""
    frames = []
    for k, wave in enumerate(design.WAVES):
        frame = pd.DataFrame({name: v[k] for name, v in waves.items()})
        frame.insert(0, design.WAVE, wave)
        frames.append(frame)
    return frames


def _standardize(x: np.ndarray, mean: float, sd: float) -> np.ndarray:
    return (x - mean) / sd


def _patient_changes(rng, cluster: np.ndarray, d_pms: np.ndarray, p_mcbi: float,
                     effects: dict[str, float], arm_mcbi: np.ndarray) -> dict:
    """Post - pre latent changes of the mechanism outcomes (before trends)."""
    n_t, n_p = d_pms.size, cluster.size
    sdb, sdw = param("change_sd_between"), param("change_sd_within")
    eff = effect("pms_effect", effects)
    z_pms = _standardize(d_pms, eff * p_mcbi, delta_pms_sd(p_mcbi, eff))

    def mix(coefs: list[tuple[float, np.ndarray]], r2: float, n: int) -> np.ndarray:
        out = np.sqrt(max(1 - r2, 0.0)) * rng.standard_normal(n)
        for c, x in coefs:
            out = out + c * x
        return out

    a = effect("path_pms_eusp_between", effects)
    b_b, b_w = effect("path_eusp_bond_between", effects), param("path_eusp_bond_within")
    c_b, cp_b = param("path_bond_symptoms_between"), param("path_eusp_symptoms_between")
    c_w = param("path_bond_symptoms_within")
    f = param("path_eusp_phi")
    e_b = mix([(a, z_pms)], a**2, n_t)  # standardized between parts
    bond_b = mix([(b_b, e_b)], b_b**2, n_t)
    e_w = rng.standard_normal(n_p)
    bond_w = mix([(b_w, e_w)], b_w**2, n_p)
    changes = {
        "eus_p": sdb["eus_p"] * e_b[cluster] + sdw * e_w,
        "bond": sdb["bond"] * bond_b[cluster] + sdw * bond_w,
    }
    r2_b = c_b**2 + cp_b**2 + 2 * c_b * cp_b * b_b
    for name in ("bsi_som", "bsi_dep", "bsi_anx"):
        s_b = mix([(c_b, bond_b), (cp_b, e_b)], r2_b, n_t)
        s_w = mix([(c_w, bond_w)], c_w**2, n_p)
        changes[name] = sdb["symptoms"] * s_b[cluster] + sdw * s_w
    for name in PATIENT_DIRECT:  # no direct effect in the generator: only when overridden
        if f"direct_{name}" in effects:
            changes[name] = changes[name] + effects[f"direct_{name}"] * arm_mcbi[cluster]
    phi_b = mix([(f, e_b)], f**2, n_t)
    phi_w = mix([(f, e_w)], f**2, n_p)
    changes["phi"] = sdb["phi"] * phi_b[cluster] + sdw * phi_w
    truth = pd.DataFrame({"dpms": d_pms[cluster], "eus_p_between": e_b[cluster],
                          "bond_between": bond_b[cluster]})
    return changes, truth


def _patient_latent(rng, cluster, d_pms, p_mcbi, effects, arm_mcbi):
    n_t, n_p = d_pms.size, cluster.size
    icc = param("patient_icc")
    base = {}
    for instrument in PATIENT_INSTRUMENTS:
        for name, specific in _subscale_latents(rng, n_p, instrument).items():
            therapist_part = rng.standard_normal(n_t)[cluster]
            base[name] = np.sqrt(icc) * therapist_part + np.sqrt(1 - icc) * specific
    changes, truth = _patient_changes(rng, cluster, d_pms, p_mcbi, effects, arm_mcbi)
    trend = {"bsi_som": param("symptom_trend"), "bsi_dep": param("symptom_trend"),
             "bsi_anx": param("symptom_trend"), "phi": param("phi_trend")}
    carry = param("followup_carryover")
    fu_sd = param("followup_noise_sd")
    waves = {}
    for name, b in base.items():
        if name in changes:
            t_post, t_fu = trend.get(name, (0.0, 0.0))
            post = b + t_post + changes[name]
            fu = b + t_fu + carry[name] * changes[name] + fu_sd * rng.standard_normal(n_p)
        else:  # no arm effect, occasion noise only
            post = b + param("therapist_change_sd") * rng.standard_normal(n_p)
            fu = b + param("therapist_change_sd") * rng.standard_normal(n_p)
        waves[name] = (b, post, fu)
    return _wave_frames(waves), truth


def _items(rng, latent_frames: list[pd.DataFrame], instruments) -> list[pd.DataFrame]:
    """Item responses per wave from the latent traits (same item parameters every wave)."""
    lo_l, hi_l = param("loading_range")
    centers, spreads = param("item_center"), param("item_spread")
    loc_sd = param("item_location_sd")
    out: list[dict[str, np.ndarray]] = [{} for _ in latent_frames]
    for instrument in instruments:
        leaf = _leaf_scales(instrument)
        owner = {}
        for scale in leaf:
            for i in scale.items:
                owner[i] = scale.name
        reverse = set(instrument.scales[0].reverse)
        loadings = rng.uniform(lo_l, hi_l, instrument.n_items)
        locations = rng.normal(0, loc_sd, instrument.n_items)
        center, spread = centers[instrument.code], spreads[instrument.code]
        for k, frame in enumerate(latent_frames):
            n = len(frame)
            for i in range(1, instrument.n_items + 1):
                theta = frame[owner.get(i, leaf[0].name)].to_numpy()
                lam = loadings[i - 1]
                x = lam * theta + np.sqrt(1 - lam**2) * rng.standard_normal(n)
                cont = center + spread * (locations[i - 1] + x)
                if i in reverse:  # stored raw; scoring reverses it back
                    cont = instrument.low + instrument.high - cont
                val = np.clip(np.round(cont), instrument.low, instrument.high)
                for bad in instrument.excluded_values:
                    val = np.where(val == bad, np.where(cont >= bad, bad + 1, bad - 1), val)
                col = f"{instrument.prefix}_{i:02d}"
                out[k][col] = val.astype(int)
    return [pd.DataFrame(cols, index=f.index) for cols, f in zip(out, latent_frames, strict=True)]


def _dropout(rng, baseline: np.ndarray, rate: float) -> np.ndarray:
    """Boolean mask of dropped rows; more likely for lower baseline (MAR)."""
    slope = param("dropout_baseline_slope")
    z = (baseline - baseline.mean()) / baseline.std()
    lo, hi = -10.0, 10.0
    for _ in range(60):  # calibrate the intercept so the expected rate is `rate`
        mid = (lo + hi) / 2
        p = 1 / (1 + np.exp(-(mid - slope * z)))
        lo, hi = (mid, hi) if p.mean() < rate else (lo, mid)
    return rng.random(baseline.size) < p


def _long(ids: pd.Series, id_col: str, frames: list[pd.DataFrame],
          keep: list[np.ndarray]) -> pd.DataFrame:
    """Stack per-wave frames into long format, sorted by id and wave."""
    parts = []
    for k, (wave, frame, mask) in enumerate(zip(design.WAVES, frames, keep, strict=True)):
        keys = pd.DataFrame({id_col: ids.to_numpy(), design.WAVE: wave, "_order": k},
                            index=frame.index)
        part = pd.concat([keys, frame.drop(columns=[design.WAVE], errors="ignore")], axis=1)
        parts.append(part[mask])
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values([id_col, "_order"], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


def simulate(seed: int = DEFAULT_SEED, n_therapists: int | None = None,
             patients_per_therapist: int | None = None,
             effects: dict[str, float] | None = None) -> SimulatedTrial:
    """Generate the synthetic trial, or the same process with another design.

    Parameters
    ----------
    seed : int
        Seed of :class:`numpy.random.Generator` (PCG64).
    n_therapists : int, optional
        Therapists randomized (at least 4). Default: the trial's 63 (33 MCBI). Another
        number keeps the trial's allocation ratio (``round(n * 33 / 63)`` MCBI).
    patients_per_therapist : int, optional
        Patients of every therapist (1 or more, the same for all). Default: the trial's
        cluster sizes (1-4, drawn and adjusted to 121 patients for 63 therapists, or to
        ``round(n * 121 / 63)`` for another number of therapists). With both arguments
        left out the output is exactly the shipped package's.
    effects : dict, optional
        Effects in place of the generator's (names and units in
        :data:`mcbi.synth.parameters.EFFECT_OVERRIDES`: post effects of PMS, EUS-T and TECA,
        the two between paths of the mechanism, direct arm effects on the patients'
        outcomes); every other parameter keeps its value. Empty or None: the generator's
        effects, with exactly the same output. :func:`implied_effects` gives the patient
        effects they imply.

    Returns
    -------
    SimulatedTrial
        The four tables of the data package and the latent truths.
    """
    effects = check_effects(effects)
    rng = np.random.default_rng(seed)
    n_t = design.N_THERAPISTS if n_therapists is None else int(n_therapists)
    if n_t < 4:
        raise ValueError(f"n_therapists must be at least 4, not {n_t}")
    if patients_per_therapist is not None and int(patients_per_therapist) < 1:
        raise ValueError("patients_per_therapist must be at least 1")
    n_mcbi = round(n_t * param("n_mcbi") / param("n_therapists"))
    arms = np.array([design.TREATED] * n_mcbi + [design.CONTROL] * (n_t - n_mcbi))
    rng.shuffle(arms)
    mcbi = (arms == design.TREATED).astype(float)
    t_ids = pd.Series([f"T{i:02d}" for i in range(1, n_t + 1)])
    age, gender = _demographics(rng, n_t, "therapist_age", "therapist_gender_probs")
    lo_s, hi_s = param("experience_share")
    experience = np.round((age - 24) * rng.uniform(lo_s, hi_s, n_t)).astype(int)
    therapists = pd.DataFrame({
        design.THERAPIST_ID: t_ids, design.ARM: arms, "age": age, "gender": gender,
        "experience_years": experience,
        "orientation": rng.choice(design.ORIENTATIONS, n_t, p=param("orientation_probs")),
    })

    if patients_per_therapist is not None:
        sizes = np.full(n_t, int(patients_per_therapist))
    else:
        sizes = _cluster_sizes(rng, n_t, round(n_t * design.N_PATIENTS / design.N_THERAPISTS))
    cluster = np.repeat(np.arange(n_t), sizes)
    n_p = cluster.size
    p_ids = pd.Series([f"P{i:03d}" for i in range(1, n_p + 1)])
    p_age, p_gender = _demographics(rng, n_p, "patient_age", "patient_gender_probs")
    patients = pd.DataFrame({
        design.PATIENT_ID: p_ids, design.THERAPIST_ID: t_ids.to_numpy()[cluster],
        "age": p_age, "gender": p_gender,
        "problem": rng.choice(design.PROBLEMS, n_p, p=param("problem_probs")),
    })

    t_latent, d_pms = _therapist_latent(rng, mcbi, effects)
    p_latent, truth = _patient_latent(rng, cluster, d_pms, n_mcbi / n_t, effects, mcbi)
    t_items = _items(rng, t_latent, THERAPIST_INSTRUMENTS)
    p_items = _items(rng, p_latent, PATIENT_INSTRUMENTS)

    t_drop = param("therapist_dropout")
    p_drop = param("patient_dropout")
    t_keep = [np.ones(n_t, bool)] + [
        ~_dropout(rng, t_latent[0]["pms"].to_numpy(), r) for r in t_drop]
    p_keep = [np.ones(n_p, bool)] + [
        ~_dropout(rng, p_latent[0]["bond"].to_numpy(), r) for r in p_drop]
    t_resp = _long(t_ids, design.THERAPIST_ID, t_items, t_keep)
    p_resp = _long(p_ids, design.PATIENT_ID, p_items, p_keep)
    t_resp = _item_nonresponse(rng, t_resp, 2)
    p_resp = _item_nonresponse(rng, p_resp, 2)

    all_t, all_p = [np.ones(n_t, bool)] * 3, [np.ones(n_p, bool)] * 3
    t_lat = _long(t_ids, design.THERAPIST_ID, t_latent, all_t)
    arm_of = dict(zip(t_ids, arms, strict=True))
    t_lat.insert(1, design.ARM, t_lat[design.THERAPIST_ID].map(arm_of))
    p_lat = _long(p_ids, design.PATIENT_ID, p_latent, all_p)
    therapist_of = dict(zip(p_ids, patients[design.THERAPIST_ID], strict=True))
    p_lat.insert(1, design.THERAPIST_ID, p_lat[design.PATIENT_ID].map(therapist_of))
    p_lat.insert(2, design.ARM, p_lat[design.THERAPIST_ID].map(arm_of))
    truth.insert(0, design.PATIENT_ID, p_ids)
    p_lat = p_lat.merge(truth, on=design.PATIENT_ID)
    return SimulatedTrial(therapists, patients, t_resp, p_resp, t_lat, p_lat, seed)


def _item_nonresponse(rng, frame: pd.DataFrame, n_keys: int) -> pd.DataFrame:
    items = frame.columns[n_keys:]
    values = frame[items].astype("Int64")
    mask = rng.random(values.shape) < param("item_missing_rate")
    values = values.mask(mask)
    return pd.concat([frame.iloc[:, :n_keys], values], axis=1)


def package_files(seed: int = DEFAULT_SEED) -> dict[str, bytes]:
    """The bytes of every file of the synthetic package, exactly as :func:`write_package`
    writes them: the four CSV files and ``datapackage.json``.

    The descriptor carries the generator record (``generator``: name, version, seed,
    command and ``content_sha256``, the content hash of the CSV files,
    :func:`mcbi.trial.content.hash_files`).
    """
    from mcbi.trial.content import hash_files
    from mcbi.trial.schema import DESCRIPTOR_FILE, package_descriptor

    trial = simulate(seed)
    tables = {
        design.THERAPISTS_FILE: trial.therapists,
        design.PATIENTS_FILE: trial.patients,
        design.THERAPIST_RESPONSES_FILE: trial.therapist_responses,
        design.PATIENT_RESPONSES_FILE: trial.patient_responses,
    }
    files = {name: frame.to_csv(index=False, lineterminator="\n", na_rep="").encode("utf-8")
             for name, frame in tables.items()}
    descriptor = package_descriptor(seed=seed, content_sha256=hash_files(files))
    files[DESCRIPTOR_FILE] = (json.dumps(descriptor, indent=2, ensure_ascii=False)
                              + "\n").encode("utf-8")
    return files


def write_package(out: Path, seed: int = DEFAULT_SEED, force: bool = False) -> Path:
    """Simulate and write the Frictionless data package to ``out``; return the folder.

    The output is byte-identical for a given seed (no time stamps, fixed formats).

    Parameters
    ----------
    out : Path
        Folder to write into; created if missing.
    seed : int
        Seed of :func:`simulate`.
    force : bool
        Write into a folder that is not empty, overwriting the package's five files
        (other files are left alone). Without it a non-empty folder is refused, so that
        nothing (real data, above all) is overwritten by accident.

    Raises
    ------
    mcbi.errors.UserError
        If ``out`` is a file, or a non-empty folder and ``force`` is false.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} is a file, not a folder; choose a folder for the package")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise UserError(f"{out} is not empty; refusing to overwrite what it holds. Choose "
                        "an empty or new folder, or pass --force to overwrite the package "
                        "files in it")
    files = package_files(seed)
    out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (out / name).write_bytes(content)
    return out


STUDY_TARGETS: dict[str, tuple[float, float]] = {
    "eus_p": (0.45, 0.15), "bond": (0.40, 0.15), "bsi_som": (-0.40, -0.35),
    "bsi_dep": (-0.40, -0.10), "bsi_anx": (-0.40, -0.35), "phi": (0.25, 0.10),
}
"""Patient effects (MCBI - control, baseline SD) listed in ``shared/study.md``."""


def implied_effects(effects: dict[str, float] | None = None) -> pd.DataFrame:
    """Arm effects on patients' latent change implied by the mechanism's paths.

    The arm reaches patients only through therapist dPMS, so each effect is a product of
    paths (standardized within level) times the between-part SDs. Returns one row per
    outcome and wave: ``outcome, wave, implied, study_target`` in baseline-SD units.
    With ``effects`` (as in :func:`simulate`) the overridden PMS effect and paths are used
    and a direct effect is added to the outcome's (the follow-up keeps its carryover share
    of both).
    """
    effects = check_effects(effects)
    eff = effect("pms_effect", effects)
    shift = (effect("path_pms_eusp_between", effects) * eff
             / delta_pms_sd(pms_effect=eff))  # dEUS-P between, SD units
    b = effect("path_eusp_bond_between", effects)
    sym = param("path_bond_symptoms_between") * b + param("path_eusp_symptoms_between")
    sdb = param("change_sd_between")
    post = {
        "eus_p": sdb["eus_p"] * shift,
        "bond": sdb["bond"] * b * shift,
        "bsi_som": sdb["symptoms"] * sym * shift,
        "bsi_dep": sdb["symptoms"] * sym * shift,
        "bsi_anx": sdb["symptoms"] * sym * shift,
        "phi": sdb["phi"] * param("path_eusp_phi") * shift,
    }
    for name in PATIENT_DIRECT:
        post[name] += effect(f"direct_{name}", effects)
    carry = param("followup_carryover")
    rows = []
    for name, value in post.items():
        rows.append((name, "post", value, STUDY_TARGETS[name][0]))
        rows.append((name, "followup", carry[name] * value, STUDY_TARGETS[name][1]))
    return pd.DataFrame(rows, columns=["outcome", "wave", "implied", "study_target"])
