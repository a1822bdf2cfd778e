// "No allocation per timestep": JS-heap bytes allocated by recurrent forward + backward passes,
// measured with V8's sampling heap profiler (counting objects that minor and major GCs already
// collected), at T = 50 and T = 500 over the same total number of timesteps.
// Per-call allocations (output tensors, shape arrays) shrink per step as T grows; anything
// allocated every step does not. Typed-array backing stores live outside the JS heap and are
// per call here (the layers reuse their workspaces).
//   node bench/alloc.mjs   → a readable table on stderr and one "ALLOC {json}" line on stdout

import { Session } from "node:inspector/promises";
import { layers, Tensor } from "../dist/index.js";
import { lstmForward, lstmBackward } from "../dist/kernels/lstm.js";
import { gruForward, gruBackward } from "../dist/kernels/gru.js";
import { rnnForward, rnnBackward } from "../dist/kernels/simple_rnn.js";

const B = 8, I = 4, H = 16;
const STEPS = 10000; // timesteps per measurement

function fill(n, seed) {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; a[i] = (s / 4294967296 - 0.5) * 0.5; }
  return a;
}

function kernelCase(kind, T, opts) {
  const G = kind === "lstm" ? 4 * H : kind === "gru" ? 3 * H : H;
  const U = fill(H * G, 1);
  const proj0 = fill(T * B * G, 2);
  const gates = new Float32Array(T * B * G);
  const hs = new Float32Array((T + 1) * B * H), cs = new Float32Array((T + 1) * B * H), tc = new Float32Array((T + 1) * B * H);
  const rec = new Float32Array(T * B * G);
  const dhs = fill(T * B * H, 3), dh = new Float32Array(B * H), dc = new Float32Array(B * H), tmp = new Float32Array(B * H);
  const dZ = new Float32Array(T * B * G), dZh = new Float32Array(T * B * G);
  const recBias = fill(G, 4);
  const recMask = opts.recMask ? fill(B * H, 8).map((v) => (v > 0 ? 1.25 : 0)) : null;
  const hm = opts.recMask ? new Float32Array(T * B * H) : null;
  const act = opts.act ?? "tanh", recAct = opts.recAct ?? "sigmoid";
  return () => {
    gates.set(proj0);
    dh.fill(0); dc.fill(0);
    if (kind === "lstm") {
      lstmForward(B, T, H, U, gates, hs, cs, tc, act, recAct, recMask, hm);
      lstmBackward(B, T, H, U, gates, cs, tc, act, recAct, recMask, dhs, dh, dc, dZ);
    } else if (kind === "gru") {
      const ra = opts.resetAfter ?? true;
      gruForward(B, T, H, ra, U, ra ? recBias : null, 0, gates, rec, hs, act, recAct, recMask, hm);
      gruBackward(B, T, H, ra, U, gates, rec, hs, act, recAct, recMask, hm, dhs, dh, tmp, dZ, ra ? dZh : null);
    } else {
      rnnForward(B, T, H, U, gates, hs, act, recMask, hm);
      rnnBackward(B, T, H, U, hs, act, recMask, dhs, dh, dZ);
    }
  };
}

function layerCase(kind, T) {
  const make = { lstm: layers.lstm, gru: layers.gru, simpleRnn: layers.simpleRnn }[kind];
  const layer = make({ units: H, returnSequences: true });
  layer.build([T, I]);
  for (const p of layer.allParams()) p.value.set(fill(p.size, 5));
  const x = new Tensor(fill(B * T * I, 6), [B, T, I]);
  const dy = new Tensor(fill(B * T * H, 7), [B, T, H]);
  return () => {
    layer.forward(x, true);
    layer.backward(dy);
  };
}

const session = new Session();
session.connect();
await session.post("HeapProfiler.enable");

/** Sampled JS-heap bytes allocated by `calls` calls of fn, and the functions that allocated them. */
async function sample(fn, calls) {
  for (let i = 0; i < 40; i++) fn(); // workspaces exist, code optimised
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < calls; i++) fn();
  const { profile } = await session.post("HeapProfiler.stopSampling");
  const by = new Map();
  let total = 0;
  (function walk(n) {
    if (n.selfSize > 0 && n.callFrame.url.includes("/dist/")) {
      const k = `${n.callFrame.functionName || "(anonymous)"} (${n.callFrame.url.split("/dist/")[1]}:${n.callFrame.lineNumber + 1})`;
      by.set(k, (by.get(k) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    n.children.forEach(walk);
  })(profile.head);
  return { total, by };
}

const cases = [
  ["lstm kernels (tanh/sigmoid)", (T) => kernelCase("lstm", T, {})],
  ["lstm kernels (relu/hardSigmoid, recurrent dropout)", (T) => kernelCase("lstm", T, { act: "relu", recAct: "hardSigmoid", recMask: true })],
  ["gru kernels (resetAfter)", (T) => kernelCase("gru", T, {})],
  ["gru kernels (classic, recurrent dropout)", (T) => kernelCase("gru", T, { resetAfter: false, recMask: true })],
  ["simpleRnn kernels", (T) => kernelCase("rnn", T, {})],
  ["LSTM layer fwd+bwd", (T) => layerCase("lstm", T)],
  ["GRU layer fwd+bwd", (T) => layerCase("gru", T)],
  ["SimpleRNN layer fwd+bwd", (T) => layerCase("simpleRnn", T)],
];
const out = {};
for (const [label, make] of cases) {
  const a = await sample(make(50), STEPS / 50);
  const b = await sample(make(500), STEPS / 500);
  const perCall50 = a.total / (STEPS / 50), perCall500 = b.total / (STEPS / 500);
  const top = [...b.by].sort((p, q) => q[1] - p[1]).slice(0, 3).map(([k, v]) => `${k}: ${Math.round(v / (STEPS / 500))} B/call`);
  out[label] = {
    bytes_per_call_T50: Math.round(perCall50),
    bytes_per_call_T500: Math.round(perCall500),
    bytes_per_step: Math.max(0, Math.round((perCall500 - perCall50) / 450)),
    top_sites_T500: top,
  };
}
await session.post("HeapProfiler.disable");
session.disconnect();
console.log("ALLOC " + JSON.stringify({ B, I, H, steps_per_measurement: STEPS, cases: out }));
