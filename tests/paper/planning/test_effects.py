"""Effects of a plan from the build (mcbi.paper.planning.effects), used by the simulation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from _plan_helpers import PATIENT_D, results, write
from mcbi.errors import UserError
from mcbi.paper.planning import effects as plan_effects
from mcbi.paper.planning import replicates as planning
from mcbi.stats import montecarlo as power
from mcbi.synth.parameters import delta_pms_sd, param
from mcbi.synth.simulate import implied_effects, simulate
from mcbi.trial import design


def test_build_effects_map_the_estimates(tmp_path: Path) -> None:
    eff = plan_effects.build_effects(write(tmp_path, results()))
    assert (eff["pms_effect"], eff["eust_effect"], eff["teca_effect"]) == (1.0, 0.3, 0.2)
    # paths in baseline-SD units (a: 1.0 * 0.5 / 1; b: 0.6 * 1 / 2), standardized
    sdb = param("change_sd_between")
    assert eff["path_pms_eusp_between"] == pytest.approx(
        0.5 * delta_pms_sd(pms_effect=1.0) / sdb["eus_p"])
    assert eff["path_eusp_bond_between"] == pytest.approx(0.3 * sdb["eus_p"] / sdb["bond"])
    # the patients' total effects are the build's d's
    post = implied_effects(eff).query("wave == 'post'").set_index("outcome")["implied"]
    for scale, d in PATIENT_D.items():
        assert post[scale] == pytest.approx(d)
    truth = planning.latent_truths(param("n_mcbi") / param("n_therapists"), eff)
    assert truth["pms"] == truth["path_a0"] == 1.0
    assert truth["path_a"] == pytest.approx(0.5)
    assert truth["path_b"] == pytest.approx(0.3)
    assert truth["bond"] == pytest.approx(0.5)


def test_no_build_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "_build" / "manifest.json"
    with pytest.raises(UserError, match="manifest.json not found.*mcbi build"):
        plan_effects.build_effects(missing)
    (tmp_path / "bad.json").write_text("{}", "utf-8")
    with pytest.raises(UserError, match="bad.json has no 'results'"):
        plan_effects.build_effects(tmp_path / "bad.json")


@pytest.mark.parametrize("key", ["03_patients.bond_post_diff_d", "02_therapists.pms_post_diff",
                                 "02_therapists.teca_post_diff_d", "05_mechanisms.path_b"])
def test_missing_effect_names_file_and_key(tmp_path: Path, key: str) -> None:
    values = results()
    del values[key]
    path = write(tmp_path, values)
    with pytest.raises(UserError, match=f"{path.name} lacks {key}"):
        plan_effects.build_effects(path)


def test_mechanism_not_estimated(tmp_path: Path) -> None:
    values = {**results(), "05_mechanisms.path_a": None,
              "05_mechanisms.mechanism_reason": "no rung of the ladder converged"}
    with pytest.raises(UserError, match="no estimate.*path_a.*no rung of the ladder"):
        plan_effects.build_effects(write(tmp_path, values))


def test_path_the_generator_cannot_make(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="beyond ±1"):
        plan_effects.build_effects(write(tmp_path, results(a=10.0)))


def _arm_difference(sim, table: str, scale: str) -> float:
    """Observed between-arm difference in change at post over the pooled baseline SD."""
    trial = planning.score(sim)
    long = getattr(trial, table)
    wide = long.pivot_table(index=[c for c in long.columns if c.endswith("_id")]
                            + [design.ARM], columns=design.WAVE, values=scale).reset_index()
    change = (wide["post"] - wide["pre"]).groupby(wide[design.ARM]).mean()
    sd = wide.groupby(design.ARM)["pre"].std().pow(2).mean() ** 0.5
    return float((change[design.TREATED] - change[design.CONTROL]) / sd)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_simulated_data_carry_the_build_effects(tmp_path: Path, sign: float) -> None:
    eff = plan_effects.build_effects(
        write(tmp_path, results(pms_d=1.5 * sign, bond_d=1.2 * sign, a=sign * 0.8)))
    sim = simulate(11, n_therapists=400, patients_per_therapist=2, effects=eff)
    pms = _arm_difference(sim, "therapists", "pms")
    bond = _arm_difference(sim, "patients", "bond")
    # attenuated by measurement error (the plan is conservative) and, for the bond, by
    # the ceiling of its items when it rises; but clearly there, in the build's direction
    assert 0.9 < sign * pms < 1.6
    assert 0.5 < sign * bond < 1.5
    base = simulate(11, n_therapists=400, patients_per_therapist=2)
    assert abs(_arm_difference(base, "therapists", "pms") - 0.6) < 0.25


def test_effects_enter_the_cache_key(tmp_path: Path) -> None:
    eff = plan_effects.effects_key(plan_effects.build_effects(write(tmp_path, results())))
    other = plan_effects.effects_key(
        plan_effects.build_effects(write(tmp_path, results(pms_d=0.9), "m2.json")))
    keys = {power.cache_key(planning.TrialReplicate(effects=e), 1) for e in ((), eff, other)}
    assert len(keys) == 3
    assert plan_effects.effects_key({}) == ()


def test_plan_with_build_effects_refuses_without_build(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        planning.plan([20], [2], 2, 1, client=None, effects="build",
                      manifest=tmp_path / "none.json")


def test_table_records_the_effects(tmp_path: Path) -> None:
    eff = plan_effects.build_effects(write(tmp_path, results()))
    table = planning.power_table(_rows())
    got = planning.with_effects(table, "build", eff, "build at commit c, data sha256 d")
    assert list(got.columns[-3:]) == ["effects", "effects_origin", "effect_latent"]
    assert set(got["effects"]) == {"build"}
    assert set(got["effects_origin"]) == {"build at commit c, data sha256 d"}
    pms = got.loc[got["target"] == "pms", "effect_latent"].iloc[0]
    assert pms == 1.0
    gen = planning.with_effects(table, "generator", {})
    assert gen.loc[gen["target"] == "pms", "effect_latent"].iloc[0] == 0.6
    assert math.isnan(gen.loc[gen["target"] == "other", "effect_latent"].iloc[0])


def _rows():
    import pandas as pd

    rows = [{"cell": (20, 2), "rep": r, "target": t, "estimate": 0.1 * r, "se": 0.1,
             "ci_lower": -1.0, "ci_upper": 1.0, "significant": r == 1, "truth": 0.0,
             "failed": False, "rung": ""} for r in range(2) for t in ("pms", "other")]
    return pd.DataFrame(rows)


def test_build_origin_names_commit_and_data_hash(tmp_path: Path) -> None:
    path = write(tmp_path, results())
    assert plan_effects.build_origin(path) == "build at commit unknown, data sha256 unknown"
    manifest = json.loads(path.read_text("utf-8"))
    manifest.update(commit="0123456789abcdef0", data={"sha256": "fedcba9876543210ff"})
    path.write_text(json.dumps(manifest), "utf-8")
    assert plan_effects.build_origin(path) == (
        "build at commit 0123456789ab, data sha256 fedcba987654")
    with pytest.raises(UserError, match="not found"):
        plan_effects.build_origin(tmp_path / "none.json")
