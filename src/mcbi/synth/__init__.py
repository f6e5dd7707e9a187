"""The synthetic data: generating parameters, simulation, parameter recovery."""
