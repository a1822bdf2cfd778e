// Benchmark forecasts every model must beat: each maps a history to the next H values.

import { DataError } from "../tensor/errors.js";

function needs(history: ArrayLike<number>, k: number, what: string, horizon: number): void {
  if (!Number.isInteger(horizon) || horizon < 1) throw new DataError(`${what}: horizon must be a positive integer, got ${horizon}`);
  if (history.length < k) throw new DataError(`${what}: needs at least ${k} past value(s), got ${history.length}`);
}

/** Naive: every step repeats the last observed value. */
export function naive(history: ArrayLike<number>, horizon: number): number[] {
  needs(history, 1, "naive", horizon);
  const last = history[history.length - 1];
  return Array.from({ length: horizon }, () => last);
}

/**
 * Seasonal naive: step h repeats the value one season before it, y_{n+h−m·k} with k the
 * number of whole seasons needed to land inside the history (so horizons beyond m repeat the
 * last observed season). With season 1 this is the naive forecast.
 */
export function seasonalNaive(history: ArrayLike<number>, horizon: number, season: number): number[] {
  if (!Number.isInteger(season) || season < 1) throw new DataError(`seasonalNaive: season must be a positive integer, got ${season}`);
  needs(history, season, "seasonalNaive", horizon);
  const n = history.length;
  return Array.from({ length: horizon }, (_, h) => history[n - season + (h % season)]);
}

/**
 * Drift (random walk with drift): the last value plus h times the average change over the
 * history, i.e. the line through the first and last observations extended.
 */
export function drift(history: ArrayLike<number>, horizon: number): number[] {
  needs(history, 1, "drift", horizon);
  const n = history.length;
  const last = history[n - 1];
  const slope = n > 1 ? (last - history[0]) / (n - 1) : 0;
  return Array.from({ length: horizon }, (_, h) => last + slope * (h + 1));
}
