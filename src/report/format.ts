// Number formatting and the metrics-table logic shared by the HTML report and the terminal views.

import type { MethodMetrics } from "./types.js";

/** The baselines in the order they are shown, after the model; other keys follow in their own order. */
const METHOD_ORDER = ["model", "naive", "seasonalNaive", "drift", "ses", "holt", "damped", "ets", "theta", "comb"];
const METHOD_LABELS: Record<string, string> = {
  model: "model",
  naive: "naive",
  seasonalNaive: "seasonal naive",
  drift: "drift",
  ses: "SES",
  holt: "Holt",
  damped: "damped Holt",
  ets: "ETS (auto)",
  theta: "Theta",
  comb: "Comb (M4)",
};

export const METRIC_COLUMNS: readonly { key: keyof MethodMetrics; label: string }[] = [
  { key: "mae", label: "MAE" },
  { key: "rmse", label: "RMSE" },
  { key: "smape", label: "sMAPE" },
  { key: "mase", label: "MASE" },
];

/**
 * `x` to `digits` significant digits, without exponent notation for values from 1e-3 up to 1e15
 * ("1230", "0.00123"); "n/a" for NaN and infinities, which a metric gets when its scale is zero.
 */
export function formatSig(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return "n/a";
  if (x === 0) return "0";
  const s = x.toPrecision(digits);
  if (!s.includes("e")) return s;
  const abs = Math.abs(x);
  return abs >= 1 && abs < 1e15 ? String(Number(s)) : s;
}

export function methodLabel(key: string): string {
  return METHOD_LABELS[key] ?? key;
}

/** Method keys in display order: model, naive, seasonalNaive, drift, ses, holt, damped, ets, theta, comb, then any others. */
export function orderedMethods(metrics: Record<string, MethodMetrics>): string[] {
  const keys = Object.keys(metrics);
  const known = METHOD_ORDER.filter((k) => keys.includes(k));
  return [...known, ...keys.filter((k) => !METHOD_ORDER.includes(k))];
}

/** For each column, the methods holding its smallest finite value (ties all count). */
export function bestPerColumn(metrics: Record<string, MethodMetrics>): Record<keyof MethodMetrics, Set<string>> {
  const best = {} as Record<keyof MethodMetrics, Set<string>>;
  for (const { key } of METRIC_COLUMNS) {
    let min = Infinity;
    for (const m of Object.keys(metrics)) {
      const v = metrics[m]![key];
      if (Number.isFinite(v) && v < min) min = v;
    }
    best[key] = new Set(Object.keys(metrics).filter((m) => metrics[m]![key] === min));
  }
  return best;
}

/** "80 % covered 81.2 % of 260 backtest pairs" for each level, or why it was not measured. */
export function coverageText(c: { level: number; coverage: number | null; scored: number; skipped: number }): string {
  if (c.coverage === null) return `${c.level} %: not measured (too few backtest origins: ${c.skipped} pairs without enough earlier errors)`;
  return `${c.level} %: ${c.coverage.toFixed(1)} % of ${c.scored} pairs`;
}
