// `npm run bench`: training speed of recurrent on the five workloads of
// ../shared/peers/WORKLOADS.md beside TensorFlow.js's cpu backend measured in the same run,
// W_sine inference latency / throughput, and a check that the recurrent kernels allocate
// nothing per timestep. Every number is validated before it is timed.
//
//   node bench/run.mjs [--only W_sine,W_char] [--epochs N] [--no-tfjs] [--quick] [--no-infer] [--no-alloc]
//
// Prints markdown tables, one `RESULT {json}` line per measurement in the fields of
// ../shared/peers (so its run.mjs / report.mjs can collect them; the tfjs rows say
// measured_by), and one `ALLOC {json}` line. See docs/benchmarks.md.

import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { Tensor } from "../dist/index.js";
import { WORKLOADS, TRAIN_FLOP, FWD_FLOP, ours, makeData, tfjsModels } from "./workloads.mjs";

// ---- options ----
const argv = process.argv.slice(2);
const flag = (k) => argv.includes(`--${k}`);
const opt = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const quick = flag("quick");
const epochs = Number(opt("epochs", quick ? 2 : 3));
const only = opt("only", null)?.split(",").map((s) => s.trim()) ?? Object.keys(WORKLOADS);
const withTfjs = !flag("no-tfjs");
const withInfer = !flag("no-infer") && (only.includes("W_sine") || opt("only", null) === null);
const withAlloc = !flag("no-alloc");
for (const w of only) if (!WORKLOADS[w]) throw new Error(`unknown workload ${w}; choose from ${Object.keys(WORKLOADS).join(", ")}`);
if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`--epochs must be a positive integer`);

const version = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
const PEER = `recurrent ${version}`;

// ---- helpers ----
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]; };
const spread = (xs) => (100 * (Math.max(...xs) - Math.min(...xs))) / median(xs);
const r3 = (x) => Math.round(x * 1000) / 1000;
const now = () => performance.now();
/** CPU seconds (user + system, all threads of this process) since `c0`. */
const cpuSeconds = (c0) => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
const emit = (o) => console.log("RESULT " + JSON.stringify(o));
const log = (...a) => console.error(...a);
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function fail(msg) {
  log(`VALIDATION FAILED: ${msg}`);
  process.exitCode = 1;
  throw new Error(msg);
}

let tf = null;
if (withTfjs) {
  tf = await import("@tensorflow/tfjs");
  if (!(await tf.setBackend("cpu"))) throw new Error("tfjs: setBackend('cpu') failed");
  await tf.ready();
}
/** Busy jiffies of the whole machine (Linux), to tell how much other processes ran beside us. */
function busyJiffies() {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return f[0] + f[1] + f[2] + f[5] + f[6];
  } catch {
    return null;
  }
}
const start = { wall: now(), busy: busyJiffies(), cpu: process.cpuUsage() };
const machine = {
  node: process.version, cpu: cpus()[0]?.model ?? "?", cores: cpus().length,
  load_at_start: loadavg().map((x) => Math.round(x * 100) / 100),
};
log(`recurrent ${version} bench — node ${machine.node}, ${machine.cores} × ${machine.cpu}, load ${machine.load_at_start.join(" ")}`);
if (tf) log(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);

// ---- validation: the numbers we time must be right ----

/** Loss over one batch goes down after a few training steps on it, and stays finite. */
async function validateLearns(name) {
  const w = WORKLOADS[name];
  const m = ours.build(name, 3);
  const { x, y } = ours.data(name, w.batch);
  const before = m.evaluate(x, y, { batchSize: w.batch }).loss;
  await m.fit(x, y, { epochs: 8, batchSize: w.batch, shuffle: false, verbose: 0 });
  const after = m.evaluate(x, y, { batchSize: w.batch }).loss;
  if (!Number.isFinite(before) || !Number.isFinite(after) || !(after < before)) {
    fail(`${name}: loss on one batch did not decrease over 8 steps (${before} → ${after})`);
  }
  return { before, after };
}

/** Same weights → same predictions and loss as tfjs (forward parity of the whole model). */
function validateParity(name, tfm) {
  const m = ours.build(name, 5);
  const ws = m.getWeights();
  const tw = tfm.getWeights();
  if (ws.length !== tw.length) fail(`${name}: ${ws.length} weight arrays here, ${tw.length} in tfjs`);
  ws.forEach((t, k) => {
    if (t.shape.join() !== tw[k].shape.join()) fail(`${name}: weight ${k} has shape [${t.shape}] here, [${tw[k].shape}] in tfjs`);
  });
  tfm.setWeights(ws.map((t) => tf.tensor(t.data, t.shape)));
  const n = 4;
  const d = makeData(name, n);
  const ourOut = m.predict(new Tensor(d.x, d.xShape)).data;
  const tfOut = tf.tidy(() => tfm.predict(tf.tensor(d.x, d.xShape)).dataSync());
  let maxDiff = 0, maxAbs = 0;
  for (let i = 0; i < ourOut.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(ourOut[i] - tfOut[i]));
    maxAbs = Math.max(maxAbs, Math.abs(tfOut[i]));
  }
  const rel = maxDiff / Math.max(maxAbs, 1e-3);
  if (!(rel < 1e-4)) fail(`${name}: predictions differ from tfjs by ${maxDiff} (relative ${rel})`);
  const ourLoss = m.evaluate(new Tensor(d.x, d.xShape), new Tensor(d.y, d.yShape), { batchSize: n }).loss;
  const tfLoss = tf.tidy(() => {
    const r = tfm.evaluate(tf.tensor(d.x, d.xShape), tf.tensor(d.y, d.yShape), { batchSize: n });
    return (Array.isArray(r) ? r[0] : r).dataSync()[0];
  });
  if (!(Math.abs(ourLoss - tfLoss) <= 1e-4 * Math.max(1, Math.abs(tfLoss)))) fail(`${name}: loss ${ourLoss} here, ${tfLoss} in tfjs`);
  return { max_rel_diff: rel, loss: ourLoss, tfjs_loss: tfLoss };
}

// ---- timing ----

/** One untimed warm-up epoch, then `epochs` timed epochs (fit, no shuffling): seconds per epoch. */
async function timeOurs(name, samples) {
  const w = WORKLOADS[name];
  const m = ours.build(name);
  const { x, y } = ours.data(name, samples);
  const times = [], cpu = [], losses = [];
  let t0 = 0, c0 = null;
  await m.fit(x, y, {
    epochs: 1 + epochs, batchSize: w.batch, shuffle: false, verbose: 0,
    callbacks: [{
      onEpochBegin: () => { t0 = now(); c0 = process.cpuUsage(); },
      onEpochEnd: (_e, logs) => { times.push((now() - t0) / 1000); cpu.push(cpuSeconds(c0)); losses.push(logs.loss); },
    }],
  });
  if (!losses.every(Number.isFinite)) fail(`${name}: non-finite training loss ${losses}`);
  return { warmup: times[0], times: times.slice(1), cpu: cpu.slice(1), loss: losses[losses.length - 1], params: m.countParams() };
}

async function timeTfjs(name, samples) {
  const w = WORKLOADS[name];
  const m = tfjsModels(tf).build(name);
  const { x, y } = tfjsModels(tf).data(name, samples);
  const times = [], cpu = [], losses = [];
  let t0 = 0, c0 = null;
  await m.fit(x, y, {
    epochs: 1 + epochs, batchSize: w.batch, shuffle: false, verbose: 0, yieldEvery: "never",
    callbacks: {
      onEpochBegin: async () => { t0 = now(); c0 = process.cpuUsage(); },
      onEpochEnd: async (_e, logs) => { times.push((now() - t0) / 1000); cpu.push(cpuSeconds(c0)); losses.push(logs.loss); },
    },
  });
  x.dispose(); y.dispose();
  const params = m.countParams();
  m.dispose();
  return { warmup: times[0], times: times.slice(1), cpu: cpu.slice(1), loss: losses[losses.length - 1], params };
}

// ---- workloads ----
const rows = [];
for (const name of only) {
  const w = WORKLOADS[name];
  const samples = quick ? Math.min(w.samples, Math.max(64, 4 * w.batch)) : w.samples;
  log(`\n${name}: validating`);
  const learn = await validateLearns(name);
  let parity = null;
  if (tf) {
    const tfm = tfjsModels(tf).build(name);
    parity = validateParity(name, tfm);
    tfm.dispose();
  }
  log(`  loss on one batch ${learn.before.toFixed(4)} → ${learn.after.toFixed(4)} after 8 steps` +
    (parity ? `; predictions match tfjs (max rel diff ${parity.max_rel_diff.toExponential(1)}), loss ${parity.loss.toFixed(5)} vs ${parity.tfjs_loss.toFixed(5)}` : ""));

  log(`  timing recurrent: ${samples} samples/epoch, 1 warm-up + ${epochs} epochs`);
  const o = await timeOurs(name, samples);
  const oRate = samples / median(o.times);
  emit({
    peer: PEER, workload: name, mode: "train", batch: w.batch, samples_per_epoch: samples,
    warmup_epoch_s: r3(o.warmup), epoch_s: o.times.map(r3), spread_pct: r3(spread(o.times)),
    samples_per_s: r3(oRate), cpu_s: o.cpu.map(r3), samples_per_cpu_s: r3(samples / median(o.cpu)), gflops: r3((oRate * TRAIN_FLOP[name]) / 1e9), final_loss: r3(o.loss), params: o.params,
    validated: { loss_before: r3(learn.before), loss_after: r3(learn.after), ...(parity ? { tfjs_max_rel_diff: parity.max_rel_diff } : {}) },
  });
  const row = { name, batch: w.batch, samples, rate: oRate, cpuRate: samples / median(o.cpu), spread: spread(o.times), tfRate: null, tfCpuRate: null, tfSamples: null };
  if (tf) {
    const ts = quick ? Math.max(w.batch, 8) : w.tfjsSamples;
    log(`  timing tfjs-cpu: ${ts} samples/epoch, 1 warm-up + ${epochs} epochs`);
    const t = await timeTfjs(name, ts);
    const tRate = ts / median(t.times);
    emit({
      peer: "tfjs-cpu", backend: "cpu", tfjs: tf.version.tfjs, measured_by: PEER, workload: name, mode: "train",
      batch: w.batch, samples_per_epoch: ts, warmup_epoch_s: r3(t.warmup), epoch_s: t.times.map(r3),
      spread_pct: r3(spread(t.times)), samples_per_s: r3(tRate), cpu_s: t.cpu.map(r3), samples_per_cpu_s: r3(ts / median(t.cpu)), final_loss: r3(t.loss), params: t.params,
    });
    row.tfRate = tRate;
    row.tfCpuRate = ts / median(t.cpu);
    row.tfSamples = ts;
  }
  log(`  recurrent ${fmt(row.rate)} samples/s` + (row.tfRate ? `, tfjs-cpu ${fmt(row.tfRate)} samples/s, ratio ${(row.rate / row.tfRate).toFixed(1)}×` : ""));
  rows.push(row);
}

// ---- inference: W_sine ----
let infer = null;
if (withInfer) {
  log("\nW_sine inference: validating and timing");
  const calls = quick ? 50 : 200;
  const m = ours.build("W_sine", 5);
  const x1 = new Tensor(makeData("W_sine", 1).x, [1, 50, 1]);
  const B = 256;
  const xb = new Tensor(makeData("W_sine", B).x, [B, 50, 1]);
  // batch 1 must equal the same row inside a batch of 256 (and be finite)
  const y1 = m.predict(x1).data[0], yb0 = m.predict(xb, { batchSize: B }).data[0];
  if (!Number.isFinite(y1) || Math.abs(y1 - yb0) > 1e-5 * Math.max(1, Math.abs(y1))) fail(`W_sine: predict batch 1 ${y1} vs batch 256 row 0 ${yb0}`);
  const latency = (predict) => {
    for (let i = 0; i < 20; i++) predict();
    const lat = [];
    for (let i = 0; i < calls; i++) { const t = now(); predict(); lat.push(now() - t); }
    return lat;
  };
  const batchTimes = (predict, reps) => {
    predict();
    const bt = [];
    for (let i = 0; i < reps; i++) { const t = now(); predict(); bt.push((now() - t) / 1000); }
    return bt;
  };
  const lat = latency(() => m.predict(x1));
  const bt = batchTimes(() => m.predict(xb, { batchSize: B }), quick ? 3 : 10);
  infer = { lat: median(lat), thr: B / median(bt), tfLat: null, tfThr: null };
  emit({
    peer: PEER, workload: "W_sine", mode: "infer_b1", calls,
    latency_ms_median: r3(median(lat)), latency_ms_p10: r3(quantile(lat, 0.1)), latency_ms_p90: r3(quantile(lat, 0.9)),
  });
  emit({
    peer: PEER, workload: "W_sine", mode: "infer_b256", calls: bt.length,
    batch_ms_median: r3(1000 * median(bt)), spread_pct: r3(spread(bt)), samples_per_s: r3(B / median(bt)),
    gflops: r3(((B / median(bt)) * FWD_FLOP.W_sine) / 1e9),
  });
  if (tf) {
    const tfm = tfjsModels(tf).build("W_sine");
    tfm.setWeights(m.getWeights().map((t) => tf.tensor(t.data, t.shape)));
    const tx1 = tf.tensor(x1.data, [1, 50, 1]);
    const txb = tf.tensor(xb.data, [B, 50, 1]);
    const run = (xx, bs) => { const o = tfm.predict(xx, { batchSize: bs }); const v = o.dataSync(); o.dispose(); return v; };
    const t1 = run(tx1, 1)[0];
    if (Math.abs(t1 - y1) > 1e-4 * Math.max(1, Math.abs(y1))) fail(`W_sine inference: tfjs ${t1} vs ours ${y1}`);
    const tlat = latency(() => run(tx1, 1));
    const tbt = batchTimes(() => run(txb, B), quick ? 1 : 3);
    infer.tfLat = median(tlat);
    infer.tfThr = B / median(tbt);
    emit({
      peer: "tfjs-cpu", backend: "cpu", tfjs: tf.version.tfjs, measured_by: PEER, workload: "W_sine", mode: "infer_b1", calls,
      latency_ms_median: r3(median(tlat)), latency_ms_p10: r3(quantile(tlat, 0.1)), latency_ms_p90: r3(quantile(tlat, 0.9)),
    });
    emit({
      peer: "tfjs-cpu", backend: "cpu", tfjs: tf.version.tfjs, measured_by: PEER, workload: "W_sine", mode: "infer_b256", calls: tbt.length,
      batch_ms_median: r3(1000 * median(tbt)), spread_pct: r3(spread(tbt)), samples_per_s: r3(B / median(tbt)),
    });
    tx1.dispose(); txb.dispose(); tfm.dispose();
  }
}

// CPU used by other processes while we timed (USER_HZ = 100 on Linux)
const wallS = (now() - start.wall) / 1000;
const busy = busyJiffies();
const others = start.busy === null || busy === null ? null : Math.max(0, ((busy - start.busy) / 100 - cpuSeconds(start.cpu)) / wallS);

// ---- allocation per timestep (child process: the heap profiler must not disturb the timings) ----
let alloc = null;
if (withAlloc) {
  log("\nallocation per timestep: sampling heap profiler, T = 50 vs T = 500");
  const r = spawnSync(process.execPath, [fileURLToPath(new URL("./alloc.mjs", import.meta.url))], { encoding: "utf8" });
  const line = (r.stdout || "").split("\n").find((l) => l.startsWith("ALLOC "));
  if (r.status !== 0 || !line) log(`  alloc check failed: ${r.stderr}`);
  else alloc = JSON.parse(line.slice(6));
}

// ---- report ----
const load = loadavg().map((x) => Math.round(x * 100) / 100);
console.log(`\n## recurrent ${version} — training (samples/s; median of ${epochs} timed epochs after 1 warm-up)`);
console.log(`node ${machine.node}, ${machine.cores} × ${machine.cpu}; load average at start ${machine.load_at_start.join(" ")}, at end ${load.join(" ")}; ` +
  `timing took ${wallS.toFixed(0)} s${others === null ? "" : `, other processes used ${others.toFixed(2)} cores on average`}\n`);
console.log("| workload | batch | samples/epoch (ours / tfjs) | recurrent | per CPU-s | GFLOP/s | epoch spread | tfjs-cpu | ratio | ratio by CPU time |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  const gf = (r.rate * TRAIN_FLOP[r.name]) / 1e9;
  const ratio = r.tfRate ? (r.rate / r.tfRate).toFixed(1) + "×" : "–";
  const cpuRatio = r.tfCpuRate ? (r.cpuRate / r.tfCpuRate).toFixed(1) + "×" : "–";
  console.log(`| ${r.name} | ${r.batch} | ${r.samples} / ${r.tfSamples ?? "–"} | ${fmt(r.rate)} | ${fmt(r.cpuRate)} | ${gf.toFixed(2)} | ${r.spread.toFixed(1)}% | ${r.tfRate ? fmt(r.tfRate) : "–"} | ${ratio} | ${cpuRatio} |`);
}
console.log("\nsamples/s by wall clock (the peers' measure); \"ratio by CPU time\" divides samples per CPU-second of this process instead, which a busy machine disturbs less.");
if (infer) {
  console.log("\n## W_sine inference\n");
  console.log("| | recurrent | tfjs-cpu | ratio |");
  console.log("|---|---:|---:|---:|");
  console.log(`| latency batch 1, median (ms) | ${infer.lat.toFixed(3)} | ${infer.tfLat ? infer.tfLat.toFixed(3) : "–"} | ${infer.tfLat ? (infer.tfLat / infer.lat).toFixed(1) + "× faster" : "–"} |`);
  console.log(`| batch-256 throughput (samples/s) | ${fmt(infer.thr)} | ${infer.tfThr ? fmt(infer.tfThr) : "–"} | ${infer.tfThr ? (infer.thr / infer.tfThr).toFixed(1) + "×" : "–"} |`);
}
if (alloc) {
  console.log(`\n## JS-heap allocation per timestep (B=${alloc.B}, I=${alloc.I}, H=${alloc.H}; sampled, ${alloc.steps_per_measurement} steps each)\n`);
  console.log("| case | bytes/call T=50 | bytes/call T=500 | bytes/step | largest sites (T=500) |");
  console.log("|---|---:|---:|---:|---|");
  for (const [k, v] of Object.entries(alloc.cases)) {
    console.log(`| ${k} | ${v.bytes_per_call_T50} | ${v.bytes_per_call_T500} | ${v.bytes_per_step} | ${v.top_sites_T500.join("; ") || "–"} |`);
  }
  console.log("ALLOC " + JSON.stringify({ peer: PEER, ...alloc }));
}
