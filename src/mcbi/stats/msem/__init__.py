"""Two-level structural equation models by (full-information) maximum likelihood.

A general estimator compatible with lavaan 0.6 (``sem(..., cluster=, fixed.x = FALSE)``):
lavaan model syntax with ``level:`` blocks in, a tidy parameter table and fit measures out.
One-level models are the special case :func:`fit_single_level`.

Examples
--------
>>> from mcbi.stats.msem import fit
>>> res = fit(model, df, cluster="cluster")  # doctest: +SKIP
>>> res.estimates, res.fit_measures, res.icc  # doctest: +SKIP
"""

from .fit import fit
from .partable import build_partable
from .result import MSEMResult, MSEMWarning
from .single import fit_single_level

__all__ = ["fit", "fit_single_level", "MSEMResult", "MSEMWarning", "build_partable"]
