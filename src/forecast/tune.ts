// Hyperparameter search for config-file runs (`recurrent tune`): random or grid search over the
// recurrent cell, the number of recurrent layers, their units and dropout, the learning rate and
// the lookback. Every trial is a complete `recurrent train` config, scored by rolling-origin
// cross-validation on the training span only (the config's test span is never looked at), and the
// base config itself is trial 0, scored on the same folds. Trials are pure functions of their task
// (models on one thread, seeds fixed by the config), so an executor may run them on any number of
// threads and the results are the same.

import { ConfigError, DataError, NonFiniteError } from "../tensor/errors.js";
import { Tensor } from "../tensor/tensor.js";
import { Rng } from "../tensor/rng.js";
import { fileSystem } from "../io/fs.js";
import { sequential } from "../models/sequential.js";
import { earlyStopping } from "../models/callbacks.js";
import { input } from "../layers/index.js";
import { parseOptions, nearestName, z } from "../layers/options.js";
import { MinMaxScaler, StandardScaler, makeWindows, type Scaler } from "../data/index.js";
import { loadSeries } from "./series.js";
import { rollingOrigin, testStart } from "./backtest.js";
import { mae, rmse } from "./metrics.js";
import { layerFromSpec, resolveCsv, DEFAULT_VALIDATION_SPLIT, type LayerSpec, type RunConfig } from "./config_run.js";
import { parseRunConfig } from "./config_schema.js";

/** The parameters a search can vary, in the order they are drawn and shown. */
export const TUNE_PARAMETERS = ["cell", "layers", "units", "dropout", "learningRate", "lookback"] as const;
/** One of {@link TUNE_PARAMETERS}. */
export type TuneParameter = (typeof TUNE_PARAMETERS)[number];
/** The recurrent cells a search can choose between (config-file layer types). */
export const TUNE_CELLS = ["lstm", "gru", "simpleRnn"] as const;
/** One of {@link TUNE_CELLS}. */
export type TuneCell = (typeof TUNE_CELLS)[number];

/** A continuous (or, for integer parameters, integer) interval; `log` samples and spaces it on a log scale. */
export interface TuneRange {
  min: number;
  max: number;
  log?: boolean;
}

/**
 * A search space: each parameter a list of values, a {@link TuneRange}, or the command line's text
 * form — `"16,32,64"` (a list) or `"1e-3:1e-2:log"` / `"0:0.3"` (a range).
 */
export type SearchSpace = Partial<Record<TuneParameter, readonly (number | string)[] | TuneRange | string>>;

/** A checked search space: lists of values or ranges, parameters in {@link TUNE_PARAMETERS} order. */
export type Dimension = { kind: "list"; values: (number | string)[] } | { kind: "range"; min: number; max: number; log: boolean };
/** A checked search space (see {@link parseSearchSpace}). */
export type CheckedSpace = Partial<Record<TuneParameter, Dimension>>;

/** Values of every parameter for one trial. */
export interface TrialParams {
  cell: TuneCell;
  layers: number;
  units: number;
  dropout: number;
  learningRate: number;
  lookback: number;
}

/** The space `recurrent tune` searches when given none: units, depth and learning rate. */
export const DEFAULT_SPACE: SearchSpace = { units: [16, 32, 64], layers: [1, 2], learningRate: { min: 1e-3, max: 1e-2, log: true } };

/**
 * The base config `recurrent tune` starts from when given none: weekly Seattle temperatures from
 * the bundled weather data (the series `recurrent forecast` shows), 13 weeks ahead from 26, the
 * last 52 weeks held out, LSTM(32) → Dense(13) with Keras's Adam defaults.
 */
export function defaultTuneConfig(): RunConfig {
  return {
    data: { csv: "bundled:weather.csv", where: ["location=Seattle"], target: "median(temp_max,temp_min)", freq: "week", lookback: 26, horizon: 13, testSize: 52 },
    model: { seed: 7, layers: [{ type: "lstm", units: 32 }, { type: "dense", units: 13 }] },
    compile: { optimizer: { type: "adam", learningRate: 0.001 }, loss: "mse", metrics: ["mae"] },
    fit: { epochs: 100, batchSize: 16, validationSplit: 0.15, patience: 10 },
  };
}

/** Validation score of a trial: mean absolute or root-mean-square error, in the data's units. */
export type TuneMetric = "mae" | "rmse";

const INTEGER: readonly TuneParameter[] = ["layers", "units", "lookback"];

function describe(d: Dimension): string {
  return d.kind === "list" ? d.values.join(",") : `${d.min}:${d.max}${d.log ? ":log" : ""}`;
}

function unknownParameter(where: string, name: string): ConfigError {
  const near = nearestName(name, [...TUNE_PARAMETERS, "lr"]);
  const hint = near ? `; did you mean "${near === "lr" ? "learningRate" : near}"?` : "";
  return new ConfigError(`${where}: unknown parameter "${name}"${hint} (parameters: ${TUNE_PARAMETERS.join(", ")})`);
}

/** Checks one value of a parameter; returns it as stored. */
function checkValue(p: TuneParameter, v: unknown, where: string): number | string {
  if (p === "cell") {
    if (typeof v === "string" && (TUNE_CELLS as readonly string[]).includes(v)) return v;
    const near = typeof v === "string" ? nearestName(v, TUNE_CELLS) : undefined;
    throw new ConfigError(`${where}: ${JSON.stringify(v)} is not a recurrent cell${near ? `; did you mean "${near}"?` : ""} (cells: ${TUNE_CELLS.join(", ")})`);
  }
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n)) throw new ConfigError(`${where}: values must be numbers, got ${JSON.stringify(v)}`);
  if (INTEGER.includes(p) && (!Number.isInteger(n) || n < 1)) throw new ConfigError(`${where}: must be a positive integer, got ${n}`);
  if (p === "dropout" && !(n >= 0 && n < 1)) throw new ConfigError(`${where}: must be in [0, 1), got ${n}`);
  if (p === "learningRate" && !(n > 0)) throw new ConfigError(`${where}: must be positive, got ${n}`);
  return n;
}

/** One parameter's values from a list, a range object or the text form. */
export function parseDimension(p: TuneParameter, raw: unknown, where = "tune"): Dimension {
  const at = `${where}: ${p}`;
  if (typeof raw === "string") {
    const text = raw.trim();
    if (text.includes(":")) {
      const parts = text.split(":").map((s) => s.trim());
      const log = parts.length === 3 && parts[2] === "log";
      if (parts.length > 3 || (parts.length === 3 && !log)) {
        throw new ConfigError(`${at}: a range is min:max or min:max:log, got "${raw}"`);
      }
      return parseDimension(p, { min: parts[0] === "" ? NaN : Number(parts[0]), max: parts[1] === "" ? NaN : Number(parts[1]), log }, where);
    }
    return parseDimension(p, text === "" ? [] : text.split(",").map((s) => s.trim()), where);
  }
  if (Array.isArray(raw)) {
    if (raw.length === 0) throw new ConfigError(`${at}: an empty list of values; give at least one`);
    const values = raw.map((v) => checkValue(p, v, at));
    return { kind: "list", values: [...new Map(values.map((v) => [String(v), v])).values()] };
  }
  if (raw !== null && typeof raw === "object") {
    const r = parseOptions(z.strictObject({ min: z.number(), max: z.number(), log: z.boolean().optional() }), raw, `${at} range`);
    if (p === "cell") throw new ConfigError(`${at}: a cell is chosen from a list (${TUNE_CELLS.join(", ")}), not a range`);
    if (!Number.isFinite(r.min) || !Number.isFinite(r.max)) throw new ConfigError(`${at}: a range needs numbers for min and max, got ${r.min}:${r.max}`);
    checkValue(p, r.min, at);
    checkValue(p, r.max, at);
    if (r.min > r.max) throw new ConfigError(`${at}: the range ${r.min}:${r.max} has min ${r.min} > max ${r.max}; write it as ${r.max}:${r.min}`);
    if (r.log && r.min <= 0) throw new ConfigError(`${at}: a log range needs min > 0, got ${r.min}`);
    return { kind: "range", min: r.min, max: r.max, log: r.log ?? false };
  }
  throw new ConfigError(`${at}: give a list of values, a range { "min", "max", "log"? } or text such as "16,32" or "1e-3:1e-2:log"; got ${JSON.stringify(raw)}`);
}

/**
 * Checks a search space (a JSON object, or flags gathered into one): known parameters only (an
 * unknown one is refused with the nearest name; `lr` is accepted for learningRate), non-empty lists,
 * ranges with min ≤ max, values in each parameter's domain.
 * @throws ConfigError naming `where`, the parameter and the value.
 */
export function parseSearchSpace(raw: unknown, where = "tune"): CheckedSpace {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(`${where}: a search space is a JSON object such as { "units": [16, 32], "learningRate": "1e-3:1e-2:log" }, got ${JSON.stringify(raw)}`);
  }
  const out: CheckedSpace = {};
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    const p = (key === "lr" ? "learningRate" : key) as TuneParameter;
    if (!(TUNE_PARAMETERS as readonly string[]).includes(p)) throw unknownParameter(where, key);
    out[p] = parseDimension(p, v, where);
  }
  const keys = TUNE_PARAMETERS.filter((p) => out[p]);
  if (keys.length === 0) {
    throw new ConfigError(`${where}: the search space is empty: give at least one of ${TUNE_PARAMETERS.join(", ")} (e.g. { "units": [16, 32, 64] })`);
  }
  return Object.fromEntries(keys.map((k) => [k, out[k]])) as CheckedSpace;
}

/** 4 significant digits, so configs read 0.003162 rather than 0.0031622776601683794. */
function round4(x: number): number {
  return Number(x.toPrecision(4));
}

function sample(p: TuneParameter, d: Dimension, rng: Rng): number | string {
  if (d.kind === "list") return d.values[rng.int(d.values.length)]!;
  const u = rng.next();
  const x = d.log ? Math.exp(Math.log(d.min) + u * (Math.log(d.max) - Math.log(d.min))) : d.min + u * (d.max - d.min);
  return INTEGER.includes(p) ? Math.min(d.max, Math.max(d.min, Math.round(x))) : round4(x);
}

function gridValues(p: TuneParameter, d: Dimension, points: number): (number | string)[] {
  if (d.kind === "list") return d.values;
  const vals: number[] = [];
  for (let i = 0; i < points; i++) {
    const u = points === 1 ? 0.5 : i / (points - 1);
    const x = d.log ? Math.exp(Math.log(d.min) + u * (Math.log(d.max) - Math.log(d.min))) : d.min + u * (d.max - d.min);
    vals.push(INTEGER.includes(p) ? Math.round(x) : round4(x));
  }
  return [...new Set(vals)];
}

/** How many points a grid search takes along each range. Default 3. */
export const DEFAULT_GRID_POINTS = 3;

/**
 * The trials a search runs (without the base config, which is always trial 0): `grid` every
 * combination (ranges at `gridPoints` evenly spaced points, log-spaced for log ranges), `random`
 * `trials` distinct draws from `Rng(seed)` (fewer when the space has fewer distinct points).
 * Points for which `skip` is true (tune skips the base config's own) are left out.
 */
export function planTrials(
  space: CheckedSpace, strategy: "random" | "grid",
  opts: { trials?: number; seed: number; gridPoints?: number; skip?: (t: Partial<TrialParams>) => boolean },
): Partial<TrialParams>[] {
  const keys = TUNE_PARAMETERS.filter((p) => space[p]);
  if (strategy === "grid") {
    let combos: Partial<TrialParams>[] = [{}];
    for (const k of keys) {
      const vals = gridValues(k, space[k]!, opts.gridPoints ?? DEFAULT_GRID_POINTS);
      combos = combos.flatMap((c) => vals.map((v) => ({ ...c, [k]: v })));
    }
    if (opts.skip) combos = combos.filter((c) => !opts.skip!(c));
    if (opts.trials !== undefined && combos.length > opts.trials) {
      throw new ConfigError(`tune: the grid has ${combos.length} combinations (${keys.map((k) => `${k} ${gridValues(k, space[k]!, opts.gridPoints ?? DEFAULT_GRID_POINTS).length}`).join(" × ")}), more than trials ${opts.trials}: raise trials, shrink the space, or use the random strategy`);
    }
    return combos;
  }
  const n = opts.trials ?? 10;
  const discrete = keys.every((k) => space[k]!.kind === "list");
  const size = discrete ? keys.reduce((a, k) => a * (space[k] as { values: unknown[] }).values.length, 1) : Infinity;
  const want = Math.min(n, size);
  const rng = new Rng(opts.seed);
  const seen = new Set<string>();
  const out: Partial<TrialParams>[] = [];
  for (let attempt = 0; out.length < want && attempt < 100 * n; attempt++) {
    const t: Partial<TrialParams> = {};
    for (const k of keys) (t as Record<string, unknown>)[k] = sample(k, space[k]!, rng);
    const key = JSON.stringify(t);
    if (seen.has(key)) continue;
    seen.add(key);
    if (opts.skip?.(t)) continue;
    out.push(t);
  }
  return out;
}

const RECURRENT = new Set<string>(TUNE_CELLS);

/** The parameters as the base config sets them. */
export function baseParams(cfg: RunConfig): TrialParams {
  const rec = cfg.model.layers.filter((l) => RECURRENT.has(l.type));
  const first = rec[0];
  const opt = cfg.compile?.optimizer;
  const type = typeof opt === "string" ? opt : opt?.type ?? "adam";
  const lr = typeof opt === "object" && opt.learningRate !== undefined ? opt.learningRate : type === "sgd" ? 0.01 : 0.001;
  return {
    cell: (first?.type ?? "lstm") as TuneCell,
    layers: rec.length,
    units: typeof first?.units === "number" ? first.units : 0,
    dropout: typeof first?.dropout === "number" ? first.dropout : 0,
    learningRate: lr,
    lookback: cfg.data.lookback,
  };
}

/**
 * The base config with a trial's parameters applied. cell, layers, units and dropout rewrite
 * model.layers as `layers` recurrent layers (all but the last returning sequences) and the base's
 * final dense layer; that needs a base of that form ([input], recurrent layers of one kind, dense).
 * @throws ConfigError when the base model has another form and the space varies its architecture.
 */
export function applyParams(base: RunConfig, t: Partial<TrialParams>): RunConfig {
  const cfg = JSON.parse(JSON.stringify(base)) as RunConfig;
  const arch = t.cell !== undefined || t.layers !== undefined || t.units !== undefined || t.dropout !== undefined;
  if (t.lookback !== undefined) cfg.data.lookback = t.lookback;
  if (arch) {
    const ls = cfg.model.layers;
    const start = ls[0]?.type === "input" ? 1 : 0;
    const rec = ls.slice(start, -1);
    const last = ls[ls.length - 1];
    if (rec.length === 0 || !rec.every((l) => l.type === rec[0]!.type && RECURRENT.has(l.type)) || last?.type !== "dense") {
      throw new ConfigError(
        `tune: cell, layers, units and dropout rebuild model.layers as recurrent layers of one kind followed by a dense layer; ` +
          `the base config's model.layers is ${ls.map((l) => l.type).join(" → ")}: tune only learningRate and lookback for it, or start from such a model`,
      );
    }
    const b = baseParams(base);
    const cell = t.cell ?? b.cell;
    const { type: _t, units: _u, dropout: _d, returnSequences: _r, name: _n, ...extra } = rec[0]!;
    const keep = cell === rec[0]!.type ? extra : {};
    const count = t.layers ?? b.layers;
    const units = t.units ?? b.units;
    const dropout = t.dropout ?? b.dropout;
    const stack: LayerSpec[] = Array.from({ length: count }, (_, k) => ({
      type: cell, units, ...keep,
      ...(dropout > 0 ? { dropout } : {}),
      ...(k < count - 1 ? { returnSequences: true } : {}),
    }));
    cfg.model.layers = [...ls.slice(0, start), ...stack, last];
  }
  const first = cfg.model.layers[0]!;
  if (first.type === "input" && Array.isArray(first.shape)) first.shape = [cfg.data.lookback, ...(first.shape as number[]).slice(1)];
  if (t.learningRate !== undefined) {
    const opt = cfg.compile?.optimizer;
    const obj = typeof opt === "string" ? { type: opt } : opt ?? { type: "adam" as const };
    cfg.compile = { ...(cfg.compile ?? {}), optimizer: { ...obj, learningRate: t.learningRate } };
  }
  return cfg;
}

/** One trial, ready to run anywhere: its config, the series and the folds. No I/O. */
export interface TrialTask {
  /** 0 is the base config; 1… the search's trials. */
  trial: number;
  config: RunConfig;
  /** The series in the data's units, up to the end of the last fold (the test span left out). */
  values: number[];
  /** Fold k trains on values [0, trainEnds[k]) and is scored from the origins in the next foldSize points. */
  trainEnds: number[];
  foldSize: number;
  metric: TuneMetric;
}

/** What a trial measured. */
export interface TrialScore {
  trial: number;
  /** The validation score of each fold. */
  folds: number[];
  /** Their mean: what trials are ranked by (lower is better). */
  score: number;
  /** Epochs kept by early stopping in each fold. */
  epochs: number[];
  /** Wall time of the trial. */
  seconds: number;
  /** Why a fold scored Infinity: its training loss stopped being finite (the search goes on). */
  note?: string;
}

/**
 * Runs one trial: for each fold, a scaler fitted on the fold's training span, the model trained as
 * `recurrent train` trains it (same defaults, early stopping on the last windows, one thread),
 * and rolling-origin forecasts over the fold's validation span, scored in the data's units.
 */
export async function runTrialTask(task: TrialTask): Promise<TrialScore> {
  const t0 = performance.now();
  const cfg = task.config;
  const L = cfg.data.lookback;
  const H = cfg.data.horizon ?? 1;
  const V = task.foldSize;
  const f = cfg.fit ?? {};
  const folds: number[] = [];
  const epochs: number[] = [];
  let note: string | undefined;
  for (const trainEnd of task.trainEnds) {
    const series = Float64Array.from(task.values.slice(0, trainEnd + V));
    const scaler: Scaler = cfg.data.scaler === "standard" ? new StandardScaler() : new MinMaxScaler();
    scaler.fit(series.subarray(0, trainEnd));
    const scaled = scaler.transformFeature(series, 0);
    const specs = cfg.model.layers;
    const ls = specs.map((s, k) => layerFromSpec(s, `trial ${task.trial}: model.layers[${k}]`));
    if (specs[0]!.type !== "input") ls.unshift(input({ shape: [L, 1] }));
    const model = sequential(ls, { seed: cfg.model.seed ?? 42, threads: 1 });
    const w = makeWindows(scaled.subarray(0, trainEnd), { lookback: L, horizon: H });
    const N = w.origins.length;
    const out = model.outputShape!;
    if (out.reduce((a, b) => a * b, 1) !== H) throw new ConfigError(`trial ${task.trial}: the model outputs ${out.join("×")} values per sample but the horizon is ${H}`);
    model.compile({
      optimizer: cfg.compile?.optimizer ?? { type: "adam", learningRate: 1e-3 },
      loss: cfg.compile?.loss ?? "mse",
      metrics: [],
    });
    const stop = earlyStopping({ monitor: "val_loss", patience: f.patience ?? 10, restoreBestWeights: true });
    try {
      await model.fit(new Tensor(w.X, w.xShape), new Tensor(w.Y, [N, ...out]), {
        epochs: f.epochs ?? 100,
        batchSize: f.batchSize ?? 32,
        validationSplit: f.validationSplit ?? DEFAULT_VALIDATION_SPLIT,
        shuffle: f.shuffle ?? true,
        verbose: 0,
        callbacks: [stop],
      });
    } catch (e) {
      // A diverging trial (too high a learning rate) loses, it does not end the search.
      if (!(e instanceof NonFiniteError)) throw e;
      model.dispose();
      folds.push(Infinity);
      epochs.push(0);
      note ??= `fold ${folds.length}: ${e.message}`;
      continue;
    }
    epochs.push(stop.bestEpoch + 1);
    const run = rollingOrigin(series, (history) => {
      const x = Float32Array.from(scaler.transformFeature(history.subarray(history.length - L), 0));
      return Array.from(scaler.inverseTransformFeature(model.predict(new Tensor(x, [1, L, 1])).data, 0));
    }, { horizon: H, testSize: V });
    const actual = run.origins.flatMap((o) => Array.from({ length: H }, (_, h) => series[o + 1 + h]!));
    const score = (task.metric === "rmse" ? rmse : mae)(actual, run.forecasts.flat());
    folds.push(score);
    model.dispose();
  }
  const score = folds.reduce((a, b) => a + b, 0) / folds.length;
  return {
    trial: task.trial, folds, score: Number.isFinite(score) ? score : Infinity, epochs, seconds: (performance.now() - t0) / 1000,
    ...(note !== undefined ? { note } : {}),
  };
}

/**
 * Runs trial tasks. The default runs them one after another on the calling thread; Node's
 * `recurrent tune --workers N` passes a pool of worker threads (src/node/tune_worker.ts). Any
 * executor gives the same scores: each trial depends only on its task.
 */
export interface TrialExecutor {
  run(tasks: TrialTask[], onResult: (r: TrialScore) => void): Promise<TrialScore[]>;
}

/** The executor that runs every trial in turn on the calling thread. */
export const inlineExecutor: TrialExecutor = {
  async run(tasks, onResult) {
    const out: TrialScore[] = [];
    for (const t of tasks) {
      const r = await runTrialTask(t);
      onResult(r);
      out.push(r);
    }
    return out;
  },
};

export interface TuneOptions {
  /** The base config (a `recurrent train` config, checked): trial 0, and what every trial changes. */
  config: RunConfig;
  /** Directory a relative `data.csv` is resolved against (the config file's). Default the working directory. */
  baseDir?: string;
  /** What to search; default {@link DEFAULT_SPACE}. */
  space?: SearchSpace;
  /** "random" (default) or "grid". */
  strategy?: "random" | "grid";
  /** Random: trials drawn (default 10). Grid: the most combinations allowed (default no limit). */
  trials?: number;
  /** Rolling-origin folds (default 3). */
  folds?: number;
  /** Points each fold validates on (default max(horizon, round(0.1 × the training span))). */
  foldSize?: number;
  /** Grid points along each range (default 3). */
  gridPoints?: number;
  /** Seed of the random search (default 42); model seeds come from the config. */
  seed?: number;
  /** Default "mae". */
  metric?: TuneMetric;
  /** Overrides fit.epochs of every trial (the base too): the budget per model. */
  epochs?: number;
  /** Where trials run; default {@link inlineExecutor}. */
  executor?: TrialExecutor;
  /** Called once everything is checked and the data loaded, before the first trial runs. */
  onPlan?: (plan: TunePlan) => void;
  /** Called as each trial finishes (in completion order), with how many are done of how many. */
  onTrial?: (r: TrialResult, done: number, total: number) => void;
}

/** What a search will run: the series, the folds and the number of trials (the default included). */
export interface TunePlan {
  source: string;
  n: number;
  testSize: number;
  trainEnds: number[];
  foldSize: number;
  trials: number;
}

/** A trial's parameters, config and scores. */
export interface TrialResult extends TrialScore {
  /** "default" for trial 0 (the base config), "search" for the others. */
  kind: "default" | "search";
  params: TrialParams;
  config: RunConfig;
}

export interface TuneResult {
  strategy: "random" | "grid";
  metric: TuneMetric;
  seed: number;
  /** The parameters searched and their values. */
  space: CheckedSpace;
  /** Points in the series, the test span left out, and the span the folds use. */
  n: number;
  testSize: number;
  /** Fold k trains on [0, trainEnds[k]) and validates on the next foldSize points. */
  trainEnds: number[];
  foldSize: number;
  /** Every trial in trial order (0 is the default). */
  trials: TrialResult[];
  /** The same trials, best (lowest score) first; ties by trial number. */
  ranking: TrialResult[];
  best: TrialResult;
  default: TrialResult;
}

const tuneSchema = z.strictObject({
  config: z.looseObject({}),
  baseDir: z.string().optional(),
  space: z.unknown().optional(),
  strategy: z.enum(["random", "grid"]).optional(),
  trials: z.int().min(1).optional(),
  folds: z.int().min(1).optional(),
  foldSize: z.int().min(1).optional(),
  gridPoints: z.int().min(1).optional(),
  seed: z.int().min(0).optional(),
  metric: z.enum(["mae", "rmse"]).optional(),
  epochs: z.int().min(1).optional(),
  executor: z.custom<TrialExecutor>((v) => v !== null && typeof v === "object" && typeof (v as TrialExecutor).run === "function").optional(),
  onTrial: z.custom<TuneOptions["onTrial"]>((v) => typeof v === "function").optional(),
  onPlan: z.custom<TuneOptions["onPlan"]>((v) => typeof v === "function").optional(),
});

/** Training points a lookback needs before a fold, as `recurrent train` counts them. */
function needTrain(cfg: RunConfig, L: number): number {
  const H = cfg.data.horizon ?? 1;
  const s = cfg.fit?.validationSplit ?? DEFAULT_VALIDATION_SPLIT;
  const windows = s > 0 ? Math.max(2, Math.ceil(1 / (1 - s) - 1e-9)) : 1;
  return L + H - 1 + windows;
}

/**
 * Searches the space: plans the trials, checks that the folds fit the data for the longest
 * lookback, runs the base config and every trial on the same folds, ranks them.
 * @throws ConfigError on bad options or search space; DataError when the folds do not fit the series.
 */
export async function tune(opts: TuneOptions): Promise<TuneResult> {
  parseOptions(tuneSchema, opts, "tune");
  const base = parseRunConfig(JSON.stringify(opts.config), "tune: config") as RunConfig;
  base.model.layers.forEach((l, k) => layerFromSpec(l, `tune: config: model.layers[${k}]`));
  if (opts.epochs !== undefined) base.fit = { ...(base.fit ?? {}), epochs: opts.epochs };
  const space = parseSearchSpace(opts.space ?? DEFAULT_SPACE, "tune: space");
  const strategy = opts.strategy ?? "random";
  const seed = opts.seed ?? 42;
  const metric = opts.metric ?? "mae";
  // A point that gives the base config itself is trial 0 already.
  const own = baseParams(base);
  const skip = (t: Partial<TrialParams>): boolean => {
    const mine = Object.fromEntries(Object.keys(t).map((k) => [k, own[k as TuneParameter]])) as Partial<TrialParams>;
    return JSON.stringify(applyParams(base, t)) === JSON.stringify(applyParams(base, mine));
  };
  const plan = planTrials(space, strategy, { seed, skip, ...(opts.trials !== undefined ? { trials: opts.trials } : {}), ...(opts.gridPoints !== undefined ? { gridPoints: opts.gridPoints } : {}) });
  const configs = [base, ...plan.map((t) => applyParams(base, t))];
  configs.forEach((c, i) => c.model.layers.forEach((l, k) => layerFromSpec(l, `tune: trial ${i}: model.layers[${k}]`)));

  const fs = fileSystem("tune");
  const csv = resolveCsv(base.data.csv, opts.baseDir ?? fs.resolve("."));
  const series = loadSeries(csv, base.data);
  const n = series.values.length;
  const H = base.data.horizon ?? 1;
  const testSize = base.data.testSize ?? Math.max(H, Math.round(0.2 * n));
  const m = n - testSize;
  if (m < 1) throw new DataError(`tune: ${series.source}: the test span of ${testSize} leaves no training data in ${n} points`);
  const K = opts.folds ?? 3;
  const V = opts.foldSize ?? Math.max(H, Math.round(0.1 * m));
  if (V < H) throw new ConfigError(`tune: foldSize ${V} is shorter than the horizon ${H}: each fold must hold at least one horizon`);
  const longest = Math.max(...configs.map((c) => c.data.lookback));
  const need = Math.max(...configs.map((c) => needTrain(c, c.data.lookback)));
  const firstTrain = m - K * V;
  if (firstTrain < need) {
    const most = Math.floor((m - need) / V);
    throw new DataError(
      `tune: ${series.source}: ${K} fold(s) of ${V} points need ${K * V + need} points before the test span (the first fold must train on ${need}: ` +
        `lookback ${longest} + horizon ${H} and the validation windows), but there are ${m} (${n} points, the last ${testSize} held out for testing): ` +
        (most >= 1 ? `use at most ${most} fold(s), ` : "") + `a smaller fold size, a shorter lookback, or a smaller data.testSize`,
    );
  }
  testStart(m, K * V, H);
  const trainEnds = Array.from({ length: K }, (_, k) => firstTrain + k * V);
  const values = Array.from(series.values.subarray(0, m));
  const tasks: TrialTask[] = configs.map((config, trial) => ({ trial, config, values, trainEnds, foldSize: V, metric }));

  opts.onPlan?.({ source: series.source, n, testSize, trainEnds, foldSize: V, trials: tasks.length });
  const results: TrialResult[] = new Array(tasks.length);
  let done = 0;
  const toResult = (s: TrialScore): TrialResult => {
    const cfg = configs[s.trial]!;
    return { ...s, kind: s.trial === 0 ? "default" : "search", params: baseParams(cfg), config: cfg };
  };
  await (opts.executor ?? inlineExecutor).run(tasks, (s) => {
    const r = toResult(s);
    results[s.trial] = r;
    done++;
    opts.onTrial?.(r, done, tasks.length);
  });
  for (let i = 0; i < results.length; i++) if (!results[i]) throw new Error(`tune: trial ${i} returned no result`);
  const ranking = [...results].sort((a, b) => a.score - b.score || a.trial - b.trial);
  return {
    strategy, metric, seed, space, n, testSize, trainEnds, foldSize: V,
    trials: results, ranking, best: ranking[0]!, default: results[0]!,
  };
}

/**
 * The best trial's config as a file `recurrent train` reads unchanged: a relative `data.csv`
 * made absolute (the file may be written elsewhere), `bundled:` names kept.
 */
export function bestConfig(result: TuneResult, baseDir?: string): RunConfig {
  const cfg = JSON.parse(JSON.stringify(result.best.config)) as RunConfig;
  const fs = fileSystem("tune");
  if (!/^(bundled|vega-datasets):/.test(cfg.data.csv)) cfg.data.csv = fs.resolve(cfg.data.csv, baseDir ?? fs.resolve("."));
  return cfg;
}

/** The parameters a table shows: the searched ones. */
export function shownParameters(result: TuneResult): TuneParameter[] {
  return TUNE_PARAMETERS.filter((p) => result.space[p]);
}

/** results.csv: one row per trial, best first: rank, trial, kind, every parameter, each fold's score, the mean, seconds. */
export function resultsCsv(result: TuneResult): string {
  const K = result.trainEnds.length;
  const head = ["rank", "trial", "kind", ...TUNE_PARAMETERS, ...Array.from({ length: K }, (_, k) => `fold${k + 1}_${result.metric}`), `mean_${result.metric}`, "seconds"];
  const rows = result.ranking.map((r, i) => [
    i + 1, r.trial, r.kind, ...TUNE_PARAMETERS.map((p) => r.params[p]), ...r.folds.map((v) => v.toPrecision(6)), r.score.toPrecision(6), r.seconds.toFixed(2),
  ].join(","));
  return [head.join(","), ...rows].join("\n") + "\n";
}

/** A short text of the space: `units 16,32,64 · learningRate 0.001:0.01:log`. */
export function describeSpace(space: CheckedSpace): string {
  return TUNE_PARAMETERS.filter((p) => space[p]).map((p) => `${p} ${describe(space[p]!)}`).join(" · ");
}
