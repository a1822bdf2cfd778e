// The stacked LSTM sine regressor: learn the next value of a noisy sine from the last 50, then
// forecast 100 steps recursively (each prediction fed back as input) against the true continuation.
// Run: npx tsx examples/sine.ts [--epochs N] [--quick] [--out DIR] [--seed N] [--verbose 0|1|2]

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  sequential, layers, callbacks, Tensor, Rng, plotHistory, plotPredictions, plotScatter, type Sequential,
} from "../src/index.js";
import { makeWindows } from "../src/data/index.js";
import { rmse } from "../src/forecast/metrics.js";
import { isMain, mean, parseExampleArgs, runCli, table, gatesPlot, writePlots, type Log } from "./common.js";

/** The series: sin(step·t) plus Gaussian noise; `clean` is the same without noise. */
export function sineSeries(length: number, opts: { step?: number; noise?: number; seed?: number } = {}): {
  observed: Float64Array;
  clean: Float64Array;
} {
  // step 0.2 rad gives a period of ~31 steps, so a 50-step lookback sees more than one cycle
  // and "tomorrow = today" is a poor forecast (its MSE is ~0.025, ten times the noise).
  const step = opts.step ?? 0.2;
  const noise = opts.noise ?? 0.05;
  const rng = new Rng(opts.seed ?? 1);
  const clean = Float64Array.from({ length }, (_, t) => Math.sin(step * t));
  const observed = clean.map((v) => v + noise * rng.normal());
  return { observed, clean };
}

export interface SineModelOptions {
  lookback: number;
  units: [number, number];
  denseUnits: number;
  seed: number;
}

/** LSTM(u1, returnSequences) → Dropout 0.2 → LSTM(u2) → Dropout 0.2 → Dense(d, relu) → Dense(1). */
export function buildSineModel(o: SineModelOptions): Sequential {
  return sequential([
    layers.input({ shape: [o.lookback, 1] }),
    layers.lstm({ units: o.units[0], returnSequences: true }),
    layers.dropout({ rate: 0.2 }),
    layers.lstm({ units: o.units[1] }),
    layers.dropout({ rate: 0.2 }),
    layers.dense({ units: o.denseUnits, activation: "relu" }),
    layers.dense({ units: 1 }),
  ], { seed: o.seed, name: "sine_regressor" });
}

/** Feeds each one-step prediction back in as the newest input, `steps` times. */
export function recursiveForecast(model: Sequential, history: ArrayLike<number>, lookback: number, steps: number): Float64Array {
  const start = history.length - lookback;
  const window = Float32Array.from({ length: lookback }, (_, t) => history[start + t]!); // [L]
  const out = new Float64Array(steps);
  for (let h = 0; h < steps; h++) {
    const next = model.predict(new Tensor(window, [1, lookback, 1])).data[0]!;
    out[h] = next;
    window.copyWithin(0, 1);
    window[lookback - 1] = next;
  }
  return out;
}

export interface SineResult {
  valMse: number;
  meanBaselineMse: number;
  persistenceMse: number;
  forecastRmse: number;
  forecastRmseClean: number;
  lastValueRmse: number;
  epochsRun: number;
  seconds: number;
}

export async function main(argv: string[] = [], log: Log = console.log): Promise<SineResult> {
  const args = parseExampleArgs(argv, "sine");
  const t0 = performance.now();
  const lookback = 50;
  // Quick mode keeps the architecture and shrinks only the data and the epochs.
  const windows = args.quick ? 120 : 1000;
  const horizon = args.quick ? 20 : 100;
  const epochs = args.epochs ?? (args.quick ? 1 : 12);

  const known = windows + lookback; // values the model may see; the next `horizon` are the truth to forecast
  const { observed, clean } = sineSeries(known + horizon, { seed: args.seed });
  const w = makeWindows(observed.subarray(0, known), { lookback, horizon: 1 });
  const N = w.xShape[0];
  const x = new Tensor(w.X, [N, lookback, 1]); // [N, L, 1]
  const y = new Tensor(w.Y, [N, 1]); // [N, 1]
  const split = Math.floor(N * 0.8); // fit()'s validationSplit 0.2 holds out these last windows

  const model = buildSineModel({ lookback, units: [128, 64], denseUnits: 32, seed: args.seed });
  model.compile({ optimizer: { type: "adam", learningRate: 2e-3, clipNorm: 1 }, loss: "mse", metrics: ["mae"] });
  log(model.summary());
  log(`\n${N} windows of ${lookback} steps (${split} train, ${N - split} validation); ${epochs} epoch${epochs === 1 ? "" : "s"}${args.quick ? " (quick mode)" : ""}`);

  const history = await model.fit(x, y, {
    epochs,
    batchSize: 32,
    validationSplit: 0.2,
    callbacks: [callbacks.earlyStopping({ monitor: "val_loss", patience: 4, restoreBestWeights: true })],
    verbose: args.verbose,
  });

  const xVal = x.slice0(split, N);
  const yVal = y.slice0(split, N);
  const valMse = model.evaluate(xVal, yVal).loss;
  const valPred = model.predict(xVal).data;
  // Baselines on the same validation windows: the training mean, and "next = last input".
  const trainMean = mean(w.Y.subarray(0, split));
  let meanSq = 0, persistSq = 0;
  for (let i = split; i < N; i++) {
    meanSq += (w.Y[i]! - trainMean) ** 2;
    persistSq += (w.Y[i]! - w.X[i * lookback + lookback - 1]!) ** 2;
  }
  const meanBaselineMse = meanSq / (N - split);
  const persistenceMse = persistSq / (N - split);

  const forecast = recursiveForecast(model, observed.subarray(0, known), lookback, horizon);
  const truth = observed.subarray(known, known + horizon);
  const truthClean = clean.subarray(known, known + horizon);
  const lastValue = new Float64Array(horizon).fill(observed[known - 1]!);
  const result: SineResult = {
    valMse,
    meanBaselineMse,
    persistenceMse,
    forecastRmse: rmse(truth, forecast),
    forecastRmseClean: rmse(truthClean, forecast),
    lastValueRmse: rmse(truth, lastValue),
    epochsRun: history.epoch.length,
    seconds: (performance.now() - t0) / 1000,
  };

  log(`\nvalidation MSE (one step ahead): ${valMse.toFixed(5)}`);
  log(`  predict the training mean:     ${meanBaselineMse.toFixed(5)}`);
  log(`  next = last input:             ${persistenceMse.toFixed(5)}`);
  log(`  noise variance (the floor):    ${(0.05 ** 2).toFixed(5)}`);
  log(`\nrecursive ${horizon}-step forecast from the end of the known series:`);
  const every = Math.max(1, Math.floor(horizon / 10));
  const rows: (string | number)[][] = [];
  for (let h = every - 1; h < horizon; h += every) rows.push([String(h + 1), truth[h]!, truthClean[h]!, forecast[h]!]);
  log(table(["step", "observed", "clean sine", "forecast"], rows));
  for (const k of [10, 50, horizon].filter((k, i, a) => k <= horizon && a.indexOf(k) === i)) {
    log(`RMSE over steps 1-${k}: ${rmse(truth.subarray(0, k), forecast.subarray(0, k)).toFixed(4)} vs observed, ` +
      `${rmse(truthClean.subarray(0, k), forecast.subarray(0, k)).toFixed(4)} vs clean sine`);
  }
  log(`repeating the last value instead: RMSE ${result.lastValueRmse.toFixed(4)} over ${horizon} steps`);

  await mkdir(args.out, { recursive: true });
  await model.save(join(args.out, "model"), { overwrite: true });
  const csv = ["step,observed,clean,forecast", ...Array.from(forecast, (f, h) => `${h + 1},${truth[h]},${truthClean[h]},${f}`)];
  await writeFile(join(args.out, "forecast.csv"), csv.join("\n") + "\n");
  log(`\nmodel and forecast.csv written to ${args.out}`);
  const firstLstm = model.layers.find((l) => l instanceof layers.LSTM)!;
  await writePlots(args.out, {
    history: plotHistory(history),
    predictions: plotPredictions(
      { actual: [...truth], predicted: [...forecast], baselines: { "clean sine": [...truthClean] }, labels: ["observed", "forecast"] },
      { title: `Recursive ${horizon}-step forecast` },
    ),
    scatter: plotScatter({ actual: [...yVal.data], predicted: [...valPred] }, { title: "One step ahead, validation windows" }),
    gates: gatesPlot(model.inspect(firstLstm.name, xVal.slice0(0, 1)), `${firstLstm.name} on the first validation window`),
  }, "predictions", log);
  return result;
}

if (isMain(import.meta.url)) runCli(main);
