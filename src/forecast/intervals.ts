// Prediction intervals by split-conformal calibration on the rolling backtest's errors.
//
// For each horizon step h, the absolute errors |y − ŷ| of the model's backtest forecasts at that
// step, one per origin, are the calibration set. With n of them, the interval at level 1 − α is
// ŷ ± the k-th smallest, k = ⌈(n + 1)(1 − α)⌉: the finite-sample correction that makes the
// coverage at least 1 − α when the errors are exchangeable (Vovk et al. 2005; Lei et al. 2018).
// When k > n (fewer than 1/α − 1 errors: 4 for 80 %, 19 for 95 %) no finite quantile has that
// guarantee; the interval then uses the largest error and is marked `exact: false`.
//
// Coverage is measured honestly: the interval at backtest origin i and step h is calibrated only
// on errors at step h whose actual value had been observed by origin i (origins j with
// origin_j + h + 1 ≤ origin_i), and a pair is scored only where that set is large enough for
// the guarantee (k ≤ n). The future interval uses every origin's error, all of them observed.

import { DataError } from "../tensor/errors.js";

/** The levels every forecast gets. */
export const INTERVAL_LEVELS = [80, 95] as const;
export type IntervalLevel = (typeof INTERVAL_LEVELS)[number];

/** Half-widths of the intervals at each step, as a forecaster stores them. */
export interface IntervalWidths {
  method: "split-conformal";
  /** Backtest origins (calibration errors per step). */
  origins: number;
  /** halfWidth["80"][h]: the forecast at step h + 1 ± this value. */
  halfWidth: Record<`${IntervalLevel}`, number[]>;
  /** Whether each level had enough origins for the finite-sample guarantee (k ≤ n). */
  exact: Record<`${IntervalLevel}`, boolean>;
}

/** Coverage of one level over the backtest. */
export interface LevelCoverage {
  /** Nominal level in percent (80, 95). */
  level: number;
  /** Share of scored (origin, step) pairs whose actual value fell inside, in percent; null when none could be scored. */
  coverage: number | null;
  /** Pairs scored (with enough earlier errors for the guarantee). */
  scored: number;
  /** Pairs left out because too few errors had been observed by their origin. */
  skipped: number;
}

/** What forecast() reports about its intervals. */
export interface IntervalSummary extends IntervalWidths {
  coverage: LevelCoverage[];
}

/** The conformal rank: k = ⌈(n + 1)·level⌉ (1-based) and whether k ≤ n. */
export function conformalRank(n: number, level: number): { k: number; exact: boolean } {
  if (!Number.isInteger(n) || n < 1) throw new DataError(`conformal: need at least one calibration error, got ${n}`);
  if (!(level > 0 && level < 1)) throw new DataError(`conformal: level must lie in (0, 1), got ${level}`);
  // The small epsilon keeps (n + 1)·level = 24.000000000000004 from rounding up to 25.
  const k = Math.ceil((n + 1) * level - 1e-9);
  return { k: Math.min(k, n), exact: k <= n };
}

/** The k-th smallest absolute error of the conformal rule (the largest one when n is too small). */
export function conformalQuantile(absErrors: readonly number[], level: number): { q: number; exact: boolean } {
  const sorted = absErrors.slice().sort((a, b) => a - b);
  const { k, exact } = conformalRank(sorted.length, level);
  return { q: sorted[k - 1]!, exact };
}

/** errors[i][h] = actual − forecast at origin i, step h + 1. */
export function backtestErrors(values: ArrayLike<number>, origins: readonly number[], forecasts: readonly (readonly number[])[]): number[][] {
  if (origins.length !== forecasts.length) throw new DataError(`intervals: ${origins.length} origins but ${forecasts.length} rows of forecasts`);
  return origins.map((o, i) => forecasts[i]!.map((f, h) => {
    const y = values[o + 1 + h];
    if (y === undefined) throw new DataError(`intervals: origin ${o} step ${h + 1} lies past the end of the series`);
    return y - f;
  }));
}

/** The future's interval half-widths: per step, the conformal quantile of every origin's |error|. */
export function calibrateIntervals(errors: readonly (readonly number[])[]): IntervalWidths {
  if (errors.length === 0) throw new DataError("intervals: no backtest errors to calibrate on");
  const H = errors[0]!.length;
  const halfWidth = {} as Record<`${IntervalLevel}`, number[]>;
  const exact = {} as Record<`${IntervalLevel}`, boolean>;
  for (const level of INTERVAL_LEVELS) {
    const key = `${level}` as const;
    exact[key] = true;
    halfWidth[key] = Array.from({ length: H }, (_, h) => {
      const r = conformalQuantile(errors.map((e) => Math.abs(e[h]!)), level / 100);
      if (!r.exact) exact[key] = false;
      return r.q;
    });
  }
  return { method: "split-conformal", origins: errors.length, halfWidth, exact };
}

/**
 * Empirical coverage over the backtest: the interval at origin i and step h is calibrated on the
 * errors at step h of origins j ≤ i − h − 1 (those whose actual value origin i had seen);
 * `originStep` is the spacing of consecutive origins in periods (1 in the rolling backtest).
 */
export function backtestCoverage(errors: readonly (readonly number[])[], originStep = 1): LevelCoverage[] {
  const N = errors.length;
  const H = N > 0 ? errors[0]!.length : 0;
  return INTERVAL_LEVELS.map((level) => {
    let inside = 0, scored = 0, skipped = 0;
    for (let i = 0; i < N; i++) {
      for (let h = 0; h < H; h++) {
        // Origin j's step-h actual sits at origin_j + h + 1 ≤ origin_i.
        const seen: number[] = [];
        for (let j = 0; j < i; j++) if ((i - j) * originStep >= h + 1) seen.push(Math.abs(errors[j]![h]!));
        if (seen.length === 0 || !conformalRank(seen.length, level / 100).exact) { skipped++; continue; }
        const { q } = conformalQuantile(seen, level / 100);
        scored++;
        if (Math.abs(errors[i]![h]!) <= q) inside++;
      }
    }
    return { level, coverage: scored > 0 ? (100 * inside) / scored : null, scored, skipped };
  });
}

/** Calibrated widths and their measured coverage from the model's backtest. */
export function conformalIntervals(values: ArrayLike<number>, origins: readonly number[], forecasts: readonly (readonly number[])[]): IntervalSummary {
  const errors = backtestErrors(values, origins, forecasts);
  return { ...calibrateIntervals(errors), coverage: backtestCoverage(errors) };
}

/** A forecast with its intervals: lo80, hi80, lo95, hi95 around each value. */
export function withIntervals<T extends { value: number }>(points: T[], widths: IntervalWidths): (T & { lo80: number; hi80: number; lo95: number; hi95: number })[] {
  const w80 = widths.halfWidth["80"], w95 = widths.halfWidth["95"];
  if (w80.length !== points.length || w95.length !== points.length) {
    throw new DataError(`intervals: ${w80.length} calibrated steps for a forecast of ${points.length}`);
  }
  return points.map((p, h) => ({ ...p, lo80: p.value - w80[h]!, hi80: p.value + w80[h]!, lo95: p.value - w95[h]!, hi95: p.value + w95[h]! }));
}
