// Sliding windows that turn a series into supervised examples: L past steps of the inputs
// predict the next H steps of the targets, packed as flat batch-major Float32 buffers.

import { ConfigError, DataError } from "../tensor/errors.js";

/**
 * Data to window: one feature (`number[]`/Float64Array), rows `[n][features]`, or columns
 * with names (e.g. a TimeSeries: `{ columns, values }`, `values[j][i]`), which allows
 * choosing inputs and targets by name.
 */
export type WindowData =
  | ArrayLike<number>
  | readonly ArrayLike<number>[]
  | { readonly columns: readonly string[]; readonly values: readonly ArrayLike<number>[] };

/** Options for {@link makeWindows}. */
export interface WindowOptions {
  /** L: input time steps per window. */
  lookback: number;
  /** H: target time steps per window (1 = many-to-one). */
  horizon: number;
  /** Steps between consecutive window origins (default 1). */
  stride?: number;
  /** Input features (column indices, or names for named columns); default all. */
  inputs?: readonly (number | string)[];
  /** Target features; default the same as `inputs`. */
  targets?: readonly (number | string)[];
}

/**
 * N windows. `X` has shape `[N, L, F]` and `Y` `[N, H, T]` (row-major, batch first):
 * `X[(w*L + t)*F + f]` is input f at row `origins[w] − L + 1 + t`, and
 * `Y[(w*H + h)*T + k]` is target k at row `origins[w] + 1 + h`.
 */
export interface Windows {
  X: Float32Array;
  Y: Float32Array;
  xShape: [number, number, number];
  yShape: [number, number, number];
  /** Row index of the last input step of each window, ascending. */
  origins: number[];
  /** Resolved input column indices. */
  inputs: number[];
  /** Resolved target column indices. */
  targets: number[];
}

interface Table {
  n: number;
  width: number;
  get(i: number, j: number): number;
  names?: readonly string[];
}

function asTable(data: WindowData): Table {
  if ("columns" in data && "values" in data && !Array.isArray(data)) {
    const { columns, values } = data;
    const n = values.length ? values[0].length : 0;
    values.forEach((v, j) => {
      if (v.length !== n) throw new DataError(`column "${columns[j]}" has ${v.length} values, "${columns[0]}" has ${n}`);
    });
    return { n, width: values.length, get: (i, j) => values[j][i], names: columns };
  }
  const arr = data as ArrayLike<number> | readonly ArrayLike<number>[];
  if (arr.length > 0 && typeof arr[0] === "object") {
    const rows = arr as readonly ArrayLike<number>[];
    const width = rows[0].length;
    rows.forEach((r, i) => {
      if (r.length !== width) throw new DataError(`row ${i} has ${r.length} values, row 0 has ${width}`);
    });
    return { n: rows.length, width, get: (i, j) => rows[i][j] };
  }
  const vec = arr as ArrayLike<number>;
  return { n: vec.length, width: 1, get: (i) => vec[i] };
}

function resolve(table: Table, cols: readonly (number | string)[] | undefined, what: string): number[] {
  if (cols === undefined) return Array.from({ length: table.width }, (_, j) => j);
  if (cols.length === 0) throw new ConfigError(`makeWindows: no ${what} columns given`);
  return cols.map((c) => {
    if (typeof c === "string") {
      const j = table.names ? table.names.indexOf(c) : -1;
      if (j < 0) {
        const avail = table.names ? `available: ${table.names.join(", ")}` : "the data has no column names; use indices";
        throw new DataError(`makeWindows: no ${what} column "${c}"; ${avail}`);
      }
      return j;
    }
    if (!Number.isInteger(c) || c < 0 || c >= table.width) {
      throw new DataError(`makeWindows: ${what} column index ${c} out of range; the data has ${table.width} column(s)`);
    }
    return c;
  });
}

function positiveInt(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`makeWindows: ${what} must be a positive integer, got ${v}`);
}

function read(table: Table, i: number, j: number): number {
  const v = table.get(i, j);
  if (!Number.isFinite(v)) {
    const col = table.names ? `column "${table.names[j]}"` : `column ${j}`;
    throw new DataError(`makeWindows: row ${i}, ${col} is ${v}; impute missing values first`);
  }
  return v;
}

/**
 * Cuts every window with L input rows followed by H target rows. Targets lie strictly after
 * the inputs (no look-ahead). With a stride > 1 the windows are aligned to the end of the
 * series so the most recent window is always included.
 * @throws ConfigError on a non-positive lookback/horizon/stride; DataError on an unknown
 * column, a non-finite value, or fewer than L + H rows (saying how many are needed).
 */
export function makeWindows(data: WindowData, options: WindowOptions): Windows {
  const { lookback: L, horizon: H } = options;
  const stride = options.stride ?? 1;
  positiveInt(L, "lookback");
  positiveInt(H, "horizon");
  positiveInt(stride, "stride");
  const table = asTable(data);
  const inputs = resolve(table, options.inputs, "input");
  const targets = options.targets === undefined ? [...inputs] : resolve(table, options.targets, "target");
  if (inputs.length === 0 || targets.length === 0) {
    throw new DataError(`makeWindows: the data has no columns to take ${inputs.length === 0 ? "inputs" : "targets"} from`);
  }
  if (table.n < L + H) {
    throw new DataError(
      `makeWindows: lookback ${L} + horizon ${H} needs at least ${L + H} rows; the series has ${table.n}`,
    );
  }
  const origins: number[] = [];
  for (let o = table.n - 1 - H; o >= L - 1; o -= stride) origins.push(o);
  origins.reverse();
  const N = origins.length;
  const F = inputs.length;
  const T = targets.length;
  // Float32Array lengths stop at 2^32 − 1 in V8; say so instead of a RangeError.
  const limit = 2 ** 31;
  if (N * L * F > limit || N * H * T > limit) {
    throw new DataError(
      `makeWindows: ${N} windows × ${L} steps × ${F} features (${N * L * F} values) is too large for one buffer; ` +
        `raise the stride or shorten the series`,
    );
  }
  const X = new Float32Array(N * L * F);
  const Y = new Float32Array(N * H * T);
  origins.forEach((o, w) => {
    for (let t = 0; t < L; t++) {
      const row = o - L + 1 + t;
      for (let f = 0; f < F; f++) X[(w * L + t) * F + f] = read(table, row, inputs[f]);
    }
    for (let h = 0; h < H; h++) {
      const row = o + 1 + h;
      for (let k = 0; k < T; k++) Y[(w * H + h) * T + k] = read(table, row, targets[k]);
    }
  });
  return { X, Y, xShape: [N, L, F], yShape: [N, H, T], origins, inputs, targets };
}

/**
 * The input window ending at the last row, to forecast beyond the end of the series.
 * @throws DataError with fewer than `lookback` rows or a non-finite value.
 */
export function lastWindow(
  data: WindowData,
  options: { lookback: number; inputs?: readonly (number | string)[] },
): { X: Float32Array; xShape: [number, number, number]; origin: number; inputs: number[] } {
  const L = options.lookback;
  positiveInt(L, "lookback");
  const table = asTable(data);
  const inputs = resolve(table, options.inputs, "input");
  if (table.n < L) throw new DataError(`lastWindow: lookback ${L} needs at least ${L} rows; the series has ${table.n}`);
  const F = inputs.length;
  if (F === 0) throw new DataError("lastWindow: the data has no columns to take inputs from");
  const X = new Float32Array(L * F);
  const origin = table.n - 1;
  for (let t = 0; t < L; t++) for (let f = 0; f < F; f++) X[t * F + f] = read(table, origin - L + 1 + t, inputs[f]);
  return { X, xShape: [1, L, F], origin, inputs };
}

/**
 * Windows `start` (inclusive) to `end` (exclusive), e.g. the ranges of
 * {@link splitChronological} applied to the window count.
 * @throws DataError on a range outside `[0, N]`.
 */
export function sliceWindows(w: Windows, start: number, end: number): Windows {
  const [N, L, F] = w.xShape;
  const [, H, T] = w.yShape;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > N || start > end) {
    throw new DataError(`sliceWindows: range [${start}, ${end}) is outside the ${N} windows`);
  }
  return {
    X: w.X.slice(start * L * F, end * L * F),
    Y: w.Y.slice(start * H * T, end * H * T),
    xShape: [end - start, L, F],
    yShape: [end - start, H, T],
    origins: w.origins.slice(start, end),
    inputs: [...w.inputs],
    targets: [...w.targets],
  };
}
