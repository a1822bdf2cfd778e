// Anomaly detection by forecast residuals: an LSTM learns to forecast one step ahead from a
// lookback window on a fitting span of the series; every later point is scored by how far it lands
// from its forecast, in robust units of the residuals the fitting span gave, and flagged past a
// threshold. Plus the seeded injection of spikes and level shifts into a real series (so a
// detector can be measured against known labels) and precision / recall / F1 against labels.
//
// Why forecast residuals and a robust threshold (docs/anomaly.md says more):
// - One-step forecasts make a point anomalous relative to its own recent past, which is what a
//   spike or a sudden shift is; a seasonal series does not need de-seasonalising for that.
// - The threshold is |r − median| > k · 1.4826 · MAD of the fitting span's residuals by default:
//   the median and MAD ignore up to half of the residuals being anomalous, so anomalies inside the
//   fitting span do not widen the threshold, and k is in units of a (robust) standard deviation,
//   whatever the series' length. The quantile rule (flag above the q-quantile of the fitting span's
//   scores) is offered too; it flags about 1 − q of clean points by construction.
// - A flagged point is replaced by its forecast in the history later windows see ("patching"),
//   so one spike does not make the next `lookback` forecasts wrong and get them flagged too. A run
//   of more than `lookback` flags is taken as a change of level: its real values go back into the
//   history and its points are scored again without patching.

import { Tensor } from "../tensor/tensor.js";
import { Rng } from "../tensor/rng.js";
import { ConfigError, DataError } from "../tensor/errors.js";
import { checkOptions, options, oneOf, positiveInt, nonNegativeInt, bool, z } from "../layers/options.js";
import { sequential, type Sequential } from "../models/sequential.js";
import { earlyStopping } from "../models/callbacks.js";
import type { ProgressRenderer } from "../models/progress.js";
import * as layers from "../layers/index.js";
import { COLORS, type VlSpec } from "../report/charts.js";
import { asciiLines } from "../report/ascii.js";
import type { Plot } from "../report/plots.js";

/** How the threshold is fitted on the fitting span's residuals. */
export type ThresholdRule = "mad" | "quantile";

export const THRESHOLD_RULES: readonly ThresholdRule[] = ["mad", "quantile"];

/** Scale factor that makes the MAD of normal data its standard deviation. */
export const MAD_TO_SIGMA = 1.4826;

/** Default k of the "mad" rule: Iglewicz and Hoaglin's cut-off for modified z-scores. */
export const DEFAULT_K = 3.5;
/** Default q of the "quantile" rule. */
export const DEFAULT_QUANTILE = 0.995;
/** Default lookback (steps in each input window). */
export const DEFAULT_LOOKBACK = 14;
/** Default share of the series (from its start) the network and the threshold are fitted on. */
export const DEFAULT_FIT_FRACTION = 0.5;
/** Fewest training windows accepted in the fitting span. */
export const MIN_FIT_WINDOWS = 32;

export interface AnomalyOptions {
  /** Steps in each input window (default 14). */
  lookback?: number;
  /**
   * Points at the start of the series (index < fitEnd) the network is trained on and the threshold
   * fitted on. Default round(fitFraction · n).
   */
  fitEnd?: number;
  /** Share of the series used as the fitting span when `fitEnd` is not given (default 0.5). */
  fitFraction?: number;
  /** "mad" (default): |r − median| > k · 1.4826 · MAD; "quantile": score above the q-quantile of the fitting span's scores. */
  rule?: ThresholdRule;
  /** Threshold of the "mad" rule in robust standard deviations (default 3.5); must be positive. */
  k?: number;
  /** q of the "quantile" rule, in (0, 1) (default 0.995). */
  quantile?: number;
  /** Per-point labels (1 / true = anomaly), as long as the series: precision, recall and F1 are computed. */
  labels?: ArrayLike<number | boolean>;
  /** Replace flagged points by their forecasts in later windows (default true). */
  patch?: boolean;
  /** LSTM units (default 32). */
  units?: number;
  /** Most training epochs (default 100; early stopping on the last fifth of the fitting span usually stops sooner). */
  epochs?: number;
  /** Epochs without a better validation loss before stopping (default 10). */
  patience?: number;
  /** Seed of the network's weights and shuffles (default 42). */
  seed?: number;
  /** Training progress: 0 silent (default), 1 a bar per epoch, 2 a line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Draws the training progress when verbose is 1 or 2; default the host's. */
  progress?: ProgressRenderer;
}

const ANOMALY_OPTIONS = options({
  lookback: positiveInt().optional(),
  fitEnd: positiveInt().optional(),
  fitFraction: z.number({ error: "must be a share between 0 and 1 (exclusive)" })
    .refine((v) => v > 0 && v < 1, { error: "must be a share between 0 and 1 (exclusive)" }).optional(),
  rule: oneOf(THRESHOLD_RULES).optional(),
  k: z.number({ error: "must be a positive number" }).refine((v) => Number.isFinite(v) && v > 0, { error: "must be a positive number" }).optional(),
  quantile: z.number({ error: "must be between 0 and 1 (exclusive)" }).refine((v) => v > 0 && v < 1, { error: "must be between 0 and 1 (exclusive)" }).optional(),
  labels: z.custom<ArrayLike<number | boolean>>((v) => v !== null && typeof v === "object" && typeof (v as { length?: unknown }).length === "number", {
    error: "must be an array of 0 / 1 (or booleans), one per point",
  }).optional(),
  patch: bool().optional(),
  units: positiveInt().optional(),
  epochs: positiveInt().optional(),
  patience: nonNegativeInt().optional(),
  seed: nonNegativeInt().optional(),
  verbose: z.union([z.literal(0), z.literal(1), z.literal(2)], { error: "must be 0, 1 or 2" }).optional(),
  progress: z.custom<ProgressRenderer>((v) => v !== null && typeof v === "object", { error: "must be a progress renderer" }).optional(),
});

/** The fitted threshold, in score units and in the series' units around the forecast. */
export interface AnomalyThreshold {
  rule: ThresholdRule;
  /** k of the "mad" rule (absent for "quantile"). */
  k?: number;
  /** q of the "quantile" rule (absent for "mad"). */
  quantile?: number;
  /** A point is flagged when its score exceeds this (k for "mad"; the fitted quantile for "quantile"). */
  score: number;
  /** Median of the fitting span's residuals (series units). */
  center: number;
  /** 1.4826 · MAD of the fitting span's residuals (series units): one score unit. */
  scale: number;
  /** A point is flagged when its residual (actual − forecast) is below `lower` or above `upper`. */
  lower: number;
  upper: number;
}

/** Detection counts and rates against labels. */
export interface DetectionMetrics {
  /** tp / (tp + fp); 0 when nothing was flagged. */
  precision: number;
  /** tp / (tp + fn); 0 when nothing is labelled. */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
  tp: number;
  fp: number;
  fn: number;
  /** Points compared (every scored point). */
  evaluated: number;
}

export interface AnomalyResult {
  /** Per point: |residual − center| / scale; NaN for the first `lookback` points, which have no forecast. */
  scores: Float64Array;
  /** Per point: true when the score exceeds the threshold (always false for unscored points). */
  flags: boolean[];
  /** Per point: the one-step forecast (NaN for the first `lookback` points). */
  forecasts: Float64Array;
  /** Per point: actual − forecast (NaN for the first `lookback` points). */
  residuals: Float64Array;
  /** Indices of the flagged points, ascending. */
  flagged: number[];
  threshold: AnomalyThreshold;
  lookback: number;
  /** Points 0 … fitEnd − 1 trained the network and fitted the threshold. */
  fitEnd: number;
  /**
   * The residuals the threshold was fitted on: points lookback … fitEnd − 1 forecast from the
   * series as given (no patching: there is no threshold yet to patch by). `residuals` over the same
   * span can differ where a flagged point was patched.
   */
  fitResiduals: Float64Array;
  /** Against `labels` over every scored point (index ≥ lookback), when labels were given. */
  metrics?: DetectionMetrics;
  /** The same over the points after the fitting span only (index ≥ fitEnd), when labels were given. */
  heldOutMetrics?: DetectionMetrics;
  /** The trained forecaster: input [1, lookback, 1] of (value − window's last value) / stepScale. */
  model: Sequential;
  /** Robust scale of the fitting span's one-step changes (1.4826 · MAD of first differences): the network's unit. */
  stepScale: number;
  /** Training and validation loss per epoch. */
  history: { loss: number[]; val_loss?: number[] };
  notes: string[];
}

// --- small robust statistics -----------------------------------------------------------------------

/** Median of the finite values (NaN when there is none). */
export function medianOf(xs: ArrayLike<number>): number {
  const s = Array.from(xs).filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const k = s.length >> 1;
  return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
}

/** 1.4826 · median |x − median(x)| of the finite values: a standard deviation that outliers do not inflate. */
export function robustSigma(xs: ArrayLike<number>): number {
  const m = medianOf(xs);
  return MAD_TO_SIGMA * medianOf(Array.from(xs, (x) => Math.abs(x - m)));
}

/**
 * A series' robust scale: 1.4826 · MAD of its first differences (a typical one-step change,
 * unaffected by trend, season or a few outliers). The unit of {@link injectAnomalies}'s sizes.
 */
export function robustScale(values: ArrayLike<number>): number {
  const d: number[] = [];
  for (let i = 1; i < values.length; i++) d.push(values[i]! - values[i - 1]!);
  return robustSigma(d);
}

/** Linear-interpolated q-quantile (type 7, numpy's default) of the finite values. */
function quantileOf(xs: ArrayLike<number>, q: number): number {
  const s = Array.from(xs).filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]!) - s[lo]!);
}

// --- labels and metrics ------------------------------------------------------------------------------

function labelAt(labels: ArrayLike<number | boolean>, i: number, where: string): boolean {
  const v = labels[i];
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  throw new DataError(`${where}: labels[${i}] is ${JSON.stringify(v)}; labels must be 0 or 1 (or true / false)`);
}

/**
 * Precision, recall and F1 of `flags` against `labels` over the indices from `from` (inclusive) to
 * `to` (exclusive; default the end).
 * @throws DataError when the lengths differ or a label is not 0 / 1 / true / false.
 */
export function detectionMetrics(flags: ArrayLike<boolean>, labels: ArrayLike<number | boolean>, from = 0, to = flags.length): DetectionMetrics {
  if (labels.length !== flags.length) {
    throw new DataError(`detectionMetrics: ${labels.length} labels for ${flags.length} flags; give one label per point`);
  }
  let tp = 0, fp = 0, fn = 0;
  for (let i = from; i < to; i++) {
    const f = flags[i] === true;
    const l = labelAt(labels, i, "detectionMetrics");
    if (f && l) tp++;
    else if (f) fp++;
    else if (l) fn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, tp, fp, fn, evaluated: Math.max(0, to - from) };
}

// --- the detector -------------------------------------------------------------------------------------

function buildNetwork(lookback: number, units: number, seed: number): Sequential {
  const model = sequential([layers.input({ shape: [lookback, 1] }), layers.lstm({ units }), layers.dense({ units: 1 })], { seed, name: "anomaly_lstm" });
  // Huber (δ = 1 step scale): anomalies left in the fitting span pull the fit linearly, not quadratically.
  model.compile({ optimizer: { type: "adam", learningRate: 3e-3, clipNorm: 1 }, loss: "huber" });
  return model;
}

/** Writes the normalised window of `z` ending at index `o` (inclusive) into out; returns its anchor (last value). */
function writeWindow(z: ArrayLike<number>, o: number, L: number, scale: number, out: Float32Array, off: number): number {
  const ref = z[o]!;
  for (let j = 0; j < L; j++) out[off + j] = (z[o - L + 1 + j]! - ref) / scale;
  return ref;
}

/**
 * Scores every point of `values` by its one-step LSTM forecast residual and flags anomalies.
 *
 * The network (LSTM(units) → Dense(1), Huber loss, Adam) is trained on the windows of the fitting
 * span (the first `fitEnd` points; the last fifth of its windows for early stopping), each window
 * shifted by its last value and divided by the span's robust step scale. Every point from index
 * `lookback` on is then forecast from the `lookback` points before it (flagged points replaced by
 * their forecasts when `patch` is on), and scored |r − center| / scale with center and scale the
 * median and 1.4826 · MAD of the fitting span's residuals. Seeded: the same input and options
 * give the same result, bit for bit.
 *
 * @throws ConfigError for an unknown or out-of-range option (k ≤ 0, a quantile outside (0, 1), …).
 * @throws DataError for a non-finite value, too short a series or fitting span, or labels of the
 *   wrong length or values.
 */
export async function detectAnomalies(values: ArrayLike<number>, opts: AnomalyOptions = {}): Promise<AnomalyResult> {
  checkOptions(ANOMALY_OPTIONS, opts, "detectAnomalies");
  const n = values.length;
  const L = opts.lookback ?? DEFAULT_LOOKBACK;
  const rule = opts.rule ?? "mad";
  if (rule === "mad" && opts.quantile !== undefined) throw new ConfigError(`detectAnomalies: quantile applies to rule "quantile", not "mad"; pass rule: "quantile" or drop quantile`);
  if (rule === "quantile" && opts.k !== undefined) throw new ConfigError(`detectAnomalies: k applies to rule "mad", not "quantile"; pass rule: "mad" or drop k`);
  if (opts.fitEnd !== undefined && opts.fitFraction !== undefined) throw new ConfigError("detectAnomalies: fitEnd and fitFraction both say where the fitting span ends; give one");
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) throw new DataError(`detectAnomalies: values[${i}] is ${String(values[i])}; every value must be a finite number`);
  }
  const needed = L + 2 * MIN_FIT_WINDOWS;
  if (n < needed) {
    throw new DataError(`detectAnomalies: the series has ${n} points, too few for lookback ${L}: at least ${needed} are needed (lookback + ${MIN_FIT_WINDOWS} windows to fit on + as many to score)`);
  }
  const fitEnd = opts.fitEnd ?? Math.round((opts.fitFraction ?? DEFAULT_FIT_FRACTION) * n);
  const fitWindows = fitEnd - L;
  if (fitWindows < MIN_FIT_WINDOWS) {
    throw new DataError(`detectAnomalies: the fitting span (points 0–${fitEnd - 1}) gives ${Math.max(0, fitWindows)} windows of lookback ${L}; at least ${MIN_FIT_WINDOWS} are needed: lengthen the span (fitEnd / fitFraction) or shorten the lookback`);
  }
  if (fitEnd >= n) throw new DataError(`detectAnomalies: fitEnd ${fitEnd} leaves no point after the fitting span of a ${n}-point series`);
  if (opts.labels !== undefined && opts.labels.length !== n) {
    throw new DataError(`detectAnomalies: ${opts.labels.length} labels for a ${n}-point series; give one label (0 or 1) per point`);
  }
  if (opts.labels !== undefined) for (let i = 0; i < n; i++) labelAt(opts.labels, i, "detectAnomalies");
  const notes: string[] = [];

  // Training windows: targets fitEnd-1 at the latest, so nothing after the span is seen.
  const x = Float64Array.from(values);
  const stepScale = robustScale(x.subarray(0, fitEnd)) || Math.max(1e-8, robustSigma(x.subarray(0, fitEnd)), Math.abs(x[0]!) * 1e-3);
  const N = fitWindows;
  const nVal = Math.max(1, Math.round(0.2 * N));
  const cut = N - nVal;
  const X = new Float32Array(N * L);
  const Y = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const o = L - 1 + i;
    const ref = writeWindow(x, o, L, stepScale, X, i * L);
    Y[i] = (x[o + 1]! - ref) / stepScale;
  }
  const seed = opts.seed ?? 42;
  const model = buildNetwork(L, opts.units ?? 32, seed);
  const stopper = earlyStopping({ monitor: "val_loss", patience: opts.patience ?? 10, restoreBestWeights: true });
  const h = await model.fit(new Tensor(X.slice(0, cut * L), [cut, L, 1]), new Tensor(Y.slice(0, cut), [cut, 1]), {
    epochs: opts.epochs ?? 100,
    batchSize: 16,
    shuffle: true,
    verbose: opts.verbose ?? 0,
    ...(opts.progress ? { progress: opts.progress } : {}),
    run: { label: "anomaly network", index: 0, count: 1 },
    callbacks: [stopper],
    validationData: [new Tensor(X.slice(cut * L), [nVal, L, 1]), new Tensor(Y.slice(cut), [nVal, 1])],
  });

  // Scoring walks forward: the fitting span first (its residuals fit the threshold), then the rest.
  const forecasts = new Float64Array(n).fill(NaN);
  const residuals = new Float64Array(n).fill(NaN);
  const scores = new Float64Array(n).fill(NaN);
  const flags: boolean[] = new Array<boolean>(n).fill(false);
  const patch = opts.patch ?? true;
  const win = new Float32Array(L);
  const oneStep = (history: Float64Array, t: number): number => {
    const ref = writeWindow(history, t - 1, L, stepScale, win, 0);
    return model.predict(new Tensor(win, [1, L, 1])).data[0]! * stepScale + ref;
  };

  // Pass 1 over the fitting span without patching (no threshold yet): the residuals the threshold is fitted on.
  {
    const B = fitEnd - L;
    const xb = new Float32Array(B * L);
    const refs = new Float64Array(B);
    for (let i = 0; i < B; i++) refs[i] = writeWindow(x, L - 1 + i, L, stepScale, xb, i * L);
    const yb = model.predict(new Tensor(xb, [B, L, 1])).data;
    for (let i = 0; i < B; i++) {
      forecasts[L + i] = yb[i]! * stepScale + refs[i]!;
      residuals[L + i] = x[L + i]! - forecasts[L + i]!;
    }
  }
  const fitResiduals = residuals.slice(L, fitEnd);
  const center = medianOf(fitResiduals);
  let scale = robustSigma(fitResiduals);
  if (!(scale > 0)) {
    scale = Math.max(1e-12, stepScale * 1e-6);
    notes.push("the fitting span's residuals have no spread (MAD 0): scores are in units of a millionth of the step scale");
  }
  let cutoff: number;
  if (rule === "mad") cutoff = opts.k ?? DEFAULT_K;
  else {
    const q = opts.quantile ?? DEFAULT_QUANTILE;
    cutoff = quantileOf(Array.from(fitResiduals, (r) => Math.abs(r - center) / scale), q);
  }
  const threshold: AnomalyThreshold = {
    rule,
    ...(rule === "mad" ? { k: cutoff } : { quantile: opts.quantile ?? DEFAULT_QUANTILE }),
    score: cutoff,
    center,
    scale,
    lower: center - cutoff * scale,
    upper: center + cutoff * scale,
  };

  // Pass 2: every point from L on, in order, patching flagged points into the history. A run of
  // more than L patched points is a change, not an anomaly (patched forecasts fed back into the
  // windows drift from a series that has moved on, and every later point would be flagged): the
  // run's real values go back into the history and its points are scored again, unpatched.
  const hist = Float64Array.from(x);
  let run = 0; // consecutive patched points
  let runStart = L;
  let patchFrom = L; // no patching before this index (set by a rewind)
  let rewinds = 0;
  for (let t = L; t < n; t++) {
    const f = oneStep(hist, t);
    forecasts[t] = f;
    const r = x[t]! - f;
    residuals[t] = r;
    const s = Math.abs(r - center) / scale;
    scores[t] = s;
    const flagged = s > cutoff;
    flags[t] = flagged;
    if (!flagged) {
      run = 0;
      continue;
    }
    if (!patch || t < patchFrom) continue;
    if (run === 0) runStart = t;
    if (++run > L) {
      for (let i = runStart; i < t; i++) hist[i] = x[i]!;
      patchFrom = t + 1;
      run = 0;
      rewinds++;
      t = runStart - 1; // the loop's t++ rescores from runStart
      continue;
    }
    hist[t] = f;
  }
  const flagged = flags.flatMap((f, i) => (f ? [i] : []));
  const nFit = flagged.filter((i) => i < fitEnd).length;
  notes.push(`fitted on points 0–${fitEnd - 1} (${cut} training and ${nVal} validation windows, ${h.epoch.length} epochs); ${flagged.length} of ${n - L} scored points flagged (${nFit} in the fitting span)`);
  if (rewinds > 0) notes.push(`${rewinds} run(s) of more than ${L} flagged points were taken as changes of level and scored again without patching`);

  const result: AnomalyResult = {
    scores, flags, forecasts, residuals, flagged, threshold, lookback: L, fitEnd, fitResiduals, model, stepScale,
    history: { loss: h.history.loss ?? [], ...(h.history.val_loss ? { val_loss: h.history.val_loss } : {}) },
    notes,
  };
  if (opts.labels !== undefined) {
    result.metrics = detectionMetrics(flags, opts.labels, L);
    result.heldOutMetrics = detectionMetrics(flags, opts.labels, fitEnd);
    let early = 0;
    for (let i = 0; i < L; i++) if (labelAt(opts.labels, i, "detectAnomalies")) early++;
    if (early > 0) notes.push(`${early} labelled point(s) among the first ${L} have no forecast and are not scored`);
  }
  return result;
}

// --- injected anomalies --------------------------------------------------------------------------------

export interface InjectOptions {
  /** Single-point spikes of ±spikeSize robust scales (random sign). Default 0. */
  spikes?: number;
  /** Level shifts: a run of `shiftLength` points moved by ±shiftSize robust scales. Default 0. */
  shifts?: number;
  /** Spike height in robust scales ({@link robustScale}); default 6. */
  spikeSize?: number;
  /** Shift height in robust scales; default 5. */
  shiftSize?: number;
  /** Points per level shift; default 7. */
  shiftLength?: number;
  /** First index an anomaly may touch (default 0; e.g. the lookback, so every one is scored). */
  from?: number;
  /** Default 1. */
  seed?: number;
}

const INJECT_OPTIONS = options({
  spikes: nonNegativeInt().optional(),
  shifts: nonNegativeInt().optional(),
  spikeSize: z.number({ error: "must be a positive number" }).refine((v) => Number.isFinite(v) && v > 0, { error: "must be a positive number" }).optional(),
  shiftSize: z.number({ error: "must be a positive number" }).refine((v) => Number.isFinite(v) && v > 0, { error: "must be a positive number" }).optional(),
  shiftLength: positiveInt().optional(),
  from: nonNegativeInt().optional(),
  seed: nonNegativeInt().optional(),
});

/** One injected anomaly. */
export interface InjectedEvent {
  kind: "spike" | "shift";
  /** First index touched. */
  start: number;
  /** Points touched (1 for a spike). */
  length: number;
  /** Signed change added to the values, in the series' units. */
  delta: number;
}

export interface Injected {
  /** The series with the anomalies added (the input is not modified). */
  values: Float64Array;
  /** 1 where an anomaly was injected, else 0. */
  labels: Uint8Array;
  events: InjectedEvent[];
  /** The robust scale the sizes are in units of (1.4826 · MAD of the input's first differences). */
  scale: number;
}

/**
 * Adds seeded spikes and level shifts at random, non-overlapping positions (with at least one
 * untouched point between two anomalies), keeping the labels. Sizes are in units of the series'
 * robust scale ({@link robustScale}), each anomaly's sign drawn at random.
 * @throws ConfigError for a bad option; DataError when the anomalies do not fit in the series.
 */
export function injectAnomalies(values: ArrayLike<number>, opts: InjectOptions = {}): Injected {
  checkOptions(INJECT_OPTIONS, opts, "injectAnomalies");
  const n = values.length;
  const out = Float64Array.from(values);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i])) throw new DataError(`injectAnomalies: values[${i}] is ${String(values[i])}; every value must be a finite number`);
  }
  const scale = robustScale(out);
  if (!(scale > 0)) throw new DataError("injectAnomalies: the series has no robust scale (most one-step changes are 0), so anomaly sizes in its units mean nothing");
  const spikes = opts.spikes ?? 0, shifts = opts.shifts ?? 0, len = opts.shiftLength ?? 7;
  const from = opts.from ?? 0;
  const span = n - from;
  // Each anomaly needs its length plus one free point after it.
  const room = spikes * 2 + shifts * (len + 1);
  if (room > span / 2) {
    throw new DataError(`injectAnomalies: ${spikes} spikes and ${shifts} shifts of ${len} points need ${room} of the ${span} points from index ${from}; at most half may be used — inject fewer`);
  }
  const rng = new Rng(opts.seed ?? 1);
  const taken = new Uint8Array(n + 1);
  const labels = new Uint8Array(n);
  const events: InjectedEvent[] = [];
  const place = (kind: "spike" | "shift", length: number, size: number): void => {
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const start = from + rng.int(span - length + 1);
      let free = true;
      for (let i = Math.max(0, start - 1); i <= start + length; i++) if (taken[i]) free = false;
      if (!free) continue;
      const delta = (rng.next() < 0.5 ? -1 : 1) * size * scale;
      for (let i = start; i < start + length; i++) {
        out[i] = out[i]! + delta;
        labels[i] = 1;
        taken[i] = 1;
      }
      events.push({ kind, start, length, delta });
      return;
    }
    throw new DataError(`injectAnomalies: found no free place for a ${kind} of ${length} point(s); inject fewer`);
  };
  for (let k = 0; k < shifts; k++) place("shift", len, opts.shiftSize ?? 5);
  for (let k = 0; k < spikes; k++) place("spike", 1, opts.spikeSize ?? 6);
  events.sort((a, b) => a.start - b.start);
  return { values: out, labels, events, scale };
}

/** A CSV of the result, one row per point: date (or index), value, forecast, residual, score, flag[, label]. */
export function anomaliesCsv(
  values: ArrayLike<number>, result: AnomalyResult, opts: { dates?: readonly string[]; labels?: ArrayLike<number | boolean> } = {},
): string {
  if (opts.dates && opts.dates.length !== values.length) throw new DataError(`anomaliesCsv: ${opts.dates.length} dates for ${values.length} values`);
  if (result.scores.length !== values.length) throw new DataError(`anomaliesCsv: the result has ${result.scores.length} points, the values ${values.length}`);
  const num = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 1e6) / 1e6) : "");
  const head = [opts.dates ? "date" : "index", "value", "forecast", "residual", "score", "flag", ...(opts.labels ? ["label"] : [])];
  const rows = [head.join(",")];
  for (let i = 0; i < values.length; i++) {
    const cells = [opts.dates ? opts.dates[i]! : String(i), num(values[i]!), num(result.forecasts[i]!), num(result.residuals[i]!), num(result.scores[i]!), result.flags[i] ? "1" : "0"];
    if (opts.labels) cells.push(labelAt(opts.labels, i, "anomaliesCsv") ? "1" : "0");
    rows.push(cells.join(","));
  }
  return rows.join("\n") + "\n";
}

export interface AnomalyPlotInput {
  values: ArrayLike<number>;
  result: AnomalyResult;
  /** ISO dates, one per value, for a date axis (default: the index). */
  dates?: readonly string[];
  /** Labels (1 = anomaly), drawn as rings around the labelled points. */
  labels?: ArrayLike<number | boolean>;
  /** Chart title (default "Anomalies"). */
  title?: string;
  /** Pixel width (default 900) and height (default 260) of the SVG chart. */
  width?: number;
  height?: number;
  /** Terminal plot area: columns (default 70) and rows (default 12). */
  termWidth?: number;
  termHeight?: number;
}

/**
 * The series with its flagged points marked (red dots), the labelled points ringed when labels are
 * given and the end of the fitting span as a dashed rule: a Vega-Lite spec (draw it with `toSvg`)
 * and a terminal rendering (the series as "·", flagged points as "X").
 */
export function plotAnomalies(input: AnomalyPlotInput): Plot {
  const { values, result } = input;
  const n = values.length;
  if (result.scores.length !== n) throw new DataError(`plotAnomalies: the result has ${result.scores.length} points, the values ${n}`);
  if (input.dates && input.dates.length !== n) throw new DataError(`plotAnomalies: ${input.dates.length} dates for ${n} values`);
  if (input.labels && input.labels.length !== n) throw new DataError(`plotAnomalies: ${input.labels.length} labels for ${n} values`);
  const title = input.title ?? "Anomalies";
  const xField = input.dates ? { field: "x", type: "temporal", title: "date" } : { field: "x", type: "quantitative", title: "index" };
  const xOf = (i: number): string | number => (input.dates ? input.dates[i]! : i);
  const rows = Array.from({ length: n }, (_, i) => ({ x: xOf(i), value: values[i]! }));
  const flaggedRows = result.flagged.map((i) => ({ x: xOf(i), value: values[i]!, score: Math.round(result.scores[i]! * 100) / 100 }));
  const labelRows = input.labels
    ? Array.from({ length: n }, (_, i) => i).filter((i) => labelAt(input.labels!, i, "plotAnomalies")).map((i) => ({ x: xOf(i), value: values[i]! }))
    : [];
  const layer: VlSpec[] = [
    { name: "series", data: { values: rows }, mark: { type: "line", color: COLORS.naive, strokeWidth: 1 }, encoding: { x: xField, y: { field: "value", type: "quantitative", title: "value", scale: { zero: false } } } },
    {
      name: "fit_end",
      data: { values: [{ x: xOf(Math.min(result.fitEnd, n - 1)) }] },
      mark: { type: "rule", color: COLORS.split, strokeDash: [4, 3] },
      encoding: { x: xField },
    },
  ];
  if (labelRows.length > 0) {
    layer.push({ name: "labelled", data: { values: labelRows }, mark: { type: "point", shape: "circle", size: 110, filled: false, color: COLORS.validation, strokeWidth: 1.5 }, encoding: { x: xField, y: { field: "value", type: "quantitative" } } });
  }
  if (flaggedRows.length > 0) {
    layer.push({ name: "flagged", data: { values: flaggedRows }, mark: { type: "circle", size: 36, color: COLORS.split }, encoding: { x: xField, y: { field: "value", type: "quantitative" }, tooltip: [{ field: "x" }, { field: "value" }, { field: "score" }] } });
  }
  const spec: VlSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, subtitle: `red: flagged (${result.flagged.length})${labelRows.length ? `; rings: labelled (${labelRows.length})` : ""}; dashed: end of the fitting span` },
    width: input.width ?? 900,
    height: input.height ?? 260,
    layer,
    config: { axis: { labelFontSize: 11, titleFontSize: 12 }, view: { stroke: "#e5e7eb" } },
  };
  const flaggedSeries = Array.from({ length: n }, (_, i) => (result.flags[i] ? values[i]! : NaN));
  const terminal = asciiLines([
    { name: "series", values: Array.from(values), symbol: "·" },
    { name: `flagged (${result.flagged.length})`, values: flaggedSeries, symbol: "X" },
  ], { title, width: input.termWidth ?? 70, height: input.termHeight ?? 12, xLabel: input.dates ? `${input.dates[0]} … ${input.dates[n - 1]}, index` : "index" });
  return { spec, terminal };
}
