"""``mcbi verify --manifests``: comparing two manifests' results and provenance (no rebuild)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from mcbi.book.verify.compare import (
    DIFFERS,
    IDENTICAL,
    MATCH,
    MONTE_CARLO,
    ONLY_PUBLISHED,
    ONLY_REBUILT,
    PRINTED,
    TOLERANCE,
    Tolerance,
    compare_manifests,
    compare_value,
    plain_printer,
    texts_close,
)
from mcbi.book.verify.glue import glue_formats, references
from mcbi.cli import main
from mcbi.paper.precision import printed


def manifest(results: dict, seed: int = 1, **extra) -> dict:
    """A small manifest: two sections, one with a seed parameter."""
    base = {
        "version": "0.1.0", "commit": "abc1234", "python": "3.11.7",
        "packages": {"numpy": "2.4.6", "pandas": "3.1.1"},
        "data": {"path": "data/trial", "sha256": "a" * 64, "files": {"x.csv": "b" * 64}},
        "sections": {
            "02_therapists": {"parameters": {"alpha": 0.05},
                              "outputs": {"page": "c" * 64, "results": "d" * 64}},
            "06_planning": {"parameters": {"seed": seed, "reps": 3},
                            "outputs": {"page": "e" * 64, "results": "f" * 64}},
        },
        "results": dict(results),
    }
    base.update(extra)
    return base


RESULTS = {
    "02_therapists.pms_post_diff": 0.53412,
    "02_therapists.pms_post_diff_p": 0.00004,
    "02_therapists.pms_post_diff_pholm": 0.0341,
    "02_therapists.pms_post_summary": "0.53 [0.21, 0.85], d = 0.61, p = .034",
    "02_therapists.n_lost": None,
    "06_planning.power_pms": 0.5,
    "06_planning.power_pms_mcse": 0.2,
}


def compare(published: dict, rebuilt: dict, **kwargs):
    return compare_manifests(published, rebuilt, printer=printed, **kwargs)


def by_name(comparison) -> dict:
    return {check.name: check for check in comparison.checks}


def test_identical_manifests_match_everything() -> None:
    result = compare(manifest(RESULTS), manifest(RESULTS))
    assert result.ok
    assert result.counts()["compared"] == len(RESULTS)
    assert {c.how for c in result.checks} == {IDENTICAL}
    assert all(fact.same for fact in result.facts)


def test_a_number_that_prints_the_same_matches_at_printed_precision() -> None:
    rebuilt = dict(RESULTS, **{"02_therapists.pms_post_diff": 0.5349})  # 0.53 both
    check = by_name(compare(manifest(RESULTS), manifest(rebuilt)))["02_therapists.pms_post_diff"]
    assert (check.status, check.how) == (MATCH, PRINTED)
    assert check.shown_published == check.shown_rebuilt == "0.53"


def test_a_number_that_prints_differently_differs_and_shows_both_printed_values() -> None:
    rebuilt = dict(RESULTS, **{"02_therapists.pms_post_diff": 0.5371})  # 0.53 -> 0.54
    result = compare(manifest(RESULTS), manifest(rebuilt))
    assert not result.ok
    [check] = result.differing
    assert (check.name, check.status) == ("02_therapists.pms_post_diff", DIFFERS)
    assert (check.shown_published, check.shown_rebuilt) == ("0.53", "0.54")


def test_p_values_compare_in_apa_form() -> None:
    # both below .001: APA prints "< .001" for both although the values differ 5-fold
    rebuilt = dict(RESULTS, **{"02_therapists.pms_post_diff_p": 0.0002,
                               "02_therapists.pms_post_diff_pholm": 0.0338})
    checks = by_name(compare(manifest(RESULTS), manifest(rebuilt)))
    p = checks["02_therapists.pms_post_diff_p"]
    assert (p.status, p.how, p.shown_rebuilt) == (MATCH, PRINTED, "< .001")
    holm = checks["02_therapists.pms_post_diff_pholm"]
    assert (holm.shown_published, holm.shown_rebuilt) == ("= .034", "= .034")
    assert holm.status == MATCH
    # .0345 prints as "= .035" (three decimals, no leading zero): a difference
    worse = dict(RESULTS, **{"02_therapists.pms_post_diff_pholm": 0.0346})
    holm = by_name(compare(manifest(RESULTS), manifest(worse)))["02_therapists.pms_post_diff_pholm"]
    assert (holm.status, holm.shown_rebuilt) == (DIFFERS, "= .035")


def test_glue_formats_of_the_prose_set_the_precision() -> None:
    published = {"01_sample.n_patients": 121.0, "05_mechanisms.cover_pct": 94.44}
    rebuilt = {"01_sample.n_patients": 121.4, "05_mechanisms.cover_pct": 94.46}
    formats = {"01_sample.n_patients": ".0f", "05_mechanisms.cover_pct": ".1f"}
    checks = by_name(compare(manifest(published), manifest(rebuilt), formats=formats))
    assert checks["01_sample.n_patients"].how == PRINTED  # "121" both
    assert checks["05_mechanisms.cover_pct"].status == DIFFERS  # 94.4 vs 94.5
    # without the formats, the mechanism chapter's three decimals apply: both differ
    plain = by_name(compare(manifest(published), manifest(rebuilt)))
    assert plain["01_sample.n_patients"].status == DIFFERS


def test_tolerance_lets_a_rounding_boundary_through_and_is_stated() -> None:
    published = dict(RESULTS, **{"02_therapists.pms_post_diff": 0.135})
    rebuilt = dict(RESULTS, **{"02_therapists.pms_post_diff": 0.13499999999})
    check = by_name(compare(manifest(published), manifest(rebuilt)))["02_therapists.pms_post_diff"]
    assert (check.shown_published, check.shown_rebuilt) == ("0.14", "0.13")
    assert (check.status, check.how) == (MATCH, TOLERANCE)
    strict = compare(manifest(published), manifest(rebuilt), tolerance=Tolerance(0, 0))
    assert by_name(strict)["02_therapists.pms_post_diff"].status == DIFFERS
    loose = dict(RESULTS, **{"02_therapists.pms_post_diff": 0.5371})
    assert not compare(manifest(RESULTS), manifest(loose)).ok
    assert compare(manifest(RESULTS), manifest(loose), tolerance=Tolerance(atol=0.005)).ok


def test_texts_compare_exactly_unless_their_numbers_are_within_tolerance() -> None:
    text = "02_therapists.pms_post_summary"
    rebuilt = dict(RESULTS, **{text: "0.54 [0.21, 0.85], d = 0.61, p = .034"})
    assert by_name(compare(manifest(RESULTS), manifest(rebuilt)))[text].status == DIFFERS
    loose = compare(manifest(RESULTS), manifest(rebuilt), tolerance=Tolerance(atol=0.011))
    assert by_name(loose)[text].how == TOLERANCE
    worded = dict(RESULTS, **{text: "0.53 [0.21, 0.85], d = 0.61, p < .001"})
    assert by_name(compare(manifest(RESULTS), manifest(worded),
                           tolerance=Tolerance(atol=1)))[text].status == DIFFERS
    assert texts_close("\u22120.10 to 0.20", "-0.10 to 0.20", Tolerance())


def test_missing_values_and_results_in_one_build_only() -> None:
    rebuilt = {k: v for k, v in RESULTS.items() if k != "02_therapists.pms_post_diff_p"}
    rebuilt["02_therapists.new_result"] = 1.0
    rebuilt["02_therapists.n_lost"] = 3.0  # None published: not available -> a number
    result = compare(manifest(RESULTS), manifest(rebuilt))
    checks = by_name(result)
    assert checks["02_therapists.pms_post_diff_p"].status == ONLY_PUBLISHED
    assert checks["02_therapists.new_result"].status == ONLY_REBUILT
    assert checks["02_therapists.n_lost"].status == DIFFERS
    assert checks["02_therapists.n_lost"].shown_published == "\u2014"
    assert len(result.missing) == 2 and not result.ok


def test_monte_carlo_quantities_within_their_error_when_the_seed_is_the_same() -> None:
    rebuilt = dict(RESULTS, **{"06_planning.power_pms": 0.8})  # 1.5 MCSE away
    check = by_name(compare(manifest(RESULTS), manifest(rebuilt)))["06_planning.power_pms"]
    assert (check.status, check.how) == (MATCH, MONTE_CARLO)
    far = dict(RESULTS, **{"06_planning.power_pms": 0.95})  # 2.25 MCSE away
    assert by_name(compare(manifest(RESULTS), manifest(far)))["06_planning.power_pms"].status \
        == DIFFERS
    wider = compare(manifest(RESULTS), manifest(far), tolerance=Tolerance(mc_z=3))
    assert by_name(wider)["06_planning.power_pms"].how == MONTE_CARLO
    # another seed: not the same Monte Carlo experiment, compared as printed
    other = compare(manifest(RESULTS), manifest(rebuilt, seed=2))
    assert by_name(other)["06_planning.power_pms"].status == DIFFERS
    assert any(f.what == "parameters of 06_planning" and not f.same for f in other.facts)


def test_provenance_is_reported_not_failed() -> None:
    rebuilt = manifest(RESULTS, commit="unknown", packages={"numpy": "2.3.5", "pandas": "3.1.1"})
    rebuilt["sections"]["02_therapists"]["outputs"]["page"] = "9" * 64
    result = compare(manifest(RESULTS), rebuilt)
    assert result.ok
    facts = {f.what: f for f in result.facts}
    assert (facts["commit"].published, facts["commit"].rebuilt) == ("abc1234", "unknown")
    assert facts["packages"].detail == ("numpy: 2.4.6 \u2192 2.3.5",)
    assert not facts["executed notebook 02_therapists"].same
    assert facts["results file 02_therapists"].same


def test_data_hash_difference_names_the_files() -> None:
    rebuilt = manifest(RESULTS, data={"path": "data/trial", "sha256": "1" * 64,
                                      "files": {"x.csv": "2" * 64}})
    fact = {f.what: f for f in compare(manifest(RESULTS), rebuilt).facts}["data package SHA-256"]
    assert not fact.same and fact.detail == ("x.csv",)


def test_compare_value_rejects_bad_tolerances_and_manifests() -> None:
    with pytest.raises(ValueError, match="rtol"):
        Tolerance(rtol=-1)
    with pytest.raises(ValueError, match="not a build manifest"):
        compare_manifests({"results": {}}, {"version": 1})
    assert compare_value("s.x", 1.0, 1.004, printer=plain_printer).how == PRINTED


def test_glue_references_of_notebooks_and_pages(tmp_path: Path) -> None:
    assert references("{glue:text}`sections/01_a.ipynb::n:.0f`, {glue:text}`m:s`", "02_b") \
        == {"01_a.n": ".0f", "02_b.m": "s"}
    notebooks, pages = tmp_path / "notebooks", tmp_path / "book"
    notebooks.mkdir()
    pages.mkdir()
    nb = {"cells": [{"cell_type": "markdown", "source": ["Cover {glue:text}`c:.1f` %"]},
                    {"cell_type": "code", "source": "x = '{glue:text}`z:.3f`'"}]}
    (notebooks / "05_m.ipynb").write_text(json.dumps(nb), "utf-8")
    (pages / "intro.md").write_text("{glue:text}`sections/05_m.ipynb::c:.0f`", "utf-8")
    assert glue_formats(notebooks, pages) == {"05_m.c": ".1f"}  # the finer format wins


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_cli_manifests_exit_codes_and_reports(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    published = _write(tmp_path / "published.json", manifest(RESULTS))
    same = _write(tmp_path / "same.json", manifest(RESULTS))
    report = tmp_path / "report"
    assert main(["verify", "--manifests", str(published), str(same),
                 "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "differing: 0" in out and "every reported number matches" in out
    saved = json.loads((report / "verify-report.json").read_text("utf-8"))
    assert saved["ok"] is True and saved["counts"]["compared"] == len(RESULTS)
    assert "Every reported number matches" in (report / "verify-report.html").read_text("utf-8")

    changed = copy.deepcopy(manifest(RESULTS))
    changed["results"]["02_therapists.pms_post_diff"] = 0.61
    del changed["results"]["02_therapists.pms_post_diff_pholm"]
    other = _write(tmp_path / "changed.json", changed)
    assert main(["verify", "--manifests", str(published), str(other),
                 "--report", str(report)]) == 1
    out = capsys.readouterr().out
    assert ("02_therapists.pms_post_diff: published 0.53, rebuilt 0.61  "
            "[book/sections/02_therapists.html]") in out
    assert "02_therapists.pms_post_diff_pholm: only in the published build" in out
    saved = json.loads((report / "verify-report.json").read_text("utf-8"))
    assert saved["counts"]["differing"] == 1 and saved["counts"]["missing"] == 1


def test_cli_manifests_refuses_unusable_input(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path / "m.json", manifest(RESULTS))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    assert main(["verify", "--manifests", str(good), str(bad), "--report",
                 str(tmp_path / "r")]) == 2
    assert "bad.json is not a readable JSON file" in capsys.readouterr().err
    assert main(["verify", "--manifests", str(good), str(tmp_path / "none.json")]) == 2
    assert "none.json: no such file" in capsys.readouterr().err
    assert main(["verify"]) == 2
    assert "give either ARCHIVE or --manifests" in capsys.readouterr().err
    assert main(["verify", "--manifests", str(good), str(good), "--rtol", "-1"]) == 2
