// Anomaly detection on a real series with known anomalies: daily Seattle temperatures (bundled
// data/weather.csv, 2012–2015) with 12 spikes of ±6 and 3 level shifts of ±5 × 7 days injected at
// seeded random positions, in units of the series' robust scale (1.4826 × MAD of the day-to-day
// changes, 1.70 °C). An LSTM trained on 2012–2013 forecasts each day from the 14 before it; days far
// from their forecast (k = 3.5 robust standard deviations of the 2012–2013 residuals) are flagged.
// Printed: the threshold, precision, recall and F1, beside the same rule on "tomorrow = today"
// residuals and the quantile rule. Written: anomalies.csv and anomalies.svg.
// Run: npm run example:anomaly -- [--epochs N] [--quick] [--out DIR] [--seed N] [--verbose 0|1|2] [--k K] [--inject-seed N]

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { formatDate } from "../src/data/index.js";
import {
  loadSeries, bundledDataPath, injectAnomalies, detectAnomalies, detectionMetrics, anomaliesCsv, plotAnomalies,
  medianOf, robustSigma, type DetectionMetrics,
} from "../src/forecast/index.js";
import { isMain, parseExampleArgs, positiveInt, positiveNumber, runCli, table, writePlots, type Log } from "./common.js";

export interface AnomalyExampleResult {
  points: number;
  injected: number;
  lstm: DetectionMetrics;
  persistence: DetectionMetrics;
  quantile: DetectionMetrics;
  threshold: { k: number; lower: number; upper: number };
  seconds: number;
}

export async function main(argv: string[] = [], log: Log = console.log): Promise<AnomalyExampleResult> {
  const args = parseExampleArgs(argv, "anomaly", ["k", "inject-seed"]);
  const t0 = performance.now();
  const k = args.extra.k === undefined ? 3.5 : positiveNumber(args.extra.k, "--k");
  const injectSeed = args.extra["inject-seed"] === undefined ? 1 : positiveInt(args.extra["inject-seed"], "--inject-seed");

  const series = loadSeries(bundledDataPath("weather.csv"), { date: "date", target: "median(temp_max,temp_min)", where: ["location=Seattle"] });
  const dates = series.dates.map((d) => formatDate(d, series.freq));
  const lookback = 14;
  const inj = injectAnomalies(series.values, { spikes: 12, shifts: 3, from: lookback, seed: injectSeed });
  const x = inj.values;
  log(`Seattle daily temperature (${series.name}, °C): ${x.length} days, ${dates[0]} to ${dates[x.length - 1]}`);
  log(`injected (seed ${injectSeed}), robust scale ${inj.scale.toFixed(2)} °C:`);
  for (const e of inj.events) log(`  ${e.kind.padEnd(5)} ${dates[e.start]}${e.length > 1 ? ` … ${dates[e.start + e.length - 1]}` : "            "}  ${e.delta >= 0 ? "+" : "−"}${Math.abs(e.delta).toFixed(1)} °C`);

  const r = await detectAnomalies(x, {
    lookback, k, labels: inj.labels, seed: args.seed,
    ...(args.epochs !== undefined ? { epochs: args.epochs } : args.quick ? { epochs: 3 } : {}),
    verbose: args.verbose === "auto" ? 0 : args.verbose,
  });
  for (const n of r.notes) log(`• ${n}`);
  const t = r.threshold;
  const sign = (v: number): string => `${v < 0 ? "−" : "+"} ${Math.abs(v).toFixed(2)}`;
  log(`\nthreshold: |residual ${t.center < 0 ? "+" : "−"} ${Math.abs(t.center).toFixed(3)}| > ${k} × ${t.scale.toFixed(3)} °C, i.e. the day is below forecast ${sign(t.lower)} or above forecast ${sign(t.upper)} °C`);

  // The same rule on "tomorrow = today" residuals: what the network adds over persistence.
  const pres = Float64Array.from(x, (v, i) => (i === 0 ? NaN : v - x[i - 1]!));
  const pfit = pres.subarray(lookback, r.fitEnd);
  const pc = medianOf(pfit), ps = robustSigma(pfit);
  const pflags = Array.from(pres, (v, i) => i >= lookback && Math.abs(v - pc) / ps > k);
  const persistence = detectionMetrics(pflags, inj.labels, lookback);
  const q = await detectAnomalies(x, { lookback, rule: "quantile", quantile: 0.995, labels: inj.labels, seed: args.seed, ...(args.epochs !== undefined ? { epochs: args.epochs } : args.quick ? { epochs: 3 } : {}) });

  const row = (name: string, m: DetectionMetrics): (string | number)[] => [name, m.precision, m.recall, m.f1, String(m.tp), String(m.fp), String(m.fn)];
  log(`\nagainst the ${inj.labels.reduce((a, b) => a + b, 0)} injected anomalous days (every day from the ${lookback + 1}th):`);
  log(table(["detector", "precision", "recall", "F1", "tp", "fp", "fn"], [
    row(`LSTM, k = ${k}`, r.metrics!),
    row("LSTM, after the fitting span only", r.heldOutMetrics!),
    row("LSTM, 0.995 quantile rule", q.metrics!),
    row(`tomorrow = today, k = ${k}`, persistence),
  ]));

  await mkdir(args.out, { recursive: true });
  await writeFile(join(args.out, "anomalies.csv"), anomaliesCsv(x, r, { dates, labels: inj.labels }));
  log(`\nanomalies.csv written to ${args.out}`);
  await writePlots(args.out, { anomalies: plotAnomalies({ values: x, result: r, dates, labels: inj.labels, title: "Seattle daily temperature: flagged days (red), injected anomalies (rings)" }) }, "anomalies", log);
  return {
    points: x.length,
    injected: inj.events.length,
    lstm: r.metrics!,
    persistence,
    quantile: q.metrics!,
    threshold: { k, lower: t.lower, upper: t.upper },
    seconds: (performance.now() - t0) / 1000,
  };
}

if (isMain(import.meta.url)) runCli(main);
