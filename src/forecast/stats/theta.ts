// The Theta method (Assimakopoulos & Nikolopoulos, 2000) in Hyndman & Billah's form (2003), the
// M4 competition's benchmark and R's forecast::thetaf: seasonally adjust by a classical
// multiplicative decomposition when the 90 % autocorrelation test says seasonal (additive
// when the series has a value ≤ 0), forecast the
// adjusted series by simple exponential smoothing plus a drift of half the slope of its
// least-squares line, then reseasonalise. And the M4 "Comb" benchmark: the mean of SES, Holt
// and damped Holt on the same seasonally adjusted series.

import { ConfigError } from "../../tensor/errors.js";
import { checkSeries, fitEts } from "./ets.js";
import { seasonalAdjust } from "./decompose.js";

function checkArgs(method: string, y: ArrayLike<number>, period: number, h: number, minLength: number): void {
  if (!Number.isInteger(period) || period < 1) throw new ConfigError(`${method}: period must be a positive integer, got ${period}`);
  if (!Number.isInteger(h) || h < 1) throw new ConfigError(`${method}: horizon must be a positive integer, got ${h}`);
  checkSeries(y, method, minLength, false);
}

/** Slope of the least-squares line of x on 0..n−1. */
export function slope(x: ArrayLike<number>): number {
  const n = x.length;
  const tm = (n - 1) / 2;
  let ym = 0;
  for (let t = 0; t < n; t++) ym += x[t]!;
  ym /= n;
  let sxy = 0, sxx = 0;
  for (let t = 0; t < n; t++) { sxy += (t - tm) * (x[t]! - ym); sxx += (t - tm) ** 2; }
  return sxy / sxx;
}

export interface ThetaResult {
  forecast: number[];
  /** Whether the 90 % test found the series seasonal (and it was adjusted). */
  seasonal: boolean;
  /** SES smoothing parameter on the adjusted series. */
  alpha: number;
  /** Drift per step before the (1 − (1 − α)ⁿ)/α correction: half the line's slope. */
  drift: number;
}

/**
 * Theta forecast, h steps. ŷ_{n+h} = SES_{n+h} + (b/2)·(h − 1 + (1 − (1 − α)ⁿ)/α), b the slope
 * of the adjusted series' least-squares line.
 * @throws NonFiniteError / DataError (fewer than 4 values) / ConfigError (bad period or horizon).
 */
export function thetaFit(y: ArrayLike<number>, period: number, h: number): ThetaResult {
  checkArgs("theta", y, period, h, 4);
  const adj = seasonalAdjust(y, period);
  const x = adj.adjusted;
  const n = x.length;
  const ses = fitEts(x, { model: "ANN" });
  const alpha = Math.max(1e-10, ses.params.alpha);
  const b = slope(x) / 2;
  const base = ses.forecast(h);
  const corr = (1 - (1 - alpha) ** n) / alpha;
  const forecast = base.map((v, i) => adj.restore(v + b * (i + corr), i));
  return { forecast, seasonal: adj.seasonal, alpha, drift: b };
}

/** {@link thetaFit}'s forecast. */
export function theta(y: ArrayLike<number>, period: number, h: number): number[] {
  return thetaFit(y, period, h).forecast;
}

/**
 * The M4 "Comb" benchmark: mean of SES, Holt and damped Holt fitted on the seasonally adjusted
 * series (adjusted as in {@link theta}), reseasonalised.
 */
export function comb(y: ArrayLike<number>, period: number, h: number): number[] {
  checkArgs("comb", y, period, h, 6);
  const adj = seasonalAdjust(y, period);
  const x = adj.adjusted;
  const f1 = fitEts(x, { model: "ANN" }).forecast(h);
  const f2 = fitEts(x, { model: "AAN" }).forecast(h);
  const f3 = fitEts(x, { model: "AAdN" }).forecast(h);
  return f1.map((v, i) => adj.restore((v + f2[i]! + f3[i]!) / 3, i));
}

/** SES, Holt or damped Holt on the M4-style seasonally adjusted series, reseasonalised (the components of {@link comb}). */
export function adjustedEts(model: "ANN" | "AAN" | "AAdN", y: ArrayLike<number>, period: number, h: number): number[] {
  const name = { ANN: "ses", AAN: "holt", AAdN: "damped" }[model];
  checkArgs(name, y, period, h, model === "ANN" ? 4 : 6);
  const adj = seasonalAdjust(y, period);
  return fitEts(adj.adjusted, { model }).forecast(h).map((v, i) => adj.restore(v, i));
}
