"""Instrument registry and scoring.

Each :class:`Instrument` lists its items, response range and :class:`Scale` definitions
(item membership, reverse keys, scoring rule). Where a key is not documented in the sources
this project may use, the registry says so (``key_source`` starting with ``"assumption"``).
Reliability (Cronbach's alpha, McDonald's omega) lives in :mod:`mcbi.stats.reliability`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MIN_ANSWERED = 0.8
"""A scale is scored when at least this share of its items is answered, rounded up to whole
items (:func:`items_required`: 8 of 10, 6 of 7, both items of a two-item subscale); the
score is then the mean of the answered items (prorated)."""


@dataclass(frozen=True)
class Scale:
    """One scored scale: which items, which are reversed, and how they are combined.

    Parameters
    ----------
    name : str
        Column name of the score (a valid identifier), e.g. ``"ffmq_obs"``.
    label : str
        Human-readable label.
    items : tuple of int
        1-based item numbers of the instrument that form the scale.
    reverse : tuple of int
        Item numbers reverse-scored for this scale (``low + high - x``).
    rule : {"mean", "sum"}
        Mean of the items, or their sum (prorated: mean times the number of items).
    """

    name: str
    label: str
    items: tuple[int, ...]
    reverse: tuple[int, ...] = ()
    rule: str = "mean"

    def __post_init__(self) -> None:
        if self.rule not in ("mean", "sum"):
            raise ValueError(f"scale {self.name}: rule must be 'mean' or 'sum'")
        if not set(self.reverse) <= set(self.items):
            raise ValueError(f"scale {self.name}: reversed items must belong to the scale")


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: item codes, response range and scales.

    Parameters
    ----------
    code : str
        Short code used as the item prefix, e.g. ``"ffmq"`` gives ``ffmq_01`` ...
    name : str
        Full name.
    n_items : int
        Number of items.
    low, high : int
        Response range (inclusive).
    scales : tuple of Scale
        The scored scales.
    respondent : {"therapist", "patient"}
        Who answers it (the two EUS forms are separate instruments).
    key_source : str
        Where the scoring key comes from; starts with ``"assumption"`` where it is ours.
    anchors : str
        Description of the response anchors.
    excluded_values : tuple of int
        Values inside ``[low, high]`` that are not valid responses (EUS has no zero).
    citation : str
        BibTeX key of the instrument's reference in ``book/references.bib``.
    """

    code: str
    name: str
    n_items: int
    low: int
    high: int
    scales: tuple[Scale, ...]
    respondent: str
    key_source: str
    anchors: str
    excluded_values: tuple[int, ...] = ()
    citation: str = ""
    item_prefix: str = field(default="")

    @property
    def prefix(self) -> str:
        """Item-column prefix (defaults to the code)."""
        return self.item_prefix or self.code

    @property
    def item_columns(self) -> list[str]:
        """Item column names, e.g. ``['pms_01', ..., 'pms_10']``."""
        return [item_column(self.prefix, i) for i in range(1, self.n_items + 1)]

    @property
    def is_assumed(self) -> bool:
        """True where the scoring key is an assumption of this project."""
        return self.key_source.startswith("assumption")


def item_column(prefix: str, number: int) -> str:
    """Return the column name of item ``number`` of an instrument, e.g. ``ffmq_07``."""
    return f"{prefix}_{number:02d}"


def _range(start: int, stop: int, step: int = 1) -> tuple[int, ...]:
    return tuple(range(start, stop + 1, step))


# Five Facet Mindfulness Questionnaire: key of Baer et al. (2006).
_FFMQ_FACETS = {
    "ffmq_obs": ("observing", (1, 6, 11, 15, 20, 26, 31, 36), ()),
    "ffmq_des": ("describing", (2, 7, 12, 16, 22, 27, 32, 37), (12, 16, 22)),
    "ffmq_act": ("acting with awareness", (5, 8, 13, 18, 23, 28, 34, 38),
                 (5, 8, 13, 18, 23, 28, 34, 38)),
    "ffmq_nj": ("nonjudging", (3, 10, 14, 17, 25, 30, 35, 39), (3, 10, 14, 17, 25, 30, 35, 39)),
    "ffmq_nr": ("nonreactivity", (4, 9, 19, 21, 24, 29, 33), ()),
}
_FFMQ_REVERSED = tuple(sorted(i for _, _, rev in _FFMQ_FACETS.values() for i in rev))

# Self-Compassion Scale, short form: key of Raes et al. (2011).
_SCS_SUBSCALES = {
    "scs_sk": ("self-kindness", (2, 6)),
    "scs_sj": ("self-judgment", (11, 12)),
    "scs_ch": ("common humanity", (5, 10)),
    "scs_is": ("isolation", (4, 8)),
    "scs_mi": ("mindfulness", (3, 7)),
    "scs_oi": ("over-identification", (1, 9)),
}
_SCS_UNCOMPASSIONATE = (1, 4, 8, 9, 11, 12)


def _ffmq(respondent: str) -> Instrument:
    scales = [Scale("ffmq", "FFMQ total", _range(1, 39), _FFMQ_REVERSED)]
    scales += [Scale(name, f"FFMQ {label}", items, rev)
               for name, (label, items, rev) in _FFMQ_FACETS.items()]
    return Instrument(
        code="ffmq", name="Five Facet Mindfulness Questionnaire", n_items=39, low=1, high=5,
        scales=tuple(scales), respondent=respondent,
        key_source="published key (Baer et al., 2006)",
        anchors="1 = never or very rarely true ... 5 = very often or always true",
        citation="baer2006",
    )


def _scs(respondent: str) -> Instrument:
    scales = [Scale("scs", "SCS-SF total", _range(1, 12), _SCS_UNCOMPASSIONATE)]
    scales += [Scale(name, f"SCS-SF {label}", items)
               for name, (label, items) in _SCS_SUBSCALES.items()]
    return Instrument(
        code="scs", name="Self-Compassion Scale, short form", n_items=12, low=1, high=5,
        scales=tuple(scales), respondent=respondent,
        key_source="published key (Raes et al., 2011)",
        anchors="1 = almost never ... 5 = almost always", citation="raes2011",
    )


def _eus(respondent: str) -> Instrument:
    form = "t" if respondent == "therapist" else "p"
    return Instrument(
        code=f"eus{form}",
        name=("Barrett-Lennard Relationship Inventory, empathic understanding "
              f"({respondent} form)"),
        n_items=16, low=-3, high=3, excluded_values=(0,),
        scales=(Scale(f"eus_{form}", f"EUS-{form.upper()} empathic understanding",
                      _range(1, 16), _range(2, 16, 2)),),
        respondent=respondent,
        key_source="assumption: the even-numbered half of the items is negatively worded",
        anchors="-3 = strongly disagree ... +3 = strongly agree; no zero point",
        citation="barrettlennard2015",
    )


PMS = Instrument(
    code="pms", name="Psychotherapeutic mindfulness skills", n_items=10, low=1, high=5,
    scales=(Scale("pms", "Psychotherapeutic mindfulness skills", _range(1, 10)),),
    respondent="therapist",
    key_source="assumption: the article's instrument is not documented here; "
               "modelled as a 10-item scale without reverse keys",
    anchors="1 = never ... 5 = always",
)

TECA = Instrument(
    code="teca", name="Test de Empatía Cognitiva y Afectiva", n_items=33, low=1, high=5,
    scales=(
        Scale("teca", "TECA total", _range(1, 33)),
        Scale("teca_pt", "TECA perspective taking", _range(1, 29, 4)),
        Scale("teca_eu", "TECA emotional understanding", _range(2, 30, 4) + (33,)),
        Scale("teca_es", "TECA empathic stress", _range(3, 31, 4)),
        Scale("teca_ej", "TECA empathic joy", _range(4, 32, 4)),
    ),
    respondent="therapist",
    key_source="assumption: item-to-subscale key interleaved (items 1, 5, 9, ... for "
               "perspective taking), no reverse keys",
    anchors="1 = strongly disagree ... 5 = strongly agree", citation="lopezperez2008",
)

DASS21 = Instrument(
    code="dass", name="Depression Anxiety Stress Scales, 21 items", n_items=21, low=0, high=3,
    scales=(
        Scale("dass_dep", "DASS-21 depression", (3, 5, 10, 13, 16, 17, 21), rule="sum"),
        Scale("dass_anx", "DASS-21 anxiety", (2, 4, 7, 9, 15, 19, 20), rule="sum"),
        Scale("dass_str", "DASS-21 stress", (1, 6, 8, 11, 12, 14, 18), rule="sum"),
    ),
    respondent="therapist",
    key_source="published key (Lovibond & Lovibond, 1995)",
    anchors="0 = did not apply to me at all ... 3 = applied to me very much",
    citation="lovibond1995",
)

BSI18 = Instrument(
    code="bsi", name="Brief Symptom Inventory 18", n_items=18, low=0, high=4,
    scales=(
        Scale("bsi_som", "BSI-18 somatization", _range(1, 16, 3), rule="sum"),
        Scale("bsi_dep", "BSI-18 depression", _range(2, 17, 3), rule="sum"),
        Scale("bsi_anx", "BSI-18 anxiety", _range(3, 18, 3), rule="sum"),
        Scale("bsi_gsi", "BSI-18 global severity", _range(1, 18), rule="sum"),
    ),
    respondent="patient",
    key_source="published key (Derogatis, 2001)",
    anchors="0 = not at all ... 4 = extremely", citation="derogatis2001",
)

PHI = Instrument(
    code="phi", name="Pemberton Happiness Index (remembered well-being)", n_items=11,
    low=0, high=10,
    scales=(Scale("phi", "PHI remembered well-being", _range(1, 11), (4, 9)),),
    respondent="patient",
    key_source="assumption: the 11 remembered well-being items, items 4 and 9 "
               "negatively worded; experienced well-being items left out",
    anchors="0 = totally disagree ... 10 = totally agree", citation="hervas2013",
)

WATOCI = Instrument(
    code="watoci", name="Working Alliance Theory of Change Inventory", n_items=17,
    low=1, high=7,
    scales=(
        Scale("bond", "WATOCI therapeutic bond", _range(1, 6)),
        Scale("watoci", "WATOCI total", _range(1, 17)),
    ),
    respondent="patient",
    key_source="assumption: items 1-6 form the bond score; no reverse keys",
    anchors="1 = never ... 7 = always",
)

THERAPIST_INSTRUMENTS: tuple[Instrument, ...] = (
    PMS, _eus("therapist"), TECA, _ffmq("therapist"), _scs("therapist"), DASS21,
)
PATIENT_INSTRUMENTS: tuple[Instrument, ...] = (
    _eus("patient"), WATOCI, BSI18, PHI, _ffmq("patient"), _scs("patient"),
)


def instruments_for(respondent: str) -> tuple[Instrument, ...]:
    """Return the instruments answered by ``"therapist"`` or ``"patient"``."""
    if respondent == "therapist":
        return THERAPIST_INSTRUMENTS
    if respondent == "patient":
        return PATIENT_INSTRUMENTS
    raise ValueError(f"respondent must be 'therapist' or 'patient', not {respondent!r}")


def scale_names(respondent: str) -> list[str]:
    """Names of every scale scored for a respondent, in registry order."""
    return [s.name for ins in instruments_for(respondent) for s in ins.scales]


def find_scale(name: str) -> tuple[Instrument, Scale]:
    """Return the instrument and scale called ``name`` (searching both respondents)."""
    for ins in THERAPIST_INSTRUMENTS + PATIENT_INSTRUMENTS:
        for scale in ins.scales:
            if scale.name == name:
                return ins, scale
    raise ValueError(f"unknown scale {name!r}")


def scale_label(name: str) -> str:
    """The reader's label of the scale called ``name`` (``ValueError`` if unknown)."""
    return find_scale(name)[1].label


def keyed_items(responses: pd.DataFrame, instrument: Instrument, scale: Scale) -> pd.DataFrame:
    """Return the scale's item columns with its reverse keys applied (``low + high - x``)."""
    cols = [item_column(instrument.prefix, i) for i in scale.items]
    missing = [c for c in cols if c not in responses.columns]
    if missing:
        raise ValueError(f"scale {scale.name}: item columns missing: {', '.join(missing)}")
    items = responses[cols].astype("float64").copy()
    for i in scale.reverse:
        col = item_column(instrument.prefix, i)
        items[col] = instrument.low + instrument.high - items[col]
    return items


def items_required(n_items: int, min_answered: float = MIN_ANSWERED) -> int:
    """Fewest answered items for which a scale of ``n_items`` items is scored.

    ``ceil(min_answered * n_items)``; e.g. 8 for 10 items at the default 0.8.
    """
    if not 0 < min_answered <= 1:
        raise ValueError("min_answered must be in (0, 1]")
    if n_items < 1:
        raise ValueError(f"a scale needs at least one item, got {n_items}")
    return int(np.ceil(min_answered * n_items - 1e-9))


def score_scale(
    responses: pd.DataFrame,
    instrument: Instrument,
    scale: Scale,
    min_answered: float = MIN_ANSWERED,
) -> pd.Series:
    """Score one scale, prorating when at least ``min_answered`` of its items are answered.

    The score is the mean of the answered (keyed) items, or for ``rule="sum"`` that mean
    times the number of items (a prorated sum). With fewer answered items it is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from mcbi.trial.instruments import PMS, score_scale
    >>> df = pd.DataFrame({f"pms_{i:02d}": [3] for i in range(1, 11)})
    >>> float(score_scale(df, PMS, PMS.scales[0]).iloc[0])
    3.0
    """
    if not 0 < min_answered <= 1:
        raise ValueError("min_answered must be in (0, 1]")
    items = keyed_items(responses, instrument, scale)
    answered = items.notna().sum(axis=1)
    mean = items.mean(axis=1, skipna=True)
    enough = answered >= items_required(len(scale.items), min_answered)
    score = mean.where(enough)
    if scale.rule == "sum":
        score = score * len(scale.items)
    return score.rename(scale.name)


def score_instruments(
    responses: pd.DataFrame,
    instruments: Iterable[Instrument],
    keep: Iterable[str] = (),
    min_answered: float = MIN_ANSWERED,
) -> pd.DataFrame:
    """Score every scale of ``instruments``; keep the ``keep`` columns in front.

    Returns one row per input row with the kept columns and one column per scale.
    """
    out = responses[list(keep)].copy()
    for instrument in instruments:
        for scale in instrument.scales:
            out[scale.name] = score_scale(responses, instrument, scale, min_answered)
    return out
