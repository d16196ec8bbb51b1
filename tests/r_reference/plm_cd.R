# tests/test_cd.py: plm::pcdtest (global and local CD) of the within regressions (unit, two-way
# effects) on Produc; w = the binary pattern of the us48 queen W.  Run where export_produc.py wrote its files.
suppressMessages({library(plm); library(spdep)})
d <- read.csv("produc.csv"); W <- as.matrix(read.csv("w.csv", header = FALSE))
ids_w <- d$state_abbr[1:nrow(W)]; o <- order(ids_w); Wo <- W[o, o]
d <- d[order(d$state_abbr, d$year), ]
m <- plm(lgsp ~ lpcap + lpc + lemp + unemp, data = d, index = c("state_abbr", "year"), model = "within")
g <- function(x) sprintf("%.12g", x)
cat("CD", g(pcdtest(m, test = "cd")$statistic), "\n")
cat("local CD", g(pcdtest(m, test = "cd", w = (Wo > 0) * 1)$statistic), "\n")
m2 <- plm(lgsp ~ lpcap + lpc + lemp + unemp, data = d, index = c("state_abbr", "year"), model = "within", effect = "twoways")
cat("CD twoways", g(pcdtest(m2, test = "cd")$statistic), " local", g(pcdtest(m2, test = "cd", w = (Wo > 0) * 1)$statistic), "\n")
