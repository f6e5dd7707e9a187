"""One-level SEMs as the special case of the two-level estimator.

A one-level model is a two-level model whose variables are all within-only and whose
clusters are single rows: the between covariance is then zero, every row is independent
with its own means, and the two-level likelihood is the one-level full-information one. So
the one estimator (checked against lavaan) serves both, and the one-level fit needs no
second SEM package (semopy's ``ModelMeans`` took about ten times as long on the book's data
and stopped earlier than lavaan).
"""

from __future__ import annotations

import re

import pandas as pd

from .fit import fit
from .result import MSEMResult

_LEVEL = re.compile(r"^\s*level\s*:", re.MULTILINE)


def fit_single_level(model: str, data: pd.DataFrame, missing: str = "ml", *,
                     se: bool = True, max_iter: int = 5000,
                     level: float = 0.95) -> MSEMResult:
    """Fit a one-level SEM with a mean structure by (full-information) maximum likelihood.

    The estimates and standard errors (observed information) of the regressions,
    covariances and intercepts are those of lavaan's ``sem(model, missing = "fiml",
    meanstructure = TRUE)``. Exogenous observed variables are modelled (lavaan's
    ``fixed.x = FALSE``): with complete exogenous variables that leaves every other
    estimate and standard error unchanged, but the log-likelihood and ``npar`` include
    their means and variances.

    Parameters
    ----------
    model : str
        lavaan model syntax without ``level:`` blocks.
    data : pandas.DataFrame
        One row per unit; rows are independent.
    missing, se, max_iter, level
        As in :func:`~mcbi.stats.msem.fit`.

    Returns
    -------
    MSEMResult
        With every parameter at ``level`` 1 and ``nclusters`` equal to the number of rows.

    Raises
    ------
    ValueError
        The model has ``level:`` blocks, or as :func:`~mcbi.stats.msem.fit`.
    """
    if _LEVEL.search(model):
        raise ValueError("a one-level model has no 'level:' blocks; use fit() for two levels")
    row = "_row"
    while row in data.columns:
        row = f"_{row}"
    rows = data.assign(**{row: range(len(data))})
    return fit(f"level: 1\n{model}\nlevel: 2\n", rows, cluster=row, missing=missing, se=se,
               saturated=False, max_iter=max_iter, level=level)
