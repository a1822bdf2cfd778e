// Missing data in regular series: finding missing periods, inserting them, and filling
// NaNs. Every fill comes with a report so nothing is imputed silently.

import { DataError } from "../tensor/errors.js";
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
  const { idx } = periodsOf(dates, freq);
  const first = idx[0];
  const gaps: Gaps = { dates: [], positions: [], periods: idx[idx.length - 1] - first + 1 };
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
  const first = idx[0];
  const count = idx[idx.length - 1] - first + 1;
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
 * @throws DataError as {@link regularize}, {@link impute} and {@link inferFrequency} do.
 */
export function fillMissingPeriods(
  dates: readonly Timestamp[],
  values: ArrayLike<number>,
  freq?: Frequency,
  method: ImputeMethod = "linear",
): FilledSeries {
  const f = freq ?? inferFrequency(dates);
  const reg = regularize(dates, [values], f);
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
 * line 0.
 */
export function regularizeSeries(
  series: TimeSeries,
  options: { freq?: Frequency; method?: ImputeMethod } = {},
): RegularizedSeries {
  const freq = options.freq ?? inferFrequency(series.dates);
  const method = options.method ?? "linear";
  let reg: Regularized;
  try {
    reg = regularize(series.dates, series.values, freq);
  } catch (err) {
    throw new DataError(`${series.source}: ${(err as Error).message}`);
  }
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
