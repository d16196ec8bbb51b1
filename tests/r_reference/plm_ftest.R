# tests/test_within.py: plm::pFtest of the unit and the period effects (two-way within regression
# against the period-only and the unit-only one) on Produc.  Run where export_produc.py wrote its files.
suppressMessages(library(plm))
d <- read.csv("produc.csv"); d <- d[order(d$state_abbr, d$year), ]
fm <- lgsp ~ lpcap + lpc + lemp + unemp; idx <- c("state_abbr", "year")
tw <- plm(fm, data = d, index = idx, model = "within", effect = "twoways")
ti <- plm(fm, data = d, index = idx, model = "within", effect = "time")
un <- plm(fm, data = d, index = idx, model = "within", effect = "individual")
g <- function(x) sprintf("%.12g", x)
a <- pFtest(tw, ti); b <- pFtest(tw, un)
cat("F unit effects", g(a$statistic), "df", a$parameter, "\n")
cat("F time effects", g(b$statistic), "df", b$parameter, "p", g(b$p.value), "\n")
