"""The one class that converts between the optimizer's flat vector and the model matrices.

Each level is written in RAM form: all variables v (observed then latent) satisfy
v = A v + m + e with Var(e) = S, so Σ = F T S Tᵀ Fᵀ and μ = F T m with T = (I − A)⁻¹ and F
selecting the observed variables. Level 1 implies Σ_W (and the within means of within-only
variables); level 2 implies the between covariance Φ of (z, y) and the between means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .partable import Roles

__all__ = ["ModelMatrices"]

_KIND = {"=~": 0, "~": 0, "~~": 1, "~1": 2}  # 0: A, 1: S, 2: m


class ModelMatrices:
    """Map a parameter vector to Σ_W, Φ and μ_b and gradients back to the vector.

    Parameters
    ----------
    partable : pandas.DataFrame
        Parameter table from :func:`build_partable`.
    roles : Roles
        The model's variables.
    """

    def __init__(self, partable: pd.DataFrame, roles: Roles) -> None:
        self.roles = roles
        self.npar = int(partable["free"].max()) if len(partable) else 0
        self.p_y, self.p_z = len(roles.y), len(roles.z)
        self.q = self.p_z + self.p_y
        between = roles.between_vars
        self.levels = {}
        for lev in (1, 2):
            names = roles.observed[lev] + roles.latent[lev]
            pos = {v: i for i, v in enumerate(names)}
            rows = partable[(partable["level"] == lev) & (partable["op"] != ":=")]
            spec = []
            for lhs, op, rhs, free, ustart in zip(rows["lhs"], rows["op"], rows["rhs"],
                                                  rows["free"], rows["ustart"], strict=True):
                kind = _KIND[op]
                if op == "=~":
                    i, j = pos[rhs], pos[lhs]
                elif op == "~1":
                    i, j = pos[lhs], 0
                else:
                    i, j = pos[lhs], pos[rhs]
                spec.append((kind, i, j, int(free) - 1, 0.0 if free else float(ustart)))
            spec = np.array(spec, dtype=float).reshape(-1, 5)
            n_obs = len(roles.observed[lev])
            if lev == 1:
                target = np.arange(n_obs)  # level-1 observed order == roles.y
            else:
                target = np.array([between.index(v) for v in roles.observed[2]], dtype=int)
            kind, i, j = (spec[:, c].astype(int) for c in range(3))
            idx, fixed = spec[:, 3].astype(int), spec[:, 4]
            n = len(names)
            # source position in the extended vector (theta, fixed values of this level)
            src = np.where(idx >= 0, idx, self.npar + np.arange(len(idx)))
            a, s_, m = kind == 0, kind == 1, kind == 2
            self.levels[lev] = {
                "n": n, "n_obs": n_obs, "target": target, "fixed": fixed,
                "kind": kind, "i": i, "j": j, "idx": idx,
                "a_flat": i[a] * n + j[a], "a_src": src[a],
                "s_flat": np.concatenate([i[s_] * n + j[s_], j[s_] * n + i[s_]]),
                "s_src": np.concatenate([src[s_], src[s_]]),
                "m_pos": i[m], "m_src": src[m], "has_a": bool(a.any()),
                "grad_sel": idx >= 0,
                "grad_mult": np.where((kind == 1) & (i != j), 2.0, 1.0),
            }
        self.within_mean_idx = np.array(
            [self.p_z + i for i, v in enumerate(roles.y)], dtype=int)

    # ------------------------------------------------------------------ forward
    def level_matrices(self, theta: np.ndarray, lev: int):
        """Return (A, S, m) of a level for parameter vector ``theta``."""
        L = self.levels[lev]
        n = L["n"]
        ext = np.concatenate([theta, L["fixed"]])
        A = np.zeros(n * n)
        A[L["a_flat"]] = ext[L["a_src"]]
        S = np.zeros(n * n)
        S[L["s_flat"]] = ext[L["s_src"]]
        m = np.zeros(n)
        m[L["m_pos"]] = ext[L["m_src"]]
        return A.reshape(n, n), S.reshape(n, n), m

    def _level_implied(self, theta, lev):
        A, S, m = self.level_matrices(theta, lev)
        L = self.levels[lev]
        T = np.linalg.inv(np.eye(L["n"]) - A) if L["has_a"] else np.eye(L["n"])
        FT = T[: L["n_obs"]]
        return FT @ S @ FT.T, FT @ m, (S, m, T, FT)

    def implied(self, theta: np.ndarray, cache: dict | None = None):
        """Model-implied moments.

        Parameters
        ----------
        theta : ndarray
            Free parameters.
        cache : dict, optional
            Filled with intermediate matrices that :meth:`gradient` can reuse.

        Returns
        -------
        sigma_w : ndarray (p_y, p_y)
            Within covariance.
        phi : ndarray (q, q)
            Between covariance of (z, y); within-only rows and columns are zero.
        mu : ndarray (q,)
            Means of (z, y) (within means of within-only variables included).
        """
        sw, mw, c1 = self._level_implied(theta, 1)
        sb, mb, c2 = self._level_implied(theta, 2)
        if cache is not None:
            cache[1], cache[2] = c1, c2
        t = self.levels[2]["target"]
        phi = np.zeros((self.q, self.q))
        phi[np.ix_(t, t)] = sb
        mu = np.zeros(self.q)
        mu[t] = mb
        mu[self.p_z:] += mw
        return sw, phi, mu

    # ----------------------------------------------------------------- backward
    def gradient(self, theta: np.ndarray, g_w: np.ndarray, g_phi: np.ndarray,
                 g_mu: np.ndarray, cache: dict | None = None) -> np.ndarray:
        """Chain rule: d f / d theta from d f = tr(g_w dΣ_W) + tr(g_phi dΦ) + g_muᵀ dμ."""
        grad = np.zeros(self.npar)
        if cache is None:
            cache = {}
            self.implied(theta, cache)
        t = self.levels[2]["target"]
        for lev, G, gm in ((1, g_w, g_mu[self.p_z:]), (2, g_phi[np.ix_(t, t)], g_mu[t])):
            L = self.levels[lev]
            S, m, T, FT = cache[lev]
            G = 0.5 * (G + G.T)
            dS = FT.T @ G @ FT  # n x n
            ftg = FT.T @ gm
            dA = 2.0 * dS @ S @ T.T + np.outer(ftg, T @ m)
            k, i, j = L["kind"], L["i"], L["j"]
            vals = np.where(k == 0, dA[i, j], np.where(k == 1, dS[i, j], ftg[i]))
            vals = vals * L["grad_mult"]
            sel = L["grad_sel"]
            grad += np.bincount(L["idx"][sel], weights=vals[sel], minlength=self.npar)
        return grad

    # -------------------------------------------------------------- utilities
    def fill(self, partable: pd.DataFrame, theta: np.ndarray, column: str = "est"):
        """Write ``theta`` (fixed rows keep their value) into ``partable[column]``."""
        free = partable["free"].to_numpy()
        values = partable["ustart"].to_numpy(dtype=float).copy()
        values[free > 0] = theta[free[free > 0] - 1]
        partable[column] = values
        return partable
