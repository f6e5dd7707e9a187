"""Chapters 2-4, the outcomes: mixed models, effect sizes, claims, published findings."""
