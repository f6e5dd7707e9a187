"""Build lavaan's parameter table for a two-level model (``sem()`` defaults, fixed.x = FALSE).

The table is the contract between the parser, the estimator and the reports: one row per
parameter with columns ``lhs, op, rhs, level, label, free, ustart, start, est, se``.
``free`` is 0 for a fixed parameter and the 1-based index into the optimizer's vector
otherwise (rows sharing a label share an index, i.e. equality constraints).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from .syntax import Statement, parse_model

__all__ = ["Roles", "build_partable", "saturated_partable", "baseline_partable"]


@dataclass(frozen=True)
class Roles:
    """Variables of a two-level model.

    Attributes
    ----------
    y : list of str
        Level-1 observed variables (both-level first-appearance order, within-only too).
    z : list of str
        Between-only observed variables (constant within a cluster).
    within_only : list of str
        Level-1 variables without a between part (a subset of ``y``).
    latent : dict
        Latent variables per level, ``{1: [...], 2: [...]}``.
    observed : dict
        Observed variables per level in model order, ``{1: [...], 2: [...]}``.
    exogenous : dict
        Exogenous observed variables per level (predictors only; lavaan's ``ov.x``).
    """

    y: list[str]
    z: list[str]
    within_only: list[str]
    latent: dict[int, list[str]]
    observed: dict[int, list[str]]
    exogenous: dict[int, list[str]]

    @property
    def between_vars(self) -> list[str]:
        """Variables of the between covariance matrix, in (z, y) order."""
        return self.z + self.y


def _unique(seq):
    return list(dict.fromkeys(seq))


def _level_roles(stmts: list[Statement]) -> tuple[list[str], list[str]]:
    latent = _unique(s.lhs for s in stmts if s.op == "=~")
    names = []
    for s in stmts:
        names.append(s.lhs)
        names.extend(t.name for t in s.terms if t.name)
    observed = [v for v in _unique(names) if v not in latent]
    return observed, latent


def _exogenous(stmts: list[Statement], observed: list[str]) -> list[str]:
    dep = {s.lhs for s in stmts if s.op == "~"}
    pred = {t.name for s in stmts if s.op == "~" for t in s.terms}
    ind = {t.name for s in stmts if s.op == "=~" for t in s.terms}
    return [v for v in observed if v in pred and v not in dep and v not in ind]


def _roles(stmts: list[Statement]) -> Roles:
    obs, lat, exo = {}, {}, {}
    for lev in (1, 2):
        block = [s for s in stmts if s.level == lev]
        obs[lev], lat[lev] = _level_roles(block)
        exo[lev] = _exogenous(block, obs[lev])
    clash = set(lat[1] + lat[2]) & set(obs[1] + obs[2])
    if clash:
        raise ValueError(f"names used both as latent and observed: {sorted(clash)}")
    within_only = [v for v in obs[1] if v not in obs[2]]
    z = [v for v in obs[2] if v not in obs[1]]
    return Roles(y=list(obs[1]), z=z, within_only=within_only, latent=lat, observed=obs,
                 exogenous=exo)


def _sym(a: str, b: str, order: list[str]) -> tuple[str, str]:
    return (a, b) if order.index(a) <= order.index(b) else (b, a)


def build_partable(model: str) -> tuple[pd.DataFrame, Roles]:
    """Parse ``model`` and expand it into the full parameter table with lavaan defaults.

    Parameters
    ----------
    model : str
        lavaan model syntax with ``level: 1`` and ``level: 2`` blocks.

    Returns
    -------
    partable : pandas.DataFrame
        One row per parameter (user and automatic), plus ``:=`` rows.
    roles : Roles
        The variables of each kind.
    """
    stmts = parse_model(model)
    if not any(s.level for s in stmts):
        raise ValueError("the model has no level: blocks; this estimator is for two-level models")
    roles = _roles(stmts)
    rows: list[dict] = []
    for lev in (1, 2):
        rows.extend(_level_rows([s for s in stmts if s.level == lev], lev, roles))
    table = pd.DataFrame(rows)
    table = _assign_free(table)
    defined = []
    labels = set(table["label"])
    for s in (s for s in stmts if s.op == ":="):
        if s.lhs in labels:
            raise ValueError(f"line {s.line}: defined parameter {s.lhs!r} reuses a label")
        defined.append({
            "lhs": s.lhs, "op": ":=", "rhs": s.expr, "level": 0, "label": s.lhs, "free": 0,
            "ustart": np.nan, "user": True, "start_user": np.nan,
        })
    if defined:
        table = pd.concat([table, pd.DataFrame(defined, columns=table.columns).astype(
            table.dtypes.to_dict())], ignore_index=True)
    return table.reset_index(drop=True), roles


def _row(lhs, op, rhs, level, label="", fixed=None, start=None, user=False):
    return {"lhs": lhs, "op": op, "rhs": rhs, "level": level, "label": label,
            "fixed": fixed, "start_user": np.nan if start is None else start, "user": user}


def _level_rows(stmts: list[Statement], lev: int, roles: Roles) -> list[dict]:
    observed, latent = roles.observed[lev], roles.latent[lev]
    allv = observed + latent
    user: dict[tuple[str, str, str], dict] = {}

    def add(lhs, op, rhs, term=None, default_fixed=None):
        if op == "~~":
            lhs, rhs = _sym(lhs, rhs, allv)
        key = (lhs, op, rhs)
        fixed = default_fixed
        label, start = "", None
        if term is not None:
            label, start = term.label, term.start
            if term.fixed is not None:
                fixed = term.fixed
            elif term.free_forced:
                fixed = None
        user[key] = _row(lhs, op, rhs, lev, label, fixed, start, user=term is not None)

    for s in stmts:
        if s.op == "=~":
            for i, t in enumerate(s.terms):
                add(s.lhs, "=~", t.name, t, default_fixed=1.0 if i == 0 else None)
        elif s.op == "~":
            for t in s.terms:
                add(s.lhs, "~", t.name, t)
        elif s.op == "~~":
            for t in s.terms:
                add(s.lhs, "~~", t.name, t)
        elif s.op == "~1":
            add(s.lhs, "~1", "", s.terms[0])
    # roles within this level
    indicators = {k[2] for k in user if k[1] == "=~"}
    dep = {k[0] for k in user if k[1] == "~"}
    pred = {k[2] for k in user if k[1] == "~"}
    ov_x = roles.exogenous[lev]
    ov_y = [v for v in observed if v in dep and v not in pred and v not in indicators]
    lv_x = [v for v in latent if v not in dep]
    auto: list[tuple[str, str, str, float | None]] = []
    for v in allv:
        auto.append((v, "~~", v, None))
    for group in (ov_x, ov_y, lv_x):
        for a, b in combinations(group, 2):
            auto.append((a, "~~", b, None))
    for v in allv:
        if v in latent:
            auto.append((v, "~1", "", 0.0))
        elif lev == 1 and v not in roles.within_only:
            auto.append((v, "~1", "", 0.0))
        else:
            auto.append((v, "~1", "", None))
    rows = list(user.values())
    for lhs, op, rhs, fixed in auto:
        if op == "~~":
            lhs, rhs = _sym(lhs, rhs, allv)
        if (lhs, op, rhs) not in user:
            rows.append(_row(lhs, op, rhs, lev, "", fixed))
    return rows


def _assign_free(table: pd.DataFrame) -> pd.DataFrame:
    free = np.zeros(len(table), dtype=int)
    ustart = np.full(len(table), np.nan)
    by_label: dict[str, int] = {}
    k = 0
    for i, (fixed, label) in enumerate(zip(table["fixed"], table["label"], strict=True)):
        if fixed is not None and not (isinstance(fixed, float) and np.isnan(fixed)):
            ustart[i] = float(fixed)
            continue
        if label and label in by_label:
            free[i] = by_label[label]
            continue
        k += 1
        free[i] = k
        if label:
            by_label[label] = k
    table = table.drop(columns="fixed")
    table["free"] = free
    table["ustart"] = ustart
    return table[["lhs", "op", "rhs", "level", "label", "free", "ustart", "user", "start_user"]]


CHOL_PREFIX = ".chol"
"""Name prefix of the latent variables that parametrise Φ = L Lᵀ in moment models."""


def _psd_block(names: list[str], offset: int) -> list[str]:
    """Syntax for a covariance matrix of ``names`` written as L Lᵀ (L lower triangular).

    Latent ``.chol<k>`` (variance 1) loads on the k-th variable and the ones after it;
    residual variances are 0, so the block is positive semi-definite by construction.
    """
    lines = []
    lat = [f"{CHOL_PREFIX}{offset + j}" for j in range(len(names))]
    for j, f in enumerate(lat):
        lines.append(f"{f} =~ NA*{names[j]}" + "".join(f" + {v}" for v in names[j + 1:]))
        lines.append(f"{f} ~~ 1*{f}")
    lines += [f"{v} ~~ 0*{v}" for v in names]
    return lines, lat


def _moment_model(roles: Roles, covariances: bool) -> str:
    """Syntax of the saturated (``covariances=True``) or independence model.

    As in lavaan, the independence model keeps the covariances among the exogenous
    observed variables of each level free. The between-level covariance blocks are
    parametrised as L Lᵀ: like lavaan's EM, the maximum is sought over positive
    semi-definite between matrices (without that the unrestricted likelihood can be
    unbounded when few clusters share a cluster size).
    """
    lines = ["level: 1"]
    names = roles.observed[1]
    exo = roles.exogenous[1]
    for i, a in enumerate(names):
        if covariances:
            rhs = names[i:]
        else:
            rhs = [a] + ([b for b in exo[exo.index(a) + 1:]] if a in exo else [])
        lines.append(f"{a} ~~ " + " + ".join(rhs))
    lines.append("level: 2")
    names = roles.observed[2]
    lines += [f"{v} ~ 1" for v in names]  # fixes the variable order of the block
    exo = [v for v in roles.exogenous[2] if v in names]
    groups = [names] if covariances else ([exo] if exo else []) + [
        [v] for v in names if v not in exo]
    latents: list[str] = []
    for group in groups:
        block, lat = _psd_block(group, len(latents) + 1)
        lines += block
        latents += lat
    for i, a in enumerate(latents):
        lines += [f"{a} ~~ 0*{b}" for b in latents[i + 1:]]
    return "\n".join(lines)


def saturated_partable(roles: Roles) -> tuple[pd.DataFrame, Roles]:
    """Parameter table (and its roles) of the unrestricted two-level model (H1)."""
    return _moment_table(roles, covariances=True)


def baseline_partable(roles: Roles) -> tuple[pd.DataFrame, Roles]:
    """Parameter table (and its roles) of the independence model (variances and means)."""
    return _moment_table(roles, covariances=False)


def _moment_table(roles: Roles, covariances: bool) -> tuple[pd.DataFrame, Roles]:
    table, moment_roles = build_partable(_moment_model(roles, covariances))
    if moment_roles.y != roles.y or moment_roles.z != roles.z:
        raise ValueError("internal error: variable order differs in the moment model")
    return table, moment_roles
