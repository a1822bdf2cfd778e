// `recurrent forecast`: CSV → series → Forecaster → terminal tables and charts, --json, and --out files.

import { loadSeries, type LoadSeriesOptions, type NonFiniteAction } from "../forecast/series.js";
import type { DateFormat } from "../data/dates.js";
import { bundledDataPath } from "../forecast/bundled.js";
import { futureCsv } from "../forecast/saved.js";
import { forecast, type ForecastOptions, type ForecastResult, type ModelPreset } from "../forecast/index.js";
import type { Frequency, Aggregation } from "../data/index.js";
import type { TransformChoice } from "../forecast/transforms.js";
import { readCovariates, hasCovariates, type CalendarChoice, type CovariateOptions } from "../forecast/covariates.js";
import { DEFAULT_HORIZON } from "../forecast/forecaster.js";
import { forecastGlobal, type GlobalForecastResult } from "../forecast/global.js";
import { readCsv, filterRows, stringColumn } from "../data/index.js";
import { metricsTable, asciiChart, coverageLine } from "./terminal.js";
import { writeReport } from "../report/html.js";
import { prepareOutDir, outPath } from "./out.js";
import { writeFileAtomic } from "../node/fs.js";
import { calmProgress } from "./progress.js";
import { resolve } from "node:path";
import { DataError } from "../tensor/errors.js";

/** The options every command that reads one series from a CSV takes (forecast, anomalies). */
export interface SeriesCliOptions {
  date?: string;
  target?: string;
  where?: string[];
  freq?: Frequency;
  agg: Aggregation;
  dateFormat?: DateFormat;
  maxGap?: number;
  maxImputed?: number;
  nonFinite?: NonFiniteAction;
}

export interface ForecastCliOptions extends SeriesCliOptions {
  lookback?: number;
  horizon?: number;
  testSize?: number;
  season?: number;
  model?: ModelPreset | "esrnn";
  strategy?: "direct" | "recursive";
  transform?: TransformChoice;
  /** Past feature columns (their lags enter the windows). */
  features?: string[];
  /** Known-future columns, with values for the horizon in rows after the last target value. */
  future?: string[];
  calendar?: CalendarChoice;
  /** Forecast every value of this column as its own series, with one global model. */
  group?: string;
  /** With --group: give the global model a one-hot series id. */
  seriesId?: boolean;
  epochs?: number;
  seed?: number;
  out?: string;
  force: boolean;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
}

/** The stable --json document (docs/cli.md). */
export function forecastJson(r: ForecastResult): Record<string, unknown> {
  return {
    target: r.target,
    horizon: r.horizon,
    lookback: r.lookback,
    season: r.season,
    model: r.model,
    transform: r.transform,
    ...(r.covariates ? { covariates: r.covariates } : {}),
    ...(r.transformSelection ? { transformSelection: r.transformSelection } : {}),
    oneShot: r.oneShot,
    rolling: r.rolling,
    future: r.future,
    metrics: r.metrics,
    intervals: r.intervals,
  };
}

/**
 * Fit's verbose level and renderer. By default one live line per network on a terminal and, piped,
 * only the line each network ends with: per-epoch lines of eight networks would bury the results.
 * --verbose brings back Keras's bar per epoch (one line per epoch when piped).
 */
function trainingProgress(opts: ForecastCliOptions): Pick<ForecastOptions, "verbose" | "progress"> {
  if (opts.quiet || opts.json) return { verbose: 0 };
  if (opts.verbose) return { verbose: process.stdout.isTTY ? 1 : 2 };
  return { verbose: 2, progress: calmProgress(process.stdout, { epochLines: false }) };
}

/** `recurrent forecast`: one series (a ForecastResult), or with --group one global model over many (a GlobalForecastResult). */
export async function runForecast(csv: string | undefined, opts: ForecastCliOptions): Promise<ForecastResult | GlobalForecastResult> {
  const bundled = csv === undefined;
  const path = csv ?? bundledDataPath("weather.csv");
  const load: LoadSeriesOptions = bundled
    ? {
        date: opts.date ?? "date",
        target: opts.target ?? "median(temp_max,temp_min)",
        where: opts.where ?? ["location=Seattle"],
        freq: opts.freq ?? "week",
        agg: opts.agg,
      }
    : { date: opts.date, target: opts.target, where: opts.where, freq: opts.freq, agg: opts.agg };
  if (opts.dateFormat !== undefined) load.dateFormat = opts.dateFormat;
  if (opts.maxGap !== undefined) load.maxGap = opts.maxGap;
  if (opts.maxImputed !== undefined) load.maxImputedShare = opts.maxImputed;
  if (opts.nonFinite !== undefined) load.nonFinite = opts.nonFinite;
  // Progress and notes never go to stdout with --json, so stdout stays one JSON document.
  // --quiet drops them (and the model summary and chart) but still prints the result.
  const say = (s: string): void => {
    if (opts.quiet) return;
    (opts.json ? process.stderr : process.stdout).write(s + "\n");
  };
  if (opts.out) prepareOutDir(opts.out, opts.force); // refuse before hours of training, not after
  if (opts.group !== undefined) {
    return runGlobal(path, load, opts, say);
  }
  const covOpts: CovariateOptions = {
    ...(opts.features?.length ? { features: opts.features } : {}),
    ...(opts.future?.length ? { future: opts.future } : {}),
    ...(opts.calendar ? { calendar: opts.calendar } : {}),
  };
  const withCov = hasCovariates(covOpts);
  // Rows past the last target value may carry only known-future covariates.
  const series = loadSeries(path, covOpts.future ? { ...load, dropTrailingMissing: true } : load);
  const covariates = withCov
    ? readCovariates(path, covOpts, {
        ...(load.date !== undefined ? { date: load.date } : {}), ...(load.where ? { where: load.where } : {}),
        freq: series.freq, agg: opts.agg, dates: series.dates, horizon: opts.horizon ?? DEFAULT_HORIZON[series.freq],
      })
    : undefined;
  if (bundled) say(`No CSV given: forecasting the bundled Seattle weather (data/weather.csv, from vega-datasets).`);
  for (const n of series.notes) say(`• ${n}`);
  for (const n of covariates?.notes ?? []) say(`• ${n}`);

  const result = await forecast(
    { name: series.name, dates: series.dates, values: series.values, freq: series.freq, imputed: series.imputed, ...(covariates ? { covariates } : {}) },
    {
      horizon: opts.horizon, lookback: opts.lookback, season: opts.season, testSize: opts.testSize,
      model: opts.model, strategy: opts.strategy, transform: opts.transform, ...(withCov ? { covariates: covOpts } : {}), epochs: opts.epochs, seed: opts.seed,
      ...trainingProgress(opts),
    },
  );
  for (const n of result.notes) say(`• ${n}`);

  const doc = forecastJson(result);
  if (opts.json) {
    process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
  } else {
    const out = process.stdout;
    if (!opts.quiet) out.write(`\n${result.report.summary}\n`);
    out.write(`\nRolling-origin backtest: ${result.rolling.length} origins × ${result.horizon} steps (lookback ${result.lookback}, season ${result.season}, ${result.model}, ${result.strategy}, transform ${result.transform})\n`);
    out.write(metricsTable(result.metrics) + "\n");
    out.write(coverageLine(result.intervals.coverage) + "\n");
    const test = result.report.test;
    if (test.length > 1 && !opts.quiet) {
      out.write(`\nTest span, one step ahead: actual vs ${result.model}\n`);
      out.write(asciiChart(test.map((t) => t.actual), test.map((t) => t.predicted), { height: 12, width: 70, color: false }) + "\n");
    }
    out.write(`\nForecast past the end of the data (${result.future.length} ${series.freq}s):\n`);
    for (const f of result.future) out.write(`  ${f.date}  ${f.value.toFixed(3)}\n`);
  }

  if (opts.out) {
    const dir = opts.out;
    writeFileAtomic(outPath(dir, "forecast.csv"), futureCsv(result.future));
    writeFileAtomic(outPath(dir, "metrics.json"), JSON.stringify({ ...doc, source: series.source, freq: series.freq, imputed: series.imputed, notes: [...series.notes, ...result.notes] }, null, 2) + "\n");
    // The whole forecaster (every network and its preprocessing): `recurrent predict <dir>` and
    // loadForecaster(<dir>/model) give forecast.csv again, byte for byte.
    result.forecaster.source = { csv: resolve(path), options: { ...load, agg: opts.agg }, ...(withCov ? { covariates: covOpts } : {}) };
    await result.forecaster.save(outPath(dir, "model"));
    await writeReport(outPath(dir, "report.html"), result.report);
    say(`\nWrote ${dir}/forecast.csv, metrics.json, model/ (the forecaster: ${result.forecaster.models.length} networks and their preprocessing) and report.html`);
  }
  return result;
}

/** "symbol": the group column's values in order of first appearance (after the filters). */
function groupValues(path: string, load: LoadSeriesOptions, column: string): string[] {
  const frame = load.where && load.where.length > 0 ? filterRows(readCsv(path), load.where) : readCsv(path);
  return [...new Set(stringColumn(frame, column))];
}

/** The per-series table of a global forecast: MASE of the model and the baselines, the model's sMAPE. */
export function globalTable(r: GlobalForecastResult): string {
  const methods = (["model", "naive", "seasonalNaive", "drift", "ets", "theta", "comb"] as const).filter((m) => r.aggregate[m] !== undefined);
  const head = ["series", "n", ...methods.map((m) => `MASE ${m}`), "sMAPE model"];
  const rows = r.series.map((s) => [s.group, String(s.n), ...methods.map((m) => s.metrics[m]?.mase.toFixed(3) ?? "–"), s.metrics.model.smape.toFixed(2)]);
  rows.push(["mean", "", ...methods.map((m) => r.aggregate[m]!.mase.toFixed(3)), r.aggregate.model!.smape.toFixed(2)]);
  const width = head.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j]!.length)));
  const line = (cells: string[]): string => cells.map((c, j) => (j === 0 ? c.padEnd(width[j]!) : c.padStart(width[j]!))).join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}

/** `forecast --group COL`: one global model over every value of COL, a table per series and the means. */
async function runGlobal(path: string, load: LoadSeriesOptions, opts: ForecastCliOptions, say: (s: string) => void): Promise<GlobalForecastResult> {
  const column = opts.group!;
  const values = groupValues(path, load, column);
  if (values.length < 2) throw new DataError(`--group ${column}: ${values.length} value(s) after the filters; a global model needs at least two series`);
  const groups = values.map((v) => {
    const s = loadSeries(path, { ...load, where: [...(load.where ?? []), `${column}=${v}`] });
    return { group: v, series: { name: s.name, dates: s.dates, values: s.values, freq: s.freq } };
  });
  say(`• ${groups.length} series by ${column}: ${groups.map((g) => `${g.group} (${g.series.values.length})`).join(", ")}`);
  const r = await forecastGlobal(groups, {
    horizon: opts.horizon, lookback: opts.lookback, season: opts.season, testSize: opts.testSize, model: opts.model, strategy: opts.strategy,
    transform: opts.transform, epochs: opts.epochs, seed: opts.seed, ...(opts.seriesId ? { seriesId: true } : {}), ...(opts.features || opts.future || opts.calendar ? { covariates: {} } : {}),
    ...trainingProgress(opts),
  });
  for (const n of r.notes) say(`• ${n}`);
  const doc = {
    group: column, horizon: r.horizon, lookback: r.lookback, season: r.season, model: r.model, aggregate: r.aggregate,
    series: r.series.map(({ forecaster: _f, ...s }) => s),
  };
  if (opts.json) process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
  else {
    process.stdout.write(`\nGlobal model over ${r.series.length} series (lookback ${r.lookback}, horizon ${r.horizon}, season ${r.season}, ${r.model}): rolling-origin MASE per series and the mean\n`);
    process.stdout.write(globalTable(r) + "\n");
    for (const s of r.series) process.stdout.write(`\n${s.group}, forecast past the end: ${s.future.map((f) => `${f.date} ${f.value.toFixed(3)}`).join(", ")}\n`);
  }
  if (opts.out) {
    const dir = opts.out;
    const lines = ["group,date,forecast,lo80,hi80,lo95,hi95", ...r.series.flatMap((s) => s.future.map((f) => `${s.group},${f.date},${f.value},${f.lo80},${f.hi80},${f.lo95},${f.hi95}`))];
    writeFileAtomic(outPath(dir, "forecast.csv"), lines.join("\n") + "\n");
    writeFileAtomic(outPath(dir, "metrics.json"), JSON.stringify({ ...doc, source: path, notes: r.notes }, null, 2) + "\n");
    // One forecaster directory per series (the shared networks with that series' preprocessing):
    // `recurrent predict DIR/model/<group>` prints that series' lines of forecast.csv.
    const dirs: string[] = [];
    for (const s of r.series) {
      const name = s.group.replace(/[^A-Za-z0-9._-]/g, "_");
      s.forecaster.source = { csv: resolve(path), options: { ...load, agg: opts.agg, where: [...(load.where ?? []), `${column}=${s.group}`] } };
      await s.forecaster.save(outPath(dir, `model/${name}`));
      dirs.push(name);
    }
    say(`\nWrote ${dir}/forecast.csv, metrics.json and model/{${dirs.join(",")}} (one forecaster per series, for \`recurrent predict\`)`);
  }
  return r;
}
