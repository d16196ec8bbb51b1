"""spillmap.estimation: panel spatial models by maximum likelihood, effects and tests."""
