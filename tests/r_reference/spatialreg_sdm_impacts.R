# tests/test_effects.py: spatialreg::lagsarlm(type = "mixed") on the 1970 cross-section of Produc and its
# impacts() (exact traces).  Run where export_produc.py wrote its files.
suppressMessages({library(spatialreg); library(spdep)})
d <- read.csv("produc.csv"); W <- as.matrix(read.csv("w.csv", header = FALSE))
lw <- mat2listw(W, style = "W"); cs <- d[d$year == 1970, ]
m <- lagsarlm(lgsp ~ lpcap + lpc + lemp + unemp, data = cs, listw = lw, type = "mixed", method = "eigen")
g <- function(x) paste(sprintf("%.12g", x), collapse = ", ")
cat("rho", g(m$rho), "coef", g(coef(m)), "\n")
im <- impacts(m, listw = lw)
cat("direct", g(im$direct), "\nindirect", g(im$indirect), "\ntotal", g(im$total), "\n")
