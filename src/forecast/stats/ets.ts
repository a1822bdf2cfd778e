// Exponential smoothing in Hyndman's ETS state-space taxonomy (Hyndman, Koehler, Ord & Snyder,
// "Forecasting with Exponential Smoothing", 2008), fitted by maximum likelihood with Gaussian
// errors, concentrated over σ — the criterion and the recursions of R's forecast::ets, so that the
// likelihood at a given set of parameters and initial states is the same number in both.
//
// −2·log L (up to a constant) = n·log(Σ e_t²)                    for additive errors, e_t = y_t − ŷ_t
//                             = n·log(Σ e_t²) + 2·Σ log|ŷ_t|     for multiplicative, e_t = (y_t − ŷ_t)/ŷ_t
//
// For additive errors this is also least squares of the one-step errors; for multiplicative
// errors it is not, and ML is what makes the relative-error models comparable by AIC with the
// additive ones. Parameters live in R's "usual" region (0 < β < α < 1, 0 < γ < 1 − α,
// 0.8 ≤ φ ≤ 0.98), reached by logistic transformation so the optimiser is unconstrained; the
// initial states start from R's heuristic (a classical decomposition of the first three seasons,
// a line through the first max(10, 2m) adjusted values) and are then optimised with the rest.

import { ConfigError, DataError, NonFiniteError } from "../../tensor/errors.js";
import { nelderMead } from "./optim.js";
import { seasonalFigure } from "./decompose.js";

export type ErrorType = "A" | "M";
export type TrendType = "N" | "A" | "Ad";
export type SeasonType = "N" | "A" | "M";

/** The models supported: error, trend (Ad = additive damped), season. Multiplicative trends are not. */
export const ETS_MODELS = [
  "ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA", "ANM", "AAM", "AAdM",
  "MNN", "MAN", "MAdN", "MNA", "MAA", "MAdA", "MNM", "MAM", "MAdM",
] as const;
export type EtsModel = (typeof ETS_MODELS)[number];

/** Largest season the seasonal models accept (R's ets: 24); longer seasons have too many states to estimate. */
export const MAX_ETS_SEASON = 24;

export interface EtsSpec {
  error: ErrorType;
  trend: TrendType;
  season: SeasonType;
  /** Steps per season; 1 for non-seasonal models. */
  period: number;
}

/** Smoothing parameters and initial states. `s0[0]` is the most recent seasonal state (lag 1), `s0[m−1]` the one used for the first observation. */
export interface EtsParams {
  alpha: number;
  beta?: number;
  gamma?: number;
  phi?: number;
  l0: number;
  b0?: number;
  s0?: number[];
}

export interface EtsFit {
  model: EtsModel;
  spec: EtsSpec;
  params: EtsParams;
  /** −2·log L without the constant (R's `-2 * fit$loglik`). */
  lik: number;
  aic: number;
  aicc: number;
  bic: number;
  /** One-step-ahead fitted values ŷ_t. */
  fitted: number[];
  /** Residuals in the model's error form (additive: y − ŷ; multiplicative: (y − ŷ)/ŷ). */
  residuals: number[];
  /** σ² of those residuals (divided by n − number of parameters, as R does). */
  sigma2: number;
  /** Point forecasts 1..h steps past the end. */
  forecast: (h: number) => number[];
}

export interface EtsOptions {
  model: EtsModel;
  /** Steps per season; required (≥ 2) for seasonal models. Default 1. */
  period?: number;
  /** Fix α instead of estimating it. */
  alpha?: number;
}

const TOL = 1e-10;
const LO = 1e-4;
const HI = 0.9999;

/** Parses "AAdM" → { error: A, trend: Ad, season: M }. */
export function parseEtsModel(model: string, period = 1): EtsSpec {
  if (!(ETS_MODELS as readonly string[]).includes(model)) {
    throw new ConfigError(`ets: unknown model "${model}"; choose one of ${ETS_MODELS.join(", ")}`);
  }
  const error = model[0] as ErrorType;
  const trend: TrendType = model.slice(1, 3) === "Ad" ? "Ad" : (model[1] as TrendType);
  const season = model[model.length - 1] as SeasonType;
  if (season !== "N") {
    if (!Number.isInteger(period) || period < 2) throw new ConfigError(`ets ${model}: a seasonal model needs an integer period of at least 2, got ${period}`);
    if (period > MAX_ETS_SEASON) throw new ConfigError(`ets ${model}: period ${period} is above ${MAX_ETS_SEASON}; seasonal ETS would estimate ${period - 1} seasonal states (use theta or comb, which adjust seasonality by decomposition)`);
  }
  return { error, trend, season, period: season === "N" ? 1 : period };
}

/** Checks a series for a method: finite, long enough, positive when `positive`. */
export function checkSeries(y: ArrayLike<number>, method: string, minLength: number, positive: boolean): void {
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i]!)) throw new NonFiniteError(`${method}: value ${y[i]} at index ${i} is not finite`);
  }
  if (y.length < minLength) throw new DataError(`${method}: needs at least ${minLength} values, got ${y.length}`);
  if (positive) {
    for (let i = 0; i < y.length; i++) {
      if (!(y[i]! > 0)) throw new DataError(`${method}: multiplicative error or season needs positive values, got ${y[i]} at index ${i}`);
    }
  }
}

interface State { l: number; b: number; s: number[] }

function point(st: State, spec: EtsSpec, phi: number, h: number): number[] {
  const m = spec.period;
  const out: number[] = [];
  let phistar = phi;
  for (let i = 0; i < h; i++) {
    let f = spec.trend === "N" ? st.l : st.l + (spec.trend === "A" ? i + 1 : phistar) * st.b;
    if (spec.season !== "N") {
      let j = m - 1 - i;
      while (j < 0) j += m;
      f = spec.season === "A" ? f + st.s[j]! : f * st.s[j]!;
    }
    out.push(f);
    phistar += phi ** (i + 2);
  }
  return out;
}

/**
 * Runs the model over y with given parameters and initial states. Returns −2·log L (Infinity
 * where a multiplicative model's forecast or state leaves the positive numbers), the fitted
 * values, the residuals and the final state.
 */
export function etsFilter(y: ArrayLike<number>, spec: EtsSpec, p: EtsParams): { lik: number; fitted: number[]; residuals: number[]; state: State } {
  const n = y.length;
  const m = spec.period;
  const alpha = p.alpha;
  const beta = p.beta ?? 0;
  const gamma = p.gamma ?? 0;
  const phi = spec.trend === "Ad" ? (p.phi ?? 1) : 1;
  let l = p.l0;
  let b = spec.trend === "N" ? 0 : (p.b0 ?? 0);
  let s = spec.season === "N" ? [] : (p.s0 ?? []).slice();
  if (spec.season !== "N" && s.length !== m) throw new ConfigError(`ets: ${m} initial seasonal states expected, got ${s.length}`);
  const fitted: number[] = new Array(n);
  const residuals: number[] = new Array(n);
  let sse = 0;
  let logf = 0;
  for (let t = 0; t < n; t++) {
    const yt = y[t]!;
    const phib = spec.trend === "N" ? 0 : phi * b;
    const q = l + phib;
    const sOld = spec.season === "N" ? 0 : s[m - 1]!;
    const f = spec.season === "N" ? q : spec.season === "A" ? q + sOld : q * sOld;
    fitted[t] = f;
    let e: number;
    if (spec.error === "A") e = yt - f;
    else {
      if (!(Math.abs(f) > TOL)) return { lik: Infinity, fitted, residuals, state: { l, b, s } };
      e = (yt - f) / f;
      logf += Math.log(Math.abs(f));
    }
    residuals[t] = e;
    sse += e * e;
    // Level, growth and season updates (the same for both error types).
    const pl = spec.season === "N" ? yt : spec.season === "A" ? yt - sOld : yt / sOld;
    const oldl = l;
    l = q + alpha * (pl - q);
    if (spec.trend !== "N") b = phib + (beta / alpha) * (l - oldl - phib);
    if (spec.season !== "N") {
      const tt = spec.season === "A" ? yt - q : q < TOL ? 1e10 : yt / q;
      const sNew = sOld + gamma * (tt - sOld);
      for (let j = m - 1; j > 0; j--) s[j] = s[j - 1]!;
      s[0] = sNew;
    }
    if (spec.error === "M" || spec.season === "M") {
      if (!(l > 0) || (spec.season === "M" && !(s[0]! > 0))) return { lik: Infinity, fitted, residuals, state: { l, b, s } };
    }
  }
  let lik = n * Math.log(sse);
  if (spec.error === "M") lik += 2 * logf;
  if (!Number.isFinite(lik)) lik = Infinity;
  return { lik, fitted, residuals, state: { l, b, s } };
}

/** −2·log L of y under `model` at given parameters and initial states (R's `-2 * logLik(fit)`). */
export function etsLikelihood(y: ArrayLike<number>, model: EtsModel, period: number, params: EtsParams): number {
  return etsFilter(y, parseEtsModel(model, period), params).lik;
}

const sig = (u: number): number => 1 / (1 + Math.exp(-u));
const logit = (p: number): number => Math.log(p / (1 - p));

/** Minimum length for a model: its free parameters plus two, and two whole seasons for a seasonal one. */
export function etsMinLength(spec: EtsSpec): number {
  const k = freeParams(spec);
  return Math.max(k + 2, spec.season === "N" ? 4 : 2 * spec.period, 4);
}

function freeParams(spec: EtsSpec): number {
  let k = 2; // alpha, l0
  if (spec.trend !== "N") k += 2;
  if (spec.trend === "Ad") k += 1;
  if (spec.season !== "N") k += 1 + spec.period - 1;
  return k;
}

/** R's initstate: heuristic initial level, slope and seasonal states. */
function initialStates(y: ArrayLike<number>, spec: EtsSpec): { l0: number; b0: number; s0: number[] } {
  const n = y.length;
  const m = spec.period;
  let ysa: number[] = Array.from(y as ArrayLike<number>);
  let s0: number[] = [];
  if (spec.season !== "N") {
    const head = ysa.slice(0, Math.min(n, 3 * m));
    const fig = seasonalFigure(head, m, spec.season === "A" ? "additive" : "multiplicative");
    // s0[0] is lag 1 (figure of the position before the first), s0[m−1] is the first position's.
    s0 = Array.from({ length: m }, (_, j) => fig[(2 * m - 1 - j) % m]!);
    // with this layout s0[m−1] = fig[0] (first position), s0[0] = fig[m−1]
    ysa = ysa.map((v, t) => (spec.season === "A" ? v - fig[t % m]! : v / fig[t % m]!));
  }
  const maxn = Math.min(Math.max(10, 2 * m), n);
  if (spec.trend === "N") {
    let s = 0;
    for (let t = 0; t < maxn; t++) s += ysa[t]!;
    return { l0: s / maxn, b0: 0, s0 };
  }
  // Least-squares line over x = 1..maxn; l0 is its value at x = 0.
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let t = 0; t < maxn; t++) { const x = t + 1; sx += x; sy += ysa[t]!; sxx += x * x; sxy += x * ysa[t]!; }
  const slope = (maxn * sxy - sx * sy) / (maxn * sxx - sx * sx);
  const icpt = (sy - slope * sx) / maxn;
  return { l0: icpt, b0: slope, s0 };
}

/**
 * Fits an ETS model by maximum likelihood.
 * @throws NonFiniteError on NaN/Infinity in y; DataError when y is too short for the model or
 *   not positive for a multiplicative one; ConfigError on an unknown model or a bad period.
 */
export function fitEts(y: ArrayLike<number>, opts: EtsOptions): EtsFit {
  const model = opts.model;
  const spec = parseEtsModel(model, opts.period ?? 1);
  const what = `ets ${model}`;
  checkSeries(y, what, etsMinLength(spec), spec.error === "M" || spec.season === "M");
  if (opts.alpha !== undefined && !(opts.alpha >= LO && opts.alpha <= HI)) throw new ConfigError(`${what}: alpha must lie in [${LO}, ${HI}], got ${opts.alpha}`);
  const n = y.length;
  const m = spec.period;
  // Work on y / scale so that the simplex steps of the states are in units of the series' size.
  let scale = 0;
  for (let t = 0; t < n; t++) scale += Math.abs(y[t]!);
  scale = scale / n || 1;
  const z = Float64Array.from({ length: n }, (_, t) => y[t]! / scale);
  const init = initialStates(z, spec);
  const hasB = spec.trend !== "N";
  const hasPhi = spec.trend === "Ad";
  const hasS = spec.season !== "N";
  const fixedAlpha = opts.alpha;

  const decode = (x: number[]): EtsParams => {
    let i = 0;
    const alpha = fixedAlpha ?? LO + (HI - LO) * sig(x[i++]!);
    const p: EtsParams = { alpha, l0: 0 };
    if (hasB) p.beta = LO + (alpha - LO) * sig(x[i++]!);
    if (hasS) p.gamma = LO + Math.max(0, 1 - alpha - LO) * sig(x[i++]!);
    if (hasPhi) p.phi = 0.8 + 0.18 * sig(x[i++]!);
    p.l0 = x[i++]!;
    if (hasB) p.b0 = x[i++]!;
    if (hasS) {
      const free = x.slice(i, i + m - 1);
      const last = (spec.season === "M" ? m : 0) - free.reduce((a, b) => a + b, 0);
      p.s0 = [...free, last];
    }
    return p;
  };
  const encode = (p: { alpha: number; beta: number; gamma: number; phi: number }): number[] => {
    const x: number[] = [];
    if (fixedAlpha === undefined) x.push(logit((p.alpha - LO) / (HI - LO)));
    if (hasB) x.push(logit((p.beta - LO) / (p.alpha - LO)));
    if (hasS) x.push(logit((p.gamma - LO) / (1 - p.alpha - LO)));
    if (hasPhi) x.push(logit((p.phi - 0.8) / 0.18));
    x.push(init.l0);
    if (hasB) x.push(init.b0);
    if (hasS) x.push(...init.s0.slice(0, m - 1));
    return x;
  };
  const steps = (): number[] => {
    const st: number[] = [];
    if (fixedAlpha === undefined) st.push(0.5);
    if (hasB) st.push(0.5);
    if (hasS) st.push(0.5);
    if (hasPhi) st.push(0.5);
    st.push(0.05 + 0.05 * Math.abs(init.l0));
    if (hasB) st.push(0.005 + 0.1 * Math.abs(init.b0));
    if (hasS) for (let j = 0; j < m - 1; j++) st.push(0.01 + 0.1 * Math.abs(init.s0[j]! - (spec.season === "M" ? 1 : 0)));
    return st;
  };
  const objective = (x: number[]): number => etsFilter(z, spec, decode(x)).lik;
  // Several starts, the likelihood being multimodal (a trend model on a seasonal series can
  // have one optimum at α ≈ 1 and another at moderate α): R's start (small α, slow updates),
  // then moderate and fast-adapting ones; the best is kept. Seasonal fits are the costly ones
  // (one state per season), so they get fewer starts.
  const rStart = Math.max(fixedAlpha ?? 0.2 / (hasS ? m : 1) + LO, 0.02);
  // [α, β as a fraction of α, γ as a fraction of 1 − α, φ]
  const grid = hasS
    ? [[rStart, 0.1, 0.05, 0.97], [0.5, 0.1, 0.15, 0.9], [0.2, 0.5, 0.15, 0.9], [0.75, 0.01, 0.005, 0.95]]
    : [[rStart, 0.1, 0, 0.97], [0.2, 0.1, 0, 0.9], [0.5, 0.1, 0, 0.9], [0.8, 0.1, 0, 0.9], [0.5, 0.5, 0, 0.9], [0.9, 0.5, 0, 0.9]];
  let best: { x: number[]; f: number } | undefined;
  for (const [a, bf, gf, phi] of grid) {
    const alpha = fixedAlpha ?? a!;
    const s = { alpha, beta: LO + bf! * (alpha - LO), gamma: LO + gf! * (1 - alpha - LO), phi: phi! };
    const r = nelderMead(objective, encode(s), { step: steps(), maxEvals: 3000 + 600 * steps().length, tol: 1e-12, restarts: 4 });
    if (!best || r.f < best.f) best = r;
    if (fixedAlpha !== undefined && !hasB) break;
  }
  if (!best || !Number.isFinite(best.f)) throw new DataError(`${what}: no parameters in the admissible region give a finite likelihood (multiplicative states went non-positive)`);
  const pz = decode(best.x);
  const params: EtsParams = { ...pz, l0: pz.l0 * scale };
  if (hasB) params.b0 = pz.b0! * scale;
  if (hasS) params.s0 = spec.season === "A" ? pz.s0!.map((v) => v * scale) : pz.s0!.slice();
  return buildFit(y, model, spec, params);
}

/** Assembles a fit from parameters (used by fitEts, and to rebuild a fit from stored parameters). */
export function buildFit(y: ArrayLike<number>, model: EtsModel, spec: EtsSpec, params: EtsParams): EtsFit {
  const n = y.length;
  const run = etsFilter(y, spec, params);
  const np = freeParams(spec) + 1;
  const aic = run.lik + 2 * np;
  const aicc = n - np - 1 > 0 ? aic + (2 * np * (np + 1)) / (n - np - 1) : Infinity;
  const bic = run.lik + Math.log(n) * np;
  let ss = 0;
  for (const e of run.residuals) ss += e * e;
  const sigma2 = ss / Math.max(1, n - np + 1);
  const phi = spec.trend === "Ad" ? params.phi! : 1;
  const final = run.state;
  return {
    model, spec, params, lik: run.lik, aic, aicc, bic, fitted: run.fitted, residuals: run.residuals, sigma2,
    forecast: (h: number) => {
      if (!Number.isInteger(h) || h < 1) throw new ConfigError(`ets ${model}: horizon must be a positive integer, got ${h}`);
      return point({ l: final.l, b: final.b, s: final.s.slice() }, spec, phi, h);
    },
  };
}

/**
 * Automatic ETS: fits every supported model the data allow (seasonal ones when 2 ≤ period ≤ 24
 * and the series holds two seasons; multiplicative ones when every value is positive; the
 * unstable additive-error/multiplicative-season ones excluded, as R's ets does by default) and
 * keeps the lowest AICc.
 */
export function etsAuto(y: ArrayLike<number>, period = 1): EtsFit {
  checkSeries(y, "ets", 4, false);
  let positive = true;
  for (let i = 0; i < y.length; i++) if (!(y[i]! > 0)) positive = false;
  const seasonal = period >= 2 && period <= MAX_ETS_SEASON;
  let best: EtsFit | undefined;
  for (const model of ETS_MODELS) {
    if (model.endsWith("N") === false && !seasonal) continue;
    const spec = parseEtsModel(model, seasonal ? period : 1);
    if (spec.error === "A" && spec.season === "M") continue;
    if ((spec.error === "M" || spec.season === "M") && !positive) continue;
    if (y.length < etsMinLength(spec)) continue;
    try {
      const fit = fitEts(y, { model, period: spec.period });
      if (!best || fit.aicc < best.aicc) best = fit;
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
    }
  }
  if (!best) throw new DataError(`ets: no model could be fitted to a series of ${y.length} values`);
  return best;
}
