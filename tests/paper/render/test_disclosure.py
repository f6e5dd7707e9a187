"""mcbi.paper.render.disclosure: small counts suppressed in descriptive tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.paper.render import disclosure


def test_suppress_small_counts_replaces_one_to_threshold_minus_one() -> None:
    frame = pd.DataFrame({"stage": ["a", "b", "c", "d", "e"], "n": [0, 1, 4, 5, 120],
                          "m": [3, 7, np.nan, 2, 0]})
    out = disclosure.suppress_small_counts(frame, ["n", "m"], 5)
    assert out["n"].tolist() == ["0", "< 5", "< 5", "5", "120"]
    assert out["m"].tolist() == ["< 5", "7", "—", "< 5", "0"]
    assert out["stage"].tolist() == frame["stage"].tolist()  # other columns untouched
    assert frame["n"].tolist() == [0, 1, 4, 5, 120]  # the input is not changed


@pytest.mark.parametrize("threshold", [0, 1])
def test_threshold_zero_or_one_shows_everything(threshold) -> None:
    out = disclosure.suppress_small_counts(pd.DataFrame({"n": [0, 1, 2]}), ["n"], threshold)
    assert out["n"].tolist() == ["0", "1", "2"]


@pytest.mark.parametrize("threshold", [-1, 2.5, True, "5"])
def test_bad_threshold(threshold) -> None:
    with pytest.raises(ValueError, match="threshold"):
        disclosure.suppress_small_counts(pd.DataFrame({"n": [1]}), ["n"], threshold)


def test_bad_columns_and_values() -> None:
    with pytest.raises(ValueError, match="not in the table"):
        disclosure.suppress_small_counts(pd.DataFrame({"n": [1]}), ["x"], 5)
    for bad in ([1.5], [-2], ["many"]):
        with pytest.raises(ValueError, match="not counts"):
            disclosure.suppress_small_counts(pd.DataFrame({"n": bad}), ["n"], 5)


def test_count_and_percent_cells() -> None:
    assert disclosure.count_percent_text(3, 10, 5) == "< 5"
    assert disclosure.count_percent_text(6, 10, 5) == "6 (60%)"
    assert disclosure.count_percent_text(0, 10, 5) == "0 (0%)"
    assert disclosure.count_percent_text(0, 0, 5) == "0 (—)"
    assert disclosure.count_text(None, 5) == "—"
    assert disclosure.is_small(4, 5) and not disclosure.is_small(0, 5)
    assert not disclosure.is_small(float("nan"), 5)


def test_disclosure_sentence_names_the_threshold_or_says_all_shown() -> None:
    assert disclosure.disclosure_sentence(0) == "All counts are shown in full."
    text = disclosure.disclosure_sentence(10)
    assert "“< 10”" in text and "1 to 9 people" in text


def test_rule_sentence() -> None:
    assert "min_cell is 0" in disclosure.rule_sentence(0)
    assert "1 to 4 people" in disclosure.rule_sentence(5)
    with pytest.raises(ValueError):
        disclosure.rule_sentence(-1)
