// The forecasting evaluation suite: its manifest (data/suite/manifest.json), its CSV files
// (date,value) and its rolling-origin protocol — k origins spaced by the horizon at the end of
// the series, so the last k·H values are each forecast exactly once, from the history before
// their window only.

import { ConfigError, DataError } from "../../tensor/errors.js";
import { fileSystem } from "../../io/fs.js";
import { maseScale, smape, mae } from "../metrics.js";

export type SuiteFrequency = "day" | "week" | "month" | "quarter" | "year";

export interface SuiteEntry {
  name: string;
  /** CSV file beside the manifest, columns date,value. */
  file: string;
  freq: SuiteFrequency;
  /** Steps per season the methods model (day 7, week 52, month 12, quarter 4, year 1). */
  period: number;
  /** M4's season for MASE's seasonal-naive scale: month 12, quarter 4, otherwise 1. */
  masePeriod: number;
  /** Forecast horizon H (M4: year 6, quarter 8, month 18, week 13, day 14). */
  horizon: number;
  /** Number of origins k; the last k·H values are forecast, H at a time. */
  origins: number;
  /** Kind of series (trend, seasonal, cyclic, noisy, …), for the reader. */
  kind: string;
  source: string;
  licence: string;
}

export interface SuiteSeries extends SuiteEntry {
  dates: string[];
  values: Float64Array;
}

const FREQS: readonly SuiteFrequency[] = ["day", "week", "month", "quarter", "year"];

/** Checks and returns the manifest's entries. @throws DataError naming the entry and field. */
export function parseSuiteManifest(text: string): SuiteEntry[] {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { throw new DataError(`suite manifest: not JSON (${(e as Error).message})`); }
  const list = (raw as { series?: unknown }).series;
  if (!Array.isArray(list)) throw new DataError("suite manifest: expected { \"series\": [ … ] }");
  return list.map((e: Record<string, unknown>, i) => {
    const where = `suite manifest: series ${i} (${String(e["name"])})`;
    for (const k of ["name", "file", "freq", "kind", "source", "licence"]) {
      if (typeof e[k] !== "string" || e[k] === "") throw new DataError(`${where}: "${k}" must be a non-empty string`);
    }
    for (const k of ["period", "masePeriod", "horizon", "origins"]) {
      if (!Number.isInteger(e[k]) || (e[k] as number) < 1) throw new DataError(`${where}: "${k}" must be a positive integer, got ${String(e[k])}`);
    }
    if (!FREQS.includes(e["freq"] as SuiteFrequency)) throw new DataError(`${where}: freq must be one of ${FREQS.join(", ")}`);
    return e as unknown as SuiteEntry;
  });
}

/** Parses a suite CSV (header date,value; one row per period; every value finite). */
export function parseSuiteCsv(text: string, what: string): { dates: string[]; values: Float64Array } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines[0]?.trim() !== "date,value") throw new DataError(`${what}: the header must be "date,value", got "${lines[0] ?? ""}"`);
  const dates: string[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const [d, v, extra] = lines[i]!.split(",");
    const x = Number(v);
    if (extra !== undefined || !d || v === undefined || v.trim() === "" || !Number.isFinite(x)) {
      throw new DataError(`${what}: line ${i + 1} "${lines[i]}" is not date,finite-number`);
    }
    dates.push(d);
    values.push(x);
  }
  return { dates, values: Float64Array.from(values) };
}

/** Loads every series of the suite in `dir` through the installed file system. */
export function loadSuite(dir: string): SuiteSeries[] {
  const fs = fileSystem("loadSuite");
  const entries = parseSuiteManifest(fs.readText(fs.join(dir, "manifest.json")));
  return entries.map((e) => {
    const { dates, values } = parseSuiteCsv(fs.readText(fs.join(dir, e.file)), e.file);
    if (values.length <= e.origins * e.horizon + 2 * e.masePeriod) {
      throw new DataError(`${e.file}: ${values.length} values leave too little history before ${e.origins} origins of horizon ${e.horizon}`);
    }
    return { ...e, dates, values };
  });
}

/** Ends of the training spans: origin i forecasts values [ends[i], ends[i] + H). */
export function suiteOrigins(n: number, horizon: number, origins: number): number[] {
  if (origins * horizon >= n) throw new ConfigError(`suite: ${origins} origins of horizon ${horizon} need more than ${origins * horizon} values, got ${n}`);
  return Array.from({ length: origins }, (_, i) => n - (origins - i) * horizon);
}

export interface SuiteScore {
  /** Mean over origins of each origin's MASE (seasonal-naive scale of that origin's training span, M4). */
  mase: number;
  /** sMAPE (0–200) over every forecast value. */
  smape: number;
  /** The forecasts, one row per origin. */
  forecasts: number[][];
}

/**
 * Scores a forecasting function on one series by the suite's protocol.
 * @throws DataError when the function returns the wrong number of values or a non-finite one.
 */
export function scoreSuiteSeries(
  values: ArrayLike<number>, masePeriod: number, horizon: number, origins: number,
  fn: (history: Float64Array, h: number) => number[],
): SuiteScore {
  const ends = suiteOrigins(values.length, horizon, origins);
  const forecasts = ends.map((end) => fn(Float64Array.from({ length: end }, (_, i) => values[i]!), horizon));
  return scoreSuiteForecasts(values, masePeriod, horizon, origins, forecasts);
}

/** {@link scoreSuiteSeries} for an asynchronous forecaster (the library's `forecast()`). */
export async function scoreSuiteSeriesAsync(
  values: ArrayLike<number>, masePeriod: number, horizon: number, origins: number,
  fn: (history: Float64Array, h: number) => Promise<number[]>,
): Promise<SuiteScore> {
  const ends = suiteOrigins(values.length, horizon, origins);
  const forecasts: number[][] = [];
  for (const end of ends) forecasts.push(await fn(Float64Array.from({ length: end }, (_, i) => values[i]!), horizon));
  return scoreSuiteForecasts(values, masePeriod, horizon, origins, forecasts);
}

/**
 * Scores forecasts made from {@link suiteOrigins} (one row per origin).
 * @throws DataError on a row of the wrong length or with a non-finite value.
 */
export function scoreSuiteForecasts(
  values: ArrayLike<number>, masePeriod: number, horizon: number, origins: number, forecasts: number[][],
): SuiteScore {
  const ends = suiteOrigins(values.length, horizon, origins);
  if (forecasts.length !== ends.length) throw new DataError(`suite: ${forecasts.length} rows of forecasts for ${ends.length} origins`);
  let maseSum = 0;
  const actualAll: number[] = [];
  const predAll: number[] = [];
  ends.forEach((end, i) => {
    const f = forecasts[i]!;
    if (f.length !== horizon || f.some((v) => !Number.isFinite(v))) {
      throw new DataError(`suite: the forecaster returned ${f.length} values (${f.filter((v) => !Number.isFinite(v)).length} non-finite) at origin ${end}; expected ${horizon} finite`);
    }
    const history = Array.from({ length: end }, (_, t) => values[t]!);
    const actual = Array.from({ length: horizon }, (_, h) => values[end + h]!);
    maseSum += mae(actual, f) / maseScale(history, masePeriod);
    actualAll.push(...actual);
    predAll.push(...f);
  });
  return { mase: maseSum / ends.length, smape: smape(actualAll, predAll), forecasts };
}
