// forecast(): one call from a regular series to a backtested neural forecast — defaults derived
// from the frequency, a rolling-origin backtest against naive, seasonal naive, drift and the
// statistical classics (SES, Holt, damped, automatic ETS, Theta, Comb), the forecast past the end
// of the data with split-conformal 80 % and 95 % intervals, and everything the report draws.

import { ConfigError, DataError } from "../tensor/errors.js";
import type { Sequential } from "../models/sequential.js";
import type { ProgressRenderer } from "../models/progress.js";
import { formatDate, seasonLength, isFrequency, type Frequency, type Timestamp } from "../data/index.js";
import type { ForecastReportData } from "../report/types.js";
import { mae, maseScale, type Metrics } from "./metrics.js";
import { rollingOrigin, scoreBacktest, testStart, type BacktestScores, type ByMethod } from "./backtest.js";
import { conformalIntervals, type IntervalSummary } from "./intervals.js";
import { MODEL_PRESETS, type ModelPreset } from "./presets.js";
import { NetworkEnsemble, MIN_WINDOWS, type NetworkSpec, type Strategy } from "./network.js";
import { buildReport } from "./report.js";
import { selectEsRnn } from "./esrnn.js";
import { Forecaster, type Future } from "./saved.js";
import {
  covariateInputs, describeCovariates, extendDates, fitCovariatePlan, hasCovariates,
  type CovariateOptions, type CovariatePlan, type CovariateValues,
} from "./covariates.js";
import type { CovariateInputs } from "./network.js";
import {
  autoCandidates, checkTransformChoice, fitSeriesTransform, transformLabel, transformLag,
  type SeriesTransform, type TransformChoice,
} from "./transforms.js";

export interface ForecastOptions {
  /** H: steps to forecast. Default by frequency ({@link DEFAULT_HORIZON}). */
  horizon?: number;
  /** L: input steps. Default max(season, horizon), shortened when the training span is too short. */
  lookback?: number;
  /** m: steps per season. Default by frequency (seasonLength: day 7, week 52, month 12, quarter 4, year 1). */
  season?: number;
  /** The series' frequency; default the series'. */
  freq?: Frequency;
  /**
   * A preset of the LSTM family, or "esrnn" (src/forecast/esrnn.ts). Default: the LSTM ensemble
   * and the ES-RNN are both backtested and the one with the lower backtest MAE forecasts (direct
   * strategy only; with a preset or "recursive", only the LSTM family).
   */
  model?: ModelPreset | "esrnn";
  /** "direct": one network outputs all H steps (default); "recursive": a one-step network fed its own forecasts. */
  strategy?: Strategy;
  /**
   * The values' transform before the networks see them: "none", "log", "boxcox" (λ by Guerrero's
   * method), "diff" (first differences), "sdiff" (seasonal differences), or "auto": the candidate
   * with the lowest error on the rolling-origin validation of the training span (none, log and
   * boxcox for positive series, diff; see transforms.ts). Default "none": on the suite, auto's
   * choice did not beat it on average (docs/forecasting.md#transforms).
   */
  transform?: TransformChoice;
  /**
   * Covariates beside the target: past `features` (their lags enter the windows), known-future
   * columns (`future`, with values for the horizon) and `calendar` features; their values come
   * with the series (`SeriesInput.covariates`). Scalers are fitted on the training span only.
   */
  covariates?: CovariateOptions;
  /** Hold out the last N points for the backtest. Default max(horizon, round(0.2 · n)). */
  testSize?: number;
  /** Most epochs per network (early stopping on the validation tail usually stops sooner). Default 200. */
  epochs?: number;
  /** Seed of the first network; network k uses seed + k. Default 42. */
  seed?: number;
  /** Networks in the ensemble (half anchored on the last value, half on the window mean). Default 4. */
  ensemble?: number;
  /**
   * Train the networks again on the whole series (for each one's best epoch count) before
   * forecasting the future. Default true; false forecasts the future with the backtested networks.
   */
  refit?: boolean;
  verbose?: 0 | 1 | 2;
  /** Draws each network's training (told which network of how many) when verbose is 1 or 2; default the host's. */
  progress?: ProgressRenderer;
  /** Called after every epoch of every network; `logs.member` says which network, `logs.refit` is 1 while refitting. */
  onEpochEnd?: (epoch: number, logs: Record<string, number>) => void;
}

export interface SeriesInput {
  /** The target's name, e.g. "temp_mid". */
  name: string;
  /** Regular period starts (UTC ms), one per value. */
  dates: Timestamp[];
  values: Float64Array | number[];
  freq: Frequency;
  imputed?: { count: number; method: string };
  /**
   * Raw covariate values by column (see ForecastOptions.covariates): past features as long as
   * `values`, known-future columns H values longer (through the horizon).
   */
  covariates?: CovariateValues;
}

/** One candidate transform's score on the validation origins of the training span. */
export interface TransformScore {
  transform: string;
  /** MASE over the validation origins and steps (scaled as the backtest's); null when it could not be trained. */
  mase: number | null;
  /** Why the candidate could not be trained (too few windows after differencing), when it could not. */
  error?: string;
}

export interface ForecastResult {
  target: string;
  horizon: number;
  lookback: number;
  season: number;
  /** The model that made `rolling` and `future`: the preset, or "esrnn". */
  model: ModelPreset | "esrnn";
  strategy: string;
  /** The transform the networks saw, e.g. "none", "log", "boxcox(λ=0.420)", "diff", "sdiff(52)". */
  transform: string;
  /**
   * With transform "auto": each candidate's MASE on the rolling-origin validation of the training
   * span (the lowest was chosen); absent when a transform was given.
   */
  transformSelection?: TransformScore[];
  /** The covariates the networks saw, with their training-span scalers; absent without covariates. */
  covariates?: CovariatePlan;
  /** The H-step forecast from the last training point (rolling[0]). */
  oneShot: number[];
  /** One row per origin: the last training point, +1, …, n−1−H, each from the true history up to it. */
  rolling: number[][];
  /** H steps past the end of the data, each with its 80 % and 95 % interval (lo80, hi80, lo95, hi95). */
  future: Future;
  /**
   * Over every rolling forecast (all origins and steps): the model, naive, seasonal naive, drift,
   * and the statistical baselines ses, holt, damped, ets, theta, comb (one that could not be
   * fitted is absent, and the notes say why).
   */
  metrics: ByMethod<Metrics>;
  /**
   * The split-conformal intervals: half-widths per step calibrated on every backtest origin's
   * errors, and their coverage measured over the backtest with earlier origins' errors only.
   */
  intervals: IntervalSummary;
  /** Training curve of the first network of the backtest. */
  history: { loss: number[]; val_loss?: number[] };
  /** The networks that made `future` (refit on all data unless refit is false). */
  models: Sequential[];
  /**
   * Those networks with their preprocessing, ready to forecast a newer series or to save:
   * `forecaster.save(dir)`, then `loadForecaster(dir).predict()` gives `future` again, bit for bit.
   */
  forecaster: Forecaster;
  report: ForecastReportData;
  notes: string[];
}

/**
 * Default horizon by frequency: M4's (day 14, week 13, quarter 8, year 6), but one season for
 * months (12, not 18), so ten-year monthly series keep a useful number of backtest origins.
 */
export const DEFAULT_HORIZON: Record<Frequency, number> = { day: 14, week: 13, month: 12, quarter: 8, year: 6 };

/** Default maximum epochs and early-stopping patience (patience 10 was 3% worse, 40 no better and 2× slower). */
export const DEFAULT_EPOCHS = 200;
export const PATIENCE = 20;
/**
 * Default ensemble size. Two, four and six networks scored the same geometric-mean MASE on 11
 * series (0.599, 0.601, 0.601); four keep the median from resting on one network per anchor.
 */
export const DEFAULT_ENSEMBLE = 4;
/** Fraction of the series held out for the backtest by default. */
export const TEST_FRACTION = 0.2;

function positiveInt(v: number | undefined, what: string): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new ConfigError(`forecast: ${what} must be a positive integer, got ${v}`);
}

/** The options with every default filled in, checked against the series length. */
export function resolveOptions(n: number, freq: Frequency, opts: ForecastOptions): NetworkSpec & { testSize: number; transform: TransformChoice; notes: string[] } {
  positiveInt(opts.horizon, "horizon");
  positiveInt(opts.lookback, "lookback");
  positiveInt(opts.season, "season");
  positiveInt(opts.epochs, "epochs");
  positiveInt(opts.ensemble, "ensemble");
  positiveInt(opts.testSize, "testSize");
  const preset = (opts.model === "esrnn" ? undefined : opts.model) ?? "lstm"; // the ES-RNN's comparison LSTM
  if (!MODEL_PRESETS.includes(preset)) throw new ConfigError(`forecast: unknown model "${String(preset)}"; choose one of ${MODEL_PRESETS.join(", ")}`);
  const strategy = opts.strategy ?? "direct";
  if (strategy !== "direct" && strategy !== "recursive") throw new ConfigError(`forecast: unknown strategy "${String(strategy)}"; choose direct or recursive`);
  const season = opts.season ?? seasonLength(freq);
  const horizon = opts.horizon ?? DEFAULT_HORIZON[freq];
  const transform = checkTransformChoice(opts.transform ?? "none");
  // Differences leave fewer values to window: the planning counts them.
  const lag = transform === "diff" ? 1 : transform === "sdiff" ? season : 0;
  const outputs = strategy === "direct" ? horizon : 1;
  const defaultLookback = Math.max(season, horizon);
  /** Test span and lookback for a series of m points, or null when it leaves too few training windows. */
  const plan = (m: number): { testSize: number; lookback: number; shortened: boolean } | null => {
    const testSize = opts.testSize ?? Math.max(horizon, Math.round(TEST_FRACTION * m));
    if (testSize >= m) return null;
    const trainEnd = m - testSize - lag;
    let lookback = opts.lookback ?? defaultLookback;
    let shortened = false;
    if (opts.lookback === undefined && trainEnd - lookback - outputs + 1 < MIN_WINDOWS) {
      const shorter = trainEnd - outputs + 1 - MIN_WINDOWS;
      if (shorter >= 2) {
        lookback = shorter;
        shortened = true;
      }
    }
    return trainEnd - lookback - outputs + 1 >= MIN_WINDOWS ? { testSize, lookback, shortened } : null;
  };
  const p = plan(n);
  if (!p) {
    // The smallest length that works with these settings, found by the same rule (the default
    // lookback shrinks to fit, down to 2, so it is not simply lookback + horizon + test span).
    let need = n + 1;
    while (!plan(need) && need < n + 1_000_000) need++;
    const at = plan(need)!;
    const testSize = opts.testSize ?? Math.max(horizon, Math.round(TEST_FRACTION * n));
    const lookback = opts.lookback ?? defaultLookback;
    const shorten = opts.lookback === undefined
      ? `shorten --horizon or --test-size (the lookback already shrinks to fit, down to 2)`
      : `shorten --lookback, --horizon or --test-size`;
    throw new DataError(
      `forecast: the series has ${n} points, too few for lookback ${lookback} + horizon ${horizon} with a test span of ${testSize}: ` +
        `at least ${need} points are needed (${MIN_WINDOWS} training windows, with lookback ${at.lookback} and a test span of ${at.testSize}); ${shorten}`,
    );
  }
  const { testSize, lookback } = p;
  const notes: string[] = [];
  if (p.shortened) notes.push(`lookback shortened from ${defaultLookback} to ${lookback}: the ${n - testSize} training points are too few for more`);
  return {
    preset, strategy, lookback, horizon, season, testSize, transform, notes,
    epochs: opts.epochs ?? DEFAULT_EPOCHS,
    patience: PATIENCE,
    seed: opts.seed ?? 42,
    ensemble: opts.ensemble ?? DEFAULT_ENSEMBLE,
    verbose: opts.verbose ?? 0,
    ...(opts.onEpochEnd ? { onEpochEnd: opts.onEpochEnd } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
  };
}

/** Most validation origins a candidate transform is scored on (evenly spaced over the validation tail). */
export const MAX_VALIDATION_ORIGINS = 40;
/** Networks trained per candidate transform (one per anchor); the winner is completed to the ensemble size. */
export const SELECTION_MEMBERS = 2;

/**
 * Trains the backtest's ensemble on `train` with the transform asked for; with "auto", trains
 * {@link SELECTION_MEMBERS} networks per candidate (autoCandidates), scores each on the rolling
 * origins of the validation tail (the same windows early stopping watches, up to
 * {@link MAX_VALIDATION_ORIGINS}, each forecasting H steps from the true history up to it), keeps
 * the one with the lowest MASE and trains its remaining networks.
 */
export async function fitWithTransform(
  train: Float64Array, spec: NetworkSpec & { transform: TransformChoice }, cov?: CovariateInputs,
): Promise<{ net: NetworkEnsemble; transform: SeriesTransform; selection?: TransformScore[] }> {
  const { transform: choice, ...netSpec } = spec;
  if (choice !== "auto") {
    const transform = fitSeriesTransform(choice, train, spec.season);
    return { net: await NetworkEnsemble.fit(train, { ...netSpec, valueTransform: transform }, undefined, cov), transform };
  }
  const H = spec.horizon;
  const k = Math.min(SELECTION_MEMBERS, spec.ensemble);
  const fitted: { transform: SeriesTransform; net: NetworkEnsemble | null; error?: string }[] = [];
  for (const c of autoCandidates(train, spec.season)) {
    try {
      fitted.push({ transform: c, net: await NetworkEnsemble.fit(train, { ...netSpec, ensemble: k, valueTransform: c }, undefined, cov) });
    } catch (e) {
      if (!(e instanceof DataError) || c.name === "none") throw e;
      fitted.push({ transform: c, net: null, error: e.message });
    }
  }
  const nets = fitted.filter((f) => f.net !== null);
  // Origins every candidate can forecast from and validate on: from the latest first validation
  // target (differencing shifts it) to the last origin with H actual values inside the span.
  const end = train.length - 1 - H;
  const minHistory = Math.max(...nets.map((f) => spec.lookback + transformLag(f.transform)));
  const start = Math.max(minHistory - 1, Math.min(end, Math.max(...nets.map((f) => f.net!.validationStart ?? 0)) - 1));
  const origins: number[] = [];
  if (end >= start) {
    const count = Math.min(MAX_VALIDATION_ORIGINS, end - start + 1);
    for (let i = 0; i < count; i++) {
      const o = count === 1 ? end : start + Math.round((i * (end - start)) / (count - 1));
      if (origins[origins.length - 1] !== o) origins.push(o);
    }
  }
  const scale = maseScale(train, spec.season);
  const actual = origins.flatMap((o) => Array.from({ length: H }, (_, h) => train[o + 1 + h]!));
  const selection: TransformScore[] = fitted.map((f) => {
    if (!f.net) return { transform: transformLabel(f.transform), mase: null, error: f.error! };
    if (origins.length === 0) return { transform: transformLabel(f.transform), mase: null, error: "no validation origin" };
    const predicted = origins.flatMap((o) => f.net!.forecast(train.slice(0, o + 1), cov));
    const err = mae(actual, predicted) / scale;
    return { transform: transformLabel(f.transform), mase: Number.isFinite(err) ? err : null };
  });
  let best = 0; // "none" when nothing could be scored
  selection.forEach((c, i) => {
    if (c.mase !== null && (selection[best]!.mase === null || c.mase < selection[best]!.mase!)) best = i;
  });
  const winner = fitted[best]!;
  const net = spec.ensemble > k ? await winner.net!.extend(train, spec.ensemble, cov) : winner.net!;
  return { net, transform: winner.transform, selection };
}

function checkSeries(series: SeriesInput): Float64Array {
  const values = Float64Array.from(series.values);
  if (series.dates.length !== values.length) {
    throw new DataError(`forecast: "${series.name}" has ${series.dates.length} dates but ${values.length} values`);
  }
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new DataError(`forecast: "${series.name}" has ${values[bad]} at ${formatDate(series.dates[bad]!, series.freq)} (index ${bad}); impute missing values first`);
  }
  return values;
}

/**
 * Trains an ensemble on the training span, backtests it from every origin of the test span
 * against the baselines, and forecasts H steps past the end of the data.
 * @throws ConfigError on bad options; DataError on non-finite values or a series too short for
 * the lookback, horizon and test span (the message says which to shorten).
 */
export async function forecast(series: SeriesInput, opts: ForecastOptions = {}): Promise<ForecastResult> {
  const values = checkSeries(series);
  const freq = opts.freq ?? series.freq;
  if (!isFrequency(freq)) throw new ConfigError(`forecast: unknown frequency "${String(freq)}"`);
  const n = values.length;
  const spec = resolveOptions(n, freq, opts);
  const { horizon: H, testSize } = spec;
  const trainEnd = n - testSize;
  const notes = [...spec.notes];

  // Covariates: scalers fitted on the training span only; known-future ones run H steps past the end.
  let plan: CovariatePlan | undefined;
  let cov: CovariateInputs | undefined;
  if (hasCovariates(opts.covariates)) {
    const raw = series.covariates ?? { past: {}, future: {} };
    plan = fitCovariatePlan(opts.covariates!, raw, trainEnd, freq);
    cov = covariateInputs(plan, raw, extendDates(series.dates, freq, H), n, H);
    notes.push(`covariates: ${describeCovariates(plan)}; scaled by their training-span mean and sd`);
    if (opts.model === "esrnn") throw new ConfigError(`forecast: the ES-RNN takes no covariates; drop --model esrnn or the covariates`);
  }

  const t0 = performance.now();
  const { net, transform, selection } = await fitWithTransform(values.slice(0, trainEnd), spec, cov);
  const trainSeconds = (performance.now() - t0) / 1000;
  const lstmRun = rollingOrigin(values, (history) => net.forecast(history, cov), { horizon: H, testSize });
  // The ES-RNN beside the LSTM: forced by model "esrnn", chosen by backtest MAE by default.
  const esMode = opts.model === "esrnn" ? "esrnn" : opts.model === undefined && spec.strategy === "direct" && !cov && spec.transform === "none" ? "auto" : null;
  const es = esMode ? selectEsRnn(values, trainEnd, lstmRun, { ...spec, testSize }, esMode) : null;
  const esChosen = es?.chosen === "esrnn" ? es.ensemble! : null;
  const run = esChosen ? es!.run! : lstmRun;
  const scores: BacktestScores = scoreBacktest(values, run, H, spec.season);
  const intervals = conformalIntervals(values, run.origins, run.forecasts);
  const { coverage: _coverage, ...widths } = intervals;

  const t1 = performance.now();
  const final = esChosen ? (opts.refit === false ? esChosen : esChosen.refit(values)) : opts.refit === false ? net : await net.refit(values, cov);
  const refitSeconds = (performance.now() - t1) / 1000;
  const forecaster = new Forecaster(
    final, { name: series.name, dates: series.dates, values, freq, ...(series.covariates ? { covariates: series.covariates } : {}) }, undefined, undefined, widths, plan,
  );
  const future = forecaster.predict();

  const p = net.transform.profile;
  notes.push(
    p
      ? `de-seasonalised (${p.mode}, season ${spec.season}, ${p.harmonics} harmonic(s), strength ${p.strength.toFixed(2)}); ` +
          `the profile is re-estimated at each origin from the history up to it`
      : `not de-seasonalised (seasonal strength below the threshold, or fewer than three seasons of training data)`,
    `${spec.ensemble} ${spec.preset} network(s), ${spec.strategy} strategy, median of members anchored on the last value and on the window mean; ` +
      (selection
        ? `transform ${transformLabel(transform)}, chosen on the training span's validation origins (MASE ${selection.map((c) => `${c.transform} ${c.mase === null ? "—" : c.mase.toFixed(3)}`).join(", ")})`
        : opts.transform === undefined ? `no transform (the default; transform "auto" chooses one on validation)` : `transform ${transformLabel(transform)} (as asked)`),
    `early stopping kept epochs ${net.members.map((m) => m.epochs).join(", ")} (of at most ${spec.epochs}); trained in ${trainSeconds.toFixed(1)} s; ` +
      (opts.refit === false
        ? "the future forecast comes from the backtested networks (refit: false)"
        : `the future forecast comes from the networks refit on all ${n} points for the same epochs (${refitSeconds.toFixed(1)} s)`),
    `statistical baselines fitted once on the training span and run over each origin's history` +
      (scores.etsModel ? `; automatic ETS chose ${scores.etsModel}` : ""),
    ...(es ? es.notes : []),
    ...scores.notes,
  );
  const intervalNotes: string[] = [];
  for (const level of ["80", "95"] as const) {
    if (!intervals.exact[level]) {
      intervalNotes.push(`the ${level} % interval is the largest backtest error (its step's, or the steps' pooled and scaled by h): ${run.origins.length} origins × ${H} steps are too few for its finite-sample guarantee (${level === "80" ? 4 : 19} needed); lengthen --test-size`);
    } else if (intervals.pooled?.[level]) {
      const need = level === "80" ? 4 : 19;
      intervalNotes.push(`the ${level} % interval is, at some steps, the quantile of every step's backtest errors pooled and scaled by h` +
        (run.origins.length >= need ? ` (wider there than the step's own quantile)` : ` (${run.origins.length} origins are too few for a quantile per step: ${need} needed)`));
    }
  }
  // the same reason for both levels is said once
  if (intervalNotes.length === 2 && intervalNotes[0]!.replace("80 %", "95 %") === intervalNotes[1]) notes.push(intervalNotes[0]!.replace("the 80 % interval is", "the 80 % and 95 % intervals are"));
  else notes.push(...intervalNotes);

  const metrics = scores.metrics;
  const result: Omit<ForecastResult, "report"> = {
    target: series.name,
    horizon: H,
    lookback: spec.lookback,
    season: spec.season,
    model: esChosen ? "esrnn" : spec.preset,
    strategy: spec.strategy,
    transform: transformLabel(transform),
    ...(selection ? { transformSelection: selection } : {}),
    ...(plan ? { covariates: plan } : {}),
    oneShot: run.forecasts[0]!,
    rolling: run.forecasts,
    future,
    metrics: { ...metrics },
    intervals,
    history: net.members[0]!.history,
    models: final.members.map((m) => m.model),
    forecaster,
    notes,
  };
  const report = buildReport({
    series: { ...series, values, freq },
    result,
    scores,
    origins: run.origins,
    trainEnd,
    validationStart: net.validationStart,
    summary: net.members[0]!.model.summary(),
  });
  return { ...result, report };
}
