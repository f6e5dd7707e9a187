"""The mechanism chapter's data-dependent sentences, chosen from the numbers.

The chapter's paragraphs are Markdown in ``notebooks/05_mechanisms.ipynb``, written so that
they are true whether or not a model of the ladder passed; where what can be said depends on
the data (a model passed or not, a comparison possible or not), the notebook glues one of
these sentences. Each returns plain text for every case: never a number of a model that was
not fitted, never a "nan", and statistics in APA form (the book sets their symbols in
italics, :mod:`mcbi.book.typography`).
"""

from __future__ import annotations

import math
from typing import Any

from mcbi.paper.mechanism.words import warning_words
from mcbi.paper.render.apa import fmt_bounded, fmt_ci, fmt_num, fmt_p
from mcbi.paper.render.phrases import count_phrase

__all__ = ["chapter_sentences"]

NO_MODEL = "No model of the ladder passed, so"


def _ok(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and not math.isfinite(value))


def paths_sentence(v: dict[str, Any], ci: str) -> str:
    """Paths *a* and *b* in words, or why there are none."""
    if not _ok(v.get("path_a")):
        return f"{NO_MODEL} no path is reported."
    def part(key: str) -> str:
        return f"{ci}% CI {fmt_ci(v[f'{key}_ci_lower'], v[f'{key}_ci_upper'])}"
    text = (f"Between therapists, a unit of ΔPMS went with {fmt_num(v['path_a'])} units of the "
            f"therapist-level Δ perceived empathy (path a, {part('path_a')})")
    if _ok(v.get("path_b")):
        text += (f", and a unit of that with {fmt_num(v['path_b'])} units of Δ bond "
                 f"(path b, {part('path_b')})")
    return text + "."


def indirect_sentence(v: dict[str, Any], ci: str, n_draws: int) -> str:
    """The indirect effect a × b with its Monte Carlo interval, or why there is none."""
    if not _ok(v.get("indirect_ab")):
        return f"{NO_MODEL} no indirect effect was estimated and no draws were made."
    return (f"From {n_draws:,} draws, the between-therapist indirect effect of ΔPMS on Δ bond "
            f"through Δ perceived empathy, a × b, is {fmt_num(v['indirect_ab'])} ({ci}% Monte "
            f"Carlo CI {fmt_ci(v['indirect_ab_ci_lower'], v['indirect_ab_ci_upper'])}).")


def fit_sentence(v: dict[str, Any]) -> str:
    """The chi-square test and fit indices in APA form, or why there are none."""
    if not _ok(v.get("path_a")):
        return f"{NO_MODEL} there is no fit to report."
    if not _ok(v.get("fit_chisq")) or not _ok(v.get("fit_df")):
        return ("The saturated model could not be fitted, so the chi-square test and the fit "
                "indices that rest on it are not available.")
    parts = [f"χ²({int(v['fit_df'])}) = {fmt_num(v['fit_chisq'])}, p {fmt_p(v.get('fit_pvalue'))}"]
    if _ok(v.get("fit_cfi")):
        parts.append(f"CFI = {fmt_bounded(min(v['fit_cfi'], 1.0), 3)}")
    for key, name in (("fit_tli", "TLI"), ("fit_rmsea", "RMSEA")):
        if _ok(v.get(key)):
            parts.append(f"{name} = {fmt_num(v[key], 3)}")
    if _ok(v.get("fit_srmr_within")) and _ok(v.get("fit_srmr_between")):
        parts.append(f"SRMR = {fmt_num(v['fit_srmr_within'], 3)} within and "
                     f"{fmt_num(v['fit_srmr_between'], 3)} between therapists")
    return "Against the saturated two-level model, " + "; ".join(parts) + "."


def single_sentence(v: dict[str, Any], fitted: bool, reason: str) -> str:
    """The single-level comparison's SE ratio of path a, or why it is missing."""
    if not fitted:
        return f"{NO_MODEL} there is nothing to compare."
    if reason:
        return f"No single-level comparison was made: {reason}."
    if not _ok(v.get("se_ratio_a")):
        return "The single-level model has no standard error for path a."
    return (f"The single-level standard error of path a is {fmt_num(v['se_ratio_a'])} times "
            "the two-level one.")


def truth_sentence(v: dict[str, Any], fitted: bool, reason: str, ci: str) -> str:
    """The comparison with the generating process, or why there is none (real data: "")."""
    if not fitted or not _ok(v.get("truth_n")):
        return "" if not reason else f"No comparison with the truth was made: {reason}."
    n = int(v["truth_n"])
    return (f"The data are synthetic, so the truth is known. On the latent changes "
            f"{int(v['truth_covered'])} of {count_phrase(n, 'true path')} lie inside their "
            f"{ci}% intervals; on the observed scores {int(v['truth_sign_agree'])} of {n} "
            "estimates have the true sign.")


def status_sentence(warnings: list[str] | None, n_failed: int) -> str:
    """The reported fit's warnings in a reader's words, or that it raised none."""
    if warnings is None:
        return f"{NO_MODEL} the estimator's checks of a reported fit do not apply."
    items = list(dict.fromkeys(warning_words(w) for w in warnings))
    if items:
        head = "The reported model raised a warning: " if len(items) == 1 else \
            f"The reported model raised {len(items)} warnings: "
        return head + "; ".join(items) + "."
    before = ("" if not n_failed else
              f" ({count_phrase(n_failed, 'earlier rung')} of the ladder failed, for the "
              "reasons in the ladder table)")
    return ("The reported model's fit raised no warning: it converged, with no negative or "
            f"poorly determined variance and positive-definite implied covariance matrices"
            f"{before}.")


def chapter_sentences(values: dict[str, Any], mech: Any, n_draws: int, ci: str) -> dict[str, str]:
    """Every glued sentence of the chapter: ``paths_sentence``, ``indirect_sentence``,
    ``fit_sentence``, ``single_sentence``, ``truth_sentence``, ``status_sentence``.

    ``values`` are the chapter's glued values, ``mech`` the
    :class:`~mcbi.paper.mechanism.compare.MechanismAnalysis`.
    """
    fitted = mech.msem is not None
    n_failed = max(len(mech.ladder.outcomes) - 1, 0)
    return {
        "paths_sentence": paths_sentence(values, ci),
        "indirect_sentence": indirect_sentence(values, ci, n_draws),
        "fit_sentence": fit_sentence(values),
        "single_sentence": single_sentence(values, fitted, mech.single_reason or ""),
        "truth_sentence": truth_sentence(values, fitted, mech.truth_reason or "", ci),
        "status_sentence": status_sentence(mech.msem.warnings if fitted else None, n_failed),
    }
