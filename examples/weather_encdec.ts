// The bidirectional LSTM encoder–decoder: 18 weeks of mean daily temperature in, the next 18
// weeks out, on the Seattle (or New York) daily weather of 2012–2015 resampled to weekly means,
// scored against the seasonal-naive (same week last year) and naive (repeat the last week) forecasts.
// Run: npx tsx examples/weather_encdec.ts [--location "New York"] [--epochs N] [--quick] [--out DIR] [--seed N] [--verbose 0|1|2]

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sequential, layers, callbacks, Tensor, plotHistory, plotPredictions } from "../src/index.js";
import {
  MinMaxScaler, derive, filterRows, formatDate, makeWindows, readCsv, resample, sliceWindows, toTimeSeries,
} from "../src/data/index.js";
import { rmse } from "../src/forecast/metrics.js";
import { isMain, parseExampleArgs, runCli, table, gatesPlot, writePlots, type Log } from "./common.js";

const CSV = fileURLToPath(new URL("../data/weather.csv", import.meta.url));
const STEPS = 18; // weeks in and weeks out
const SEASON = 52; // weeks in a year, for the seasonal-naive baseline
const TEST_WEEKS = 70; // the last 70 weeks hold the test targets: 53 windows whose 18 targets all lie there

export interface WeeklySeries {
  /** Monday of each week. */
  dates: number[];
  /** Mean over the week of the daily (temp_max + temp_min) / 2, °C. */
  values: Float64Array;
}

/** One location's daily mid-range temperature, resampled to weekly means, partial end weeks dropped. */
export function weeklyTemperature(location: string): WeeklySeries {
  const daily = derive(filterRows(readCsv(CSV), `location=${location}`), "temp_mid", ["temp_max", "temp_min"], "median");
  const ts = toTimeSeries(daily, { date: "date", values: ["temp_mid"] });
  const weekly = resample(ts.dates, ts.values[0]!, { freq: "week", agg: "mean" });
  // 2012-01-01 is a Sunday and 2015-12-31 a Thursday: the first and last weeks hold 1 and 4 days,
  // and a mean of fewer days would be a different (noisier) quantity than the rest of the series.
  let lo = 0;
  let hi = weekly.dates.length;
  while (lo < hi && weekly.counts[lo]! < 7) lo++;
  while (hi > lo && weekly.counts[hi - 1]! < 7) hi--;
  const values = weekly.values.slice(lo, hi);
  if (values.some(Number.isNaN)) throw new Error(`${location}: a week without observations inside the series`);
  return { dates: weekly.dates.slice(lo, hi), values };
}

export interface WeatherResult {
  location: string;
  weeks: number;
  trainWindows: number;
  testWindows: number;
  rmse: number;
  seasonalNaiveRmse: number;
  naiveRmse: number;
  epochsRun: number;
  seconds: number;
}

export async function main(argv: string[] = [], log: Log = console.log): Promise<WeatherResult> {
  const args = parseExampleArgs(argv, "weather_encdec", ["location"]);
  const t0 = performance.now();
  const location = args.extra.location ?? "Seattle";
  const epochs = args.epochs ?? (args.quick ? 2 : 300);

  const { dates, values } = weeklyTemperature(location);
  const n = values.length;
  const cut = n - TEST_WEEKS; // first row of the test span
  log(`${location}: ${n} full weeks, ${formatDate(dates[0]!)} to ${formatDate(dates[n - 1]!)}; ` +
    `test targets from ${formatDate(dates[cut]!)}`);

  const scaler = new MinMaxScaler().fit(values.subarray(0, cut)); // training rows only
  const all = makeWindows(scaler.transform(values), { lookback: STEPS, horizon: STEPS });
  // Training windows end their targets before the cut; test windows start their targets at or after it.
  const nTrain = all.origins.findIndex((o) => o + STEPS >= cut);
  const firstTest = all.origins.findIndex((o) => o + 1 >= cut);
  let train = sliceWindows(all, 0, nTrain);
  let test = sliceWindows(all, firstTest, all.origins.length);
  if (args.quick) {
    train = sliceWindows(train, train.origins.length - 32, train.origins.length);
    test = sliceWindows(test, 0, 8);
  }
  const N = train.origins.length;
  const M = test.origins.length;

  const model = sequential([
    layers.input({ shape: [STEPS, 1] }),
    layers.bidirectional(layers.lstm({ units: 32 })),
    layers.repeatVector({ n: STEPS }),
    layers.bidirectional(layers.lstm({ units: 32, returnSequences: true })),
    layers.timeDistributed(layers.dense({ units: 1 })),
  ], { seed: args.seed, name: "bilstm_seq2seq" });
  model.compile({ optimizer: { type: "adam", learningRate: 1e-3, clipNorm: 1 }, loss: "mse", metrics: ["mae"] });
  log("\n" + model.summary());
  log(`\n${N} training windows (the last 20% validate for early stopping), ${M} test windows; ` +
    `up to ${epochs} epoch${epochs === 1 ? "" : "s"}${args.quick ? " (quick mode)" : ""}`);

  const history = await model.fit(new Tensor(train.X, [N, STEPS, 1]), new Tensor(train.Y, [N, STEPS, 1]), {
    epochs,
    batchSize: 8,
    validationSplit: 0.2,
    callbacks: [callbacks.earlyStopping({ monitor: "val_loss", patience: 30, restoreBestWeights: true })],
    verbose: args.verbose,
  });

  const xTest = new Tensor(test.X, [M, STEPS, 1]);
  const pred = scaler.inverseTransform(model.predict(xTest).data); // [M·18] °C
  const actual = new Float64Array(M * STEPS);
  const seasonal = new Float64Array(M * STEPS);
  const naive = new Float64Array(M * STEPS);
  test.origins.forEach((o, w) => {
    for (let h = 0; h < STEPS; h++) {
      const r = o + 1 + h;
      actual[w * STEPS + h] = values[r]!;
      seasonal[w * STEPS + h] = values[r - SEASON]!;
      naive[w * STEPS + h] = values[o]!;
    }
  });
  const result: WeatherResult = {
    location,
    weeks: n,
    trainWindows: N,
    testWindows: M,
    rmse: rmse(actual, pred),
    seasonalNaiveRmse: rmse(actual, seasonal),
    naiveRmse: rmse(actual, naive),
    epochsRun: history.epoch.length,
    seconds: (performance.now() - t0) / 1000,
  };

  log(`\nRMSE over ${M} test windows × ${STEPS} weeks, °C (${history.epoch.length} epochs run):`);
  log(table(["forecast", "RMSE"], [
    ["BiLSTM encoder-decoder", result.rmse],
    ["seasonal naive (last year)", result.seasonalNaiveRmse],
    ["naive (repeat last week)", result.naiveRmse],
  ]));
  const byStep = Array.from({ length: STEPS }, (_, h) => {
    const idx = Array.from({ length: M }, (_, w) => w * STEPS + h);
    return rmse(idx.map((i) => actual[i]!), idx.map((i) => pred[i]!));
  });
  log(`RMSE by weeks ahead: ${byStep.map((v, h) => `${h + 1}:${v.toFixed(2)}`).join(" ")}`);
  const last = M - 1;
  const rows: (string | number)[][] = [];
  for (let h = 0; h < STEPS; h += 3) {
    rows.push([formatDate(dates[test.origins[last]! + 1 + h]!), actual[last * STEPS + h]!, pred[last * STEPS + h]!, seasonal[last * STEPS + h]!]);
  }
  log(`\nthe last test window (every third week):\n` + table(["week of", "actual", "BiLSTM", "last year"], rows));

  await mkdir(args.out, { recursive: true });
  const csv = ["origin,weeks_ahead,date,actual,bilstm,seasonal_naive,naive"];
  test.origins.forEach((o, w) => {
    for (let h = 0; h < STEPS; h++) {
      const i = w * STEPS + h;
      csv.push(`${formatDate(dates[o]!)},${h + 1},${formatDate(dates[o + 1 + h]!)},${actual[i]},${pred[i]},${seasonal[i]},${naive[i]}`);
    }
  });
  await writeFile(join(args.out, "forecasts.csv"), csv.join("\n") + "\n");
  log(`\nforecasts.csv written to ${args.out}`);
  const lastWeeks = (xs: Float64Array) => [...xs.subarray(last * STEPS, (last + 1) * STEPS)];
  // model.inspect reaches top-level LSTM and GRU layers only; the encoder's LSTM sits inside
  // Bidirectional, and its forward copy reads the input weeks as they are.
  const encoder = (model.layers.find((l) => l instanceof layers.Bidirectional) as layers.Bidirectional).forwardLayer;
  await writePlots(args.out, {
    history: plotHistory(history),
    predictions: plotPredictions(
      {
        actual: lastWeeks(actual), predicted: lastWeeks(pred),
        baselines: { "last year": lastWeeks(seasonal), "repeat last week": lastWeeks(naive) }, labels: ["actual", "BiLSTM"],
      },
      { title: `${location}, °C, the ${STEPS} weeks from ${formatDate(dates[test.origins[last]! + 1]!)}` },
    ),
    gates: gatesPlot((encoder as layers.LSTM).inspect(xTest.slice0(last, last + 1)), `encoder ${encoder.name} on the last test window`),
  }, "predictions", log);
  return result;
}

if (isMain(import.meta.url)) runCli(main);
