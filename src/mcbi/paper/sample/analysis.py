"""The sample: participant flow, baseline characteristics by arm, scoring and reliability.

Everything works on any valid data in the trial's schema: the waves are those present in
the data, groups too small for a statistic give a missing cell rather than an error, and
descriptive counts of people can be suppressed below a threshold
(:mod:`mcbi.paper.render.disclosure`; ``min_cell=0`` shows every count).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mcbi.paper.render.apa import fmt_num
from mcbi.paper.render.disclosure import count_percent_text, count_text, is_small
from mcbi.stats.reliability import MIN_RESPONSES
from mcbi.trial import design
from mcbi.trial.data import TrialData
from mcbi.trial.instruments import (
    MIN_ANSWERED,
    PATIENT_INSTRUMENTS,
    THERAPIST_INSTRUMENTS,
    Instrument,
    items_required,
    keyed_items,
)
from mcbi.trial.instruments import scale_label as label
from mcbi.trial.reliability import MIN_N, reliability_table

THERAPIST_BASELINE = {"continuous": ["age", "experience_years"],
                      "categorical": ["gender", "orientation"],
                      "scales": ["pms", "eus_t", "teca", "ffmq", "scs"]}
"""Therapist characteristics in the baseline table (arguments of :func:`baseline_table`)."""

PATIENT_BASELINE = {"continuous": ["age"], "categorical": ["gender", "problem"],
                    "scales": ["eus_p", "bond", "bsi_gsi", "phi"]}
"""Patient characteristics in the baseline table."""


# --- flow --------------------------------------------------------------------------------


def waves_present(*long: pd.DataFrame) -> tuple[str, ...]:
    """The design's waves that occur in any of the long tables, in design order."""
    seen = set()
    for frame in long:
        seen |= {str(w) for w in frame[design.WAVE].dropna().unique()}
    return tuple(w for w in design.WAVES if w in seen)


def flow_counts(therapist_long: pd.DataFrame, patient_long: pd.DataFrame,
                patient_info: pd.DataFrame, therapist_info: pd.DataFrame,
                waves: tuple[str, ...] | None = None) -> pd.DataFrame:
    """CONSORT counts per arm: randomized / enrolled, assessed at each wave, analysed.

    A participant counts as assessed at a wave when the long table has a row for them at
    that wave, and as analysed when it has at least one row.

    Parameters
    ----------
    therapist_long, patient_long : DataFrame
        One row per person and wave assessed (``therapist_id`` / ``patient_id``, ``wave``).
    patient_info, therapist_info : DataFrame
        One row per enrolled patient (with ``therapist_id``, ``arm``) and per randomized
        therapist (with ``arm``); people in the long tables but not here are ignored.
    waves : tuple of str, optional
        Waves to count; by default those present in the long tables
        (:func:`waves_present`).

    Returns
    -------
    DataFrame
        One row per arm of :data:`mcbi.trial.design.ARMS`: ``arm, therapists_randomized,
        therapists_without_patients, patients_enrolled``, ``therapists_<wave>`` and
        ``patients_<wave>`` for every wave, ``therapists_analysed, patients_analysed``.
    """
    if waves is None:
        waves = waves_present(therapist_long, patient_long)
    rows = []
    for arm in design.ARMS:
        t_ids = therapist_info.loc[therapist_info[design.ARM] == arm, design.THERAPIST_ID]
        p_in = patient_info[patient_info[design.ARM] == arm]
        p_ids = p_in[design.PATIENT_ID]
        row = {"arm": arm, "therapists_randomized": len(t_ids),
               "therapists_without_patients": int((~t_ids.isin(p_in[design.THERAPIST_ID])).sum()),
               "patients_enrolled": len(p_ids)}
        t_rows = therapist_long[therapist_long[design.THERAPIST_ID].isin(t_ids)]
        p_rows = patient_long[patient_long[design.PATIENT_ID].isin(p_ids)]
        for wave in waves:
            row[f"therapists_{wave}"] = t_rows.loc[t_rows[design.WAVE] == wave,
                                                   design.THERAPIST_ID].nunique()
            row[f"patients_{wave}"] = p_rows.loc[p_rows[design.WAVE] == wave,
                                                 design.PATIENT_ID].nunique()
        row["therapists_analysed"] = t_rows[design.THERAPIST_ID].nunique()
        row["patients_analysed"] = p_rows[design.PATIENT_ID].nunique()
        rows.append(row)
    return pd.DataFrame(rows)


def trial_flow(trial: TrialData) -> pd.DataFrame:
    """:func:`flow_counts` of the trial's tables (the waves present in them)."""
    return flow_counts(trial.therapists, trial.patients, trial.patient_info,
                       trial.therapist_info)


def flow_waves(counts: pd.DataFrame) -> tuple[str, ...]:
    """The waves a :func:`flow_counts` table has columns for, in design order."""
    return tuple(w for w in design.WAVES if f"therapists_{w}" in counts.columns)


def flow_table(counts: pd.DataFrame, arm_labels: dict[str, str],
               min_cell: int = 0) -> pd.DataFrame:
    """The flow as a table: one row per CONSORT stage, therapists and patients per arm.

    Rows: allocated, therapists without participating patients, assessed and not assessed
    at every wave, analysed and not analysed (no assessment). Counts from 1 to
    ``min_cell - 1`` show as ``"< min_cell"``, except the numbers allocated (design
    figures, given in any trial report and in the text).
    """
    arms = [a for a in design.ARMS if a in set(counts["arm"])][::-1]  # MCBI first
    by_arm = counts.set_index("arm")
    stages: list[tuple[str, str, str | None]] = [
        ("Allocated (therapists randomized; their patients enrolled)",
         "therapists_randomized", "patients_enrolled"),
        ("Therapists without participating patients", "therapists_without_patients", None)]
    for wave in flow_waves(counts):
        stages.append((f"Assessed at {design.WAVE_LABELS[wave]}", f"therapists_{wave}",
                       f"patients_{wave}"))
        stages.append((f"Not assessed at {design.WAVE_LABELS[wave]}", f"-therapists_{wave}",
                       f"-patients_{wave}"))
    stages += [("Analysed (at least one assessment)", "therapists_analysed",
                "patients_analysed"),
               ("Not analysed (no assessment)", "-therapists_analysed", "-patients_analysed")]
    base = {"therapists": "therapists_randomized", "patients": "patients_enrolled"}
    rows = []
    for title, t_col, p_col in stages:
        row = {"Stage": title}
        for who, col in (("therapists", t_col), ("patients", p_col)):
            for arm in arms:
                head = f"{arm_labels.get(arm, arm)}: {who}"
                if col is None:
                    row[head] = ""
                    continue
                value = by_arm.loc[arm, col.lstrip("-")]
                if col.startswith("-"):
                    value = by_arm.loc[arm, base[who]] - value
                allocated = col in base.values()  # design figures: never suppressed
                row[head] = count_text(float(value), 0 if allocated else min_cell)
        rows.append(row)
    return pd.DataFrame(rows)


def cluster_sizes(patient_info: pd.DataFrame,
                  therapist_info: pd.DataFrame | None = None) -> pd.Series:
    """Number of participating patients per therapist (zero for therapists without any
    when ``therapist_info`` is given)."""
    sizes = patient_info.groupby(design.THERAPIST_ID).size()
    if therapist_info is not None:
        sizes = sizes.reindex(therapist_info[design.THERAPIST_ID], fill_value=0)
    return sizes


def _count_words(n: int, singular: str, plural: str, min_cell: int) -> str:
    if is_small(n, min_cell):
        return f"fewer than {min_cell} {plural}"
    return f"{n} {singular if n == 1 else plural}"


def cluster_sentence(sizes: pd.Series, min_cell: int = 0) -> str:
    """How many patients each therapist brought, e.g. "between 1 and 4 patients per
    therapist; 20 therapists took part with a single patient"."""
    if sizes.empty:
        return "no therapists"
    low, high = int(sizes.min()), int(sizes.max())
    text = (f"{high} {'patient' if high == 1 else 'patients'} per therapist" if low == high
            else f"between {low} and {high} patients per therapist")
    parts = []
    for k, what in ((0, "without a participating patient"), (1, "with a single patient")):
        n = int((sizes == k).sum())
        if n and low != high:
            parts.append(f"{_count_words(n, 'therapist', 'therapists', min_cell)} took "
                         f"part {what}")
    return text + ("; " + " and ".join(parts) if parts else "")


def retention_sentence(counts: pd.DataFrame) -> str:
    """The share of randomized therapists and enrolled patients assessed at each wave."""
    tot = counts.drop(columns="arm").sum()
    waves = flow_waves(counts)
    parts = []
    for wave in waves:
        t = _pct(tot[f"therapists_{wave}"], tot["therapists_randomized"])
        p = _pct(tot[f"patients_{wave}"], tot["patients_enrolled"])
        parts.append(f"{t} of the therapists and {p} of the patients at {design.WAVE_LABELS[wave]}")
    text = ("Assessments were returned by " + "; ".join(parts) + "." if parts
            else "No assessments are in these data.")
    absent = [design.WAVE_LABELS[w] for w in design.WAVES if w not in waves]
    if absent:
        text += (f" The data hold no {' or '.join(absent)} assessments (not yet collected, "
                 "or not supplied).")
    return text


def _pct(part: float, whole: float) -> str:
    return "—" if not whole else f"{100 * part / whole:.0f}%"


# --- baseline ----------------------------------------------------------------------------


def standardized_difference(a: pd.Series, b: pd.Series) -> float:
    """Standardized mean difference ``(mean_a - mean_b) / sqrt((var_a + var_b) / 2)``.

    For a 0/1 indicator this is the usual difference in proportions over
    ``sqrt((p_a (1 - p_a) + p_b (1 - p_b)) / 2)`` (population variances).
    Returns 0 for two identical constant groups and NaN for two different ones.
    """
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("each group needs at least two observations")
    binary = set(np.unique(np.concatenate([a, b]))) <= {0.0, 1.0}
    ddof = 0 if binary else 1
    pooled = np.sqrt((a.var(ddof=ddof) + b.var(ddof=ddof)) / 2)
    if pooled == 0:  # both groups constant: balanced if equal, otherwise undefined
        return 0.0 if a.mean() == b.mean() else float("nan")
    return float((a.mean() - b.mean()) / pooled)


def _smd(a: pd.Series, b: pd.Series) -> float:
    """:func:`standardized_difference`, NaN when a group has fewer than two values."""
    if a.notna().sum() < 2 or b.notna().sum() < 2:
        return float("nan")
    return standardized_difference(a, b)


def _mean_sd(values: pd.Series, min_cell: int) -> str:
    n = int(values.notna().sum())
    if n == 0:
        return "—"
    if is_small(n, min_cell):
        return f"(n < {min_cell})"
    return f"{fmt_num(values.mean(), 2)} ({fmt_num(values.std(), 2)})"


def baseline_table(info: pd.DataFrame, scores_pre: pd.DataFrame, continuous: list[str],
                   categorical: list[str], scales: list[str],
                   min_cell: int = 0) -> pd.DataFrame:
    """Baseline characteristics by arm with standardized differences (MCBI - control).

    Returns columns ``characteristic, control, MCBI, smd`` with preformatted cells
    (n first; M (SD) for continuous variables, n (%) for categories) and the numeric SMD
    (NaN when an arm has fewer than two values). Counts from 1 to ``min_cell - 1``, and
    M (SD) resting on so few people, are suppressed, as is the SMD of such a row; the n
    per arm (the numbers allocated) is always shown.
    """
    data = info.merge(scores_pre, how="left")
    groups = {arm: data[data[design.ARM] == arm] for arm in design.ARMS}
    treated, control = groups[design.TREATED], groups[design.CONTROL]
    rows = [{"characteristic": "n", **{arm: str(len(g)) for arm, g in groups.items()},
             "smd": float("nan")}]

    def cont_row(name: str, col: str) -> None:
        cells = {arm: _mean_sd(g[col], min_cell) for arm, g in groups.items()}
        hidden = any(is_small(int(g[col].notna().sum()), min_cell) for g in groups.values())
        smd = float("nan") if hidden else _smd(treated[col], control[col])
        rows.append({"characteristic": name, **cells, "smd": smd})

    for col in continuous:
        cont_row(f"{col.replace('_', ' ')}, M (SD)", col)
    for col in categorical:
        for level in sorted(pd.unique(data[col].dropna())):
            counts = {arm: int((g[col] == level).sum()) for arm, g in groups.items()}
            cells = {arm: count_percent_text(counts[arm], len(g), min_cell)
                     for arm, g in groups.items()}
            hidden = any(is_small(n, min_cell) for n in counts.values())
            smd = float("nan") if hidden else _smd(
                (treated[col] == level).astype(float).where(treated[col].notna()),
                (control[col] == level).astype(float).where(control[col].notna()))
            rows.append({"characteristic": f"{col}: {level}, n (%)", **cells, "smd": smd})
    for scale in scales:
        cont_row(f"{label(scale)}, M (SD)", scale)
    return pd.DataFrame(rows, columns=["characteristic", *design.ARMS, "smd"])


def _pre(long: pd.DataFrame, drop: list[str]) -> pd.DataFrame:
    return long[long[design.WAVE] == design.WAVES[0]].drop(
        columns=[design.ARM, design.WAVE, *drop])


def therapist_baseline(trial: TrialData, min_cell: int = 0) -> pd.DataFrame:
    """The therapists' baseline table (:data:`THERAPIST_BASELINE`)."""
    return baseline_table(trial.therapist_info, _pre(trial.therapists, []),
                          **THERAPIST_BASELINE, min_cell=min_cell)


def patient_baseline(trial: TrialData, min_cell: int = 0) -> pd.DataFrame:
    """The patients' baseline table (:data:`PATIENT_BASELINE`), by their therapist's arm."""
    return baseline_table(trial.patient_info.drop(columns=design.THERAPIST_ID),
                          _pre(trial.patients, [design.THERAPIST_ID]), **PATIENT_BASELINE,
                          min_cell=min_cell)


def max_abs_smd(table: pd.DataFrame) -> float | None:
    """Largest absolute SMD of a baseline table, None when none could be computed."""
    values = table["smd"].abs().dropna()
    return None if values.empty else float(values.max())


# --- scoring and reliability -------------------------------------------------------------


def scoring_summary(responses: pd.DataFrame, instruments: tuple[Instrument, ...],
                    min_answered: float = MIN_ANSWERED) -> dict[str, float]:
    """How the scoring rule treated every scale score of every questionnaire returned.

    Returns ``n`` (scale scores due: rows times scales), ``complete_pct`` (every item
    answered), ``prorated_pct`` (scored from the items present) and ``missing_pct``
    (fewer than ``min_answered`` of the items answered, so no score).
    """
    n = complete = scored = 0
    for instrument in instruments:
        for scale in instrument.scales:
            answered = keyed_items(responses, instrument, scale).notna().sum(axis=1)
            k = len(scale.items)
            n += len(answered)
            complete += int((answered == k).sum())
            scored += int((answered >= items_required(k, min_answered)).sum())
    if n == 0:
        return {"n": 0, "complete_pct": None, "prorated_pct": None, "missing_pct": None}
    return {"n": n, "complete_pct": 100 * complete / n,
            "prorated_pct": 100 * (scored - complete) / n, "missing_pct": 100 * (n - scored) / n}


def scoring_values(trial: TrialData, min_answered: float = MIN_ANSWERED) -> dict[str, float]:
    """The scoring rule and what it did, for glue: ``min_answered_pct``, ``min_items_10``
    and ``min_items_2`` (items needed on a 10-item and a 2-item scale) and ``t_<key>``,
    ``p_<key>`` for every key of :func:`scoring_summary` (therapists, patients)."""
    values = {"min_answered_pct": 100 * min_answered,
              "min_items_10": items_required(10, min_answered),
              "min_items_2": items_required(2, min_answered)}
    for who, items, instruments in (("t", trial.therapist_items, THERAPIST_INSTRUMENTS),
                                    ("p", trial.patient_items, PATIENT_INSTRUMENTS)):
        summary = scoring_summary(items, instruments, min_answered)
        values.update({f"{who}_{key}": value for key, value in summary.items()})
    return values


def reliability_settings(min_n: int = MIN_N) -> dict[str, float]:
    """The reliability rules, for glue: ``rel_min_n`` (flagged below) and
    ``rel_min_responses`` (not estimated below, :data:`mcbi.stats.reliability.MIN_RESPONSES`)."""
    return {"rel_min_n": min_n, "rel_min_responses": MIN_RESPONSES}


def reliability(trial: TrialData, min_n: int = MIN_N) -> pd.DataFrame:
    """Cronbach's alpha and McDonald's omega of every scale at every wave, both respondents.

    The rows of :func:`mcbi.trial.reliability.reliability_table` (pairwise-complete
    item covariances) with a ``respondent`` column (``therapists`` or ``patients``).
    """
    return pd.concat([
        reliability_table(trial.therapist_items, THERAPIST_INSTRUMENTS, design.WAVE,
                          min_n=min_n).assign(respondent="therapists"),
        reliability_table(trial.patient_items, PATIENT_INSTRUMENTS, design.WAVE,
                          min_n=min_n).assign(respondent="patients"),
    ], ignore_index=True)


RELIABILITY_CAPTION = (
    "Cronbach's α and McDonald's ω by scale and wave, from pairwise-complete item covariances. "
    "*n*: fewest respondents answering a pair of the scale's items (in parentheses: "
    "respondents answering every item).")
"""Caption of the reliability tables (their notes follow it)."""

_SMALL = "ᵃ"
_SMOOTHED = "ᵇ"
_MARKS = "ᶜᵈᵉᶠᵍʰ"


def reliability_display(rel: pd.DataFrame, respondent: str, min_cell: int = 0,
                        min_n: int = MIN_N) -> tuple[pd.DataFrame, str]:
    """One respondent's reliability table: α, ω and n at every wave present, flagged.

    Parameters
    ----------
    rel : DataFrame
        :func:`reliability`.
    respondent : str
        ``"therapists"`` or ``"patients"``.
    min_cell : int
        n from 1 to ``min_cell - 1`` show as ``"< min_cell"``.
    min_n : int
        The threshold behind ``rel``'s ``small_n`` (named in the note).

    Returns
    -------
    (DataFrame, str)
        The formatted table (``Scale, Items`` and ``α <wave>, ω <wave>, n <wave>``;
        n is the fewest respondents answering a pair of the scale's items, with the number
        answering every item in parentheses) and the note explaining its marks: ᵃ for an
        estimate resting on fewer than ``min_n`` respondents, ᵇ for one computed from a
        smoothed covariance matrix, further letters for each reason an estimate is missing.
    """
    sub = rel[rel["respondent"] == respondent]
    if sub.empty:
        raise ValueError(f"no reliability rows for {respondent!r}")
    waves = [w for w in design.WAVES if w in set(sub[design.WAVE].astype(str))]
    reasons: dict[str, str] = {}
    rows = []
    for (name, k), scale_rows in sub.groupby(["label", "n_items"], sort=False):
        row = {"Scale": name, "Items": str(k)}
        by_wave = scale_rows.set_index(scale_rows[design.WAVE].astype(str))
        for wave in waves:
            head = design.WAVE_LABELS[wave]
            if wave not in by_wave.index:
                row.update({f"α {head}": "—", f"ω {head}": "—", f"n {head}": "0"})
                continue
            r = by_wave.loc[wave]
            mark = ""
            if str(r["note"]).startswith("smoothed"):
                mark = reasons.setdefault(str(r["note"]), _SMOOTHED)
            elif r["note"]:
                others = [m for m in reasons.values() if m != _SMOOTHED]
                mark = reasons.setdefault(str(r["note"]), _MARKS[len(others) % len(_MARKS)])
            small = _SMALL if r["small_n"] else ""
            row[f"α {head}"] = fmt_num(r["alpha"], 2, leading_zero=False) + small + mark
            row[f"ω {head}"] = fmt_num(r["omega"], 2, leading_zero=False) + (
                small + mark if k > 2 else "")
            row[f"n {head}"] = (f"{count_text(float(r['n_pairwise_min']), min_cell)} "
                                f"({count_text(float(r['n_complete']), min_cell)})")
        rows.append(row)
    notes = [f"{mark} {reason[0].upper()}{reason[1:]}."
             for reason, mark in sorted(reasons.items(), key=lambda item: item[1] != _SMOOTHED)]
    if sub["small_n"].any():
        notes.insert(0, f"{_SMALL} Rests on fewer than {min_n} "
                        "respondents: imprecise.")
    return pd.DataFrame(rows), " ".join(notes)


def reliability_sentence(rel: pd.DataFrame, min_n: int = MIN_N) -> str:
    """The range of alpha over the scales of three or more items, and what is flagged."""
    multi = rel[rel["n_items"] > 2]
    estimable = multi[multi["alpha"].notna()]
    if estimable.empty:
        return ("Cronbach's α could not be estimated for any scale of three or more items "
                "in these data.")
    text = (f"Across the scales of three or more items, α ranges from "
            f"{fmt_num(estimable['alpha'].min(), 2, leading_zero=False)} to "
            f"{fmt_num(estimable['alpha'].max(), 2, leading_zero=False)}")
    flags = []
    n_small = int(rel["small_n"].sum())
    if n_small:
        flags.append(f"{n_small} of the {len(rel)} scale-by-wave estimates rest on fewer "
                     f"than {min_n} respondents")
    n_missing = int(rel["note"].str.startswith("not estimable").sum())
    if n_missing:
        flags.append(f"{n_missing} could not be estimated")
    n_smooth = int(rel["note"].str.startswith("smoothed").sum())
    if n_smooth:
        flags.append(f"{n_smooth} come from a smoothed covariance matrix")
    return text + ("; " + ", ".join(flags) if flags else "") + "."
