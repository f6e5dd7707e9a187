"""mcbi.synth.variants: each variant is a valid package in the trial's schema, counted as real."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from _datafixtures import DATA
from mcbi.synth import variants
from mcbi.synth.record import is_synthetic
from mcbi.trial import design
from mcbi.trial.validate import validate_package


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("variants")
    return {name: variants.write_variant(name, root / name, DATA) for name in variants.VARIANTS}


def _table(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("name", list(variants.VARIANTS))
def test_every_variant_is_valid_and_real(written, name) -> None:
    report = validate_package(written[name])
    assert report.valid, report.message()
    assert not is_synthetic(written[name])


def test_pilot_keeps_ten_therapists_and_only_their_patients(written) -> None:
    folder = written["pilot_10"]
    ther = _table(folder, design.THERAPISTS_FILE)
    pat = _table(folder, design.PATIENTS_FILE)
    assert len(ther) == 10
    assert set(pat[design.THERAPIST_ID]) <= set(ther[design.THERAPIST_ID])


def test_pre_post_only_has_no_followup_rows(written) -> None:
    for file in (design.THERAPIST_RESPONSES_FILE, design.PATIENT_RESPONSES_FILE):
        waves = set(_table(written["pre_post_only"], file)[design.WAVE])
        assert waves == {"pre", "post"}


def test_one_patient_per_therapist(written) -> None:
    pat = _table(written["one_patient"], design.PATIENTS_FILE)
    assert pat.groupby(design.THERAPIST_ID).size().max() == 1
    assert pat[design.THERAPIST_ID].nunique() == _table(DATA, design.PATIENTS_FILE)[
        design.THERAPIST_ID].nunique()


def test_arms_swapped_exchanges_the_labels(written) -> None:
    before = _table(DATA, design.THERAPISTS_FILE).set_index(design.THERAPIST_ID)[design.ARM]
    after = _table(written["arms_swapped"], design.THERAPISTS_FILE).set_index(
        design.THERAPIST_ID)[design.ARM]
    assert (before != after).all()
    assert sorted(before.value_counts()) == sorted(after.value_counts())


def test_blank_items_blank_about_the_share_asked(written) -> None:
    file = design.PATIENT_RESPONSES_FILE
    items = [c for c in _table(DATA, file).columns if variants.ITEM.match(c)]
    share = lambda f: (_table(f, file)[items] == "").to_numpy().mean()  # noqa: E731
    added = share(written["blank_30"]) - share(DATA)
    assert 0.25 < added < 0.32


def test_item_noise_keeps_values_in_range_and_changes_some(written) -> None:
    file = design.THERAPIST_RESPONSES_FILE
    a, b = _table(DATA, file), _table(written["noise_5"], file)
    items = [c for c in a.columns if variants.ITEM.match(c)]
    changed = (a[items] != b[items]).to_numpy().mean()
    assert 0.02 < changed < 0.08


def test_unknown_variant_and_non_empty_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        variants.write_variant("nope", tmp_path / "x", DATA)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        variants.write_variant("pilot_10", tmp_path / "full", DATA)
