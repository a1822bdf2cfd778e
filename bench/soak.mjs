// Memory soak: does training leak? 10 000 training steps of a small LSTM (and, with --char,
// shorter runs of W_char-sized steps) per engine configuration, each in its own process, with RSS
// and JS heap sampled after a GC every --every steps. Memory that is still growing over the second
// half of the run, when every workspace already exists, is a leak; the table also gives the slope
// of a line fitted to that half.
//
//   node bench/soak.mjs [--steps 10000] [--every 250] [--char] [--char-steps 120] [--configs js:1,wasm:1]
//
// Prints a markdown table; writes bench/results/soak.json; exits 1 when memory grows.

import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sequential, layers, Tensor } from "../dist/index.js";
import { WORKLOADS, ours, engineConfigs, configLabel, modelOptions, randn } from "./workloads.mjs";
import { parseArgs, log, r3, now, median } from "./common.mjs";

const { opt } = parseArgs(process.argv.slice(2));
const MB = 2 ** 20;

/** Least-squares slope of y over x. */
function slope(xs, ys) {
  const n = xs.length, mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
  return den ? num / den : 0;
}

// ---- child: one configuration, one model ----
async function soakChild() {
  const config = { backend: String(opt.backend), threads: Number(opt.threads) };
  const steps = Number(opt.steps), every = Number(opt.every);
  let m, x, y, batch;
  if (opt.model === "W_char") {
    batch = WORKLOADS.W_char.batch;
    m = ours.build("W_char", 7, config);
    ({ x, y } = ours.data("W_char", every * batch));
  } else {
    // (20, 4) → LSTM(32) → Dense(1), batch 16: small enough for 10 000 steps in about a minute
    batch = 16;
    m = sequential([layers.input({ shape: [20, 4] }), layers.lstm({ units: 32 }), layers.dense({ units: 1 })], modelOptions(7, config));
    m.compile({ optimizer: "adam", loss: "mse" });
    x = new Tensor(randn(every * batch * 20 * 4, 11), [every * batch, 20, 4]);
    y = new Tensor(randn(every * batch, 12), [every * batch, 1]);
  }
  const samples = [];
  const sample = (step) => {
    globalThis.gc?.();
    const u = process.memoryUsage();
    samples.push({ step, rss_mb: r3(u.rss / MB), heap_mb: r3(u.heapUsed / MB), external_mb: r3(u.external / MB), t_s: r3((now() - t0) / 1000) });
  };
  const t0 = now();
  sample(0);
  let lastLoss = NaN;
  await m.fit(x, y, {
    epochs: Math.ceil(steps / every), batchSize: batch, shuffle: false, verbose: 0,
    callbacks: [{ onEpochEnd: (e, logs) => { lastLoss = logs.loss; sample((e + 1) * every); } }],
  });
  console.log("SOAK " + JSON.stringify({ config, model: opt.model, steps, batch, final_loss: lastLoss, samples }));
  process.exit(0);
}

// ---- driver ----
function verdict(samples) {
  const last = samples[samples.length - 1].step;
  const half = samples.filter((s) => s.step >= last / 2);
  const xs = half.map((s) => s.step / 1000);
  const rss = slope(xs, half.map((s) => s.rss_mb)), heap = slope(xs, half.map((s) => s.heap_mb));
  // The verdict uses medians, which a few noisy samples (allocator, GC timing) do not move as they
  // move a fitted line: growth from the third quarter of the run to the fourth, doubled to cover
  // the second half, beside a tolerance.
  const q3 = half.filter((s) => s.step < (3 * last) / 4), q4 = half.filter((s) => s.step >= (3 * last) / 4);
  const rise = (k) => 2 * (median(q4.map((s) => s[k])) - median(q3.map((s) => s[k])));
  const rssRise = rise("rss_mb"), heapRise = rise("heap_mb");
  const grows = rssRise > Math.max(8, 0.05 * half[0].rss_mb) || heapRise > Math.max(1, 0.05 * half[0].heap_mb);
  return { rss_mb_per_1k_steps: r3(rss), heap_mb_per_1k_steps: r3(heap), rss_rise_second_half_mb: r3(rssRise), heap_rise_second_half_mb: r3(heapRise), grows };
}

async function driver() {
  const steps = Number(opt.steps ?? 10000), every = Number(opt.every ?? 250);
  let configs = (await engineConfigs()).ran;
  if (opt.configs) configs = configs.filter((c) => String(opt.configs).split(",").includes(`${c.backend}:${c.threads}`));
  const runs = configs.map((c) => ({ config: c, model: "small", steps, every }));
  if (opt.char) {
    const charSteps = Number(opt["char-steps"] ?? 120);
    for (const c of configs) runs.push({ config: c, model: "W_char", steps: charSteps, every: Math.max(1, Math.round(charSteps / 24)) });
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const out = [];
  for (const r of runs) {
    log(`${configLabel(r.config)} ${r.model}: ${r.steps} steps, memory every ${r.every}`);
    const p = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", "--backend", r.config.backend, "--threads", String(r.config.threads),
      "--model", r.model, "--steps", String(r.steps), "--every", String(r.every)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const line = (p.stdout || "").split("\n").find((l) => l.startsWith("SOAK "));
    if (p.status !== 0 || !line) { log(`  failed (exit ${p.status})`); process.exitCode = 1; continue; }
    const res = JSON.parse(line.slice(5));
    out.push({ ...res, ...verdict(res.samples) });
  }
  console.log("\n## Memory soak (RSS and JS heap after GC; second half of each run)\n");
  console.log("| configuration | model | steps | s | RSS start → end (MB) | heap start → end (MB) | RSS slope (MB / 1000 steps) | heap slope | RSS / heap rise, 3rd → 4th quarter × 2 (MB) | grows? |");
  console.log("|---|---|---:|---:|---|---|---:|---:|---:|---|");
  for (const r of out) {
    const a = r.samples[0], z = r.samples[r.samples.length - 1];
    console.log(`| ${configLabel(r.config)} | ${r.model === "small" ? "LSTM(32) on (20, 4), batch 16" : "W_char"} | ${r.steps} | ${z.t_s.toFixed(0)} | ${a.rss_mb.toFixed(0)} → ${z.rss_mb.toFixed(0)} | ` +
      `${a.heap_mb.toFixed(1)} → ${z.heap_mb.toFixed(1)} | ${r.rss_mb_per_1k_steps.toFixed(2)} | ${r.heap_mb_per_1k_steps.toFixed(3)} | ` +
      `${r.rss_rise_second_half_mb.toFixed(1)} / ${r.heap_rise_second_half_mb.toFixed(2)} | ${r.grows ? "**yes**" : "no"} |`);
  }
  const file = join(here, "results", "soak.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, runs: out }, null, 1));
  log(`\nwrote ${file}`);
  if (out.some((r) => r.grows)) { log("memory grows: see the table"); process.exitCode = 1; }
  process.exit();
}

if (opt.child) await soakChild();
else await driver();
