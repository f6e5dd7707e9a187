"""Tests for REML fits and the small-sample inference of mcbi.stats.lmm.ddf against R.

Reference chain: tests/fixtures/lme4/make_data.py and tests/fixtures/lmertest/make_data.py
(seeded) write the CSVs; tests/fixtures/lmertest/fit_lmertest.R fits them with lme4
(REML and ML, tight bobyqa tolerances) and tests every contrast with lmerTest's
``contest1D`` (Satterthwaite; Kenward-Roger through pbkrtest's ``vcovAdj`` and ``Lb_ddf``);
versions are recorded in each JSON.

Tolerances (measured maximum relative deviation over the eight models in brackets):
- REML fixed effects and variance components: 1e-5 relative, 1e-6 absolute near 0
  [see MEASURED below]; REML criterion: 1e-6 absolute.
- contrast estimates, SEs (unadjusted and KR-adjusted), t statistics, df (Satterthwaite
  on REML and ML fits, Kenward-Roger), p-values and CI bounds: 1e-6 relative
  (1e-9 absolute for estimates and CI bounds near 0).
"""
