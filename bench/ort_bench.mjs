// onnxruntime-node inference of the W_sine model (exported by torch_bench.py with recurrent's
// weights), one measurement per process, as the peer study's ort_bench.mjs.
//   node bench/ort_bench.mjs <intraOpThreads> --model w_sine.onnx --fixture W_sine.json [--calls 200] [--bcalls 50]
// onnxruntime-node is an optional peer: `ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node`
// (its install script otherwise fetches CUDA binaries; the CPU ones are in the npm tarball).

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { makeData } from "./workloads.mjs";
import { median, quantile, spread, r3, now, parseArgs, emit, fail } from "./common.mjs";

const require = createRequire(import.meta.url);
const ort = require("onnxruntime-node");
const { pos, opt } = parseArgs(process.argv.slice(2));
const threads = Number(pos[0] ?? 1);
const sess = await ort.InferenceSession.create(String(opt.model), {
  intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential",
  graphOptimizationLevel: "all", executionProviders: ["cpu"],
});
const base = { peer: `onnxruntime ${threads}T`, ort: ort.env.versions?.node ?? require("onnxruntime-node/package.json").version, threads };
const run = async (x, shape) => (await sess.run({ x: new ort.Tensor("float32", x, shape) })).y.data;

// the same weights as recurrent's: the same predictions
const fx = JSON.parse(readFileSync(String(opt.fixture), "utf8"));
const got = await run(Float32Array.from(fx.x), fx.x_shape);
let d = 0, m = 0;
for (let i = 0; i < fx.pred.length; i++) { d = Math.max(d, Math.abs(got[i] - fx.pred[i])); m = Math.max(m, Math.abs(fx.pred[i])); }
if (!(d / Math.max(m, 1e-3) < 1e-4)) fail(`onnxruntime predicts differently from recurrent on the same weights (max abs diff ${d})`);

const B = 256;
const x1 = makeData("W_sine", 1).x, xb = makeData("W_sine", B).x;
const y1 = (await run(x1, [1, 50, 1]))[0], yb0 = (await run(xb, [B, 50, 1]))[0];
if (!Number.isFinite(y1) || Math.abs(y1 - yb0) > 1e-5 * Math.max(1, Math.abs(y1))) fail(`W_sine onnxruntime: batch 1 ${y1} vs batch 256 row 0 ${yb0}`);

const calls = Number(opt.calls ?? 200), bcalls = Number(opt.bcalls ?? 50);
const t1 = new ort.Tensor("float32", x1, [1, 50, 1]), tb = new ort.Tensor("float32", xb, [B, 50, 1]);
for (let i = 0; i < 20; i++) await sess.run({ x: t1 });
const lat = [];
for (let i = 0; i < calls; i++) { const t = now(); await sess.run({ x: t1 }); lat.push(now() - t); }
emit({
  ...base, workload: "W_sine", mode: "infer_b1", calls, max_rel_diff_vs_recurrent: d / Math.max(m, 1e-3),
  latency_ms_median: r3(median(lat)), latency_ms_p10: r3(quantile(lat, 0.1)), latency_ms_p90: r3(quantile(lat, 0.9)),
});
for (let i = 0; i < 3; i++) await sess.run({ x: tb });
const bt = [];
for (let i = 0; i < bcalls; i++) { const t = now(); await sess.run({ x: tb }); bt.push((now() - t) / 1000); }
emit({
  ...base, workload: "W_sine", mode: "infer_b256", calls: bcalls,
  batch_ms_median: r3(1000 * median(bt)), spread_pct: r3(spread(bt)), samples_per_s: r3(B / median(bt)),
});
