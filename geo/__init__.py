"""spillmap.geo: boundary layers, CRS, projections and panel joins."""
