// The neural part of the forecaster: an ensemble of small recurrent networks trained on
// de-seasonalised, window-normalised lookback windows, combined by the median.
//
// Each window is shifted by an anchor (its last value, or its mean) and divided by one
// series-wide scale, and the targets are shifted the same way, so a network that outputs 0
// forecasts "the anchor" and only has to learn the departure from it. Half the members anchor on
// the last value (right for trending series), half on the window mean (right for noisy,
// mean-reverting ones); their median was the most robust choice on 11 series.

import { Tensor } from "../tensor/tensor.js";
import { ConfigError, DataError } from "../tensor/errors.js";
import type { Sequential } from "../models/sequential.js";
import { earlyStopping, type Callback, type Logs } from "../models/callbacks.js";
import type { ProgressRenderer } from "../models/progress.js";
import { buildPreset, type ModelPreset } from "./presets.js";
import {
  detectSeasonality, estimateProfile, deseasonalize, reseasonalize, type SeasonalProfile,
} from "./seasonality.js";
import { applyTransform, invertForecast, transformLag, type SeriesTransform } from "./transforms.js";

export type Strategy = "direct" | "recursive";
export type Anchor = "last" | "mean";

export interface NetworkSpec {
  preset: ModelPreset;
  strategy: Strategy;
  lookback: number;
  horizon: number;
  season: number;
  /** Most epochs per member; early stopping usually ends sooner. */
  epochs: number;
  /** Epochs without a better validation loss before stopping. */
  patience: number;
  seed: number;
  ensemble: number;
  /**
   * Applied to the values before everything else (log, Box-Cox, differences; see transforms.ts)
   * and undone on the forecasts; absent means none.
   */
  valueTransform?: SeriesTransform;
  /** Covariate channels beside the values (see {@link CovariateInputs}); absent or 0: none. */
  covariates?: number;
  verbose: 0 | 1 | 2;
  /** Draws the training of each network, told which of the ensemble it is; default the host's. */
  progress?: ProgressRenderer;
  /** After every epoch of every network; logs also carry `member` (its index) and `refit` (1 when refitting). */
  onEpochEnd?: (epoch: number, logs: Record<string, number>) => void;
}

/** Fraction of the training windows (the most recent) that early stopping watches. */
export const VALIDATION_FRACTION = 0.2;
/** Mini-batch size: 16 beat 32 by 3% on 11 series, since the series give only 30–500 windows. */
export const BATCH_SIZE = 16;
/** Fewest training windows we accept; fewer cannot train and validate a network. */
export const MIN_WINDOWS = 8;
/**
 * Most training windows (the most recent are kept). Bounds the cost of long series: weekly CO2
 * (2284 weeks) took 111 s to backtest with all 1780 windows.
 */
export const MAX_WINDOWS = 1000;

/**
 * Covariates as network inputs, already scaled, aligned on the series' indices (index 0 = the
 * first value): `past` channels are read at each window step's own time (their lags enter the
 * window, never past the origin); `known` channels (known in advance: calendar, planned events)
 * are read H steps later, so the window's last H steps carry the horizon's values. A `known`
 * channel must reach H values past the end of the history it forecasts from.
 */
export interface CovariateInputs {
  past: ArrayLike<number>[];
  known: ArrayLike<number>[];
}

/** Channels of covariates (0 when none). */
export function covariateCount(cov: CovariateInputs | undefined): number {
  return cov ? cov.past.length + cov.known.length : 0;
}

/**
 * Writes the covariate channels 1… of the window whose last step is series index `last` into
 * `out` (stride C per step): past ones at each step's index, known ones H steps ahead.
 */
function writeCovariates(cov: CovariateInputs | undefined, last: number, L: number, H: number, C: number, out: Float32Array, off: number): void {
  if (!cov) return;
  for (let j = 0; j < L; j++) {
    const t = last - L + 1 + j;
    let c = 1;
    for (const p of cov.past) out[off + j * C + c++] = p[t]!;
    for (const k of cov.known) out[off + j * C + c++] = k[t + H]!;
  }
}

/** How values become network inputs: the seasonal profile (if any) and the scale. */
export interface Transform {
  profile: SeasonalProfile | null;
  /** RMS of the de-seasonalised first differences on the training span: one "typical step" = 1. */
  scale: number;
}

export interface Member {
  model: Sequential;
  anchor: Anchor;
  /** Epochs the weights come from (best validation epoch + 1, or the refit's epoch count). */
  epochs: number;
  history: { loss: number[]; val_loss?: number[] };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
}

function fitTransform(train: Float64Array, season: number, profile?: SeasonalProfile | null): Transform {
  const p = profile === undefined ? detectSeasonality(train, season) : profile;
  const z = deseasonalize(train, p);
  let s = 0;
  for (let t = 1; t < z.length; t++) s += (z[t]! - z[t - 1]!) ** 2;
  let scale = Math.sqrt(s / Math.max(1, z.length - 1));
  // A constant series has no steps; fall back to its magnitude so inputs stay finite.
  if (!(scale > 0)) scale = Math.max(1e-8, Math.abs(z[0] ?? 1));
  return { profile: p, scale };
}

/** The profile re-estimated on the history up to an origin, keeping the mode and harmonics chosen on train. */
function refreshProfile(history: Float64Array, season: number, p: SeasonalProfile | null): SeasonalProfile | null {
  if (!p) return null;
  return estimateProfile(history, season, { mode: p.mode, harmonics: p.harmonics }) ?? p;
}

/** Writes the window of z ending at index o (inclusive) into out, normalised; returns the anchor. */
function writeWindow(z: Float64Array, o: number, L: number, anchor: Anchor, scale: number, out: Float32Array, off: number, C = 1): number {
  let ref: number;
  if (anchor === "last") ref = z[o]!;
  else {
    ref = 0;
    for (let t = o - L + 1; t <= o; t++) ref += z[t]!;
    ref /= L;
  }
  for (let j = 0; j < L; j++) out[off + j * C] = (z[o - L + 1 + j]! - ref) / scale;
  return ref;
}

export class NetworkEnsemble {
  private constructor(
    readonly spec: NetworkSpec,
    readonly transform: Transform,
    readonly members: Member[],
    /** Index of the first validation window's first target in the training series, if validated. */
    readonly validationStart: number | undefined,
  ) {}

  /**
   * An ensemble from parts saved earlier (src/forecast/saved.ts): the networks, their anchors and
   * the transform they were trained with. It forecasts exactly as the ensemble that was saved.
   */
  static restore(spec: NetworkSpec, transform: Transform, members: Member[]): NetworkEnsemble {
    return new NetworkEnsemble(spec, transform, members, undefined);
  }

  /** Values each network outputs per window. */
  static outputs(spec: NetworkSpec): number {
    return spec.strategy === "direct" ? spec.horizon : 1;
  }

  /** Training windows a series of n values gives. */
  static windowCount(n: number, spec: NetworkSpec): number {
    return n - spec.lookback - NetworkEnsemble.outputs(spec) + 1;
  }

  /**
   * Trains the ensemble on `train`. With `epochs` (one count per member) it trains exactly that
   * long on every window, with no validation (a refit); otherwise the most recent windows are
   * held out for early stopping with the best weights restored.
   */
  static async fit(
    train: Float64Array, spec: NetworkSpec, refit?: { transform: Transform; epochs: number[] }, cov?: CovariateInputs,
  ): Promise<NetworkEnsemble> {
    const e = new NetworkEnsemble(spec, { profile: null, scale: 1 }, [], undefined);
    return e.train(train, spec.ensemble, refit, false, cov);
  }

  /**
   * This ensemble with more members (k = members.length … count − 1, seeds and anchors as if
   * trained together), trained on the same series `train` with the same transform: a selection
   * can train two members per candidate and complete only the winner.
   */
  extend(train: Float64Array, count: number, cov?: CovariateInputs): Promise<NetworkEnsemble> {
    return this.train(train, count, undefined, true, cov);
  }

  private async train(
    train: Float64Array, count: number, refit?: { transform: Transform; epochs: number[] }, extending = false, cov?: CovariateInputs,
  ): Promise<NetworkEnsemble> {
    const spec = { ...this.spec, ensemble: count, covariates: covariateCount(cov) };
    if (spec.covariates > 0 && spec.strategy !== "direct") {
      throw new ConfigError(`covariates need the direct strategy (the recursive one would need each step's covariates fed back); drop --strategy recursive`);
    }
    if (spec.strategy !== "direct" && spec.strategy !== "recursive") {
      throw new ConfigError(`unknown strategy "${String(spec.strategy)}"; choose direct or recursive`);
    }
    const L = spec.lookback;
    const outH = NetworkEnsemble.outputs(spec);
    const lag = transformLag(spec.valueTransform);
    const g = applyTransform(spec.valueTransform, train);
    const all = NetworkEnsemble.windowCount(g.length, spec);
    if (all < MIN_WINDOWS) {
      throw new DataError(
        `${train.length} training points give ${Math.max(0, all)} windows of lookback ${L} + ${outH} target(s)` +
          (lag > 0 ? ` after differencing at lag ${lag}` : "") +
          `; need at least ${MIN_WINDOWS}: shorten the lookback, the horizon or the test span`,
      );
    }
    const transform = extending
      ? this.transform
      : refit
        ? { profile: refreshProfile(g, spec.season, refit.transform.profile), scale: refit.transform.scale }
        : fitTransform(g, spec.season);
    const z = deseasonalize(g, transform.profile);
    const N = Math.min(all, MAX_WINDOWS);
    const first = all - N; // index of the first window kept
    const nVal = refit ? 0 : Math.max(1, Math.round(N * VALIDATION_FRACTION));
    const cut = N - nVal;
    const ySample = spec.preset === "bilstm-seq2seq" ? [outH, 1] : [outH];
    const C = 1 + spec.covariates;
    const windows = new Map<Anchor, Tensor[]>();
    const tensorsFor = (anchor: Anchor): Tensor[] => {
      let w = windows.get(anchor);
      if (w) return w;
      const X = new Float32Array(N * L * C); // [N, L, C]
      const Y = new Float32Array(N * outH); // [N, outH] (or [N, outH, 1])
      for (let i = 0; i < N; i++) {
        const o = L - 1 + first + i;
        const ref = writeWindow(z, o, L, anchor, transform.scale, X, i * L * C, C);
        // z index o is series index o + lag.
        writeCovariates(cov, o + lag, L, spec.horizon, C, X, i * L * C);
        for (let h = 0; h < outH; h++) Y[i * outH + h] = (z[o + 1 + h]! - ref) / transform.scale;
      }
      w = [
        new Tensor(X.slice(0, cut * L * C), [cut, L, C]),
        new Tensor(Y.slice(0, cut * outH), [cut, ...ySample]),
        new Tensor(X.slice(cut * L * C), [nVal, L, C]),
        new Tensor(Y.slice(cut * outH), [nVal, ...ySample]),
      ];
      windows.set(anchor, w);
      return w;
    };

    const members: Member[] = extending ? [...this.members] : [];
    for (let k = members.length; k < count; k++) {
      // Even members anchor on the last value, odd ones on the window mean.
      const anchor: Anchor = k % 2 === 0 ? "last" : "mean";
      const [xt, yt, xv, yv] = tensorsFor(anchor);
      const model = buildPreset(spec.preset, { lookback: L, features: C, outputs: outH, seed: spec.seed + k });
      const cbs: Callback[] = [];
      const stopper = refit ? null : earlyStopping({ monitor: "val_loss", patience: spec.patience, restoreBestWeights: true });
      if (stopper) cbs.push(stopper);
      if (spec.onEpochEnd) {
        const user = spec.onEpochEnd;
        cbs.push({ onEpochEnd: (epoch: number, logs: Logs) => user(epoch, { ...logs, member: k, refit: refit ? 1 : 0 }) });
      }
      const epochs = refit ? refit.epochs[k]! : spec.epochs;
      const h = await model.fit(xt!, yt!, {
        epochs,
        batchSize: BATCH_SIZE,
        shuffle: true,
        verbose: spec.verbose,
        ...(spec.progress ? { progress: spec.progress } : {}),
        run: { label: refit ? "refit network" : "network", index: k, count },
        callbacks: cbs,
        ...(refit ? {} : { validationData: [xv!, yv!] as [Tensor, Tensor] }),
      });
      members.push({
        model,
        anchor,
        epochs: stopper ? Math.max(1, stopper.bestEpoch + 1) : epochs,
        history: { loss: h.history.loss ?? [], ...(h.history.val_loss ? { val_loss: h.history.val_loss } : {}) },
      });
    }
    // The first validation target, in the series' own indices (a difference at lag d shifts them by d).
    return new NetworkEnsemble(spec, transform, members, refit ? undefined : L - 1 + first + cut + 1 + lag);
  }

  /**
   * One ensemble trained on the windows of several series at once (a global model): each series
   * is de-seasonalised and scaled by its own profile and scale, its windows anchored as usual,
   * and early stopping watches the most recent 20 % of every series' windows. Returns one view
   * per series: the shared networks with that series' transform, forecasting it as
   * {@link forecast} does. Series with fewer than {@link MIN_WINDOWS} windows are refused.
   */
  static async fitMany(trains: Float64Array[], spec0: NetworkSpec, names: string[] = [], covs?: CovariateInputs[]): Promise<NetworkEnsemble[]> {
    if (spec0.strategy !== "direct") throw new ConfigError(`a global model needs the direct strategy; drop --strategy recursive`);
    const spec = { ...spec0, covariates: covariateCount(covs?.[0]) };
    if (covs && (covs.length !== trains.length || covs.some((c) => covariateCount(c) !== spec.covariates))) {
      throw new DataError(`fitMany: give the same covariate channels for each of the ${trains.length} series`);
    }
    const C = 1 + spec.covariates;
    const L = spec.lookback;
    const outH = NetworkEnsemble.outputs(spec);
    const ySample = spec.preset === "bilstm-seq2seq" ? [outH, 1] : [outH];
    const parts = trains.map((train, s) => {
      const all = NetworkEnsemble.windowCount(train.length, spec);
      if (all < MIN_WINDOWS) {
        throw new DataError(`series ${names[s] ?? s + 1}: ${train.length} training points give ${Math.max(0, all)} windows of lookback ${L} + ${outH}; need at least ${MIN_WINDOWS}`);
      }
      const transform = fitTransform(train, spec.season);
      const N = Math.min(all, MAX_WINDOWS);
      const nVal = Math.max(1, Math.round(N * VALIDATION_FRACTION));
      return { z: deseasonalize(train, transform.profile), transform, first: all - N, N, cut: N - nVal, cov: covs?.[s] };
    });
    const build = (anchor: Anchor): Tensor[] => {
      const xt: number[] = [], yt: number[] = [], xv: number[] = [], yv: number[] = [];
      const x = new Float32Array(L * C);
      for (const p of parts) {
        for (let i = 0; i < p.N; i++) {
          const o = L - 1 + p.first + i;
          const ref = writeWindow(p.z, o, L, anchor, p.transform.scale, x, 0, C);
          writeCovariates(p.cov, o, L, spec.horizon, C, x, 0);
          const [X, Y] = i < p.cut ? [xt, yt] : [xv, yv];
          for (let j = 0; j < L * C; j++) X.push(x[j]!);
          for (let h = 0; h < outH; h++) Y.push((p.z[o + 1 + h]! - ref) / p.transform.scale);
        }
      }
      const nt = yt.length / outH, nv = yv.length / outH;
      return [
        new Tensor(Float32Array.from(xt), [nt, L, C]), new Tensor(Float32Array.from(yt), [nt, ...ySample]),
        new Tensor(Float32Array.from(xv), [nv, L, C]), new Tensor(Float32Array.from(yv), [nv, ...ySample]),
      ];
    };
    const byAnchor = new Map<Anchor, Tensor[]>();
    const members: Member[] = [];
    for (let k = 0; k < spec.ensemble; k++) {
      const anchor: Anchor = k % 2 === 0 ? "last" : "mean";
      if (!byAnchor.has(anchor)) byAnchor.set(anchor, build(anchor));
      const [xt, yt, xv, yv] = byAnchor.get(anchor)!;
      const model = buildPreset(spec.preset, { lookback: L, features: C, outputs: outH, seed: spec.seed + k });
      const stopper = earlyStopping({ monitor: "val_loss", patience: spec.patience, restoreBestWeights: true });
      const cbs: Callback[] = [stopper];
      if (spec.onEpochEnd) {
        const user = spec.onEpochEnd;
        cbs.push({ onEpochEnd: (epoch: number, logs: Logs) => user(epoch, { ...logs, member: k, refit: 0 }) });
      }
      const h = await model.fit(xt!, yt!, {
        epochs: spec.epochs, batchSize: BATCH_SIZE, shuffle: true, verbose: spec.verbose,
        ...(spec.progress ? { progress: spec.progress } : {}),
        run: { label: "global network", index: k, count: spec.ensemble },
        callbacks: cbs, validationData: [xv!, yv!] as [Tensor, Tensor],
      });
      members.push({
        model, anchor, epochs: Math.max(1, stopper.bestEpoch + 1),
        history: { loss: h.history.loss ?? [], ...(h.history.val_loss ? { val_loss: h.history.val_loss } : {}) },
      });
    }
    return parts.map((p) => new NetworkEnsemble(spec, p.transform, members, L - 1 + p.first + p.cut + 1));
  }

  /** The same recipe trained on `values` (e.g. the whole series) for each member's best epoch count. */
  refit(values: Float64Array, cov?: CovariateInputs): Promise<NetworkEnsemble> {
    return NetworkEnsemble.fit(values, this.spec, { transform: this.transform, epochs: this.members.map((m) => m.epochs) }, cov);
  }

  /** H values after the end of `history`, using nothing but `history`. */
  forecast(history: Float64Array, cov?: CovariateInputs): number[] {
    const L = this.spec.lookback;
    const lag = transformLag(this.spec.valueTransform);
    if (history.length < L + lag) {
      throw new DataError(`forecast: the history has ${history.length} values; the lookback needs ${L + lag}` + (lag > 0 ? ` (${L} after differencing at lag ${lag})` : ""));
    }
    if (covariateCount(cov) !== (this.spec.covariates ?? 0)) {
      throw new DataError(`forecast: the networks take ${this.spec.covariates ?? 0} covariate(s), but ${covariateCount(cov)} were given`);
    }
    for (const k of cov?.known ?? []) {
      if (k.length < history.length + this.spec.horizon) {
        throw new DataError(`forecast: a known-future covariate has ${k.length} values; ${history.length + this.spec.horizon} are needed (the history and ${this.spec.horizon} steps past it)`);
      }
    }
    const g = applyTransform(this.spec.valueTransform, history);
    return invertForecast(this.spec.valueTransform, history, this.forecastTransformed(g, cov, lag));
  }

  /** H values of the transformed series after the end of `g` (the transformed history). */
  private forecastTransformed(g: Float64Array, cov: CovariateInputs | undefined, lag: number): number[] {
    const { lookback: L, horizon: H, season } = this.spec;
    const profile = refreshProfile(g, season, this.transform.profile);
    const z = deseasonalize(g, profile);
    const n = z.length;
    const scale = this.transform.scale;
    const C = 1 + (this.spec.covariates ?? 0);
    const x = new Float32Array(L * C);
    writeCovariates(cov, n - 1 + lag, L, H, C, x, 0);
    const perMember = this.members.map((m) => {
      if (this.spec.strategy === "direct") {
        const ref = writeWindow(z, n - 1, L, m.anchor, scale, x, 0, C);
        const y = m.model.predict(new Tensor(x, [1, L, C])).data;
        return Array.from({ length: H }, (_, h) => y[h]! * scale + ref);
      }
      // Recursive: feed each one-step forecast back as the newest input.
      const ext = new Float64Array(n + H);
      ext.set(z);
      for (let h = 0; h < H; h++) {
        const ref = writeWindow(ext, n - 1 + h, L, m.anchor, scale, x, 0);
        ext[n + h] = m.model.predict(new Tensor(x, [1, L, 1])).data[0]! * scale + ref;
      }
      return Array.from(ext.subarray(n));
    });
    return Array.from({ length: H }, (_, h) => reseasonalize(median(perMember.map((f) => f[h]!)), n + h, profile));
  }
}
