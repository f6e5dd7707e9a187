"""mcbi.paper.sample.consort: the CONSORT 2010 flow diagram, its alt text and its directive."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from mcbi.paper.sample import consort


def _texts(fig: plt.Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _counts(followup: bool = True) -> pd.DataFrame:
    rows = [
        {"arm": "control", "therapists_randomized": 30, "therapists_without_patients": 2,
         "patients_enrolled": 55, "therapists_pre": 30, "patients_pre": 54,
         "therapists_post": 27, "patients_post": 47, "therapists_followup": 25,
         "patients_followup": 38, "therapists_analysed": 30, "patients_analysed": 54},
        {"arm": "MCBI", "therapists_randomized": 33, "therapists_without_patients": 0,
         "patients_enrolled": 66, "therapists_pre": 33, "patients_pre": 66,
         "therapists_post": 31, "patients_post": 56, "therapists_followup": 28,
         "patients_followup": 44, "therapists_analysed": 32, "patients_analysed": 65},
    ]
    frame = pd.DataFrame(rows)
    return frame if followup else frame.drop(columns=["therapists_followup",
                                                       "patients_followup"])


def test_flow_diagram_shows_counts_and_losses() -> None:
    fig = consort.flow_diagram(_counts(), ("MCBI", "control"),
                               {"MCBI": "MCBI arm", "control": "diary"})
    text = "\n".join(_texts(fig))
    assert "Randomized: 63 therapists" in text  # 30 + 33
    assert "with 121 of their patients enrolled" in text  # 55 + 66
    assert "Allocated to MCBI arm" in text and "Allocated to diary" in text
    assert "2 therapists without patients" in text
    assert "Assessed: 31 therapists, 56 patients" in text  # MCBI post
    assert "Not assessed: 3 therapists, 8 patients" in text  # control post: 30-27, 55-47
    assert "Not assessed: 5 therapists, 17 patients" in text  # control follow-up: 30-25, 55-38
    assert "Not analysed: 1 therapist, 1 patient" in text  # MCBI
    for stage in ("Enrollment", "Allocation", "Follow-up", "Analysis"):
        assert stage in text
    plt.close(fig)


def test_flow_diagram_draws_only_the_waves_present() -> None:
    with_fu = consort.flow_diagram(_counts(), ("MCBI", "control"), {})
    without = consort.flow_diagram(_counts(followup=False), ("MCBI", "control"), {})
    assert "Follow-up" in _texts(with_fu) and _texts(with_fu).count("Follow-up") == 3
    assert _texts(without).count("Follow-up") == 1  # the stage label only
    assert without.get_figheight() < with_fu.get_figheight()
    plt.close("all")


def test_flow_diagram_arm_order_left_to_right() -> None:
    fig = consort.flow_diagram(_counts(), ("MCBI", "control"), {})
    x = {t.get_text(): t.get_position()[0] for t in fig.axes[0].texts}
    assert x["Allocated to MCBI"] < fig.get_figwidth() / 2 < x["Allocated to control"]
    plt.close(fig)


def test_flow_diagram_text_is_legible_at_page_width(tmp_path) -> None:
    """Every text at least 9 pt once the saved figure is printed at the text width."""
    from mcbi.paper.render.figures import MIN_PRINT_PT, printed_min_pt, save

    fig = consort.flow_diagram(_counts(), ("MCBI", "control"), {})
    assert printed_min_pt(save(fig, tmp_path, "flow")) >= MIN_PRINT_PT


def test_flow_diagram_suppresses_small_counts_but_not_allocation() -> None:
    counts = _counts()
    fig = consort.flow_diagram(counts, ("MCBI", "control"), {}, min_cell=5)
    text = "\n".join(_texts(fig))
    assert "Not assessed: < 5 therapists, 10 patients" in text  # MCBI post: 2, 10
    assert "0 therapists without patients" in text and "< 5 therapists without" in text
    assert "33 therapists" in text and "Randomized: 63 therapists" in text
    plt.close(fig)


def test_flow_diagram_missing_arm() -> None:
    counts = _counts()
    with pytest.raises(ValueError, match="each arm"):
        consort.flow_diagram(counts[counts["arm"] == "control"], ("MCBI", "control"), {})
    with pytest.raises(ValueError):
        consort.flow_diagram(counts, ("MCBI", "waitlist"), {})
    with pytest.raises(ValueError, match="lack columns"):
        consort.flow_diagram(counts.drop(columns="patients_analysed"), ("MCBI", "control"), {})


def test_alt_text_lists_the_counts() -> None:
    text = consort.flow_alt_text(_counts(), ("MCBI", "control"), {"control": "diary"}, 5)
    assert text.startswith("CONSORT flow diagram. Randomized: 63 therapists with 121 patients.")
    assert "MCBI: allocated 33 therapists, 66 patients" in text
    assert "assessed at follow-up 28 therapists, 44 patients" in text
    assert "diary: allocated 30 therapists, 55 patients" in text
    assert "analysed 32 therapists, 65 patients." in text
    assert "\n" not in text and ".png" not in text


def test_figure_markdown() -> None:
    out = consort.figure_markdown("figures/f.png", "The caption.", "fig-flow", "Line one\nand two")
    assert out == (":::{figure} figures/f.png\n:name: fig-flow\n:alt: Line one and two\n"
                   ":width: 100%\n\nThe caption.\n:::\n")
    with pytest.raises(ValueError, match="figure name"):
        consort.figure_markdown("f.png", "c", "bad name", "alt")


def test_flow_figure_saves_the_png_and_returns_its_directive(tmp_path) -> None:
    out = consort.flow_figure(_counts(), ("MCBI", "control"), {}, str(tmp_path), "01_flow",
                              "fig-flow")
    assert (tmp_path / "figures" / "01_flow.png").stat().st_size > 10_000
    assert out.startswith(":::{figure} figures/01_flow.png\n:name: fig-flow\n:alt: CONSORT")
    assert consort.CAPTION in out
