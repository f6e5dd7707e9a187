"""General statistics that know nothing of the trial: mixed models, two-level SEM,
multiple testing, Wald helpers, reliability. Imports nothing from the rest of ``mcbi``."""
