"""mcbi.paper.outcomes.published: each published finding beside this build's finding."""

from __future__ import annotations

import pandas as pd
import pytest

from mcbi.paper.outcomes import published
from mcbi.paper.outcomes.families import LOWER_IS_BETTER

# --- published_comparison on hand-made contrast tables ---------------------------------


def _table(spec: dict[tuple[str, str], dict[str, tuple[float, float]]]) -> pd.DataFrame:
    """A contrasts-like table: ``{(outcome, wave): {"between"|"MCBI"|"control": (est, p)}}``."""
    rows = []
    for (outcome, wave), parts in spec.items():
        for key, (est, p) in parts.items():
            contrast = "between" if key == "between" else "within"
            group = "MCBI - control" if key == "between" else key
            # the claim's p is the Holm-adjusted one; the unadjusted p is deliberately
            # different so that a test fails if the comparison read it
            rows.append({"outcome": outcome, "contrast": contrast, "group": group,
                         "time": wave, "estimate": est, "pvalue": p / 10, "p_holm": p,
                         "status": "ok", "note": ""})
    return pd.DataFrame(rows)


def _compare(monkeypatch, outcome: str, wave: str, kind: str, parts: dict,
             alpha: float = 0.05) -> pd.Series:
    """Run published_comparison with one published row (a patient outcome)."""
    monkeypatch.setattr(published, "PUBLISHED",
                        (("patients", "label", outcome, wave, kind),))
    empty = _table({})
    out = published.published_comparison(empty, _table({(outcome, wave): parts}), alpha)
    assert len(out) == 1
    return out.iloc[0]


@pytest.mark.parametrize(("outcome", "est", "p", "text", "agrees"), [
    ("bond", 0.5, 0.001, "MCBI > control", True),
    ("bond", -0.5, 0.001, "MCBI < control", False),
    ("bond", 0.5, 0.40, "no clear difference", False),
    ("bond", -0.5, 0.40, "no clear difference", False),
    # lower is better: a negative difference is the better direction
    ("bsi_som", -0.5, 0.001, "MCBI > control", True),
    ("bsi_som", 0.5, 0.001, "MCBI < control", False),
    ("bsi_som", -0.5, 0.40, "no clear difference", False),
])
def test_published_better(monkeypatch, outcome, est, p, text, agrees) -> None:
    row = _compare(monkeypatch, outcome, "post", "MCBI > control", {"between": (est, p)})
    assert row["this_build"] == text
    assert bool(row["agrees"]) is agrees
    assert row["estimate"] == est and row["p_holm"] == p
    assert row["published"] == "MCBI > control" and row["scale"] == outcome


@pytest.mark.parametrize(("est", "p", "text", "agrees"), [
    (0.5, 0.40, "no clear difference", True),
    (-0.5, 0.40, "no clear difference", True),
    (0.5, 0.001, "MCBI > control", False),
    (-0.5, 0.001, "MCBI < control", False),
])
def test_published_no_difference(monkeypatch, est, p, text, agrees) -> None:
    row = _compare(monkeypatch, "eus_p", "followup", "no clear difference",
                   {"between": (est, p)})
    assert row["this_build"] == text
    assert bool(row["agrees"]) is agrees
    assert row["contrast"] == "between"


@pytest.mark.parametrize(("est", "p", "text"), [
    (0.5, 0.40, "no clear difference"), (0.5, 0.001, "MCBI > control"),
    (-0.5, 0.001, "MCBI < control")])
def test_published_silence_is_not_agreement(monkeypatch, est, p, text) -> None:
    """"not reported as maintained" states no finding: neither agreement nor difference."""
    row = _compare(monkeypatch, "eus_p", "followup", "not reported as maintained",
                   {"between": (est, p)})
    assert row["this_build"] == text
    assert row["agrees"] is None and row["agreement"] == "no finding stated"


@pytest.mark.parametrize(("outcome", "mcbi", "text", "agrees"), [
    ("bsi_dep", (-2.0, 0.001), "improved (MCBI)", True),   # lower is better
    ("bsi_dep", (2.0, 0.001), "worsened (MCBI)", False),
    ("bsi_dep", (-2.0, 0.40), "no clear change (MCBI)", False),
    ("phi", (1.0, 0.001), "improved (MCBI)", True),        # higher is better
    ("phi", (-1.0, 0.001), "worsened (MCBI)", False),
])
def test_published_improved(monkeypatch, outcome, mcbi, text, agrees) -> None:
    # the control arm always improves clearly: only the MCBI arm may count
    sign = -1.0 if outcome in LOWER_IS_BETTER else 1.0
    control = (sign * 3.0, 0.0001)
    row = _compare(monkeypatch, outcome, "post", "improved (MCBI)",
                   {"MCBI": mcbi, "control": control, "between": (0.0, 1.0)})
    assert row["this_build"] == text
    assert bool(row["agrees"]) is agrees
    assert row["estimate"] == mcbi[0] and row["p_holm"] == mcbi[1]


_IMPROVED, _UNCLEAR, _WORSE = (-2.0, 0.001), (-2.0, 0.30), (2.0, 0.001)  # bsi_anx: lower is better


@pytest.mark.parametrize(("kind", "post", "fu", "text", "agrees"), [
    # a clear improvement at post: maintained or not
    ("maintained", _IMPROVED, _IMPROVED, "maintained", True),
    ("maintained", _IMPROVED, _UNCLEAR, "not maintained", False),
    ("maintained", _IMPROVED, _WORSE, "not maintained", False),
    ("not maintained", _IMPROVED, _UNCLEAR, "not maintained", True),
    ("not maintained", _IMPROVED, _WORSE, "not maintained", True),
    ("not maintained", _IMPROVED, _IMPROVED, "maintained", False),
    # nothing at post: never "maintained" nor "not maintained"
    ("maintained", _UNCLEAR, _IMPROVED, "emerged at follow-up", False),
    ("maintained", _UNCLEAR, _UNCLEAR, "no clear change", False),
    ("not maintained", _UNCLEAR, _UNCLEAR, "no clear change", False),
    ("not maintained", _WORSE, _UNCLEAR, "no clear change", False),
    ("maintained", _WORSE, _IMPROVED, "emerged at follow-up", False),
    ("maintained", _UNCLEAR, _WORSE, "worsened", False),
])
def test_published_maintained(monkeypatch, kind, post, fu, text, agrees) -> None:
    monkeypatch.setattr(published, "PUBLISHED",
                        (("patients", "label", "bsi_anx", "followup", kind),))
    table = _table({("bsi_anx", "post"): {"MCBI": post, "control": (-3.0, 0.0001),
                                          "between": (0.0, 1.0)},
                    ("bsi_anx", "followup"): {"MCBI": fu, "control": (-3.0, 0.0001),
                                              "between": (0.0, 1.0)}})
    row = published.published_comparison(_table({}), table).iloc[0]
    assert row["this_build"] == text
    assert bool(row["agrees"]) is agrees
    assert row["estimate"] == fu[0] and row["contrast"] == "within"


@pytest.mark.parametrize(("post", "fu", "word"), [
    ("improved", "improved", "maintained"), ("improved", "did not change clearly",
                                             "not maintained"),
    ("improved", "worsened", "not maintained"), ("did not change clearly", "improved",
                                                 "emerged at follow-up"),
    ("not estimable", "improved", "emerged at follow-up"),
    ("did not change clearly", "did not change clearly", "no clear change"),
    ("worsened", "worsened", "worsened"), ("not estimable", "not estimable",
                                           "no clear change")])
def test_followup_word_rules(post, fu, word) -> None:
    assert published.followup_word(post, fu) == word


def test_published_alpha_is_strict_and_configurable(monkeypatch) -> None:
    at = _compare(monkeypatch, "bond", "post", "MCBI > control", {"between": (0.5, 0.05)})
    assert at["this_build"] == "no clear difference" and not at["agrees"]
    loose = _compare(monkeypatch, "bond", "post", "MCBI > control", {"between": (0.5, 0.05)},
                     alpha=0.10)
    assert loose["this_build"] == "MCBI > control" and loose["agrees"]


def test_published_comparison_all_rows_agree() -> None:
    """Tables built to match every published finding; therapist rows read the therapist table."""
    t_spec, p_spec = {}, {}
    for who, _label, outcome, wave, kind in published.PUBLISHED:
        sign = -1.0 if outcome in LOWER_IS_BETTER else 1.0
        parts = {
            "MCBI > control": {"between": (0.5, 0.001)},
            "no clear difference": {"between": (0.1, 0.5)},
            "not reported as maintained": {"between": (0.1, 0.5)},
            "improved (MCBI)": {"MCBI": (sign * 1.0, 0.001)},
            "maintained": {"MCBI": (sign * 1.0, 0.001)},
            "not maintained": {"MCBI": (sign * 0.2, 0.4)},
        }[kind]
        spec = t_spec if who == "therapists" else p_spec
        spec[(outcome, wave)] = {**spec.get((outcome, wave), {}), **parts}
    out = published.published_comparison(_table(t_spec), _table(p_spec))
    assert len(out) == len(published.PUBLISHED)
    assert list(out.columns) == list(published.COLUMNS)
    stated = out["published"] != "not reported as maintained"
    assert out.loc[stated, "agrees"].all() and (out.loc[stated, "agreement"] == "agrees").all()
    assert out.loc[~stated, "agrees"].isna().all()
    assert (out.loc[stated, "this_build"] == out.loc[stated, "published"]).all()
    # and flipping every estimate turns every directional finding into a disagreement
    flip = {k: {g: (-e, p) for g, (e, p) in v.items()} for k, v in p_spec.items()}
    flipped = published.published_comparison(_table(t_spec), _table(flip))
    pat = flipped[flipped["who"] == "patients"]
    directional = pat["published"].isin(["MCBI > control", "improved (MCBI)", "maintained"])
    assert not pat.loc[directional, "agrees"].any()
    # "not maintained" presupposes an improvement at post, which the flip removes
    assert not pat.loc[pat["published"] == "not maintained", "agrees"].any()


def test_published_not_available_is_not_comparable(monkeypatch) -> None:
    monkeypatch.setattr(published, "PUBLISHED",
                        (("patients", "bond", "bond", "followup", "MCBI > control"),
                         ("patients", "anx", "bsi_anx", "followup", "maintained")))
    rows = []
    for outcome in ("bond", "bsi_anx"):
        for contrast, group in (("within", "MCBI"), ("within", "control"),
                                ("between", "MCBI - control")):
            rows.append({"outcome": outcome, "contrast": contrast, "group": group,
                         "time": "followup", "estimate": float("nan"),
                         "pvalue": float("nan"), "p_holm": float("nan"),
                         "status": "not available", "note": "followup not collected"})
    out = published.published_comparison(pd.DataFrame(), pd.DataFrame(rows))
    assert (out["this_build"] == "not available (followup not collected)").all()
    assert out["agrees"].isna().all()
    assert list(out["agreement"]) == ["could not be checked"] * 2


def test_published_extra_rows_are_appended(monkeypatch) -> None:
    extra = published.finding_row("therapists and patients", "mechanism chain", None, "post",
                                  "indirect effect", "indirect effect", 0.1, 0.02, True)
    out = _compare_with_extra(monkeypatch, [extra])
    assert list(out["outcome"]) == ["label", "mechanism chain"]
    assert out.iloc[1]["agreement"] == "agrees"


def _compare_with_extra(monkeypatch, extra):
    monkeypatch.setattr(published, "PUBLISHED", (("patients", "label", "bond", "post",
                                                  "MCBI > control"),))
    table = _table({("bond", "post"): {"between": (0.5, 0.001)}})
    return published.published_comparison(_table({}), table, extra_rows=extra)


def test_published_swapped_arms_flip_the_finding(monkeypatch) -> None:
    """The same contrast with the arms swapped (sign flipped) gives the opposite words."""
    a = _compare(monkeypatch, "bond", "post", "MCBI > control", {"between": (0.5, 0.001)})
    b = _compare(monkeypatch, "bond", "post", "MCBI > control", {"between": (-0.5, 0.001)})
    assert (a["this_build"], b["this_build"]) == ("MCBI > control", "MCBI < control")
    assert (a["agreement"], b["agreement"]) == ("agrees", "differs")


def test_unchecked_reason_and_stated() -> None:
    assert published.unchecked_reason("not available (follow-up not collected)") == \
        "not collected"
    assert published.unchecked_reason("not available (observed in one arm only)") == "one arm"
    assert published.unchecked_reason("not estimable (see the outcome chapter)") == \
        "not estimable"
    frame = pd.DataFrame({"published": ["MCBI > control", "not reported as maintained"]})
    assert list(published.stated(frame)) == [True, False]
