// Runs described by a config file (`recurrent train | evaluate | predict | summary`): the user's own
// layers on windows of one series, a scaler fitted on the training span, test metrics in the data's
// units beside the naive baselines at the same origins, and a run directory that can be reloaded.

import type { ProgressRenderer } from "../models/progress.js";
import { ConfigError, DataError, ModelFormatError, ShapeError, fmtShape } from "../tensor/errors.js";
import { Tensor } from "../tensor/tensor.js";
import { fileSystem } from "../io/fs.js";
import { sequential, type Sequential } from "../models/sequential.js";
import { loadModel, loadSequential } from "../models/load.js";
import { earlyStopping } from "../models/callbacks.js";
import * as layers from "../layers/index.js";
import { input, kindOfType, type Layer } from "../layers/index.js";
import type { OptimizerConfig } from "../optim/optimizers.js";
import type { LossName, LossSpec } from "../kernels/losses.js";
import {
  MinMaxScaler, StandardScaler, scalerFromJSON, makeWindows, seasonLength, addPeriods, formatDate,
  type Scaler, type Frequency,
} from "../data/index.js";
import { loadSeries, type LoadedSeries, type LoadSeriesOptions } from "./series.js";
import { applyTransform, fitSeriesTransform, invertForecast, type SeriesTransform } from "./transforms.js";
import { resolveBundled } from "./bundled.js";
import { parseRunConfig, unknownKeyMessage } from "./config_schema.js";
import { isForecasterDir } from "./saved.js";
import { rollingOrigin, scoreBacktest } from "./backtest.js";
import type { Metrics } from "./metrics.js";

export interface LayerSpec {
  /** A factory name of `layers.*` (src/layers/registry.ts): input, lstm, gru, simpleRnn, dense, timeDistributed, … */
  type: string;
  /** For timeDistributed and bidirectional: the wrapped layer. */
  layer?: LayerSpec;
  [option: string]: unknown;
}

export interface RunConfig {
  data: LoadSeriesOptions & {
    csv: string;
    lookback: number;
    horizon?: number;
    /** Points held out at the end for evaluation. Default: 20% of the windows' span. */
    testSize?: number;
    /** "minmax" (default) or "standard", fitted on the training span only. */
    scaler?: "minmax" | "standard";
    /** Transform of the values before the scaler: "none" (default), "log" or "boxcox" (λ by Guerrero's method on the training span). */
    transform?: "none" | "log" | "boxcox";
  };
  model: { seed?: number; layers: LayerSpec[] };
  compile?: { optimizer?: OptimizerConfig; loss?: LossName | LossSpec; metrics?: string[] };
  fit?: { epochs?: number; batchSize?: number; validationSplit?: number; patience?: number; shuffle?: boolean };
}

/** fit.validationSplit when the config gives none. */
export const DEFAULT_VALIDATION_SPLIT = 0.1;

/** A minimal layer of each built-in kind: its getConfig() keys are the options the kind takes. */
const PROBES: Record<string, () => Layer> = {
  input: () => layers.input({ shape: [1] }),
  dense: () => layers.dense({ units: 1 }),
  dropout: () => layers.dropout({ rate: 0 }),
  embedding: () => layers.embedding({ inputDim: 1, outputDim: 1 }),
  flatten: () => layers.flatten(),
  repeatVector: () => layers.repeatVector({ n: 1 }),
  lstm: () => layers.lstm({ units: 1 }),
  gru: () => layers.gru({ units: 1 }),
  simpleRnn: () => layers.simpleRnn({ units: 1 }),
  timeDistributed: () => layers.timeDistributed(layers.dense({ units: 1 })),
  bidirectional: () => layers.bidirectional(layers.lstm({ units: 1 })),
};
const optionCache = new Map<string, string[]>();

/** The option names a layer type accepts (with `type`, and `layer` for wrappers); null when unknown. */
export function layerOptionNames(type: string): string[] | null {
  const probe = PROBES[type];
  if (!probe) return null;
  let names = optionCache.get(type);
  if (!names) {
    names = [...new Set(["type", ...Object.keys(probe().getConfig()), "inputShape", "batchSize"])];
    optionCache.set(type, names);
  }
  return names;
}

/** Build a layer from its spec; names the position of a bad spec, and refuses options the layer does not take. */
export function layerFromSpec(spec: LayerSpec, where: string): Layer {
  if (!spec || typeof spec.type !== "string") throw new ConfigError(`${where}: each layer needs a "type"`);
  const { type, layer, ...args } = spec;
  const kind = kindOfType(type, where);
  const valid = layerOptionNames(type);
  if (valid) {
    for (const k of Object.keys(spec)) {
      if (!valid.includes(k)) throw new ConfigError(unknownKeyMessage(`${where} (${type})`, k, valid));
    }
  }
  try {
    if (!kind.wraps) return kind.create(args, null);
    if (!layer) throw new ConfigError(`${where}: ${type} needs a "layer" to wrap`);
    return kind.create(args, layerFromSpec(layer, `${where}.layer`));
  } catch (e) {
    // The layer's own check ("lstm: units must be a positive integer") gets the config position.
    if (e instanceof ConfigError && !e.message.startsWith(where)) throw new ConfigError(`${where}: ${e.message}`);
    throw e;
  }
}

/**
 * Reads and checks a config file: JSON syntax (with line and column), every key (unknown ones
 * refused with the nearest valid name), every type and range (named by JSON path), every layer's
 * options. File-system errors (a missing file) are thrown as Node's, naming the path.
 */
export function readRunConfig(path: string): RunConfig {
  const fs = fileSystem("config");
  const cfg = parseRunConfig(fs.readText(path), path) as RunConfig;
  cfg.model.layers.forEach((l, k) => layerFromSpec(l, `${path}: model.layers[${k}]`));
  try {
    resolveBundled(cfg.data.csv);
  } catch (e) {
    throw new ConfigError(`${path}: data.csv: ${(e as Error).message}`);
  }
  return cfg;
}

export interface RunFile {
  format: "recurrent-run";
  version: 1;
  config: RunConfig;
  /** The CSV actually read (absolute). */
  csv: string;
  scaler: unknown;
  /** The values' transform before the scaler (absent: none), with λ fitted on the training span. */
  transform?: SeriesTransform;
  n: number;
  trainEnd: number;
  testSize: number;
  freq: Frequency;
  season: number;
  lastDate: string;
  history: Record<string, number[]>;
}

/** `bundled:weather.csv` (or the older `vega-datasets:weather.csv`) names a bundled file; other paths are relative to the config file. */
export function resolveCsv(csv: string, baseDir: string): string {
  return resolveBundled(csv) ?? fileSystem("config").resolve(csv, baseDir);
}

interface Prepared {
  series: LoadedSeries;
  scaled: Float64Array;
  scaler: Scaler;
  /** Applied before the scaler; `toUnits` undoes the scaler and it. */
  transform: SeriesTransform;
  /** Network outputs (scaled) back in the data's units. */
  toUnits: (out: ArrayLike<number>) => Float64Array;
  L: number;
  H: number;
  trainEnd: number;
  testSize: number;
  season: number;
}

function prepare(cfg: RunConfig, csv: string, scalerJson?: unknown, split?: { trainEnd: number; testSize: number }, saved?: SeriesTransform): Prepared {
  const series = loadSeries(csv, cfg.data);
  const n = series.values.length;
  const L = cfg.data.lookback;
  const H = cfg.data.horizon ?? 1;
  const testSizeFor = (m: number): number => split?.testSize ?? cfg.data.testSize ?? Math.max(H, Math.round(0.2 * m));
  const testSize = testSizeFor(n);
  const trainEnd = split ? split.trainEnd : n - testSize; // rows [0, trainEnd) train
  if (testSize < H) throw new ConfigError(`data.testSize ${testSize} is shorter than data.horizon ${H}: the test span must hold at least one horizon`);
  // fit needs one training window, and one more for validation unless validationSplit is 0:
  // floor(N · (1 − s)) ≥ 1 training windows and at least one validation window.
  const s = cfg.fit?.validationSplit ?? DEFAULT_VALIDATION_SPLIT;
  const windows = s > 0 ? Math.max(2, Math.ceil(1 / (1 - s) - 1e-9)) : 1;
  const needTrain = L + H - 1 + windows;
  if (trainEnd < needTrain) {
    let need = n + 1;
    while (need - testSizeFor(need) < needTrain) need++;
    throw new DataError(
      `${series.source}: ${n} points leave ${trainEnd} for training (the last ${testSize} are the test span), but lookback ${L} + horizon ${H} ` +
        `needs at least ${needTrain} training points (${windows} window(s)${s > 0 ? `, validationSplit ${s}` : ""}), so at least ${need} points; shorten data.lookback or data.testSize`,
    );
  }
  const season = seasonLength(series.freq);
  const transform: SeriesTransform = saved ?? fitSeriesTransform(cfg.data.transform ?? "none", series.values.subarray(0, trainEnd), season);
  const g = applyTransform(transform, series.values);
  let scaler: Scaler;
  if (scalerJson) scaler = scalerFromJSON(scalerJson);
  else {
    scaler = cfg.data.scaler === "standard" ? new StandardScaler() : new MinMaxScaler();
    scaler.fit(g.subarray(0, trainEnd));
  }
  const scaled = scaler.transformFeature(g, 0);
  // Elementwise transforms only (no differencing here), so no history is needed to invert them.
  const toUnits = (out: ArrayLike<number>): Float64Array => Float64Array.from(invertForecast(transform, [], Array.from(scaler.inverseTransformFeature(Float32Array.from(out as ArrayLike<number>), 0))));
  return { series, scaled, scaler, transform, toUnits, L, H, trainEnd, testSize, season };
}

function buildModel(cfg: RunConfig, L: number): Sequential {
  const specs = cfg.model.layers;
  const ls = specs.map((s, k) => layerFromSpec(s, `model.layers[${k}]`));
  if (specs[0]!.type !== "input") ls.unshift(input({ shape: [L, 1] }));
  return sequential(ls, { seed: cfg.model.seed ?? 42 });
}

/** Targets reshaped to the model's output: [N, H] for Dense(H), [N, H, 1] for TimeDistributed(Dense(1)). */
function targetsFor(model: Sequential, Y: Float32Array, N: number, H: number): Tensor {
  const out = model.outputShape!;
  const per = out.reduce((a, b) => a * b, 1);
  if (per !== H) {
    throw new ShapeError(`the model outputs ${fmtShape([null, ...out])} per sample but the horizon is ${H}: end with dense({ units: ${H} }) or timeDistributed(dense({ units: 1 })) after ${H} steps`);
  }
  return new Tensor(Y, [N, ...out]);
}

export async function trainRun(configPath: string, outDir: string, opts: { verbose: 0 | 1 | 2; progress?: ProgressRenderer }): Promise<{ metrics: Record<string, Metrics>; run: RunFile }> {
  const fs = fileSystem("train");
  const cfg = readRunConfig(configPath);
  const csv = resolveCsv(cfg.data.csv, fs.dirname(fs.resolve(configPath)));
  const p = prepare(cfg, csv);
  const model = buildModel(cfg, p.L);
  // Training windows: every target inside the training span.
  const w = makeWindows(p.scaled.subarray(0, p.trainEnd), { lookback: p.L, horizon: p.H });
  const N = w.origins.length;
  const x = new Tensor(w.X, w.xShape);
  const y = targetsFor(model, w.Y, N, p.H);
  model.compile({
    optimizer: cfg.compile?.optimizer ?? { type: "adam", learningRate: 1e-3 },
    loss: cfg.compile?.loss ?? "mse",
    metrics: cfg.compile?.metrics ?? ["mae"],
  });
  const f = cfg.fit ?? {};
  const history = await model.fit(x, y, {
    epochs: f.epochs ?? 100,
    batchSize: f.batchSize ?? 32,
    validationSplit: f.validationSplit ?? DEFAULT_VALIDATION_SPLIT,
    shuffle: f.shuffle ?? true,
    verbose: opts.verbose,
    ...(opts.progress ? { progress: opts.progress } : {}),
    callbacks: [earlyStopping({ monitor: "val_loss", patience: f.patience ?? 10, restoreBestWeights: true })],
  });
  fs.mkdirp(outDir);
  await model.save(fs.join(outDir, "model"));
  const run: RunFile = {
    format: "recurrent-run", version: 1, config: cfg, csv,
    scaler: p.scaler.toJSON(), ...(p.transform.name !== "none" ? { transform: p.transform } : {}), n: p.series.values.length, trainEnd: p.trainEnd, testSize: p.testSize,
    freq: p.series.freq, season: p.season,
    lastDate: formatDate(p.series.dates[p.series.dates.length - 1]!, p.series.freq),
    history: history.history,
  };
  fs.writeAtomic(fs.join(outDir, "run.json"), JSON.stringify(run, null, 2) + "\n");
  return { metrics: evaluatePrepared(model, p), run };
}

function readRun(runDir: string): RunFile {
  const fs = fileSystem("run");
  const path = fs.join(runDir, "run.json");
  if (!fs.exists(path)) {
    if (isForecasterDir(runDir) || isForecasterDir(fs.join(runDir, "model"))) {
      throw new ConfigError(`${runDir} holds a forecaster saved by \`recurrent forecast --out\`, not a run trained from a config file: forecast with \`recurrent predict ${runDir}\`; its backtest is in metrics.json and report.html`);
    }
    throw new ConfigError(`${runDir} is not a run directory: no run.json (create one with \`recurrent train <config> --out ${runDir}\`)`);
  }
  const text = fs.readText(path);
  let run: RunFile;
  try {
    run = JSON.parse(text) as RunFile;
  } catch (e) {
    throw new ModelFormatError(`${path}: not valid JSON (${(e as Error).message}); the run directory is damaged, train it again`);
  }
  if (run === null || typeof run !== "object") throw new ModelFormatError(`${path}: not a run file (not a JSON object)`);
  if (run.format !== "recurrent-run" || run.version !== 1) throw new ConfigError(`${path}: unknown run format ${String(run.format)} v${String(run.version)}`);
  return run;
}

/**
 * The rolling-origin backtest over the test span (every origin from the last training point to
 * n−1−H), the model's forecasts in the data's units beside the baselines from the same origins.
 */
function evaluatePrepared(model: Sequential, p: Prepared): Record<string, Metrics> {
  const { series, scaler, L, H, trainEnd, season } = p;
  const forecastFrom = (history: Float64Array): number[] => {
    const x = Float32Array.from(scaler.transformFeature(applyTransform(p.transform, history.subarray(history.length - L)), 0));
    return Array.from(p.toUnits(model.predict(new Tensor(x, [1, L, 1])).data));
  };
  const run = rollingOrigin(series.values, forecastFrom, { horizon: H, testSize: series.values.length - trainEnd });
  // The three simple baselines: the statistical ones are the forecaster's (scoreBacktest's default).
  return scoreBacktest(series.values, run, H, season, { statistical: false }).metrics;
}

export async function loadRun(runDir: string, csvOverride?: string): Promise<{ run: RunFile; model: Sequential; prepared: Prepared }> {
  const run = readRun(runDir);
  const fs = fileSystem("run");
  const model = await loadSequential(fs.join(runDir, "model"));
  const csv = csvOverride ? fs.resolve(csvOverride) : run.csv;
  const prepared = prepare(run.config, csv, run.scaler, csvOverride ? undefined : { trainEnd: run.trainEnd, testSize: run.testSize }, run.transform);
  return { run, model, prepared };
}

export async function evaluateRun(runDir: string): Promise<Record<string, Metrics>> {
  const { model, prepared } = await loadRun(runDir);
  return evaluatePrepared(model, prepared);
}

/** The next H values past the end of the data, with their dates. */
export async function predictRun(runDir: string, csv?: string): Promise<{ date: string; value: number }[]> {
  const { model, prepared: p } = await loadRun(runDir, csv);
  const n = p.scaled.length;
  const x = new Tensor(Float32Array.from(p.scaled.subarray(n - p.L)), [1, p.L, 1]);
  const yhat = p.toUnits(model.predict(x).data);
  const last = p.series.dates[n - 1]!;
  return Array.from(yhat, (v, h) => ({ date: formatDate(addPeriods(last, p.series.freq, h + 1), p.series.freq), value: v }));
}

/** The model of a run directory, or the model a config file describes (built, untrained). */
export async function summaryOf(what: string): Promise<string> {
  const fs = fileSystem("summary");
  if (fs.exists(fs.join(what, "run.json")) || fs.exists(fs.join(what, "model.json"))) {
    const dir = fs.exists(fs.join(what, "model.json")) ? what : fs.join(what, "model");
    return (await loadModel(dir)).summary();
  }
  const cfg = readRunConfig(what);
  return buildModel(cfg, cfg.data.lookback).summary();
}
