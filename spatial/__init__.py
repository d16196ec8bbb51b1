"""spillmap.spatial: spatial weights and spatial autocorrelation diagnostics."""
