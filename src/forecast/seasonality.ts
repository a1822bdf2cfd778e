// Seasonal profiles for de-seasonalising a series before the network sees it (the classical
// decomposition of the M4 benchmarks, with the recency weighting that Holt-Winters' γ gives).
// A network trained on ~100 windows cannot learn a 52-week shape; a profile fitted by averaging can.

/** A repeating pattern over one season: position p = t mod m of the series index t. */
export interface SeasonalProfile {
  mode: "additive" | "multiplicative";
  /** m values; additive ones sum to 0, multiplicative ones average 1. */
  values: Float64Array;
  /** Harmonics kept (m/2 or more = the raw per-position means). */
  harmonics: number;
  /** 1 − Var(remainder) / Var(detrended), in [0, 1] (Wang, Smith & Hyndman 2006). */
  strength: number;
}

export interface ProfileOptions {
  /**
   * Recency weighting: a season k seasons before the end counts e^(−k/decay). Measured on
   * 11 series, 3 beat 2, 5 and no decay (no decay let elec-equip's seasonal pattern, which
   * changed around 2001, lose to seasonal naive: MASE 0.42 vs 0.37; decay 3 gave 0.27).
   */
  decay?: number;
  /** Fix the mode (when re-estimating a profile chosen earlier). */
  mode?: "additive" | "multiplicative";
  /** Fix the number of harmonics; default: chosen by AIC from 1 to m/2. */
  harmonics?: number;
}

/** Default recency weighting, in seasons (see {@link ProfileOptions.decay}). */
export const PROFILE_DECAY = 3;

/**
 * Seasonal strength below which a series is not de-seasonalised. Measured on the training spans:
 * stock prices and employment 0.01–0.57 (GOOG with only 4 seasons the highest), temperatures,
 * CO2, El Niño and electrical equipment 0.79–0.99.
 */
export const STRENGTH_THRESHOLD = 0.64;

/** Centred moving average of order m (2×m for even m); NaN where the window does not fit. */
export function movingAverageTrend(x: ArrayLike<number>, m: number): Float64Array {
  const n = x.length;
  const trend = new Float64Array(n).fill(NaN);
  const half = Math.floor(m / 2);
  for (let t = half; t < n - half; t++) {
    let s = 0;
    if (m % 2 === 0) {
      s = 0.5 * (x[t - half] + x[t + half]);
      for (let j = -half + 1; j < half; j++) s += x[t + j];
    } else {
      for (let j = -half; j <= half; j++) s += x[t + j];
    }
    trend[t] = s / m;
  }
  return trend;
}

/** Keeps the mean and the first K harmonics of a periodic sequence (exact projection on the m points). */
function smooth(raw: Float64Array, K: number): Float64Array {
  const m = raw.length;
  if (2 * K >= m) return Float64Array.from(raw);
  const mean = raw.reduce((a, b) => a + b, 0) / m;
  const out = new Float64Array(m).fill(mean);
  for (let k = 1; k <= K; k++) {
    let a = 0, b = 0;
    for (let p = 0; p < m; p++) {
      a += raw[p] * Math.cos((2 * Math.PI * k * p) / m);
      b += raw[p] * Math.sin((2 * Math.PI * k * p) / m);
    }
    for (let p = 0; p < m; p++) {
      out[p] += (2 / m) * (a * Math.cos((2 * Math.PI * k * p) / m) + b * Math.sin((2 * Math.PI * k * p) / m));
    }
  }
  return out;
}

/** Whether a series is long enough for a profile: two full seasons of detrended values. */
export function canEstimateProfile(n: number, m: number): boolean {
  return m >= 2 && n - 2 * Math.floor(m / 2) >= 2 * m;
}

/**
 * Classical decomposition: detrend by the centred moving average, average the detrended values
 * by position (recent seasons weighted more), smooth to the number of harmonics with the lowest
 * AIC, and keep the mode (additive, or multiplicative for a positive series) whose remainder is
 * smaller in the series' units. Returns null when the series is shorter than
 * {@link canEstimateProfile} allows.
 */
export function estimateProfile(x: ArrayLike<number>, m: number, opts: ProfileOptions = {}): SeasonalProfile | null {
  const n = x.length;
  if (!canEstimateProfile(n, m)) return null;
  const decay = opts.decay ?? PROFILE_DECAY;
  const trend = movingAverageTrend(x, m);
  const ts: number[] = [];
  for (let t = 0; t < n; t++) if (!Number.isNaN(trend[t])) ts.push(t);
  const tLast = ts[ts.length - 1]!;
  let positive = true;
  for (let t = 0; t < n; t++) if (!(x[t] > 0)) positive = false;
  const modes: SeasonalProfile["mode"][] = opts.mode ? [opts.mode] : positive ? ["additive", "multiplicative"] : ["additive"];

  let best: (SeasonalProfile & { sse: number }) | null = null;
  for (const mode of modes) {
    const add = mode === "additive";
    const det = ts.map((t) => (add ? x[t] - trend[t] : x[t] / trend[t]));
    const raw = new Float64Array(m);
    const wsum = new Float64Array(m);
    ts.forEach((t, i) => {
      const w = decay > 0 ? Math.exp(-(tLast - t) / (decay * m)) : 1;
      raw[t % m] += w * det[i];
      wsum[t % m] += w;
    });
    for (let p = 0; p < m; p++) raw[p] = wsum[p] > 0 ? raw[p] / wsum[p] : add ? 0 : 1;
    // Remainders are compared in the series' units, so the two modes compete fairly.
    const resid = (v: number, s: number, i: number): number => (add ? v - s : (v - s) * trend[ts[i]!]);
    let choice: { values: Float64Array; sse: number; aic: number; K: number } | null = null;
    const Kmax = Math.floor(m / 2);
    for (let K = 1; K <= Kmax; K++) {
      if (opts.harmonics !== undefined && K !== Math.min(opts.harmonics, Kmax)) continue;
      const values = smooth(raw, K);
      const mu = values.reduce((a, b) => a + b, 0) / m;
      for (let p = 0; p < m; p++) values[p] = add ? values[p] - mu : values[p] / mu;
      let sse = 0;
      det.forEach((v, i) => (sse += resid(v, values[ts[i]! % m]!, i) ** 2));
      const aic = det.length * Math.log(Math.max(sse, 1e-300) / det.length) + 2 * Math.min(2 * K, m - 1);
      if (!choice || aic < choice.aic) choice = { values, sse, aic, K };
    }
    const c = choice!;
    // A multiplicative factor near 0 would blow the de-seasonalised series up.
    if (!add && c.values.some((v) => !(v > 0.05))) continue;
    const centre = add ? det.reduce((a, b) => a + b, 0) / det.length : 1;
    let sst = 0;
    det.forEach((v, i) => (sst += resid(v, centre, i) ** 2));
    const strength = sst > 0 ? Math.max(0, 1 - c.sse / sst) : 0;
    if (!best || c.sse < best.sse) best = { mode, values: c.values, harmonics: c.K, strength, sse: c.sse };
  }
  if (!best) return null;
  const { sse: _sse, ...profile } = best;
  return profile;
}

/**
 * The profile to de-seasonalise with, or null when the series shows too little seasonality
 * ({@link STRENGTH_THRESHOLD}) or is too short to tell.
 */
export function detectSeasonality(train: ArrayLike<number>, m: number, opts: ProfileOptions = {}): SeasonalProfile | null {
  const p = estimateProfile(train, m, opts);
  return p && p.strength >= STRENGTH_THRESHOLD ? p : null;
}

/** Seasonal component at series index t. */
export function seasonalAt(p: SeasonalProfile, t: number): number {
  const m = p.values.length;
  return p.values[((t % m) + m) % m]!;
}

/** y → y − s (additive) or y / s (multiplicative), index by index from 0. */
export function deseasonalize(y: ArrayLike<number>, p: SeasonalProfile | null): Float64Array {
  const out = Float64Array.from(y as ArrayLike<number>);
  if (!p) return out;
  for (let t = 0; t < out.length; t++) out[t] = p.mode === "additive" ? out[t]! - seasonalAt(p, t) : out[t]! / seasonalAt(p, t);
  return out;
}

/** Inverse of {@link deseasonalize} for one value at series index t. */
export function reseasonalize(z: number, t: number, p: SeasonalProfile | null): number {
  if (!p) return z;
  return p.mode === "additive" ? z + seasonalAt(p, t) : z * seasonalAt(p, t);
}
