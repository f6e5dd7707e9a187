"""Text summary of a fitted two-level SEM."""

from __future__ import annotations

import math

__all__ = ["format_summary"]

_SECTIONS = (("=~", "Latent variables"), ("~", "Regressions"), ("~~", "Variances and covariances"),
             ("~1", "Intercepts"))


def _num(x: float, width: int = 9) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return " " * width
    return f"{x:{width}.3f}"


def _row(name: str, r) -> str:
    return (f"    {name:<22}{_num(r.estimate)}{_num(r.se)}{_num(r.statistic)}{_num(r.pvalue)}"
            f"{_num(r.ci_lower)}{_num(r.ci_upper)}")


def format_summary(res) -> str:
    """Format ``res`` as lavaan-like text: status, fit measures, estimates, ICCs, warnings."""
    fm = res.fit_measures
    out = ["Two-level SEM (mcbi.stats.msem), maximum likelihood"]
    status = "converged" if res.converged else "NOT CONVERGED"
    out.append(f"  Optimisation {status} in {res.iterations} iterations "
               f"(max |gradient| {res.max_gradient:.2e})")
    out.append(f"  Observations {fm['ntotal']}, clusters {fm['nclusters']}, "
               f"free parameters {fm['npar']}")
    out.append(f"  Log-likelihood {fm['logl']:.3f}   AIC {fm['aic']:.3f}   BIC {fm['bic']:.3f}")
    bounds = getattr(res, "bounds", None)
    if bounds:
        out.append(f"  Bounds: {bounds} (parameters on a bound are marked [bound])")
    starts = getattr(res, "starts", None)
    if starts is not None and len(starts) > 1:
        out.append(f"  Starts: {len(starts)}, log-likelihood range over converged runs "
                   f"{res.optima_spread:.2e}")
    if not getattr(res, "admissible", True):
        out.append("  Solution NOT admissible: " + "; ".join(res.inadmissible))
    if "chisq" in fm:
        out.append(f"  Chi-square {fm['chisq']:.3f}, df {fm['df']}, p {_num(fm['pvalue'], 0)}")
        out.append(f"  CFI {fm['cfi']:.3f}  TLI {fm['tli']:.3f}  RMSEA {fm['rmsea']:.3f}  "
                   f"SRMR within {fm['srmr_within']:.3f}  between {fm['srmr_between']:.3f}")
    head = f"    {'':<22}{'Estimate':>9}{'SE':>9}{'z':>9}{'p':>9}{'ci.lower':>9}{'ci.upper':>9}"
    est = res.estimates
    at_bound = getattr(res, "at_bound", None)
    bound_rows = set(est.index[at_bound.to_numpy()]) if at_bound is not None and len(
        at_bound) == len(est) else set()
    for level, title in ((1, "Level 1 (within)"), (2, "Level 2 (between)")):
        out += ["", title]
        block = est[est["level"] == level]
        for op, section in _SECTIONS:
            rows = block[block["op"] == op]
            if rows.empty:
                continue
            out += [f"  {section}:", head]
            for r in rows.itertuples():
                lab = f" ({r.label})" if r.label else ""
                lab += " [bound]" if r.Index in bound_rows else ""
                name = (f"{r.lhs} ~1" if op == "~1" else f"{r.lhs} {op} {r.rhs}") + lab
                out.append(_row(name, r))
    defs = est[est["op"] == ":="]
    if not defs.empty:
        out += ["", "Defined parameters (delta-method SE):", head]
        out += [_row(f"{r.lhs} := {r.rhs}", r) for r in defs.itertuples()]
    if len(res.icc):
        out += ["", "Intraclass correlations (saturated model):"]
        out += [f"    {k:<22}{v:9.3f}" for k, v in res.icc.items()]
    out += ["", "Warnings:" if res.warnings else "Warnings: none"]
    out += [f"  ! {w}" for w in res.warnings]
    return "\n".join(out)
