// Host-neutral terminal pictures (plain text, no colour): point charts with one symbol per series,
// scatter plots and shade-character heatmaps, each framed by a title line and a legend line.

import { ConfigError } from "../tensor/errors.js";
import { formatSig } from "./format.js";

export interface AsciiSeries {
  name: string;
  values: readonly number[];
  /** One character drawn at each point; later series are drawn over earlier ones. */
  symbol: string;
}

export interface AsciiFrame {
  title: string;
  /** Rows of the plot area (default 10). */
  height?: number;
  /** Columns of the plot area, labels excluded (default 60). */
  width?: number;
}

/** Shades from lowest to highest value; a blank is the lowest so sparse maps stay readable. */
export const SHADES = [" ", "░", "▒", "▓", "█"] as const;

function checkSize(height: number, width: number, who: string): void {
  if (!Number.isInteger(height) || height < 2) throw new ConfigError(`${who}: height must be an integer >= 2, got ${height}`);
  if (!Number.isInteger(width) || width < 2) throw new ConfigError(`${who}: width must be an integer >= 2, got ${width}`);
}

/** Min and max of the finite values, widened when equal so a flat series still spans the rows. */
function range(xs: readonly number[], who: string): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const x of xs) if (Number.isFinite(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  if (lo > hi) throw new ConfigError(`${who}: no finite values to plot`);
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.01 || 1;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

/**
 * Column c holds the mean of the finite points in [c*n/columns, (c+1)*n/columns), so a long
 * series is averaged rather than subsampled (subsampling would alias seasonal data).
 */
function resample(xs: readonly number[], n: number, columns: number): number[] {
  const cols = Math.min(n, columns);
  const out: number[] = [];
  for (let c = 0; c < cols; c++) {
    const lo = Math.floor((c * n) / cols), hi = Math.max(lo + 1, Math.floor(((c + 1) * n) / cols));
    let sum = 0, k = 0;
    for (let i = lo; i < Math.min(hi, xs.length); i++) if (Number.isFinite(xs[i])) { sum += xs[i]!; k++; }
    out.push(k > 0 ? sum / k : NaN);
  }
  return out;
}

function labelled(grid: string[][], top: string, bottom: string): string[] {
  const w = Math.max(top.length, bottom.length);
  return grid.map((row, r) => {
    const label = r === 0 ? top : r === grid.length - 1 ? bottom : "";
    return `${label.padStart(w)} │${row.join("")}`.trimEnd();
  });
}

/**
 * Series on a shared index axis as a point chart: title, `height` rows, an x-axis line giving the
 * index range, and a legend line (height + 3 lines). With `logY` rows are evenly spaced in log10,
 * and non-positive values are left out.
 */
export function asciiLines(series: readonly AsciiSeries[], opts: AsciiFrame & { logY?: boolean; xLabel?: string; xStart?: number }): string {
  const height = opts.height ?? 10, width = opts.width ?? 60;
  checkSize(height, width, "asciiLines");
  const tf = opts.logY ? (x: number) => (x > 0 ? Math.log10(x) : NaN) : (x: number) => x;
  const [lo, hi] = range(series.flatMap((s) => s.values.map(tf)), "asciiLines");
  const n = Math.max(...series.map((s) => s.values.length));
  const cols = Math.min(n, width);
  const grid = Array.from({ length: height }, () => Array<string>(cols).fill(" "));
  for (const s of series) {
    resample(s.values.map(tf), n, width).forEach((v, c) => {
      if (!Number.isFinite(v)) return;
      grid[height - 1 - Math.round(((v - lo) / (hi - lo)) * (height - 1))]![c] = s.symbol;
    });
  }
  const back = opts.logY ? (x: number) => 10 ** x : (x: number) => x;
  const rows = labelled(grid, formatSig(back(hi)), formatSig(back(lo)));
  const pad = rows[0]!.indexOf("│");
  const x0 = opts.xStart ?? 0;
  const xAxis = `${" ".repeat(pad)}└${"─".repeat(cols)} ${opts.xLabel ?? "index"} ${x0}…${x0 + n - 1}`;
  const legend = `${" ".repeat(pad + 1)}${series.map((s) => `${s.symbol} ${s.name}`).join("   ")}${opts.logY ? "   (log scale)" : ""}`;
  return [opts.title, ...rows, xAxis, legend].join("\n");
}

/** Predicted against actual with the y = x diagonal: title, `height` rows, x-axis line, legend. */
export function asciiScatter(actual: readonly number[], predicted: readonly number[], opts: AsciiFrame): string {
  const height = opts.height ?? 12, width = opts.width ?? 40;
  checkSize(height, width, "asciiScatter");
  // One range for both axes, so the diagonal is y = x.
  const [lo, hi] = range([...actual, ...predicted], "asciiScatter");
  const row = (v: number) => height - 1 - Math.round(((v - lo) / (hi - lo)) * (height - 1));
  const col = (v: number) => Math.round(((v - lo) / (hi - lo)) * (width - 1));
  const grid = Array.from({ length: height }, () => Array<string>(width).fill(" "));
  for (let c = 0; c < width; c++) grid[row(lo + ((hi - lo) * c) / (width - 1))]![c] = "·";
  for (let i = 0; i < Math.min(actual.length, predicted.length); i++) {
    if (Number.isFinite(actual[i]) && Number.isFinite(predicted[i])) grid[row(predicted[i]!)]![col(actual[i]!)] = "o";
  }
  const rows = labelled(grid, formatSig(hi), formatSig(lo));
  const pad = rows[0]!.indexOf("│");
  const xAxis = `${" ".repeat(pad)}└${"─".repeat(width)} actual ${formatSig(lo)}…${formatSig(hi)}`;
  return [opts.title, ...rows, xAxis, `${" ".repeat(pad + 1)}o predicted vs actual   · y = x`].join("\n");
}

/**
 * A matrix (rows × columns, e.g. units × time steps) as one line of shade characters per row:
 * title, one line per row, legend with the value range. Columns beyond `width` are averaged.
 */
export function asciiHeatmap(matrix: readonly (readonly number[])[], opts: { title: string; width?: number; rowLabel?: string }): string {
  const width = opts.width ?? 60;
  checkSize(2, width, "asciiHeatmap");
  if (matrix.length === 0) throw new ConfigError("asciiHeatmap: no rows to draw");
  const [lo, hi] = range(matrix.flat(), "asciiHeatmap");
  const n = Math.max(...matrix.map((r) => r.length));
  const labelW = `${opts.rowLabel ?? "u"}${matrix.length - 1}`.length;
  const lines = matrix.map((r, i) => {
    const cells = resample(r, n, width).map((v) =>
      Number.isFinite(v) ? SHADES[Math.min(SHADES.length - 1, Math.floor(((v - lo) / (hi - lo)) * SHADES.length))] : "?");
    return `${`${opts.rowLabel ?? "u"}${i}`.padStart(labelW)} │${cells.join("")}│`;
  });
  const legend = `${" ".repeat(labelW + 2)}${SHADES.map((s) => `[${s}]`).join("")} ${formatSig(lo)} → ${formatSig(hi)}`;
  return [opts.title, ...lines, legend].join("\n");
}
