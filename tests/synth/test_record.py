"""mcbi.synth.record: a package is synthetic only when regeneration reproduces it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mcbi.synth.record as record
from _datafixtures import DATA, copy_package, edit_descriptor, set_cell
from mcbi.synth.simulate import DEFAULT_SEED, package_files, write_package
from mcbi.trial.content import content_hash, hash_files

T, PR, DESC = "therapists.csv", "patient_responses.csv", "datapackage.json"


@pytest.fixture
def one_cell_changed(tmp_path: Path) -> Path:
    """The shipped descriptor (generator record and all) on data differing in one cell."""
    folder = copy_package(tmp_path / "pkg")
    old = set_cell(folder / PR, "phi_01", "1", row=7)
    if old == "1":
        set_cell(folder / PR, "phi_01", "2", row=7)
    return folder


def test_shipped_package_is_synthetic() -> None:
    assert record.is_synthetic(DATA)
    assert record.generator_record(DATA)["seed"] == DEFAULT_SEED


def test_content_hash_is_sha256_of_the_manifest() -> None:
    import hashlib

    manifest = "".join(f"{hashlib.sha256((DATA / n).read_bytes()).hexdigest()}  {n}\n"
                       for n in ("therapists.csv", "patients.csv",
                                 "therapist_responses.csv", "patient_responses.csv"))
    expected = hashlib.sha256(manifest.encode()).hexdigest()
    assert record.content_hash(DATA) == content_hash(DATA) == expected
    recorded = json.loads((DATA / DESC).read_text("utf-8"))["generator"]["content_sha256"]
    assert recorded == expected


def test_shipped_descriptor_on_modified_data_is_real(one_cell_changed: Path) -> None:
    assert content_hash(one_cell_changed) != content_hash(DATA)
    assert not record.is_synthetic(one_cell_changed)


def test_recorded_hash_matching_forged_data_is_still_real(one_cell_changed: Path) -> None:
    """Writing the modified data's hash into the record does not make it synthetic."""
    forged = content_hash(one_cell_changed)
    edit_descriptor(one_cell_changed, lambda d: d["generator"].update(content_sha256=forged))
    assert not record.is_synthetic(one_cell_changed)  # regeneration is not


def test_synthetic_flag_without_generator_is_real(tmp_path: Path) -> None:
    folder = copy_package(tmp_path / "pkg")
    edit_descriptor(folder, lambda d: (d.pop("generator"), d.update(synthetic=True)))
    assert not record.is_synthetic(folder)


@pytest.mark.parametrize("generator", [
    {"name": "other-tool", "seed": DEFAULT_SEED},
    {"name": "mcbi", "seed": DEFAULT_SEED + 1},
    {"name": "mcbi", "seed": "20230401"},
    {"name": "mcbi", "seed": -3},
    {"name": "mcbi"},
    "mcbi",
])
def test_generator_record_that_does_not_reproduce_is_real(tmp_path: Path, generator) -> None:
    folder = copy_package(tmp_path / "pkg")
    edit_descriptor(folder, lambda d: d.update(generator=generator))
    assert not record.is_synthetic(folder)


def test_record_without_hash_is_decided_by_regeneration(tmp_path: Path) -> None:
    folder = copy_package(tmp_path / "pkg")
    edit_descriptor(folder, lambda d: d["generator"].pop("content_sha256"))
    assert record.is_synthetic(folder)


@pytest.mark.parametrize("breakage", ["no-descriptor", "bad-json", "list", "missing-csv"])
def test_unreadable_package_is_not_synthetic(tmp_path: Path, breakage: str) -> None:
    folder = copy_package(tmp_path / "pkg")
    if breakage == "no-descriptor":
        (folder / DESC).unlink()
    elif breakage == "bad-json":
        (folder / DESC).write_text("{", "utf-8")
    elif breakage == "list":
        (folder / DESC).write_text("[]", "utf-8")
    else:
        (folder / T).unlink()
    assert not record.is_synthetic(folder)
    note = record.data_note(folder)
    assert str(tmp_path) not in note and "synthetic data" not in note


def test_other_seed_written_by_the_writer_is_synthetic(tmp_path: Path) -> None:
    folder = write_package(tmp_path / "seed5", seed=5)
    assert record.is_synthetic(folder)
    assert "seed 5" in record.data_note(folder)


def test_regeneration_is_cached_per_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counting(seed: int) -> dict[str, bytes]:
        calls.append(seed)
        return package_files(seed)

    record.regenerated_hash.cache_clear()
    monkeypatch.setattr(record, "package_files", counting)
    try:
        for _ in range(3):
            assert record.is_synthetic(DATA)
        assert calls == [DEFAULT_SEED]
    finally:
        record.regenerated_hash.cache_clear()


def test_regenerated_hash_equals_the_shipped_content() -> None:
    assert record.regenerated_hash(DEFAULT_SEED) == content_hash(DATA)
    assert hash_files(package_files(DEFAULT_SEED)) == content_hash(DATA)
    with pytest.raises(ValueError, match="non-negative"):
        record.regenerated_hash(-1)


def test_data_note_synthetic_names_the_seed() -> None:
    note = record.data_note(DATA)
    assert "synthetic" in note and f"seed {DEFAULT_SEED}" in note
    assert "not the trial's results" in note
    assert str(DATA) not in note


def test_data_note_real_is_neutral(one_cell_changed: Path) -> None:
    note = record.data_note(one_cell_changed)
    digest = content_hash(one_cell_changed)
    assert note == ("These results come from the data package 'mcbi-trial' "
                    f"(content SHA-256 {digest[:12]}).")
    assert "synthetic" not in note and str(one_cell_changed.parent) not in note


@pytest.mark.parametrize(("name", "shown"), [("trial-real-2024", "trial-real-2024"),
                                             ("<b>x</b> `y`", "mcbi-trial"),
                                             (5, "mcbi-trial")])
def test_data_note_shows_only_a_safe_package_name(tmp_path: Path, name, shown: str) -> None:
    folder = copy_package(tmp_path / "pkg")
    edit_descriptor(folder, lambda d: (d.update(name=name), d.pop("generator")))
    assert f"data package '{shown}'" in record.data_note(folder)
