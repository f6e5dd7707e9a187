"""Chapter 6, planning a replication: Monte Carlo power of the trial's contrasts."""
