"""The notebooks' parameters: one rule each (type and range), checked at the door.

The command line checks every value a user gives (``run -p``) and every value a build
passes against these rules before any kernel starts; the notebooks check their own
parameters with the same rules when papermill runs them directly. A parameter without a
rule here is checked only for its type (against the notebook's default, see
:func:`mcbi.book.sections.parse_overrides`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcbi.errors import ParameterError

__all__ = ["RULES", "SET_BY_COMMAND", "Rule", "check", "check_all"]


@dataclass(frozen=True)
class Rule:
    """What a parameter accepts: a predicate and the words that say it."""

    accepts: Callable[[Any], bool]
    expects: str


def _number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(float(value)))


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integers(low: int) -> Callable[[Any], bool]:
    return lambda v: (isinstance(v, (list, tuple)) and len(v) > 0
                      and all(_integer(x) and x >= low for x in v))


RULES: dict[str, Rule] = {
    "alpha": Rule(lambda v: _number(v) and 0.0 < float(v) <= 0.5,
                  "a significance level above 0 and at most 0.5, e.g. 0.05"),
    "min_cell": Rule(lambda v: _integer(v) and v >= 0, "a whole number of at least 0"),
    "min_n": Rule(lambda v: _integer(v) and v >= 2, "a whole number of at least 2"),
    "n_draws": Rule(lambda v: _integer(v) and v >= 1000,
                    "a whole number of Monte Carlo draws of at least 1000"),
    "seed": Rule(lambda v: _integer(v) and v >= 0, "a whole number of at least 0"),
    "reps": Rule(lambda v: _integer(v) and v >= 2, "a whole number of at least 2"),
    "workers": Rule(lambda v: _integer(v) and v >= 1, "a whole number of at least 1"),
    "therapists": Rule(_integers(4), "a list of numbers of therapists, each at least 4 "
                                     "(2 per arm), e.g. [30, 63]"),
    "patients_per_therapist": Rule(_integers(1), "a list of whole numbers, each at least 1, "
                                                 "e.g. [1, 2, 4]"),
    "imputations": Rule(lambda v: _integer(v) and v >= 2,
                        "a whole number of imputations of at least 2"),
    "deltas": Rule(lambda v: isinstance(v, (list, tuple)) and len(v) > 0
                   and all(_number(x) for x in v) and len(set(v)) == len(v),
                   "a list of distinct numbers (shifts in baseline SDs), e.g. [-0.5, 0.0, 0.5]"),
}
"""Rule of every range-restricted notebook parameter, by name."""

SET_BY_COMMAND = frozenset({"data_sha256", "synthetic"})
"""Parameters the command sets from the data it checked; a user may not override them."""


def check(section: str, name: str, value: Any) -> None:
    """Refuse ``value`` for parameter ``name`` of ``section`` if it breaks the rule.

    Raises
    ------
    ParameterError
        Naming the section, the parameter, what it expects and the value given.
    """
    rule = RULES.get(name)
    if rule is not None and not rule.accepts(value):
        raise ParameterError(f"parameter {name} of {section} must be {rule.expects}; "
                             f"got {value!r}")


def check_all(section: str, values: dict[str, Any]) -> None:
    """:func:`check` every parameter in ``values`` (the first broken rule raises)."""
    for name, value in values.items():
        check(section, name, value)
