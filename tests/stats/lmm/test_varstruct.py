"""Tests for mcbi.stats.lmm.varstruct: the batched block pieces against dense algebra."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mcbi.stats.lmm.frame import model_frame
from mcbi.stats.lmm.varstruct import VarianceStructure

SMALL = Path(__file__).resolve().parents[2] / "fixtures" / "lmertest" / "small.csv"


def _dense(frame, vs: VarianceStructure) -> list[np.ndarray]:
    n = frame.nobs
    Gs = [((c[:, None] == c[None, :]) & (c[:, None] >= 0)).astype(float)
          for c in vs._codes(frame)]
    return Gs + [np.eye(n)]


@pytest.mark.parametrize("cluster,cluster_time", [(None, False), ("cluster", False),
                                                  ("cluster", True), ("cluster", "by_time")])
def test_pieces_match_dense_algebra(cluster, cluster_time) -> None:
    d = pd.read_csv(SMALL)
    frame = model_frame(d, "y", "group", "time", "subject", cluster,
                        time_levels=["pre", "post", "followup"], cluster_time=cluster_time)
    vs = VarianceStructure(frame)
    assert vs.names == tuple(frame.theta_names) + ("residual",)
    psi = np.linspace(0.3, 1.1, len(vs.names))
    pc = vs.pieces(psi)
    G = _dense(frame, vs)
    V = sum(p * g for p, g in zip(psi, G, strict=True))
    Vi = np.linalg.inv(V)
    X, y = frame.X, frame.y
    phi = np.linalg.inv(X.T @ Vi @ X)
    R = Vi - Vi @ X @ phi @ X.T @ Vi
    np.testing.assert_allclose(pc.phi, phi, rtol=1e-10)
    for m, Gm in enumerate(G):
        np.testing.assert_allclose(pc.P[m], -X.T @ Vi @ Gm @ Vi @ X, rtol=1e-9, atol=1e-12)
        assert pc.trace[m] == pytest.approx(np.trace(Vi @ Gm), rel=1e-10)
        assert pc.quad[m] == pytest.approx(y @ R @ Gm @ R @ y, rel=1e-9)
        for k, Gk in enumerate(G):
            np.testing.assert_allclose(pc.Q[m, k], X.T @ Vi @ Gm @ Vi @ Gk @ Vi @ X,
                                       rtol=1e-9, atol=1e-12)
            assert pc.ktrace[m, k] == pytest.approx(np.trace(Vi @ Gm @ Vi @ Gk), rel=1e-10)
            assert pc.info2[m, k] == pytest.approx(np.trace(R @ Gm @ R @ Gk), rel=1e-9)
            assert pc.yterm[m, k] == pytest.approx(y @ R @ Gm @ R @ Gk @ R @ y, rel=1e-9)


def test_bad_psi_raises() -> None:
    d = pd.read_csv(SMALL)
    vs = VarianceStructure(model_frame(d, "y", "group", "time", "subject", "cluster"))
    with pytest.raises(ValueError, match="psi needs 3 values"):
        vs.pieces(np.ones(2))
    with pytest.raises(ValueError, match="not positive definite"):
        vs.pieces(np.array([1.0, 1.0, -5.0]))
