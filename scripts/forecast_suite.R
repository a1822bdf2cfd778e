#!/usr/bin/env Rscript
# Exports the forecasting evaluation suite to data/suite/<name>.csv (date,value) and
# data/suite/manifest.json: series from R's `datasets` package (part of base R) and from the
# package's bundled CSVs in data/ (weather.csv, sp500-2000.csv, stocks.csv), resampled here.
# Run from the repository root: Rscript scripts/forecast_suite.R
# Horizons follow M4 (year 6, quarter 8, month 18, week 13, day 14); the protocol is `origins`
# origins spaced by the horizon at the end of the series (3, or 2 for the 72-month series).
# masePeriod is M4's seasonal period for MASE's scale (month 12, quarter 4, else 1); period is
# the season the methods model (day 7, week 52, as the library's defaults).

invisible(Sys.setlocale("LC_TIME", "C"))
out <- "data/suite"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

horizon <- c(year = 6, quarter = 8, month = 18, week = 13, day = 14)
period <- c(year = 1, quarter = 4, month = 12, week = 52, day = 7)
maseP <- c(year = 1, quarter = 4, month = 12, week = 1, day = 1)

ts_dates <- function(x) {
  f <- frequency(x)
  tt <- time(x)
  yr <- floor(tt + 1e-8)
  cyc <- round((tt - yr) * f) # 0-based position in the year
  if (f == 12) sprintf("%04d-%02d-01", yr, cyc + 1)
  else if (f == 4) sprintf("%04d-%02d-01", yr, 3 * cyc + 1)
  else if (f == 1) sprintf("%04d-01-01", yr)
  else stop("unsupported frequency")
}

entries <- list()
add <- function(name, dates, values, freq, kind, source, licence, origins = 3) {
  stopifnot(length(dates) == length(values), all(is.finite(values)))
  write.csv(data.frame(date = dates, value = format(values, digits = 15, trim = TRUE, scientific = FALSE)),
            file.path(out, paste0(name, ".csv")), row.names = FALSE, quote = FALSE)
  entries[[length(entries) + 1]] <<- list(name = name, file = paste0(name, ".csv"), freq = freq,
    period = unname(period[freq]), masePeriod = unname(maseP[freq]), horizon = unname(horizon[freq]),
    origins = origins, n = length(values), start = dates[1], end = dates[length(dates)],
    kind = kind, source = source, licence = licence)
}
rds <- "R datasets package (R Core Team, part of base R)"
# ---- R datasets -------------------------------------------------------------------------------
lic <- function(topic) paste0("distributed with R (GPL-2 or GPL-3); sources documented in R's help page ?", topic, "; the values themselves are historical measurements")
addR <- function(name, x, topic, freq, kind, src, origins = 3) {
  add(name, ts_dates(x), as.numeric(x), freq, kind, paste0(rds, ", `", topic, "`; original source: ", src), lic(topic), origins)
}
addR("airpassengers", AirPassengers, "AirPassengers", "month", "trend, multiplicative season",
     "Box, Jenkins & Reinsel (1976) Time Series Analysis, Series G (Pan Am / US airline totals 1949-1960)")
addR("co2", co2, "co2", "month", "trend, additive season",
     "Mauna Loa CO2, Scripps Institution of Oceanography (C. D. Keeling), 1959-1997")
addR("nottem", nottem, "nottem", "month", "stable season",
     "Anderson (1976), average air temperatures at Nottingham Castle, degrees F, 1920-1939")
addR("ukdriverdeaths", UKDriverDeaths, "UKDriverDeaths", "month", "season, level shift (1983 seat-belt law)",
     "Harvey & Durbin (1986), UK car drivers killed or seriously injured, 1969-1984")
addR("seatbelts-front", Seatbelts[, "front"], "Seatbelts", "month", "season, level shift",
     "Harvey & Durbin (1986), front-seat passengers killed or seriously injured, 1969-1984")
addR("usaccdeaths", USAccDeaths, "USAccDeaths", "month", "season, short",
     "Brockwell & Davis (1991), US accidental deaths 1973-1978 (National Safety Council)", origins = 2)
addR("ldeaths", ldeaths, "UKLungDeaths", "month", "season, short",
     "Diggle (1990), UK deaths from lung diseases 1974-1979", origins = 2)
addR("sunspots-monthly", window(sunspots, start = c(1934, 1)), "sunspots", "month", "cyclic (11 years), noisy",
     "Andrews & Herzberg (1985), monthly mean relative sunspot numbers (1934-1983 kept)")
addR("ukgas", UKgas, "UKgas", "quarter", "trend, season of growing amplitude",
     "Durbin & Koopman (2001), UK quarterly gas consumption 1960-1986, millions of therms")
addR("johnsonjohnson", JohnsonJohnson, "JohnsonJohnson", "quarter", "trend, season of growing amplitude",
     "Shumway & Stoffer (2000), Johnson & Johnson quarterly earnings per share 1960-1980")
addR("austres", austres, "austres", "quarter", "smooth trend",
     "Brockwell & Davis (1996), Australian residents (thousands), 1971-1993")
addR("lynx", lynx, "lynx", "year", "cyclic (~10 years)",
     "Campbell & Walker (1977), Canadian lynx trappings 1821-1934")
addR("sunspot-year", sunspot.year, "sunspot.year", "year", "cyclic (~11 years)",
     "Tong (1996), yearly sunspot numbers 1700-1988")
addR("nile", Nile, "Nile", "year", "level shift, noisy",
     "Durbin & Koopman (2001), annual Nile flow at Aswan 1871-1970")
addR("lakehuron", LakeHuron, "LakeHuron", "year", "noisy, slow cycles",
     "Brockwell & Davis (1991), level of Lake Huron 1875-1972 (feet)")
addR("discoveries", discoveries, "discoveries", "year", "counts, noisy",
     "The World Almanac and Book of Facts 1975, great inventions and discoveries per year 1860-1959")
addR("nhtemp", nhtemp, "nhtemp", "year", "noisy trend",
     "Vaux (1969) / Stanford climate data, New Haven mean annual temperature 1912-1971")

# ---- bundled CSVs (data/README.md gives their provenance and terms) ----------------------------
w <- read.csv("data/weather.csv", stringsAsFactors = FALSE)
w$date <- as.Date(w$date)
wlic <- "NOAA Climate Data Online via vega-datasets 3.2.1 (data/weather.csv); U.S. Government work, see data/README.md"
weekly <- function(d, v, agg) { # Monday-start weeks, complete weeks only
  wk <- d - (as.integer(format(d, "%u")) - 1)
  s <- tapply(v, wk, agg); cnt <- tapply(v, wk, length)
  keep <- cnt == 7
  list(dates = names(s)[keep], values = as.numeric(s[keep]))
}
for (loc in c("Seattle", "New York")) {
  x <- w[w$location == loc, ]
  x <- x[order(x$date), ]
  key <- if (loc == "Seattle") "seattle" else "newyork"
  wk <- weekly(x$date, x$temp_max, mean)
  add(paste0(key, "-temp-weekly"), wk$dates, wk$values, "week", "annual season, noisy",
      paste0(loc, " weekly mean of daily maximum temperature (C), 2012-2015, from data/weather.csv"), wlic)
  add(paste0(key, "-temp-daily"), format(x$date), x$temp_max, "day", "annual season, noisy",
      paste0(loc, " daily maximum temperature (C), 2012-2015, from data/weather.csv"), wlic)
}
x <- w[w$location == "Seattle", ]; x <- x[order(x$date), ]
add("seattle-wind-daily", format(x$date), x$wind, "day", "noise around a weak season",
    "Seattle daily mean wind speed (m/s), 2012-2015, from data/weather.csv", wlic)

sp <- read.csv("data/sp500-2000.csv", stringsAsFactors = FALSE)
sp$date <- as.Date(sp$date)
splic <- "Yahoo Finance via vega-datasets 3.2.1 (data/sp500-2000.csv); no licence recorded, index levels are facts, see data/README.md"
wk <- sp$date - (as.integer(format(sp$date, "%u")) - 1)
last <- tapply(sp$close, wk, function(v) v[length(v)])
add("sp500-weekly", names(last), as.numeric(last), "week", "random walk with drift, crashes",
    "S&P 500 weekly close (last trading day of each Monday-start week), 2000-2020, from data/sp500-2000.csv", splic)
mon <- format(sp$date, "%Y-%m-01")
mlast <- tapply(sp$close, mon, function(v) v[length(v)])
add("sp500-monthly", names(mlast), as.numeric(mlast), "month", "random walk with drift, crashes",
    "S&P 500 monthly close (last trading day), 2000-2020, from data/sp500-2000.csv", splic)

st <- read.csv("data/stocks.csv", stringsAsFactors = FALSE)
st$date <- as.Date(st$date, format = "%b %d %Y")
ibm <- st[st$symbol == "IBM", ]; ibm <- ibm[order(ibm$date), ]
add("ibm-monthly", format(ibm$date), ibm$price, "month", "random walk",
    "IBM monthly price 2000-2010, from data/stocks.csv (vega-datasets 3.2.1)",
    "no source or licence recorded by vega-datasets; prices are facts, see data/README.md")

# ---- manifest (hand-written JSON: no package beyond base R needed) -------------------------------
esc <- function(s) paste0('"', gsub('"', '\\\\"', s), '"')
item <- function(e) paste0("    {", paste(vapply(names(e), function(k) {
  v <- e[[k]]; paste0(esc(k), ": ", if (is.character(v)) esc(v) else format(v))
}, ""), collapse = ", "), "}")
writeLines(c("{", '  "protocol": "for each series, `origins` forecast origins spaced by `horizon` at the end: origin i (0-based) trains on values [0, n - (origins - i) * horizon) and forecasts the next `horizon`; MASE per origin is scaled by the in-sample seasonal-naive MAE (lag masePeriod) of that training span, then averaged over origins; sMAPE (0-200) is over all forecast values",',
  '  "series": [', paste(vapply(entries, item, ""), collapse = ",\n"), "  ]", "}"), file.path(out, "manifest.json"))
cat(length(entries), "series written to", out, "\n")
