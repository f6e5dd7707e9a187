"""mcbi.paper.render.apa: APA-style formatting of numbers, p-values and intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mcbi.paper.render import apa
from mcbi.paper.render.apa import (
    fmt_bounded,
    fmt_ci,
    fmt_estimate_ci,
    fmt_num,
    fmt_p,
    fmt_small,
    p_cell,
)

MINUS = "\u2212"
DASH = "\u2014"


# --- fmt_num ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "digits", "expected"), [
    (3.14159, 2, "3.14"),
    (3.14159, 3, "3.142"),
    (3.6, 0, "4"),
    (2, 2, "2.00"),
    (1234.5678, 1, "1234.6"),
    (-1.5, 2, MINUS + "1.50"),
    (-12.345, 1, MINUS + "12.3"),
])
def test_fmt_num_digits_and_minus(value, digits, expected) -> None:
    out = fmt_num(value, digits)
    assert out == expected
    assert "-" not in out  # never a hyphen-minus


@pytest.mark.parametrize("value", [-0.0, -0.004, -0.0049, -1e-12])
def test_fmt_num_no_negative_zero(value) -> None:
    assert fmt_num(value, 2) == "0.00"
    assert fmt_num(value, 2, leading_zero=False) == ".00"


def test_fmt_num_small_negative_rounds_to_nonzero_keeps_sign() -> None:
    assert fmt_num(-0.005001, 2) == MINUS + "0.01"


@pytest.mark.parametrize(("value", "digits", "expected"), [
    (0.5, 2, ".50"),
    (0.034, 3, ".034"),
    (-0.25, 3, MINUS + ".250"),
    (0.999, 3, ".999"),
    (1.5, 2, "1.50"),     # |value| >= 1 keeps its integer part
    (-1.25, 2, MINUS + "1.25"),
    (10.05, 1, "10.1"),
])
def test_fmt_num_apa_without_leading_zero(value, digits, expected) -> None:
    assert fmt_num(value, digits, leading_zero=False) == expected


def test_fmt_num_leading_zero_default_kept() -> None:
    assert fmt_num(0.5) == "0.50"
    assert fmt_num(-0.5) == MINUS + "0.50"


def test_fmt_num_numpy_scalars() -> None:
    assert fmt_num(np.float64(-2.5), 1) == MINUS + "2.5"
    assert fmt_num(np.int64(3), 1) == "3.0"
    assert fmt_num(np.float32(0.25), 2, leading_zero=False) == ".25"


@pytest.mark.parametrize("value", [None, float("nan"), math.inf, -math.inf, np.nan,
                                   np.float64("nan"), np.float64("inf")])
def test_fmt_num_missing_is_dash(value) -> None:
    assert fmt_num(value) == DASH
    assert fmt_num(value, 3, leading_zero=False) == DASH


@pytest.mark.parametrize("value", [np.float32("nan"), pd.NA],
                         ids=["numpy-float32-nan", "pandas-NA"])
def test_fmt_num_other_missing_markers_are_dash(value) -> None:
    # BUG (reported): np.float32 is not a Python float, so NaN passes the missing check and
    # renders as "nan"; pd.NA (nullable dtypes) raises ValueError inside float().
    assert fmt_num(value) == DASH


# --- fmt_p -----------------------------------------------------------------------------


@pytest.mark.parametrize(("p", "expected"), [
    (0.0, "< .001"),
    (1e-10, "< .001"),
    (0.000999, "< .001"),
    (0.001, "= .001"),
    (0.0346, "= .035"),
    (0.034, "= .034"),
    (0.05, "= .050"),
    (0.5, "= .500"),
    (np.float64(0.2), "= .200"),
])
def test_fmt_p(p, expected) -> None:
    assert fmt_p(p) == expected


def test_fmt_p_one_is_valid() -> None:
    out = fmt_p(1.0)
    assert out.startswith("= ") and "0." not in out


@pytest.mark.parametrize("p", [-0.001, -1.0, 1.0001, 2.0])
def test_fmt_p_out_of_range(p) -> None:
    with pytest.raises(ValueError, match="out of range"):
        fmt_p(p)


@pytest.mark.parametrize("p", [None, float("nan"), np.nan, pd.NA])
def test_fmt_p_missing(p) -> None:
    assert fmt_p(p) == DASH


# --- intervals -------------------------------------------------------------------------


def test_fmt_ci() -> None:
    assert fmt_ci(0.1234, 1.5) == "[0.12, 1.50]"
    assert fmt_ci(-1.25, -0.004) == f"[{MINUS}1.25, 0.00]"
    assert fmt_ci(-0.26, 0.24, digits=1) == f"[{MINUS}0.3, 0.2]"
    assert fmt_ci(float("nan"), 1.0) == f"[{DASH}, 1.00]"
    assert fmt_ci(-0.26, 0.24, leading_zero=False) == f"[{MINUS}.26, .24]"


def test_fmt_estimate_ci() -> None:
    assert fmt_estimate_ci(0.5, 0.1, 0.9) == "0.50 [0.10, 0.90]"
    assert fmt_estimate_ci(-0.457, -0.6436, -0.27, 3) == (
        f"{MINUS}0.457 [{MINUS}0.644, {MINUS}0.270]")


@pytest.mark.parametrize(("p", "expected"), [(0.0004, "< .001"), (0.0341, ".034"),
                                             (1.0, "1.000"), (None, "\u2014")])
def test_p_cell_drops_the_equals_sign(p, expected) -> None:
    assert p_cell(p) == expected


# --- bounded statistics, small values, digits ---------------------------------------------


@pytest.mark.parametrize(("value", "digits", "expected"), [
    (0.8712, 2, ".87"), (-0.3, 2, f"{MINUS}.30"), (1.0, 2, "1.00"), (-1.0, 3, f"{MINUS}1.000"),
    (0.9996, 3, "1.000"), (0.0, 2, ".00"), (None, 2, DASH), (float("nan"), 2, DASH),
])
def test_fmt_bounded(value, digits, expected) -> None:
    assert fmt_bounded(value, digits) == expected


@pytest.mark.parametrize("value", [1.01, -1.5, 12.0])
def test_fmt_bounded_rejects_values_beyond_one(value) -> None:
    with pytest.raises(ValueError, match="bounded"):
        fmt_bounded(value)


@pytest.mark.parametrize(("value", "digits", "expected"), [
    (1.1e-08, 3, "< 0.001"), (4e-4, 3, "< 0.001"), (5e-4, 3, "0.001"),
    (0.0123, 3, "0.012"), (0.0, 3, "0.000"), (2.5e-07, 2, "< 0.01"),
    (-3e-9, 3, f"> {MINUS}0.001"), (12345.678, 1, "12345.7"), (None, 3, DASH),
])
def test_fmt_small_never_scientific(value, digits, expected) -> None:
    out = fmt_small(value, digits)
    assert out == expected
    assert "e" not in out.lower()


def test_fmt_small_without_leading_zero() -> None:
    assert fmt_small(1e-6, 3, leading_zero=False) == "< .001"


@pytest.mark.parametrize("value", [1e-12, 1e-5, 1e20, -1e15, 123456789.123])
def test_fmt_num_never_scientific(value) -> None:
    out = fmt_num(value, 3)
    assert "e" not in out.lower() and "E" not in out


@pytest.mark.parametrize("digits", [-1, 1.5, "2", True])
def test_bad_digits_raise(digits) -> None:
    with pytest.raises(ValueError, match="digits"):
        fmt_num(1.0, digits)
    with pytest.raises(ValueError, match="digits"):
        fmt_small(1.0, digits)


@pytest.mark.parametrize(("alpha", "level", "text"), [
    (0.05, "95", ".05"), (0.1, "90", ".10"), (0.025, "97.5", ".025"), (0.01, "99", ".01"),
    (0.005, "99.5", ".005"), (0.001, "99.9", ".001"),
    (0.0001, "99.99", ".0001"), (0.5, "50", ".50"), (0.2, "80", ".20")])
def test_level_and_alpha_texts_for_any_alpha(alpha, level, text) -> None:
    assert apa.ci_pct(alpha) == level
    assert apa.alpha_text(alpha) == text


@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.2, -0.1])
def test_level_refuses_alpha_outside_zero_one(alpha) -> None:
    with pytest.raises(ValueError, match="alpha"):
        apa.ci_pct(alpha)
