"""The abstract's words chosen from the chapters' numbers.

The abstract (``book/abstract.md``) is Markdown with glued values; the clauses whose words
depend on the results (which waves were collected, which differences favour the MCBI, what
the mechanism model gave, what the reader may conclude) are chosen here from the results
files of the chapters (:func:`mcbi.paper.discussion.read_results`) and glued by the
discussion chapter, which reads them.
"""

from __future__ import annotations

from typing import Any

from mcbi.paper.discussion import finite_value
from mcbi.paper.outcomes.sufficiency import TOO_FEW
from mcbi.paper.render.apa import fmt_ci, fmt_num
from mcbi.paper.render.phrases import listing as join_words

POST_OUTCOMES = (
    ("02_therapists", "pms", "therapists’ mindfulness skills", 1),
    ("03_patients", "eus_p", "perceived therapist empathy", 1),
    ("03_patients", "bond", "the bond", 1),
    ("03_patients", "bsi_som", "somatization", -1),
    ("03_patients", "bsi_dep", "depression", -1),
    ("03_patients", "bsi_anx", "anxiety", -1),
)
"""(chapter, outcome, words, direction of improvement) of the abstract's outcomes at post."""


def waves_phrase(sample: dict[str, Any]) -> str:
    """When participants were assessed: with "and at follow-up" only when it was collected."""
    followup = any((finite_value(sample, k) or 0) > 0 for k in ("t_fu_pct", "p_fu_pct"))
    return ("before and after the intervention and at follow-up" if followup
            else "before and after the intervention")


def post_verdicts(results: dict[str, dict[str, Any]], alpha: float = 0.05
                  ) -> dict[str, list[str]]:
    """The abstract's outcomes at post by what their between-arm difference shows.

    ``favours`` (Holm-adjusted p < alpha in the direction of improvement under the MCBI),
    ``against`` (p < alpha the other way), ``unclear`` (p >= alpha), ``too_few`` (estimated
    but not tested: too few observed changes, :mod:`mcbi.paper.outcomes.sufficiency`),
    ``untested`` (estimated, without a test for another reason) and ``missing`` (not
    estimated: the model failed or the wave was not collected).
    """
    out: dict[str, list[str]] = {k: [] for k in VERDICT_KINDS}
    for chapter, outcome, words, sign in POST_OUTCOMES:
        values = results[chapter]
        diff = finite_value(values, f"{outcome}_post_diff")
        p = finite_value(values, f"{outcome}_post_diff_pholm")
        if diff is None:
            out["missing"].append(words)
        elif p is None:
            too_few = values.get(f"{outcome}_post_verdict") == TOO_FEW
            out["too_few" if too_few else "untested"].append(words)
        elif p >= alpha:
            out["unclear"].append(words)
        else:
            out["favours" if diff * sign > 0 else "against"].append(words)
    return out


VERDICT_KINDS = ("favours", "against", "unclear", "too_few", "untested", "missing")
"""The kinds of :func:`post_verdicts`, in the order the abstract names them."""


def _difference(items: list[str], singular: str, plural: str) -> str:
    """``the difference … for X`` or ``the differences … for X and Y``."""
    return (singular if len(items) == 1 else plural) + " for " + join_words(items)


def verdict_sentence(verdicts: dict[str, list[str]]) -> str:
    """One sentence naming, for each kind of result at post, the outcomes that had it.

    "Could not be estimated" is said only of differences without an estimate; a difference
    estimated but not tested says so, and why when the reason is too few observed changes.
    """
    every = [w for kind in VERDICT_KINDS for w in verdicts.get(kind, [])]
    if not every:
        return ""
    if every == verdicts.get("missing", []):
        return "No difference at post could be estimated."
    if every == verdicts.get("too_few", []):
        return ("At post, every difference was estimated, but none was tested: too few "
                "therapists in an arm had a change observed.")
    parts = []
    if verdicts.get("favours"):
        parts.append("the MCBI was clearly better for " + join_words(verdicts["favours"]))
    if verdicts.get("against"):
        parts.append("the control was clearly better for " + join_words(verdicts["against"]))
    if verdicts.get("unclear"):
        parts.append(_difference(verdicts["unclear"], "the difference was unclear",
                                 "the differences were unclear"))
    if verdicts.get("too_few"):
        parts.append(_difference(verdicts["too_few"],
                                 "the difference was estimated but not tested",
                                 "the differences were estimated but not tested")
                     + " (too few therapists in an arm had a change observed)")
    if verdicts.get("untested"):
        parts.append(_difference(verdicts["untested"],
                                 "the difference was estimated but could not be tested",
                                 "the differences were estimated but could not be tested"))
    if verdicts.get("missing"):
        parts.append(_difference(verdicts["missing"], "the difference could not be estimated",
                                 "the differences could not be estimated"))
    return "At post, " + "; ".join(parts) + "."


RESULTS_OUTCOMES = 3
"""The first outcomes of :data:`POST_OUTCOMES` (the mechanism's chain: PMS, perceived
empathy, bond) whose differences the abstract's Results give in numbers."""


def _post_clause(values: dict[str, Any], outcome: str, ci_pct: str
                 ) -> tuple[str, bool] | None:
    """A difference at post as the abstract gives it and whether it was tested: the
    chapter's summary when tested, the estimate and its interval when not; None without an
    estimate."""
    diff = finite_value(values, f"{outcome}_post_diff")
    if diff is None:
        return None
    tested = finite_value(values, f"{outcome}_post_diff_pholm") is not None
    summary = values.get(f"{outcome}_post_summary")
    if tested and isinstance(summary, str) and summary:
        return summary, True
    lo = finite_value(values, f"{outcome}_post_diff_lo")
    hi = finite_value(values, f"{outcome}_post_diff_hi")
    ci = "" if lo is None or hi is None else f", {ci_pct}% CI {fmt_ci(lo, hi)}"
    return f"{fmt_num(diff)}{ci}", tested


def results_sentence(results: dict[str, dict[str, Any]], ci_pct: str) -> str:
    """The differences in change at post of the chain's outcomes, in numbers; outcomes
    without an estimate are left out (the verdict sentence names them); "" when none has
    one."""
    parts = []
    for chapter, outcome, words, _ in POST_OUTCOMES[:RESULTS_OUTCOMES]:
        clause = _post_clause(results[chapter], outcome, ci_pct)
        if clause is not None:
            text, tested = clause
            parts.append(f"{text} in {words}" + ("" if tested else " (not tested)"))
    if not parts:
        return ""
    return ("From baseline to post, the difference in change (MCBI − control) was "
            + join_words(parts) + ".")


def mechanism_sentence(mech: dict[str, Any], ci_pct: str) -> str:
    """The indirect effect ΔPMS → Δ perceived empathy → Δ bond, or that none was estimated."""
    est = finite_value(mech, "mc_pms_eusp_bond_est")
    lo, hi = finite_value(mech, "mc_pms_eusp_bond_lo"), finite_value(mech, "mc_pms_eusp_bond_hi")
    if not mech.get("mechanism_model") or est is None or lo is None or hi is None:
        return "The two-level mechanism model could not be estimated on these data."
    excludes = lo > 0 or hi < 0
    return ("The indirect path from therapists’ mindfulness skills through perceived empathy "
            f"to the bond was {fmt_num(est)}, {ci_pct}% CI [{fmt_num(lo)}, {fmt_num(hi)}], "
            + ("excluding" if excludes else "including") + " zero.")


FEW_THERAPISTS = 30
"""Fewer randomized therapists than this: the conclusion says the estimates are imprecise."""


def conclusion_sentence(synthetic: bool, verdicts: dict[str, list[str]],
                        n_therapists: float | None = None) -> str:
    """What a reader may conclude: on synthetic data, nothing about the intervention; with
    fewer than :data:`FEW_THERAPISTS` therapists, a caution follows."""
    text = _conclusion(synthetic, verdicts)
    if n_therapists is not None and n_therapists < FEW_THERAPISTS:
        text += f" With {fmt_num(n_therapists, 0)} therapists, every estimate is imprecise."
    return text


def _conclusion(synthetic: bool, verdicts: dict[str, list[str]]) -> str:
    if synthetic:
        return ("Because these data are synthetic, the results test the analysis, not the "
                "intervention.")
    if verdicts["favours"] and not verdicts["against"]:
        return ("On these data, the MCBI outperformed the active control on "
                + join_words(verdicts["favours"]) + "; replications with more therapists are "
                "needed.")
    if verdicts["against"]:
        return ("On these data, the control arm did better on " + join_words(verdicts["against"])
                + "; the intervention’s benefits were not confirmed.")
    if not verdicts["unclear"]:
        return ("On these data, the intervention’s effects at post could not be tested; more "
                "therapists with observed changes in each arm are needed.")
    return ("On these data, no clear advantage of the intervention over the active control was "
            "found; larger samples of therapists would be needed to detect effects of the size "
            "the article reports.")


def abstract_values(results: dict[str, dict[str, Any]], synthetic: bool,
                    alpha: float, ci_pct: str) -> dict[str, str]:
    """``abs_*`` clauses of the abstract (glued as text by the discussion chapter)."""
    verdicts = post_verdicts(results, alpha)
    return {
        "abs_waves": waves_phrase(results["01_sample"]),
        "abs_results": results_sentence(results, ci_pct),
        "abs_verdicts": verdict_sentence(verdicts),
        "abs_mechanism": mechanism_sentence(results["05_mechanisms"], ci_pct),
        "abs_conclusion": conclusion_sentence(synthetic, verdicts,
                                              finite_value(results["01_sample"], "n_therapists")),
    }
