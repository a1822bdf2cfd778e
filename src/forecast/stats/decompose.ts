// Classical decomposition and the seasonality test used by Theta and the M4 combination, as in
// R's stats::decompose and the M4 competition's benchmark code.

import { DataError } from "../../tensor/errors.js";

/**
 * Centred moving average of order m (2×m when m is even), NaN where the window does not fit —
 * the trend of R's `decompose`.
 */
export function centredMovingAverage(y: ArrayLike<number>, m: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(n).fill(NaN);
  if (m % 2 === 1) {
    const k = (m - 1) / 2;
    for (let t = k; t < n - k; t++) {
      let s = 0;
      for (let j = -k; j <= k; j++) s += y[t + j]!;
      out[t] = s / m;
    }
  } else {
    const k = m / 2;
    for (let t = k; t < n - k; t++) {
      let s = 0.5 * (y[t - k]! + y[t + k]!);
      for (let j = -k + 1; j <= k - 1; j++) s += y[t + j]!;
      out[t] = s / m;
    }
  }
  return out;
}

/**
 * Seasonal indices of a classical decomposition (R's `decompose(ts(y, frequency = m))$figure`):
 * figure[i] belongs to positions t ≡ i (mod m) counted from the first value. Additive indices sum
 * to 0, multiplicative ones average 1.
 * @throws DataError when the series has fewer than two full seasons.
 */
export function seasonalFigure(y: ArrayLike<number>, m: number, type: "additive" | "multiplicative"): number[] {
  if (y.length < 2 * m) throw new DataError(`decompose: needs at least two seasons (${2 * m} values) for season ${m}, got ${y.length}`);
  const trend = centredMovingAverage(y, m);
  const sum = new Array<number>(m).fill(0);
  const cnt = new Array<number>(m).fill(0);
  for (let t = 0; t < y.length; t++) {
    if (Number.isNaN(trend[t]!)) continue;
    const r = type === "additive" ? y[t]! - trend[t]! : y[t]! / trend[t]!;
    sum[t % m]! += r;
    cnt[t % m]! += 1;
  }
  const fig = sum.map((s, i) => s / cnt[i]!);
  const mean = fig.reduce((a, b) => a + b, 0) / m;
  return type === "additive" ? fig.map((v) => v - mean) : fig.map((v) => v / mean);
}

/** Autocorrelations at lags 1..maxLag (R's `acf`, denominator n). */
export function acf(y: ArrayLike<number>, maxLag: number): number[] {
  const n = y.length;
  let mean = 0;
  for (let t = 0; t < n; t++) mean += y[t]!;
  mean /= n;
  let c0 = 0;
  for (let t = 0; t < n; t++) c0 += (y[t]! - mean) ** 2;
  const out: number[] = [];
  for (let k = 1; k <= maxLag; k++) {
    let c = 0;
    for (let t = k; t < n; t++) c += (y[t]! - mean) * (y[t - k]! - mean);
    out.push(c0 > 0 ? c / c0 : 0);
  }
  return out;
}

/**
 * The M4 benchmark's seasonality test: seasonal when the series holds at least three seasons and
 * |r_m| exceeds the 90 % two-sided limit 1.645·√((1 + 2·Σ_{k<m} r_k²)/n) (Bartlett's formula).
 * Unlike R's `acf` default, the autocorrelations are computed up to lag m whatever n is.
 */
export function seasonalityTest(y: ArrayLike<number>, m: number): boolean {
  const n = y.length;
  if (m <= 1 || n < 3 * m) return false;
  const r = acf(y, m);
  let s = 1;
  for (let k = 0; k < m - 1; k++) s += 2 * r[k]! ** 2;
  const limit = (1.6448536269514722 * Math.sqrt(s)) / Math.sqrt(n);
  return Math.abs(r[m - 1]!) > limit;
}

/** Seasonal adjustment when {@link seasonalityTest} says so; `index(h)` reseasonalises step h ≥ 0 past the end. */
export interface SeasonalAdjustment {
  /** "none" when the test found no season. */
  type: "none" | "multiplicative" | "additive";
  seasonal: boolean;
  adjusted: Float64Array;
  /** Reseasonalises a forecast of step h (0-based) past the end. */
  restore: (value: number, h: number) => number;
}

/**
 * The M4 benchmark's seasonal adjustment: a classical multiplicative decomposition when the test
 * says seasonal. A series with a zero or negative value (a temperature in °C) cannot be divided
 * by a seasonal index, so it is adjusted additively instead (M4's series were all positive).
 */
export function seasonalAdjust(y: ArrayLike<number>, m: number): SeasonalAdjustment {
  const n = y.length;
  if (!seasonalityTest(y, m)) return { type: "none", seasonal: false, adjusted: Float64Array.from(y), restore: (v) => v };
  let positive = true;
  for (let t = 0; t < n; t++) if (!(y[t]! > 0)) positive = false;
  if (positive) {
    const fig = seasonalFigure(y, m, "multiplicative");
    const adjusted = Float64Array.from({ length: n }, (_, t) => y[t]! / fig[t % m]!);
    return { type: "multiplicative", seasonal: true, adjusted, restore: (v, h) => v * fig[(n + h) % m]! };
  }
  const fig = seasonalFigure(y, m, "additive");
  const adjusted = Float64Array.from({ length: n }, (_, t) => y[t]! - fig[t % m]!);
  return { type: "additive", seasonal: true, adjusted, restore: (v, h) => v + fig[(n + h) % m]! };
}
