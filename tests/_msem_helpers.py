"""Shared helpers for the mcbi.stats.msem tests: lavaan fixtures, cached fits, a simulator."""

from __future__ import annotations

import json
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from mcbi.stats.msem import fit
from mcbi.stats.msem.matrices import ModelMatrices
from mcbi.stats.msem.partable import build_partable

LAVAAN = Path(__file__).parent / "fixtures" / "lavaan"
MODELS = json.loads((LAVAAN / "models.json").read_text())
FIXTURES = list(MODELS)
_LEVELS = {"1": 1, "within": 1, "2": 2, "between": 2, "0": 0, "": 0}


def load_data(name: str) -> pd.DataFrame:
    """The CSV of fixture ``name`` (rows as written by make_data.py)."""
    return pd.read_csv(LAVAAN / MODELS[name]["data"])


def load_reference(name: str) -> dict:
    """lavaan's results for fixture ``name`` (written by fit_lavaan.R)."""
    return json.loads((LAVAAN / f"{name}.json").read_text())


def reference_table(name: str) -> pd.DataFrame:
    """lavaan's parameter table with ``level`` as 1/2 (0 for defined) and a match key."""
    pt = pd.DataFrame(load_reference(name)["partable"])
    pt = pt[pt["op"] != "=="].copy()  # equality constraints are implied by shared labels
    pt["level"] = pt["level"].astype(str).map(_LEVELS).fillna(0).astype(int)
    pt["key"] = _keys(pt)
    return pt.set_index("key")


def _keys(df: pd.DataFrame) -> list[str]:
    rhs = [r.replace(" ", "") for r in df["rhs"].astype(str)]
    return [f"{a}|{o}|{b}|{lev}" for a, o, b, lev in
            zip(df["lhs"], df["op"], rhs, df["level"], strict=True)]


def estimate_table(result) -> pd.DataFrame:
    """Our estimates keyed like :func:`reference_table`."""
    est = result.estimates.copy()
    est["level"] = est["level"].fillna(0).astype(int)
    est["key"] = _keys(est)
    return est.set_index("key")


@cache
def fitted(name: str, shuffle_seed: int | None = None):
    """Fit fixture ``name`` (optionally with rows shuffled); cached across tests."""
    data = load_data(name)
    if shuffle_seed is not None:
        rng = np.random.default_rng(shuffle_seed)
        data = data.iloc[rng.permutation(len(data))].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(MODELS[name]["model"], data, cluster="cluster",
                   missing=MODELS[name]["missing"])


def simulate(model: str, values: dict[str, float], sizes: np.ndarray,
             seed: int) -> pd.DataFrame:
    """Draw data from a two-level model with known parameter values.

    ``values`` maps a parameter key ``"lhs op rhs @level"`` (e.g. ``"y ~ x @2"``) to its
    value; free parameters not listed get 0 (regressions, covariances, means) or 1
    (variances). Returns a frame with a ``cluster`` column.
    """
    table, roles = build_partable(model)
    mm = ModelMatrices(table, roles)
    theta = np.zeros(mm.npar)
    for r in table[table["free"] > 0].itertuples():
        key = f"{r.lhs} {r.op} {r.rhs}".strip() + f" @{r.level}"
        default = 1.0 if (r.op == "~~" and r.lhs == r.rhs) else 0.0
        theta[r.free - 1] = values.get(key, default)
    sigma_w, phi, mu = mm.implied(theta)
    rng = np.random.default_rng(seed)
    n_clusters, p_z = len(sizes), len(roles.z)
    b = rng.multivariate_normal(mu, phi, size=n_clusters, method="eigh")
    g = np.repeat(np.arange(n_clusters), sizes)
    e = rng.multivariate_normal(np.zeros(len(roles.y)), sigma_w, size=len(g), method="eigh")
    y = b[g, p_z:] + e
    df = pd.DataFrame(y, columns=roles.y)
    for k, v in enumerate(roles.z):
        df[v] = b[g, k]
    df["cluster"] = g
    return df, theta, table


def quiet_fit(model: str, data: pd.DataFrame, **kw):
    """``fit(model, data, cluster="cluster", **kw)`` with its warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(model, data, cluster="cluster", **kw)


def brute_force_logl(minus2ll, args: tuple, box: list, starts) -> float:
    """Largest log L found by L-BFGS-B on ``minus2ll(p, *args)`` within ``box`` from each
    start (an independent reference for a bounded maximum)."""
    from scipy import optimize

    best = min(optimize.minimize(minus2ll, p0, args=args, method="L-BFGS-B", bounds=box,
                                 options={"maxiter": 3000, "ftol": 1e-14, "gtol": 1e-9}).fun
               for p0 in starts)
    return -0.5 * best
