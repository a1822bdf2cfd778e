// LSTM vs GRU vs SimpleRNN on one real task: 13 weeks of Seattle temperatures ahead from the last
// 52 (the bundled weather data, the daily median of the high and the low averaged by week). Each
// cell gets the same network around it (input [52, 1] → cell(units) → Dense(13)), the same seed,
// optimizer, epochs and batches; each is scored from every origin of the last year beside the naive
// and seasonal-naive forecasts. One table: parameters (with Keras's formula for each cell), training
// time and the errors in °F, also written to compare.csv under --out.
// Run: npx tsx examples/compare_cells.ts [--epochs N] [--units N] [--quick] [--out DIR] [--seed N] [--verbose 0|1|2]

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sequential, layers, Tensor, loadSeries, forecasting, type Sequential } from "../src/index.js";
import { MinMaxScaler, makeWindows } from "../src/data/index.js";
import { isMain, parseExampleArgs, positiveInt, runCli, table, type Log } from "./common.js";

/** The cells compared, as `layers.*` factories. */
export const CELLS = ["lstm", "gru", "simpleRnn"] as const;
export type Cell = (typeof CELLS)[number];

/**
 * Parameters of one recurrent layer by Keras's formulas, for input width I and H units: LSTM
 * 4(H(I+H)+H); GRU with resetAfter (Keras's default: two bias vectors) 3(H(I+H)+2H); SimpleRNN H(I+H)+H.
 */
export function kerasParams(cell: Cell, I: number, H: number): number {
  switch (cell) {
    case "lstm": return 4 * (H * (I + H) + H);
    case "gru": return 3 * (H * (I + H) + 2 * H);
    case "simpleRnn": return H * (I + H) + H;
  }
}

/** One row of the table. */
export interface CompareRow {
  method: string;
  /** Parameters of the recurrent layer as built, and by Keras's formula (null for baselines). */
  recurrentParams: number | null;
  formula: number | null;
  totalParams: number | null;
  seconds: number | null;
  mae: number;
  rmse: number;
}

export interface CompareResult {
  rows: CompareRow[];
  lookback: number;
  horizon: number;
  units: number;
  epochs: number;
  origins: number;
}

const LABEL: Record<Cell, string> = { lstm: "LSTM", gru: "GRU", simpleRnn: "SimpleRNN" };

function build(cell: Cell, lookback: number, units: number, horizon: number, seed: number): Sequential {
  const rec = cell === "lstm" ? layers.lstm({ units }) : cell === "gru" ? layers.gru({ units }) : layers.simpleRnn({ units });
  const model = sequential([layers.input({ shape: [lookback, 1] }), rec, layers.dense({ units: horizon })], { seed, name: cell, threads: 1 });
  model.compile({ optimizer: { type: "adam", learningRate: 3e-3, clipNorm: 1 }, loss: "mse" });
  return model;
}

export async function main(argv: string[] = [], log: Log = console.log): Promise<CompareResult> {
  const args = parseExampleArgs(argv, "compare_cells", ["units"]);
  const units = args.extra.units === undefined ? 32 : positiveInt(args.extra.units, "--units");
  const epochs = args.epochs ?? (args.quick ? 2 : 120);
  const lookback = 52, horizon = 13, testSize = 52;

  const series = loadSeries(forecasting.bundledDataPath("weather.csv"), {
    where: ["location=Seattle"], target: "median(temp_max,temp_min)", freq: "week",
  });
  const values = series.values;
  const n = values.length;
  const trainEnd = n - testSize;
  const scaler = new MinMaxScaler();
  scaler.fit(values.subarray(0, trainEnd));
  const scaled = scaler.transformFeature(values, 0);
  const w = makeWindows(scaled.subarray(0, trainEnd), { lookback, horizon });
  const N = w.origins.length;
  const x = new Tensor(w.X, w.xShape);
  const y = new Tensor(w.Y, [N, horizon]);
  log(`Seattle, weekly mean of the daily median temperature (°F): ${n} weeks; ${horizon} weeks ahead from the last ${lookback}; ` +
    `the last ${testSize} weeks held out. Each cell: input [${lookback}, 1] → ${units} units → Dense(${horizon}), Adam 3e-3, ${epochs} epochs of batches of 16 on ${N} windows, seed ${args.seed}.`);

  const rows: CompareRow[] = [];
  let origins = 0;
  for (const cell of CELLS) {
    const model = build(cell, lookback, units, horizon, args.seed);
    const t0 = performance.now();
    await model.fit(x, y, { epochs, batchSize: 16, shuffle: true, verbose: args.verbose });
    const seconds = (performance.now() - t0) / 1000;
    const run = forecasting.rollingOrigin(values, (history) => {
      const input = Float32Array.from(scaler.transformFeature(history.subarray(history.length - lookback), 0));
      return Array.from(scaler.inverseTransformFeature(model.predict(new Tensor(input, [1, lookback, 1])).data, 0));
    }, { horizon, testSize });
    const scores = forecasting.scoreBacktest(values, run, horizon, 52, { statistical: false });
    origins = run.origins.length;
    if (rows.length === 0) {
      for (const [key, method] of [["naive", "naive (last week)"], ["seasonalNaive", "seasonal naive (a year ago)"]] as const) {
        rows.push({ method, recurrentParams: null, formula: null, totalParams: null, seconds: null, mae: scores.metrics[key].mae, rmse: scores.metrics[key].rmse });
      }
    }
    rows.splice(rows.length - 2, 0, {
      method: LABEL[cell],
      recurrentParams: model.layers[model.layers.length - 2]!.countParams(),
      formula: kerasParams(cell, 1, units),
      totalParams: model.countParams(),
      seconds,
      mae: scores.metrics.model.mae,
      rmse: scores.metrics.model.rmse,
    });
    model.dispose();
  }
  const dash = "–";
  log("\n" + table(
    ["method", "recurrent params", "Keras formula", "total params", "train s", "test MAE °F", "test RMSE °F"],
    rows.map((r) => [
      r.method,
      r.recurrentParams === null ? dash : r.recurrentParams.toLocaleString("en-US"),
      r.formula === null ? dash : `${r.formula.toLocaleString("en-US")} ${r.formula === r.recurrentParams ? "(=)" : "(differs!)"}`,
      r.totalParams === null ? dash : r.totalParams.toLocaleString("en-US"),
      r.seconds === null ? dash : r.seconds.toFixed(1),
      r.mae, r.rmse,
    ]),
  ));
  log(`\nErrors over ${origins} origins × ${horizon} steps of the held-out year. Keras's formulas with input width 1 and ${units} units: ` +
    `LSTM 4(H(I+H)+H), GRU (resetAfter) 3(H(I+H)+2H), SimpleRNN H(I+H)+H.`);
  await mkdir(args.out, { recursive: true });
  const csv = ["method,recurrent_params,keras_formula,total_params,train_seconds,test_mae,test_rmse",
    ...rows.map((r) => [r.method, r.recurrentParams ?? "", r.formula ?? "", r.totalParams ?? "", r.seconds?.toFixed(2) ?? "", r.mae.toFixed(4), r.rmse.toFixed(4)].join(","))];
  await writeFile(join(args.out, "compare.csv"), csv.join("\n") + "\n");
  log(`table written: ${join(args.out, "compare.csv")}`);
  return { rows, lookback, horizon, units, epochs, origins };
}

if (isMain(import.meta.url)) runCli(main);
