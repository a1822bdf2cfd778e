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
  /** Accept only this spelling (see {@link DateFormat}); "auto" (default) accepts them all. */
  format?: DateFormat;
}

/**
 * How a column's dates are spelled. "auto" accepts every form {@link parseDate} knows, reading
 * `a/b/yyyy` as whichever of day/month and month/day the whole column allows (see
 * {@link DateColumnReader}). The others accept that form only:
 * - "YYYY-MM-DD": `2012-01-31` or `2012/01/31`, optionally with a time of day and a zone;
 * - "DD/MM/YYYY", "MM/DD/YYYY": `31/01/2012`, `01/31/2012`, optionally with a time of day;
 * - "DD.MM.YYYY": `31.01.2012`;
 * - "YYYY-MM": `2012-01`, `2012/01`, `2012M01`; "YYYY-Q": `2012-Q1`, `2012Q1`, `Q1 2012`;
 * - "YYYY": a plain year, `2012`.
 */
export type DateFormat = "auto" | "YYYY-MM-DD" | "DD/MM/YYYY" | "MM/DD/YYYY" | "DD.MM.YYYY" | "YYYY-MM" | "YYYY-Q" | "YYYY";

/** All date formats. */
export const DATE_FORMATS: readonly DateFormat[] = ["auto", "YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY", "YYYY-MM", "YYYY-Q", "YYYY"];

/** Whether a string names a {@link DateFormat}. */
export function isDateFormat(s: unknown): s is DateFormat {
  return typeof s === "string" && (DATE_FORMATS as readonly string[]).includes(s);
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
        if (Number(digits.slice(0, 2)) > 23 || Number(digits.slice(2)) > 59) fail(`time zone offset ${tz} out of range`);
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
  const format = ctx?.format ?? "auto";
  if (format !== "auto") {
    const not = (): never => fail(`not a ${format} date (the date format asked for)`);
    switch (format) {
      case "YYYY-MM-DD":
        return (m = s.match(RE_YMD)) ? build(+m[1], +m[3], +m[4], m, 5) : not();
      case "DD/MM/YYYY":
        return (m = s.match(RE_SLASH_DMY)) ? build(+m[3], +m[2], +m[1], m, 4) : not();
      case "MM/DD/YYYY":
        return (m = s.match(RE_SLASH_DMY)) ? build(+m[3], +m[1], +m[2], m, 4) : not();
      case "DD.MM.YYYY":
        return (m = s.match(RE_DOT_DMY)) ? build(+m[3], +m[2], +m[1], m, 4) : not();
      case "YYYY-MM":
        return (m = s.match(RE_YM)) ? build(+m[1], +m[2], 1) : not();
      case "YYYY-Q":
        if ((m = s.match(RE_YQ))) return build(+m[1], (+m[2] - 1) * 3 + 1, 1);
        return (m = s.match(RE_QY)) ? build(+m[2], (+m[1] - 1) * 3 + 1, 1) : not();
      case "YYYY":
        return (m = s.match(RE_Y)) ? build(+m[1], 1, 1) : not();
      default:
        return fail(`unknown date format "${String(format)}"; expected one of ${DATE_FORMATS.join(", ")}`);
    }
  }
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

/** Whether a column name suggests dates or years (`date`, `Year`, `timestamp`, `period`, `ds`, …). */
export function isDateLikeName(name: string): boolean {
  return /date|time|year|period|month|quarter|week|day|^\s*(ds|yr)\s*$/i.test(name);
}

/** Whether a cell looks like a plain integer (which {@link parseDate} would read as a year). */
export function isPlainInteger(text: string): boolean {
  return /^\s*[+-]?\d+\s*$/.test(text);
}

// Undecided `a/b/yyyy` values are stored as ENCODED_BASE + ((y·32 + a)·32 + b)·2^28 + (time of
// day + 24 h), far above any timestamp of years 0–9999 (< 2.6e14) and below 2^53.
const ENCODED_BASE = 1e15;
const TOD_SPAN = 2 ** 28;
const TOD_SHIFT = 24 * 3_600_000;

/** Options of a {@link DateColumnReader}. */
export interface DateColumnOptions {
  /** The column's spelling; default "auto". */
  dateFormat?: DateFormat;
  /** Legacy switch: read every `a/b/yyyy` as day/month (true) or month/day (false), no detection. */
  dayFirst?: boolean;
}

/**
 * Reads one column of dates, value by value (so a file can be streamed), and decides once the
 * whole column is seen how to read `a/b/yyyy`: day/month if some first field exceeds 12,
 * month/day if some second field does, and a DataError if no field anywhere tells them apart.
 * Plain 4-digit numbers are read as years only when the column is named like a date or year
 * column, or with dateFormat "YYYY": an id column 1001, 1002, … is not a calendar.
 *
 * `read` returns a timestamp, or for an undecided `a/b/yyyy` a code that {@link finish} turns
 * into the timestamp in place.
 */
export class DateColumnReader {
  private mmdd = { ok: true, line: 0, text: "" };
  private ddmm = { ok: true, line: 0, text: "" };
  private slash = 0;
  private symmetric = true;
  private sample: { line: number; text: string } | null = null;
  private readonly format: DateFormat;
  private readonly yearsAllowed: boolean;

  constructor(
    readonly source: string,
    readonly column: string,
    private readonly options: DateColumnOptions = {},
  ) {
    this.format = options.dateFormat ?? "auto";
    if (!isDateFormat(this.format)) {
      throw new DataError(`unknown date format "${String(this.format)}"; expected one of ${DATE_FORMATS.join(", ")}`);
    }
    this.yearsAllowed = this.format === "YYYY" || isDateLikeName(column);
  }

  private where(line: number): string {
    return `${this.source} line ${line}, column "${this.column}"`;
  }

  /** One cell. @throws DataError naming the line, column and value. */
  read(text: string, line: number): number {
    const ctx: DateContext = { source: this.source, line, format: this.format, dayFirst: this.options.dayFirst };
    if (this.format !== "auto" || this.options.dayFirst !== undefined) {
      try {
        return parseDate(text, ctx);
      } catch (err) {
        throw new DataError(`${this.where(line)}: ${(err as Error).message.replace(/^.* line \d+: /, "")}`);
      }
    }
    const s = text.trim();
    const fast = isoFast(s);
    if (fast !== undefined) return fast;
    const m = s.match(RE_SLASH_DMY);
    if (m) return this.readSlash(text, m, line);
    if (RE_Y.test(s) && !this.yearsAllowed) {
      throw new DataError(
        `${this.where(line)}: "${text}" is a plain number, not a date; if the column holds years, ` +
          `give dateFormat "YYYY" (--date-format YYYY) or choose another date column`,
      );
    }
    try {
      return parseDate(text, ctx);
    } catch (err) {
      throw new DataError(`${this.where(line)}: ${(err as Error).message.replace(/^.* line \d+: /, "")}`);
    }
  }

  private readSlash(text: string, m: RegExpMatchArray, line: number): number {
    const a = +m[1]!;
    const b = +m[2]!;
    const y = +m[3]!;
    const valid = (mo: number, d: number): boolean => mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
    const asMMDD = valid(a, b);
    const asDDMM = valid(b, a);
    if (!asMMDD && !asDDMM) {
      throw new DataError(`${this.where(line)}: cannot parse date "${text}": neither day/month nor month/day is a date`);
    }
    // The time of day (and zone) is checked and computed on a date both readings accept.
    let tod: number;
    try {
      tod = parseDate(`1970-01-01${timeSuffix(m)}`);
    } catch {
      throw new DataError(`${this.where(line)}: cannot parse date "${text}": time of day out of range`);
    }
    if (!asMMDD && this.mmdd.ok) this.mmdd = { ok: false, line, text };
    if (!asDDMM && this.ddmm.ok) this.ddmm = { ok: false, line, text };
    if (a !== b) {
      this.symmetric = false;
      if (this.sample === null) this.sample = { line, text };
    }
    this.slash++;
    return ENCODED_BASE + ((y * 32 + a) * 32 + b) * TOD_SPAN + (tod + TOD_SHIFT);
  }

  /**
   * Decides how `a/b/yyyy` values read and decodes them in `values` (the numbers `read` returned,
   * in any order). Returns a sentence for the load report when a reading was chosen.
   * @throws DataError when the column reads both ways (asking for a dateFormat) or neither way.
   */
  finish(values: { length: number; [i: number]: number }): string | null {
    return this.finishWith(values.length, (i) => values[i]!, (i, v) => (values[i] = v));
  }

  /** {@link finish} over a column reached through accessors (e.g. a block column). */
  finishWith(n: number, get: (i: number) => number, set: (i: number, v: number) => void): string | null {
    if (this.slash === 0) return null;
    let dayFirst: boolean;
    let note: string | null = null;
    if (this.mmdd.ok && this.ddmm.ok) {
      if (!this.symmetric) {
        const s = this.sample!;
        throw new DataError(
          `${this.source}, column "${this.column}": dates such as "${s.text}" (line ${s.line}) read both as ` +
            `day/month and month/day, and no value has a field above 12 to tell; give the date format: ` +
            `dateFormat "DD/MM/YYYY" or "MM/DD/YYYY" (--date-format)`,
        );
      }
      dayFirst = false;
    } else if (this.ddmm.ok) {
      dayFirst = true;
      note = `dates in column "${this.column}" read as DD/MM/YYYY ("${this.mmdd.text}" on line ${this.mmdd.line} is not month/day)`;
    } else if (this.mmdd.ok) {
      dayFirst = false;
      note = `dates in column "${this.column}" read as MM/DD/YYYY ("${this.ddmm.text}" on line ${this.ddmm.line} is not day/month)`;
    } else {
      throw new DataError(
        `${this.source}, column "${this.column}": the dates mix day/month ("${this.mmdd.text}", line ${this.mmdd.line}) ` +
          `and month/day ("${this.ddmm.text}", line ${this.ddmm.line}); fix the file or give a dateFormat`,
      );
    }
    for (let i = 0; i < n; i++) {
      const v = get(i);
      if (v < ENCODED_BASE) continue;
      const code = v - ENCODED_BASE;
      const k = Math.floor(code / TOD_SPAN);
      const tod = code - k * TOD_SPAN - TOD_SHIFT;
      const b = k % 32;
      const a = Math.floor(k / 32) % 32;
      const y = Math.floor(k / 1024);
      set(i, makeTimestamp(dayFirst ? { year: y, month: b, day: a } : { year: y, month: a, day: b }) + tod);
    }
    return note;
  }
}

/**
 * The common spellings `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` and `YYYY-MM-DD HH:MM:SS` read without a
 * regular expression (a large file has millions); undefined for anything else, or anything out of
 * range, which {@link parseDate} then reads or reports. Gives what parseDate gives.
 */
export function isoFast(s: string): number | undefined {
  const n = s.length;
  if (n !== 10 && n !== 16 && n !== 19) return undefined;
  const dig = (i: number): number => {
    const c = s.charCodeAt(i) - 48;
    return c >= 0 && c <= 9 ? c : NaN;
  };
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined; // "-"
  const y = dig(0) * 1000 + dig(1) * 100 + dig(2) * 10 + dig(3);
  const mo = dig(5) * 10 + dig(6);
  const d = dig(8) * 10 + dig(9);
  if (!(mo >= 1 && mo <= 12) || !(d >= 1) || d > daysInMonth(y, mo)) return undefined;
  let ms = daysFromCivil(y, mo, d) * MS_PER_DAY;
  if (n > 10) {
    const sep = s.charCodeAt(10);
    if ((sep !== 84 && sep !== 32) || s.charCodeAt(13) !== 58) return undefined; // "T" or " ", ":"
    const h = dig(11) * 10 + dig(12);
    const mi = dig(14) * 10 + dig(15);
    if (!(h <= 23) || !(mi <= 59)) return undefined;
    ms += h * 3_600_000 + mi * 60_000;
    if (n === 19) {
      if (s.charCodeAt(16) !== 58) return undefined;
      const sec = dig(17) * 10 + dig(18);
      if (!(sec <= 59)) return undefined;
      ms += sec * 1000;
    }
  }
  return ms;
}

function timeSuffix(m: RegExpMatchArray): string {
  // m[4..8] of RE_SLASH_DMY: hour, minute, second, fraction, zone
  if (m[4] === undefined) return "";
  const sec = m[6] !== undefined ? `:${m[6]}${m[7] !== undefined ? `.${m[7]}` : ""}` : "";
  return `T${m[4].padStart(2, "0")}:${m[5]}${sec}${m[8] ?? ""}`;
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
  const sorted = Float64Array.from(dates).sort();
  return frequencyFromSpacing(medianSpacingDays(sorted.length, (i) => sorted[i]!));
}

/**
 * Median spacing in days between consecutive distinct dates, given in ascending order through
 * `at(0..n-1)`. Memory grows with the number of distinct spacings (a handful for real data), and
 * falls back to sorting all spacings only past 100 000 of them.
 * @throws DataError with fewer than two distinct dates.
 */
export function medianSpacingDays(n: number, at: (i: number) => number): number {
  const counts = new Map<number, number>();
  let m = 0;
  let overflow = false;
  for (let i = 1; i < n; i++) {
    const d = at(i) - at(i - 1);
    if (d <= 0) continue;
    m++;
    if (!overflow) {
      counts.set(d, (counts.get(d) ?? 0) + 1);
      if (counts.size > 100_000) overflow = true;
    }
  }
  if (m === 0) {
    throw new DataError(`cannot infer a frequency from ${n === 0 ? 0 : 1} distinct date(s); give the frequency explicitly`);
  }
  const nth = (k: number): number => {
    // the k-th smallest spacing (0-based)
    if (!overflow) {
      const keys = [...counts.keys()].sort((a, b) => a - b);
      let seen = 0;
      for (const key of keys) {
        seen += counts.get(key)!;
        if (k < seen) return key;
      }
    }
    const all = new Float64Array(m);
    let j = 0;
    for (let i = 1; i < n; i++) {
      const d = at(i) - at(i - 1);
      if (d > 0) all[j++] = d;
    }
    return all.sort()[k]!;
  };
  const mid = m >> 1;
  const median = m % 2 ? nth(mid) : (nth(mid - 1) + nth(mid)) / 2;
  return median / MS_PER_DAY;
}

/** A spacing for people: `1 minute`, `6 hours`, `2.5 days`. */
export function describeSpacing(days: number): string {
  const unit = (v: number, name: string): string => {
    const r = Math.round(v * 100) / 100;
    return `${r} ${name}${r === 1 ? "" : "s"}`;
  };
  if (days < 1 / 24) return unit(days * 1440, "minute");
  if (days < 1) return unit(days * 24, "hour");
  return unit(days, "day");
}

/**
 * The frequency of a median spacing (days): < 4 → day, < 20 → week, < 60 → month,
 * < 150 → quarter, < 500 → year.
 * @throws DataError for spacing finer than half a day or coarser than 500 days.
 */
export function frequencyFromSpacing(median: number): Frequency {
  if (median < 0.5) {
    throw new DataError(`dates are ${describeSpacing(median)} apart (median); finer than daily is not supported: resample to "day"`);
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
