"""The book: path layout, sections, execution, pipeline, generated pages, manifest,
provenance, publish, Sphinx extension. Receives trial-specific page generators as
arguments; imports nothing of the trial."""
