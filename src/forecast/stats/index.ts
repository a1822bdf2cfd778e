// Statistical forecasting methods: exponential smoothing (ETS), Theta and the M4 combination,
// with one registry the backtest and the benchmark call by name.

import { ConfigError } from "../../tensor/errors.js";
import { etsAuto, fitEts } from "./ets.js";
import { adjustedEts, comb, theta } from "./theta.js";

export * from "./ets.js";
export * from "./theta.js";
export { nelderMead, type NelderMeadOptions, type NelderMeadResult } from "./optim.js";
export { acf, seasonalityTest, seasonalAdjust, seasonalFigure, centredMovingAverage, type SeasonalAdjustment } from "./decompose.js";
export * from "./suite.js";

/** A statistical method: history, steps per season, horizon → h point forecasts. */
export type StatMethod = (y: ArrayLike<number>, period: number, h: number) => number[];

/**
 * The methods by name. ses, holt and damped seasonally adjust first as M4's benchmarks do (a
 * classical multiplicative decomposition when the 90 % autocorrelation test finds a season);
 * "ets" is automatic ETS by AICc over the additive and multiplicative models (seasonal for
 * periods 2–24); "ets-aaa" and "ets-mam" are those two seasonal models fitted directly (falling
 * back to AAN when the period is 1 or above 24, or the series holds fewer than two seasons).
 */
export const STAT_METHODS: Readonly<Record<string, StatMethod>> = Object.freeze({
  ses: (y, m, h) => adjustedEts("ANN", y, m, h),
  holt: (y, m, h) => adjustedEts("AAN", y, m, h),
  damped: (y, m, h) => adjustedEts("AAdN", y, m, h),
  ets: (y, m, h) => etsAuto(y, m).forecast(h),
  "ets-aaa": (y, m, h) => seasonalOrTrend("AAA", y, m, h),
  "ets-mam": (y, m, h) => seasonalOrTrend("MAM", y, m, h),
  theta,
  comb,
});

function seasonalOrTrend(model: "AAA" | "MAM", y: ArrayLike<number>, m: number, h: number): number[] {
  if (m >= 2 && m <= 24 && y.length >= 2 * m + 4) return fitEts(y, { model, period: m }).forecast(h);
  return fitEts(y, { model: model === "AAA" ? "AAN" : "MAN" }).forecast(h);
}

/** Looks a method up by name. @throws ConfigError naming the valid choices. */
export function statMethod(name: string): StatMethod {
  const f = STAT_METHODS[name];
  if (!f) throw new ConfigError(`unknown statistical method "${name}"; choose one of ${Object.keys(STAT_METHODS).join(", ")}`);
  return f;
}
