"""How the book prints each recorded result (the precision ``mcbi verify`` compares at)."""

from __future__ import annotations

import math

import pytest

from mcbi.paper.precision import digits, is_p_value, printed
from mcbi.paper.render.apa import DASH


@pytest.mark.parametrize("name, expected", [
    ("02_therapists.pms_post_diff_p", True), ("02_therapists.pms_post_diff_pholm", True),
    ("05_mechanisms.fit_pvalue", True), ("01_sample.max_smd_p", False),
    ("01_sample.p_n", False), ("02_therapists.pms_post_diff", False),
])
def test_p_values_are_recognised_by_name(name: str, expected: bool) -> None:
    assert is_p_value(name) is expected


def test_digits_follow_format_p_section_and_fit_index_rules() -> None:
    assert digits("01_sample.n_patients", ".0f") == 0
    assert digits("02_therapists.pms_post_diff_p") == "p"
    assert digits("05_mechanisms.indirect_ab") == 3
    assert digits("02_therapists.fit_rmsea") == 3
    assert digits("02_therapists.pms_post_diff") == 2
    assert digits("02_therapists.pms_post_diff", "s") == 2  # a text format says nothing


def test_printed_forms() -> None:
    assert printed("02_therapists.pms_post_diff", -0.5349) == "\u22120.53"
    assert printed("02_therapists.pms_post_diff_p", 0.00049) == "< .001"
    assert printed("02_therapists.pms_post_diff_p", 0.0341) == "= .034"
    assert printed("02_therapists.pms_post_diff_p", 3.5) == "3.500"  # not a probability
    assert printed("01_sample.n_patients", 121.0, ".0f") == "121"
    assert printed("02_therapists.x", None) == printed("02_therapists.x", math.nan) == DASH
    assert printed("02_therapists.x_summary", "0.53 [0.21, 0.85]") == "0.53 [0.21, 0.85]"
