"""mcbi.paper.mechanism.words: codes into a reader's words."""

from __future__ import annotations

import pytest

from mcbi.paper.mechanism import words
from mcbi.paper.mechanism.ladder import RUNGS


def test_every_rung_has_words() -> None:
    for rung in RUNGS:
        text = words.rung_words(rung.name)
        assert text != rung.name and "_" not in text and text.startswith("the ")


@pytest.mark.parametrize(("raw", "expected"), [
    ("not converged (CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH)",
     "the optimiser did not converge"),
    ("not converged: x; max|grad| = 240000000", "the optimiser did not converge"),
    ("inadmissible: Heywood case: negative variance som ~~ som (level 2) = -0.2",
     "the between-therapist variance of Δ somatization (BSI-18) was estimated below zero "
     "(−0.200)"),
    ("near-zero between-level variance dep ~~ dep (level 2) = 2e-06 (SE nan)",
     "the between-therapist variance of Δ depression (BSI-18) was estimated at or near zero"),
])
def test_warning_words(raw, expected) -> None:
    assert words.warning_words(raw) == expected


def test_near_zero_only_when_it_is() -> None:
    text = words.warning_words(
        "near-zero between-level variance som ~~ som (level 2) = 3.215 (SE 4.02)")
    assert "near zero" not in text and "3.215" in text and "nan" not in text


def test_symbols_and_expressions() -> None:
    assert [words.symbol(x) for x in ("a0", "a", "b_w", "c_w3", "d2")] == \
        ["a₀", "a", "b′", "c′₃", "d₂"]
    assert words.expression("a0*(a*b*c1 + a*d1)") == "a₀ × (a × b × c₁ + a × d₁)"
