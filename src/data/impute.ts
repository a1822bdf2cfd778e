// Missing data in regular series: finding missing periods, inserting them, and filling
// NaNs. Every fill comes with a report so nothing is imputed silently.

import { ConfigError, DataError } from "../tensor/errors.js";
import { periodCount } from "./resample.js";
import {
  formatDate,
  inferFrequency,
  periodIndex,
  periodStartFromIndex,
  type Frequency,
  type Timestamp,
} from "./dates.js";
import type { TimeSeries } from "./frame.js";

/**
 * `linear`: straight line between the observed values around a gap.
 * `neighbourMean`: every value of a gap gets the mean of the observed values around it.
 * Both fill leading/trailing gaps with the nearest observed value.
 */
export type ImputeMethod = "linear" | "neighbourMean";

/** What {@link impute} filled. */
export interface ImputeReport {
  method: ImputeMethod;
  /** Number of values filled. */
  count: number;
  /** Indices of the filled values. */
  positions: number[];
  /** Dates of the filled values, when known. */
  dates?: Timestamp[];
}

/**
 * Fills NaNs in a series whose points are equally spaced (interpolation is by index, which
 * is why irregular series must be regularised first).
 * @throws DataError when every value is missing.
 */
export function impute(values: ArrayLike<number>, method: ImputeMethod): { values: Float64Array; report: ImputeReport } {
  const out = Float64Array.from(values);
  const n = out.length;
  const positions: number[] = [];
  for (let i = 0; i < n; i++) if (Number.isNaN(out[i])) positions.push(i);
  if (positions.length === n && n > 0) throw new DataError(`impute: all ${n} values are missing; nothing to impute from`);
  let i = 0;
  while (i < n) {
    if (!Number.isNaN(out[i])) {
      i++;
      continue;
    }
    const p = i - 1; // last observed before the gap, or -1
    let q = i;
    while (q < n && Number.isNaN(out[q])) q++; // first observed after the gap, or n
    for (let k = i; k < q; k++) {
      if (p < 0) out[k] = out[q];
      else if (q >= n) out[k] = out[p];
      else if (method === "linear") out[k] = out[p] + ((out[q] - out[p]) * (k - p)) / (q - p);
      else out[k] = (out[p] + out[q]) / 2;
    }
    i = q;
  }
  return { values: out, report: { method, count: positions.length, positions } };
}

/**
 * How much {@link fillMissingPeriods} and {@link regularizeSeries} may invent. Linear interpolation
 * is a fair guess over a few periods (a long weekend, a missed report) and a fabrication over
 * more: it draws a straight line through what a season would have curved, and the backtest then
 * scores the model against those invented points. Beyond these limits the series is refused with
 * the dates, so that a wrong date (9999-12-31), a misread date format or a recording outage is
 * seen, not smoothed over.
 */
export interface ImputeLimits {
  /** Longest run of consecutive missing periods that may be filled; default {@link DEFAULT_MAX_GAP}. `Infinity` lifts it. */
  maxGap?: number;
  /** Largest share (0–1) of the regular series that may be filled; default {@link DEFAULT_MAX_SHARE}. `1` lifts it. */
  maxShare?: number;
}

/**
 * Default longest fillable gap: 3 periods. Three covers the ordinary holes (a long weekend of
 * daily data, a missing quarter's report) while staying under half of the shortest season the
 * forecaster models (a week of 7 days) and at most half of every default horizon (6–14 periods).
 */
export const DEFAULT_MAX_GAP = 3;

/** Default largest imputed share: 10 % of the series, beyond which the data, not the model, makes the forecast. */
export const DEFAULT_MAX_SHARE = 0.1;

function checkLimits(limits: ImputeLimits | undefined): { maxGap: number; maxShare: number } {
  const maxGap = limits?.maxGap ?? DEFAULT_MAX_GAP;
  const maxShare = limits?.maxShare ?? DEFAULT_MAX_SHARE;
  if (!(maxGap >= 0) || (Number.isFinite(maxGap) && !Number.isInteger(maxGap))) {
    throw new ConfigError(`maxGap must be a non-negative whole number of periods (or Infinity), got ${maxGap}`);
  }
  if (!(maxShare >= 0 && maxShare <= 1)) throw new ConfigError(`maxShare must be between 0 and 1, got ${maxShare}`);
  return { maxGap, maxShare };
}

/** Where the rows of a series came from, for messages: the source name and a row's file line. */
export interface RowOrigin {
  source?: string;
  /** File line of input row i, or 0 when unknown. */
  line?: (i: number) => number;
}

/**
 * Checks, before any period is generated, that filling a series at `freq` stays within `limits`:
 * per column, the longest run of missing periods (absent rows and missing cells together) and
 * the share of the regular series to be filled. `order`/`idx` are the rows in date order and
 * their period indices.
 * @throws DataError naming the column, the gap's dates and the file lines around it, or the share
 * and the first imputed dates, and saying how to allow it.
 */
function enforceLimits(
  dates: readonly Timestamp[],
  columns: readonly ArrayLike<number>[],
  names: readonly string[],
  freq: Frequency,
  order: readonly number[],
  idx: readonly number[],
  limits: { maxGap: number; maxShare: number },
  origin: RowOrigin,
): void {
  const n = order.length;
  const periods = idx[n - 1]! - idx[0]! + 1;
  const src = origin.source !== undefined ? `${origin.source}, ` : "";
  const lineOf = (k: number): string => {
    const l = origin.line?.(order[k]!) ?? 0;
    return l > 0 ? `line ${l} (${formatDate(dates[order[k]!]!)})` : formatDate(dates[order[k]!]!);
  };
  const allow = `allow it with maxGap / maxShare (--max-gap, --max-imputed), or fix the data`;
  columns.forEach((col, j) => {
    let missing = 0;
    let run = 0;
    let runStart = -1; // first period index of the current run
    let worst = { len: 0, from: 0, to: 0, before: -1, after: -1 };
    const firstDates: number[] = [];
    const close = (k: number): void => {
      if (run > worst.len) worst = { len: run, from: runStart, to: runStart + run - 1, before: beforeRun, after: k };
      run = 0;
    };
    let beforeRun = -1;
    for (let k = 0; k < n; k++) {
      const absent = k > 0 ? idx[k]! - idx[k - 1]! - 1 : 0;
      if (absent > 0) {
        if (run === 0) {
          runStart = idx[k - 1]! + 1;
          beforeRun = k - 1;
        }
        run += absent;
        missing += absent;
        for (let p = idx[k - 1]! + 1; p < idx[k]! && firstDates.length < 5; p++) firstDates.push(periodStartFromIndex(p, freq));
      }
      if (Number.isNaN(col[order[k]!]!)) {
        if (run === 0) {
          runStart = idx[k]!;
          beforeRun = k - 1;
        }
        run++;
        missing++;
        if (firstDates.length < 5) firstDates.push(periodStartFromIndex(idx[k]!, freq));
      } else if (run > 0) close(k);
    }
    if (run > 0) close(-1);
    const name = names[j] ?? `column ${j}`;
    if (missing === periods) throw new DataError(`${src}column "${name}": impute: all ${periods} values are missing; nothing to impute from`);
    if (worst.len > limits.maxGap) {
      const span = worst.len === 1 ? formatDate(periodStartFromIndex(worst.from, freq), freq)
        : `${formatDate(periodStartFromIndex(worst.from, freq), freq)} … ${formatDate(periodStartFromIndex(worst.to, freq), freq)}`;
      const around = worst.before >= 0 && worst.after >= 0 ? `between ${lineOf(worst.before)} and ${lineOf(worst.after)}`
        : worst.before >= 0 ? `after ${lineOf(worst.before)}, to the end` : worst.after >= 0 ? `before ${lineOf(worst.after)}, from the start` : "";
      throw new DataError(
        `${src}column "${name}": ${worst.len} consecutive ${freq}s missing (${span}) ${around}, ` +
          `more than maxGap ${limits.maxGap} may be imputed; ${allow}`,
      );
    }
    if (missing > limits.maxShare * periods) {
      const pct = Math.round((1000 * missing) / periods) / 10;
      const first = firstDates.map((d) => formatDate(d, freq)).join(", ");
      throw new DataError(
        `${src}column "${name}": ${missing} of ${periods} ${freq}s (${pct} %) would be imputed (first: ${first}${missing > firstDates.length ? ", …" : ""}), ` +
          `more than maxShare ${Math.round(limits.maxShare * 1000) / 10} %; check the date column and its format (dateFormat), or ${allow}`,
      );
    }
  });
}

/** Missing periods found by {@link findGaps}. */
export interface Gaps {
  /** Start of each missing period. */
  dates: Timestamp[];
  /** Index of each missing period in the regular series spanning the data. */
  positions: number[];
  /** Length of that regular series (observed + missing periods). */
  periods: number;
}

function periodsOf(dates: readonly Timestamp[], freq: Frequency): { order: number[]; idx: number[] } {
  if (dates.length === 0) throw new DataError("no dates");
  const order = dates.map((_, i) => i).sort((a, b) => dates[a] - dates[b] || a - b);
  const idx = order.map((i) => periodIndex(dates[i], freq));
  for (let k = 1; k < idx.length; k++) {
    if (idx[k] === idx[k - 1]) {
      const a = dates[order[k - 1]];
      const b = dates[order[k]];
      const what = a === b ? `date ${formatDate(a)} appears twice` : `${formatDate(a)} and ${formatDate(b)} fall in the same ${freq}`;
      throw new DataError(
        `${what} (period ${formatDate(periodStartFromIndex(idx[k], freq), freq)}); ` +
          `the series is not regular at this frequency: resample or aggregate it first`,
      );
    }
  }
  return { order, idx };
}

/**
 * Finds the periods without an observation between the first and last date of a series
 * that should have one observation per period.
 * @throws DataError when two dates fall in the same period (the series is not regular at
 * `freq`).
 */
export function findGaps(dates: readonly Timestamp[], freq: Frequency): Gaps {
  const { order, idx } = periodsOf(dates, freq);
  const first = idx[0];
  const gaps: Gaps = {
    dates: [],
    positions: [],
    periods: periodCount(first, idx[idx.length - 1], freq, dates[order[0]], dates[order[order.length - 1]]),
  };
  for (let k = 1; k < idx.length; k++) {
    for (let p = idx[k - 1] + 1; p < idx[k]; p++) {
      gaps.positions.push(p - first);
      gaps.dates.push(periodStartFromIndex(p, freq));
    }
  }
  return gaps;
}

/** A series with one row per period; see {@link regularize}. */
export interface Regularized {
  /** Period starts, consecutive. */
  dates: Timestamp[];
  /** Columns with NaN at inserted periods. */
  values: Float64Array[];
  /** For each output row, the input row it came from, or -1 for an inserted period. */
  source: number[];
  /** The periods that were inserted. */
  inserted: Gaps;
}

/**
 * Puts a series on a regular grid: one row per period from the first to the last, dated by
 * period start, with NaN in inserted (missing) periods. Input need not be sorted.
 * @throws DataError when two dates fall in the same period, or column lengths differ.
 */
export function regularize(dates: readonly Timestamp[], columns: readonly ArrayLike<number>[], freq: Frequency): Regularized {
  for (const c of columns) {
    if (c.length !== dates.length) throw new DataError(`regularize: ${dates.length} dates but a column of ${c.length} values`);
  }
  const { order, idx } = periodsOf(dates, freq);
  return regularizeSorted(dates, columns, freq, order, idx);
}

function regularizeSorted(
  dates: readonly Timestamp[],
  columns: readonly ArrayLike<number>[],
  freq: Frequency,
  order: readonly number[],
  idx: readonly number[],
): Regularized {
  const first = idx[0];
  const count = periodCount(first, idx[idx.length - 1], freq, dates[order[0]], dates[order[order.length - 1]]);
  const source = new Array<number>(count).fill(-1);
  order.forEach((i, k) => (source[idx[k] - first] = i));
  const out: Regularized = {
    dates: Array.from({ length: count }, (_, p) => periodStartFromIndex(first + p, freq)),
    values: columns.map((c) => Float64Array.from(source, (i) => (i < 0 ? NaN : c[i]))),
    source,
    inserted: { dates: [], positions: [], periods: count },
  };
  source.forEach((i, p) => {
    if (i < 0) {
      out.inserted.positions.push(p);
      out.inserted.dates.push(out.dates[p]);
    }
  });
  return out;
}

/** Result of {@link fillMissingPeriods}. */
export interface FilledSeries {
  dates: Timestamp[];
  values: Float64Array;
  freq: Frequency;
  /** Periods that were absent from the input and inserted. */
  inserted: Timestamp[];
  /** Every filled value: inserted periods and NaNs already present, with dates. */
  report: ImputeReport;
}

/**
 * Regularises one series at `freq` (inferred from the dates when omitted), inserting
 * missing periods, then imputes all missing values and reports them.
 * @throws DataError as {@link regularize}, {@link impute} and {@link inferFrequency} do, and
 * when a gap or the share to fill exceeds `limits` (see {@link ImputeLimits}; checked before
 * any period is generated).
 */
export function fillMissingPeriods(
  dates: readonly Timestamp[],
  values: ArrayLike<number>,
  freq?: Frequency,
  method: ImputeMethod = "linear",
  limits?: ImputeLimits,
): FilledSeries {
  const lim = checkLimits(limits);
  const f = freq ?? inferFrequency(dates);
  if (values.length !== dates.length) throw new DataError(`regularize: ${dates.length} dates but a column of ${values.length} values`);
  const { order, idx } = periodsOf(dates, f);
  periodCount(idx[0]!, idx[idx.length - 1]!, f, dates[order[0]!]!, dates[order[order.length - 1]!]!);
  enforceLimits(dates, [values], ["value"], f, order, idx, lim, {});
  const reg = regularizeSorted(dates, [values], f, order, idx);
  const { values: filled, report } = impute(reg.values[0], method);
  report.dates = report.positions.map((p) => reg.dates[p]);
  return { dates: reg.dates, values: filled, freq: f, inserted: reg.inserted.dates, report };
}

/** Result of {@link regularizeSeries}. */
export interface RegularizedSeries {
  series: TimeSeries;
  freq: Frequency;
  /** Periods inserted because no row had them. */
  inserted: Timestamp[];
  /** Per column: every value filled (inserted periods and missing cells). */
  reports: Record<string, ImputeReport>;
}

/**
 * {@link fillMissingPeriods} for every column of a {@link TimeSeries}. Inserted rows get
 * line 0. The limits (see {@link ImputeLimits}) apply to each column.
 * @throws DataError naming the source, the column, the dates and lines of a gap too long, or
 * the share imputed, before anything is generated.
 */
export function regularizeSeries(
  series: TimeSeries,
  options: { freq?: Frequency; method?: ImputeMethod } & ImputeLimits = {},
): RegularizedSeries {
  const lim = checkLimits(options);
  const freq = options.freq ?? inferFrequency(series.dates);
  const method = options.method ?? "linear";
  let reg: Regularized;
  let order: number[];
  let idx: number[];
  try {
    for (const c of series.values) {
      if (c.length !== series.dates.length) throw new DataError(`regularize: ${series.dates.length} dates but a column of ${c.length} values`);
    }
    ({ order, idx } = periodsOf(series.dates, freq));
    periodCount(idx[0]!, idx[idx.length - 1]!, freq, series.dates[order[0]!]!, series.dates[order[order.length - 1]!]!);
  } catch (err) {
    throw new DataError(`${series.source}: ${(err as Error).message}`);
  }
  enforceLimits(series.dates, series.values, series.columns, freq, order, idx, lim, {
    source: series.source,
    line: (i) => series.lines[i] ?? 0,
  });
  reg = regularizeSorted(series.dates, series.values, freq, order, idx);
  const reports: Record<string, ImputeReport> = {};
  const values = reg.values.map((col, j) => {
    let res: { values: Float64Array; report: ImputeReport };
    try {
      res = impute(col, method);
    } catch (err) {
      throw new DataError(`${series.source}, column "${series.columns[j]}": ${(err as Error).message}`);
    }
    res.report.dates = res.report.positions.map((p) => reg.dates[p]);
    reports[series.columns[j]] = res.report;
    return res.values;
  });
  return {
    series: {
      source: series.source,
      dates: reg.dates,
      columns: [...series.columns],
      values,
      lines: reg.source.map((i) => (i < 0 ? 0 : series.lines[i])),
    },
    freq,
    inserted: reg.inserted.dates,
    reports,
  };
}

/**
 * One line for logs: `3 missing values imputed (linear): 2012-01-05, 2012-01-06, 2012-02`.
 * Lists at most `limit` dates (or positions when dates are unknown).
 */
export function describeImputation(report: ImputeReport, freq?: Frequency, limit = 10): string {
  if (report.count === 0) return "no missing values";
  const where = report.dates ? report.dates.map((d) => formatDate(d, freq)) : report.positions.map((p) => `#${p}`);
  const more = where.length > limit ? `, … (${where.length - limit} more)` : "";
  const noun = report.count === 1 ? "value" : "values";
  return `${report.count} missing ${noun} imputed (${report.method}): ${where.slice(0, limit).join(", ")}${more}`;
}
