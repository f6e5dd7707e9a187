"""The Key results' sentences: one per group of outcomes, chosen from the numbers.

Outcomes with the same finding share a clause ("the MCBI arm improved more than the control
arm in PMS (…) and TECA (…); the arms did not differ clearly in EUS-T (…)"), so the page
does not repeat one frame per outcome, and a wave that was not collected is left out here
(the page says once that it is missing). The symptom sentence follows the MCBI arm's own
change and words the follow-up relative to post with
:func:`mcbi.paper.outcomes.published.followup_word`. Every sentence is inline Markdown
(plain text; the book sets the statistics' symbols in italics, :mod:`mcbi.book.typography`).
"""

from __future__ import annotations

import pandas as pd

from mcbi.paper.outcomes import claims
from mcbi.paper.outcomes.models import between, within
from mcbi.paper.outcomes.published import EMERGED, MAINTAINED, NOT_MAINTAINED, followup_word, stated
from mcbi.paper.render import phrases
from mcbi.trial import design

__all__ = ["agreement_sentence", "between_sentence", "key_values", "symptom_sentence"]


def _collected(row: pd.Series) -> bool:
    """False for a contrast whose wave was not collected (said once elsewhere)."""
    return not claims.not_collected(row)


def _lead(wave: str) -> str:
    return "after the intervention" if wave == "post" else f"at {design.wave_label(wave)}"


def _sentence(lead: str, parts: list[str]) -> str:
    if not parts:
        return ""
    text = f"{lead}, " + "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def between_sentence(table: pd.DataFrame, outcomes: dict[str, str], wave: str,
                     alpha: float) -> str:
    """One sentence on the between-arm differences in change of ``outcomes`` at ``wave``.

    Parameters
    ----------
    table : DataFrame
        A contrast table (:attr:`mcbi.paper.outcomes.models.OutcomeAnalysis.contrasts`).
    outcomes : dict
        Outcome name -> its label in running text, in the order to name them.
    wave : str
        ``"post"`` or ``"followup"``.
    alpha : float
        Level of the Holm-adjusted tests.

    Returns
    -------
    str
        "" when the wave was not collected for any of the outcomes.
    """
    groups: dict[str, list[str]] = {"mcbi": [], "control": [], "unclear": [], "missing": []}
    for outcome, text in outcomes.items():
        row = between(table, outcome, wave)
        if not _collected(row):
            continue
        verdict = claims.verdict(row, alpha)
        if verdict.endswith(design.TREATED):
            groups["mcbi"].append(f"{text} ({claims.summary(row, alpha)})")
        elif verdict.startswith("statistically significant"):
            groups["control"].append(f"{text} ({claims.summary(row, alpha)})")
        elif verdict == "not statistically significant":
            groups["unclear"].append(f"{text} ({claims.summary(row, alpha)})")
        else:
            why = str(row.get("note", "") or "").strip() or "see the outcome chapter"
            groups["missing"].append(f"{text} ({why})")
    parts = []
    if groups["mcbi"]:
        parts.append("the MCBI arm improved more than the control arm in "
                     + phrases.listing(groups["mcbi"]))
    if groups["control"]:
        parts.append("the control arm improved more than the MCBI arm in "
                     + phrases.listing(groups["control"]))
    if groups["unclear"]:
        parts.append("the arms did not differ clearly in " + phrases.listing(groups["unclear"]))
    if groups["missing"]:
        parts.append("the difference could not be estimated for "
                     + phrases.listing(groups["missing"]))
    return _sentence(_lead(wave), parts)


_POST = {"improved": "improved", "worsened": "worsened",
         "did not change clearly": "did not change clearly"}
_FOLLOWUP = {MAINTAINED: "the improvement was maintained in",
             NOT_MAINTAINED: "the improvement was not maintained in",
             EMERGED: "an improvement emerged in",
             "worsened": "the score was worse than at baseline in",
             "no clear change": "there was no clear change from baseline in"}


def symptom_sentence(table: pd.DataFrame, outcomes: dict[str, str], alpha: float,
                     arm: str = design.TREATED) -> str:
    """The ``arm``'s own change in ``outcomes`` at post and, relative to it, at follow-up.

    Follow-up words follow :func:`~mcbi.paper.outcomes.published.followup_word`: never
    "maintained" when there was no clear improvement at post. A wave that was not collected
    is left out; a change that could not be estimated says so.
    """
    post: dict[str, list[str]] = {}
    later: dict[str, list[str]] = {}
    missing: list[str] = []
    for outcome, text in outcomes.items():
        p_row = within(table, outcome, "post", arm)
        p_word = claims.within_word(p_row, alpha)
        if _collected(p_row):
            if p_word == phrases.UNAVAILABLE:
                missing.append(f"{text} at post")
            else:
                post.setdefault(p_word, []).append(
                    f"{text} ({claims.summary(p_row, alpha)})")
        f_row = within(table, outcome, "followup", arm)
        if not _collected(f_row):
            continue
        f_word = claims.within_word(f_row, alpha)
        if f_word == phrases.UNAVAILABLE:
            missing.append(f"{text} at follow-up")
            continue
        later.setdefault(followup_word(p_word, f_word), []).append(
            f"{text} ({claims.summary(f_row, alpha)})")
    who = "the MCBI arm" if arm == design.TREATED else f"the {arm} arm"
    sentences = [_sentence(f"in {who}, from baseline to post",
                           [f"{phrases.listing(items)} {_POST[w]}" for w, items in post.items()])]
    sentences.append(_sentence("at follow-up", [f"{_FOLLOWUP[w]} {phrases.listing(items)}"
                                                for w, items in later.items()]))
    if missing:
        sentences.append(f"The change could not be estimated for {phrases.listing(missing)}.")
    return " ".join(s for s in sentences if s)


def _of_them(k: int, n: int) -> str:
    if k == 0:
        return "none of them"
    return "all of them" if k == n else f"{k} of them"


def agreement_sentence(comparison: pd.DataFrame) -> str:
    """How many of the article's stated findings this build checked and agrees with.

    ``comparison`` is :func:`mcbi.paper.outcomes.published.published_comparison`. Rows where
    the article states nothing (agreement "no finding stated") are not counted as findings.
    """
    said = comparison[stated(comparison)]
    n = len(said)
    checked = int(said["agrees"].map(lambda a: isinstance(a, bool)).sum())
    agree = int((said["agrees"] == True).sum())  # noqa: E712
    silent = len(comparison) - n
    tail = ("" if not silent else
            " The article reports no result for "
            f"{phrases.count_phrase(silent, 'further contrast')}, which "
            f"{'is' if silent == 1 else 'are'} therefore not counted.")
    if n == 0:
        return "The article states none of the findings compared here." + tail
    if checked == 0:
        return (f"This build could check none of the article's {n} stated findings (their "
                "waves or models are not available here)." + tail)
    could = "every one" if checked == n else f"{checked}"
    if checked == 1:
        same = "agrees with it" if agree else "differs from it"
        return (f"Of the {phrases.count_phrase(n, 'finding')} the article states, this build "
                f"could check one, and its finding {same}." + tail)
    return (f"Of the {phrases.count_phrase(n, 'finding')} the article states, this build "
            f"could check {could}, and its finding is the article's for "
            f"{_of_them(agree, checked)}." + tail)


def _running(label: str) -> str:
    """"self-reported empathy (EUS-T)" -> "self-reported empathy on the EUS-T" (no nested
    parentheses once the numbers follow in parentheses)."""
    head, sep, tail = label.partition(" (")
    return f"{head} on the {tail.rstrip(')')}" if sep and tail.endswith(")") else label


def key_values(therapists: pd.DataFrame, patients: pd.DataFrame,
               comparison: pd.DataFrame, alpha: float) -> dict[str, str]:
    """The Key results' sentences, from the published findings' outcomes.

    ``kr_therapists`` and ``kr_patients`` (between-arm differences in change at each
    collected wave), ``kr_symptoms`` (the MCBI arm's own change, then the difference from the
    control arm at post) and ``kr_agreement`` (:func:`agreement_sentence`).
    """
    from mcbi.paper.outcomes.published import PUBLISHED

    groups: dict[str, dict[str, str]] = {"therapists": {}, "patients": {}, "symptoms": {}}
    for who, label, scale, _wave, kind in PUBLISHED:
        group = "symptoms" if kind in ("improved (MCBI)", MAINTAINED, NOT_MAINTAINED) \
            else who
        groups[group].setdefault(scale, _running(label))
    out = {}
    for who, table in (("therapists", therapists), ("patients", patients)):
        out[f"kr_{who}"] = (" ".join(
            s for s in (between_sentence(table, groups[who], w, alpha)
                        for w in design.WAVES[1:]) if s))
    symptoms = groups["symptoms"]
    against = between_sentence(patients, symptoms, "post", alpha)
    against = against.replace("After the intervention, ",
                              "As a difference in change at post, ", 1)
    out["kr_symptoms"] = (" ".join(s for s in (symptom_sentence(patients, symptoms, alpha),
                                                     against) if s))
    out["kr_agreement"] = agreement_sentence(comparison)
    return out
