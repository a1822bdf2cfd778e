// Realistic synthetic report data for the report tests: a weekly temperature-like series with a
// yearly season, noise, a few training epochs, test forecasts, a forecast interval and a backtest.

import type { ForecastReportData } from "../../src/report/types.js";

/** Deterministic uniform numbers in [0, 1) (mulberry32), so the fixture is the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function syntheticReport(overrides: Partial<ForecastReportData> = {}): ForecastReportData {
  const rand = rng(42);
  const n = 260; // five years of weeks
  const season = 52;
  const horizon = 12;
  const start = Date.UTC(2019, 0, 6);
  const level = (i: number) => 12 + 0.01 * i + 7 * Math.sin((2 * Math.PI * i) / season);
  const series = Array.from({ length: n }, (_, i) => ({ date: iso(start + 7 * i * DAY), value: level(i) + (rand() - 0.5) * 2 }));
  const testLen = 52;
  const trainEndIdx = n - testLen - 1;
  const valStartIdx = trainEndIdx - 30;
  const test = series.slice(trainEndIdx + 1).map((p, k) => {
    const i = trainEndIdx + 1 + k;
    return {
      date: p.date,
      actual: p.value,
      predicted: level(i) + (rand() - 0.5) * 1.2,
      naive: series[i - 1]!.value,
      seasonalNaive: series[i - season]!.value,
    };
  });
  const oneShot = Array.from({ length: horizon }, (_, h) => {
    const i = trainEndIdx + 1 + h;
    return { date: series[i]!.date, actual: series[i]!.value, predicted: level(i) + (rand() - 0.5) };
  });
  const future = Array.from({ length: horizon }, (_, h) => {
    const i = n + h;
    const value = level(i);
    const w = 0.8 + 0.15 * h;
    return { date: iso(start + 7 * i * DAY), value, lower: value - w, upper: value + w };
  });
  const epochs = 40;
  const loss = Array.from({ length: epochs }, (_, e) => 0.02 + 0.9 * Math.exp(-e / 6) + 0.002 * rand());
  const valLoss = loss.map((l, e) => l * 1.15 + 0.0004 * Math.max(0, e - 25) ** 2);
  const backtestByStep = Array.from({ length: horizon }, (_, h) => ({
    step: h + 1,
    model: 0.55 + 0.04 * h,
    naive: 0.9 + 0.35 * h,
    seasonalNaive: 1.2,
    drift: 0.95 + 0.38 * h,
  }));
  return {
    title: "Seattle temp_mid, weekly",
    target: "temp_mid",
    model: "lstm",
    freq: "week",
    horizon,
    lookback: 26,
    season,
    series,
    trainEnd: series[trainEndIdx]!.date,
    validationStart: series[valStartIdx]!.date,
    lossHistory: { loss, val_loss: valLoss },
    test,
    oneShot,
    future,
    backtestByStep,
    metrics: {
      model: { mae: 0.61, rmse: 0.78, smape: 5.2, mase: 0.72 },
      naive: { mae: 1.05, rmse: 1.31, smape: 8.9, mase: 1.24 },
      seasonalNaive: { mae: 1.21, rmse: 1.5, smape: 9.7, mase: 1.43 },
      drift: { mae: 1.09, rmse: 1.36, smape: 9.1, mase: 1.29 },
    },
    summary: [
      'Model: "sequential"',
      "Layer (type)        Output shape     Params",
      "lstm_1 (LSTM)       [null, 32]         4352",
      "dense_1 (Dense)     [null, 1]            33",
      "Total params: 4385",
    ].join("\n"),
    imputed: { count: 3, method: "linear" },
    notes: ["Weekly means of daily readings."],
    ...overrides,
  };
}
