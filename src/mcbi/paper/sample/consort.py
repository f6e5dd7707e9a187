"""CONSORT 2010 flow diagram of a cluster trial: clusters (therapists) and their members.

:func:`flow_diagram` draws the flow of :func:`~mcbi.paper.sample.analysis.flow_counts`
with matplotlib:
randomized, allocated per arm, assessed and not assessed at every wave present, analysed.
Text is sized to stay legible when the figure is shown at page width (about 7 inches);
the two arms are told apart by position and name, and by colours that differ in
lightness (colour-blind safe). :func:`flow_alt_text` describes the same counts in words
for the figure's alt text, and :func:`figure_markdown` writes the MyST directive.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from mcbi.paper.render.disclosure import count_text  # noqa: E402
from mcbi.paper.render.figures import save  # noqa: E402
from mcbi.trial import design

WIDTH = 7.5
"""Figure width in inches (the book's text column)."""

FONT = 11.0
"""Font size in points: 9.4 pt when the saved figure (7.6 in) is printed 6.5 in wide."""

ARM_STYLE = {0: {"fc": "#dcecf2", "ec": "#1f6f8b"}, 1: {"fc": "#ececec", "ec": "#555555"}}
"""Fill and edge of the left and right arm's boxes (light teal, light grey)."""

STAGE_STYLE = {"fc": "#1f3b57", "ec": "#1f3b57"}
"""The dark stage labels on the left (white text)."""

_LINE = FONT * 1.45 / 72  # line height, inches
_PAD = 0.12
_GAP = 0.32

CAPTION = ("Flow of therapists (randomized) and their patients (enrolled through them) by arm: "
           "assessed and not assessed at each wave in the data, and analysed.")
"""Caption of the flow figure."""

WAVE_TITLES = {"pre": "Pre (baseline)", "post": "Post (after the 8 weeks)",
               "followup": design.wave_label("followup", capital=True)}
"""Box title for each wave."""


def _box(ax, x: float, top: float, width: float, lines: list[str], style: dict,
         bold_first: bool = True) -> float:
    """Draw a box whose top edge is at ``top``; return its bottom edge."""
    height = len(lines) * _LINE + 2 * _PAD
    ax.add_patch(FancyBboxPatch((x - width / 2, top - height), width, height,
                                boxstyle="round,pad=0,rounding_size=0.06", lw=1.2, **style))
    for i, line in enumerate(lines):
        ax.text(x, top - _PAD - (i + 0.5) * _LINE, line, ha="center", va="center",
                fontsize=FONT, fontweight="bold" if (i == 0 and bold_first) else "normal")
    return top - height


def _arrow(ax, x0: float, y0: float, x1: float, y1: float) -> None:
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops={"arrowstyle": "-|>", "lw": 1.2, "color": "0.2",
                            "shrinkA": 0, "shrinkB": 0, "mutation_scale": 12})


def _stage(ax, top: float, bottom: float, text: str) -> None:
    ax.add_patch(FancyBboxPatch((0.05, bottom), 0.34, top - bottom,
                                boxstyle="round,pad=0,rounding_size=0.05", **STAGE_STYLE))
    ax.text(0.22, (top + bottom) / 2, text, rotation=90, ha="center", va="center",
            fontsize=FONT, color="white", fontweight="bold")


def _waves(counts: pd.DataFrame) -> list[str]:
    return [w for w in WAVE_TITLES if f"therapists_{w}" in counts.columns]


def _check(counts: pd.DataFrame, arms: tuple[str, str]) -> None:
    if len(arms) != 2:
        raise ValueError("arms must name two arms, left then right")
    if set(arms) - set(counts["arm"]):
        raise ValueError("counts must have a row for each arm")
    need = {"therapists_randomized", "patients_enrolled", "therapists_analysed",
            "patients_analysed"}
    if need - set(counts.columns):
        raise ValueError(f"counts lack columns: {', '.join(sorted(need - set(counts.columns)))}")


def _people(n: float, word: str, min_cell: int) -> str:
    text = count_text(n, min_cell)
    return f"{text} {word}" + ("" if text == "1" else "s")


def _pair(t: float, p: float, min_cell: int) -> str:
    return f"{_people(t, 'therapist', min_cell)}, {_people(p, 'patient', min_cell)}"


def flow_diagram(counts: pd.DataFrame, arms: tuple[str, str], labels: dict[str, str],
                 min_cell: int = 0) -> plt.Figure:
    """CONSORT 2010 flow of clusters (therapists) and their members (patients) by arm.

    Parameters
    ----------
    counts : DataFrame
        :func:`mcbi.paper.sample.analysis.flow_counts`: one row per arm with
        ``therapists_randomized, patients_enrolled``, optionally
        ``therapists_without_patients``, ``therapists_<wave>`` and ``patients_<wave>`` for
        the waves present, and ``therapists_analysed, patients_analysed``.
    arms : tuple of str
        The two arm labels, left then right.
    labels : dict
        Display name per arm.
    min_cell : int
        Counts from 1 to ``min_cell - 1`` are shown as ``"< min_cell"``, except the
        numbers randomized and allocated (design figures, reported in any trial report).

    Returns
    -------
    matplotlib.figure.Figure
        Drawn in inches; its height grows with the number of waves.
    """
    _check(counts, arms)
    waves = _waves(counts)
    rows = counts.set_index("arm")
    height = 1.0 + 1.3 + (len(waves) + 1) * (3 * _LINE + 2 * _PAD + _GAP) + 0.3
    fig = plt.figure(figsize=(WIDTH, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(0, height)
    ax.axis("off")
    xs = (0.45 + (WIDTH - 0.45) * 0.25, 0.45 + (WIDTH - 0.45) * 0.75)
    box_w = (WIDTH - 0.45) / 2 - 0.2
    mid = (xs[0] + xs[1]) / 2

    top = height - 0.1
    total_t = int(counts["therapists_randomized"].sum())
    total_p = int(counts["patients_enrolled"].sum())
    bottom = _box(ax, mid, top, 4.4, [f"Randomized: {total_t} therapists",
                                      f"with {total_p} of their "
                                      "patients enrolled",
                                      "(screening before randomization: not in the data)"],
                  {"fc": "white", "ec": "0.2"})
    _stage(ax, top, bottom - _GAP / 2, "Enrollment")
    ax.plot([mid, mid], [bottom, bottom - _GAP / 2], color="0.2", lw=1.2)
    ax.plot([xs[0], xs[1]], [bottom - _GAP / 2] * 2, color="0.2", lw=1.2)

    top = bottom - _GAP * 1.5
    alloc_bottom = []
    for k, arm in enumerate(arms):
        r = rows.loc[arm]
        _arrow(ax, xs[k], top + _GAP, xs[k], top)
        lines = [f"Allocated to {labels.get(arm, arm)}",
                 _people(float(r["therapists_randomized"]), "therapist", 0),
                 _people(float(r["patients_enrolled"]), "patient", 0) + " enrolled"]
        if "therapists_without_patients" in r.index:
            lines.append(_people(float(r["therapists_without_patients"]), "therapist",
                                 min_cell) + " without patients")
        alloc_bottom.append(_box(ax, xs[k], top, box_w, lines, ARM_STYLE[k]))
    _stage(ax, top, min(alloc_bottom), "Allocation")
    bottom = min(alloc_bottom)

    if waves:
        follow_top = bottom - _GAP
        for wave in waves:
            top = bottom - _GAP
            lows = []
            for k, arm in enumerate(arms):
                r = rows.loc[arm]
                t, p = float(r[f"therapists_{wave}"]), float(r[f"patients_{wave}"])
                lost_t = float(r["therapists_randomized"]) - t
                lost_p = float(r["patients_enrolled"]) - p
                _arrow(ax, xs[k], bottom, xs[k], top)
                lows.append(_box(ax, xs[k], top, box_w,
                                 [WAVE_TITLES[wave], f"Assessed: {_pair(t, p, min_cell)}",
                                  f"Not assessed: {_pair(lost_t, lost_p, min_cell)}"],
                                 ARM_STYLE[k]))
            bottom = min(lows)
        _stage(ax, follow_top, bottom, "Follow-up")

    top = bottom - _GAP
    lows = []
    for k, arm in enumerate(arms):
        r = rows.loc[arm]
        t, p = float(r["therapists_analysed"]), float(r["patients_analysed"])
        _arrow(ax, xs[k], bottom, xs[k], top)
        lows.append(_box(ax, xs[k], top, box_w, [
            "Analysed (at least one assessment)", _pair(t, p, min_cell),
            "Not analysed: " + _pair(float(r["therapists_randomized"]) - t,
                                     float(r["patients_enrolled"]) - p, min_cell)],
            ARM_STYLE[k]))
    _stage(ax, top, min(lows), "Analysis")
    return fig


def flow_alt_text(counts: pd.DataFrame, arms: tuple[str, str], labels: dict[str, str],
                  min_cell: int = 0) -> str:
    """The diagram in words (for the figure's alt text): the counts of every box."""
    _check(counts, arms)
    rows = counts.set_index("arm")
    parts = [f"CONSORT flow diagram. Randomized: {int(counts['therapists_randomized'].sum())} "
             f"therapists with {int(counts['patients_enrolled'].sum())} patients."]
    for arm in arms:
        r = rows.loc[arm]

        def pair(stage: str, r=r) -> str:
            return _pair(float(r[f"therapists_{stage}"]), float(r[f"patients_{stage}"]),
                         min_cell)

        text = (f"{labels.get(arm, arm)}: allocated "
                f"{_pair(float(r['therapists_randomized']), float(r['patients_enrolled']), 0)}")
        for wave in _waves(counts):
            text += f"; assessed at {WAVE_TITLES[wave].split(' (')[0].lower()} {pair(wave)}"
        text += f"; analysed {pair('analysed')}."
        parts.append(text)
    return " ".join(parts)


def figure_markdown(path: str, caption: str, name: str, alt: str, width: str = "100%") -> str:
    """A numbered MyST ``{figure}`` directive (display it from a notebook as Markdown).

    ``path`` is relative to the page; ``alt`` must not contain a line break.
    """
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"figure name {name!r} must be letters, digits, '-' or '_'")
    alt = " ".join(alt.split())
    return (f":::{{figure}} {path}\n:name: {name}\n:alt: {alt}\n:width: {width}\n\n"
            f"{caption}\n:::\n")


def flow_figure(counts: pd.DataFrame, arms: tuple[str, str], labels: dict[str, str],
                out_dir: str, file: str, name: str, min_cell: int = 0) -> str:
    """Draw and save the flow diagram (``<out_dir>/figures/<file>.png``) and return its
    MyST directive, with :data:`CAPTION` and the alt text of :func:`flow_alt_text`."""
    save(flow_diagram(counts, arms, labels, min_cell), out_dir, file)
    return figure_markdown(f"figures/{file}.png", CAPTION, name,
                           flow_alt_text(counts, arms, labels, min_cell))
