// Next-day S&P 500 "High" from the previous 60 days with four stacked LSTM(50) layers, trained on
// 2000–2016 and tested on 2017 to the end of the file (2020-04-17), beside "tomorrow = today".
// Run: npx tsx examples/sp500.ts [--epochs N] [--quick] [--out DIR] [--seed N] [--verbose 0|1|2]

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sequential, layers, callbacks, Tensor, plotHistory, plotPredictions, plotScatter } from "../src/index.js";
import {
  MinMaxScaler, formatDate, makeTimestamp, makeWindows, readCsv, sliceWindows, toTimeSeries,
} from "../src/data/index.js";
import { mae, rmse } from "../src/forecast/metrics.js";
import { isMain, parseExampleArgs, runCli, table, gatesPlot, writePlots, type Log } from "./common.js";

const CSV = fileURLToPath(new URL("../data/sp500-2000.csv", import.meta.url));
const LOOKBACK = 60;
const TEST_FROM = makeTimestamp({ year: 2017, month: 1, day: 1 });

export interface Sp500Result {
  trainWindows: number;
  testWindows: number;
  testFrom: string;
  testTo: string;
  rmse: number;
  naiveRmse: number;
  mae: number;
  naiveMae: number;
  epochsRun: number;
  seconds: number;
}

export async function main(argv: string[] = [], log: Log = console.log): Promise<Sp500Result> {
  const args = parseExampleArgs(argv, "sp500");
  const t0 = performance.now();
  const epochs = args.epochs ?? (args.quick ? 1 : 6);

  const series = toTimeSeries(readCsv(CSV), { date: "date", values: ["high"] });
  const high = series.values[0]!; // index points, one row per trading day
  const dates = series.dates;
  log(`${series.source}: ${dates.length} trading days, ${formatDate(dates[0]!)} to ${formatDate(dates[dates.length - 1]!)}`);
  let firstTest = dates.findIndex((d) => d >= TEST_FROM); // first row of the test span
  if (firstTest < 0) {
    // An older copy of the file may end before 2017: hold out its last 20 % instead, and say so.
    firstTest = Math.floor(dates.length * 0.8);
    log("the file ends before 2017: testing on its last 20 % instead of 2017 onwards");
  }
  if (firstTest < LOOKBACK + 1) throw new Error(`${CSV}: too few rows before the test span for ${LOOKBACK}-day windows`);
  log(`train: ${formatDate(dates[0]!)} to ${formatDate(dates[firstTest - 1]!)} (${firstTest} days); ` +
    `test: targets from ${formatDate(dates[firstTest]!)} (${dates.length - firstTest} days)`);

  // The scaler sees the training span only; the test span runs above the 2016 maximum, so its
  // scaled values exceed 1 and the model has to extrapolate (printed below, it matters).
  const scaler = new MinMaxScaler().fit(high.subarray(0, firstTest));
  const scaled = scaler.transform(high);
  const all = makeWindows(scaled, { lookback: LOOKBACK, horizon: 1 });
  // Window w predicts row origins[w] + 1: train on targets before 2017, test on the rest
  // (a test window's inputs may reach back into 2016, which is the past, so that is fair).
  const nTrainAll = all.origins.findIndex((o) => o + 1 >= firstTest);
  let train = sliceWindows(all, 0, nTrainAll);
  let test = sliceWindows(all, nTrainAll, all.origins.length);
  if (args.quick) {
    // Smoke run: the last 128 training windows and the first 30 test windows.
    train = sliceWindows(train, train.origins.length - 128, train.origins.length);
    test = sliceWindows(test, 0, 30);
  }
  let maxScaled = -Infinity;
  for (const v of test.Y) maxScaled = Math.max(maxScaled, v);

  const model = sequential([
    layers.input({ shape: [LOOKBACK, 1] }),
    layers.lstm({ units: 50, returnSequences: true }),
    layers.dropout({ rate: 0.2 }),
    layers.lstm({ units: 50, returnSequences: true }),
    layers.dropout({ rate: 0.2 }),
    layers.lstm({ units: 50, returnSequences: true }),
    layers.dropout({ rate: 0.2 }),
    layers.lstm({ units: 50 }),
    layers.dropout({ rate: 0.2 }),
    layers.dense({ units: 1 }),
  ], { seed: args.seed, name: "sp500_lstm" });
  model.compile({ optimizer: { type: "adam", learningRate: 1e-3, clipNorm: 1 }, loss: "mse" });
  log("\n" + model.summary());
  const nTrain = train.origins.length;
  const nTest = test.origins.length;
  log(`\n${nTrain} training windows (the last 10% validate for early stopping), ${nTest} test windows; ` +
    `${epochs} epoch${epochs === 1 ? "" : "s"}${args.quick ? " (quick mode)" : ""}`);
  log(`largest scaled test target: ${maxScaled.toFixed(3)} (training span maps to [0, 1])`);

  const history = await model.fit(new Tensor(train.X, [nTrain, LOOKBACK, 1]), new Tensor(train.Y, [nTrain, 1]), {
    epochs,
    batchSize: 32,
    validationSplit: 0.1,
    callbacks: [callbacks.earlyStopping({ monitor: "val_loss", patience: 3, restoreBestWeights: true })],
    verbose: args.verbose,
  });

  const xTest = new Tensor(test.X, [nTest, LOOKBACK, 1]);
  const pred = scaler.inverseTransform(model.predict(xTest).data);
  const actual = test.origins.map((o) => high[o + 1]!);
  const naive = test.origins.map((o) => high[o]!); // tomorrow's High = today's High
  const result: Sp500Result = {
    trainWindows: nTrain,
    testWindows: nTest,
    testFrom: formatDate(dates[test.origins[0]! + 1]!),
    testTo: formatDate(dates[test.origins[nTest - 1]! + 1]!),
    rmse: rmse(actual, pred),
    naiveRmse: rmse(actual, naive),
    mae: mae(actual, pred),
    naiveMae: mae(actual, naive),
    epochsRun: history.epoch.length,
    seconds: (performance.now() - t0) / 1000,
  };

  log(`\ntest ${result.testFrom} to ${result.testTo}, ${nTest} days, in index points:`);
  log(table(["forecast", "RMSE", "MAE"], [
    ["LSTM", result.rmse, result.mae],
    ["tomorrow = today", result.naiveRmse, result.naiveMae],
  ]));
  const every = Math.max(1, Math.floor(nTest / 8));
  const rows: (string | number)[][] = [];
  for (let i = 0; i < nTest; i += every) rows.push([formatDate(dates[test.origins[i]! + 1]!), actual[i]!, pred[i]!, naive[i]!]);
  log("\n" + table(["date", "actual", "LSTM", "naive"], rows));
  if (result.rmse > result.naiveRmse) {
    log("\nThe naive forecast wins: daily index levels are close to a random walk, and the test years lie above " +
      "the training range the scaler was fitted on.");
  }

  await mkdir(args.out, { recursive: true });
  const csv = ["date,actual,lstm,naive", ...actual.map((a, i) => `${formatDate(dates[test.origins[i]! + 1]!)},${a},${pred[i]},${naive[i]}`)];
  await writeFile(join(args.out, "predictions.csv"), csv.join("\n") + "\n");
  log(`\npredictions.csv written to ${args.out}`);
  const firstLstm = model.layers.find((l) => l instanceof layers.LSTM)!;
  const span = `${result.testFrom} to ${result.testTo}`;
  await writePlots(args.out, {
    history: plotHistory(history),
    predictions: plotPredictions(
      { actual, predicted: [...pred], baselines: { "tomorrow = today": naive }, labels: ["actual", "LSTM"] },
      { title: `Next-day High, test days ${span}` },
    ),
    scatter: plotScatter({ actual, predicted: [...pred] }, { title: `LSTM vs actual High, ${span}` }),
    gates: gatesPlot(model.inspect(firstLstm.name, xTest.slice0(0, 1)), `${firstLstm.name} on the first test window`),
  }, "predictions", log);
  return result;
}

if (isMain(import.meta.url)) runCli(main);
