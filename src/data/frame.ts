// A small table of CSV strings addressed by column name, and the operations a forecast
// needs before any number crunching: typed columns, filters, pivots, derived columns and
// conversion to a date-sorted time series.

import { DataError } from "../tensor/errors.js";
import { formatDate, parseDate, type Timestamp } from "./dates.js";
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
export const MISSING_TOKENS: readonly string[] = ["", "na", "n/a", "nan", "null"];

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Reads one cell as a number: plain decimal or exponent notation; a missing cell (see
 * {@link MISSING_TOKENS}) gives NaN. Returns undefined for anything else so the caller can
 * report it with context.
 */
export function parseNumber(text: string): number | undefined {
  const s = text.trim();
  if (MISSING_TOKENS.includes(s.toLowerCase())) return NaN;
  return NUMBER.test(s) ? Number(s) : undefined;
}

/** Options for {@link numericColumn}. */
export interface NumericOptions {
  /** Treat missing cells as errors instead of NaN. */
  strict?: boolean;
}

/**
 * A column as numbers; missing cells become NaN (to be imputed) unless `strict`.
 * @throws DataError naming the file line, column and offending value.
 */
export function numericColumn(frame: Frame, name: string, options: NumericOptions = {}): Float64Array {
  const col = resolveColumn(frame, name);
  const out = new Float64Array(frame.rows.length);
  for (let i = 0; i < frame.rows.length; i++) {
    const cell = frame.rows[i][col] ?? "";
    const v = parseNumber(cell);
    if (v === undefined) throw new DataError(`${at(frame, i)}, column "${col}": "${cell}" is not a number`);
    if (options.strict && Number.isNaN(v)) {
      throw new DataError(`${at(frame, i)}, column "${col}": missing value ("${cell}") in strict mode`);
    }
    out[i] = v;
  }
  return out;
}

/** Options for reading a date column. */
export interface DateColumnOptions {
  /** Read `a/b/yyyy` as day/month instead of US month/day. */
  dayFirst?: boolean;
}

/**
 * A column parsed as dates (see {@link parseDate} for the accepted forms).
 * @throws DataError naming the file line and the unparseable value.
 */
export function dateColumn(frame: Frame, name: string, options: DateColumnOptions = {}): Timestamp[] {
  const col = resolveColumn(frame, name);
  return frame.rows.map((r, i) =>
    parseDate(r[col] ?? "", { source: frame.source, line: frame.lines[i], dayFirst: options.dayFirst }),
  );
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
  const rows = frame.rows.map((r, i) => {
    const xs = inputs.map((col) => col[i]);
    const v = xs.some(Number.isNaN) ? NaN : combine(xs);
    const row: Record<string, string> = Object.assign(Object.create(null), r);
    row[name] = Number.isNaN(v) ? "" : String(v);
    return row;
  });
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
