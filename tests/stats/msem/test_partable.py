"""Parameter tables with lavaan's sem() defaults (mcbi.stats.msem.partable)."""

from __future__ import annotations

import pytest

from _msem_helpers import FIXTURES, MODELS, load_reference
from mcbi.stats.msem.partable import baseline_partable, build_partable, saturated_partable


def _free_keys(table):
    rows = table[(table["free"] > 0) & (table["op"] != ":=")]
    return {(r.lhs, r.op, r.rhs, r.level) for r in rows.itertuples()}


def test_demo_defaults_follow_lavaan():
    table, roles = build_partable(MODELS["demo"]["model"])
    assert roles.within_only == ["x1", "x2", "x3"] and roles.z == ["w1", "w2"]
    keys = _free_keys(table)
    # first loading fixed, exogenous covariances free (fixed.x = FALSE), within intercepts of
    # both-level variables fixed to 0, latent means fixed to 0
    assert ("fw", "=~", "y1", 1) not in keys and ("fw", "=~", "y2", 1) in keys
    assert {("x1", "~~", "x2", 1), ("w1", "~~", "w2", 2)} <= keys
    assert ("y1", "~1", "", 1) not in keys and ("x1", "~1", "", 1) in keys
    assert ("y1", "~1", "", 2) in keys and ("fb", "~1", "", 2) not in keys


def test_covariances_of_pure_outcomes_and_exogenous_latents():
    model = """level: 1
      y ~ m + x
      m ~ x
      z ~ x
    level: 2
      y ~ m + w
      f =~ y + m
      g =~ w + k
    """
    keys = _free_keys(build_partable(model)[0])
    assert ("y", "~~", "z", 1) in keys          # auto.cov.y among pure outcomes
    assert ("m", "~~", "y", 1) not in keys      # m is also a predictor
    assert ("f", "~~", "g", 2) in keys          # exogenous latent covariance


def test_labels_share_a_free_parameter():
    table, _ = build_partable("level: 1\n y ~ b*x\nlevel: 2\n y ~ b*x\n")
    rows = table[table["label"] == "b"]
    assert len(rows) == 2 and rows["free"].nunique() == 1


def test_user_values_override_defaults():
    table, _ = build_partable(
        "level: 1\n f =~ NA*y1 + y2\n f ~~ 1*f\n y1 ~~ 0.5*y1\nlevel: 2\n y1 ~~ y2\n")
    row = table.set_index(["lhs", "op", "rhs", "level"])
    assert row.loc[("f", "=~", "y1", 1), "free"] > 0
    assert row.loc[("f", "~~", "f", 1), "free"] == 0
    assert row.loc[("f", "~~", "f", 1), "ustart"] == 1.0
    assert row.loc[("y1", "~~", "y1", 1), "ustart"] == 0.5


@pytest.mark.parametrize("name", FIXTURES)
def test_saturated_and_baseline_sizes_match_lavaan(name):
    table, roles = build_partable(MODELS[name]["model"])
    npar = int(table["free"].max())
    ref = load_reference(name)["fit_measures"]
    assert npar == ref["npar"]
    n_sat = int(saturated_partable(roles)[0]["free"].max())
    n_base = int(baseline_partable(roles)[0]["free"].max())
    assert n_sat - npar == ref["df"]
    assert n_sat - n_base == ref["baseline.df"]


def test_moment_models_keep_between_matrices_positive_semidefinite():
    _, roles = build_partable(MODELS["demo"]["model"])
    table, moment_roles = saturated_partable(roles)
    assert moment_roles.z == roles.z and moment_roles.y == roles.y
    level2 = table[table["level"] == 2]
    # between covariances only through Cholesky factors: residual variances fixed at 0
    assert (level2.loc[level2["op"] == "~~", "free"] == 0).all()
    assert (level2["op"] == "=~").sum() == 5 * 6 // 2


def test_reused_label_for_definition_is_rejected():
    with pytest.raises(ValueError, match="reuses a label"):
        build_partable("level: 1\n y ~ a*x\nlevel: 2\n y ~ w\n a := 2")


def test_latent_and_observed_name_clash_is_rejected():
    with pytest.raises(ValueError, match="both as latent and observed"):
        build_partable("level: 1\n f =~ y1 + y2\nlevel: 2\n y1 ~ f\n")
