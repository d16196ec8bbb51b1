# tests/test_residual_moran.py: spdep::lm.morantest of OLS with explicit unit / period dummies on the
# stacked Produc panel, listw = I_T kron W.  Run where export_produc.py wrote produc.csv and w.csv.
suppressMessages({library(spdep)})
d <- read.csv("produc.csv"); W <- as.matrix(read.csv("w.csv", header = FALSE))
t <- length(unique(d$year)); big <- mat2listw(kronecker(diag(t), W), style = "W")
g <- function(x) sprintf("%.12g", x)
for (f in list(lgsp ~ lpcap + lpc + lemp + unemp,
               lgsp ~ lpcap + lpc + lemp + unemp + factor(state_abbr),
               lgsp ~ lpcap + lpc + lemp + unemp + factor(year),
               lgsp ~ lpcap + lpc + lemp + unemp + factor(state_abbr) + factor(year))) {
  m <- lm.morantest(lm(f, data = d), big, alternative = "two.sided")
  cat(deparse(f[[3]]), "| I", g(m$estimate[1]), "E", g(m$estimate[2]), "Var", g(m$estimate[3]), "z", g(m$statistic), "\n")
}
