"""The paper's analyses, one sub-package per chapter above one for rendering.

- :mod:`mcbi.paper.sample` -- participant flow, baseline tables, reliability (chapter 1);
- :mod:`mcbi.paper.outcomes` -- the outcome models of therapists and patients, effect
  sizes, worded claims, the published findings and the forest plot (chapters 2-4);
- :mod:`mcbi.paper.mechanism` -- the two-level mechanism model, its ladder, comparisons
  and displays (chapter 5);
- :mod:`mcbi.paper.planning` -- Monte Carlo planning of a replication (chapter 6), above
  the chapters whose analyses it repeats;
- :mod:`mcbi.paper.appendix` -- generated pages (codebook, generating parameters, ladder
  evidence);
- :mod:`mcbi.paper.render` -- what every chapter shares: APA numbers, phrases chosen from
  numbers, Markdown tables, figure saving, glue and results records, disclosure control.

A chapter's analysis, its words and its glue names live in its folder; what two chapters
share lives in :mod:`~mcbi.paper.render` (generic) or lower layers. An import-linter
contract (``pyproject.toml``) keeps planning and the appendix above the chapters, the
chapters independent of each other, and render below them all.
"""
