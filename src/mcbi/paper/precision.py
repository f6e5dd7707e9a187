"""How the book prints each recorded result: the form a reader sees, for comparing builds.

Every number the book reports is recorded by name in the build's manifest
(:mod:`mcbi.paper.render.results`). Two builds report the same number when it *prints* the same,
so a comparison needs the precision at which each result is printed:

- text results (preformatted sentences, ``*_apa`` p values) are their printed form;
- a number glued into prose with a format (``{glue:text}`name:.0f```) prints with that
  format (``spec``; found by the caller in the pages' Markdown);
- p values (names ending ``_p``, ``_pholm``, ``_pvalue``) print in APA style
  (:func:`mcbi.paper.render.apa.fmt_p`: ``< .001``, ``= .034``);
- the mechanism's estimates, standard errors and intraclass correlations (chapter
  ``05_mechanisms``) and fit indices (CFI, TLI, RMSEA, SRMR) print with three decimals;
- every other number prints with two decimals (APA's default).
"""

from __future__ import annotations

import math
import re
from typing import Any

from mcbi.paper.render.apa import DASH, fmt_num, fmt_p

P_TAILS = ("_p", "_pholm", "_pvalue", "_p_holm")
"""Name endings of p values (``fit_pvalue``, ``pms_post_diff_pholm``)."""

NOT_P = frozenset({"max_smd_p"})
"""Names ending like a p value that are not one (``max_smd_p``: the patients' largest SMD)."""

THREE_DECIMAL_SECTIONS = frozenset({"05_mechanisms"})
"""Sections whose tables and prose print their estimates with three decimals."""

THREE_DECIMAL_TAILS = ("_cfi", "_tli", "_rmsea", "_srmr_within", "_srmr_between", "_srmr")
"""Fit indices: three decimals wherever they appear."""

_SPEC = re.compile(r"\.(\d+)f")


def is_p_value(name: str) -> bool:
    """Whether the result ``name`` (``section.result`` or ``result``) is a p value."""
    short = name.split(".", 1)[-1]
    return (short not in NOT_P and short.endswith(P_TAILS)) or short in ("p", "pvalue")


def digits(name: str, spec: str | None = None) -> int | str:
    """Decimals the book prints ``name`` with, or ``"p"`` for APA p formatting.

    Parameters
    ----------
    name : str
        ``"<section>.<result>"`` as in the manifest.
    spec : str, optional
        The glue format the prose uses (``".0f"``, ``".1f"``, ``"s"``); ``.Nf`` wins.
    """
    found = _SPEC.fullmatch(spec or "")
    if found:
        return int(found.group(1))
    if is_p_value(name):
        return "p"
    section, _, short = name.partition(".")
    if section in THREE_DECIMAL_SECTIONS or f"_{short}".endswith(THREE_DECIMAL_TAILS):
        return 3
    return 2


def printed(name: str, value: Any, spec: str | None = None) -> str:
    """Return ``value`` as the book prints the result ``name``.

    Texts are returned as they are; missing numbers (None, NaN) print as an em dash.

    Examples
    --------
    >>> printed("02_therapists.pms_post_diff", 0.5349), printed("x.pms_post_diff_p", 0.0004)
    ('0.53', '< .001')
    >>> printed("05_mechanisms.indirect_ab", 0.45243), printed("01_sample.n_mcbi", 33.0, ".0f")
    ('0.452', '33')
    """
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return DASH if value is None else str(value)
    if not math.isfinite(value):
        return DASH
    places = digits(name, spec)
    if places == "p":
        if 0 <= value <= 1:
            return fmt_p(value)
        places = 3  # not a probability: shown as a number, so that it can be compared
    return fmt_num(value, int(places))
