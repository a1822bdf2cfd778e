#!/usr/bin/env Rscript
# Reference forecasts and fitted parameters from R's forecast package for the statistical methods
# of src/forecast/stats, written to test/fixtures/stats/*.json for test/forecast/stats.test.ts.
# Run from the repository root: Rscript scripts/stats_fixtures.R
#   ets.json    ets(y, model, damped, bounds = "usual") (ML; the parameter region the TypeScript fit
#               searches, so the optima are comparable): parameters,
#               initial states, -2 log L, AIC, AICc and the point forecasts
#   theta.json  thetaf(y, h) point forecasts
#   comb.json   the M4 competition's "Comb" benchmark (its published R code: SeasonalityTest,
#               classical multiplicative decomposition, ses/holt/damped holt) point forecasts
suppressPackageStartupMessages({ library(forecast); library(jsonlite) })
out <- "test/fixtures/stats"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

series <- list(
  nile = Nile, wwwusage = WWWusage, lakehuron = LakeHuron, bjsales = BJsales,
  austres = austres, ukgas = UKgas, johnsonjohnson = JohnsonJohnson,
  airpassengers = AirPassengers, nottem = nottem, usaccdeaths = USAccDeaths, ukdriverdeaths = UKDriverDeaths
)
hOf <- function(f) if (f == 12) 18 else if (f == 4) 8 else 6
nonseasonal <- c("ANN", "AAN", "AAdN", "MNN", "MAN", "MAdN")
seasonal <- c("AAA", "AAdA", "MAM", "MAdM", "MNM")

fits <- list()
for (name in names(series)) {
  y <- series[[name]]
  m <- frequency(y)
  h <- hOf(m)
  models <- if (m > 1) c(nonseasonal, seasonal) else nonseasonal
  for (model in models) {
    damped <- grepl("Ad", model)
    code <- sub("Ad", "A", model)
    fit <- tryCatch(ets(y, model = code, damped = damped, bounds = "usual"), error = function(e) NULL)
    if (is.null(fit)) next
    p <- fit$par
    st <- fit$states[1, ]
    ns <- if (m > 1 && substr(code, 3, 3) != "N") m else 0
    fits[[length(fits) + 1]] <- list(
      series = name, period = m, model = model, y = as.numeric(y), h = h,
      alpha = unname(p["alpha"]), beta = if ("beta" %in% names(p)) unname(p["beta"]) else NULL,
      gamma = if ("gamma" %in% names(p)) unname(p["gamma"]) else NULL,
      phi = if ("phi" %in% names(p)) unname(p["phi"]) else NULL,
      l0 = unname(st["l"]), b0 = if ("b" %in% names(st)) unname(st["b"]) else NULL,
      s0 = if (ns > 0) unname(st[paste0("s", 1:ns)]) else NULL,
      lik = -2 * fit$loglik, aic = fit$aic, aicc = fit$aicc,
      forecast = as.numeric(forecast(fit, h = h, PI = FALSE)$mean)
    )
  }
}
write_json(fits, file.path(out, "ets.json"), digits = NA, auto_unbox = TRUE, null = "null")

# Automatic ETS (R's default model search) for comparison of the AICc reached.
auto <- lapply(names(series), function(name) {
  y <- series[[name]]; fit <- ets(y)
  list(series = name, period = frequency(y), y = as.numeric(y), model = fit$method, aicc = fit$aicc,
       forecast = as.numeric(forecast(fit, h = hOf(frequency(y)), PI = FALSE)$mean))
})
write_json(auto, file.path(out, "ets_auto.json"), digits = NA, auto_unbox = TRUE)

theta <- lapply(names(series), function(name) {
  y <- series[[name]]; h <- hOf(frequency(y))
  list(series = name, period = frequency(y), y = as.numeric(y), h = h, forecast = as.numeric(thetaf(y, h = h)$mean))
})
write_json(theta, file.path(out, "theta.json"), digits = NA, auto_unbox = TRUE)

# The M4 benchmarks' code (github.com/Mcompetitions/M4-methods, "Benchmarks and Evaluation.R").
SeasonalityTest <- function(input, ppy) {
  tcrit <- 1.645
  if (length(input) < 3 * ppy) {
    test_seasonal <- FALSE
  } else {
    xacf <- acf(input, plot = FALSE, lag.max = ppy)$acf[-1, 1, 1]
    clim <- tcrit / sqrt(length(input)) * sqrt(cumsum(c(1, 2 * xacf^2)))
    test_seasonal <- (abs(xacf[ppy]) > clim[ppy])
    if (is.na(test_seasonal) == TRUE) test_seasonal <- FALSE
  }
  test_seasonal
}
comb <- lapply(names(series), function(name) {
  input <- series[[name]]; ppy <- frequency(input); fh <- hOf(ppy)
  ST <- if (ppy > 1) SeasonalityTest(input, ppy) else FALSE
  if (ST) {
    Dec <- decompose(input, type = "multiplicative")
    des_input <- input / Dec$seasonal
    SIout <- head(rep(Dec$seasonal[(length(Dec$seasonal) - ppy + 1):length(Dec$seasonal)], fh), fh)
  } else {
    des_input <- input; SIout <- rep(1, fh)
  }
  f_ses <- ses(des_input, h = fh)$mean * SIout
  f_holt <- holt(des_input, h = fh, damped = FALSE)$mean * SIout
  f_damped <- holt(des_input, h = fh, damped = TRUE)$mean * SIout
  list(series = name, period = ppy, y = as.numeric(input), h = fh, seasonal = ST,
       ses = as.numeric(f_ses), holt = as.numeric(f_holt), damped = as.numeric(f_damped),
       forecast = as.numeric((f_ses + f_holt + f_damped) / 3))
})
write_json(comb, file.path(out, "comb.json"), digits = NA, auto_unbox = TRUE)
cat(length(fits), "ets fits,", length(theta), "theta,", length(comb), "comb written to", out, "\n")
