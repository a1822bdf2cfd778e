// Terminal views: the metrics table (order, 3 significant digits, alignment, best-value markers,
// no colour codes unless asked) and the ASCII chart (size limits, legend, resampling, two series).

import { describe, it, expect } from "vitest";
import { asciiChart, metricsTable } from "../../src/cli/terminal.js";
import { formatSig } from "../../src/report/format.js";
import { ConfigError } from "../../src/tensor/errors.js";
import type { MethodMetrics } from "../../src/report/types.js";

const ANSI = /\x1b\[[0-9;]*m/g;
const strip = (s: string) => s.replace(ANSI, "");

const METRICS: Record<string, MethodMetrics> = {
  drift: { mae: 3.2, rmse: 4.1, smape: 12.34, mase: 1.4 },
  model: { mae: 1.2345, rmse: 1.9, smape: 5.55, mase: 0.6104 },
  naive: { mae: 2.5, rmse: 1.5, smape: 9.9, mase: 1.1 },
  seasonalNaive: { mae: 1234.5, rmse: 0.00012345, smape: NaN, mase: Infinity },
};

/** Body rows of a cli-table3 table as arrays of cell texts (border characters removed). */
function tableRows(table: string): string[][] {
  return table
    .split("\n")
    .filter((l) => l.startsWith("│"))
    .map((l) => l.split("│").slice(1, -1).map((c) => c.trim()));
}

describe("formatSig", () => {
  it("keeps 3 significant digits without exponents in the usual range", () => {
    expect(formatSig(0.61)).toBe("0.610");
    expect(formatSig(1.2345)).toBe("1.23");
    expect(formatSig(12.34)).toBe("12.3");
    expect(formatSig(1234.5)).toBe("1230");
    expect(formatSig(0.00012345)).toBe("0.000123");
    expect(formatSig(-0.5)).toBe("-0.500");
    expect(formatSig(0)).toBe("0");
    expect(formatSig(1.5e-9)).toBe("1.50e-9");
    expect(formatSig(NaN)).toBe("n/a");
    expect(formatSig(-Infinity)).toBe("n/a");
  });
});

describe("metricsTable", () => {
  const out = metricsTable(METRICS);
  const lines = out.split("\n");
  const rows = tableRows(out);

  it("lists the model first, then naive, seasonal naive, drift, with MAE RMSE sMAPE MASE columns", () => {
    expect(rows[0]).toEqual(["method", "MAE", "RMSE", "sMAPE", "MASE"]);
    expect(rows.slice(1).map((r) => r[0])).toEqual(["model", "naive", "seasonal naive", "drift"]);
  });

  it("prints 3 significant digits and marks the lowest value of each column with *", () => {
    expect(rows[1]).toEqual(["model", "1.23*", "1.90", "5.55*", "0.610*"]);
    expect(rows[2]).toEqual(["naive", "2.50", "1.50", "9.90", "1.10"]);
    expect(rows[3]).toEqual(["seasonal naive", "1230", "0.000123*", "n/a", "n/a"]);
    expect(rows[4]).toEqual(["drift", "3.20", "4.10", "12.3", "1.40"]);
    for (let col = 1; col <= 4; col++) expect(rows.slice(1).filter((r) => r[col]!.endsWith("*"))).toHaveLength(1);
  });

  it("draws a rectangular table with right-aligned numbers", () => {
    const tableLines = lines.filter((l) => /^[┌│├└]/.test(l));
    const width = tableLines[0]!.length;
    for (const l of tableLines) expect(l.length).toBe(width);
    // Each column's digits end at the same character, marked or not (the marker has its own place).
    const body = tableLines.filter((l) => l.startsWith("│"));
    for (let col = 1; col <= 4; col++) {
      const ends = body.slice(1).map((l) => {
        const cell = l.split("│")[col + 1]!;
        return cell.replace(/\*?\s*$/, "").length;
      });
      expect(new Set(ends).size).toBe(1);
    }
  });

  it("explains the marker and MASE < 1 under the table", () => {
    expect(lines[lines.length - 1]).toMatch(/^\* lowest in its column\. MASE < 1: .*naive forecast/);
  });

  it("has no colour codes unless asked", () => {
    expect(out).not.toMatch(ANSI);
    const colored = metricsTable(METRICS, { color: true });
    expect(colored).toMatch(ANSI);
    expect(tableRows(strip(colored))).toEqual(rows);
  });

  it("shows unknown methods after the known ones and refuses an empty table", () => {
    const more = metricsTable({ arima: METRICS.drift!, model: METRICS.model! });
    expect(tableRows(more).slice(1).map((r) => r[0])).toEqual(["model", "arima"]);
    expect(() => metricsTable({})).toThrow(ConfigError);
  });
});

describe("asciiChart", () => {
  const n = 1000;
  const actual = Array.from({ length: n }, (_, i) => 10 + 5 * Math.sin((2 * Math.PI * i) / 250));
  const predicted = actual.map((v, i) => v + Math.cos(i / 40));

  it("fits height + 1 lines (the legend last) within the width, for several sizes", () => {
    for (const [height, width] of [[8, 40], [12, 80], [20, 120]] as const) {
      const out = asciiChart(actual, predicted, { height, width });
      const lines = out.split("\n");
      expect(lines).toHaveLength(height + 1);
      for (const l of lines) expect(Array.from(l).length).toBeLessThanOrEqual(width);
      // A long series is resampled to use the whole width.
      expect(Math.max(...lines.slice(0, -1).map((l) => Array.from(l).length))).toBe(width);
      expect(lines[height]).toMatch(/── actual {3}╌╌ predicted$/);
    }
  });

  it("labels the axis from max (top) to min (bottom) with one width", () => {
    const out = asciiChart([0, 5, 10], [2, 4, 6], { height: 6, width: 40 });
    const lines = out.split("\n").slice(0, -1);
    const labels = lines.map((l) => l.slice(0, l.search(/[┤┼]/)));
    expect(new Set(labels.map((l) => l.length)).size).toBe(1);
    expect(Number(labels[0])).toBeCloseTo(10, 6);
    expect(Number(labels[labels.length - 1])).toBeCloseTo(0, 6);
    // A series that fits is not stretched: 3 points take the axis and two cells.
    for (const l of lines) expect(Array.from(l).length).toBeLessThanOrEqual(labels[0]!.length + 3);
  });

  it("draws the two series apart: actual solid, predicted dashed", () => {
    const out = asciiChart(Array(50).fill(0), Array(50).fill(10), { height: 5, width: 60 });
    const lines = out.split("\n");
    const plot = (l: string) => l.slice(l.search(/[┤┼]/) + 1);
    expect(plot(lines[0]!)).toMatch(/^╌+$/); // predicted at the top
    expect(plot(lines[4]!)).toMatch(/^─+$/); // actual at the bottom
    for (const l of lines.slice(1, 4)) expect(plot(l)).toBe("");
  });

  it("averages into columns when resampling, keeping where the series changes", () => {
    // A step from 0 to 10 halfway: the top row is drawn only on the right half, the bottom only on the left.
    const step = Array.from({ length: 2000 }, (_, i) => (i < 1000 ? 0 : 10));
    const out = asciiChart(step, step, { height: 5, width: 70 });
    const lines = out.split("\n");
    const axis = lines[0]!.search(/[┤┼]/);
    const cells = 70 - axis - 1;
    const top = Array.from(lines[0]!.slice(axis + 1));
    const bottom = Array.from(lines[4]!.slice(axis + 1));
    const drawnTop = top.map((c, i) => (c !== " " ? i : -1)).filter((i) => i >= 0);
    const drawnBottom = bottom.map((c, i) => (c !== " " ? i : -1)).filter((i) => i >= 0);
    expect(Math.min(...drawnTop)).toBeGreaterThanOrEqual(Math.floor(cells / 2) - 1);
    expect(Math.max(...drawnTop)).toBe(cells - 1);
    expect(Math.max(...drawnBottom)).toBeLessThanOrEqual(Math.ceil(cells / 2));
  });

  it("lets a shorter predicted series end early on the shared index axis", () => {
    const out = asciiChart(Array(40).fill(0), Array(20).fill(10), { height: 4, width: 80 });
    const top = out.split("\n")[0]!;
    const plot = top.slice(top.search(/[┤┼]/) + 1);
    expect(plot).toMatch(/^╌{19}$/);
  });

  it("has no colour codes unless asked, and colour does not change the visible text", () => {
    const plain = asciiChart(actual, predicted, { height: 10, width: 80 });
    expect(plain).not.toMatch(ANSI);
    const colored = asciiChart(actual, predicted, { height: 10, width: 80, color: true });
    expect(colored).toMatch(ANSI);
    expect(strip(colored)).toBe(plain);
  });

  it("uses custom legend names, survives flat and non-finite data, and refuses impossible sizes", () => {
    const out = asciiChart([3, 3, NaN, 3], [3, 3, 3, 3], { height: 4, width: 30, labels: ["obs", "lstm"] });
    expect(out.split("\n")).toHaveLength(5);
    expect(out).toMatch(/── obs {3}╌╌ lstm$/);
    expect(() => asciiChart([1, 2], [1, 2], { width: 6 })).toThrow(ConfigError);
    expect(() => asciiChart([1, 2], [1, 2], { height: 1 })).toThrow(ConfigError);
    expect(() => asciiChart([NaN], [], {})).toThrow(/no finite values/);
  });
});
