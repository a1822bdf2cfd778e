// Rolling-origin backtest: a forecaster fitted once on the training span forecasts H steps from
// every origin in the test span, seeing only the true history up to that origin.

import { DataError } from "../tensor/errors.js";
import { naive, seasonalNaive, drift } from "./baselines.js";
import { maseScale, mae, scoreAll, type Metrics } from "./metrics.js";
import { statBaselineForecasts, type StatBaseline } from "./stat_baselines.js";

/** Maps the history up to an origin (inclusive; `history.length − 1` is the origin) to H values. */
export type ForecastFn = (history: Float64Array, origin: number) => number[];

export interface RollingOriginOptions {
  horizon: number;
  /** The last `testSize` points are the test span; origins run from the last training point to n−1−H. */
  testSize: number;
}

export interface RollingOrigin {
  /** Index of each origin: trainEnd − 1, …, n − 1 − H (testSize − H + 1 of them). */
  origins: number[];
  /** forecasts[i][h] predicts index origins[i] + 1 + h. */
  forecasts: number[][];
}

/** Checks a test span of `testSize` points against a series of n and a horizon; returns the first test index. */
export function testStart(n: number, testSize: number, horizon: number): number {
  if (!Number.isInteger(horizon) || horizon < 1) throw new DataError(`rollingOrigin: horizon must be a positive integer, got ${horizon}`);
  if (!Number.isInteger(testSize) || testSize < horizon) {
    throw new DataError(`rollingOrigin: testSize must be an integer of at least the horizon ${horizon}, got ${testSize}`);
  }
  if (testSize >= n) throw new DataError(`rollingOrigin: testSize ${testSize} leaves no training data in a series of ${n}`);
  return n - testSize;
}

/**
 * Forecasts from every origin of the test span. Each call gets a copy of the values up to its
 * origin, so nothing after the origin can reach the forecaster.
 * @throws DataError on a bad horizon/testSize, or a forecaster returning the wrong number of values.
 */
export function rollingOrigin(values: ArrayLike<number>, fn: ForecastFn, opts: RollingOriginOptions): RollingOrigin {
  const n = values.length;
  const H = opts.horizon;
  const start = testStart(n, opts.testSize, H);
  const origins: number[] = [];
  const forecasts: number[][] = [];
  for (let o = start - 1; o <= n - 1 - H; o++) {
    const history = Float64Array.from({ length: o + 1 }, (_, i) => values[i]!);
    const f = fn(history, o);
    if (f.length !== H) throw new DataError(`rollingOrigin: the forecaster returned ${f.length} values at origin ${o}; expected ${H}`);
    origins.push(o);
    forecasts.push(f);
  }
  return { origins, forecasts };
}

/** The model and the simple baselines, always scored. */
export type CoreMethod = "model" | "naive" | "seasonalNaive" | "drift";
/** Every method a backtest scores: the core ones and the statistical baselines (ses, holt, damped, ets, theta, comb). */
export type MethodName = CoreMethod | StatBaseline;
/** A record with every core method and the statistical baselines that could be fitted. */
export type ByMethod<T> = Record<CoreMethod, T> & Partial<Record<StatBaseline, T>>;

export interface BacktestScores {
  /** Forecasts of each method, same layout as {@link RollingOrigin.forecasts}. */
  forecasts: ByMethod<number[][]>;
  /** Over every (origin, step) pair. */
  metrics: ByMethod<Metrics>;
  /** MAE of each method at each horizon step (index h = step h + 1). */
  maeByStep: ByMethod<number[]>;
  /** The ETS model automatic selection chose on the training span. */
  etsModel?: string;
  /** Statistical baselines left out or refit at some origins, and why. */
  notes: string[];
}

export interface ScoreOptions {
  /** Also score the statistical baselines (ses, holt, damped, ets, theta, comb). Default true. */
  statistical?: boolean;
}

/**
 * Scores model forecasts from {@link rollingOrigin} beside the baselines run from the same
 * origins — naive, seasonal naive, drift and the statistical classics (see stat_baselines.ts:
 * fitted once on the training span, run over each origin's history); MASE is scaled on the
 * training span (before the test span).
 */
export function scoreBacktest(values: ArrayLike<number>, run: RollingOrigin, horizon: number, season: number, opts: ScoreOptions = {}): BacktestScores {
  const H = horizon;
  const start = run.origins[0]! + 1;
  const scale = maseScale(Float64Array.from({ length: start }, (_, i) => values[i]!), season);
  const forecasts: ByMethod<number[][]> = { model: run.forecasts, naive: [], seasonalNaive: [], drift: [] };
  for (const o of run.origins) {
    const hist = Float64Array.from({ length: o + 1 }, (_, i) => values[i]!);
    forecasts.naive.push(naive(hist, H));
    // A history shorter than a season falls back to naive, as the MASE scale does.
    forecasts.seasonalNaive.push(hist.length >= season ? seasonalNaive(hist, H, season) : naive(hist, H));
    forecasts.drift.push(drift(hist, H));
  }
  const notes: string[] = [];
  let etsModel: string | undefined;
  if (opts.statistical ?? true) {
    const stat = statBaselineForecasts(values, run.origins, H, season);
    Object.assign(forecasts, stat.forecasts);
    notes.push(...stat.notes);
    etsModel = stat.etsModel;
  }
  const actual = run.origins.flatMap((o) => Array.from({ length: H }, (_, h) => values[o + 1 + h]!));
  const metrics = {} as ByMethod<Metrics>;
  const maeByStep = {} as ByMethod<number[]>;
  for (const k of Object.keys(forecasts) as MethodName[]) {
    const f = forecasts[k]!;
    metrics[k] = scoreAll(actual, f.flat(), scale);
    maeByStep[k] = Array.from({ length: H }, (_, h) =>
      mae(run.origins.map((o) => values[o + 1 + h]!), f.map((r) => r[h]!)),
    );
  }
  return { forecasts, metrics, maeByStep, notes, ...(etsModel ? { etsModel } : {}) };
}
