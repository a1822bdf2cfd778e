// A small table of CSV strings addressed by column name, and the operations a forecast
// needs before any number crunching: typed columns, filters, pivots, derived columns and
// conversion to a date-sorted time series.

import { DataError } from "../tensor/errors.js";
import { DateColumnReader, formatDate, type DateColumnOptions, type Timestamp } from "./dates.js";
import { aggregate, type Aggregation } from "./resample.js";

/**
 * Rows of a CSV file as strings. `lines[i]` is the file line of `rows[i]` (the header is
 * line 1, so the first data row is usually line 2); it survives filtering and sorting so
 * that every error can cite the original line.
 */
export interface Frame {
  /** Name used in error messages, e.g. `weather.csv`. */
  readonly source: string;
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, string>[];
  readonly lines: readonly number[];
}

/**
 * A date-sorted series with one or more numeric columns. `values[j][i]` is column
 * `columns[j]` at `dates[i]`; NaN marks a missing value. `lines[i]` is the file line the
 * row came from, or 0 for a row that was aggregated or inserted.
 */
export interface TimeSeries {
  readonly source: string;
  readonly dates: Timestamp[];
  readonly columns: string[];
  readonly values: Float64Array[];
  readonly lines: number[];
}

function at(frame: Frame, i: number): string {
  return `${frame.source} line ${frame.lines[i]}`;
}

/**
 * The frame's spelling of a column name: an exact match, else the only case-insensitive one.
 * @throws DataError listing the available columns.
 */
export function resolveColumn(frame: Frame, name: string): string {
  if (frame.columns.includes(name)) return name;
  const lower = name.toLowerCase();
  const folded = frame.columns.filter((c) => c.toLowerCase() === lower);
  if (folded.length === 1) return folded[0];
  throw new DataError(`${frame.source}: no column "${name}"; available: ${frame.columns.join(", ")}`);
}

/** A column's raw cells. @throws DataError if the column does not exist. */
export function stringColumn(frame: Frame, name: string): string[] {
  const col = resolveColumn(frame, name);
  return frame.rows.map((r) => r[col]);
}

/** Cell texts read as missing values (compared case-insensitively, after trimming). */
export const MISSING_TOKENS: readonly string[] = ["", "na", "n/a", "null"];

/** Cell texts naming a non-finite number (compared case-insensitively, after trimming). */
export const NON_FINITE_TOKENS: readonly string[] = ["nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"];

/** Largest finite float32: every value reaches the models as float32, so larger ones overflow. */
export const FLOAT32_MAX = 3.4028234663852886e38;

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Reads one cell as a number: plain decimal or exponent notation; a missing cell (see
 * {@link MISSING_TOKENS}) gives NaN, `NaN` gives NaN and `Infinity`/`inf` give ±Infinity.
 * Returns undefined for anything else so the caller can report it with context. Use
 * {@link readCell} to tell missing from non-finite.
 */
export function parseNumber(text: string): number | undefined {
  const s = text.trim();
  const lower = s.toLowerCase();
  if (MISSING_TOKENS.includes(lower)) return NaN;
  if (NON_FINITE_TOKENS.includes(lower)) return lower === "nan" ? NaN : lower.startsWith("-") ? -Infinity : Infinity;
  return NUMBER.test(s) ? Number(s) : undefined;
}

/**
 * What one cell holds: a usable number; `NaN` for a missing cell; `"nonfinite"` for NaN or
 * infinity spelled out, or a number beyond ±{@link FLOAT32_MAX} (it would be ±Infinity as
 * float32); `undefined` for text that is not a number.
 */
export function readCell(text: string): number | "nonfinite" | undefined {
  const s = text.trim();
  if (NUMBER.test(s)) {
    const v = Number(s);
    return Math.abs(v) > FLOAT32_MAX ? "nonfinite" : v;
  }
  const lower = s.toLowerCase();
  if (MISSING_TOKENS.includes(lower)) return NaN;
  if (NON_FINITE_TOKENS.includes(lower)) return "nonfinite";
  return undefined;
}

/** Whether a computed value can reach a float32 model: finite and within ±{@link FLOAT32_MAX}. */
export function isFloat32Finite(v: number): boolean {
  return Number.isFinite(v) && Math.abs(v) <= FLOAT32_MAX;
}

/**
 * Collects the rows of one column that hold non-finite or overflowing values, for one error or
 * report naming the first few lines and the count.
 */
export class NonFiniteLog {
  count = 0;
  readonly first: { line: number; text: string }[] = [];
  constructor(
    readonly source: string,
    readonly column: string,
    private readonly keep = 5,
  ) {}
  add(line: number, text: string): void {
    if (this.first.length < this.keep) this.first.push({ line, text });
    this.count++;
  }
  /** `3 rows hold non-finite or float32-overflowing values: line 4 ("1e300"), …` */
  describe(): string {
    const list = this.first.map((f) => `line ${f.line} ("${f.text}")`).join(", ");
    const more = this.count > this.first.length ? `, … (${this.count} rows in all)` : "";
    const rows = this.count === 1 ? "1 row holds a" : `${this.count} rows hold`;
    const what = this.count === 1 ? "value that is not finite as float32" : "values that are not finite as float32";
    return `${this.source}, column "${this.column}": ${rows} ${what} (NaN, Infinity, or beyond ±3.4e38): ${list}${more}`;
  }
  error(hint: string): DataError {
    return new DataError(`${this.describe()}; ${hint}`);
  }
}

/** What to do with non-finite or float32-overflowing values: refuse them, or read them as missing. */
export type NonFiniteMode = "error" | "missing";

/** Options for {@link numericColumn}. */
export interface NumericOptions {
  /** Treat missing cells as errors instead of NaN. */
  strict?: boolean;
  /**
   * Cells holding NaN, Infinity or a number beyond ±{@link FLOAT32_MAX}: "error" (default) refuses
   * them, naming the lines; "missing" reads them as missing values (NaN).
   */
  nonFinite?: NonFiniteMode;
}

/**
 * A column as numbers; missing cells become NaN (to be imputed) unless `strict`.
 * @throws DataError naming the file line, column and offending value; for non-finite values
 * (unless `nonFinite: "missing"`), the first few lines and their count.
 */
export function numericColumn(frame: Frame, name: string, options: NumericOptions = {}): Float64Array {
  const col = resolveColumn(frame, name);
  const out = new Float64Array(frame.rows.length);
  const bad = new NonFiniteLog(frame.source, col);
  for (let i = 0; i < frame.rows.length; i++) {
    const cell = frame.rows[i][col] ?? "";
    const v = readCell(cell);
    if (v === undefined) throw new DataError(`${at(frame, i)}, column "${col}": "${cell}" is not a number`);
    if (v === "nonfinite") {
      bad.add(frame.lines[i]!, cell);
      out[i] = NaN;
      continue;
    }
    if (options.strict && Number.isNaN(v)) {
      throw new DataError(`${at(frame, i)}, column "${col}": missing value ("${cell}") in strict mode`);
    }
    out[i] = v;
  }
  if (bad.count > 0 && (options.nonFinite ?? "error") === "error") {
    throw bad.error(`fix the file, or read them as missing values (nonFinite: "missing")`);
  }
  return out;
}

/**
 * A column parsed as dates (see {@link parseDate} for the accepted forms and
 * {@link DateColumnReader} for how `a/b/yyyy` and plain years are decided over the column).
 * @throws DataError naming the file line and the unparseable value, or a column whose
 * `a/b/yyyy` dates read both as day/month and month/day.
 */
export function dateColumn(frame: Frame, name: string, options: DateColumnOptions = {}): Timestamp[] {
  return dateColumnWithNote(frame, name, options).dates;
}

/** {@link dateColumn}, with the sentence saying how `a/b/yyyy` dates were read (or null). */
export function dateColumnWithNote(frame: Frame, name: string, options: DateColumnOptions = {}): { dates: Timestamp[]; note: string | null } {
  const col = resolveColumn(frame, name);
  const reader = new DateColumnReader(frame.source, col, options);
  const dates = frame.rows.map((r, i) => reader.read(r[col] ?? "", frame.lines[i]!));
  const note = reader.finish(dates);
  return { dates, note };
}

/** A row filter: string equality (`=`) or inequality (`!=`) of one column. */
export interface Where {
  column: string;
  op: "=" | "!=";
  value: string;
}

/**
 * Parses `column=value`, `column==value` or `column!=value`; spaces around the column
 * and the value are ignored.
 * @throws DataError when there is no operator or no column name.
 */
export function parseWhere(text: string): Where {
  const m = text.match(/^\s*([^=!]+?)\s*(!=|==|=)\s*(.*?)\s*$/);
  if (!m) throw new DataError(`cannot parse filter "${text}": expected column=value or column!=value`);
  return { column: m[1], op: m[2] === "!=" ? "!=" : "=", value: m[3] };
}

function describeValues(frame: Frame, col: string): string {
  const distinct = [...new Set(frame.rows.map((r) => r[col]))];
  const shown = distinct.slice(0, 20).map((v) => (v === "" ? '""' : v));
  const more = distinct.length > shown.length ? `, … (${distinct.length} distinct values)` : "";
  return `${shown.join(", ")}${more}`;
}

/**
 * Keeps the rows matching every filter (applied in order). Values compare as exact strings.
 * @throws DataError if a column is missing, or if a filter leaves no rows — listing the
 * values that column does hold.
 */
export function filterRows(frame: Frame, filters: Where | string | readonly (Where | string)[]): Frame {
  const list = Array.isArray(filters) ? filters : [filters];
  let current = frame;
  for (const f of list as (Where | string)[]) {
    const w = typeof f === "string" ? parseWhere(f) : f;
    const col = resolveColumn(current, w.column);
    const rows: Record<string, string>[] = [];
    const lines: number[] = [];
    current.rows.forEach((r, i) => {
      if ((r[col] === w.value) === (w.op === "=")) {
        rows.push(r);
        lines.push(current.lines[i]);
      }
    });
    if (rows.length === 0) {
      if (current.rows.length === 0) throw new DataError(`${frame.source}: no rows left to filter by ${col} ${w.op} "${w.value}"`);
      const what = w.op === "=" ? `no row has ${col} = "${w.value}"` : `every row has ${col} = "${w.value}"`;
      throw new DataError(`${frame.source}: ${what}; ${col} holds: ${describeValues(current, col)}`);
    }
    current = { source: current.source, columns: current.columns, rows, lines };
  }
  return current;
}

/** Columns of a {@link pivot}. */
export interface PivotSpec {
  /** Column whose values become the rows (usually the date). */
  index: string;
  /** Group column whose distinct values become new columns (e.g. location). */
  columns: string;
  /** Column holding the values to spread. */
  values: string;
}

/**
 * Long to wide: one row per distinct `index` value (in order of first appearance) and one
 * column per distinct group value, holding `values`. Absent combinations are empty cells
 * (missing). The new frame's `lines` are those of each index value's first row.
 * @throws DataError on a missing column, a group value equal to the index column's name,
 * or two rows for the same index and group (naming both lines).
 */
export function pivot(frame: Frame, spec: PivotSpec): Frame {
  const index = resolveColumn(frame, spec.index);
  const group = resolveColumn(frame, spec.columns);
  const value = resolveColumn(frame, spec.values);
  const groups: string[] = [];
  const byKey = new Map<string, { row: Record<string, string>; line: number; from: Map<string, number> }>();
  frame.rows.forEach((r, i) => {
    const g = r[group];
    if (!groups.includes(g)) {
      if (g === index) throw new DataError(`${at(frame, i)}: group value "${g}" clashes with the index column's name`);
      groups.push(g);
    }
    let entry = byKey.get(r[index]);
    if (!entry) {
      const row: Record<string, string> = Object.create(null);
      row[index] = r[index];
      entry = { row, line: frame.lines[i], from: new Map() };
      byKey.set(r[index], entry);
    }
    const prev = entry.from.get(g);
    if (prev !== undefined) {
      throw new DataError(
        `${frame.source}: two rows for ${index} = "${r[index]}", ${group} = "${g}" (lines ${prev} and ${frame.lines[i]}); aggregate or filter first`,
      );
    }
    entry.from.set(g, frame.lines[i]);
    entry.row[g] = r[value];
  });
  const rows: Record<string, string>[] = [];
  const lines: number[] = [];
  for (const { row, line } of byKey.values()) {
    for (const g of groups) if (!(g in row)) row[g] = "";
    rows.push(row);
    lines.push(line);
  }
  return { source: frame.source, columns: [index, ...groups], rows, lines };
}

/** How {@link derive} combines the columns of a row. `difference` is first − second. */
export type DeriveOp = "median" | "mean" | "sum" | "min" | "max" | "difference";

/**
 * Adds a column computed per row from numeric columns, e.g.
 * `derive(f, "temp_mid", ["temp_max", "temp_min"], "median")`. A row with any missing input
 * gets a missing (empty) cell. Results are stored as `String(x)`, which reads back exactly.
 * @throws DataError on an existing name, a missing column, a non-numeric cell, or
 * `difference` without exactly two columns.
 */
export function derive(frame: Frame, name: string, columns: readonly string[], op: DeriveOp): Frame {
  if (frame.columns.includes(name)) throw new DataError(`${frame.source}: column "${name}" already exists`);
  if (columns.length === 0) throw new DataError(`derive "${name}": no input columns given`);
  if (op === "difference" && columns.length !== 2) {
    throw new DataError(`derive "${name}": difference needs exactly two columns, got ${columns.length}`);
  }
  const inputs = columns.map((c) => numericColumn(frame, c));
  const combine = op === "difference" ? (xs: number[]) => xs[0] - xs[1] : (xs: number[]) => aggregate(xs, op);
  const bad = new NonFiniteLog(frame.source, name);
  const rows = frame.rows.map((r, i) => {
    const xs = inputs.map((col) => col[i]);
    const v = xs.some(Number.isNaN) ? NaN : combine(xs);
    if (!Number.isNaN(v) && !isFloat32Finite(v)) bad.add(frame.lines[i]!, String(v));
    const row: Record<string, string> = Object.assign(Object.create(null), r);
    row[name] = Number.isNaN(v) ? "" : String(v);
    return row;
  });
  if (bad.count > 0) throw bad.error(`the expression overflows; scale the input columns first`);
  return { source: frame.source, columns: [...frame.columns, name], rows, lines: frame.lines };
}

/**
 * The frame's rows sorted by a date column (stable, so equal dates keep file order).
 * @throws DataError on an unparseable date (line and value).
 */
export function sortByDate(frame: Frame, dateCol: string, options: DateColumnOptions = {}): Frame {
  const dates = dateColumn(frame, dateCol, options);
  const order = dates.map((_, i) => i).sort((a, b) => dates[a] - dates[b] || a - b);
  return {
    source: frame.source,
    columns: frame.columns,
    rows: order.map((i) => frame.rows[i]),
    lines: order.map((i) => frame.lines[i]),
  };
}

/** Options for {@link toTimeSeries}. */
export interface TimeSeriesSpec extends DateColumnOptions, NumericOptions {
  /** Date column. */
  date: string;
  /** Numeric columns to keep, in this order. */
  values: readonly string[];
  /**
   * What to do with rows sharing a timestamp: `"error"` (default) reports them; an
   * aggregation merges them (missing values are ignored).
   */
  duplicates?: "error" | Aggregation;
}

/**
 * Parses dates and numeric columns and sorts by date.
 * @throws DataError on a missing column, an unparseable date or number (with line), or —
 * unless `duplicates` aggregates them — two rows with the same timestamp (date and lines).
 */
export function toTimeSeries(frame: Frame, spec: TimeSeriesSpec): TimeSeries {
  if (frame.rows.length === 0) throw new DataError(`${frame.source}: no rows`);
  const sorted = sortByDate(frame, spec.date, spec);
  const dates = dateColumn(sorted, spec.date, spec);
  const columns = spec.values.map((c) => resolveColumn(frame, c));
  const raw = columns.map((c) => numericColumn(sorted, c, spec));
  const mode = spec.duplicates ?? "error";

  const outDates: Timestamp[] = [];
  const outLines: number[] = [];
  const groups: number[][] = [];
  for (let i = 0; i < dates.length; i++) {
    if (i > 0 && dates[i] === dates[i - 1]) {
      if (mode === "error") {
        throw new DataError(
          `${frame.source}: duplicate date ${formatDate(dates[i])} on lines ${sorted.lines[i - 1]} and ${sorted.lines[i]}; ` +
            `filter rows with a where clause, pivot by the group column, or aggregate duplicates`,
        );
      }
      groups[groups.length - 1].push(i);
      outLines[outLines.length - 1] = 0;
    } else {
      outDates.push(dates[i]);
      outLines.push(sorted.lines[i]);
      groups.push([i]);
    }
  }
  const values = raw.map((col) => {
    const out = new Float64Array(groups.length);
    groups.forEach((g, k) => {
      if (g.length === 1) out[k] = col[g[0]];
      else {
        const xs = g.map((i) => col[i]).filter((x) => !Number.isNaN(x));
        out[k] = xs.length ? aggregate(xs, mode as Aggregation) : NaN;
      }
    });
    return out;
  });
  return { source: frame.source, dates: outDates, columns, values, lines: outLines };
}
