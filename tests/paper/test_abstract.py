"""The abstract's clauses follow the numbers: waves, verdicts, mechanism, conclusion."""

from __future__ import annotations

from mcbi.paper import abstract as a
from mcbi.paper.outcomes.sufficiency import TOO_FEW


def results(post: dict[str, tuple], **mech: object) -> dict:
    out: dict[str, dict] = {"01_sample": {"t_fu_pct": 80.0}, "02_therapists": {},
                            "03_patients": {}, "05_mechanisms": {"mechanism_model": "full",
                                                                 **mech}}
    for chapter, outcome, _, _ in a.POST_OUTCOMES:
        diff, p, *verdict = post.get(outcome, (0.1, 0.5))
        out[chapter].update({f"{outcome}_post_diff": diff, f"{outcome}_post_diff_pholm": p})
        if verdict:
            out[chapter][f"{outcome}_post_verdict"] = verdict[0]
    return out


def test_follow_up_is_named_only_when_collected() -> None:
    assert a.waves_phrase({"t_fu_pct": 80.0}).endswith("and at follow-up")
    assert a.waves_phrase({"t_fu_pct": None, "p_fu_pct": None}) == (
        "before and after the intervention")


def test_verdicts_use_the_direction_of_improvement() -> None:
    res = results({"pms": (0.46, 0.001), "bsi_som": (-2.4, 0.03), "bsi_dep": (1.0, 0.01),
                   "bond": (None, None)})
    v = a.post_verdicts(res)
    assert v["favours"] == ["therapists’ mindfulness skills", "somatization"]
    assert v["against"] == ["depression"]
    assert v["missing"] == ["the bond"]
    sentence = a.verdict_sentence(v)
    assert sentence.startswith(
        "At post, the MCBI was clearly better for therapists’ mindfulness skills and somatization")
    assert "the control was clearly better for depression" in sentence
    assert sentence.endswith("the difference could not be estimated for the bond.")


def test_mechanism_sentence_reads_the_interval_or_says_none_was_fitted() -> None:
    res = results({}, mc_pms_eusp_bond_est=0.45, mc_pms_eusp_bond_lo=0.10,
                  mc_pms_eusp_bond_hi=0.91)
    assert "0.45, 95% CI [0.10, 0.91], excluding zero" in a.mechanism_sentence(
        res["05_mechanisms"], "95")
    res["05_mechanisms"]["mc_pms_eusp_bond_lo"] = -0.2
    assert "including zero" in a.mechanism_sentence(res["05_mechanisms"], "95")
    assert "could not be estimated" in a.mechanism_sentence({"mechanism_model": ""}, "95")


def test_conclusion_is_about_the_software_only_on_synthetic_data() -> None:
    v = a.post_verdicts(results({"pms": (0.46, 0.001)}))
    assert "synthetic" in a.conclusion_sentence(True, v)
    real = a.conclusion_sentence(False, v)
    assert "synthetic" not in real and "therapists’ mindfulness skills" in real
    none = a.conclusion_sentence(False, a.post_verdicts(results({})))
    assert "no clear advantage" in none


def test_could_not_be_estimated_only_for_differences_without_an_estimate() -> None:
    failed = a.post_verdicts(results({o: (None, None) for _, o, _, _ in a.POST_OUTCOMES}))
    assert a.verdict_sentence(failed) == "No difference at post could be estimated."
    assert "could not be tested" in a.conclusion_sentence(False, failed)


def test_estimated_but_untested_differences_are_not_called_unestimated() -> None:
    few = (0.3, None, TOO_FEW)
    every = a.post_verdicts(results({o: few for _, o, _, _ in a.POST_OUTCOMES}))
    assert every["too_few"] and not every["missing"]
    sentence = a.verdict_sentence(every)
    assert sentence == ("At post, every difference was estimated, but none was tested: too "
                        "few therapists in an arm had a change observed.")
    assert "could not be estimated" not in sentence
    assert "no clear advantage" not in a.conclusion_sentence(False, every)
    mixed = a.post_verdicts(results({"pms": (0.46, 0.001), "bond": few, "bsi_dep": few,
                                     "bsi_anx": (None, None), "bsi_som": (1.0, None)}))
    sentence = a.verdict_sentence(mixed)
    assert ("the differences were estimated but not tested for the bond and depression (too "
            "few therapists in an arm had a change observed)") in sentence
    assert "the difference was estimated but could not be tested for somatization" in sentence
    assert sentence.endswith("the difference could not be estimated for anxiety.")
    assert "the difference was unclear for perceived therapist empathy" in sentence


def test_few_therapists_add_a_caution_to_the_conclusion() -> None:
    v = a.post_verdicts(results({"pms": (0.46, 0.001)}))
    assert a.conclusion_sentence(False, v, 10.0).endswith(
        "With 10 therapists, every estimate is imprecise.")
    assert "imprecise" not in a.conclusion_sentence(False, v, 63.0)


def test_results_sentence_gives_tested_and_untested_differences_and_skips_missing() -> None:
    res = results({"pms": (0.46, 0.001), "eus_p": (0.3, None, TOO_FEW), "bond": (None, None)})
    res["02_therapists"]["pms_post_summary"] = "0.46, 95% CI [0.27, 0.64], d = 0.83, p < .001"
    res["03_patients"].update(eus_p_post_diff_lo=-0.1, eus_p_post_diff_hi=0.7)
    assert a.results_sentence(res, "95") == (
        "From baseline to post, the difference in change (MCBI − control) was 0.46, 95% CI "
        "[0.27, 0.64], d = 0.83, p < .001 in therapists’ mindfulness skills and 0.30, 95% CI "
        "[−0.10, 0.70] in perceived therapist empathy (not tested).")
    gone = results({o: (None, None) for _, o, _, _ in a.POST_OUTCOMES})
    assert a.results_sentence(gone, "95") == ""
