// Covariates of a forecast: extra input columns beside the target. Two kinds:
//   past features (`--features a,b`): observed with the target, known only up to the origin;
//     their lags enter each window;
//   known-future covariates: calendar features computed from the dates (month or day of the week,
//     cyclic sin/cos) and columns given with values for the horizon too (`--future holiday`:
//     planned events, holidays), read H steps ahead so the window's last H steps carry the
//     horizon's values.
// Every column is standardised by a mean and sd fitted on the training span only; the scalers,
// the column names and the known-future values travel with a saved forecaster.

import { ConfigError, DataError } from "../tensor/errors.js";
import {
  readCsv, filterRows, toTimeSeries, resampleSeries, formatDate, addPeriods, toCivil,
  type Frequency, type Timestamp, type Aggregation, type Frame,
} from "../data/index.js";
import type { CovariateInputs } from "./network.js";

/** Calendar features: "month" (12-month cycle), "dayofweek" (7-day cycle), "auto" (by frequency), "none". */
export type CalendarChoice = "none" | "auto" | "month" | "dayofweek";
/** The calendar features once resolved for a frequency. */
export type Calendar = "none" | "month" | "dayofweek";
export const CALENDARS: readonly CalendarChoice[] = ["none", "auto", "month", "dayofweek"];

/** Which covariates a forecast uses. */
export interface CovariateOptions {
  /** Past features: columns observed with the target; their lags enter the windows. */
  features?: string[];
  /** Known-future columns (holidays, planned events): the CSV must hold their values for the horizon. */
  future?: string[];
  /** Calendar features from the dates, known for every future date. Default "none". */
  calendar?: CalendarChoice;
}

/** Raw covariate values by column, aligned on the series: past ones n long, known-future ones n + H. */
export interface CovariateValues {
  past: Record<string, Float64Array>;
  future: Record<string, Float64Array>;
}

/** A column's standardisation, fitted on the training span. */
export interface CovariateScaler {
  column: string;
  mean: number;
  sd: number;
}

/** Everything needed to turn raw covariates into network inputs again (saved with a forecaster). */
export interface CovariatePlan {
  features: string[];
  future: string[];
  calendar: Calendar;
  /** One per feature, then one per future column, in that order. */
  scalers: CovariateScaler[];
}

/** Whether any covariate is asked for. */
export function hasCovariates(o: CovariateOptions | undefined): boolean {
  return !!o && ((o.features?.length ?? 0) > 0 || (o.future?.length ?? 0) > 0 || (o.calendar !== undefined && o.calendar !== "none"));
}

/** "auto" by frequency: day → day of the week, week and month → month of the year, quarter and year → none. */
export function resolveCalendar(choice: CalendarChoice | undefined, freq: Frequency): Calendar {
  const c = choice ?? "none";
  if (!CALENDARS.includes(c)) throw new ConfigError(`forecast: unknown calendar ${JSON.stringify(c)}; choose one of ${CALENDARS.join(", ")}`);
  if (c === "auto") return freq === "day" ? "dayofweek" : freq === "week" || freq === "month" ? "month" : "none";
  if (c === "dayofweek" && freq !== "day") throw new ConfigError(`forecast: calendar dayofweek needs daily data; the series is ${freq}ly`);
  return c;
}

/** Cyclic calendar channels (sin, cos) for each date: of the month (0–11) or the day of the week (0–6). */
export function calendarChannels(calendar: Calendar, dates: readonly Timestamp[]): Float64Array[] {
  if (calendar === "none") return [];
  const period = calendar === "month" ? 12 : 7;
  const sin = new Float64Array(dates.length);
  const cos = new Float64Array(dates.length);
  dates.forEach((d, i) => {
    // Day 0 of the Unix epoch was a Thursday; (days + 3) mod 7 counts from Monday.
    const p = calendar === "month" ? toCivil(d).month - 1 : (((Math.floor(d / 86_400_000) + 3) % 7) + 7) % 7;
    sin[i] = Math.sin((2 * Math.PI * p) / period);
    cos[i] = Math.cos((2 * Math.PI * p) / period);
  });
  return [sin, cos];
}

function meanSd(x: ArrayLike<number>, end: number): { mean: number; sd: number } {
  let s = 0;
  for (let i = 0; i < end; i++) s += x[i]!;
  const mean = s / end;
  let v = 0;
  for (let i = 0; i < end; i++) v += (x[i]! - mean) ** 2;
  const sd = Math.sqrt(v / Math.max(1, end - 1));
  return { mean, sd: sd > 0 ? sd : 1 };
}

/**
 * Fits each column's mean and sd on the training span (indices below `trainEnd`) only, so nothing
 * from the test span or the future reaches the scaling.
 */
export function fitCovariatePlan(o: CovariateOptions, values: CovariateValues, trainEnd: number, freq: Frequency): CovariatePlan {
  const features = o.features ?? [];
  const future = o.future ?? [];
  const scalers = [
    ...features.map((c) => ({ column: c, ...meanSd(values.past[c]!, trainEnd) })),
    ...future.map((c) => ({ column: c, ...meanSd(values.future[c]!, trainEnd) })),
  ];
  return { features, future, calendar: resolveCalendar(o.calendar, freq), scalers };
}

/**
 * The network inputs of a plan: scaled past features, and the known-future channels (scaled
 * future columns, then the calendar's sin and cos) over `dates`, which must run H periods past
 * the last value.
 * @throws DataError when a column is missing or too short.
 */
export function covariateInputs(plan: CovariatePlan, values: CovariateValues, dates: readonly Timestamp[], n: number, H: number): CovariateInputs {
  const scale = (x: ArrayLike<number>, s: CovariateScaler): Float64Array => Float64Array.from(x as ArrayLike<number>, (v) => (v - s.mean) / s.sd);
  const past = plan.features.map((c, k) => {
    const x = values.past[c];
    if (!x || x.length < n) throw new DataError(`covariates: feature "${c}" has ${x?.length ?? 0} values; the series has ${n}`);
    return scale(x, plan.scalers[k]!);
  });
  const known = plan.future.map((c, k) => {
    const x = values.future[c];
    if (!x || x.length < n + H) throw new DataError(`covariates: the known-future column "${c}" has ${x?.length ?? 0} values; ${n + H} are needed (the series and ${H} steps past it)`);
    return scale(x, plan.scalers[plan.features.length + k]!);
  });
  if (dates.length < n + H) throw new DataError(`covariates: ${dates.length} dates given; ${n + H} are needed`);
  known.push(...calendarChannels(plan.calendar, dates.slice(0, n + H)));
  return { past, known };
}

/** How to read the covariates from a CSV: as the target was read (date column, filters, resampling). */
export interface ReadCovariatesOptions {
  date?: string;
  where?: string[];
  /** The series' frequency; rows are aggregated to it when the file's own is finer. */
  freq: Frequency;
  agg?: Aggregation;
  /** The series' dates (regular period starts); values are aligned on them. */
  dates: readonly Timestamp[];
  /** Steps past the last date that the known-future columns must cover. */
  horizon: number;
}

/** The n regular dates and the H after them. */
export function extendDates(dates: readonly Timestamp[], freq: Frequency, H: number): Timestamp[] {
  const last = dates[dates.length - 1]!;
  return [...dates, ...Array.from({ length: H }, (_, h) => addPeriods(last, freq, h + 1))];
}

/** Fills NaN runs strictly inside x[0..end) by linear interpolation; returns how many were filled, or throws at the ends. */
function fillInside(x: Float64Array, end: number, what: string, dates: readonly Timestamp[], freq: Frequency): number {
  let filled = 0;
  for (let i = 0; i < end; i++) {
    if (!Number.isNaN(x[i]!)) continue;
    let j = i;
    while (j < end && Number.isNaN(x[j]!)) j++;
    if (i === 0 || j === end) {
      throw new DataError(`covariates: ${what} has no value at ${formatDate(dates[i === 0 ? 0 : end - 1]!, freq)} (${i === 0 ? "the first" : "the last"} period of the series); fill it in the file`);
    }
    for (let k = i; k < j; k++) x[k] = x[i - 1]! + ((x[j]! - x[i - 1]!) * (k - i + 1)) / (j - i + 1);
    filled += j - i;
    i = j;
  }
  return filled;
}

/**
 * Reads the covariate columns from a CSV file as the target was read, aligned on the series'
 * dates (known-future ones also on the H dates after them). Missing cells inside the series are
 * interpolated linearly (said in the notes).
 * @throws DataError for a missing column (listing the columns), a non-numeric cell (with its
 * line), a known-future column without values for the horizon (naming the first missing date).
 */
export function readCovariates(path: string, o: CovariateOptions, r: ReadCovariatesOptions): CovariateValues & { notes: string[] } {
  return covariatesFromFrame(readCsv(path), o, r);
}

/** {@link readCovariates} from a parsed frame (e.g. CSV text given by `parseCsv`). */
export function covariatesFromFrame(frame: Frame, o: CovariateOptions, r: ReadCovariatesOptions): CovariateValues & { notes: string[] } {
  const features = o.features ?? [];
  const future = o.future ?? [];
  const notes: string[] = [];
  const out: CovariateValues & { notes: string[] } = { past: {}, future: {}, notes };
  if (features.length + future.length === 0) return out;
  const clash = features.find((c) => future.includes(c));
  if (clash) throw new ConfigError(`covariates: "${clash}" is both a feature and a known-future column; name it once`);
  const rows = r.where && r.where.length > 0 ? filterRows(frame, r.where) : frame;
  const date = r.date ?? frame.columns.find((c) => /^(date|time|timestamp|datetime|month|period|day|week|year|ds)$/i.test(c)) ?? frame.columns[0]!;
  let ts = toTimeSeries(rows, { date, values: [...features, ...future], duplicates: r.agg ?? "mean" });
  ts = resampleSeries(ts, r.freq, r.agg ?? "mean");
  const index = new Map<number, number>();
  ts.dates.forEach((d, i) => index.set(d, i));
  const n = r.dates.length;
  const all = extendDates(r.dates, r.freq, r.horizon);
  const column = (c: string, len: number): Float64Array => {
    const j = ts.columns.indexOf(c);
    const src = ts.values[j]!;
    return Float64Array.from({ length: len }, (_, i) => {
      const k = index.get(all[i]!);
      return k === undefined ? NaN : src[k]!;
    });
  };
  for (const c of features) {
    const name = ts.columns[features.indexOf(c)]!;
    const x = column(name, n);
    const filled = fillInside(x, n, `feature "${name}"`, r.dates, r.freq);
    if (filled > 0) notes.push(`feature "${name}": ${filled} missing value(s) interpolated linearly`);
    out.past[c] = x;
  }
  for (const c of future) {
    const name = ts.columns[features.length + future.indexOf(c)]!;
    const x = column(name, n + r.horizon);
    for (let h = 0; h < r.horizon; h++) {
      if (Number.isNaN(x[n + h]!)) {
        throw new DataError(
          `covariates: the known-future column "${name}" has no value for ${formatDate(all[n + h]!, r.freq)}; the forecast needs its values for the ` +
            `${r.horizon} periods ${formatDate(all[n]!, r.freq)} to ${formatDate(all[n + r.horizon - 1]!, r.freq)}: add rows with those dates ` +
            `(the target may be empty), or pass it as --features (past values only)`,
        );
      }
    }
    const filled = fillInside(x, n, `known-future column "${name}"`, r.dates, r.freq);
    if (filled > 0) notes.push(`known-future column "${name}": ${filled} missing value(s) interpolated linearly`);
    out.future[c] = x;
  }
  return out;
}

/** Label for notes and tables: "features precipitation, wind; future holiday; calendar month". */
export function describeCovariates(plan: CovariatePlan): string {
  const parts: string[] = [];
  if (plan.features.length) parts.push(`features ${plan.features.join(", ")} (past values)`);
  if (plan.future.length) parts.push(`known-future ${plan.future.join(", ")}`);
  if (plan.calendar !== "none") parts.push(`calendar ${plan.calendar} (sin, cos)`);
  return parts.join("; ") || "none";
}
