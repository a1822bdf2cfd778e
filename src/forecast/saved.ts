// A forecaster that can be saved and loaded whole: every network of the ensemble (each in the
// model format of src/models/save.ts) and everything around them that the forecast depends on —
// the seasonal profile (mode, harmonics and values), the window scale, each network's anchor, the
// lookback, horizon, season and strategy, the frequency, the split-conformal interval half-widths
// per step (calibrated on the backtest), and the history it forecasts from. A
// loaded forecaster forecasts exactly (bit for bit) what the saved one did.
//
// Layout of a forecaster directory:
//   forecaster.json        this file's format, below
//   network-1/ … network-K/  model.json + weights-<crc>.bin of each network

import { ConfigError, DataError, ModelFormatError } from "../tensor/errors.js";
import { fileSystem } from "../io/fs.js";
import type { Sequential } from "../models/sequential.js";
import { loadSequential } from "../models/load.js";
import { addPeriods, formatDate, isFrequency, type Frequency, type Timestamp } from "../data/index.js";
import { NetworkEnsemble, type Anchor, type NetworkSpec, type Transform } from "./network.js";
import { EsRnnEnsemble, ESRNN_DEFAULTS, type EsRnnMember } from "./esrnn.js";
import { MODEL_PRESETS, type ModelPreset } from "./presets.js";
import { loadSeries, type LoadSeriesOptions } from "./series.js";
import type { SeasonalProfile } from "./seasonality.js";
import { INTERVAL_LEVELS, withIntervals, type IntervalWidths } from "./intervals.js";
import { TRANSFORMS, transformLag, type SeriesTransform } from "./transforms.js";
import {
  covariateInputs, extendDates, readCovariates, type CovariateOptions, type CovariatePlan, type CovariateValues,
} from "./covariates.js";

export const FORECASTER_FILE = "forecaster.json";
export const FORECASTER_FORMAT = "recurrent-forecaster";
export const FORECASTER_VERSION = 1;

/** Where the forecast's data came from, so `predictCsv` can read a newer file the same way. */
export interface ForecasterSource {
  /** The CSV that was read (as given). */
  csv: string;
  /** How it was read: date, target, where, freq, agg, … (loadSeries's options). */
  options: LoadSeriesOptions;
  /** The covariate columns read beside the target (features and known-future columns), if any. */
  covariates?: CovariateOptions;
}

/** The series a forecaster forecasts from: a regular history ending at `dates[n-1]`. */
export interface ForecasterSeries {
  name?: string;
  dates: readonly Timestamp[];
  values: ArrayLike<number>;
  freq: Frequency;
  /**
   * Raw covariate values by column, for a forecaster trained with covariates: past features as
   * long as `values`, known-future columns through the horizon (H more).
   */
  covariates?: CovariateValues;
}

/** forecaster.json. */
export interface ForecasterFile {
  format: typeof FORECASTER_FORMAT;
  version: typeof FORECASTER_VERSION;
  target: string;
  freq: Frequency;
  /** The preset of the LSTM-family ensemble, or "esrnn" for the ES-RNN (its parts in `esrnn`). */
  model: ModelPreset | "esrnn";
  strategy: "direct" | "recursive";
  lookback: number;
  horizon: number;
  season: number;
  seed: number;
  /** Numeric backend the forecast was made on ("wasm", "js"); another rounds the last digits differently. */
  backend: string;
  /** Divides every de-seasonalised window (one typical step = 1). */
  scale: number;
  /**
   * Applied to the values first and undone on the forecast: name, Box-Cox λ (0 for log),
   * differencing lag (absent in files saved before transforms existed: none).
   */
  transform?: SeriesTransform;
  /**
   * The covariates (absent: none): their plan (columns, calendar, training-span scalers) and the
   * raw values the saved forecast used, past features over the history and known-future columns
   * through the horizon.
   */
  covariates?: { plan: CovariatePlan; past: Record<string, number[]>; future: Record<string, number[]> };
  /** Removed before the networks see the data, re-estimated on the history at every forecast. */
  profile: { mode: "additive" | "multiplicative"; harmonics: number; strength: number; values: number[] } | null;
  networks: { dir: string; anchor: Anchor; epochs: number }[];
  /**
   * With model "esrnn": the shift added before smoothing, the season the smoothing uses, the LSTM
   * units, and per network its directory, raw smoothing parameters and epochs (`networks` is then empty).
   */
  esrnn?: { offset: number; season: number; units: number; members: { dir: string; es: number[]; epochs: number }[] };
  /**
   * Split-conformal interval half-widths per step, from the backtest's errors (absent in files
   * saved before intervals existed; their forecasts have none).
   */
  intervals?: IntervalWidths;
  /** The history the forecast was made from: its values and the UTC start of its last period. */
  history: { values: number[]; firstDate: string; lastDate: string; lastTimestamp: number };
  /** The forecast that was made when saving, for reference. */
  future: { date: string; value: number }[];
  source?: ForecasterSource;
}

/** "daily", "weekly", … */
export function frequencyWord(freq: Frequency): string {
  return freq === "day" ? "daily" : `${freq}ly`;
}

/** H dated values, with their 80 % and 95 % intervals when the forecaster has calibrated ones. */
export type Future = { date: string; value: number; lo80?: number; hi80?: number; lo95?: number; hi95?: number }[];

/**
 * The forecast.csv text of a future: `date,forecast` (and `lo80,hi80,lo95,hi95` when it has
 * intervals), then one line per step.
 */
export function futureCsv(future: Future): string {
  const intervals = future.length > 0 && future.every((f) => f.lo80 !== undefined && f.hi80 !== undefined && f.lo95 !== undefined && f.hi95 !== undefined);
  if (!intervals) return ["date,forecast", ...future.map((f) => `${f.date},${f.value}`)].join("\n") + "\n";
  return ["date,forecast,lo80,hi80,lo95,hi95", ...future.map((f) => `${f.date},${f.value},${f.lo80},${f.hi80},${f.lo95},${f.hi95}`)].join("\n") + "\n";
}

/**
 * A trained forecaster: the networks the future forecast comes from with their preprocessing.
 * `forecast()` returns one as `result.forecaster`; `loadForecaster(dir)` brings a saved one back.
 */
export class Forecaster {
  constructor(
    readonly ensemble: NetworkEnsemble | EsRnnEnsemble,
    /** The series it was fitted to (its history is the default of `predict`). */
    readonly series: ForecasterSeries & { name: string },
    /** Where that series came from, when it was read from a CSV. */
    public source?: ForecasterSource,
    /** The backend the saved forecast was made on, for a loaded forecaster. */
    readonly savedBackend?: string,
    /** Interval half-widths per step, calibrated on the backtest (none: point forecasts only). */
    readonly intervals?: IntervalWidths,
    /** The covariates the networks take, with their training-span scalers (none: the values alone). */
    readonly covariatePlan?: CovariatePlan,
  ) {}

  /** The numeric backend the networks run on here ("wasm" or "js"). */
  get backend(): string { return this.ensemble.members[0]!.model.backend.name; }

  get horizon(): number { return this.ensemble.spec.horizon; }
  get lookback(): number { return this.ensemble.spec.lookback; }
  get freq(): Frequency { return this.series.freq; }
  /** The networks, in ensemble order. */
  get models(): Sequential[] { return this.ensemble.members.map((m) => m.model); }

  /**
   * The next `horizon` values past the end of `series` (default: the history it was fitted or
   * saved with), dated by the frequency. The series must have the forecaster's frequency and at
   * least `lookback` values.
   * @throws DataError on a different frequency, too short a series or a non-finite value.
   */
  predict(series: ForecasterSeries = this.series): Future {
    const values = Float64Array.from(series.values);
    if (series.freq !== this.freq) {
      throw new DataError(`forecaster: it was trained on ${frequencyWord(this.freq)} data but the series is ${frequencyWord(series.freq)}; resample it to ${this.freq}`);
    }
    if (series.dates.length !== values.length) throw new DataError(`forecaster: the series has ${series.dates.length} dates but ${values.length} values`);
    const need = this.lookback + transformLag(this.ensemble.spec.valueTransform);
    if (values.length < need) {
      throw new DataError(`forecaster: the series has ${values.length} values; the lookback needs at least ${need}`);
    }
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new DataError(`forecaster: the value at ${formatDate(series.dates[bad]!, this.freq)} (index ${bad}) is ${values[bad]}; impute missing values first`);
    }
    const last = series.dates[series.dates.length - 1]!;
    const e = this.ensemble;
    let points0: number[];
    if (this.covariatePlan && e instanceof NetworkEnsemble) {
      if (!series.covariates) {
        throw new DataError(`forecaster: it was trained with covariates (${[...this.covariatePlan.features, ...this.covariatePlan.future].join(", ") || "calendar"}); give their values with the series (covariates)`);
      }
      const cov = covariateInputs(this.covariatePlan, series.covariates, extendDates(series.dates, this.freq, this.horizon), values.length, this.horizon);
      points0 = e.forecast(values, cov);
    } else points0 = e.forecast(values);
    const points = points0.map((value, h) => ({ date: formatDate(addPeriods(last, this.freq, h + 1), this.freq), value }));
    return this.intervals ? withIntervals(points, this.intervals) : points;
  }

  /** Reads a CSV as the forecaster's own data was read (same date, target, filters, frequency) and forecasts past its end. */
  predictCsv(path: string): Future {
    const plan = this.covariatePlan;
    const futureCols = plan?.future.length ?? 0;
    const options = { ...(this.source?.options ?? {}), freq: this.freq };
    // Rows past the last target value may carry only known-future covariates.
    const s = loadSeries(path, futureCols > 0 ? { ...options, dropTrailingMissing: true } : options);
    if (!plan || plan.features.length + futureCols === 0) return this.predict(plan ? { ...s, covariates: { past: {}, future: {} } } : s);
    const c = readCovariates(path, { features: plan.features, future: plan.future }, {
      ...(options.date !== undefined ? { date: options.date } : {}), ...(options.where ? { where: options.where } : {}),
      freq: this.freq, ...(options.agg ? { agg: options.agg } : {}), dates: s.dates, horizon: this.horizon,
    });
    return this.predict({ ...s, covariates: c });
  }

  /** Writes forecaster.json and one model directory per network into `dir` (created if missing). */
  async save(dir: string): Promise<void> {
    const fs = fileSystem("saveForecaster");
    fs.mkdirp(dir);
    const e = this.ensemble;
    const es = e instanceof EsRnnEnsemble ? e : null;
    const networks = es ? [] : (e as NetworkEnsemble).members.map((m, k) => ({ dir: `network-${k + 1}`, anchor: m.anchor, epochs: m.epochs }));
    const dirs = e.members.map((_, k) => `network-${k + 1}`);
    for (let k = 0; k < dirs.length; k++) await e.members[k]!.model.save(fs.join(dir, dirs[k]!));
    const p = es ? null : (e as NetworkEnsemble).transform.profile;
    const n = this.series.values.length;
    const lastTimestamp = this.series.dates[n - 1]!;
    const file: ForecasterFile = {
      format: FORECASTER_FORMAT,
      version: FORECASTER_VERSION,
      target: this.series.name,
      freq: this.freq,
      model: e.spec.preset,
      strategy: e.spec.strategy,
      lookback: e.spec.lookback,
      horizon: e.spec.horizon,
      season: e.spec.season,
      seed: e.spec.seed,
      backend: this.backend,
      scale: es ? 1 : (e as NetworkEnsemble).transform.scale,
      ...(e.spec.valueTransform && e.spec.valueTransform.name !== "none" ? { transform: e.spec.valueTransform } : {}),
      profile: p ? { mode: p.mode, harmonics: p.harmonics, strength: p.strength, values: Array.from(p.values) } : null,
      networks,
      ...(es ? { esrnn: { offset: es.offset, season: es.spec.season, units: es.spec.units, members: es.members.map((m, k) => ({ dir: dirs[k]!, es: Array.from(m.es), epochs: m.epochs })) } } : {}),
      ...(this.intervals ? { intervals: this.intervals } : {}),
      history: {
        values: Array.from(this.series.values),
        firstDate: formatDate(this.series.dates[0]!, this.freq),
        lastDate: formatDate(lastTimestamp, this.freq),
        lastTimestamp,
      },
      future: this.predict(),
      ...(this.covariatePlan ? { covariates: { plan: this.covariatePlan, ...savedCovariates(this.series.covariates, n, this.horizon) } } : {}),
      ...(this.source ? { source: this.source } : {}),
    };
    // Written last: a directory with forecaster.json holds every network it names.
    fs.writeAtomic(fs.join(dir, FORECASTER_FILE), JSON.stringify(file, null, 2) + "\n");
  }
}

/** The raw covariates kept in forecaster.json: past ones over the history, known-future ones through the horizon. */
function savedCovariates(c: CovariateValues | undefined, n: number, H: number): { past: Record<string, number[]>; future: Record<string, number[]> } {
  const past: Record<string, number[]> = {};
  const future: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(c?.past ?? {})) past[k] = Array.from(v.subarray(0, n));
  for (const [k, v] of Object.entries(c?.future ?? {})) future[k] = Array.from(v.subarray(0, n + H));
  return { past, future };
}

/** Whether `dir` holds a saved forecaster. */
export function isForecasterDir(dir: string): boolean {
  const fs = fileSystem("isForecasterDir");
  return fs.exists(fs.join(dir, FORECASTER_FILE));
}

function bad(path: string, why: string): never {
  throw new ModelFormatError(`${path}: ${why}`);
}

function checkFile(path: string, f: ForecasterFile): void {
  if (f.format !== FORECASTER_FORMAT) bad(path, `not a saved forecaster (format ${JSON.stringify(f.format)}, expected "${FORECASTER_FORMAT}")`);
  if (f.version !== FORECASTER_VERSION) bad(path, `forecaster format version ${String(f.version)} is not supported (this recurrent reads version ${FORECASTER_VERSION})`);
  if (!isFrequency(String(f.freq))) bad(path, `unknown frequency ${JSON.stringify(f.freq)}`);
  if (!MODEL_PRESETS.includes(f.model as ModelPreset) && f.model !== "esrnn") bad(path, `unknown model ${JSON.stringify(f.model)}`);
  if (f.strategy !== "direct" && f.strategy !== "recursive") bad(path, `unknown strategy ${JSON.stringify(f.strategy)}`);
  for (const k of ["lookback", "horizon", "season"] as const) {
    if (!Number.isInteger(f[k]) || f[k] < 1) bad(path, `"${k}" must be a positive integer, got ${JSON.stringify(f[k])}`);
  }
  if (!(typeof f.scale === "number" && f.scale > 0 && Number.isFinite(f.scale))) bad(path, `"scale" must be a positive number, got ${JSON.stringify(f.scale)}`);
  if (f.model === "esrnn") {
    const e = f.esrnn;
    const want = (s: number): number => (s > 1 ? 2 + s : 1);
    const ok = e !== null && typeof e === "object" && Number.isFinite(e.offset) && Number.isInteger(e.season) && e.season >= 1 &&
      Number.isInteger(e.units) && e.units >= 1 && Array.isArray(e.members) && e.members.length > 0 &&
      e.members.every((m) => typeof m?.dir === "string" && Array.isArray(m.es) && m.es.length === want(e.season) && m.es.every(Number.isFinite));
    if (!ok) bad(path, `"esrnn" must hold a finite offset, the season, the units and at least one network with its directory and its ${e && Number.isInteger(e.season) ? want(e.season) : "1 or season + 2"} smoothing parameters`);
  } else if (!Array.isArray(f.networks) || f.networks.length === 0) bad(path, `"networks" must list at least one network`);
  f.networks.forEach((m, k) => {
    if (typeof m?.dir !== "string" || (m.anchor !== "last" && m.anchor !== "mean")) bad(path, `networks[${k}] needs a "dir" and an anchor "last" or "mean"`);
  });
  if (f.profile !== null) {
    const p = f.profile;
    if (!p || (p.mode !== "additive" && p.mode !== "multiplicative") || !Array.isArray(p.values) || p.values.length !== f.season || !p.values.every(Number.isFinite)) {
      bad(path, `"profile" must be null or hold a mode and ${f.season} seasonal values`);
    }
  }
  if (f.intervals !== undefined) {
    const iv = f.intervals;
    const ok = iv !== null && typeof iv === "object" && iv.halfWidth !== null && typeof iv.halfWidth === "object" &&
      INTERVAL_LEVELS.every((l) => {
        const w = iv.halfWidth[`${l}`];
        return Array.isArray(w) && w.length === f.horizon && w.every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0);
      });
    if (!ok) bad(path, `"intervals" must hold, for each of ${INTERVAL_LEVELS.join(" and ")} %, ${f.horizon} finite half-widths of at least 0`);
  }
  if (f.transform !== undefined) {
    const t = f.transform;
    const ok = t !== null && typeof t === "object" && (TRANSFORMS as readonly string[]).includes(t.name) &&
      (t.name !== "log" && t.name !== "boxcox" || (typeof t.lambda === "number" && Number.isFinite(t.lambda))) &&
      (t.name !== "diff" && t.name !== "sdiff" || (Number.isInteger(t.lag) && t.lag! >= 1));
    if (!ok) bad(path, `"transform" must name one of ${TRANSFORMS.join(", ")}, with a finite "lambda" for log and boxcox and a positive integer "lag" for diff and sdiff`);
  }
  const h = f.history;
  if (!h || !Array.isArray(h.values) || h.values.length < f.lookback || !h.values.every((v) => typeof v === "number" && Number.isFinite(v)) || !Number.isFinite(h.lastTimestamp)) {
    bad(path, `"history" must hold at least lookback ${f.lookback} finite values and the last date`);
  }
}

/**
 * Loads a forecaster saved by `forecaster.save(dir)` (or `recurrent forecast --out`, whose
 * `model/` directory is one; the run directory itself is accepted too).
 * @throws ModelFormatError when the directory holds no forecaster or a damaged one.
 */
export async function loadForecaster(dir: string): Promise<Forecaster> {
  const fs = fileSystem("loadForecaster");
  if (!fs.exists(fs.join(dir, FORECASTER_FILE)) && fs.exists(fs.join(dir, "model", FORECASTER_FILE))) dir = fs.join(dir, "model");
  const path = fs.join(dir, FORECASTER_FILE);
  if (!fs.exists(path)) {
    throw new ConfigError(`${dir} holds no saved forecaster: no ${FORECASTER_FILE} (save one with \`recurrent forecast --out <dir>\` or forecaster.save(dir))`);
  }
  const text = fs.readText(path);
  let f: ForecasterFile;
  try {
    f = JSON.parse(text) as ForecasterFile;
  } catch (e) {
    throw new ModelFormatError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (f === null || typeof f !== "object") bad(path, "not a saved forecaster (not a JSON object)");
  checkFile(path, f);
  const outputs = f.strategy === "direct" ? f.horizon : 1;
  if (f.model === "esrnn") {
    const e = f.esrnn!;
    const esMembers: EsRnnMember[] = [];
    for (const [k, m] of e.members.entries()) {
      const model = await loadSequential(fs.join(dir, m.dir));
      const inShape = model.inputShape;
      const per = (model.outputShape ?? []).reduce((a, b) => a * b, 1);
      if (!inShape || inShape[0] !== f.lookback || per !== f.horizon) {
        bad(path, `ES-RNN network ${k + 1} (${m.dir}) takes ${JSON.stringify(inShape)} and gives ${per} value(s), but the forecaster needs [${f.lookback}, 1] → ${f.horizon}`);
      }
      esMembers.push({ model, es: Float64Array.from(m.es), epochs: m.epochs, history: { loss: [] } });
    }
    const spec = {
      ...ESRNN_DEFAULTS, lookback: f.lookback, horizon: f.horizon, season: e.season, seed: f.seed, units: e.units,
      ensemble: esMembers.length, epochs: Math.max(1, ...esMembers.map((m) => m.epochs)),
    };
    const n = f.history.values.length;
    const dates = Array.from({ length: n }, (_, i) => addPeriods(f.history.lastTimestamp, f.freq, i - (n - 1)));
    return new Forecaster(EsRnnEnsemble.restore(spec, e.offset, esMembers), { name: f.target, dates, values: Float64Array.from(f.history.values), freq: f.freq }, f.source, typeof f.backend === "string" ? f.backend : undefined, f.intervals);
  }
  const members = [];
  for (const [k, m] of f.networks.entries()) {
    const model = await loadSequential(fs.join(dir, m.dir));
    const inShape = model.inputShape;
    const per = (model.outputShape ?? []).reduce((a, b) => a * b, 1);
    if (!inShape || inShape[0] !== f.lookback || per !== outputs) {
      bad(path, `network ${k + 1} (${m.dir}) takes ${JSON.stringify(inShape)} and gives ${per} value(s), but the forecaster needs [${f.lookback}, 1] → ${outputs}`);
    }
    members.push({ model, anchor: m.anchor, epochs: m.epochs, history: { loss: [] } });
  }
  const profile: SeasonalProfile | null = f.profile
    ? { mode: f.profile.mode, harmonics: f.profile.harmonics, strength: f.profile.strength, values: Float64Array.from(f.profile.values) }
    : null;
  const transform: Transform = { profile, scale: f.scale };
  const spec: NetworkSpec = {
    preset: f.model as ModelPreset, strategy: f.strategy, lookback: f.lookback, horizon: f.horizon, season: f.season,
    epochs: Math.max(...f.networks.map((m) => m.epochs)), patience: 0, seed: f.seed, ensemble: f.networks.length, verbose: 0,
    ...(f.transform ? { valueTransform: f.transform } : {}),
  };
  const n = f.history.values.length;
  // Regular periods ending at the last date: the dates predict() needs are the last one's.
  const dates = Array.from({ length: n }, (_, i) => addPeriods(f.history.lastTimestamp, f.freq, i - (n - 1)));
  const cv = f.covariates;
  if (cv !== undefined) {
    const p = cv?.plan;
    const ok = p && Array.isArray(p.features) && Array.isArray(p.future) && ["none", "month", "dayofweek"].includes(p.calendar) &&
      Array.isArray(p.scalers) && p.scalers.length === p.features.length + p.future.length &&
      p.scalers.every((sc) => Number.isFinite(sc?.mean) && Number.isFinite(sc?.sd) && sc.sd > 0) &&
      p.features.every((c) => Array.isArray(cv.past?.[c]) && cv.past[c]!.length === n) &&
      p.future.every((c) => Array.isArray(cv.future?.[c]) && cv.future[c]!.length === n + f.horizon);
    if (!ok) bad(path, `"covariates" must hold a plan (features, future, calendar, one scaler per column) and each column's values: ${n} per feature, ${n + f.horizon} per known-future column`);
    spec.covariates = p.features.length + p.future.length + (p.calendar === "none" ? 0 : 2);
  }
  const covariates = cv ? {
    past: Object.fromEntries(Object.entries(cv.past).map(([k, v]) => [k, Float64Array.from(v)])),
    future: Object.fromEntries(Object.entries(cv.future).map(([k, v]) => [k, Float64Array.from(v)])),
  } : undefined;
  return new Forecaster(
    NetworkEnsemble.restore(spec, transform, members),
    { name: f.target, dates, values: Float64Array.from(f.history.values), freq: f.freq, ...(covariates ? { covariates } : {}) },
    f.source, typeof f.backend === "string" ? f.backend : undefined, f.intervals, cv?.plan,
  );
}
