"""Defined parameters (``:=``): values, delta-method SEs and Monte Carlo intervals."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd

from .syntax import DEFINED_FUNCTIONS

__all__ = ["DefinedParameters"]

_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
           ast.Div: np.divide, ast.Pow: np.power}
_NUMPY_FUNCS = {"sqrt": np.sqrt, "exp": np.exp, "log": np.log, "abs": np.abs}


def _eval(node, env):
    if isinstance(node, ast.Expression):
        return _eval(node.body, env)
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        val = _eval(node.operand, env)
        return -val if isinstance(node.op, ast.USub) else val
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)](_eval(node.left, env), _eval(node.right, env))
    if isinstance(node, ast.Call):
        return _NUMPY_FUNCS[node.func.id](*[_eval(a, env) for a in node.args])
    raise ValueError(f"unsupported expression element {ast.dump(node)}")


class DefinedParameters:
    """Evaluate the ``:=`` rows of a parameter table as functions of the free parameters.

    Parameters
    ----------
    partable : pandas.DataFrame
        Parameter table with ``label`` and ``free`` columns and ``:=`` rows.
    """

    def __init__(self, partable: pd.DataFrame) -> None:
        defs = partable[partable["op"] == ":="]
        self.names = list(defs["lhs"])
        self.exprs = list(defs["rhs"])
        self.trees = [ast.parse(e.replace("^", "**"), mode="eval") for e in self.exprs]
        rows = partable[(partable["op"] != ":=") & (partable["label"] != "")]
        self.labels = {lab: (int(f), float(u)) for lab, f, u in
                       zip(rows["label"], rows["free"], rows["ustart"], strict=True)}
        known = set(self.labels) | set(DEFINED_FUNCTIONS)
        for name, tree, expr in zip(self.names, self.trees, self.exprs, strict=True):
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and node.id not in known:
                    raise ValueError(f"defined parameter {name!r}: unknown label {node.id!r} "
                                     f"in {expr!r}")
            known.add(name)

    def __len__(self) -> int:
        return len(self.names)

    def evaluate(self, theta: np.ndarray) -> np.ndarray:
        """Values of the defined parameters; ``theta`` may be (k,) or (draws, k)."""
        theta = np.asarray(theta, dtype=float)
        env = {}
        for lab, (free, ustart) in self.labels.items():
            env[lab] = theta[..., free - 1] if free > 0 else np.full(theta.shape[:-1], ustart)
        out = []
        for name, tree in zip(self.names, self.trees, strict=True):
            val = np.broadcast_to(_eval(tree, env), theta.shape[:-1]).astype(float)
            env[name] = val
            out.append(val)
        if not out:
            return np.zeros(theta.shape[:-1] + (0,))
        return np.stack(out, axis=-1)

    def jacobian(self, theta: np.ndarray, step: float = 1e-6) -> np.ndarray:
        """Numerical Jacobian (n_defined × k) by central differences."""
        k = len(theta)
        e = np.eye(k) * (step * np.maximum(1.0, np.abs(theta)))[:, None]
        up = self.evaluate(theta[None] + e)
        down = self.evaluate(theta[None] - e)
        return ((up - down) / (2 * np.diag(e))[:, None]).T

    def delta_se(self, theta: np.ndarray, vcov: np.ndarray) -> np.ndarray:
        """Delta-method standard errors."""
        jac = self.jacobian(theta)
        return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, vcov, jac), 0.0))

    def monte_carlo(self, theta: np.ndarray, vcov: np.ndarray, n_draws: int, seed,
                    level: float, lower: np.ndarray | None = None) -> pd.DataFrame:
        """Monte Carlo intervals (Preacher & Selig, 2012): θ* ~ N(θ̂, V̂), percentiles.

        With ``lower`` (lower bounds, ``-inf`` where none), draws below a bound are
        clipped to it (``n_clipped`` counts the draws where that happened).
        """
        rng = np.random.default_rng(seed)
        draws = rng.multivariate_normal(theta, vcov, size=n_draws, method="eigh")
        n_clipped = 0
        if lower is not None and np.isfinite(lower).any():
            below = draws < lower[None]
            n_clipped = int(below.any(axis=1).sum())
            draws = np.maximum(draws, lower[None])
        vals = self.evaluate(draws)
        alpha = (1.0 - level) / 2.0
        lo, hi = np.quantile(vals, [alpha, 1.0 - alpha], axis=0)
        return pd.DataFrame({
            "name": self.names, "expression": self.exprs, "estimate": self.evaluate(theta),
            "mc_se": vals.std(axis=0, ddof=1), "ci_lower": lo, "ci_upper": hi,
            "n_draws": n_draws, "n_clipped": n_clipped,
        })
