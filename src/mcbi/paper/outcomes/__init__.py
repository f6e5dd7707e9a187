"""Chapters 2-4, the outcomes: mixed models, effect sizes, claims, published findings."""

from pathlib import Path

TYPE1_RESULT = Path("benchmarks") / "results" / "type1" / "type1.csv"
"""The committed type-I error study (:mod:`mcbi.paper.outcomes.typeone`), relative to the
project root; its ``.meta.json`` record lies beside it."""
