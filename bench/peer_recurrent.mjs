// One recurrent measurement in its own process (spawned by run.mjs, so its peak RSS is its own).
//   node bench/peer_recurrent.mjs train W_sine --backend js --threads 1 [--samples N] [--warmup N] [--epochs 3] [--budget S]
//   node bench/peer_recurrent.mjs infer W_sine --backend wasm --threads 2 [--calls 200] [--bcalls 10]
// Training: one untimed warm-up epoch of --warmup samples (JIT, workspaces), then --epochs timed
// epochs (fit, no shuffling); samples/s from the median epoch. A timed epoch has --samples
// samples, or with --budget as many whole batches as the warm-up's pace fits in about S seconds
// (never more than --samples): the cost per batch is constant, and the bench has several
// configurations to time. When even a whole epoch is far shorter than S, more epochs are timed
// (up to 30), so that a median of a few hundredths of a second is not all there is.

import { readFileSync } from "node:fs";
import { Tensor } from "../dist/index.js";
import { WORKLOADS, TRAIN_FLOP, FWD_FLOP, ours, makeData, configLabel, engineOf } from "./workloads.mjs";
import { median, quantile, spread, r3, now, cpuSeconds, parseArgs, emit, fail } from "./common.mjs";

const { pos, opt } = parseArgs(process.argv.slice(2));
const [mode, name] = pos;
const w = WORKLOADS[name];
if (!w || !["train", "infer"].includes(mode)) fail(`usage: peer_recurrent.mjs train|infer <workload> --backend js|wasm --threads N`);
const config = { backend: String(opt.backend ?? "js"), threads: Number(opt.threads ?? 1) };
const version = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
const base = { peer: `recurrent ${configLabel(config)}`, recurrent: version, ...config };

/** Refuse to time a configuration the model silently replaced by another. */
function checkEngine(m) {
  const got = engineOf(m);
  if (got.backend !== config.backend || got.threads !== config.threads) fail(`asked for ${configLabel(config)}, the model runs ${configLabel(got)}`);
}

async function train() {
  const full = Number(opt.samples ?? w.samples);
  const warmup = Number(opt.warmup ?? full);
  const minEpochs = Number(opt.epochs ?? 3);
  const budget = Number(opt.budget ?? 0);
  const m = ours.build(name, 7, config);
  checkEngine(m);
  const warm = ours.data(name, warmup);
  const t0w = now();
  await m.fit(warm.x, warm.y, { epochs: 1, batchSize: w.batch, shuffle: false, verbose: 0 });
  const warmupS = (now() - t0w) / 1000;
  const fits = Math.max(2, Math.round((budget * warmup) / warmupS / w.batch)) * w.batch;
  const samples = budget > 0 ? Math.min(full, fits) : full;
  const epochS = (warmupS * samples) / warmup;
  const epochs = budget > 0 && epochS < budget / 2 ? Math.min(30, Math.max(minEpochs, Math.round((minEpochs * budget) / 2 / epochS))) : minEpochs;
  const { x, y } = ours.data(name, samples);
  const times = [], cpu = [], losses = [];
  let t0 = 0, c0 = null;
  await m.fit(x, y, {
    epochs, batchSize: w.batch, shuffle: false, verbose: 0,
    callbacks: [{
      onEpochBegin: () => { t0 = now(); c0 = process.cpuUsage(); },
      onEpochEnd: (_e, logs) => { times.push((now() - t0) / 1000); cpu.push(cpuSeconds(c0)); losses.push(logs.loss); },
    }],
  });
  if (!losses.every(Number.isFinite)) fail(`${name}: non-finite training loss ${losses}`);
  const rate = samples / median(times);
  emit({
    ...base, workload: name, mode: "train", batch: w.batch, samples_per_epoch: samples, warmup_samples: warmup,
    warmup_epoch_s: r3(warmupS), epoch_s: times.map(r3), spread_pct: r3(spread(times)), samples_per_s: r3(rate),
    cpu_s: cpu.map(r3), samples_per_cpu_s: r3(samples / median(cpu)), gflops: r3((rate * TRAIN_FLOP[name]) / 1e9),
    final_loss: r3(losses[losses.length - 1]), params: m.countParams(),
  });
}

function infer() {
  const calls = Number(opt.calls ?? 200), bcalls = Number(opt.bcalls ?? 10);
  const B = 256;
  const m = ours.build("W_sine", 5, config);
  checkEngine(m);
  const x1 = new Tensor(makeData("W_sine", 1).x, [1, 50, 1]);
  const xb = new Tensor(makeData("W_sine", B).x, [B, 50, 1]);
  // batch 1 must equal the same row inside a batch of 256 (and be finite)
  const y1 = m.predict(x1).data[0], yb0 = m.predict(xb, { batchSize: B }).data[0];
  if (!Number.isFinite(y1) || Math.abs(y1 - yb0) > 1e-5 * Math.max(1, Math.abs(y1))) fail(`W_sine: predict batch 1 ${y1} vs batch 256 row 0 ${yb0}`);
  for (let i = 0; i < 20; i++) m.predict(x1);
  const lat = [];
  for (let i = 0; i < calls; i++) { const t = now(); m.predict(x1); lat.push(now() - t); }
  emit({
    ...base, workload: "W_sine", mode: "infer_b1", calls, output_row0: y1,
    latency_ms_median: r3(median(lat)), latency_ms_p10: r3(quantile(lat, 0.1)), latency_ms_p90: r3(quantile(lat, 0.9)),
  });
  m.predict(xb, { batchSize: B });
  const bt = [];
  for (let i = 0; i < bcalls; i++) { const t = now(); m.predict(xb, { batchSize: B }); bt.push((now() - t) / 1000); }
  emit({
    ...base, workload: "W_sine", mode: "infer_b256", calls: bcalls,
    batch_ms_median: r3(1000 * median(bt)), spread_pct: r3(spread(bt)), samples_per_s: r3(B / median(bt)),
    gflops: r3(((B / median(bt)) * FWD_FLOP.W_sine) / 1e9),
  });
}

if (mode === "train") await train();
else infer();
// worker threads of a multi-threaded engine would otherwise keep the process alive
process.exit(0);
