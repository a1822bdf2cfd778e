// One TensorFlow.js measurement in its own process (spawned by run.mjs, so its peak RSS is its own).
//   node bench/peer_tfjs.mjs train W_sine cpu|wasm [--samples N] [--epochs 3]
//   node bench/peer_tfjs.mjs infer W_sine cpu|wasm [--calls 200] [--bcalls 3]
// Training: one untimed warm-up epoch, then --epochs timed epochs (fit, no shuffling,
// yieldEvery 'never'), as the peer study's tfjs_bench.mjs. Inference includes dataSync.
// validate.mjs has already checked that this model computes what recurrent computes.

import { WORKLOADS, TRAIN_FLOP, FWD_FLOP, tfjsModels, makeData } from "./workloads.mjs";
import { median, quantile, spread, r3, now, cpuSeconds, parseArgs, emit, fail } from "./common.mjs";
import { loadTfjs, useBackend } from "./tfjs_setup.mjs";

const { pos, opt } = parseArgs(process.argv.slice(2));
const [mode, name, backend] = pos;
const w = WORKLOADS[name];
if (!w || !["train", "infer"].includes(mode) || !["cpu", "wasm"].includes(backend)) fail("usage: peer_tfjs.mjs train|infer <workload> cpu|wasm");
const tf = await loadTfjs();
const info = await useBackend(tf, backend);
const onehot = backend === "wasm" && name === "W_char";
const models = tfjsModels(tf, { onehot });
const base = { peer: `tfjs-${backend}`, ...info, ...(onehot ? { embedding: "one-hot + Dense (no bias)" } : {}) };

async function train() {
  const samples = Number(opt.samples ?? w.samples);
  const epochs = Number(opt.epochs ?? 3);
  const m = models.build(name);
  const { x, y } = models.data(name, samples);
  const times = [], cpu = [], losses = [];
  let t0 = 0, c0 = null;
  await m.fit(x, y, {
    epochs: 1 + epochs, batchSize: w.batch, shuffle: false, verbose: 0, yieldEvery: "never",
    callbacks: {
      onEpochBegin: async () => { t0 = now(); c0 = process.cpuUsage(); },
      onEpochEnd: async (_e, logs) => { times.push((now() - t0) / 1000); cpu.push(cpuSeconds(c0)); losses.push(logs.loss); },
    },
  });
  if (!losses.every(Number.isFinite)) fail(`${name} tfjs-${backend}: non-finite training loss ${losses}`);
  const t = times.slice(1), c = cpu.slice(1);
  const rate = samples / median(t);
  emit({
    ...base, workload: name, mode: "train", batch: w.batch, samples_per_epoch: samples, warmup_samples: samples,
    warmup_epoch_s: r3(times[0]), epoch_s: t.map(r3), spread_pct: r3(spread(t)), samples_per_s: r3(rate),
    cpu_s: c.map(r3), samples_per_cpu_s: r3(samples / median(c)), gflops: r3((rate * TRAIN_FLOP[name]) / 1e9),
    final_loss: r3(losses[losses.length - 1]), params: m.countParams(),
  });
}

function infer() {
  const calls = Number(opt.calls ?? 200), bcalls = Number(opt.bcalls ?? 3);
  const B = 256;
  const m = models.build("W_sine");
  const x1 = tf.tensor(makeData("W_sine", 1).x, [1, 50, 1]);
  const xb = tf.tensor(makeData("W_sine", B).x, [B, 50, 1]);
  const run = (xx, bs) => { const o = m.predict(xx, { batchSize: bs }); const v = o.dataSync(); o.dispose(); return v; };
  const y1 = run(x1, 1)[0], yb0 = run(xb, B)[0];
  if (!Number.isFinite(y1) || Math.abs(y1 - yb0) > 1e-5 * Math.max(1, Math.abs(y1))) fail(`W_sine tfjs-${backend}: predict batch 1 ${y1} vs batch 256 row 0 ${yb0}`);
  for (let i = 0; i < 20; i++) run(x1, 1);
  const lat = [];
  for (let i = 0; i < calls; i++) { const t = now(); run(x1, 1); lat.push(now() - t); }
  emit({
    ...base, workload: "W_sine", mode: "infer_b1", calls,
    latency_ms_median: r3(median(lat)), latency_ms_p10: r3(quantile(lat, 0.1)), latency_ms_p90: r3(quantile(lat, 0.9)),
  });
  const bt = [];
  for (let i = 0; i < bcalls; i++) { const t = now(); run(xb, B); bt.push((now() - t) / 1000); }
  emit({
    ...base, workload: "W_sine", mode: "infer_b256", calls: bcalls,
    batch_ms_median: r3(1000 * median(bt)), spread_pct: r3(spread(bt)), samples_per_s: r3(B / median(bt)),
    gflops: r3(((B / median(bt)) * FWD_FLOP.W_sine) / 1e9),
  });
}

if (mode === "train") await train();
else infer();
