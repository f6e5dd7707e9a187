"""The discussion's weak-spot paragraphs appear exactly on the numbers that call for them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcbi.paper import discussion as d
from mcbi.paper.render.templates import parse_template

TEMPLATE = Path(__file__).resolve().parents[2] / "book" / "templates" / "discussion.md"


def results(**changes: dict) -> dict[str, dict]:
    """A clean build's results: good fit, full rung, no singular fit, 63 therapists."""
    base = {
        "01_sample": {"n_therapists": 63.0, "t_fu_pct": 80.0, "p_fu_pct": 70.0},
        "02_therapists": {"n_models": 16.0, "n_singular": 0.0, "ci_level": 95.0},
        "03_patients": {"n_models": 9.0, "n_singular": 0.0},
        "04_published": {"n_findings": 16.0, "n_stated": 14.0, "n_compared": 14.0,
                         "n_agree": 12.0, "n_unchecked_not_collected": 0.0,
                         "n_unchecked_one_arm": 0.0, "n_unchecked_not_estimable": 0.0},
        "05_mechanisms": {
            "mechanism_model": "full", "mechanism_reason": "", "fit_srmr_between": 0.05,
            "fit_srmr_within": 0.02, "fit_rmsea": 0.01, "fit_cfi": 0.99, "fit_df": 12.0,
            "fit_chisq": 11.9, "fit_pvalue": 0.45, "mech_therapists_used": 59.0,
            "mech_claims_reproduced": 3.0, "mech_claims_estimable": 9.0,
            **{f"msem_{k}_est": -0.3 for k in d.BETWEEN_SYMPTOM_PATHS},
            **{f"msem_{k}_se": 0.2 for k in d.BETWEEN_SYMPTOM_PATHS},
            **{f"msem_{k}_pvalue": 0.13 for k in d.BETWEEN_SYMPTOM_PATHS}},
    }
    for section, values in changes.items():
        base[section] = {**base[section], **values}
    return base


def blocks(res: dict) -> list[str]:
    return [name for name, _ in d.choose(res)]


def test_a_clean_build_has_no_weak_spot_paragraph() -> None:
    assert blocks(results()) == []
    assert d.render(TEMPLATE.read_text("utf-8"), d.choose(results())) == ""


def test_between_level_srmr_above_cutoff_brings_the_fit_paragraph() -> None:
    res = results(**{"05_mechanisms": {"fit_srmr_between": 0.115}})
    assert blocks(res) == ["fit"]
    text = d.render(TEMPLATE.read_text("utf-8"), d.choose(res))
    assert "between-therapist SRMR was .115" in text
    # the chi-square test's verdict is chosen from its p value, both ways
    assert "the chi-square test did not reject exact fit, χ²(12) = 11.90, *p* = .450" in text
    res["05_mechanisms"].update(fit_chisq=30.1, fit_pvalue=0.003)
    text = d.render(TEMPLATE.read_text("utf-8"), d.choose(res))
    assert "the chi-square test also rejected exact fit, χ²(12) = 30.10, *p* = .003" in text
    res["05_mechanisms"].update(fit_pvalue=None)
    text = d.render(TEMPLATE.read_text("utf-8"), d.choose(res))
    assert "chi-square" not in text and "SRMR was .115 (cut-off .08). Its paths" in text
    assert blocks(results(**{"05_mechanisms": {"fit_srmr_between": 0.08}})) == []


def test_pilot_fit_with_few_df_and_few_therapists_carries_cautions() -> None:
    """The 12-therapist pilot: χ²(3) = 8.29, RMSEA .343, 3 claims reproduced."""
    res = results(**{"01_sample": {"n_therapists": 12.0},
                     "05_mechanisms": {"mechanism_model": "chain", "fit_rmsea": 0.343,
                                       "fit_df": 3.0, "fit_chisq": 8.29, "fit_pvalue": 0.04,
                                       "mech_therapists_used": 12.0,
                                       **{f"msem_{k}_est": None
                                          for k in d.BETWEEN_SYMPTOM_PATHS}}})
    assert blocks(res) == ["fit", "fit_few_df", "rung_chain", "few_therapists",
                           "few_therapists_claims"]
    text = d.render(TEMPLATE.read_text("utf-8"), d.choose(res))
    assert "RMSEA was .343" in text and "also rejected exact fit, χ²(3) = 8.29" in text
    assert "12 therapists were randomized, and all of them entered" in text
    assert "to the 3 of the 9 mechanism claims that this build reproduced" in text
    res["05_mechanisms"].update(mech_therapists_used=11.0, mech_claims_reproduced=1.0)
    text = d.render(TEMPLATE.read_text("utf-8"), d.choose(res))
    assert "and 11 of them entered" in text
    assert "the one mechanism claim (of 9 estimable) that this build reproduced" in text


def test_singular_fits_are_counted_without_zero_counts() -> None:
    res = results(**{"03_patients": {"n_singular": 8.0}})
    values = dict(d.choose(res))["singular"]
    assert values["singular_list"] == "8 of the 9 models of patient outcomes"
    res = results(**{"03_patients": {"n_singular": 8.0}, "02_therapists": {"n_singular": 1.0}})
    assert dict(d.choose(res))["singular"]["singular_list"] == (
        "8 of the 9 models of patient outcomes and 1 of the 16 models of therapist outcomes")
    res = results(**{"03_patients": {"n_singular": 9.0}})
    assert dict(d.choose(res))["singular"]["singular_list"] == "all 9 models of patient outcomes"


def test_wrong_sign_paths_are_named_with_their_standard_errors() -> None:
    res = results(**{"05_mechanisms": {"msem_c1_est": 2.35, "msem_c1_se": 4.25,
                                       "msem_c2_est": 1.44, "msem_c2_se": 3.63}})
    text = d.render(TEMPLATE.read_text("utf-8"), d.choose(res))
    assert "two paths to the symptoms had the sign opposite" in text
    assert "from the bond to somatization (2.35, *SE* = 4.25)" in text
    assert "Each standard error is larger than its estimate" in text
    assert "cannot tell the sign of these paths" in text
    one = results(**{"05_mechanisms": {"msem_c1_est": 4.85, "msem_c1_se": 6.40}})
    text = d.render(TEMPLATE.read_text("utf-8"), d.choose(one))
    assert "Its standard error is larger than its estimate, so the data cannot tell the " \
        "sign of this path." in " ".join(text.split())
    clear = results(**{"05_mechanisms": {"msem_d3_est": 0.5, "msem_d3_se": 0.1,
                                         "msem_d3_pvalue": 0.001}})
    text = d.render(TEMPLATE.read_text("utf-8"), d.choose(clear))
    assert "one path to the symptoms" in text and "For anxiety the interval excludes zero" in text


@pytest.mark.parametrize(("rung", "block"), [("full_bounded", "rung_bounded"),
                                             ("diagonal_between", "rung_diagonal"),
                                             ("chain", "rung_chain"), ("", "rung_none")])
def test_a_rung_below_the_full_model_says_what_was_simplified(rung: str, block: str) -> None:
    res = results(**{"05_mechanisms": {"mechanism_model": rung,
                                       "mechanism_reason": "no therapist has two patients."}})
    chosen = blocks(res)
    assert block in chosen
    assert "fit" not in chosen if rung == "" else True
    text = d.render(TEMPLATE.read_text("utf-8"), d.choose(res))
    if rung == "":
        assert "neither supported nor contradicted here. No therapist has two patients." \
            in " ".join(text.split())
        res["05_mechanisms"]["mechanism_reason"] = (
            "no rung fitted: too little data for path a, X → Y: 1 of the 47 therapists in the "
            "model (2%) is observed on both")
        text = " ".join(d.render(TEMPLATE.read_text("utf-8"), d.choose(res)).split())
        assert "here. Too little data for path a, X → Y: 1 of the 47 therapists in the model " \
            "(2%) is observed on both." in text  # no parentheses nested in parentheses


def test_unchecked_findings_are_counted_among_those_the_article_states() -> None:
    # the article's silence on 2 of 16 contrasts is not a finding left unchecked
    assert "unchecked" not in blocks(results())

    def why(compared: float, **counts: float) -> dict:
        res = results(**{"04_published": {"n_compared": compared,
                                          **{f"n_unchecked_{k}": v for k, v in counts.items()}}})
        return dict(d.choose(res))

    values = why(10.0, not_estimable=4.0)["unchecked"]
    assert (values["n_unchecked"], values["n_stated"]) == ("4", "14")
    assert values["why"] == "their models could not be estimated"
    assert why(13.0, one_arm=1.0)["unchecked"]["why"] == "its wave was not observed in both arms"
    assert why(8.0, not_collected=6.0)["unchecked"]["why"] == "their waves were not collected"
    assert why(11.0, not_collected=2.0, not_estimable=1.0)["unchecked"]["why"] == \
        "waves not collected or models that could not be estimated"
    assert why(10.0, not_collected=2.0, one_arm=1.0, not_estimable=1.0)["unchecked"]["why"] \
        == "waves not collected, waves not observed in both arms, or models that could not be " \
        "estimated"
    chosen = why(0.0, one_arm=14.0)
    assert "unchecked" not in chosen and chosen["unchecked_all"]["n_stated"] == "14"
    res = results(**{"04_published": {"n_compared": 0.0, "n_unchecked_one_arm": 14.0}})
    text = d.render(TEMPLATE.read_text("utf-8"), d.choose(res))
    assert "None of the 14 findings the article states could be checked on these data " \
        "(their waves were not observed in both arms)" in " ".join(text.split())


def test_template_blocks_cover_every_choice_and_render_refuses_unknown_ones() -> None:
    names = set(parse_template(TEMPLATE.read_text("utf-8")))
    assert {"fit", "fit_few_df", "wrong_sign", "singular", "few_therapists",
            "few_therapists_claims", "unchecked", "unchecked_all",
            *d.RUNG_BLOCKS.values()} <= names
    with pytest.raises(ValueError, match="discussion template has no block 'nope'"):
        d.render(TEMPLATE.read_text("utf-8"), [("nope", {})])
    with pytest.raises(ValueError, match="needs the value 'df'"):
        d.render(TEMPLATE.read_text("utf-8"), [("fit_few_df", {})])


def test_read_results_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="01_sample.results.json"):
        d.read_results(tmp_path)
    for section in d.SECTIONS:
        (tmp_path / f"{section}.results.json").write_text(json.dumps({"x": 1}), "utf-8")
    assert d.read_results(tmp_path)["05_mechanisms"] == {"x": 1}
