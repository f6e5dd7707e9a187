"""The book's tables: Markdown / MyST rendering and the formatted outcome, sample and
published-findings tables (tidy results in, strings out)."""

from __future__ import annotations

import re

import pandas as pd

from mcbi.paper.apa import fmt_bounded, fmt_estimate_ci, fmt_num, p_cell
from mcbi.paper.outcomes import label
from mcbi.trial import design

WAVE_LABELS: dict[str, str] = {"pre": "pre", "post": "post", "followup": "follow-up"}
"""Reader-facing wave names (the data and the code say ``followup``)."""

_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
_INLINE_SYNTAX = re.compile(r"([\\`*_$])")


def escape_markdown(text: str, keep_code: bool = True) -> str:
    r"""Escape MyST/Markdown inline syntax so that ``text`` shows literally in a table cell.

    Backslashes, backticks, ``*``, ``_`` and ``$`` (dollar math) are backslash-escaped, so
    ``a*b*c1`` is not set in italics and ``a0*a*b`` does not lose its asterisks; ``|`` is
    escaped everywhere (also inside code) so that it cannot split the cell; line breaks
    become spaces. With ``keep_code`` (the default) a complete code span such as
    ```n_items``` stays a code span.

    >>> print(escape_markdown("a0*a*b + n_x | `code_x`"))
    a0\*a\*b + n\_x \| `code_x`
    """
    text = str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    parts, pos = [], 0
    spans = _CODE_SPAN.finditer(text) if keep_code else ()
    for match in spans:
        parts.append(_INLINE_SYNTAX.sub(r"\\\1", text[pos:match.start()]))
        parts.append(match.group(0))
        pos = match.end()
    parts.append(_INLINE_SYNTAX.sub(r"\\\1", text[pos:]))
    return "".join(parts).replace("|", "\\|")


#: Statistical symbols set in italics when they stand alone in a table header (APA 7, 6.45).
ITALIC_SYMBOLS = ("d", "p", "n", "N", "M", "SD", "SE", "t", "z", "r", "b", "F")
_SYMBOL = re.compile(r"(?<![\w\\*`])(" + "|".join(ITALIC_SYMBOLS) + r")(?![\w*\\`])")


def italic_symbols(header: str) -> str:
    """Set the statistical symbols of :data:`ITALIC_SYMBOLS` standing alone in italics.

    Meant for a header already escaped by :func:`escape_markdown`.

    >>> print(italic_symbols("d [95 % CI]"), "|", italic_symbols("p (Holm)"), "|",
    ...       italic_symbols("Depression"))
    *d* [95 % CI] | *p* (Holm) | Depression
    """
    return _SYMBOL.sub(r"*\1*", header)


def markdown_table(frame: pd.DataFrame, align: str | None = None) -> str:
    """Render a DataFrame as a GitHub/MyST pipe table.

    Headers and cells show literally (:func:`escape_markdown`; complete code spans are
    kept), except that statistical symbols standing alone in a header are set in italics
    (:func:`italic_symbols`); a missing value is an empty cell.
    """
    if frame.empty:
        raise ValueError("cannot render an empty table")
    cols = [italic_symbols(escape_markdown(c)) for c in frame.columns]
    align = align or "l" * len(cols)
    if len(align) != len(cols) or set(align) - {"l", "r", "c"}:
        raise ValueError(f"align must give one of l, r, c for each of the {len(cols)} columns")
    marks = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = ["| " + " | ".join(cols) + " |",
             "|" + "|".join(marks[a] for a in align) + "|"]
    for row in frame.itertuples(index=False):
        cells = ["" if pd.isna(v) else escape_markdown(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def myst_table(frame: pd.DataFrame, caption: str, name: str, align: str | None = None) -> str:
    """A numbered MyST ``{table}`` directive around :func:`markdown_table`.

    Display it from a notebook with ``IPython.display.Markdown``; the book renders notebook
    Markdown as MyST, so the table is numbered and ``{numref}`` can refer to ``name``.
    """
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"table name {name!r} must be letters, digits, '-' or '_'")
    return f":::{{table}} {caption}\n:name: {name}\n\n{markdown_table(frame, align)}:::\n"


# --- the book's formatted tables ---------------------------------------------------------


def contrast_summary(table: pd.DataFrame, alpha: float = 0.05,
                     fits: pd.DataFrame | None = None) -> pd.DataFrame:
    """One formatted row per outcome and wave: changes and the between-arm difference.

    Columns: family, outcome, wave, the change from baseline in each arm, the difference
    in change [CI at ``1 - alpha``], Cohen's d [CI], the Holm-adjusted p and, with ``fits``
    (:attr:`mcbi.paper.models.OutcomeAnalysis.fits`), a ``Model notes`` column flagging
    singular, simplified and not estimable models. Waves with no estimate for any outcome
    (e.g. not collected) are left out; a single missing contrast shows its status.
    """
    level = f"{100 * (1 - alpha):.10g}%"
    status = table["status"] if "status" in table else pd.Series("ok", index=table.index)
    waves = [w for w in design.WAVES[1:] if ((table["time"].astype(str) == w)
                                             & (status == "ok")).any()]
    notes = {} if fits is None else {r.outcome: _model_note(r) for r in fits.itertuples()}
    rows = []
    for (family, _, outcome), sub in table.groupby(["family", "outcome", "label"], sort=False):
        for wave in waves:
            s = sub[sub["time"].astype(str) == wave]
            row = {"Family": family, "Outcome": outcome, "Wave": WAVE_LABELS.get(wave, wave)}
            for arm in design.ARMS:
                w = s[(s["contrast"] == "within") & (s["group"] == arm)].iloc[0]
                row[f"Δ {arm}"] = fmt_num(w["estimate"], 2)
            b = s[s["contrast"] == "between"].iloc[0]
            ok = not pd.isna(b["estimate"])
            row[f"Difference [{level} CI]"] = (fmt_estimate_ci(b["estimate"], b["ci_lower"],
                                                               b["ci_upper"])
                                               if ok else str(b.get("status", "—")))
            row[f"d [{level} CI]"] = (fmt_estimate_ci(b["d"], b["d_ci_lower"],
                                                      b["d_ci_upper"]) if ok else "—")
            row["p (Holm)"] = p_cell(b["p_holm"])
            if fits is not None:
                row["Model notes"] = notes.get(b["outcome"], "") if wave == waves[0] else ""
            rows.append(row)
    return pd.DataFrame(rows)


def _model_note(fit) -> str:
    """Flags of one model: not estimable, simplified structure, variance components at 0."""
    if not fit.estimable:
        return f"not estimable: {fit.note}" if fit.note else "not estimable"
    flags = []
    if fit.structure != fit.requested:
        flags.append(f"simplified: {fit.structure}")
    if fit.singular:
        flags.append(f"singular: {fit.zero_components} variance = 0")
    return "; ".join(flags)


def baseline_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`mcbi.paper.sample.baseline_table` with the SMD formatted and display headers."""
    out = table.copy()
    out["smd"] = out["smd"].map(lambda v: fmt_num(v, 2))
    return out.rename(columns={"characteristic": "Characteristic", "smd": "SMD",
                               design.CONTROL: "Control", design.TREATED: "MCBI"})


_COMPONENTS = {"cluster": "Therapist variance", "subject": "Patient variance",
               "cluster_time": "Therapist × wave variance", "residual": "Residual variance",
               "icc": "ICC (therapist)",
               **{f"cluster_time[{w}]": f"Therapist × {WAVE_LABELS.get(w, w)} variance"
                  for w in design.WAVES},
               **{f"icc_{w}": f"ICC {WAVE_LABELS.get(w, w)}" for w in design.WAVES}}


def variance_display(variance: pd.DataFrame) -> pd.DataFrame:
    """:func:`mcbi.paper.models.variance_table` with outcome labels and three decimals.

    The ICC, a proportion, has no leading zero (APA).
    """
    out = variance.reset_index().rename(columns={"outcome": "Outcome", **_COMPONENTS})
    out["Outcome"] = out["Outcome"].map(label)
    for c in out.columns[1:]:
        fmt = fmt_bounded if str(c).startswith("ICC") else fmt_num
        out[c] = out[c].map(lambda v, fmt=fmt: fmt(v, 3))
    return out


def published_display(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`mcbi.paper.published.published_comparison` formatted for the book."""
    return comparison.assign(
        estimate=comparison["estimate"].map(lambda v: fmt_num(v, 2)),
        p_holm=comparison["p_holm"].map(p_cell),
        wave=comparison["wave"].map(lambda w: WAVE_LABELS.get(w, w)),
    ).drop(columns=["scale", "agrees"]).rename(columns={
        "who": "Who", "outcome": "Outcome", "wave": "Wave", "published": "Published",
        "this_build": "This build", "estimate": "Estimate", "p_holm": "p (Holm)",
        "agreement": "Agreement"})
