"""mcbi.paper.outcomes.sufficiency: the data-sufficiency rule of the between-arm contrasts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mcbi.paper.outcomes import models
from mcbi.paper.outcomes.sufficiency import MIN_UNITS, TOO_FEW, change_support, too_few_note


def _long(n_per_arm: int, both: int, clustered: bool = False) -> pd.DataFrame:
    """``n_per_arm`` units per arm at pre; only the first ``both`` of the control arm's also
    observed at post (all MCBI units are)."""
    rows = []
    rng = np.random.default_rng(1)
    for arm in ("control", "MCBI"):
        for i in range(n_per_arm):
            unit = f"{arm}{i}"
            for wave in ("pre", "post"):
                observed = wave == "pre" or arm == "MCBI" or i < both
                row = {"arm": arm, "wave": wave, "id": unit,
                       "pms": rng.normal() if observed else np.nan}
                if clustered:
                    row["cluster"] = f"t{arm}{i // 2}"
                rows.append(row)
    out = pd.DataFrame(rows)
    out["arm"] = pd.Categorical(out["arm"], ["control", "MCBI"])
    out["wave"] = pd.Categorical(out["wave"], ["pre", "post", "followup"])
    return out


def test_change_support_counts_units_observed_at_both_waves() -> None:
    long = _long(8, 3)
    assert change_support(long, "pms", "id", None, "pre", "post") == {"control": 3, "MCBI": 8}
    assert change_support(long, "pms", "id", None, "pre", "followup") == {"control": 0,
                                                                        "MCBI": 0}


def test_change_support_counts_clusters_when_clustered() -> None:
    long = _long(8, 3, clustered=True)  # control units 0-2 observed: clusters 0 and 1
    assert change_support(long, "pms", "id", "cluster", "pre", "post") == {"control": 2,
                                                                         "MCBI": 4}


def test_too_few_note_names_the_arm_and_the_rule() -> None:
    note = too_few_note({"control": 1, "MCBI": 9}, "post", clustered=False)
    assert "only 1 in the control arm" in note and f"at least {MIN_UNITS}" in note
    assert "MCBI" not in note  # an arm that meets the rule is not named


def test_too_few_note_never_says_zero() -> None:
    k = MIN_UNITS - 1  # the largest count that is still too few
    one = too_few_note({"control": k, "MCBI": 0}, "post", clustered=True)
    assert one == (f"not tested: of the therapists, only {k} in the control arm and none in "
                   "the MCBI arm had a patient observed at baseline and post (at least "
                   f"{MIN_UNITS} per arm are needed)")
    both = too_few_note({"control": 0, "MCBI": 0}, "post", clustered=False)
    assert both.startswith("not tested: of the therapists, none in either arm were observed")
    assert f"of the therapists, only 1 in the control arm and {k} in the MCBI arm were" in (
        too_few_note({"control": 1, "MCBI": k}, "post", clustered=False))
    assert f"none in the control arm and only {k} in the MCBI arm" in (
        too_few_note({"control": 0, "MCBI": k}, "post", clustered=False))
    # one unit in one arm: the verb agrees with it
    assert "only 1 in the control arm was observed" in too_few_note(
        {"control": 1, "MCBI": MIN_UNITS}, "post", clustered=False)
    # an arm with enough units is not named
    assert "MCBI" not in too_few_note({"control": 0, "MCBI": MIN_UNITS}, "post", False)
    for counts in ({"control": 0, "MCBI": 9}, {"control": 0, "MCBI": k}):
        assert " 0 " not in too_few_note(counts, "post", clustered=False)


def test_analyse_outcomes_flags_and_never_tests_a_thin_contrast() -> None:
    thin = models.analyse_outcomes(_long(12, MIN_UNITS - 1), {"f": ("pms",)}, "id")
    row = thin.contrasts.query("contrast == 'between' and time == 'post'").iloc[0]
    assert row["status"] == TOO_FEW and np.isnan(row["p_holm"])
    assert np.isfinite(row["estimate"]) and np.isfinite(row["ci_lower"])  # still reported
    assert row["support"] == MIN_UNITS - 1
    enough = models.analyse_outcomes(_long(12, MIN_UNITS), {"f": ("pms",)}, "id")
    row = enough.contrasts.query("contrast == 'between' and time == 'post'").iloc[0]
    assert row["status"] == models.OK and np.isfinite(row["p_holm"])
    assert "df" in enough.contrasts.columns  # Kenward-Roger by default


def test_the_heavily_incomplete_package_has_no_significant_thin_contrast(tmp_path) -> None:
    """The case that motivated the rule: follow-up not collected and 30 % of the item cells
    blank, so that a therapist scale can rest on a handful of therapists with both waves.
    Every between-arm contrast the rule flags stays untested, and none is called
    significant."""
    from pathlib import Path

    from mcbi.synth.variants import write_variant
    from mcbi.trial import design
    from mcbi.trial.data import load

    data = Path(__file__).resolve().parents[3] / "data" / "trial"
    package = write_variant("pre_post_blank_30", tmp_path / "thin", data)
    trial = load(package)
    con = models.analyse_therapists(trial).contrasts
    between = con[con["contrast"] == "between"]
    later = between[between["time"] != "post"]
    assert (later["status"] == models.NOT_AVAILABLE).all()  # the follow-up was not collected
    between = between[between["time"] == "post"]
    for row in between.itertuples():
        support = change_support(trial.therapists, row.outcome, design.THERAPIST_ID, None,
                                 "pre", "post")
        assert not row.p_holm < 0.05, row.outcome
        if row.status in (models.NOT_ESTIMABLE, models.NOT_AVAILABLE):
            continue  # no estimate, so nothing to flag
        expected = TOO_FEW if min(support.values()) < MIN_UNITS else models.OK
        assert row.status == expected, row.outcome
    assert (between["status"] == TOO_FEW).sum() >= 1  # the case the rule exists for
