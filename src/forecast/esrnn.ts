// ES-RNN: Smyl's hybrid of exponential smoothing and a recurrent network (winner of the M4
// competition, Smyl 2020), for one series.
//
// A Holt–Winters-style multiplicative exponential smoothing runs over the series with learned
// coefficients: a level l_t = α·y_t/s_t + (1 − α)·l_{t−1} and seasonal indices
// s_{t+m} = γ·y_t/l_t + (1 − γ)·s_t, α and γ through a sigmoid, the first season's indices
// learned (in logs). Each lookback window is divided by the level at its last step and
// de-seasonalised, in logs: x_j = log(y_j / (s_j · l_t)). An LSTM → Dense network maps it to the
// H values log(y_{t+h} / (s_{t+h} · l_t)), and the forecast is l_t · s_{t+h} · exp(output): re-levelled
// and re-seasonalised. Seasonal indices past the last one the data made are those of the last
// season, repeated. The smoothing coefficients, the initial indices and the network are trained
// together, end to end, on the pinball loss (τ = 0.5: the absolute error in log space) by Adam:
// the gradient flows from the loss through the network's backward pass into the windows and the
// targets, and from them back through the smoothing recursion (`esBackward`, checked by central
// differences in test/forecast/esrnn.test.ts). An ensemble of networks with different seeds is
// combined by the median.
//
// The smoothing is multiplicative, so the series must be positive: a series whose values come
// near or below zero is shifted up by a constant fixed on the training span (`offset`), and the
// shift is taken off the forecast.

import { Tensor } from "../tensor/tensor.js";
import { Rng } from "../tensor/rng.js";
import { ConfigError, DataError } from "../tensor/errors.js";
import { sequential, type Sequential } from "../models/sequential.js";
import * as layers from "../layers/index.js";
import { Optimizer } from "../optim/optimizers.js";
import { rollingOrigin, type RollingOrigin } from "./backtest.js";
import { mae } from "./metrics.js";

/** How an ES-RNN is built and trained. */
export interface EsRnnSpec {
  /** L: input steps per window. */
  lookback: number;
  /** H: steps forecast per window. */
  horizon: number;
  /** m: steps per season; 1 (or a training span shorter than two seasons) means no seasonal indices. */
  season: number;
  /** Seed of the first network; network k uses seed + k. */
  seed: number;
  /** Networks (seeds) in the median ensemble. */
  ensemble: number;
  /** Passes over the training windows. */
  epochs: number;
  /** LSTM units. */
  units: number;
  /** Pinball loss quantile; 0.5 is the median (point forecast). */
  tau: number;
  /** Adam's learning rate for the network. */
  learningRate: number;
  /** Adam's learning rate for the smoothing coefficients and the initial seasonal indices. */
  esLearningRate: number;
}

/** Defaults of {@link EsRnnSpec} besides the window sizes and the season. */
export const ESRNN_DEFAULTS = {
  seed: 42,
  ensemble: 3,
  epochs: 40,
  units: 16,
  tau: 0.5,
  learningRate: 1e-2,
  esLearningRate: 3e-2,
} as const;

/** Mini-batch size of ES-RNN training. */
export const ESRNN_BATCH = 16;
/** Most training windows (the most recent) per epoch. */
export const ESRNN_MAX_WINDOWS = 400;
/** Fewest training windows accepted. */
export const ESRNN_MIN_WINDOWS = 8;

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const logit = (p: number): number => Math.log(p / (1 - p));

/**
 * The smoothing states over a series: `level[t]` for t < n and `seas[k]` for k < n + m (the last
 * m are the indices of the season after the data). Without a season, every index is 1.
 */
export interface EsState {
  level: Float64Array;
  seas: Float64Array;
  alpha: number;
  gamma: number;
}

/**
 * Runs the smoothing over `y` (positive) with raw parameters `[a, g, θ_0 … θ_{m−1}]`:
 * α = σ(a), γ = σ(g), s_j = exp(θ_j) for the first season (m = 1: `[a]` only, no season).
 */
export function esForward(y: ArrayLike<number>, raw: ArrayLike<number>, m: number): EsState {
  const n = y.length;
  const seasonal = m > 1;
  const alpha = sigmoid(raw[0]!);
  const gamma = seasonal ? sigmoid(raw[1]!) : 0;
  const level = new Float64Array(n);
  const seas = new Float64Array(n + (seasonal ? m : 1)).fill(1);
  if (seasonal) for (let j = 0; j < m; j++) seas[j] = Math.exp(raw[2 + j]!);
  level[0] = y[0]! / seas[0]!;
  if (seasonal) seas[m] = gamma * (y[0]! / level[0]!) + (1 - gamma) * seas[0]!;
  for (let t = 1; t < n; t++) {
    level[t] = alpha * (y[t]! / seas[t]!) + (1 - alpha) * level[t - 1]!;
    if (seasonal) seas[t + m] = gamma * (y[t]! / level[t]!) + (1 - gamma) * seas[t]!;
  }
  return { level, seas, alpha, gamma };
}

/**
 * Reverse pass of {@link esForward}: given dL/dlevel[t] and dL/dseas[k] (consumed: both arrays
 * are overwritten), returns dL/d(raw parameters).
 */
export function esBackward(y: ArrayLike<number>, raw: ArrayLike<number>, m: number, st: EsState, gLevel: Float64Array, gSeas: Float64Array): Float64Array {
  const n = y.length;
  const seasonal = m > 1;
  const { level, seas, alpha, gamma } = st;
  let gA = 0, gG = 0;
  for (let t = n - 1; t >= 1; t--) {
    if (seasonal) {
      // s_{t+m} = γ·y_t/l_t + (1 − γ)·s_t
      const g = gSeas[t + m]!;
      gG += g * (y[t]! / level[t]! - seas[t]!);
      gLevel[t] = gLevel[t]! - g * gamma * y[t]! / (level[t]! * level[t]!);
      gSeas[t] = gSeas[t]! + g * (1 - gamma);
    }
    // l_t = α·y_t/s_t + (1 − α)·l_{t−1}
    const g = gLevel[t]!;
    gA += g * (y[t]! / seas[t]! - level[t - 1]!);
    if (seasonal) gSeas[t] = gSeas[t]! - g * alpha * y[t]! / (seas[t]! * seas[t]!);
    gLevel[t - 1] = gLevel[t - 1]! + g * (1 - alpha);
  }
  const grad = new Float64Array(raw.length);
  grad[0] = gA * alpha * (1 - alpha);
  if (seasonal) {
    const g = gSeas[m]!;
    gG += g * (y[0]! / level[0]! - seas[0]!);
    gLevel[0] = gLevel[0]! - g * gamma * y[0]! / (level[0]! * level[0]!);
    gSeas[0] = gSeas[0]! + g * (1 - gamma);
    // l_0 = y_0 / s_0
    gSeas[0] = gSeas[0]! - gLevel[0]! * y[0]! / (seas[0]! * seas[0]!);
    grad[1] = gG * gamma * (1 - gamma);
    for (let j = 0; j < m; j++) grad[2 + j] = gSeas[j]! * seas[j]!;
  }
  return grad;
}

/** Index into `seas` of the seasonal factor of step h (1-based) forecast from origin t: the last season's indices repeat. */
export function seasonIndex(t: number, h: number, m: number): number {
  if (m <= 1) return 0;
  return h <= m ? t + h : t + ((h - 1) % m) + 1;
}

/** Initial raw parameters: α ≈ 0.27, γ ≈ 0.12 and seasonal indices from the first seasons' ratios to their means. */
export function esInit(y: ArrayLike<number>, m: number): Float64Array {
  if (m <= 1) return Float64Array.of(logit(0.27));
  const raw = new Float64Array(2 + m);
  raw[0] = logit(0.27);
  raw[1] = logit(0.12);
  const seasons = Math.max(1, Math.min(3, Math.floor(y.length / m)));
  const sum = new Float64Array(m);
  for (let k = 0; k < seasons; k++) {
    let mean = 0;
    for (let j = 0; j < m; j++) mean += y[k * m + j]!;
    mean /= m;
    for (let j = 0; j < m; j++) sum[j] = sum[j]! + Math.log(y[k * m + j]! / mean);
  }
  for (let j = 0; j < m; j++) raw[2 + j] = sum[j]! / seasons;
  return raw;
}

/**
 * Writes the normalised window and targets of origin t: x_j = log(y_j / (s_j·l_t)) for the L steps
 * ending at t, z_h = log(y_{t+h} / (s_{t+h}·l_t)) for the H steps after it (when `z` is given).
 */
function writeWindow(y: ArrayLike<number>, st: EsState, m: number, t: number, L: number, x: Float32Array, xOff: number, z?: Float64Array, zOff = 0, H = 0): void {
  const logL = Math.log(st.level[t]!);
  for (let j = 0; j < L; j++) {
    const k = t - L + 1 + j;
    x[xOff + j] = Math.log(y[k]!) - (m > 1 ? Math.log(st.seas[k]!) : 0) - logL;
  }
  if (z) for (let h = 1; h <= H; h++) z[zOff + h - 1] = Math.log(y[t + h]!) - (m > 1 ? Math.log(st.seas[seasonIndex(t, h, m)]!) : 0) - logL;
}

/** One network of the ensemble with its own smoothing parameters. */
export interface EsRnnMember {
  model: Sequential;
  /** Raw smoothing parameters: [a, g, θ_0 … θ_{m−1}] (α = σ(a), γ = σ(g), s_j = exp θ_j); [a] without a season. */
  es: Float64Array;
  /** Epochs trained. */
  epochs: number;
  history: { loss: number[] };
}

/** The season the smoothing uses on a training span of n: m, or 1 when there are fewer than two seasons. */
export function esSeason(n: number, season: number): number {
  return season > 1 && n >= 2 * season ? season : 1;
}

/**
 * The shift that makes a series positive for the multiplicative smoothing: 0 when its smallest
 * value is at least half its range above zero, else enough to put the smallest value there.
 */
export function esOffset(y: ArrayLike<number>): number {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < y.length; i++) { lo = Math.min(lo, y[i]!); hi = Math.max(hi, y[i]!); }
  const range = hi - lo;
  const floor = range > 0 ? 0.5 * range : Math.max(1, Math.abs(hi));
  return lo >= floor ? 0 : floor - lo;
}

/** Pinball (quantile) loss of u = target − prediction: τ·u for u ≥ 0, (τ − 1)·u below. */
export function pinball(u: number, tau: number): number {
  return u >= 0 ? tau * u : (tau - 1) * u;
}

/**
 * The mean pinball loss of one member over the windows of `origins` on the positive series `y`,
 * and (with `grad`) its gradient: the network's into `model.gradients` (added; zero them first)
 * and the smoothing parameters' returned. Exposed for the gradient check.
 */
export function esRnnLoss(member: Pick<EsRnnMember, "model" | "es">, y: ArrayLike<number>, m: number, L: number, H: number, origins: readonly number[], tau: number, grad: boolean): { loss: number; esGrad: Float64Array | null } {
  const st = esForward(y, member.es, m);
  const B = origins.length;
  const X = new Float32Array(B * L);
  const Z = new Float64Array(B * H);
  origins.forEach((t, i) => writeWindow(y, st, m, t, L, X, i * L, Z, i * H, H));
  const out = member.model.forward(new Tensor(X, [B, L, 1]), grad).data;
  const count = B * H;
  let loss = 0;
  const dOut = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = Z[i]! - out[i]!;
    loss += pinball(u, tau);
    dOut[i] = (u >= 0 ? -tau : 1 - tau) / count; // dL/d(prediction)
  }
  loss /= count;
  if (!grad) return { loss, esGrad: null };
  const dx = member.model.backward(new Tensor(dOut, [B, H])).data;
  const gLevel = new Float64Array(y.length);
  const gSeas = new Float64Array(st.seas.length);
  origins.forEach((t, i) => {
    // x_j = log y_k − log s_k − log l_t; z_h = log y − log s_idx − log l_t; dL/dz = −dL/d(prediction).
    let gLogL = 0;
    for (let j = 0; j < L; j++) {
      const g = dx[i * L + j]!;
      gLogL -= g;
      if (m > 1) { const k = t - L + 1 + j; gSeas[k] = gSeas[k]! - g / st.seas[k]!; }
    }
    for (let h = 1; h <= H; h++) {
      const gz = -dOut[i * H + h - 1]!;
      gLogL -= gz;
      if (m > 1) { const k = seasonIndex(t, h, m); gSeas[k] = gSeas[k]! - gz / st.seas[k]!; }
    }
    gLevel[t] = gLevel[t]! + gLogL / st.level[t]!;
  });
  return { loss, esGrad: esBackward(y, member.es, m, st, gLevel, gSeas) };
}

/** The network of one member: LSTM(units) → Dense(H) on [L, 1] windows. */
export function esRnnNetwork(spec: Pick<EsRnnSpec, "lookback" | "horizon" | "units">, seed: number): Sequential {
  return sequential([
    layers.input({ shape: [spec.lookback, 1] }),
    layers.lstm({ units: spec.units }),
    layers.dense({ units: spec.horizon }),
  ], { seed, name: "esrnn" });
}

/** Adam on a float64 vector (the smoothing parameters). */
class SmallAdam {
  private readonly mom: Float64Array;
  private readonly vel: Float64Array;
  private t = 0;
  constructor(n: number, private readonly lr: number) {
    this.mom = new Float64Array(n);
    this.vel = new Float64Array(n);
  }
  step(w: Float64Array, g: Float64Array): void {
    this.t++;
    const b1 = 0.9, b2 = 0.999;
    const c1 = 1 - b1 ** this.t, c2 = 1 - b2 ** this.t;
    for (let i = 0; i < w.length; i++) {
      const gi = Number.isFinite(g[i]!) ? g[i]! : 0;
      this.mom[i] = b1 * this.mom[i]! + (1 - b1) * gi;
      this.vel[i] = b2 * this.vel[i]! + (1 - b2) * gi * gi;
      w[i] = w[i]! - (this.lr * this.mom[i]! / c1) / (Math.sqrt(this.vel[i]! / c2) + 1e-8);
    }
  }
}

function shifted(values: ArrayLike<number>, offset: number): Float64Array {
  const y = new Float64Array(values.length);
  // A newer history may dip below what the training span's shift covers: keep it positive.
  for (let i = 0; i < y.length; i++) y[i] = Math.max(values[i]! + offset, 1e-9 * (1 + Math.abs(offset)));
  return y;
}

function checkSpec(spec: EsRnnSpec): void {
  for (const k of ["lookback", "horizon", "season", "ensemble", "epochs", "units"] as const) {
    const v = spec[k];
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`esrnn: ${k} must be a positive integer, got ${v}`);
  }
  if (!(spec.tau > 0 && spec.tau < 1)) throw new ConfigError(`esrnn: tau must lie in (0, 1), got ${spec.tau}`);
  for (const k of ["learningRate", "esLearningRate"] as const) {
    if (!(spec[k] > 0 && Number.isFinite(spec[k]))) throw new ConfigError(`esrnn: ${k} must be a positive number, got ${spec[k]}`);
  }
}

/** The median of a list of numbers. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
}

/**
 * An ensemble of ES-RNNs for one series: each member has its own smoothing parameters and network,
 * trained from its own seed; the forecast is the members' median.
 */
export class EsRnnEnsemble {
  /**
   * The spec, with `season` the one the smoothing uses (1 when the training span is under two
   * seasons); `preset` and `strategy` name the model as the forecaster's files and summaries do.
   */
  readonly spec: EsRnnSpec & { preset: "esrnn"; strategy: "direct"; valueTransform?: undefined };

  private constructor(
    spec: EsRnnSpec,
    /** Added to the values before smoothing (and taken off the forecast), fixed on the training span. */
    readonly offset: number,
    readonly members: EsRnnMember[],
  ) {
    this.spec = { ...spec, preset: "esrnn", strategy: "direct" };
  }

  /** An ensemble from saved parts; it forecasts exactly as the one that was saved. */
  static restore(spec: EsRnnSpec, offset: number, members: EsRnnMember[]): EsRnnEnsemble {
    checkSpec(spec);
    return new EsRnnEnsemble(spec, offset, members);
  }

  /** Training windows a series of n values gives. */
  static windowCount(n: number, spec: Pick<EsRnnSpec, "lookback" | "horizon">): number {
    return n - spec.lookback - spec.horizon + 1;
  }

  /**
   * Trains the ensemble on `train` for `spec.epochs` epochs. The smoothing uses the season when
   * the span holds at least two seasons.
   * @throws ConfigError on a bad spec; DataError on non-finite values or too few windows.
   */
  static fit(train: ArrayLike<number>, spec: EsRnnSpec, opts: { offset?: number; onEpochEnd?: (epoch: number, logs: Record<string, number>) => void } = {}): EsRnnEnsemble {
    checkSpec(spec);
    const n = train.length;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(train[i]!)) throw new DataError(`esrnn: the training value at index ${i} is ${train[i]}; impute missing values first`);
    }
    const { lookback: L, horizon: H } = spec;
    const all = EsRnnEnsemble.windowCount(n, spec);
    if (all < ESRNN_MIN_WINDOWS) {
      throw new DataError(`esrnn: ${n} training points give ${Math.max(0, all)} windows of lookback ${L} + horizon ${H}; need at least ${ESRNN_MIN_WINDOWS}: shorten the lookback, the horizon or the test span`);
    }
    const m = esSeason(n, spec.season);
    const used: EsRnnSpec = { ...spec, season: m };
    const offset = opts.offset ?? esOffset(train);
    const y = shifted(train, offset);
    const N = Math.min(all, ESRNN_MAX_WINDOWS);
    const origins = Array.from({ length: N }, (_, i) => n - H - N + i); // last origin n − 1 − H
    const members: EsRnnMember[] = [];
    for (let k = 0; k < spec.ensemble; k++) {
      const model = esRnnNetwork(spec, spec.seed + k);
      const member: EsRnnMember = { model, es: esInit(y, m), epochs: spec.epochs, history: { loss: [] } };
      const opt = new Optimizer({ type: "adam", learningRate: spec.learningRate, clipNorm: 1 });
      const esOpt = new SmallAdam(member.es.length, spec.esLearningRate);
      const rng = new Rng(spec.seed + k + 0x9e37);
      for (let epoch = 0; epoch < spec.epochs; epoch++) {
        const perm = rng.permutation(N);
        let sum = 0, batches = 0;
        for (let b = 0; b < N; b += ESRNN_BATCH) {
          const batch = Array.from(perm.subarray(b, Math.min(N, b + ESRNN_BATCH)), (i) => origins[i]!);
          model.zeroGrads();
          const r = esRnnLoss(member, y, m, L, H, batch, spec.tau, true);
          if (!Number.isFinite(r.loss)) throw new DataError(`esrnn: the loss became ${r.loss} at epoch ${epoch + 1} of network ${k + 1}; the series may hold values the smoothing cannot follow`);
          opt.step(model.parameters, model.gradients, model.backend);
          esOpt.step(member.es, r.esGrad!);
          sum += r.loss;
          batches++;
        }
        member.history.loss.push(sum / batches);
        opts.onEpochEnd?.(epoch, { loss: sum / batches, member: k });
      }
      members.push(member);
    }
    return new EsRnnEnsemble(used, offset, members);
  }

  /** The same recipe trained on `values` (e.g. the whole series), with the same shift and seeds. */
  refit(values: ArrayLike<number>): EsRnnEnsemble {
    const { preset: _p, strategy: _s, ...spec } = this.spec;
    return EsRnnEnsemble.fit(values, spec, { offset: this.offset });
  }

  /** α and γ of each member (γ 0 without a season). */
  coefficients(): { alpha: number; gamma: number }[] {
    return this.members.map((mb) => ({ alpha: sigmoid(mb.es[0]!), gamma: this.spec.season > 1 ? sigmoid(mb.es[1]!) : 0 }));
  }

  /** H values after the end of `history`, using nothing but `history`. */
  forecast(history: ArrayLike<number>): number[] {
    const { lookback: L, horizon: H, season: m } = this.spec;
    if (history.length < L) throw new DataError(`esrnn: the history has ${history.length} values; the lookback needs ${L}`);
    const y = shifted(history, this.offset);
    const t = y.length - 1;
    const x = new Float32Array(L);
    const perMember = this.members.map((mb) => {
      const st = esForward(y, mb.es, m);
      writeWindow(y, st, m, t, L, x, 0);
      const out = mb.model.forward(new Tensor(x, [1, L, 1]), false).data;
      return Array.from({ length: H }, (_, h) => st.level[t]! * (m > 1 ? st.seas[seasonIndex(t, h + 1, m)]! : 1) * Math.exp(out[h]!));
    });
    return Array.from({ length: H }, (_, h) => median(perMember.map((f) => f[h]!)) - this.offset);
  }
}

/** Which network family made a forecast: the LSTM ensemble or the ES-RNN. */
export type ForecastFamily = "lstm" | "esrnn";

/** The ES-RNN's part in a forecast: its backtest beside the LSTM's and which of the two was chosen. */
export interface EsRnnSelection {
  /** The family whose backtest (and future) the forecast reports. */
  chosen: ForecastFamily;
  /** MAE over every (origin, step) pair of each family's backtest; esrnn null when it could not be trained. */
  mae: { lstm: number | null; esrnn: number | null };
  /** The ES-RNN trained on the training span, when it could be. */
  ensemble: EsRnnEnsemble | null;
  /** Its backtest from the same origins as the LSTM's. */
  run: RollingOrigin | null;
  notes: string[];
}

/**
 * Trains an ES-RNN on the training span (the first `trainEnd` values) with the forecaster's
 * lookback, horizon, season and seed, backtests it from the LSTM's origins and picks the family
 * with the lower backtest MAE (the LSTM on a tie). `epochs` and `ensemble` (the LSTM's) cap the
 * ES-RNN's defaults (40 epochs, 3 networks). `mode` "esrnn" always picks the ES-RNN (and
 * lets its errors through); "auto" falls back to the LSTM when the ES-RNN cannot be trained.
 * `lstm` is null when no LSTM was trained (then the ES-RNN is chosen).
 */
export function selectEsRnn(
  values: Float64Array, trainEnd: number, lstm: RollingOrigin | null,
  spec: { lookback: number; horizon: number; season: number; seed: number; testSize: number; epochs?: number; ensemble?: number },
  mode: "auto" | "esrnn",
): EsRnnSelection {
  const H = spec.horizon;
  const notes: string[] = [];
  const actual = (run: RollingOrigin): number[] => run.origins.flatMap((o) => Array.from({ length: H }, (_, h) => values[o + 1 + h]!));
  const lstmMae = lstm ? mae(actual(lstm), lstm.forecasts.flat()) : null;
  let ensemble: EsRnnEnsemble | null = null;
  try {
    const t0 = performance.now();
    ensemble = EsRnnEnsemble.fit(values.subarray(0, trainEnd), {
      ...ESRNN_DEFAULTS, lookback: spec.lookback, horizon: H, season: spec.season, seed: spec.seed,
      // A smaller budget asked for the LSTM (epochs, ensemble) bounds the ES-RNN's too.
      epochs: Math.min(ESRNN_DEFAULTS.epochs, spec.epochs ?? Infinity),
      ensemble: Math.min(ESRNN_DEFAULTS.ensemble, spec.ensemble ?? Infinity),
    });
    const c = ensemble.coefficients();
    notes.push(
      `ES-RNN: ${ensemble.members.length} networks LSTM(${ensemble.spec.units}) on ${ensemble.spec.season > 1 ? `multiplicative level and season ${ensemble.spec.season}` : "a multiplicative level (no season)"}` +
        `${ensemble.offset > 0 ? ` of the values + ${+ensemble.offset.toPrecision(4)}` : ""}, α ${c.map((x) => x.alpha.toFixed(2)).join("/")}` +
        `${ensemble.spec.season > 1 ? `, γ ${c.map((x) => x.gamma.toFixed(2)).join("/")}` : ""}; trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  } catch (e) {
    if (mode === "esrnn" || !(e instanceof DataError)) throw e;
    notes.push(`ES-RNN not trained: ${e.message}`);
  }
  const run = ensemble ? rollingOrigin(values, (history) => ensemble!.forecast(history), { horizon: H, testSize: spec.testSize }) : null;
  const esMae = run ? mae(actual(run), run.forecasts.flat()) : null;
  let chosen: ForecastFamily;
  if (mode === "esrnn" || lstmMae === null) chosen = "esrnn";
  else chosen = esMae !== null && esMae < lstmMae ? "esrnn" : "lstm";
  if (mode === "auto" && lstmMae !== null && esMae !== null) {
    // one line with the ES-RNN's own note: what it was, and which model the backtest chose
    const choice = `model chosen by backtest MAE: ${chosen === "esrnn" ? "ES-RNN" : "LSTM"} (LSTM ${+lstmMae.toPrecision(4)}, ES-RNN ${+esMae.toPrecision(4)}; ` +
      `the chosen model's scores took part in the choice, so they lean optimistic)`;
    if (notes.length && notes[notes.length - 1]!.startsWith("ES-RNN: ")) notes[notes.length - 1] += `; ${choice}`;
    else notes.push(choice);
  }
  return { chosen, mae: { lstm: lstmMae, esrnn: esMae }, ensemble, run, notes };
}
