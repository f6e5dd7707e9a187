"""mcbi.trial.data: the analysis-ready tables loaded from the committed package."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest

from _datafixtures import DATA, copy_package, read_rows, snapshot, write_rows
from mcbi.trial import design
from mcbi.trial.data import CHANGE_PREFIX, TrialData, change_scores, load
from mcbi.trial.instruments import BSI18, PMS, scale_names


@pytest.fixture(scope="module")
def loaded() -> tuple[TrialData, dict[str, str], dict[str, str]]:
    """The committed package loaded once, with snapshots of its folder before and after."""
    before = snapshot(DATA)
    trial = load(DATA)
    return trial, before, snapshot(DATA)


@pytest.fixture(scope="module")
def trial(loaded) -> TrialData:
    return loaded[0]


def test_load_writes_nothing(loaded) -> None:
    _, before, after = loaded
    assert before and after == before


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_long_therapist_table(trial: TrialData) -> None:
    t = trial.therapists
    assert list(t.columns) == ["therapist_id", "arm", "wave", *scale_names("therapist")]
    assert len(t) == len(_csv(design.THERAPIST_RESPONSES_FILE))
    assert not t.duplicated(["therapist_id", "wave"]).any()
    assert t["therapist_id"].nunique() == 63


def test_long_patient_table(trial: TrialData) -> None:
    p = trial.patients
    assert list(p.columns) == ["patient_id", "therapist_id", "arm", "wave",
                               *scale_names("patient")]
    assert len(p) == len(_csv(design.PATIENT_RESPONSES_FILE))
    assert p["patient_id"].nunique() == 121


@pytest.mark.parametrize("table", ["therapists", "patients"])
def test_arm_and_wave_are_ordered_categoricals(trial: TrialData, table: str) -> None:
    frame = getattr(trial, table)
    assert list(frame["arm"].cat.categories) == list(design.ARMS)
    assert list(frame["wave"].cat.categories) == list(design.WAVES)
    assert frame["wave"].cat.ordered
    assert frame["arm"].notna().all() and frame["wave"].notna().all()


def test_patients_carry_their_therapists_arm(trial: TrialData) -> None:
    arm = {r["therapist_id"]: r["arm"] for r in _csv(design.THERAPISTS_FILE)}
    home = {r["patient_id"]: r["therapist_id"] for r in _csv(design.PATIENTS_FILE)}
    p = trial.patients
    assert (p["therapist_id"].astype(str) == p["patient_id"].astype(str).map(home)).all()
    assert (p["arm"].astype(str) == p["therapist_id"].astype(str).map(arm)).all()
    info = trial.patient_info
    assert (info["arm"].astype(str) == info["therapist_id"].astype(str).map(arm)).all()
    assert len(trial.therapist_info) == 63 and len(info) == 121


def test_change_table_shapes(trial: TrialData) -> None:
    for change, id_cols, who, n in (
        (trial.therapist_change, ["therapist_id", "arm"], "therapist", 63),
        (trial.patient_change, ["patient_id", "therapist_id", "arm"], "patient", 121),
    ):
        scales = scale_names(who)
        expected = id_cols + [f"{CHANGE_PREFIX[w]}{s}" for w in ("post", "followup")
                              for s in scales]
        assert list(change.columns) == expected
        assert len(change) == n and change[id_cols[0]].is_unique


def _mean(values: list[str]) -> float:
    answered = [float(v) for v in values if v != ""]
    return sum(answered) / len(answered)


def test_therapist_change_is_post_minus_pre_by_hand(trial: TrialData) -> None:
    rows = _csv(design.THERAPIST_RESPONSES_FILE)
    waves: dict[str, dict[str, dict[str, str]]] = {}
    for r in rows:
        waves.setdefault(r["therapist_id"], {})[r["wave"]] = r
    # the first therapist with all three waves and every PMS item answered
    tid, person = next(
        (k, v) for k, v in waves.items()
        if len(v) == 3 and all(v[w][c] != "" for w in v for c in PMS.item_columns))
    pre = _mean([person["pre"][c] for c in PMS.item_columns])
    post = _mean([person["post"][c] for c in PMS.item_columns])
    fu = _mean([person["followup"][c] for c in PMS.item_columns])
    change = trial.therapist_change.set_index("therapist_id").loc[tid]
    assert change["d_post_pms"] == pytest.approx(post - pre)
    assert change["d_fu_pms"] == pytest.approx(fu - pre)
    long = trial.therapists.set_index(["therapist_id", "wave"])
    assert long.loc[(tid, "pre"), "pms"] == pytest.approx(pre)


def test_patient_change_uses_prorated_sum_by_hand(trial: TrialData) -> None:
    rows = _csv(design.PATIENT_RESPONSES_FILE)
    by_id: dict[str, dict[str, dict[str, str]]] = {}
    for r in rows:
        by_id.setdefault(r["patient_id"], {})[r["wave"]] = r
    gsi = BSI18.item_columns
    # a patient with pre and post, one BSI item missing at one of them if possible
    candidates = [(k, v) for k, v in by_id.items() if "pre" in v and "post" in v]
    pid, person = next(((k, v) for k, v in candidates
                        if any(v[w][c] == "" for w in ("pre", "post") for c in gsi)),
                       candidates[0])
    pre = _mean([person["pre"][c] for c in gsi]) * 18
    post = _mean([person["post"][c] for c in gsi]) * 18
    change = trial.patient_change.set_index("patient_id").loc[pid]
    assert change["d_post_bsi_gsi"] == pytest.approx(post - pre)


def test_missing_wave_gives_missing_change(trial: TrialData) -> None:
    present = {(r["patient_id"], r["wave"]) for r in _csv(design.PATIENT_RESPONSES_FILE)}
    dropped = [pid for pid in trial.patient_change["patient_id"]
               if (pid, "followup") not in present]
    assert dropped, "the package should have follow-up dropout"
    change = trial.patient_change.set_index("patient_id").loc[dropped]
    assert change["d_fu_eus_p"].isna().all()
    assert change[[c for c in change.columns if c.startswith("d_fu_")]].isna().all().all()


def test_items_are_kept_as_read(trial: TrialData) -> None:
    assert len(trial.therapist_items) == len(trial.therapists)
    assert "pms_01" in trial.therapist_items.columns
    assert "bsi_18" in trial.patient_items.columns
    assert trial.path == DATA


def test_change_scores_toy() -> None:
    long = pd.DataFrame({
        "id": ["a", "a", "a", "b", "b"],
        "grp": ["x", "x", "x", "y", "y"],
        "wave": pd.Categorical(["pre", "post", "followup", "pre", "post"],
                               categories=list(design.WAVES), ordered=True),
        "s": [1.0, 3.5, 2.0, 4.0, np.nan],
    })
    out = change_scores(long, ["id", "grp"], ["s"]).set_index("id")
    assert list(out.columns) == ["grp", "d_post_s", "d_fu_s"]
    assert out.loc["a", "d_post_s"] == 2.5
    assert out.loc["a", "d_fu_s"] == 1.0
    assert math.isnan(out.loc["b", "d_post_s"])  # post score missing
    assert math.isnan(out.loc["b", "d_fu_s"])  # wave absent
    assert out.loc["b", "grp"] == "y"


# ------------------------------------- whatever validation accepts, the loader reads alike


def _each_csv(folder, change) -> None:
    for name in (design.THERAPISTS_FILE, design.PATIENTS_FILE,
                 design.THERAPIST_RESPONSES_FILE, design.PATIENT_RESPONSES_FILE):
        path = folder / name
        path.write_bytes(change(path))


def _quote_all(path) -> bytes:
    import io

    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(read_rows(path))
    return buf.getvalue().encode("utf-8")


def _reversed_columns(path) -> bytes:
    write_rows(path, [row[::-1] for row in read_rows(path)])
    return path.read_bytes()


VARIANTS = {
    "crlf": lambda p: p.read_bytes().replace(b"\n", b"\r\n"),
    "cr": lambda p: p.read_bytes().replace(b"\n", b"\r"),
    "utf8-bom": lambda p: b"\xef\xbb\xbf" + p.read_bytes(),
    "no-final-newline": lambda p: p.read_bytes().rstrip(b"\n"),
    "all-quoted": _quote_all,
    "columns-reversed": _reversed_columns,
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_valid_variants_load_like_the_shipped_package(variant: str, trial: TrialData,
                                                      tmp_path) -> None:
    """Nothing passes validation and then crashes the loader or reads differently."""
    from mcbi.trial.validate import validate_package

    folder = copy_package(tmp_path / "pkg")
    _each_csv(folder, VARIANTS[variant])
    report = validate_package(folder)
    assert report.valid, report.message()
    other = load(folder)
    for name in ("therapists", "patients", "therapist_change", "patient_change",
                 "therapist_info", "patient_info", "therapist_items", "patient_items"):
        pd.testing.assert_frame_equal(getattr(other, name), getattr(trial, name),
                                      check_like=True, obj=name)
