# tests/test_sdpdmod_reference.py and tests/test_sdpdmod_two_way.py: the numbers not printed in SDPDmod 0.0.6's vignette, on the Cigar
# panel of plm and rownor(usa46) (no export needed): Rscript sdpdmod_reference.R
# The "plain inverse" correction of mod5 needs SDPDmod's R/SDPDm.R with
#   SIGi <- as.matrix(solve(Matrix::nearPD(SIG)$mat))   (dynamic branch)
# replaced by  SIGi <- solve(SIG)  (source the edited function into SDPDmod's namespace).
library(SDPDmod)
data("Cigar", package = "plm")
d <- Cigar; d$logc <- log(d$sales); d$logp <- log(d$price / d$cpi); d$logy <- log(d$ndi / d$cpi)
data("usa46", package = "SDPDmod"); W <- rownor(usa46)
g <- function(x) sprintf("%.12g", x)
mod5 <- SDPDm(formula = logc ~ logp + logy, data = d, W = W, index = c("state", "year"), model = "sdm",
              effect = "twoways", LYtrans = TRUE, dynamic = TRUE, tlaginfo = list(ind = NULL, tl = TRUE, stl = TRUE))
cat("mod5 uncorrected rho, coefficients, sige:", g(c(mod5$rho, mod5$coefficients, mod5$sige)), "\n")
cat("mod5 corrected rho1, coefficients1, sige1:", g(c(mod5$rho1, mod5$coefficients1, mod5$sige1)), "\n")
for (model in c("sar", "sdm")) for (eff in c("individual", "time")) {
  m <- SDPDm(formula = logc ~ logp + logy, data = d, W = W, index = c("state", "year"), model = model,
             effect = eff, LYtrans = TRUE, demn = TRUE)
  cat("static", model, eff, "rho", g(m$rho), "coef", g(m$coefficients), "sige", g(m$sige), "\n")
}
# blmpSDPD with its integration line made the trapezoid rule on the log scale (four occurrences in
# R/blmpSDPD.R):  isum <- log(sum((r[2:m] - r[1:(m-1)]) * (f[2:m] + f[1:(m-1)]) / 2)), with
# r = detval[, 1], f = fint, m = length(r); source the edited function into SDPDmod's namespace as
# `blmp` and run:
# res <- blmp(formula = logc ~ logp + logy, data = d, W = W, index = c("state", "year"),
#             model = list("ols", "sar", "sdm", "sem", "sdem", "slx"), effect = "individual")
# cat(paste(names(res$lmarginal), sprintf("%.12g", res$lmarginal)), "\n")
