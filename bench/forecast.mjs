// `npm run bench:forecast`: the forecasting evaluation suite (data/suite/, see its README.md).
// For every series, every method forecasts from the same rolling origins (k origins spaced by the
// horizon at the end of the series); prints per-series MASE (M4: seasonal-naive scale of each
// origin's training span, lag 12 monthly, 4 quarterly, else 1) and sMAPE, and the means.
//
//   node --import tsx bench/forecast.mjs [--series a,b] [--no-recurrent] [--recurrent-budget MIN]
//                                        [--recurrent-series a,b] [--methods a,b] [--out FILE.json]
//
// Methods: naive, seasonal naive, drift (src/forecast/baselines.ts); ses, holt, damped (on the
// M4-style seasonally adjusted series), ets (automatic, AICc), theta, comb
// (src/forecast/stats); and recurrent's default forecaster, forecast() with its defaults and
// the suite's horizon (the LSTM ensemble or the ES-RNN, whichever its own backtest prefers: the
// coverage table names the choice per origin), whose 80 % and 95 % split-conformal intervals are
// checked against the actual values of every origin (a coverage table after the sMAPE one). recurrent is CPU-heavy: --recurrent-budget stops starting new series once
// that many minutes have gone to it; series it did not run are reported as such, never filled in.

import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { forecast } from "../src/index.ts";
import { naive, seasonalNaive, drift } from "../src/forecast/baselines.ts";
import { loadSuite, scoreSuiteSeries, scoreSuiteSeriesAsync, STAT_METHODS } from "../src/forecast/stats/index.ts";
import { parseArgs, log } from "./common.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const { opt } = parseArgs(process.argv.slice(2));
const suiteDir = join(here, "..", "data", "suite");
let suite = loadSuite(suiteDir);
if (opt.series) {
  const want = String(opt.series).split(",");
  suite = suite.filter((s) => want.includes(s.name));
}
const runRecurrent = opt["no-recurrent"] !== true;
const budgetMs = opt["recurrent-budget"] ? Number(opt["recurrent-budget"]) * 60_000 : Infinity;
const recurrentOnly = opt["recurrent-series"] ? String(opt["recurrent-series"]).split(",") : null;

const METHODS = {
  naive: (y, m, h) => naive(y, h),
  snaive: (y, m, h) => (y.length >= m ? seasonalNaive(y, h, m) : naive(y, h)),
  drift: (y, m, h) => drift(y, h),
  ses: STAT_METHODS.ses,
  holt: STAT_METHODS.holt,
  damped: STAT_METHODS.damped,
  ets: STAT_METHODS.ets,
  theta: STAT_METHODS.theta,
  comb: STAT_METHODS.comb,
};
// --methods naive,recurrent runs only those (e.g. recurrent's interval coverage without the costly ETS).
const onlyMethods = opt.methods ? String(opt.methods).split(",") : null;
const names = [...Object.keys(METHODS), ...(runRecurrent ? ["recurrent"] : [])].filter((k) => !onlyMethods || onlyMethods.includes(k));

const toMs = (d) => Date.parse(`${d}T00:00:00Z`);
// recurrent's calls by series and origin (history length): the future with its intervals, the
// model that made it (the LSTM or the ES-RNN, as forecast() chose) and its own backtest forecasts
// (saved with --out, so other interval rules can be scored on the same run).
const intervalsBySeries = {};
function recurrentFn(s) {
  const iv = (intervalsBySeries[s.name] = {});
  return async (history, h) => {
    const dates = s.dates.slice(0, history.length).map(toMs);
    const r = await forecast({ name: s.name, dates, values: history, freq: s.freq }, { horizon: h, verbose: 0 });
    iv[history.length] = { future: r.future, model: r.model, rolling: r.rolling, intervals: { pooled: r.intervals.pooled, exact: r.intervals.exact, origins: r.intervals.origins } };
    return r.future.map((p) => p.value);
  };
}
/** Share of the forecast values inside their 80 % and 95 % intervals, over every origin and step of one series. */
function coverageOf(s) {
  const iv = intervalsBySeries[s.name];
  if (!iv) return null;
  let in80 = 0, in95 = 0, k = 0;
  for (const [len, { future }] of Object.entries(iv)) {
    future.forEach((p, h) => {
      const y = s.values[Number(len) + h];
      if (y === undefined || p.lo80 === undefined) return;
      k++;
      if (y >= p.lo80 && y <= p.hi80) in80++;
      if (y >= p.lo95 && y <= p.hi95) in95++;
    });
  }
  const models = Object.values(iv).map((c) => c.model).join("/");
  return k > 0 ? { c80: (100 * in80) / k, c95: (100 * in95) / k, n: k, models } : null;
}

const t0 = performance.now();
const rows = [];
let recurrentMs = 0;
const timeMs = Object.fromEntries(names.map((k) => [k, 0]));
for (const s of suite) {
  const row = { name: s.name, freq: s.freq, n: s.values.length, horizon: s.horizon, origins: s.origins, scores: {} };
  for (const k of names) {
    let fn;
    if (k === "recurrent") {
      if (recurrentMs >= budgetMs || (recurrentOnly && !recurrentOnly.includes(s.name))) { row.scores[k] = null; continue; }
      fn = recurrentFn(s);
    } else fn = (y, h) => METHODS[k](y, s.period, h);
    const t = performance.now();
    try {
      const sc = k === "recurrent"
        ? await scoreSuiteSeriesAsync(s.values, s.masePeriod, s.horizon, s.origins, fn)
        : scoreSuiteSeries(s.values, s.masePeriod, s.horizon, s.origins, fn);
      row.scores[k] = { mase: sc.mase, smape: sc.smape, forecasts: sc.forecasts };
    } catch (e) {
      row.scores[k] = { error: `${e.name}: ${e.message}` };
      log(`${s.name} ${k}: ${e.name}: ${e.message}`);
    }
    const dt = performance.now() - t;
    timeMs[k] += dt;
    if (k === "recurrent") recurrentMs += dt;
  }
  if (typeof row.scores.recurrent?.mase === "number") {
    row.coverage = coverageOf(s);
    row.recurrentCalls = intervalsBySeries[s.name];
  }
  rows.push(row);
  log(`${s.name}: ` + names.map((k) => `${k} ${row.scores[k]?.mase?.toFixed(3) ?? "-"}`).join("  ") +
    (row.coverage ? `  coverage 80% ${row.coverage.c80.toFixed(1)} 95% ${row.coverage.c95.toFixed(1)} (${row.coverage.n} values; ${row.coverage.models})` : ""));
}
const wall = (performance.now() - t0) / 1000;

const f3 = (v) => (v === undefined || v === null ? "–" : v.toFixed(3));
const f2 = (v) => (v === undefined || v === null ? "–" : v.toFixed(2));
function table(metric, fmt) {
  const lines = [];
  lines.push(`| series | freq | n | H×k | ${names.join(" | ")} |`);
  lines.push(`|---|---|---:|---:|${names.map(() => "---:").join("|")}|`);
  for (const r of rows) {
    const vals = names.map((k) => r.scores[k]?.[metric]);
    const finite = vals.filter((v) => typeof v === "number");
    const best = Math.min(...finite);
    const cells = vals.map((v, i) => (typeof v === "number" ? (v === best ? `**${fmt(v)}**` : fmt(v)) : r.scores[names[i]]?.error ? "error" : "not run"));
    lines.push(`| ${r.name} | ${r.freq} | ${r.n} | ${r.horizon}×${r.origins} | ${cells.join(" | ")} |`);
  }
  // Means over all series each method scored, and over the series every method scored (fair).
  const common = rows.filter((r) => names.every((k) => typeof r.scores[k]?.[metric] === "number"));
  const mean = (rs, k) => { const v = rs.map((r) => r.scores[k]?.[metric]).filter((x) => typeof x === "number"); return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined; };
  const count = (k) => rows.filter((r) => typeof r.scores[k]?.[metric] === "number").length;
  lines.push(`| **mean (series each method ran)** | | | | ${names.map((k) => `${fmt(mean(rows, k))} (${count(k)})`).join(" | ")} |`);
  if (common.length !== rows.length) lines.push(`| **mean (the ${common.length} series all ran)** | | | | ${names.map((k) => fmt(mean(common, k))).join(" | ")} |`);
  return lines.join("\n");
}
console.log(`## MASE (M4 definition; mean over origins)\n\n${table("mase", f3)}\n`);
console.log(`## sMAPE (0–200, over every forecast value)\n\n${table("smape", f2)}\n`);
const covered = rows.filter((r) => r.coverage);
if (covered.length > 0) {
  const lines = ["| series | freq | H×k | model per origin | values | 80 % interval | 95 % interval |", "|---|---|---:|---|---:|---:|---:|"];
  for (const r of covered) lines.push(`| ${r.name} | ${r.freq} | ${r.horizon}×${r.origins} | ${r.coverage.models} | ${r.coverage.n} | ${r.coverage.c80.toFixed(1)} | ${r.coverage.c95.toFixed(1)} |`);
  const mean = (k) => covered.reduce((a, r) => a + r.coverage[k], 0) / covered.length;
  const n = covered.reduce((a, r) => a + r.coverage.n, 0);
  const pooled = (k) => covered.reduce((a, r) => a + (r.coverage[k] * r.coverage.n) / 100, 0) / n * 100;
  lines.push(`| **mean over series** | | | | ${n} | ${mean("c80").toFixed(1)} | ${mean("c95").toFixed(1)} |`);
  lines.push(`| **pooled over values** | | | | ${n} | ${pooled("c80").toFixed(1)} | ${pooled("c95").toFixed(1)} |`);
  console.log(`## recurrent's interval coverage (% of forecast values inside)\n\n${lines.join("\n")}\n`);
}
console.log(`Wall time ${wall.toFixed(1)} s; per method (s): ${names.map((k) => `${k} ${(timeMs[k] / 1000).toFixed(1)}`).join(", ")}`);

if (opt.out) {
  const out = String(opt.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), wallSeconds: wall, methodSeconds: Object.fromEntries(Object.entries(timeMs).map(([k, v]) => [k, v / 1000])), rows }, null, 1));
  log(`results written to ${out}`);
}
