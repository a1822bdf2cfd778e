// From a CSV file to one regular, imputed series ready to forecast: filters, a target column or
// an expression over columns (e.g. median(temp_max,temp_min)), date parsing, resampling, and a
// report of every value that had to be imputed.
//
// The file is streamed: rows are parsed chunk by chunk and only the date and the target (one
// number each) are kept, so memory grows with the rows kept, not with the file's width or size.
// Nothing doubtful passes silently: non-finite values, ambiguous day/month dates, integer ids taken
// for years and long or many imputed gaps are refused with the lines, unless asked for.

import { DataError, ConfigError } from "../tensor/errors.js";
import { fileSystem } from "../io/fs.js";
import {
  streamCsv, fileChunks, textChunks, parseWhere, regularizeSeries, parseDate, describeImputation,
  isFrequency, isDateFormat, isPlainInteger, aggregate, readCell, isFloat32Finite, resampleOrdered,
  medianSpacingDays, frequencyFromSpacing, describeSpacing, formatDate, DateColumnReader, NonFiniteLog,
  BlockColumn, LineMap, radixOrder, AGGREGATIONS, DATE_FORMATS, DEFAULT_MAX_GAP, DEFAULT_MAX_SHARE,
  type Frequency, type Aggregation, type DeriveOp, type ImputeMethod, type Timestamp, type DateFormat,
  type TimeSeries,
} from "../data/index.js";

/** What to do with cells holding NaN, Infinity or a number beyond float32's range (±3.4e38). */
export type NonFiniteAction = "error" | "drop" | "impute";

export interface LoadSeriesOptions {
  /** Date column. Default: a column named like "date", else the first column whose values are date-like text. */
  date?: string;
  /**
   * How the date column is spelled (see DateFormat): "YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY",
   * "DD.MM.YYYY", "YYYY-MM", "YYYY-Q", "YYYY", or "auto" (default). In "auto", a/b/yyyy dates are
   * read the only way the whole column allows (said in `notes`) and refused when both ways fit;
   * plain 4-digit numbers are years only in a column named like a date or year.
   */
  dateFormat?: DateFormat;
  /** Target column, or an expression `median(a,b)`, `mean(a,b)`, `sum(...)`, `min(...)`, `max(...)`, `difference(a,b)`. */
  target?: string;
  /** Row filters, each `column=value` or `column!=value`. */
  where?: string[];
  /** Resample to this frequency. Default: keep the data's own frequency (inferred). */
  freq?: Frequency;
  /** Aggregation when resampling. Default "mean". */
  agg?: Aggregation;
  /** How to fill missing periods. Default "linear". */
  impute?: ImputeMethod;
  /** Longest run of missing periods that may be imputed (default 3; `Infinity` for no limit). */
  maxGap?: number;
  /** Largest share (0–1) of the series that may be imputed (default 0.1; `1` for no limit). */
  maxImputedShare?: number;
  /**
   * Cells holding NaN, Infinity or a number beyond ±3.4e38 (or an expression giving one):
   * "error" (default) refuses the file naming the rows; "drop" removes those rows; "impute" reads
   * them as missing values. Either way they are counted in `notes`.
   */
  nonFinite?: NonFiniteAction;
  /**
   * Drop the periods after the last one with a target value (rows that carry only known-future
   * covariates, e.g. next month's holidays) instead of refusing or imputing them. Default false.
   */
  dropTrailingMissing?: boolean;
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
const DATE_NAME = /^(date|time|timestamp|datetime|month|period|day|week|year|ds)$/i;
/** Rows (after filters) looked at to choose the date and target columns. */
const SAMPLE_ROWS = 200;

/** The path of a CSV shipped in the vega-datasets package. */
export function bundledDataPath(file: string): string {
  const fs = fileSystem("bundled data");
  return fs.join(fs.packageDir("vega-datasets"), "data", file);
}

function resolveIn(source: string, columns: readonly string[], name: string): number {
  const exact = columns.indexOf(name);
  if (exact >= 0) return exact;
  const lower = name.toLowerCase();
  const folded = columns.flatMap((c, i) => (c.toLowerCase() === lower ? [i] : []));
  if (folded.length === 1) return folded[0]!;
  throw new DataError(`${source}: no column "${name}"; available: ${columns.join(", ")}`);
}

interface Row {
  cells: readonly string[];
  line: number;
}

function pickDateColumn(source: string, columns: readonly string[], sample: readonly Row[]): number {
  const named = columns.findIndex((c) => DATE_NAME.test(c.trim()));
  if (named >= 0) return named;
  for (let j = 0; j < columns.length; j++) {
    const values = sample.slice(0, 5).map((r) => r.cells[j] ?? "");
    if (values.length === 0) break;
    const parses = values.every((v) => {
      try {
        parseDate(v);
        return true;
      } catch {
        return false;
      }
    });
    // Date-like text, not numbers: an id column 1001, 1002, … parses as years but is no calendar.
    if (parses && !values.every(isPlainInteger)) return j;
  }
  throw new DataError(`${source}: no date column found; choose one with --date from: ${columns.join(", ")}`);
}

function pickTarget(source: string, columns: readonly string[], sample: readonly Row[], dateCol: number): number {
  const numeric = columns.flatMap((c, j) =>
    j !== dateCol &&
    sample.slice(0, 20).every((r) => {
      // numbers, missing cells and non-finite spellings (refused later, by line)
      return readCell(r.cells[j] ?? "") !== undefined;
    })
      ? [j]
      : [],
  );
  if (numeric.length === 1) return numeric[0]!;
  throw new DataError(
    `${source}: choose the column to forecast with --target; numeric columns: ${numeric.map((j) => columns[j]).join(", ") || "(none)"}; all columns: ${columns.join(", ")}`,
  );
}

function checkOptions(opts: LoadSeriesOptions): void {
  if (opts.freq !== undefined && !isFrequency(opts.freq)) {
    throw new ConfigError(`--freq must be one of day, week, month, quarter, year; got "${String(opts.freq)}"`);
  }
  const agg = opts.agg ?? "mean";
  if (!AGGREGATIONS.includes(agg)) throw new ConfigError(`--agg must be one of ${AGGREGATIONS.join(", ")}; got "${String(agg)}"`);
  if (opts.dateFormat !== undefined && !isDateFormat(opts.dateFormat)) {
    throw new ConfigError(`--date-format must be one of ${DATE_FORMATS.join(", ")}; got "${String(opts.dateFormat)}"`);
  }
  if (opts.nonFinite !== undefined && !["error", "drop", "impute"].includes(opts.nonFinite)) {
    throw new ConfigError(`--non-finite must be one of error, drop, impute; got "${String(opts.nonFinite)}"`);
  }
  const gap = opts.maxGap;
  if (gap !== undefined && !(typeof gap === "number" && gap >= 0 && (Number.isInteger(gap) || gap === Infinity))) {
    throw new ConfigError(`--max-gap must be a non-negative whole number of periods (or Infinity); got ${String(gap)}`);
  }
  const share = opts.maxImputedShare;
  if (share !== undefined && !(typeof share === "number" && share >= 0 && share <= 1)) {
    throw new ConfigError(`--max-imputed must be a share between 0 and 1; got ${String(share)}`);
  }
}

/** Read, filter, derive, date, resample and impute: one series at a regular frequency. */
export function loadSeries(path: string, opts: LoadSeriesOptions = {}): LoadedSeries {
  checkOptions(opts);
  const fs = fileSystem("loadSeries");
  return loadFrom(fileChunks(path), fs.basename(path), opts);
}

/** {@link loadSeries} from CSV text held in memory (a page's upload, a test); `source` names it in messages. */
export function loadSeriesFromText(text: string, opts: LoadSeriesOptions & { source?: string } = {}): LoadedSeries {
  checkOptions(opts);
  return loadFrom(textChunks(text), opts.source ?? "csv", opts);
}

/** {@link loadSeries} from CSV bytes in chunks, e.g. a file read piece by piece. */
export function loadSeriesFromChunks(chunks: Iterable<Uint8Array>, opts: LoadSeriesOptions & { source?: string } = {}): LoadedSeries {
  checkOptions(opts);
  return loadFrom(chunks, opts.source ?? "csv", opts);
}

interface Plan {
  dateCol: number;
  name: string;
  inputs: number[];
  combine: ((xs: number[]) => number) | null;
  dates: DateColumnReader;
  inputLogs: NonFiniteLog[];
  derivedLog: NonFiniteLog;
}

function loadFrom(chunks: Iterable<Uint8Array>, source: string, opts: LoadSeriesOptions): LoadedSeries {
  const agg = opts.agg ?? "mean";
  const nonFinite = opts.nonFinite ?? "error";
  const notes: string[] = [];

  let columns: readonly string[] = [];
  const filters = (opts.where ?? []).map((w) => parseWhere(w));
  let filterCols: number[] = [];
  const passed: number[] = filters.map(() => 0); // rows passing filters 0..k
  const seenValues: Set<string>[] = filters.map(() => new Set()); // values of filter k among rows passing 0..k-1
  let rowsRead = 0;
  let sample: Row[] | null = [];
  let plan: Plan | null = null;

  const dates = new BlockColumn();
  const values = new BlockColumn();
  const lines = new LineMap();
  let dropped = 0;
  let missingCells = 0;

  const makePlan = (): Plan => {
    const rows = sample!;
    const dateCol = opts.date !== undefined ? resolveIn(source, columns, opts.date) : pickDateColumn(source, columns, rows);
    const targetText = opts.target ?? columns[pickTarget(source, columns, rows, dateCol)]!;
    const m = targetText.match(EXPR);
    let name: string;
    let inputs: number[];
    let combine: ((xs: number[]) => number) | null = null;
    if (m) {
      const op = m[1]!.toLowerCase() as DeriveOp;
      const names = m[2]!.split(",").map((s) => s.trim()).filter(Boolean);
      if (names.length === 0) throw new DataError(`--target ${targetText}: name the columns inside the parentheses`);
      if (op === "difference" && names.length !== 2) {
        throw new DataError(`--target ${targetText}: difference needs exactly two columns, got ${names.length}`);
      }
      inputs = names.map((c) => resolveIn(source, columns, c));
      name = `${op}(${inputs.map((j) => columns[j]).join(",")})`;
      combine = op === "difference" ? (xs) => xs[0]! - xs[1]! : (xs) => aggregate(xs, op);
      notes.push(`derived ${name} per row`);
    } else {
      inputs = [resolveIn(source, columns, targetText)];
      name = columns[inputs[0]!]!;
    }
    return {
      dateCol,
      name,
      inputs,
      combine,
      dates: new DateColumnReader(source, columns[dateCol]!, { dateFormat: opts.dateFormat }),
      inputLogs: inputs.map((j) => new NonFiniteLog(source, columns[j]!)),
      derivedLog: new NonFiniteLog(source, name),
    };
  };

  const xs: number[] = [];
  const keep = (cells: readonly string[], line: number): void => {
    const p = plan!;
    let value: number;
    let bad = false;
    let missing = false;
    for (let k = 0; k < p.inputs.length; k++) {
      const j = p.inputs[k]!;
      const cell = cells[j]!;
      const v = readCell(cell);
      if (v === undefined) throw new DataError(`${source} line ${line}, column "${columns[j]}": "${cell}" is not a number`);
      if (v === "nonfinite") {
        p.inputLogs[k]!.add(line, cell);
        bad = true;
        xs[k] = NaN;
      } else {
        if (Number.isNaN(v)) missing = true;
        xs[k] = v;
      }
    }
    xs.length = p.inputs.length;
    if (bad) value = NaN;
    else if (missing) value = NaN;
    else if (p.combine) {
      value = p.combine(xs);
      if (!isFloat32Finite(value)) {
        p.derivedLog.add(line, String(value));
        bad = true;
        value = NaN;
      }
    } else value = xs[0]!;
    if (bad && nonFinite === "drop") {
      dropped++;
      return;
    }
    if (missing && !bad) missingCells++;
    dates.push(p.dates.read(cells[p.dateCol]!, line));
    values.push(value);
    lines.push(line);
  };

  streamCsv(
    chunks,
    {
      header: (h) => {
        columns = h;
        filterCols = filters.map((f) => resolveIn(source, columns, f.column));
      },
      row: (cells, line) => {
        rowsRead++;
        for (let k = 0; k < filters.length; k++) {
          const cell = cells[filterCols[k]!]!;
          if (seenValues[k]!.size <= 20) seenValues[k]!.add(cell);
          if ((cell === filters[k]!.value) !== (filters[k]!.op === "=")) return;
          passed[k]!++;
        }
        if (plan) return keep(cells, line);
        sample!.push({ cells, line });
        if (sample!.length >= SAMPLE_ROWS) {
          plan = makePlan();
          for (const r of sample!) keep(r.cells, r.line);
          sample = null;
        }
      },
    },
    { source },
  );

  notes.unshift(`read ${rowsRead} rows from ${source}`);
  if (filters.length > 0) {
    const failed = passed.findIndex((c) => c === 0);
    if (failed >= 0) {
      const f = filters[failed]!;
      const col = columns[filterCols[failed]!]!;
      const before = failed === 0 ? rowsRead : passed[failed - 1]!;
      if (before === 0) throw new DataError(`${source}: no rows left to filter by ${col} ${f.op} "${f.value}"`);
      const held = [...seenValues[failed]!];
      const shown = held.slice(0, 20).map((v) => (v === "" ? '""' : v)).join(", ");
      const what = f.op === "=" ? `no row has ${col} = "${f.value}"` : `every row has ${col} = "${f.value}"`;
      throw new DataError(`${source}: ${what}; ${col} holds: ${shown}${held.length > 20 ? ", …" : ""}`);
    }
    notes.splice(1, 0, `kept ${passed[passed.length - 1]} rows where ${opts.where!.join(" and ")}`);
  }
  if (plan === null) {
    if (sample!.length === 0) throw new DataError(`${source}: no rows`);
    plan = makePlan();
    for (const r of sample!) keep(r.cells, r.line);
    sample = null;
  }
  const p: Plan = plan;

  // Non-finite values: refused by default, naming the rows; else dropped or imputed, and said.
  const logs = [...p.inputLogs, p.derivedLog].filter((l) => l.count > 0);
  if (logs.length > 0) {
    if (nonFinite === "error") {
      throw logs[0]!.error(`fix the file, or drop those rows or impute them (nonFinite: "drop" | "impute", --non-finite)`);
    }
    for (const l of logs) notes.push(`${l.describe()}: ${nonFinite === "drop" ? `rows dropped (${dropped} in all)` : "read as missing values"}`);
  }

  const n = dates.length;
  const dateNote = p.dates.finishWith(n, (i) => dates.get(i), (i, v) => dates.set(i, v));
  if (dateNote) notes.push(dateNote);
  if (n < 2) throw new DataError(`${source}: only ${n} dated row(s); a forecast needs a series`);

  // Date order: most files are sorted already; otherwise order row numbers (radix, 8 bytes a row).
  let order: Uint32Array | null = null;
  for (let i = 1; i < n; i++) {
    if (dates.get(i) < dates.get(i - 1)) {
      order = radixOrder(n, (k) => dates.get(k));
      break;
    }
  }
  const row = (k: number): number => (order === null ? k : order[k]!);
  for (let k = 1; k < n; k++) {
    const a = row(k - 1);
    const b = row(k);
    if (dates.get(a) === dates.get(b)) {
      throw new DataError(
        `${source}: duplicate date ${formatDate(dates.get(b))} on lines ${lines.get(a)} and ${lines.get(b)}; ` +
          `filter rows with a where clause, pivot by the group column, or aggregate duplicates`,
      );
    }
  }

  // Frequency: the data's own, or the one asked for (resampling when they differ).
  const spacing = medianSpacingDays(n, (k) => dates.get(row(k)));
  let freq: Frequency;
  let series: TimeSeries;
  const nativeFreq = (): Frequency | null => {
    try {
      return frequencyFromSpacing(spacing);
    } catch {
      return null;
    }
  };
  const native = opts.freq !== undefined ? nativeFreq() : frequencyFromSpacing(spacing);
  if (opts.freq !== undefined && native !== opts.freq) {
    freq = opts.freq;
    const r = resampleOrdered(n, (i) => dates.get(i), (i) => values.get(i), order, { freq, agg });
    series = { source, dates: r.dates, columns: [p.name], values: [r.values], lines: r.dates.map(() => 0) };
    const from = native ?? `rows ${describeSpacing(spacing)} apart`;
    notes.push(`resampled from ${from} to ${freq} (${agg}): ${r.dates.length} periods`);
  } else {
    freq = native!;
    if (opts.freq === undefined) notes.push(`frequency inferred from the dates: ${freq}`);
    const d = new Array<number>(n);
    const v = new Float64Array(n);
    const l = new Array<number>(n);
    for (let k = 0; k < n; k++) {
      const i = row(k);
      d[k] = dates.get(i);
      v[k] = values.get(i);
      l[k] = lines.get(i);
    }
    series = { source, dates: d, columns: [p.name], values: [v], lines: l };
  }
  if (opts.dropTrailingMissing) {
    const v = series.values[0]!;
    let end = v.length;
    while (end > 0 && Number.isNaN(v[end - 1]!)) end--;
    if (end < v.length) {
      if (end < 2) throw new DataError(`${source}: only ${end} period(s) with a target value`);
      notes.push(`${v.length - end} period(s) after the last target value (${formatDate(series.dates[end - 1]!)}) left out: they carry only covariates`);
      missingCells -= Math.min(missingCells, v.length - end);
      series = { ...series, dates: series.dates.slice(0, end), values: [v.slice(0, end)], lines: series.lines.slice(0, end) };
    }
  }
  if (missingCells > 0) notes.push(`${missingCells} row(s) with a missing value`);

  const reg = regularizeSeries(series, {
    freq,
    method: opts.impute ?? "linear",
    maxGap: opts.maxGap ?? DEFAULT_MAX_GAP,
    maxShare: opts.maxImputedShare ?? DEFAULT_MAX_SHARE,
  });
  const report = reg.reports[p.name]!;
  if (report.count > 0) notes.push(describeImputation(report, freq));
  const fmt = (d: number): string => formatDate(d);
  return {
    name: p.name,
    source,
    dates: reg.series.dates,
    values: reg.series.values[0]!,
    freq,
    imputed: { count: report.count, method: report.method, dates: (report.dates ?? []).map(fmt) },
    notes,
  };
}
