"""mcbi.trial.codebook: the codebook and scoring key as data."""

from __future__ import annotations

import pytest

from mcbi.trial import codebook

# --- item_runs --------------------------------------------------------------------------


@pytest.mark.parametrize(("numbers", "expected"), [
    ((1, 2, 3, 5), "1\u20133, 5"),
    ((), "\u2014"),
    ((4,), "4"),
    ((1, 2), "1, 2"),
    ((1, 3, 5), "1, 3, 5"),
    ((1, 2, 3, 4, 8, 9, 10), "1\u20134, 8\u201310"),
    ((2, 3, 7, 8), "2, 3, 7, 8"),
    ((1, 2, 3, 7, 8, 12), "1\u20133, 7, 8, 12"),
    ((5, 10, 11, 12), "5, 10\u201312"),
    (tuple(range(1, 40)), "1\u201339"),
])
def test_runs(numbers, expected) -> None:
    assert codebook.item_runs(numbers) == expected


