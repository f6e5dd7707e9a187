"""mcbi.paper.render.results: recording glued numbers and saving them per section."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from mcbi.paper.render.results import Results


@pytest.fixture
def res(tmp_path) -> Results:
    return Results("02_therapists", tmp_path / "out")


@pytest.mark.parametrize(("value", "expected"), [
    (1.5, 1.5),
    (3, 3.0),
    (np.float64(2.25), 2.25),
    (np.float32(0.5), 0.5),
    (np.int64(7), 7.0),
    (np.int32(-4), -4.0),
])
def test_glue_stores_plain_floats(res, value, expected) -> None:
    out = res.glue("x", value)
    assert type(out) is float and out == expected
    assert type(res.values["x"]) is float and res.values["x"] == expected


@pytest.mark.parametrize("value", [None, float("nan"), math.inf, -math.inf, np.nan,
                                   np.float64("inf"), np.float32("nan")])
def test_glue_non_finite_is_none(res, value) -> None:
    assert res.glue("x", value) is None
    assert "x" in res.values and res.values["x"] is None


def test_glue_text(res) -> None:
    assert res.glue_text("label", "p < .001") == "p < .001"
    assert res.glue_text("n", 12) == "12"
    assert res.values == {"label": "p < .001", "n": "12"}


def test_glue_all_texts_and_numbers(res) -> None:
    res.glue_all({"p_text": "= .034", "n": np.int64(3), "gone": None, "x": float("inf")})
    assert res.values == {"p_text": "= .034", "n": 3.0, "gone": None, "x": None}
    assert type(res.values["n"]) is float
    with pytest.raises(ValueError, match="recorded twice"):
        res.glue_all({"n": 4})


@pytest.mark.parametrize(("first", "second"), [("glue", "glue"), ("glue", "glue_text"),
                                               ("glue_text", "glue"),
                                               ("glue_text", "glue_text")])
def test_duplicate_name_rejected(res, first, second) -> None:
    args = {"glue": 1.0, "glue_text": "a"}
    getattr(res, first)("dup", args[first])
    with pytest.raises(ValueError, match="recorded twice"):
        getattr(res, second)("dup", args[second])
    assert res.values["dup"] == args[first]  # the first value is kept


@pytest.mark.parametrize("name", ["", "a-b", "1a", "a b", "x.y", "p(holm)"])
def test_non_identifier_rejected(res, name) -> None:
    with pytest.raises(ValueError, match="identifier"):
        res.glue(name, 1.0)
    with pytest.raises(ValueError, match="identifier"):
        res.glue_text(name, "a")
    assert res.values == {}


def test_save_writes_section_file(tmp_path) -> None:
    out_dir = tmp_path / "nested" / "sections"
    res = Results("03_patients", out_dir)
    res.glue("b_est", np.float64(-0.25))
    res.glue("a_n", np.int64(121))
    res.glue("missing", float("nan"))
    res.glue_text("p_text", "= .034")
    path = res.save()
    assert path == out_dir / "03_patients.results.json"
    assert path.is_file()
    data = json.loads(path.read_text("utf-8"))
    assert data == {"b_est": -0.25, "a_n": 121.0, "missing": None, "p_text": "= .034"}
    assert isinstance(data["a_n"], float)
    assert list(data) == sorted(data)  # stable key order


def test_save_empty_and_overwrite(tmp_path) -> None:
    res = Results("s", tmp_path)
    path = res.save()
    assert json.loads(path.read_text("utf-8")) == {}
    res.glue("x", 1)
    assert res.save() == path
    assert json.loads(path.read_text("utf-8")) == {"x": 1.0}
