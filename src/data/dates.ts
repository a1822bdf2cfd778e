// Calendar dates for time series: parsing the many date spellings found in CSV files,
// calendar periods (day … year), frequency inference and season lengths.

import { DataError } from "../tensor/errors.js";

/**
 * A point in time as milliseconds since 1970-01-01T00:00:00Z (the same number as
 * `Date.prototype.getTime()`), computed with proleptic-Gregorian arithmetic of our own.
 * We avoid `Date.UTC`/`new Date(string)` because they map years 0–99 to 1900–1999 and
 * parse non-ISO strings in local time; plain numbers also sort and compare exactly.
 */
export type Timestamp = number;

/** Regular frequencies a series can have or be resampled to. */
export type Frequency = "day" | "week" | "month" | "quarter" | "year";

/** All frequencies, finest first. */
export const FREQUENCIES: readonly Frequency[] = ["day", "week", "month", "quarter", "year"];

const MS_PER_DAY = 86_400_000;

/** A calendar date and time of day, all fields in UTC. */
export interface CivilDate {
  year: number;
  month: number; // 1–12
  day: number; // 1–31
  hour?: number;
  minute?: number;
  second?: number;
  millisecond?: number;
}

/** Days since 1970-01-01 of a proleptic-Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Inverse of {@link daysFromCivil}. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Builds a timestamp from calendar fields (UTC). Fields are not range-checked. */
export function makeTimestamp(c: CivilDate): Timestamp {
  return (
    daysFromCivil(c.year, c.month, c.day) * MS_PER_DAY +
    (c.hour ?? 0) * 3_600_000 +
    (c.minute ?? 0) * 60_000 +
    (c.second ?? 0) * 1000 +
    (c.millisecond ?? 0)
  );
}

/** Splits a timestamp into UTC calendar fields. */
export function toCivil(ts: Timestamp): Required<CivilDate> {
  const days = Math.floor(ts / MS_PER_DAY);
  let rest = ts - days * MS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  return { year, month, day, hour, minute, second, millisecond: rest - second * 1000 };
}

/** A JS Date for the timestamp (safe for any year, unlike `Date.UTC`). */
export function toDate(ts: Timestamp): Date {
  return new Date(ts);
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, "0");
  return n < 0 ? `-${s}` : s;
}

/**
 * Formats a timestamp for people: `2012-01-31`, or `2012-01-31T10:30:00Z` when it has a
 * time of day. With a frequency, as that period's label: `2012-01` (month), `2012-Q1`
 * (quarter), `2012` (year); days and weeks keep the full date.
 */
export function formatDate(ts: Timestamp, freq?: Frequency): string {
  const c = toCivil(ts);
  if (freq === "year") return pad(c.year, 4);
  if (freq === "quarter") return `${pad(c.year, 4)}-Q${Math.floor((c.month - 1) / 3) + 1}`;
  if (freq === "month") return `${pad(c.year, 4)}-${pad(c.month, 2)}`;
  const date = `${pad(c.year, 4)}-${pad(c.month, 2)}-${pad(c.day, 2)}`;
  if (freq !== undefined || (c.hour === 0 && c.minute === 0 && c.second === 0 && c.millisecond === 0)) return date;
  const ms = c.millisecond ? `.${pad(c.millisecond, 3)}` : "";
  return `${date}T${pad(c.hour, 2)}:${pad(c.minute, 2)}:${pad(c.second, 2)}${ms}Z`;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Number of days in a month of a (proleptic Gregorian) year. */
export function daysInMonth(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

const MONTHS: Record<string, number> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5,
  jun: 6, june: 6, jul: 7, july: 7, aug: 8, august: 8, sep: 9, sept: 9, september: 9,
  oct: 10, october: 10, nov: 11, november: 11, dec: 12, december: 12,
};

/** Where a value came from, used to make error messages point at the file line. */
export interface DateContext {
  /** File or data-set name, e.g. `weather.csv`. */
  source?: string;
  /** File line (header is line 1). */
  line?: number;
  /** Read `a/b/yyyy` as day/month (European) instead of the default month/day (US). */
  dayFirst?: boolean;
}

const FORMATS_HINT =
  "expected e.g. 2012-01-31, 2012-01-31T10:00, 2012-01, 2012/01, 2012, 2012-Q1, 2012M01, " +
  "Jan 31 2012, January 31, 2012, 31 Jan 2012, 01/31/2012 (US) or 31.01.2012";

function where(ctx: DateContext | undefined): string {
  if (!ctx) return "";
  if (ctx.source !== undefined && ctx.line !== undefined) return `${ctx.source} line ${ctx.line}: `;
  if (ctx.source !== undefined) return `${ctx.source}: `;
  if (ctx.line !== undefined) return `line ${ctx.line}: `;
  return "";
}

// Optional time of day after a date: "T10:00", " 10:00:00", " 10:00:00.250Z", "T10:00+02:00".
const TIME = String.raw`(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?`;
const RE_YMD = new RegExp(String.raw`^(\d{4})([-/])(\d{1,2})\2(\d{1,2})${TIME}$`, "i");
const RE_SLASH_DMY = new RegExp(String.raw`^(\d{1,2})/(\d{1,2})/(\d{4})${TIME}$`, "i");
const RE_DOT_DMY = new RegExp(String.raw`^(\d{1,2})\.(\d{1,2})\.(\d{4})${TIME}$`, "i");
const RE_YM = /^(\d{4})(?:[-/]|M)(\d{1,2})$/i;
const RE_YQ = /^(\d{4})[- ]?Q([1-4])$/i;
const RE_QY = /^Q([1-4])[- ]?(\d{4})$/i;
const RE_Y = /^(\d{4})$/;
const RE_MON_D_Y = /^([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$/i;
const RE_D_MON_Y = /^(\d{1,2})[\s-]+([a-z]+)\.?,?[\s-]+(\d{4})$/i;
const RE_MON_Y = /^([a-z]+)\.?,?\s+(\d{4})$/i;

/**
 * Parses one date string to a {@link Timestamp} (UTC). Accepted forms:
 * ISO `2012-01-31` / `2012/01/31`, optionally with a time `T10:00`, ` 10:00:00`, `Z` or an
 * offset; year-month `2012-01`, `2012/01`, `2012M01`; quarter `2012-Q1`, `2012Q1`, `Q1 2012`;
 * year `1875`; month names `Jan 31 2012`, `January 31, 2012`, `31 Jan 2012`, `Jan 2012`;
 * `01/31/2012` (US month/day, or day/month with `dayFirst`) and `31.01.2012`.
 * Month, quarter and year forms give the first day of the period. Years 1000–9999.
 * @throws DataError naming the line (when `ctx` has one), the value and the reason.
 */
export function parseDate(text: string, ctx?: DateContext): Timestamp {
  const s = text.trim();
  const fail = (why: string): never => {
    throw new DataError(`${where(ctx)}cannot parse date "${text}": ${why}`);
  };
  const build = (y: number, mo: number, d: number, m?: RegExpMatchArray, at = 0): Timestamp => {
    if (mo < 1 || mo > 12) fail(`month ${mo} is not between 1 and 12`);
    if (d < 1 || d > daysInMonth(y, mo)) fail(`day ${d} does not exist in ${pad(y, 4)}-${pad(mo, 2)}`);
    let ts = makeTimestamp({ year: y, month: mo, day: d });
    if (m && m[at] !== undefined) {
      const h = Number(m[at]);
      const mi = Number(m[at + 1]);
      const sec = m[at + 2] !== undefined ? Number(m[at + 2]) : 0;
      const frac = m[at + 3] !== undefined ? Number(`0.${m[at + 3]}`) : 0;
      if (h > 23 || mi > 59 || sec > 59) fail("time of day out of range");
      ts += h * 3_600_000 + mi * 60_000 + sec * 1000 + Math.round(frac * 1000);
      const tz = m[at + 4];
      if (tz !== undefined && tz.toUpperCase() !== "Z") {
        const sign = tz[0] === "-" ? -1 : 1;
        const digits = tz.slice(1).replace(":", "");
        // An offset says local time = UTC + offset, so UTC = local − offset.
        ts -= sign * (Number(digits.slice(0, 2)) * 3_600_000 + Number(digits.slice(2)) * 60_000);
      }
    }
    return ts;
  };
  const monthName = (name: string): number => {
    const mo = MONTHS[name.toLowerCase()];
    if (mo === undefined) fail(`unknown month name "${name}"`);
    return mo;
  };

  if (s === "") fail("empty value");
  let m: RegExpMatchArray | null;
  if ((m = s.match(RE_YMD))) return build(+m[1], +m[3], +m[4], m, 5);
  if ((m = s.match(RE_YM))) return build(+m[1], +m[2], 1);
  if ((m = s.match(RE_YQ))) return build(+m[1], (+m[2] - 1) * 3 + 1, 1);
  if ((m = s.match(RE_QY))) return build(+m[2], (+m[1] - 1) * 3 + 1, 1);
  if ((m = s.match(RE_Y))) return build(+m[1], 1, 1);
  if ((m = s.match(RE_SLASH_DMY))) {
    return ctx?.dayFirst ? build(+m[3], +m[2], +m[1], m, 4) : build(+m[3], +m[1], +m[2], m, 4);
  }
  if ((m = s.match(RE_DOT_DMY))) return build(+m[3], +m[2], +m[1], m, 4);
  if ((m = s.match(RE_MON_D_Y))) return build(+m[3], monthName(m[1]), +m[2]);
  if ((m = s.match(RE_D_MON_Y))) return build(+m[3], monthName(m[2]), +m[1]);
  if ((m = s.match(RE_MON_Y))) return build(+m[2], monthName(m[1]), 1);
  return fail(FORMATS_HINT);
}

/** Whether a string names a {@link Frequency}. */
export function isFrequency(s: string): s is Frequency {
  return (FREQUENCIES as readonly string[]).includes(s);
}

/**
 * Index of the calendar period holding `ts`, consecutive for consecutive periods, so
 * gaps are differences of indices. Weeks start on Monday (ISO 8601).
 */
export function periodIndex(ts: Timestamp, freq: Frequency): number {
  const days = Math.floor(ts / MS_PER_DAY);
  switch (freq) {
    case "day":
      return days;
    case "week":
      // 1970-01-01 was a Thursday; shifting by 3 puts week boundaries on Mondays.
      return Math.floor((days + 3) / 7);
    case "month": {
      const c = civilFromDays(days);
      return c.year * 12 + c.month - 1;
    }
    case "quarter": {
      const c = civilFromDays(days);
      return c.year * 4 + Math.floor((c.month - 1) / 3);
    }
    case "year":
      return civilFromDays(days).year;
  }
}

/** Start (00:00 UTC of the first day) of the period with the given {@link periodIndex}. */
export function periodStartFromIndex(index: number, freq: Frequency): Timestamp {
  switch (freq) {
    case "day":
      return index * MS_PER_DAY;
    case "week":
      return (index * 7 - 3) * MS_PER_DAY;
    case "month":
      return makeTimestamp({ year: Math.floor(index / 12), month: (((index % 12) + 12) % 12) + 1, day: 1 });
    case "quarter":
      return makeTimestamp({ year: Math.floor(index / 4), month: (((index % 4) + 4) % 4) * 3 + 1, day: 1 });
    case "year":
      return makeTimestamp({ year: index, month: 1, day: 1 });
  }
}

/** Start of the period holding `ts` — the label resampled values carry. */
export function periodStart(ts: Timestamp, freq: Frequency): Timestamp {
  return periodStartFromIndex(periodIndex(ts, freq), freq);
}

/** Start of the period `k` periods after the one holding `ts` (k may be negative). */
export function addPeriods(ts: Timestamp, freq: Frequency, k: number): Timestamp {
  return periodStartFromIndex(periodIndex(ts, freq) + k, freq);
}

/**
 * Infers the frequency of sorted (or unsorted) dates from the median gap between
 * distinct consecutive dates, in days: < 4 → day (so business days still count as daily),
 * < 20 → week, < 60 → month, < 150 → quarter, < 500 → year. The median keeps it right
 * when months have 28–31 days or a few periods are missing.
 * @throws DataError with fewer than two distinct dates, or spacing finer than a day or
 * coarser than a year.
 */
export function inferFrequency(dates: readonly Timestamp[]): Frequency {
  const sorted = [...new Set(dates)].sort((a, b) => a - b);
  if (sorted.length < 2) {
    throw new DataError(`cannot infer a frequency from ${sorted.length} distinct date(s); give the frequency explicitly`);
  }
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++) gaps.push((sorted[i] - sorted[i - 1]) / MS_PER_DAY);
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  const median = gaps.length % 2 ? gaps[mid] : (gaps[mid - 1] + gaps[mid]) / 2;
  if (median < 0.5) {
    const hours = Math.round(median * 24 * 100) / 100;
    throw new DataError(`dates are ${hours} hour(s) apart (median); finer than daily is not supported: resample to "day"`);
  }
  if (median < 4) return "day";
  if (median < 20) return "week";
  if (median < 60) return "month";
  if (median < 150) return "quarter";
  if (median < 500) return "year";
  throw new DataError(`dates are ${Math.round(median)} days apart (median); coarser than yearly is not supported`);
}

/**
 * Number of periods in one seasonal cycle, used for seasonal baselines and features:
 * day → 7 (weekly cycle), week → 52, month → 12, quarter → 4, year → 1 (no seasonality).
 */
export function seasonLength(freq: Frequency): number {
  switch (freq) {
    case "day":
      return 7;
    case "week":
      return 52;
    case "month":
      return 12;
    case "quarter":
      return 4;
    case "year":
      return 1;
  }
}
