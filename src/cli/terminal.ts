// Terminal views of a forecast: the metrics table (cli-table3) and an actual-vs-predicted line chart
// (asciichart). Plain text unless `color: true`, so the output can go to logs and files as is.

import Table from "cli-table3";
import { plot } from "asciichart";
import { ConfigError } from "../tensor/errors.js";
import type { MethodMetrics } from "../report/types.js";
import { METRIC_COLUMNS, bestPerColumn, coverageText, formatSig, methodLabel, orderedMethods } from "../report/format.js";

const BOLD = "\x1b[1m";
const GREEN = "\x1b[32m";
const BLUE = "\x1b[34m";
const RED = "\x1b[31m";
const RESET = "\x1b[0m";

export interface TerminalOptions {
  /** ANSI colours (default false). */
  color?: boolean;
}

/**
 * The test-period metrics, one row per method (model first, then naive, seasonal naive, drift,
 * and the statistical baselines SES, Holt, damped Holt, ETS, Theta, Comb when present),
 * columns MAE RMSE sMAPE MASE to 3 significant digits, right-aligned. The lowest value of each
 * column is marked with "*"; a note under the table says what MASE < 1 means.
 */
export function metricsTable(metrics: Record<string, MethodMetrics>, opts: TerminalOptions = {}): string {
  const color = opts.color ?? false;
  const methods = orderedMethods(metrics);
  if (methods.length === 0) throw new ConfigError("metricsTable: no methods in metrics (expected keys such as model, naive)");
  const best = bestPerColumn(metrics);
  const table = new Table({
    // The trailing space lines each heading up with the digits, left of the marker column.
    head: ["method", ...METRIC_COLUMNS.map((c) => `${c.label} `)],
    colAligns: ["left", "right", "right", "right", "right"],
    // cli-table3 colours the head red and the border grey by default; empty styles keep plain text.
    // Compact: no rule between body rows, so ten methods fit in fourteen lines.
    style: { head: color ? ["cyan"] : [], border: color ? ["grey"] : [], compact: true },
  });
  for (const m of methods) {
    const row: string[] = [methodLabel(m)];
    for (const { key } of METRIC_COLUMNS) {
      const text = formatSig(metrics[m]![key]);
      // The marker column keeps the digits of marked and unmarked cells aligned.
      const isBest = best[key].has(m);
      row.push(isBest ? (color ? `${BOLD}${GREEN}${text}*${RESET}` : `${text}*`) : `${text} `);
    }
    table.push(row);
  }
  return [
    table.toString(),
    "* lowest in its column. MASE < 1: smaller errors than the seasonal naive forecast made in-sample on the training data.",
  ].join("\n");
}

/**
 * One line under the metrics table: the measured coverage of the forecast's 80 % and 95 %
 * intervals over the backtest ("Interval coverage in the backtest: 80 %: 81.2 % of 260 pairs; …").
 */
export function coverageLine(coverage: readonly { level: number; coverage: number | null; scored: number; skipped: number }[]): string {
  return `Interval coverage in the backtest (split-conformal, calibrated on earlier origins only): ${coverage.map(coverageText).join("; ")}`;
}

export interface AsciiChartOptions extends TerminalOptions {
  /** Rows of the plot area (default 12); the legend adds one line. */
  height?: number;
  /** Maximum characters per line, axis labels included (default 80). */
  width?: number;
  /** Legend names of the two series (default "actual", "predicted"). */
  labels?: [string, string];
}

// asciichart symbols: [origin, axis, -, -, horizontal, ╰, ╭, ╮, ╯, vertical]. The predicted series
// is drawn dashed so the two lines stay apart without colour.
type Symbols = [string, string, string, string, string, string, string, string, string, string];
const SOLID: Symbols = ["┼", "┤", "╶", "╴", "─", "╰", "╭", "╮", "╯", "│"];
const DASHED: Symbols = ["┼", "┤", "╶", "╴", "╌", "╰", "╭", "╮", "╯", "╎"];

/**
 * Actual and predicted values as one terminal line chart with a legend line under it. Series
 * longer than the plot area are averaged into one point per column; both share the index axis
 * (point i of each series is the same time), so a shorter series ends earlier. Non-finite values
 * are left out of the averages.
 */
export function asciiChart(actual: readonly number[], predicted: readonly number[], opts: AsciiChartOptions = {}): string {
  const height = opts.height ?? 12;
  const width = opts.width ?? 80;
  const color = opts.color ?? false;
  const [nameA, nameP] = opts.labels ?? ["actual", "predicted"];
  if (!Number.isInteger(height) || height < 2) throw new ConfigError(`asciiChart: height must be an integer >= 2, got ${height}`);
  const finite = [...actual, ...predicted].filter(Number.isFinite);
  if (finite.length === 0) throw new ConfigError("asciiChart: no finite values to plot in actual or predicted");

  let min = Math.min(...finite);
  let max = Math.max(...finite);
  if (min === max) {
    // A flat line still gets a visible axis range.
    const pad = Math.abs(min) * 0.01 || 1;
    min -= pad;
    max += pad;
  }
  const decimals = labelDecimals(max - min, height);
  const labelWidth = Math.max(min.toFixed(decimals).length, max.toFixed(decimals).length);
  // Each line: the label, a space, the axis, then the plot cells. asciichart puts a series' first
  // point on the axis and one point per cell after it, so the cells hold cells + 1 points.
  const cells = width - labelWidth - 2;
  if (!Number.isInteger(width) || cells < 2) {
    throw new ConfigError(`asciiChart: width ${width} leaves no room for the plot after ${labelWidth + 2} label characters`);
  }
  const n = Math.max(actual.length, predicted.length);
  const a = resample(actual, n, cells + 1);
  const p = resample(predicted, n, cells + 1);

  const cfg = {
    min,
    max,
    height: height - 1, // asciichart draws height + 1 rows
    offset: 2, // cell 0 holds the whole label, cell 1 the axis
    format: (x: number) => `${x.toFixed(decimals).padStart(labelWidth).slice(-labelWidth)} `,
  };
  const head = labelWidth + 1;
  const split = (text: string) => text.split("\n").map((line) => Array.from(line));
  const gridA = a.length > 0 ? split(plot(a, { ...cfg, symbols: SOLID })) : null;
  const gridP = p.length > 0 ? split(plot(p, { ...cfg, symbols: DASHED })) : null;
  const paint = (ch: string, code: string) => (color ? `${code}${ch}${RESET}` : ch);
  const lines = (gridA ?? gridP)!.map((_, r) => {
    const out = [(gridA ?? gridP)![r]!.slice(0, head).join("")];
    // Column 0 is the axis, where each series' first point is marked.
    for (let c = 0; c <= cells; c++) {
      const ca = gridA?.[r]?.[head + c] ?? " ";
      const cp = gridP?.[r]?.[head + c] ?? " ";
      if (c === 0) {
        // Both grids draw the axis here; ┼ marks the row of a series' first point (or of zero).
        out.push(cp === "┼" ? paint("┼", RED) : ca === "┼" ? paint("┼", BLUE) : "┤");
      } else if (cp !== " ") out.push(paint(cp, RED)); // the forecast is drawn over the actuals
      else if (ca !== " ") out.push(paint(ca, BLUE));
      else out.push(" ");
    }
    return out.join("").trimEnd();
  });
  const pad = " ".repeat(head + 1);
  lines.push(color
    ? `${pad}${BLUE}──${RESET} ${nameA}   ${RED}╌╌${RESET} ${nameP}`
    : `${pad}── ${nameA}   ╌╌ ${nameP}`.slice(0, width));
  return lines.join("\n");
}

/** Decimals for axis labels so that neighbouring rows (range / height apart) read differently. */
function labelDecimals(range: number, height: number): number {
  const step = range / Math.max(1, height - 1);
  return Math.min(6, Math.max(0, Math.ceil(-Math.log10(step)) + 1));
}

/**
 * A series of length m <= n on an index axis of n points, drawn on `columns` columns: when n fits,
 * one column per point; otherwise column c averages the points of [c*n/columns, (c+1)*n/columns).
 * Columns with no finite value repeat the previous column (asciichart cannot draw gaps).
 */
function resample(xs: readonly number[], n: number, columns: number): number[] {
  if (n <= columns) return fillGaps(xs.slice());
  const out: number[] = [];
  for (let c = 0; c < columns; c++) {
    const lo = Math.floor((c * n) / columns);
    const hi = Math.floor(((c + 1) * n) / columns);
    if (lo >= xs.length) break;
    let sum = 0;
    let k = 0;
    for (let i = lo; i < Math.min(hi, xs.length); i++) {
      if (Number.isFinite(xs[i])) {
        sum += xs[i]!;
        k++;
      }
    }
    out.push(k > 0 ? sum / k : NaN);
  }
  return fillGaps(out);
}

function fillGaps(xs: number[]): number[] {
  const first = xs.findIndex(Number.isFinite);
  if (first < 0) return [];
  let last = xs[first]!;
  return xs.map((v) => (Number.isFinite(v) ? (last = v) : last));
}
