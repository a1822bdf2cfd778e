// The statistical classics as backtest baselines: SES, Holt and damped Holt on the M4-style
// seasonally adjusted series, automatic ETS, Theta and M4's Comb, forecast from every origin of
// the rolling backtest beside naive, seasonal naive and drift.
//
// They follow the networks' protocol: each method is fitted once, on the training span (the
// history up to the first origin), and at every later origin it is run with those parameters
// over that origin's whole history — its level, trend and seasonal states have seen every value
// up to the origin, and the seasonal adjustment is re-estimated from that history, as the
// networks' seasonal profile is. This is R's `ets(y, model = fit)`: the same model and
// parameters applied to newer data. At the first origin each forecast is exactly the method's own
// (`STAT_METHODS[name](train, season, H)`). Refitting at every origin (what `npm run
// bench:forecast` does) costs one maximum-likelihood fit per origin and method — about 4 s on the
// bundled example, more than the networks' training — for scores that differ little.

import { DataError, ConfigError, NonFiniteError } from "../tensor/errors.js";
import { buildFit, etsAuto, fitEts, seasonalAdjust, STAT_METHODS, type EtsFit, type SeasonalAdjustment } from "./stats/index.js";
import { slope } from "./stats/theta.js";

/** The statistical baselines, in the order they are shown (after naive, seasonal naive and drift). */
export const STAT_BASELINES = ["ses", "holt", "damped", "ets", "theta", "comb"] as const;
export type StatBaseline = (typeof STAT_BASELINES)[number];

export interface StatBaselineRun {
  /** forecasts[name][i][h]: method `name` from origin i, step h + 1; a method that could not be fitted is absent. */
  forecasts: Partial<Record<StatBaseline, number[][]>>;
  /** The ETS model automatic selection chose on the training span, e.g. "AAdN". */
  etsModel?: string;
  /** What was left out or refit, and why. */
  notes: string[];
}


const allFinite = (f: number[]): boolean => f.every(Number.isFinite);

/** A fit's forecast from a longer history with its parameters, or null when they do not carry over (a multiplicative state leaves the positive numbers). */
function apply(fit: EtsFit, y: ArrayLike<number>, h: number): { forecast: number[]; fit: EtsFit } | null {
  const again = buildFit(y, fit.model, fit.spec, fit.params);
  if (!Number.isFinite(again.lik) && (fit.spec.error === "M" || fit.spec.season === "M")) return null;
  const forecast = again.forecast(h);
  return allFinite(forecast) ? { forecast, fit: again } : null;
}

function reason(e: unknown): string {
  if (e instanceof DataError || e instanceof ConfigError || e instanceof NonFiniteError) return e.message;
  throw e;
}

/**
 * Forecasts of the six statistical baselines from every origin (origins[i] is the index of the
 * last value each forecast may see; origins[0] + 1 values are the training span).
 */
export function statBaselineForecasts(values: ArrayLike<number>, origins: readonly number[], horizon: number, season: number): StatBaselineRun {
  const H = horizon;
  const m = season;
  const notes: string[] = [];
  const forecasts: Partial<Record<StatBaseline, number[][]>> = {};
  if (origins.length === 0) return { forecasts, notes };
  const hist = (o: number): Float64Array => Float64Array.from({ length: o + 1 }, (_, i) => values[i]!);
  const train = hist(origins[0]!);
  const histories = origins.map(hist);
  const refits: Partial<Record<StatBaseline, number>> = {};
  const refit = (name: StatBaseline, y: Float64Array): number[] => {
    refits[name] = (refits[name] ?? 0) + 1;
    return STAT_METHODS[name]!(y, m, H);
  };

  // SES, Holt, damped: fitted once on the adjusted training span; theta reuses the SES fit.
  const smoothers = { ses: "ANN", holt: "AAN", damped: "AAdN" } as const;
  const smootherFits: Partial<Record<"ses" | "holt" | "damped", EtsFit>> = {};
  for (const [name, model] of Object.entries(smoothers) as ["ses" | "holt" | "damped", "ANN" | "AAN" | "AAdN"][]) {
    try {
      smootherFits[name] = fitEts(seasonalAdjust(train, m).adjusted, { model });
    } catch (e) {
      notes.push(`${name} left out of the backtest: ${reason(e)}`);
    }
  }
  let adjustments: SeasonalAdjustment[] = [];
  try {
    adjustments = histories.map((y) => seasonalAdjust(y, m));
  } catch (e) {
    notes.push(`ses, holt, damped, theta and comb left out of the backtest: ${reason(e)}`);
    for (const k of ["ses", "holt", "damped"] as const) delete smootherFits[k];
  }
  for (const name of ["ses", "holt", "damped"] as const) {
    const fit = smootherFits[name];
    if (!fit) continue;
    try {
      forecasts[name] = histories.map((y, i) => {
        const a = adjustments[i]!;
        const r = apply(fit, a.adjusted, H);
        return r ? r.forecast.map((v, k) => a.restore(v, k)) : refit(name, y);
      });
    } catch (e) {
      notes.push(`${name} left out of the backtest: ${reason(e)}`);
      delete smootherFits[name];
    }
  }
  if (forecasts.ses && forecasts.holt && forecasts.damped) {
    const [s, h, d] = [forecasts.ses, forecasts.holt, forecasts.damped];
    forecasts.comb = s.map((row, i) => row.map((v, k) => (v + h[i]![k]! + d[i]![k]!) / 3));
  } else {
    notes.push("comb left out of the backtest: it needs ses, holt and damped");
  }

  // Theta: SES with the training span's parameters plus half the adjusted series' slope, per origin.
  const sesFit = smootherFits.ses;
  if (sesFit) {
    const alpha = Math.max(1e-10, sesFit.params.alpha);
    try {
      forecasts.theta = histories.map((y, i) => {
        const a = adjustments[i]!;
        const x = a.adjusted;
        const r = apply(sesFit, x, H);
        if (!r) return refit("theta", y);
        const b = slope(x) / 2;
        const corr = (1 - (1 - alpha) ** x.length) / alpha;
        return r.forecast.map((v, k) => a.restore(v + b * (k + corr), k));
      });
    } catch (e) {
      notes.push(`theta left out of the backtest: ${reason(e)}`);
    }
  } else {
    notes.push("theta left out of the backtest: its simple exponential smoothing could not be fitted");
  }

  // Automatic ETS: the model and parameters chosen by AICc on the training span.
  let etsModel: string | undefined;
  try {
    const fit = etsAuto(train, m);
    forecasts.ets = histories.map((y) => apply(fit, y, H)?.forecast ?? refit("ets", y));
    etsModel = fit.model;
  } catch (e) {
    notes.push(`ets left out of the backtest: ${reason(e)}`);
  }
  for (const [name, k] of Object.entries(refits)) {
    notes.push(`${name}: refit at ${k} of ${origins.length} origins, where the training span's parameters took a multiplicative state out of the positive numbers`);
  }
  // Order the methods as STAT_BASELINES.
  const ordered: Partial<Record<StatBaseline, number[][]>> = {};
  for (const k of STAT_BASELINES) if (forecasts[k]) ordered[k] = forecasts[k];
  return { forecasts: ordered, notes, ...(etsModel ? { etsModel } : {}) };
}
