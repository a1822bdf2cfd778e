// Resampling irregular or finer observations to calendar periods (day … year). Every period
// inside the covered span is kept; one with no observations is NaN so gaps stay visible.

import { DataError } from "../tensor/errors.js";
import { formatDate, periodIndex, periodStartFromIndex, type Frequency, type Timestamp } from "./dates.js";
import type { TimeSeries } from "./frame.js";

/** How the observations falling into one period are combined. */
export type Aggregation = "mean" | "median" | "sum" | "min" | "max" | "last" | "first";

/** All aggregations. */
export const AGGREGATIONS: readonly Aggregation[] = ["mean", "median", "sum", "min", "max", "last", "first"];

/**
 * Combines values (in time order, no NaN) into one. An empty list gives NaN.
 */
export function aggregate(xs: ArrayLike<number>, agg: Aggregation): number {
  const n = xs.length;
  if (n === 0) return NaN;
  switch (agg) {
    case "first":
      return xs[0];
    case "last":
      return xs[n - 1];
    case "sum":
    case "mean": {
      let s = 0;
      for (let i = 0; i < n; i++) s += xs[i];
      return agg === "sum" ? s : s / n;
    }
    case "min": {
      let m = Infinity;
      for (let i = 0; i < n; i++) if (xs[i] < m) m = xs[i];
      return m;
    }
    case "max": {
      let m = -Infinity;
      for (let i = 0; i < n; i++) if (xs[i] > m) m = xs[i];
      return m;
    }
    case "median": {
      const s = Array.from(xs).sort((a, b) => a - b);
      const mid = n >> 1;
      return n % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    }
  }
}

/**
 * Hard bound on the length of a regular grid (10 million periods) whatever the limits: checked
 * before anything is generated, so an absurd date fails at once instead of filling memory.
 */
export const MAX_PERIODS = 10_000_000;

/**
 * Number of periods from index `first` to `last` (inclusive), checked against {@link MAX_PERIODS}
 * before anything is allocated; `from`/`to` are the dates named in the error.
 * @throws DataError for a span too long.
 */
export function periodCount(first: number, last: number, freq: Frequency, from: Timestamp, to: Timestamp): number {
  const count = last - first + 1;
  if (!(count <= MAX_PERIODS)) {
    throw new DataError(
      `${formatDate(from)} to ${formatDate(to)} spans ${count} ${freq}s, more than the ${MAX_PERIODS} a series may have; ` +
        `check the dates (a wrong year?) or resample to a coarser frequency`,
    );
  }
  return count;
}

/** Result of {@link resample}. */
export interface Resampled {
  /** Start of each period, consecutive from the first observation's period to the last's. */
  dates: Timestamp[];
  /** Aggregated value per period; NaN for a missing period (no observation). */
  values: Float64Array;
  /** Number of (non-NaN) observations per period. */
  counts: Int32Array;
}

/** Options for {@link resample}. */
export interface ResampleOptions {
  freq: Frequency;
  agg: Aggregation;
}

/**
 * Aggregates observations into calendar periods labelled by their start (weeks start on
 * Monday). Dates need not be sorted; `first`/`last` follow date order, then input order.
 * NaN observations are ignored. With `sum`, the total over non-missing periods equals the
 * total of the non-NaN inputs.
 * @throws DataError when there are no dates or lengths differ.
 */
export function resample(dates: readonly Timestamp[], values: ArrayLike<number>, options: ResampleOptions): Resampled {
  const n = dates.length;
  if (n === 0) throw new DataError("resample: no observations");
  if (values.length !== n) throw new DataError(`resample: ${n} dates but ${values.length} values`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dates[a] - dates[b] || a - b);
  const periods = order.map((i) => periodIndex(dates[i], options.freq));
  const first = periods[0];
  const count = periodCount(first, periods[n - 1], options.freq, dates[order[0]], dates[order[n - 1]]);
  const buckets: number[][] = Array.from({ length: count }, () => []);
  order.forEach((i, k) => {
    const v = values[i];
    if (!Number.isNaN(v)) buckets[periods[k] - first].push(v);
  });
  const out: Resampled = { dates: [], values: new Float64Array(count), counts: new Int32Array(count) };
  buckets.forEach((b, p) => {
    out.dates.push(periodStartFromIndex(first + p, options.freq));
    out.values[p] = aggregate(b, options.agg);
    out.counts[p] = b.length;
  });
  return out;
}

/**
 * Resamples every column of a series; `agg` may differ per column (e.g. precipitation
 * `sum`, temperature `mean`). Row lines become 0, since periods do not map to one line.
 * @throws DataError when a per-column map lacks a column.
 */
export function resampleSeries(
  series: TimeSeries,
  freq: Frequency,
  agg: Aggregation | Readonly<Record<string, Aggregation>>,
): TimeSeries {
  let dates: Timestamp[] = [];
  const values = series.columns.map((c, j) => {
    const a = typeof agg === "string" ? agg : agg[c];
    if (a === undefined) throw new DataError(`resample: no aggregation given for column "${c}"`);
    const r = resample(series.dates, series.values[j], { freq, agg: a });
    dates = r.dates;
    return r.values;
  });
  if (series.columns.length === 0) dates = resample(series.dates, new Float64Array(series.dates.length), { freq, agg: "sum" }).dates;
  return { source: series.source, dates, columns: [...series.columns], values, lines: dates.map(() => 0) };
}

/**
 * {@link resample} over rows already in date order (`order[k]` is the k-th row, or row k when
 * `order` is null), read through accessors so that columns too large for one array can stay in
 * blocks: memory beyond the input is one value per period plus the largest period's values (for
 * the median). NaN values are ignored; `first`/`last` follow `order`.
 * @throws DataError when there are no rows or the span exceeds {@link MAX_PERIODS}.
 */
export function resampleOrdered(
  n: number,
  dateAt: (i: number) => number,
  valueAt: (i: number) => number,
  order: ArrayLike<number> | null,
  options: ResampleOptions,
): Resampled {
  if (n === 0) throw new DataError("resample: no observations");
  const { freq, agg } = options;
  const row = (k: number): number => (order === null ? k : order[k]!);
  const first = periodIndex(dateAt(row(0)), freq);
  const count = periodCount(first, periodIndex(dateAt(row(n - 1)), freq), freq, dateAt(row(0)), dateAt(row(n - 1)));
  const out: Resampled = { dates: new Array<number>(count), values: new Float64Array(count).fill(NaN), counts: new Int32Array(count) };
  for (let p = 0; p < count; p++) out.dates[p] = periodStartFromIndex(first + p, freq);
  let scratch = new Float64Array(64);
  let used = 0;
  let current = first;
  const flush = (): void => {
    out.values[current - first] = aggregate(scratch.subarray(0, used), agg);
    out.counts[current - first] = used;
    used = 0;
  };
  for (let k = 0; k < n; k++) {
    const i = row(k);
    const p = periodIndex(dateAt(i), freq);
    if (p !== current) {
      flush();
      current = p;
    }
    const v = valueAt(i);
    if (Number.isNaN(v)) continue;
    if (used === scratch.length) {
      const bigger = new Float64Array(used * 2);
      bigger.set(scratch);
      scratch = bigger;
    }
    scratch[used++] = v;
  }
  flush();
  return out;
}
