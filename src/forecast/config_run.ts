// Runs described by a config file (`recurrent train | evaluate | predict | summary`): the user's own
// layers on windows of one series, a scaler fitted on the training span, test metrics in the data's
// units beside the naive baselines at the same origins, and a run directory that can be reloaded.

import { existsSync, readFileSync, mkdirSync, writeFileSync, renameSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { ConfigError, DataError, ShapeError, fmtShape } from "../tensor/errors.js";
import { Tensor } from "../tensor/tensor.js";
import { sequential, type Sequential } from "../models/sequential.js";
import { loadModel } from "../io/save.js";
import { earlyStopping } from "../models/callbacks.js";
import * as layers from "../layers/index.js";
import type { Layer } from "../layers/index.js";
import type { OptimizerConfig } from "../optim/optimizers.js";
import type { LossName, LossSpec } from "../kernels/losses.js";
import {
  MinMaxScaler, StandardScaler, scalerFromJSON, makeWindows, seasonLength, addPeriods, formatDate,
  type Scaler, type Frequency,
} from "../data/index.js";
import { loadSeries, bundledDataPath, type LoadedSeries, type LoadSeriesOptions } from "./series.js";
import { naive, seasonalNaive, drift } from "./baselines.js";
import { maseScale, scoreAll, type Metrics } from "./metrics.js";

export interface LayerSpec {
  /** input | lstm | gru | simpleRnn | dense | dropout | repeatVector | timeDistributed | bidirectional | embedding | flatten */
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
  };
  model: { seed?: number; layers: LayerSpec[] };
  compile?: { optimizer?: OptimizerConfig; loss?: LossName | LossSpec; metrics?: string[] };
  fit?: { epochs?: number; batchSize?: number; validationSplit?: number; patience?: number; shuffle?: boolean };
}

const FACTORIES: Record<string, (args: Record<string, unknown>) => Layer> = {
  input: (a) => layers.input(a as never),
  lstm: (a) => layers.lstm(a as never),
  gru: (a) => layers.gru(a as never),
  simpleRnn: (a) => layers.simpleRnn(a as never),
  dense: (a) => layers.dense(a as never),
  dropout: (a) => layers.dropout(a as never),
  repeatVector: (a) => layers.repeatVector(a as never),
  embedding: (a) => layers.embedding(a as never),
  flatten: (a) => layers.flatten(a as never),
};

/** Build a layer from its spec; names the position of a bad spec. */
export function layerFromSpec(spec: LayerSpec, where: string): Layer {
  if (!spec || typeof spec.type !== "string") throw new ConfigError(`${where}: each layer needs a "type"`);
  const { type, layer, ...args } = spec;
  if (type === "timeDistributed" || type === "bidirectional") {
    if (!layer) throw new ConfigError(`${where}: ${type} needs a "layer" to wrap`);
    const inner = layerFromSpec(layer, `${where}.layer`);
    return type === "timeDistributed" ? layers.timeDistributed(inner, args) : layers.bidirectional(inner, args);
  }
  const f = FACTORIES[type];
  if (!f) throw new ConfigError(`${where}: unknown layer type "${type}"; choose one of ${[...Object.keys(FACTORIES), "timeDistributed", "bidirectional"].join(", ")}`);
  return f(args);
}

export function readRunConfig(path: string): RunConfig {
  let cfg: RunConfig;
  try {
    cfg = JSON.parse(readFileSync(path, "utf8")) as RunConfig;
  } catch (e) {
    throw new ConfigError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  if (!cfg.data || typeof cfg.data.csv !== "string") throw new ConfigError(`${path}: "data.csv" is required`);
  if (!Number.isInteger(cfg.data.lookback) || cfg.data.lookback <= 0) throw new ConfigError(`${path}: "data.lookback" must be a positive integer`);
  if (!cfg.model || !Array.isArray(cfg.model.layers) || cfg.model.layers.length === 0) throw new ConfigError(`${path}: "model.layers" must list at least one layer`);
  return cfg;
}

export interface RunFile {
  format: "recurrent-run";
  version: 1;
  config: RunConfig;
  /** The CSV actually read (absolute). */
  csv: string;
  scaler: unknown;
  n: number;
  trainEnd: number;
  testSize: number;
  freq: Frequency;
  season: number;
  lastDate: string;
  history: Record<string, number[]>;
}

/** `vega-datasets:weather.csv` names a bundled file; other paths are relative to the config file. */
export function resolveCsv(csv: string, baseDir: string): string {
  if (csv.startsWith("vega-datasets:")) return bundledDataPath(csv.slice("vega-datasets:".length));
  return isAbsolute(csv) ? csv : resolve(baseDir, csv);
}

interface Prepared {
  series: LoadedSeries;
  scaled: Float64Array;
  scaler: Scaler;
  L: number;
  H: number;
  trainEnd: number;
  testSize: number;
  season: number;
}

function prepare(cfg: RunConfig, csv: string, scalerJson?: unknown, split?: { trainEnd: number; testSize: number }): Prepared {
  const series = loadSeries(csv, cfg.data);
  const n = series.values.length;
  const L = cfg.data.lookback;
  const H = cfg.data.horizon ?? 1;
  const testSize = split?.testSize ?? cfg.data.testSize ?? Math.max(H, Math.round(0.2 * n));
  const trainEnd = split ? split.trainEnd : n - testSize; // rows [0, trainEnd) train
  if (trainEnd < L + H + 1) {
    throw new DataError(`${series.source}: ${n} points leave ${trainEnd} for training, but lookback ${L} + horizon ${H} needs at least ${L + H + 1}; shorten lookback or testSize`);
  }
  if (testSize < H) throw new ConfigError(`testSize ${testSize} is shorter than the horizon ${H}`);
  let scaler: Scaler;
  if (scalerJson) scaler = scalerFromJSON(scalerJson);
  else {
    scaler = cfg.data.scaler === "standard" ? new StandardScaler() : new MinMaxScaler();
    scaler.fit(series.values.subarray(0, trainEnd));
  }
  const scaled = scaler.transformFeature(series.values, 0);
  return { series, scaled, scaler, L, H, trainEnd, testSize, season: seasonLength(series.freq) };
}

function buildModel(cfg: RunConfig, L: number): Sequential {
  const specs = cfg.model.layers;
  const ls = specs.map((s, k) => layerFromSpec(s, `model.layers[${k}]`));
  if (specs[0]!.type !== "input") ls.unshift(layers.input({ shape: [L, 1] }));
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

export async function trainRun(configPath: string, outDir: string, opts: { verbose: 0 | 1 | 2 }): Promise<{ metrics: Record<string, Metrics>; run: RunFile }> {
  const cfg = JSON.parse(readFileSync(configPath, "utf8")) as RunConfig;
  const csv = resolveCsv(cfg.data.csv, dirname(resolve(configPath)));
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
    validationSplit: f.validationSplit ?? 0.1,
    shuffle: f.shuffle ?? true,
    verbose: opts.verbose,
    callbacks: [earlyStopping({ monitor: "val_loss", patience: f.patience ?? 10, restoreBestWeights: true })],
  });
  mkdirSync(outDir, { recursive: true });
  await model.save(join(outDir, "model"));
  const run: RunFile = {
    format: "recurrent-run", version: 1, config: cfg, csv,
    scaler: p.scaler.toJSON(), n: p.series.values.length, trainEnd: p.trainEnd, testSize: p.testSize,
    freq: p.series.freq, season: p.season,
    lastDate: formatDate(p.series.dates[p.series.dates.length - 1]!, p.series.freq),
    history: history.history,
  };
  const tmp = join(outDir, `run.json.tmp-${process.pid}`);
  writeFileSync(tmp, JSON.stringify(run, null, 2) + "\n");
  renameSync(tmp, join(outDir, "run.json"));
  return { metrics: evaluatePrepared(model, p), run };
}

function readRun(runDir: string): RunFile {
  const path = join(runDir, "run.json");
  if (!existsSync(path)) throw new ConfigError(`${runDir} is not a run directory: no run.json (create one with \`recurrent train <config> --out ${runDir}\`)`);
  const run = JSON.parse(readFileSync(path, "utf8")) as RunFile;
  if (run.format !== "recurrent-run" || run.version !== 1) throw new ConfigError(`${path}: unknown run format ${String(run.format)} v${String(run.version)}`);
  return run;
}

/** Model forecasts from every test origin (last training point … n−1−H), in the data's units, beside the baselines. */
function evaluatePrepared(model: Sequential, p: Prepared): Record<string, Metrics> {
  const { series, scaled, L, H, trainEnd, season } = p;
  const n = scaled.length;
  const values = series.values;
  const all = makeWindows(scaled, { lookback: L, horizon: H });
  const idx = all.origins.map((o, k) => [o, k] as const).filter(([o]) => o >= trainEnd - 1 && o + H <= n - 1);
  if (idx.length === 0) throw new DataError(`no test origins: the test span of ${p.testSize} points is shorter than the horizon ${H}`);
  const X = new Float32Array(idx.length * L);
  idx.forEach(([, k], i) => X.set(all.X.subarray(k * L, (k + 1) * L), i * L));
  const pred = model.predict(new Tensor(X, [idx.length, L, 1]));
  const actual: number[] = [];
  const out: Record<string, number[]> = { model: [], naive: [], seasonalNaive: [], drift: [] };
  idx.forEach(([o], i) => {
    const hist = values.subarray(0, o + 1);
    const yhat = p.scaler.inverseTransformFeature(pred.data.subarray(i * H, (i + 1) * H), 0);
    for (let h = 0; h < H; h++) actual.push(values[o + 1 + h]!);
    out.model!.push(...yhat);
    out.naive!.push(...naive(hist, H));
    out.seasonalNaive!.push(...seasonalNaive(hist, H, season));
    out.drift!.push(...drift(hist, H));
  });
  const scale = maseScale(values.subarray(0, trainEnd), season);
  const res: Record<string, Metrics> = {};
  for (const [k, v] of Object.entries(out)) res[k] = scoreAll(actual, v, scale);
  return res;
}

export async function loadRun(runDir: string, csvOverride?: string): Promise<{ run: RunFile; model: Sequential; prepared: Prepared }> {
  const run = readRun(runDir);
  const model = await loadModel(join(runDir, "model"));
  const csv = csvOverride ? resolve(csvOverride) : run.csv;
  const prepared = prepare(run.config, csv, run.scaler, csvOverride ? undefined : { trainEnd: run.trainEnd, testSize: run.testSize });
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
  const yhat = p.scaler.inverseTransformFeature(model.predict(x).data, 0);
  const last = p.series.dates[n - 1]!;
  return Array.from(yhat, (v, h) => ({ date: formatDate(addPeriods(last, p.series.freq, h + 1), p.series.freq), value: v }));
}

/** The model of a run directory, or the model a config file describes (built, untrained). */
export async function summaryOf(what: string): Promise<string> {
  if (existsSync(join(what, "run.json")) || existsSync(join(what, "model.json"))) {
    const dir = existsSync(join(what, "model.json")) ? what : join(what, "model");
    return (await loadModel(dir)).summary();
  }
  const cfg = JSON.parse(readFileSync(what, "utf8")) as RunConfig;
  return buildModel(cfg, cfg.data.lookback).summary();
}
