"""mcbi.paper.render.rerun: the re-run box's command and parameters."""

from __future__ import annotations

import pytest

from mcbi.paper.render import rerun


def test_parameters_text_hides_build_settings() -> None:
    params = {"data_dir": "data/trial", "data_sha256": "abc", "synthetic": "yes",
              "out_dir": "book/sections", "alpha": 0.05}
    assert rerun.parameters_text(params) == "data_dir = data/trial, alpha = 0.05"
    assert rerun.parameters_text({"out_dir": "x"}) == "no parameters"
    assert rerun.parameters_text({"therapists": [30, 63]}) == "therapists = 30 63"


def test_command_uses_the_values_given() -> None:
    params = {"data_dir": "data/x", "alpha": 0.1}
    assert rerun.command("02_therapists", params) == \
        "python -m mcbi run 02_therapists -p alpha 0.1"
    assert rerun.command("04_published", {"data_dir": "d", "out_dir": "o"}) == \
        "python -m mcbi run 04_published"
    with pytest.raises(ValueError, match="not a parameter"):
        rerun.command("02_therapists", params, example="beta")
    with pytest.raises(ValueError, match="section name"):
        rerun.command("02; rm", params)
    values = rerun.rerun_values("05_mechanisms", {"n_draws": 20000, "seed": 1})
    assert values["rerun_command"].endswith("-p n_draws 20000")
