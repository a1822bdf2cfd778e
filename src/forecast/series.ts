// From a CSV file to one regular, imputed series ready to forecast: filters, a target column or
// an expression over columns (e.g. median(temp_max,temp_min)), date parsing, resampling, and a
// report of every value that had to be imputed.

import { DataError, ConfigError } from "../tensor/errors.js";
import { fileSystem } from "../io/fs.js";
import {
  readCsv, filterRows, derive, toTimeSeries, resampleSeries, regularizeSeries, inferFrequency,
  resolveColumn, parseDate, describeImputation, isFrequency, AGGREGATIONS,
  type Frame, type Frequency, type Aggregation, type DeriveOp, type ImputeMethod, type Timestamp,
} from "../data/index.js";

export interface LoadSeriesOptions {
  /** Date column. Default: a column named like "date", else the first column whose values parse as dates. */
  date?: string;
  /** Target column, or an expression `median(a,b)`, `mean(a,b)`, `sum(...)`, `min(...)`, `max(...)`, `difference(a,b)`. */
  target?: string;
  /** Row filters, each `column=value` or `column!=value`. */
  where?: string[];
  /** Resample to this frequency. Default: keep the data's own frequency (inferred). */
  freq?: Frequency;
  /** Aggregation when resampling or merging duplicate dates. Default "mean". */
  agg?: Aggregation;
  /** How to fill missing periods. Default "linear". */
  impute?: ImputeMethod;
}

export interface LoadedSeries {
  /** The target's display name (the expression when derived). */
  name: string;
  source: string;
  dates: Timestamp[];
  values: Float64Array;
  freq: Frequency;
  imputed: { count: number; method: string; dates: string[] };
  /** What was done to the data, in order, for the terminal and the report. */
  notes: string[];
}

const EXPR = /^\s*(median|mean|sum|min|max|difference)\s*\(\s*([^)]*)\)\s*$/i;

/** The path of a CSV shipped in the vega-datasets package. */
export function bundledDataPath(file: string): string {
  const fs = fileSystem("bundled data");
  return fs.join(fs.packageDir("vega-datasets"), "data", file);
}

function pickDateColumn(frame: Frame): string {
  const named = frame.columns.find((c) => /^(date|time|timestamp|datetime|month|period|day|week|year|ds)$/i.test(c.trim()));
  if (named) return named;
  for (const c of frame.columns) {
    const sample = frame.rows.slice(0, 5).map((r) => r[c] ?? "");
    if (sample.length > 0 && sample.every((v) => { try { parseDate(v); return true; } catch { return false; } })) return c;
  }
  throw new DataError(`${frame.source}: no date column found; choose one with --date from: ${frame.columns.join(", ")}`);
}

function pickTarget(frame: Frame, dateCol: string): string {
  const numeric = frame.columns.filter((c) => c !== dateCol && frame.rows.slice(0, 20).every((r) => {
    const v = (r[c] ?? "").trim();
    return v === "" || Number.isFinite(Number(v));
  }));
  if (numeric.length === 1) return numeric[0]!;
  throw new DataError(`${frame.source}: choose the column to forecast with --target; numeric columns: ${numeric.join(", ") || "(none)"}; all columns: ${frame.columns.join(", ")}`);
}

/** Read, filter, derive, date, resample and impute: one series at a regular frequency. */
export function loadSeries(path: string, opts: LoadSeriesOptions = {}): LoadedSeries {
  if (opts.freq !== undefined && !isFrequency(opts.freq)) {
    throw new ConfigError(`--freq must be one of day, week, month, quarter, year; got "${String(opts.freq)}"`);
  }
  const agg = opts.agg ?? "mean";
  if (!AGGREGATIONS.includes(agg)) throw new ConfigError(`--agg must be one of ${AGGREGATIONS.join(", ")}; got "${String(agg)}"`);
  const notes: string[] = [];
  let frame = readCsv(path);
  notes.push(`read ${frame.rows.length} rows from ${frame.source}`);
  if (opts.where && opts.where.length > 0) {
    frame = filterRows(frame, opts.where);
    notes.push(`kept ${frame.rows.length} rows where ${opts.where.join(" and ")}`);
  }
  const dateCol = opts.date ? resolveColumn(frame, opts.date) : pickDateColumn(frame);
  let target = opts.target ?? pickTarget(frame, dateCol);
  const m = target.match(EXPR);
  let name = target;
  if (m) {
    const op = m[1]!.toLowerCase() as DeriveOp;
    const cols = m[2]!.split(",").map((s) => s.trim()).filter(Boolean);
    if (cols.length === 0) throw new DataError(`--target ${target}: name the columns inside the parentheses`);
    name = `${op}(${cols.map((c) => resolveColumn(frame, c)).join(",")})`;
    frame = derive(frame, name, cols, op);
    target = name;
    notes.push(`derived ${name} per row`);
  } else {
    target = resolveColumn(frame, target);
    name = target;
  }
  const raw = toTimeSeries(frame, { date: dateCol, values: [target] });
  if (raw.dates.length < 2) throw new DataError(`${frame.source}: only ${raw.dates.length} dated row(s); a forecast needs a series`);
  let series = raw;
  let freq: Frequency;
  if (opts.freq) {
    freq = opts.freq;
    const native = inferFrequency(raw.dates);
    if (native !== freq) {
      series = resampleSeries(raw, freq, agg);
      notes.push(`resampled from ${native} to ${freq} (${agg}): ${series.dates.length} periods`);
    }
  } else {
    freq = inferFrequency(raw.dates);
    notes.push(`frequency inferred from the dates: ${freq}`);
  }
  const reg = regularizeSeries(series, { freq, method: opts.impute ?? "linear" });
  const report = reg.reports[target]!;
  if (report.count > 0) notes.push(describeImputation(report, freq));
  const fmt = (d: number): string => new Date(d).toISOString().slice(0, 10);
  return {
    name,
    source: frame.source,
    dates: reg.series.dates,
    values: reg.series.values[0]!,
    freq,
    imputed: { count: report.count, method: report.method, dates: (report.dates ?? []).map(fmt) },
    notes,
  };
}
