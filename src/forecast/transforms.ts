// Value transforms applied to a series before the forecaster's networks see it, and undone on
// their forecasts: log, Box-Cox with λ estimated by Guerrero's method (as R forecast's
// BoxCox.lambda), first differences and seasonal differences. The forecaster picks one per
// series by its rolling-origin validation (forecaster.ts) among the candidates that apply.
//
// A transform maps a series y of n values to z:
//   log, boxcox   z_t = (y_t^λ − 1) / λ (log y_t when λ = 0), one z per y (y must be positive)
//   diff          z_t = y_{t+1} − y_t, n − 1 values
//   sdiff         z_t = y_{t+m} − y_t, n − m values (m = the season)
// and a forecast of z past the end of a history is turned back into y from that history's
// last values. Point forecasts of log and Box-Cox are back-transformed medians (no bias
// adjustment), as R's forecast(..., biasadj = FALSE).

import { ConfigError, DataError } from "../tensor/errors.js";

/** The transforms a forecaster can apply. */
export const TRANSFORMS = ["none", "log", "boxcox", "diff", "sdiff"] as const;
/** One of {@link TRANSFORMS}. */
export type TransformName = (typeof TRANSFORMS)[number];
/** A transform, or "auto": chosen per series by the rolling-origin validation. */
export type TransformChoice = TransformName | "auto";

/** A fitted transform: its name and parameters (λ for boxcox, the lag for sdiff). */
export interface SeriesTransform {
  name: TransformName;
  /** Box-Cox λ (0 for log). */
  lambda?: number;
  /** Differencing lag: 1 for diff, the season for sdiff. */
  lag?: number;
}

/** Bounds of λ searched by {@link guerreroLambda} (R's BoxCox.lambda defaults). */
export const LAMBDA_BOUNDS: readonly [number, number] = [-1, 2];

/** Whether `name` is a transform or "auto". */
export function isTransformChoice(name: unknown): name is TransformChoice {
  return name === "auto" || (TRANSFORMS as readonly unknown[]).includes(name);
}

/** Checks a --transform value, naming the valid ones. */
export function checkTransformChoice(name: unknown, where = "forecast"): TransformChoice {
  if (!isTransformChoice(name)) {
    throw new ConfigError(`${where}: unknown transform ${JSON.stringify(name)}; choose one of auto, ${TRANSFORMS.join(", ")}`);
  }
  return name;
}

function sd(xs: number[]): number {
  const n = xs.length;
  const mu = xs.reduce((a, b) => a + b, 0) / n;
  let s = 0;
  for (const x of xs) s += (x - mu) ** 2;
  return Math.sqrt(s / (n - 1));
}

/**
 * Guerrero's (1993) coefficient of variation for one λ: the series' last complete blocks of
 * `period` values, each block's sd / mean^(1−λ), and that ratio's sd / mean (R forecast's guer.cv).
 */
export function guerreroCv(x: ArrayLike<number>, lambda: number, period: number): number {
  const n = x.length;
  const blocks = Math.floor(n / period);
  const start = n - blocks * period;
  const rat: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const v: number[] = [];
    for (let j = 0; j < period; j++) v.push(x[start + b * period + j]!);
    const mean = v.reduce((a, c) => a + c, 0) / period;
    rat.push(sd(v) / mean ** (1 - lambda));
  }
  const mu = rat.reduce((a, c) => a + c, 0) / rat.length;
  return sd(rat) / mu;
}

/**
 * λ minimising {@link guerreroCv} over [−1, 2] by golden-section search, with blocks of one season
 * (at least 2 values), as R forecast's `BoxCox.lambda(x, method = "guerrero")`.
 * @throws DataError when the series has a value ≤ 0 or fewer than two blocks.
 */
export function guerreroLambda(x: ArrayLike<number>, season: number, bounds: readonly [number, number] = LAMBDA_BOUNDS): number {
  const period = Math.max(2, Math.round(season));
  for (let t = 0; t < x.length; t++) {
    if (!(x[t]! > 0)) throw new DataError(`Box-Cox: the series must be positive, but value ${t} is ${x[t]}`);
  }
  if (Math.floor(x.length / period) < 2) {
    throw new DataError(`Box-Cox: ${x.length} values make fewer than two blocks of ${period}; λ cannot be estimated`);
  }
  let allSame = true;
  for (let t = 1; t < x.length; t++) if (x[t] !== x[0]) allSame = false;
  if (allSame) return 1;
  const f = (l: number): number => {
    const v = guerreroCv(x, l, period);
    return Number.isFinite(v) ? v : Infinity;
  };
  const g = (Math.sqrt(5) - 1) / 2;
  let [a, b] = bounds;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > 1e-6) {
    if (fc < fd) {
      b = d; d = c; fd = fc;
      c = b - g * (b - a); fc = f(c);
    } else {
      a = c; c = d; fc = fd;
      d = a + g * (b - a); fd = f(d);
    }
  }
  return (a + b) / 2;
}

/** Box-Cox of one positive value: (y^λ − 1) / λ, or log y when λ = 0. */
export function boxCox(y: number, lambda: number): number {
  return lambda === 0 ? Math.log(y) : (y ** lambda - 1) / lambda;
}

/**
 * Inverse Box-Cox: (λz + 1)^(1/λ), or e^z when λ = 0. Where λz + 1 ≤ 0 (a forecast beyond the
 * transform's range) the base is clamped to 1e-12, giving the smallest (λ > 0) or a very large
 * (λ < 0) finite value rather than NaN.
 */
export function invBoxCox(z: number, lambda: number): number {
  if (lambda === 0) return Math.exp(z);
  return Math.max(lambda * z + 1, 1e-12) ** (1 / lambda);
}

/** A short label: "none", "log", "boxcox(λ=0.42)", "diff", "sdiff(52)". */
export function transformLabel(t: SeriesTransform | undefined): string {
  if (!t || t.name === "none") return "none";
  if (t.name === "boxcox") return `boxcox(λ=${(t.lambda ?? 1).toFixed(3)})`;
  if (t.name === "sdiff") return `sdiff(${t.lag})`;
  return t.name;
}

/** Values the transform drops from the start of a series (its differencing lag, else 0). */
export function transformLag(t: SeriesTransform | undefined): number {
  return t && (t.name === "diff" || t.name === "sdiff") ? t.lag ?? 1 : 0;
}

/**
 * Why the transform cannot be used on `train`, or null when it can: log and Box-Cox need positive
 * values (and Box-Cox two seasons to estimate λ), seasonal differencing a season of at least 2.
 */
export function transformUnusable(name: TransformName, train: ArrayLike<number>, season: number): string | null {
  if (name === "log" || name === "boxcox") {
    for (let t = 0; t < train.length; t++) if (!(train[t]! > 0)) return `${name} needs positive values (value ${t} is ${train[t]})`;
    if (name === "boxcox" && Math.floor(train.length / Math.max(2, season)) < 2) return `boxcox needs two seasons of ${Math.max(2, season)} to estimate λ`;
  }
  if (name === "sdiff" && season < 2) return `sdiff needs a season of at least 2 (season is ${season})`;
  return null;
}

/**
 * Fits a transform on the training span: λ by {@link guerreroLambda} for boxcox, the lag for the
 * differences (1, or the season for sdiff).
 * @throws DataError when the transform cannot be used on this series ({@link transformUnusable}).
 */
export function fitSeriesTransform(name: TransformName, train: ArrayLike<number>, season: number): SeriesTransform {
  const why = transformUnusable(name, train, season);
  if (why) throw new DataError(`transform ${name}: ${why}`);
  switch (name) {
    case "none": return { name };
    case "log": return { name, lambda: 0 };
    case "boxcox": return { name, lambda: guerreroLambda(train, season) };
    case "diff": return { name, lag: 1 };
    case "sdiff": return { name, lag: season };
  }
}

/**
 * The transformed series z of y (see the file's head for each transform's formula).
 * @throws DataError on a non-positive value under log or Box-Cox, or a series no longer than the lag.
 */
export function applyTransform(t: SeriesTransform | undefined, y: ArrayLike<number>): Float64Array {
  if (!t || t.name === "none") return Float64Array.from(y as ArrayLike<number>);
  if (t.name === "log" || t.name === "boxcox") {
    const lambda = t.lambda ?? 0;
    const z = new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) {
      if (!(y[i]! > 0)) throw new DataError(`transform ${transformLabel(t)}: value ${i} is ${y[i]}, but the transform needs positive values; choose --transform none or diff`);
      z[i] = boxCox(y[i]!, lambda);
    }
    return z;
  }
  const lag = t.lag ?? 1;
  if (y.length <= lag) throw new DataError(`transform ${transformLabel(t)}: ${y.length} values are too few to difference at lag ${lag}`);
  const z = new Float64Array(y.length - lag);
  for (let i = 0; i < z.length; i++) z[i] = y[i + lag]! - y[i]!;
  return z;
}

/**
 * Undoes {@link applyTransform} on a whole series: y from z and, for the differences, the first
 * `lag` values of y. `inverseTransform(t, applyTransform(t, y), y.slice(0, lag))` is y again
 * (to rounding).
 */
export function inverseTransform(t: SeriesTransform | undefined, z: ArrayLike<number>, head: ArrayLike<number> = []): Float64Array {
  if (!t || t.name === "none") return Float64Array.from(z as ArrayLike<number>);
  if (t.name === "log" || t.name === "boxcox") return Float64Array.from(z as ArrayLike<number>, (v) => invBoxCox(v, t.lambda ?? 0));
  const lag = t.lag ?? 1;
  if (head.length !== lag) throw new DataError(`inverseTransform ${transformLabel(t)}: needs the first ${lag} original value(s), got ${head.length}`);
  const y = new Float64Array(z.length + lag);
  for (let i = 0; i < lag; i++) y[i] = head[i]!;
  for (let i = 0; i < z.length; i++) y[i + lag] = y[i]! + z[i]!;
  return y;
}

/**
 * Turns a forecast of the transformed series (`zf[h]`, h steps past the end of `history`) back
 * into the series' own units, continuing `history` (the original values up to the origin).
 */
export function invertForecast(t: SeriesTransform | undefined, history: ArrayLike<number>, zf: readonly number[]): number[] {
  if (!t || t.name === "none") return [...zf];
  if (t.name === "log" || t.name === "boxcox") return zf.map((v) => invBoxCox(v, t.lambda ?? 0));
  const lag = t.lag ?? 1;
  const n = history.length;
  const out: number[] = [];
  for (let h = 0; h < zf.length; h++) {
    const prev = h - lag >= 0 ? out[h - lag]! : history[n + h - lag]!;
    out.push(prev + zf[h]!);
  }
  return out;
}

/**
 * The candidates "auto" compares on a training span: none, log, boxcox (when its λ is at least
 * 0.1 from 0 and 1, else it would repeat log or none) and diff; log and boxcox only for positive
 * series. Seasonal differencing is never automatic (it costs a season of windows): ask for it.
 */
export function autoCandidates(train: ArrayLike<number>, season: number): SeriesTransform[] {
  const out: SeriesTransform[] = [{ name: "none" }];
  if (!transformUnusable("log", train, season)) out.push({ name: "log", lambda: 0 });
  if (!transformUnusable("boxcox", train, season)) {
    const lambda = guerreroLambda(train, season);
    if (Math.abs(lambda) >= 0.1 && Math.abs(lambda - 1) >= 0.1) out.push({ name: "boxcox", lambda });
  }
  out.push({ name: "diff", lag: 1 });
  return out;
}
