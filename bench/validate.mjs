// Correctness checks run.mjs makes before it times anything (a child process, so the peers'
// memory figures stay clean). For each workload and each recurrent engine configuration:
//   1. the model learns: loss on one batch, without dropout, is finite and falls over 8 steps;
//   2. every configuration predicts what the "js 1T" configuration predicts (same seed);
//   3. with recurrent's weights copied in, each tfjs backend predicts the same and has the same loss.
// It also writes the weights, inputs and predictions to a fixture per workload, against which
// torch_bench.py and ort_bench.mjs check PyTorch and onnxruntime on the same weights.
//
//   node bench/validate.mjs --only W_sine,W_char --configs js:1,wasm:2 --tfjs cpu,wasm --fixtures DIR
// Prints one `VALID {json}` line per workload; exits 1 on the first failure.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Tensor } from "../dist/index.js";
import { WORKLOADS, ours, makeData, tfjsModels, configLabel, engineOf } from "./workloads.mjs";
import { parseArgs, fail, log } from "./common.mjs";
import { loadTfjs, useBackend } from "./tfjs_setup.mjs";

const { opt } = parseArgs(process.argv.slice(2));
const only = String(opt.only).split(",");
const configs = String(opt.configs).split(",").map((s) => { const [backend, t] = s.split(":"); return { backend, threads: Number(t) }; });
const tfBackends = opt.tfjs && opt.tfjs !== true ? String(opt.tfjs).split(",") : [];
const fixtures = opt.fixtures ?? null;
const N = 4; // samples compared across implementations

const tf = tfBackends.length ? await loadTfjs() : null;

const maxRelDiff = (a, b) => {
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return d / Math.max(m, 1e-3);
};

async function learns(name, config) {
  const w = WORKLOADS[name];
  const m = ours.build(name, 3, config);
  const got = engineOf(m);
  if (got.backend !== config.backend || got.threads !== config.threads) fail(`${name}: asked for ${configLabel(config)}, the model runs ${configLabel(got)}`);
  const { x, y } = ours.data(name, w.batch);
  const before = m.evaluate(x, y, { batchSize: w.batch }).loss;
  await m.fit(x, y, { epochs: 8, batchSize: w.batch, shuffle: false, verbose: 0 });
  const after = m.evaluate(x, y, { batchSize: w.batch }).loss;
  if (!Number.isFinite(before) || !Number.isFinite(after) || !(after < before)) {
    fail(`${name} (${configLabel(config)}): loss on one batch did not decrease over 8 steps (${before} → ${after})`);
  }
  return { before, after };
}

for (const name of only) {
  const d = makeData(name, N);
  const x = new Tensor(d.x, d.xShape), y = new Tensor(d.y, d.yShape);
  const out = { workload: name, configs: {}, tfjs: {} };

  let ref = null;
  for (const config of configs) {
    const { before, after } = await learns(name, config);
    const m = ours.build(name, 5, config);
    const pred = m.predict(x).data;
    const loss = m.evaluate(x, y, { batchSize: N }).loss;
    if (!ref) ref = { config, m, pred: Float32Array.from(pred), loss };
    const rel = maxRelDiff(pred, ref.pred);
    if (!(rel < 1e-4)) fail(`${name}: ${configLabel(config)} predicts differently from ${configLabel(ref.config)} (max rel diff ${rel})`);
    out.configs[configLabel(config)] = { loss_before: before, loss_after: after, max_rel_diff_vs_first: rel };
    log(`  ${name} ${configLabel(config)}: one-batch loss ${before.toFixed(4)} → ${after.toFixed(4)} after 8 steps; predictions match ${configLabel(ref.config)} (${rel.toExponential(1)})`);
  }

  const weights = ref.m.getWeights();
  for (const backend of tfBackends) {
    await useBackend(tf, backend);
    const onehot = backend === "wasm" && name === "W_char";
    const tm = tfjsModels(tf, { onehot });
    const tfm = tm.build(name);
    const tw = tfm.getWeights();
    if (weights.length !== tw.length) fail(`${name}: ${weights.length} weight arrays here, ${tw.length} in tfjs-${backend}`);
    weights.forEach((t, k) => {
      if (t.shape.join() !== tw[k].shape.join()) fail(`${name}: weight ${k} has shape [${t.shape}] here, [${tw[k].shape}] in tfjs-${backend}`);
    });
    tfm.setWeights(weights.map((t) => tf.tensor(t.data, t.shape)));
    const td = tm.data(name, N);
    const tfOut = tf.tidy(() => tfm.predict(td.x).dataSync());
    const rel = maxRelDiff(ref.pred, tfOut);
    if (!(rel < 1e-4)) fail(`${name}: predictions differ from tfjs-${backend} by ${rel} (relative)`);
    const tfLoss = tf.tidy(() => {
      const r = tfm.evaluate(td.x, td.y, { batchSize: N });
      return (Array.isArray(r) ? r[0] : r).dataSync()[0];
    });
    if (!(Math.abs(ref.loss - tfLoss) <= 1e-4 * Math.max(1, Math.abs(tfLoss)))) fail(`${name}: loss ${ref.loss} here, ${tfLoss} in tfjs-${backend}`);
    td.x.dispose(); td.y.dispose(); tfm.dispose();
    out.tfjs[backend] = { max_rel_diff: rel, loss: ref.loss, tfjs_loss: tfLoss, ...(onehot ? { embedding: "one-hot + Dense" } : {}) };
    log(`  ${name} tfjs-${backend}: predictions match (max rel diff ${rel.toExponential(1)}), loss ${ref.loss.toFixed(5)} vs ${tfLoss.toFixed(5)}`);
  }

  if (fixtures) {
    mkdirSync(fixtures, { recursive: true });
    writeFileSync(join(fixtures, `${name}.json`), JSON.stringify({
      workload: name, weights: weights.map((t) => ({ shape: t.shape, data: Array.from(t.data) })),
      x: Array.from(d.x), x_shape: d.xShape, y: Array.from(d.y), y_shape: d.yShape, pred: Array.from(ref.pred), loss: ref.loss,
    }));
  }
  console.log("VALID " + JSON.stringify(out));
}
