"""Chapter 5, the mechanism: the two-level model, its ladder, comparisons and displays."""

from pathlib import Path

EVIDENCE = Path("benchmarks") / "results" / "ladder.csv"
"""The ladder's committed simulation summary (:mod:`mcbi.paper.mechanism.evidence`),
relative to the project root; its ``.meta.json`` sidecar lies beside it."""
