"""The mechanism chapter's displays: formatted tables, notes and the path-diagram layout.

Tidy results in (the estimates of :mod:`mcbi.stats.msem`, the comparisons of
:mod:`mcbi.paper.mechanism.compare`), strings out.
"""

from __future__ import annotations

import pandas as pd

from mcbi.paper.mechanism import names
from mcbi.paper.mechanism.compare import BOND_SYMPTOM, MechanismAnalysis, contract_values
from mcbi.paper.mechanism.ladder import RUNGS, LadderResult, Rung
from mcbi.paper.mechanism.model import INDIRECT, VARIABLES
from mcbi.paper.mechanism.words import expression, reason_words, rung_words, symbol, warning_words
from mcbi.paper.render import phrases
from mcbi.paper.render.apa import fmt_bounded, fmt_ci, fmt_estimate_ci, fmt_num, p_cell
from mcbi.paper.render.phrases import count_phrase
from mcbi.paper.render.tables import myst_table
from mcbi.paper.render.templates import fill

LEVELS = {1: "within", 2: "between"}

DIAGRAM_LABELS = {"mcbi": "Arm\n(MCBI = 1)", "pms": "\u0394 Mindfulness\nskills (PMS)",
                  "eusp": "\u0394 Perceived\nempathy (EUS-P)", "bond": "\u0394 Therapeutic\nbond",
                  "som": "\u0394 Somatization", "dep": "\u0394 Depression", "anx": "\u0394 Anxiety"}
"""The path diagram's node labels (words; the caption names each in full)."""

# inches on the printed page, between therapists above within. Between: arm -> PMS down the
# left, PMS -> EUS-P along the bottom, the bond above and EUS-P below the row of symptoms,
# and EUS-P -> bond around the row's left end, so that no two arrows cross.
_BETWEEN = ((6.5, 4.6), {"mcbi": (0.7, 4.15), "pms": (0.7, 0.45), "eusp": (4.3, 0.45),
                         "bond": (4.3, 4.15), "som": (2.75, 2.3), "dep": (4.3, 2.3),
                         "anx": (5.85, 2.3)}, {("eusp", "bond"): [(1.45, 1.25), (1.45, 3.4)]})
_WITHIN = ((6.5, 2.4), {"eusp": (0.7, 1.2), "bond": (2.85, 1.2), "som": (5.8, 2.05),
                        "dep": (5.8, 1.2), "anx": (5.8, 0.35)}, {})

_FIT_NAMES = {"logl": "log-likelihood", "npar": "free parameters", "chisq": "χ²", "df": "df",
              "pvalue": "p (χ²)", "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA",
              "srmr_within": "SRMR within", "srmr_between": "SRMR between", "aic": "AIC",
              "bic": "BIC", "ntotal": "patients (level 1)",
              "nclusters": "therapists (level 2)"}
_COUNTS = ("npar", "df", "ntotal", "nclusters")
_BOUNDED = ("pvalue", "cfi")


def _path(frame: pd.DataFrame) -> pd.Series:
    return frame["rhs"].map(VARIABLES) + " → " + frame["lhs"].map(VARIABLES)


def warnings_note(warnings: list[str], n_failed: int = 0) -> str:
    """A MyST admonition listing the reported fit's warnings in a reader's words
    (:func:`~mcbi.paper.mechanism.words.warning_words`), or a note that it raised none.

    ``n_failed`` rungs failed before the reported one: the note then says that the absence
    of warnings is the reported model's, not the ladder's.
    """
    items = list(dict.fromkeys(warning_words(w) for w in warnings))
    if items:
        head = ("The reported model raised one warning" if len(items) == 1 else
                f"The reported model raised {len(items)} warnings")
        listed = "\n".join(f"- {w[0].upper() + w[1:]}." for w in items)
        return f":::{{admonition}} {head}\n:class: caution\n{listed}\n:::\n"
    before = ("" if not n_failed else
              f" ({count_phrase(n_failed, 'earlier rung')} of the ladder failed, for the "
              "reasons in the ladder table)")
    return (":::{note}\nThe reported model's fit raised no warning: it converged, with no "
            "negative or poorly determined variance and positive-definite implied covariance "
            f"matrices{before}.\n:::\n")


def _edge_text(row: object) -> str:
    """"0.45 [0.12, 0.78]" with true minus signs; the estimate alone without an interval."""
    lo, hi = getattr(row, "ci_lower", None), getattr(row, "ci_upper", None)
    text = (fmt_estimate_ci(row.estimate, lo, hi) if pd.notna(lo) and pd.notna(hi)
            else fmt_num(row.estimate, 2))
    return text.replace("-", "\u2212")


def diagram_panels(estimates: pd.DataFrame, alpha: float) -> list[dict]:
    """The two panels of the path diagram (:func:`mcbi.paper.mechanism.figures.path_diagram`),
    between therapists above, within therapists below.

    One arrow per regression of ``estimates`` (so any rung of the ladder can be drawn),
    carrying its estimate and interval ("0.45 [0.12, 0.78]") and marked significant when its
    p is below ``alpha`` (the others are drawn dashed); only the variables that a regression
    names are drawn, labelled with :data:`DIAGRAM_LABELS`.
    """
    def panel(level: int, title: str, layout: tuple) -> dict:
        size, places, via = layout
        rows = estimates[(estimates["op"] == "~") & (estimates["level"] == level)]
        edges = [(r.rhs, r.lhs, _edge_text(r), bool(pd.notna(r.pvalue) and r.pvalue < alpha))
                 for r in rows.itertuples(index=False)]
        used = {v for src, dst, _, _ in edges for v in (src, dst)}
        return {"title": title, "size": size, "edges": edges,
                "via": {k: v for k, v in via.items() if k in {(s, d) for s, d, _, _ in edges}},
                "nodes": {k: (*xy, DIAGRAM_LABELS[k]) for k, xy in places.items() if k in used}}

    return [panel(2, "Between therapists (level 2)", _BETWEEN),
            panel(1, "Within therapists (level 1)", _WITHIN)]


def paths_table(estimates: pd.DataFrame) -> pd.DataFrame:
    """The regression paths: level, label, path, estimate [CI], SE and p."""
    paths = estimates[estimates["op"] == "~"]
    return pd.DataFrame({
        "Level": paths["level"].map(LEVELS),
        "Symbol": paths["label"].map(lambda v: "" if pd.isna(v) else symbol(v)),
        "Path": _path(paths),
        "Estimate [CI]": [fmt_estimate_ci(e, lo, hi) for e, lo, hi in
                          zip(paths["estimate"], paths["ci_lower"], paths["ci_upper"],
                              strict=True)],
        "SE": paths["se"].map(lambda v: fmt_num(v, 3)),
        "p": paths["pvalue"].map(p_cell),
    })


def indirect_table(estimates: pd.DataFrame, monte_carlo: pd.DataFrame) -> pd.DataFrame:
    """The defined (indirect) effects: definition, estimate, delta-method SE, Monte Carlo CI.

    ``monte_carlo`` has one row per defined parameter (``name, expression, estimate,
    ci_lower, ci_upper``); the SE comes from the ``:=`` rows of ``estimates``.
    """
    defined = estimates.loc[estimates["op"] == ":=", ["lhs", "se"]].rename(
        columns={"lhs": "name"})
    ind = monte_carlo.merge(defined, on="name", how="left", validate="one_to_one")
    return pd.DataFrame({
        "Effect": ind["name"].map(lambda n: INDIRECT.get(n, n)),
        "Definition": ind["expression"].map(expression),
        "Estimate": ind["estimate"].map(lambda v: fmt_num(v, 3)),
        "Delta SE": ind["se"].map(lambda v: fmt_num(v, 3)),
        "Monte Carlo CI": [fmt_ci(lo, hi, 3) for lo, hi in
                           zip(ind["ci_lower"], ind["ci_upper"], strict=True)],
    })


def fit_table(fit_measures: dict, icc: pd.Series) -> pd.DataFrame:
    """Fit measures and the intraclass correlations of the change scores, formatted."""
    def value(key: str) -> str:
        v = fit_measures.get(key)
        if key in _BOUNDED:  # APA: no leading zero on a statistic that cannot exceed 1
            return fmt_bounded(None if v is None else min(float(v), 1.0), 3)
        return fmt_num(v, 0 if key in _COUNTS else 3)

    fit = pd.DataFrame({"Measure": list(_FIT_NAMES.values()),
                        "Value": [value(k) for k in _FIT_NAMES]})
    iccs = pd.DataFrame({"Measure": [f"ICC {VARIABLES.get(v, v)}" for v in icc.index],
                         "Value": [fmt_num(v, 3) for v in icc]})
    return pd.concat([fit, iccs])


def truth_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`mcbi.paper.mechanism.compare.truth_comparison`, formatted."""
    c = comparison
    return pd.DataFrame({
        "Symbol": c["label"].map(symbol),
        "Level": c["level"].map(LEVELS),
        "Path": _path(c),
        "True": c["true"].map(lambda v: fmt_num(v, 3)),
        "Latent changes [CI]": [fmt_estimate_ci(e, lo, hi, 3) for e, lo, hi in
                                zip(c["latent_estimate"], c["latent_ci_lower"],
                                    c["latent_ci_upper"], strict=True)],
        "Covered": c["covered"].map({True: "yes", False: "no"}),
        "Observed scores": c["observed_estimate"].map(lambda v: fmt_num(v, 3)),
    })


def single_level_table(side: pd.DataFrame) -> pd.DataFrame:
    """:func:`mcbi.paper.mechanism.compare.single_level_comparison`, formatted."""
    def est_se(est: pd.Series, se: pd.Series) -> list[str]:
        return [f"{fmt_num(e, 3)} ({fmt_num(s, 3)})" for e, s in zip(est, se, strict=True)]

    return pd.DataFrame({
        "Symbol": side["label"].map(symbol),
        "Path": _path(side),
        "Two-level (between) est (SE)": est_se(side["estimate"], side["se"]),
        "Single-level est (SE)": est_se(side["single_estimate"], side["single_se"]),
        "SE ratio (single / two-level)": side["se_ratio"].map(lambda v: fmt_num(v, 2)),
    })


# --- the ladder, the claim and the conditional paragraphs -------------------------------

RUNG_RESTRICTIONS = {
    "full": "nothing (the model as specified, unrestricted maximum likelihood)",
    "full_bounded": "every variance at or above 0",
    "diagonal_between": ("every variance at or above 0; between-therapist residual "
                         "covariances of the outcomes fixed at 0"),
    "chain": ("every variance at or above 0; the arm → ΔPMS → ΔEUS-P → Δbond chain alone "
              "(no symptoms)"),
}
"""What each rung of :data:`mcbi.paper.mechanism.ladder.RUNGS` restricts, in words."""


def ladder_table(ladder: LadderResult, rungs: tuple[Rung, ...] = RUNGS) -> pd.DataFrame:
    """One row per rung of the ladder: name, what it restricts, outcome and reason.

    Rungs after the reported one are listed as not tried; when the data's structure rules
    every rung out (``ladder.stopped``), each is listed as not fitted and the reason is
    given once, in the no-estimate note.
    """
    tried = {o.rung.name: o for o in ladder.outcomes}
    rows = []
    for rung in rungs:
        out = tried.get(rung.name)
        if out is None:
            outcome, reason = "not tried", "an earlier rung passed"
        elif ladder.stopped:
            outcome, reason = "not fitted", "the data rule every rung out (see below)"
        elif out.passed:
            outcome, reason = "passed: reported", ""
        else:
            outcome, reason = "failed", reason_words(out.reasons)
        rows.append((str(len(rows) + 1), rung_words(rung.name)[0].upper()
                     + rung_words(rung.name)[1:], outcome, reason))
    return pd.DataFrame(rows, columns=["Rung", "Model", "Outcome", "Reason"])


def ladder_sentence(ladder: LadderResult) -> str:
    """Which rung is reported, or that none passed (plain text for glue)."""
    if ladder.chosen is None:
        if ladder.stopped:
            return ("No rung was fitted: which cells of these data are observed rules the "
                    "model out (the reason is given below), so this build reports no estimate "
                    "of the mechanism.")
        return ("No rung passed, so this build reports no estimate of the mechanism; the "
                "reasons are listed below.")
    n = len(ladder.outcomes)
    before = ("the first rung: " if n == 1 else
              f"rung {n}, after {count_phrase(n - 1, 'earlier rung')} failed: ")
    return (f"The reported model is {before}{rung_words(ladder.chosen.rung.name)}. "
            "Every number below (paths, indirect effects, fit, the comparison with the article, "
            "and the further checks) comes from this model.")


def reason_sentence(ladder: LadderResult) -> str:
    """Why no rung gave an estimate, in a reader's words ("" when one passed)."""
    if ladder.chosen is not None:
        return ""
    if ladder.stopped:
        return "No rung was fitted: " + "; ".join(ladder.stopped) + "."
    return "Every rung failed. " + " ".join(
        f"Rung {i} ({rung_words(o.rung.name)}): {reason_words(o.reasons)}."
        for i, o in enumerate(ladder.outcomes, 1))


def key_sentence(ladder: LadderResult, claims: pd.DataFrame) -> str:
    """The Key results' sentence on the mechanism: which model, and how many of the
    article's claims were estimable and reproduced (plain text; no zero counts)."""
    if ladder.chosen is None:
        return ("In this build no model of the ladder passed, so there is no estimate of the "
                "mechanism; the chapter gives the reasons.")
    verdicts = [phrases.reproduced(e, lo, hi, int(s)) for e, lo, hi, s in
                zip(claims["estimate"], claims["ci_lower"], claims["ci_upper"],
                    claims["sign"], strict=True)]
    n = len(verdicts)
    est = n - verdicts.count(phrases.UNAVAILABLE)
    rep = verdicts.count("reproduced")
    counted = (f"all {n} could be estimated" if est == n else
               f"{est} could be estimated" if est else "none could be estimated")
    reproduced = ("none was reproduced" if rep == 0 else
                  f"{'all' if rep == est and est > 1 else rep} "
                  f"{'was' if rep == 1 else 'were'} reproduced")
    return (f"In this build that is {rung_words(ladder.chosen.rung.name)}. Of the article's "
            f"{n} claims about the chain's paths and indirect effects, {counted} and "
            f"{reproduced} (an interval that excludes zero in the published direction).")


def no_estimate_note(reason: str) -> str:
    """The MyST admonition shown when no rung of the ladder passed."""
    return (":::{admonition} No estimate of the mechanism\n:class: caution\n"
            "No rung of the ladder gave an estimate, so the paths, indirect effects, fit measures, "
            f"and comparisons that need estimates are not shown. {reason}\n:::\n")


_CLAIM_TEXT = {"a": ("eusp", "pms"), "b": ("bond", "eusp"), "c1": ("som", "bond"),
               "c2": ("dep", "bond"), "c3": ("anx", "bond")}


def claims_table(claims: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """:func:`mcbi.paper.mechanism.compare.claims_comparison`, formatted, with the phrase."""
    def link(label: str) -> str:
        if label in _CLAIM_TEXT:
            dst, src = _CLAIM_TEXT[label]
            return f"{VARIABLES[src]} → {VARIABLES[dst]} (between, path {symbol(label)})"
        return f"indirect: {INDIRECT.get(label, label)}"

    return pd.DataFrame({
        "Link of the chain": claims["label"].map(link),
        "Published direction": claims["sign"].map({1: "positive", -1: "negative"}),
        "This build [CI]": [fmt_estimate_ci(e, lo, hi, digits) for e, lo, hi in
                            zip(claims["estimate"], claims["ci_lower"], claims["ci_upper"],
                                strict=True)],
        "Verdict": [phrases.reproduced(e, lo, hi, int(s)) for e, lo, hi, s in
                    zip(claims["estimate"], claims["ci_lower"], claims["ci_upper"],
                        claims["sign"], strict=True)],
    })


def bond_symptom_sentence(claims: pd.DataFrame, labels: tuple[str, ...] = BOND_SYMPTOM) -> str:
    """Whether the between-therapist Δbond → symptom paths are reproduced (plain text)."""
    rows = claims[claims["label"].isin(labels)]
    verdicts = [phrases.reproduced(r.estimate, r.ci_lower, r.ci_upper, int(r.sign))
                for r in rows.itertuples(index=False)]
    names = [VARIABLES[_CLAIM_TEXT[lab][0]] for lab in rows["label"]]
    k, n = verdicts.count("reproduced"), len(verdicts)
    head = "Between therapists, the paths from Δ bond to the symptom changes are"
    if verdicts.count(phrases.UNAVAILABLE) == n:
        return f"{head} {phrases.UNAVAILABLE}: this build has no estimate of them."
    if k == n:
        return f"{head} {verdicts[0]} for all {n} symptoms."
    if k == 0 and phrases.UNAVAILABLE not in verdicts:
        return f"{head} {verdicts[0]} for any of the {n} symptoms."
    listed = "; ".join(f"{nm}: {v}" for nm, v in zip(names, verdicts, strict=True))
    return f"{head} reproduced for {k} of {n} symptoms ({listed})."


TEMPLATE = "book/templates/mechanism.md"
"""The chapter's figure block and table captions (Markdown), relative to the project root;
the notebook reads it (:func:`mcbi.paper.render.templates.read_template`) and passes its
blocks to :func:`section`."""

_ALIGN = {"ladder": "llll", "paths": "lllrrr", "indirect": "llrrr", "fit": "lr",
          "claims": "llrl", "single": "llrrr", "truth": "lllrrlr"}
"""Column alignment of each numbered table of the chapter (its caption is the template's
``caption-<name>`` block)."""
_DIGITS = {"ci_level": 0, "fit_df": 0, "truth_covered": 0, "truth_n": 0,
           "truth_sign_agree": 0, "fit_cfi": 3, "fit_tli": 3, "fit_rmsea": 3,
           "fit_srmr_within": 3, "fit_srmr_between": 3}


def paragraph(blocks: dict[str, str], section: str, values: dict) -> str:
    """Block ``section`` of the chapter's template with ``values`` filled in (``${name}``).

    Shown only when the section's table or figure is displayed, so that no ``{numref}``
    points to a missing label. Numbers are formatted with :func:`~mcbi.paper.render.apa.fmt_num`
    (2 decimals unless listed in ``_DIGITS``; a missing one prints as a dash); strings are
    inserted as given. Raises ``ValueError`` for a missing block or value.
    """
    text = {k: v if isinstance(v, str) else fmt_num(v, _DIGITS.get(k, 2))
            for k, v in values.items()}
    return fill(blocks, section, text, "the mechanism template") + "\n"


def chapter_values(mech: MechanismAnalysis, n_draws: int, seed: int,
                   level: float) -> dict:
    """Every glued value of the mechanism chapter (see :mod:`mcbi.paper.mechanism.names`).

    The stable contract of :func:`mcbi.paper.mechanism.compare.contract_values`
    (``mechanism_model``, ``path_a``, ``path_b``, ``indirect_ab``, their intervals,
    ``mechanism_reason``), ``mechanism_sentence``, the reported fit's
    :func:`~mcbi.paper.mechanism.names.msem_values` (only when a rung passed), the claim's
    :func:`~mcbi.paper.mechanism.names.claims_values` with ``mech_bond_sentence``, and the truth and
    single-level values.
    """
    values = contract_values(mech.ladder, mech.monte_carlo, n_draws, seed, level)
    values["mechanism_sentence"] = ladder_sentence(mech.ladder)
    values["mechanism_key_sentence"] = key_sentence(mech.ladder, mech.claims)
    values["mechanism_reason_txt"] = reason_sentence(mech.ladder)
    values["mechanism_model_txt"] = ("" if mech.ladder.chosen is None
                                     else rung_words(mech.ladder.chosen.rung.name))
    if mech.msem is not None:
        values.update(names.msem_values(mech.msem, mech.monte_carlo))
    values.update(names.claims_values(mech.claims, BOND_SYMPTOM))
    values["mech_bond_sentence"] = bond_symptom_sentence(mech.claims)
    values.update(names.truth_values(mech.truth))
    if mech.single is not None:
        values.update(names.single_level_values(mech.single))
    return values


def section(name: str, mech: MechanismAnalysis, values: dict, label: str = "",
            blocks: dict[str, str] | None = None) -> str:
    """The MyST of one display of the chapter: a paragraph and/or its numbered table.

    ``blocks``: the chapter's template (:data:`TEMPLATE`, read by the notebook), which holds
    the figure's block and every table's caption (``caption-<name>``).

    ``ladder`` and ``claims`` are always shown; ``status`` is the estimator's warnings or,
    without a passing rung, :func:`no_estimate_note`; the other sections (``figure``,
    ``paths``, ``indirect``, ``fit``, ``single``, ``truth``) are empty without estimates
    (``truth`` also on real data), so no cross-reference can point to a missing table.
    ``values`` are the glued values plus :func:`mcbi.paper.mechanism.names.paragraph_values`;
    ``label`` names the section's table (the notebook that makes a table names it).
    """
    if name not in _ALIGN and name not in ("figure", "status"):
        raise ValueError(f"no section named {name!r}")
    if name in _ALIGN and not label:
        raise ValueError(f"section {name!r} makes a table: give its label")
    est, ok = mech.estimates, mech.msem is not None
    if name == "status":  # only without an estimate: the fit's own checks are a glued sentence
        return "" if ok else no_estimate_note(values["mechanism_reason_txt"])
    frames = {"ladder": lambda: ladder_table(mech.ladder),
              "claims": lambda: claims_table(mech.claims)}
    if ok:
        frames.update(paths=lambda: paths_table(est),
                      indirect=lambda: indirect_table(est, mech.monte_carlo),
                      fit=lambda: fit_table(mech.msem.fit_measures, mech.msem.icc))
        if mech.single is not None:
            frames["single"] = lambda: single_level_table(mech.single)
        if mech.truth is not None:
            frames["truth"] = lambda: truth_table(mech.truth)
    if blocks is None:
        raise ValueError(f"section {name!r} needs the chapter's template blocks ({TEMPLATE})")
    if name == "figure":
        return paragraph(blocks, "figure", values) + "\n" if ok else ""
    if name not in frames:
        return ""
    caption = " ".join(fill(blocks, f"caption-{name}", {}, "the mechanism template").split())
    return myst_table(frames[name](), caption, label, _ALIGN[name])
