// Point-forecast accuracy measures, computed over every (origin, step) pair of a backtest.
// MASE follows Hyndman & Koehler (2006) with the M4 convention: scaled by the in-sample MAE of
// the seasonal naive forecast on the training span, so values below 1 beat that in-sample baseline.

import { DataError } from "../tensor/errors.js";

/** Accuracy of one method over a backtest. */
export interface Metrics {
  mae: number;
  rmse: number;
  /** Symmetric MAPE on the 0–200 scale (M4): 200 · |y − ŷ| / (|y| + |ŷ|), in percent. */
  smape: number;
  /** MAE divided by {@link maseScale} of the training span. */
  mase: number;
}

function pairs(actual: ArrayLike<number>, predicted: ArrayLike<number>, what: string): number {
  if (actual.length !== predicted.length) {
    throw new DataError(`${what}: ${actual.length} actual values but ${predicted.length} predictions`);
  }
  if (actual.length === 0) throw new DataError(`${what}: no values to score`);
  return actual.length;
}

/** Mean absolute error. */
export function mae(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = pairs(actual, predicted, "mae");
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(actual[i] - predicted[i]);
  return s / n;
}

/** Root mean squared error. */
export function rmse(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = pairs(actual, predicted, "rmse");
  let s = 0;
  for (let i = 0; i < n; i++) s += (actual[i] - predicted[i]) ** 2;
  return Math.sqrt(s / n);
}

/**
 * Symmetric MAPE in percent on the 0–200 scale (the M4 definition). A pair where both the
 * actual and the prediction are 0 counts as a perfect forecast (0) rather than 0/0.
 */
export function smape(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = pairs(actual, predicted, "smape");
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(actual[i]) + Math.abs(predicted[i]);
    if (d > 0) s += (200 * Math.abs(actual[i] - predicted[i])) / d;
  }
  return s / n;
}

/**
 * The MASE denominator: mean |y_t − y_{t−m}| over the training values. m = `season`, falling
 * back to m = 1 when the training span is shorter than two seasons (too few seasonal
 * differences to be a stable scale) or the season is 1.
 * @throws DataError when the training span has fewer than 2 values or is constant.
 */
export function maseScale(train: ArrayLike<number>, season: number): number {
  const n = train.length;
  const m = season > 1 && n >= 2 * season ? season : 1;
  if (n <= m) throw new DataError(`mase: the training span has ${n} value(s); need more than ${m} to scale by`);
  let s = 0;
  for (let t = m; t < n; t++) s += Math.abs(train[t] - train[t - m]);
  const scale = s / (n - m);
  if (!(scale > 0)) throw new DataError("mase: the training span is constant (its seasonal-naive error is 0), so MASE is undefined");
  return scale;
}

/** Mean absolute scaled error: MAE / {@link maseScale}(train, season). */
export function mase(actual: ArrayLike<number>, predicted: ArrayLike<number>, train: ArrayLike<number>, season: number): number {
  return mae(actual, predicted) / maseScale(train, season);
}

/** All four measures; `scale` is {@link maseScale} of the training span. */
export function scoreAll(actual: ArrayLike<number>, predicted: ArrayLike<number>, scale: number): Metrics {
  const m = mae(actual, predicted);
  return { mae: m, rmse: rmse(actual, predicted), smape: smape(actual, predicted), mase: m / scale };
}
