"""The discussion and the abstract: which weak spots a build has, chosen from its numbers.

The discussion chapter reads the results files the other chapters wrote
(``<sections_dir>/<section>.results.json``, :func:`read_results`) and decides, paragraph by
paragraph, what to say: :func:`choose` returns the paragraphs of the discussion template
(Markdown, ``book/templates/discussion.md``) that apply to these numbers, each with the
values it needs, and :func:`render` fills them in. The text of every paragraph lives in the
template; this module supplies only values and the choice of words.

The rules (each one a function, each tested both ways):

* **fit** (:func:`fit_problems`): SRMR at either level above .08 or CFI below .95
  (Hu & Bentler, 1999), RMSEA above .08 (Browne & Cudeck, 1993); with few degrees of freedom
  (at most :data:`FEW_DF`) the RMSEA is known to be unstable (Kenny et al., 2015).
* **singular fits**: at least one outcome model with a variance component at zero.
* **few therapists** (:func:`few_therapists`): fewer than :data:`FEW_CLUSTERS` therapists
  randomized or in the mechanism model.
* **the rung** of the mechanism ladder when it is not the model as specified, or none.
* **wrong-sign paths** (:func:`wrong_sign_paths`): between-therapist paths to the symptoms
  whose estimate has the sign opposite to the article's (improvement: negative).
* **findings not checked**: published findings this build could not compare.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from mcbi.paper.render import templates
from mcbi.paper.render.apa import fmt_num, fmt_p
from mcbi.paper.render.phrases import capital
from mcbi.paper.render.phrases import listing as join_words

SECTIONS = ("01_sample", "02_therapists", "03_patients", "04_published", "05_mechanisms")
"""The chapters whose results the discussion reads."""

SRMR_MAX, CFI_MIN, RMSEA_MAX = 0.08, 0.95, 0.08
"""Conventional cut-offs: Hu & Bentler (1999) for SRMR and CFI, Browne & Cudeck (1993)."""
FEW_DF = 5
"""At most this many degrees of freedom: the RMSEA is unstable (Kenny et al., 2015)."""
FEW_CLUSTERS = 30
"""Fewer therapists than this: small-cluster caution (McNeish & Stapleton, 2016)."""

SYMPTOMS = {"1": "somatization", "2": "depression", "3": "anxiety"}
BETWEEN_SYMPTOM_PATHS = {f"{p}{k}": (src, name) for p, src in
                         (("c", "the bond"), ("d", "perceived empathy"))
                         for k, name in SYMPTOMS.items()}
"""Between-therapist symptom paths (label -> (from, to)); the article: improvement, < 0."""

RUNG_BLOCKS = {"full_bounded": "rung_bounded", "diagonal_between": "rung_diagonal",
               "chain": "rung_chain", "": "rung_none"}
"""The template paragraph that says what a rung below the full model simplified."""


def read_results(folder: str | Path, sections: tuple[str, ...] = SECTIONS
                 ) -> dict[str, dict[str, Any]]:
    """``{section: results}`` from ``<folder>/<section>.results.json``.

    Raises
    ------
    FileNotFoundError
        Naming the missing file and how to make it.
    """
    out = {}
    for section in sections:
        path = Path(folder) / f"{section}.results.json"
        if not path.is_file():
            raise FileNotFoundError(
                f"{path.as_posix()} does not exist: the discussion reads what {section} "
                "recorded; build the book first (python -m mcbi build)")
        out[section] = json.loads(path.read_text("utf-8"))
    return out


def finite_value(values: dict[str, Any], key: str) -> float | None:
    """``values[key]`` as a finite float; None when absent, text or not finite."""
    value = values.get(key)
    if value is None or isinstance(value, str):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _count(values: dict[str, Any], key: str) -> int:
    value = finite_value(values, key)
    return 0 if value is None else int(round(value))


def fit_problems(mech: dict[str, Any]) -> list[str]:
    """The fit measures of the mechanism model beyond their conventional cut-offs, as
    phrases ("the between-therapist SRMR was .115 (cut-off .08)"); empty when none is or no
    model was fitted.
    """
    out = []
    for key, where in (("fit_srmr_between", "between-therapist"), ("fit_srmr_within",
                                                                    "within-therapist")):
        value = finite_value(mech, key)
        if value is not None and value > SRMR_MAX:
            shown = fmt_num(value, 3, leading_zero=False)
            out.append(f"the {where} SRMR was {shown} (cut-off .08)")
    rmsea = finite_value(mech, "fit_rmsea")
    if rmsea is not None and rmsea > RMSEA_MAX:
        out.append(f"the RMSEA was {fmt_num(rmsea, 3, leading_zero=False)} (cut-off .08)")
    cfi = finite_value(mech, "fit_cfi")
    if cfi is not None and cfi < CFI_MIN:
        out.append(f"the CFI was {fmt_num(cfi, 3, leading_zero=False)} (cut-off .95)")
    return out


def few_therapists(sample: dict[str, Any], mech: dict[str, Any]) -> bool:
    """Whether fewer than :data:`FEW_CLUSTERS` therapists were randomized or entered the
    mechanism model (when it was fitted)."""
    counts = [finite_value(sample, "n_therapists")]
    if mech.get("mechanism_model"):
        counts.append(finite_value(mech, "mech_therapists_used"))
    return any(c is not None and c < FEW_CLUSTERS for c in counts)


def wrong_sign_paths(mech: dict[str, Any]) -> list[dict[str, Any]]:
    """Between-therapist symptom paths estimated with the sign opposite to the article's.

    Each item: ``label, source, target, est, se, pvalue``. Empty when no model with these
    paths was fitted.
    """
    out = []
    for label, (source, target) in BETWEEN_SYMPTOM_PATHS.items():
        est = finite_value(mech, f"msem_{label}_est")
        if est is not None and est > 0:
            out.append({"label": label, "source": source, "target": target, "est": est,
                        "se": finite_value(mech, f"msem_{label}_se"),
                        "pvalue": finite_value(mech, f"msem_{label}_pvalue")})
    return out


def _path_phrase(path: dict[str, Any]) -> str:
    se = fmt_num(path["se"], 2) if path["se"] is not None else "not available"
    return (f"from {path['source']} to {path['target']} ({fmt_num(path['est'], 2)}, "
            f"*SE* = {se})")


def _wrong_sign_values(paths: list[dict[str, Any]], alpha: float) -> dict[str, str]:
    clear = [p for p in paths if p["pvalue"] is not None and p["pvalue"] < alpha]
    imprecise = [p for p in paths if p["se"] is not None and p["se"] > abs(p["est"])]
    if clear:
        reading = ("For " + join_words([p["target"] for p in clear]) + " the interval "
                   "excludes zero, so on these data the sign is not a matter of imprecision.")
    elif len(imprecise) == len(paths):
        reading = ("Its standard error is larger than its estimate, so the data cannot tell "
                   "the sign of this path." if len(paths) == 1 else
                   "Each standard error is larger than its estimate, so the data cannot tell "
                   "the sign of these paths.")
    else:
        reading = ("Its interval includes zero." if len(paths) == 1
                   else "None of their intervals excludes zero.")
    return {"n_wrong": _count_words(len(paths), "path"),
            "wrong_list": "; ".join(_path_phrase(p) for p in paths),
            "wrong_reading": reading}


NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _share(n: int, total: int, noun: str) -> str:
    """"8 of the 9 <noun>", or "all 9 <noun>" when n == total."""
    return f"all {total} {noun}" if n == total else f"{n} of the {total} {noun}"


def _count_words(n: int, noun: str) -> str:
    """APA: words below 10 at the start of a phrase, numerals from 10 ("two paths")."""
    word = NUMBER_WORDS[n] if 0 <= n < 10 else str(n)
    return f"{word} {noun}{'' if n == 1 else 's'}"


#: Why a stated finding could not be checked: (count's name, one finding, several, listed).
_UNCHECKED = (
    ("n_unchecked_not_collected", "its wave was not collected",
     "their waves were not collected", "waves not collected"),
    ("n_unchecked_one_arm", "its wave was not observed in both arms",
     "their waves were not observed in both arms", "waves not observed in both arms"),
    ("n_unchecked_not_estimable", "its model could not be estimated",
     "their models could not be estimated", "models that could not be estimated"),
)


def _unchecked_reason(pub: dict[str, Any], total: int) -> str:
    """Why ``total`` of the article's stated findings could not be checked."""
    present = [row for row in _UNCHECKED if _count(pub, row[0])]
    if not present:
        return "these data do not allow it"
    if len(present) == 1:
        return present[0][1] if total == 1 else present[0][2]
    return join_words([row[3] for row in present], "or")


def _chisq_clause(mech: dict[str, Any], alpha: float) -> str:
    """"; the chi-square test also rejected exact fit, χ²(12) = 30.10, *p* = .003", or
    "did not reject" when *p* ≥ ``alpha`` (the other measures can still misfit); "" when
    the test is not available."""
    chisq, df, p = (finite_value(mech, k) for k in ("fit_chisq", "fit_df", "fit_pvalue"))
    if chisq is None or df is None or p is None:
        return ""
    verdict = "also rejected" if p < alpha else "did not reject"
    return (f"; the chi-square test {verdict} exact fit, χ²({fmt_num(df, 0)}) = "
            f"{fmt_num(chisq, 2)}, *p* {fmt_p(p)}")


def _rung_reason(mech: dict[str, Any]) -> str:
    """" Too little data for path a, …." as its own sentence (the ladder's reasons hold
    parentheses, so they are not put in parentheses), or "" when none is recorded."""
    reason = str(mech.get("mechanism_reason") or "").strip().rstrip(".")
    reason = reason.removeprefix("no rung fitted: ")  # the paragraph already says so
    return f" {capital(reason)}." if reason else ""


def choose(results: dict[str, dict[str, Any]], alpha: float = 0.05) -> list[tuple[str, dict]]:
    """The discussion paragraphs that apply to these results, in order, with their values.

    Parameters
    ----------
    results : dict
        ``{section: results}`` as :func:`read_results` returns.
    alpha : float
        The significance level of the chapters.

    Returns
    -------
    list of (block, values)
        ``block`` names a paragraph of the discussion template; ``values`` fills it.
    """
    sample, ther, pat = results["01_sample"], results["02_therapists"], results["03_patients"]
    pub, mech = results["04_published"], results["05_mechanisms"]
    chosen: list[tuple[str, dict]] = []
    problems = fit_problems(mech)
    if mech.get("mechanism_model") and problems:
        df = finite_value(mech, "fit_df")
        chosen.append(("fit", {"fit_list": join_words(problems),
                               "chisq_clause": _chisq_clause(mech, alpha)}))
        if df is not None and df <= FEW_DF and any("RMSEA" in p for p in problems):
            chosen.append(("fit_few_df", {"df": fmt_num(df, 0)}))
    wrong = wrong_sign_paths(mech)
    if mech.get("mechanism_model") and wrong:
        chosen.append(("wrong_sign", _wrong_sign_values(wrong, alpha)))
    model = str(mech.get("mechanism_model") or "")
    if model in RUNG_BLOCKS:
        chosen.append((RUNG_BLOCKS[model], {"reason": _rung_reason(mech)}))
    singular = _count(ther, "n_singular") + _count(pat, "n_singular")
    if singular:
        parts = [_share(_count(v, "n_singular"), _count(v, "n_models"),
                        f"models of {who} outcomes")
                 for v, who in ((pat, "patient"), (ther, "therapist")) if _count(v, "n_singular")]
        chosen.append(("singular", {"singular_list": join_words(parts)}))
    if few_therapists(sample, mech):
        used = finite_value(mech, "mech_therapists_used") if model else None
        chosen.append(("few_therapists", {
            "n_therapists": fmt_num(finite_value(sample, "n_therapists"), 0),
            "in_model": ("" if used is None else
                         ", and all of them entered the mechanism model"
                         if used == finite_value(sample, "n_therapists") else
                         f", and {fmt_num(used, 0)} of them entered the mechanism model")}))
        if model and _count(mech, "mech_claims_reproduced"):
            n, of = _count(mech, "mech_claims_reproduced"), _count(mech, "mech_claims_estimable")
            chosen.append(("few_therapists_claims", {"reproduced": (
                f"the one mechanism claim (of {of} estimable) that this build reproduced"
                if n == 1 else f"the {_share(n, of, 'mechanism claims')} that this build "
                "reproduced")}))
    n_stated = _count(pub, "n_stated")
    unchecked = n_stated - _count(pub, "n_compared")
    if n_stated and unchecked > 0:
        chosen.append(("unchecked_all" if unchecked == n_stated else "unchecked", {
            "n_unchecked": str(unchecked), "n_stated": str(n_stated),
            "why": _unchecked_reason(pub, unchecked)}))
    return chosen


def render(template: str, chosen: list[tuple[str, dict]]) -> str:
    """The chosen paragraphs of the discussion ``template`` filled with their values
    (``${name}``; :func:`mcbi.paper.render.templates.render`)."""
    return templates.render(template, chosen, "the discussion template")


def discussion_values(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The numbers the discussion states, to glue and record (``disc_*``)."""
    mech = results["05_mechanisms"]
    wrong = wrong_sign_paths(mech)
    return {
        "disc_fit_problems": float(len(fit_problems(mech))) if mech.get("mechanism_model")
        else None,
        "disc_wrong_sign_paths": float(len(wrong)) if mech.get("mechanism_model") else None,
        "disc_n_singular": float(_count(results["02_therapists"], "n_singular")
                                 + _count(results["03_patients"], "n_singular")),
        "disc_few_therapists": float(few_therapists(results["01_sample"], mech)),
    }

