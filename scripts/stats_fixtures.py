#!/usr/bin/python3
"""Reference ETS fits from Python statsmodels (ETSModel, maximum likelihood), a second
implementation beside R's forecast package, written to test/fixtures/stats/ets_statsmodels.json
for test/forecast/stats.test.ts. The series are those of scripts/stats_fixtures.R (read from its
ets.json, so run that first). Run from the repository root with the system Python that has statsmodels
(python3-statsmodels): /usr/bin/python3 scripts/stats_fixtures.py

statsmodels' log-likelihood keeps the Gaussian constants: for n values,
  -2 llf = n log(SSE / n) + n (1 + log 2 pi) [+ 2 sum log|yhat| for multiplicative errors],
so R's and recurrent's -2 log L = -2 llf - n (1 + log 2 pi) + n log n.
"""
import json
import math
import warnings

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

warnings.simplefilter("ignore")
out = "test/fixtures/stats/"
ref = json.load(open(out + "ets.json"))
ys = {f["series"]: (f["y"], f["period"], f["h"]) for f in ref}
wanted = {
    "nile": ["ANN", "AAN", "AAdN", "MNN"],
    "austres": ["ANN", "AAN", "AAdN", "AAA", "MAM"],
    "ukgas": ["AAA", "AAdA", "MAM", "MAdM"],
    "johnsonjohnson": ["AAA", "MAM"],
    "airpassengers": ["AAN", "AAA", "MAM", "MAdM"],
    "ukdriverdeaths": ["AAA", "MAM"],
}
fits = []
for series, models in wanted.items():
    y, m, h = ys[series]
    y = np.asarray(y, dtype=float)
    n = len(y)
    for model in models:
        error, season = model[0], model[-1]
        trend = model[1:-1]
        kw = dict(error="add" if error == "A" else "mul",
                  trend=None if trend == "N" else "add", damped_trend=trend == "Ad",
                  seasonal=None if season == "N" else ("add" if season == "A" else "mul"))
        if season != "N":
            kw["seasonal_periods"] = m
        res = ETSModel(y, **kw).fit(disp=False, maxiter=5000)
        p = dict(zip(res.model.param_names, res.params))
        lik = -2 * res.llf - n * (1 + math.log(2 * math.pi)) + n * math.log(n)
        fits.append({
            "series": series, "period": m if season != "N" else 1, "model": model, "y": y.tolist(), "h": h,
            "alpha": p["smoothing_level"], "beta": p.get("smoothing_trend"), "gamma": p.get("smoothing_seasonal"),
            "phi": p.get("damping_trend"), "l0": p["initial_level"], "b0": p.get("initial_trend"),
            "s0": [p[f"initial_seasonal.{j}"] for j in range(m)] if season != "N" and f"initial_seasonal.{m - 1}" in p
            else ([p[f"initial_seasonal.{j}"] for j in range(m - 1)] if season != "N" else None),
            "lik": lik, "forecast": res.forecast(h).tolist(),
        })
json.dump(fits, open(out + "ets_statsmodels.json", "w"))
print(len(fits), "statsmodels fits written to", out + "ets_statsmodels.json")
