# tests/test_splm_reference.py: splm 1.6-5 on Produc with the us48 queen W (rows put in splm's
# alphabetical id order).  Run where export_produc.py wrote produc.csv and w.csv: Rscript splm_reference.R
suppressMessages({library(splm); library(spdep); library(plm)})
d <- read.csv("produc.csv"); W <- as.matrix(read.csv("w.csv", header = FALSE))
ids_w <- d$state_abbr[1:nrow(W)]
o <- order(ids_w); lws <- mat2listw(W[o, o], style = "W")
d <- d[order(d$state_abbr, d$year), ]
idx <- c("state_abbr", "year")
fm <- lgsp ~ lpcap + lpc + lemp + unemp
g <- function(x) paste(names(x), sprintf("%.12g", x), collapse = "  ")
for (spec in list(list(lag = TRUE, se = "none"), list(lag = FALSE, se = "b"))) {
  m <- spml(fm, data = d, index = idx, listw = lws, model = "random", lag = spec$lag, spatial.error = spec$se)
  cat("== random effects, lag", spec$lag, "spatial.error", spec$se, "\n")
  cat("coef:", g(coef(m)), "\nerrcomp:", g(m$errcomp), "\narcoef:", g(m$arcoef), "\n")
  cat("sigma2:", g(m$sigma2), " logLik:", g(m$logLik), "\nse:", g(sqrt(diag(m$vcov))), "\n")
  if (!is.null(m$vcov.errcomp)) cat("se errcomp:", g(sqrt(diag(m$vcov.errcomp))), "\n")
  if (!is.null(m$vcov.arcoef)) cat("se arcoef:", g(sqrt(diag(m$vcov.arcoef))), "\n")
}
h <- sphtest(fm, data = d, index = idx, listw = lws, spatial.model = "lag", method = "ML")
cat("sphtest lag:", g(h$statistic), "\n")
fe <- spml(fm, data = d, index = idx, listw = lws, model = "within", lag = FALSE, spatial.error = "b")
re <- spml(fm, data = d, index = idx, listw = lws, model = "random", lag = FALSE, spatial.error = "b")
cat("sphtest error (BSK):", g(sphtest(fe, re)$statistic), "\n")
for (tt in c("LMH", "LM1", "LM2", "CLMlambda", "CLMmu")) for (st in c(FALSE, TRUE))
  cat("bsktest", tt, "standardize", st, g(bsktest(fm, data = d, index = idx, listw = lws, test = tt,
                                                  standardize = st)$statistic), "\n")
cat("bsjktest J:", g(bsjktest(fm, data = d, index = idx, listw = lws, test = "J")$statistic), "\n")
for (mod in c("pooling", "within")) for (tt in c("lml", "lme", "rlml", "rlme"))
  cat("slmtest", mod, tt, g(slmtest(fm, data = d, listw = lws, model = mod, test = tt, index = idx)$statistic), "\n")
m <- spml(fm, data = d, index = idx, listw = lws, model = "within", effect = "individual", lag = TRUE,
          spatial.error = "none")
e <- effects(m)
cat("state effects (first 3):", sprintf("%.12g", e$SETable[1:3, 1]), " se:", sprintf("%.12g", e$SETable[1:3, 2]), "\n")
