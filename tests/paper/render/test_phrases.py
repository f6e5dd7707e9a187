"""mcbi.paper.render.phrases: every phrase follows the numbers, both ways."""

from __future__ import annotations

import math

import pytest

from mcbi.paper.render import phrases


@pytest.mark.parametrize(("value", "expected"), [
    (0.3, "higher"), (-0.28, "lower"), (0.0, "same"), (None, phrases.UNAVAILABLE),
    (math.nan, phrases.UNAVAILABLE)])
def test_direction(value, expected) -> None:
    assert phrases.direction(value, "higher", "lower", "same") == expected


@pytest.mark.parametrize(("p", "expected"), [
    (0.01, "statistically significant"), (0.05, "not statistically significant"),
    (0.2, "not statistically significant"), (None, phrases.UNAVAILABLE)])
def test_significance(p, expected) -> None:
    assert phrases.significance(p, 0.05) == expected


def test_significance_follows_alpha() -> None:
    assert phrases.significance(0.07, 0.10) == "statistically significant"
    assert phrases.significance(0.07, 0.05) == "not statistically significant"
    with pytest.raises(ValueError, match="alpha"):
        phrases.significance(0.01, 1.5)


@pytest.mark.parametrize(("est", "p", "lower_is_better", "expected"), [
    (0.5, 0.01, False, "improved"), (-0.5, 0.01, False, "worsened"),
    (-0.5, 0.01, True, "improved"), (0.5, 0.01, True, "worsened"),
    (0.5, 0.30, False, "did not change clearly"), (math.nan, 0.01, False, phrases.UNAVAILABLE),
    (0.5, None, True, phrases.UNAVAILABLE)])
def test_change_both_ways(est, p, lower_is_better, expected) -> None:
    assert phrases.change(est, p, 0.05, lower_is_better) == expected


def test_compared_flips_with_the_sign() -> None:
    assert phrases.compared(0.4, 0.001) == "higher"
    assert phrases.compared(-0.4, 0.001) == "lower"
    assert phrases.compared(-0.4, 0.4) == "not clearly different"


def test_agreement_and_counts() -> None:
    assert phrases.agreement(True) == "agrees"
    assert phrases.agreement(False) == "differs"
    assert phrases.agreement(None) == phrases.UNAVAILABLE
    assert phrases.count_phrase(1, "therapist") == "1 therapist"
    assert phrases.count_phrase(3, "patient") == "3 patients"
    with pytest.raises(ValueError):
        phrases.count_phrase(-1, "x")


def test_capital_raises_only_the_first_letter() -> None:
    from mcbi.paper.render.phrases import capital

    assert capital("mindfulness skills") == "Mindfulness skills"
    assert capital("EUS-T total") == "EUS-T total" and capital("") == ""


def test_listing_joins_as_a_person_lists() -> None:
    from mcbi.paper.render.phrases import listing

    assert listing([]) == ""
    assert listing(["PMS"]) == "PMS"
    assert listing(("PMS", "TECA")) == "PMS and TECA"
    assert listing(["PMS", "EUS-T", "TECA"]) == "PMS, EUS-T, and TECA"  # APA 7: serial comma
    assert listing(iter(["a", "b", "c", "d"])) == "a, b, c, and d"
    assert listing(["a", "b"], "or") == "a or b" and listing("abc", "or") == "a, b, or c"
