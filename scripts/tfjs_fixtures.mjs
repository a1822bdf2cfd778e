// TensorFlow.js fixtures for test/interop/tfjs.test.ts: models built and run by TF.js itself (pure-JS
// cpu backend), saved in the layers format (model.json + weight shards) through a tf.io save handler
// into test/fixtures/tfjs/<name>/, with expected.json holding an input and TF.js's prediction.
// Regenerate with:   node scripts/tfjs_fixtures.mjs
//
// Weights are overwritten with seeded values (TF.js's initializers are unseeded) and inputs are
// rounded to 6 significant digits before TF.js sees them, so expected.json holds exactly what TF.js
// computed on. One case is written the way TF.js's converter writes a Keras 2 model (model_config
// wrapper, cell names in weight names, a GRU with reset_after=True, which TF.js itself cannot
// run); its expected output is computed from Keras's GRU equations with TF.js ops.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "tfjs");

/** mulberry32: a small seeded generator, so the fixtures are the same on every run. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round6 = (v) => Number(v.toPrecision(6));
const round9 = (v) => Number(v.toPrecision(9));

/** Every weight uniform ±sqrt(6/(fanIn+fanOut)) (matrices) or ±0.3 (vectors), 6 significant digits. */
function seedWeights(model, seed) {
  const r = rng(seed);
  model.setWeights(model.getWeights().map((w) => {
    const limit = w.rank >= 2 ? Math.sqrt(6 / (w.shape[w.rank - 2] + w.shape[w.rank - 1])) : 0.3;
    return tf.tensor(Float32Array.from({ length: w.size }, () => round6((2 * r() - 1) * limit)), w.shape);
  }));
}

function randomInput(shape, seed, ints) {
  const r = rng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const data = Array.from({ length: n }, () => (ints ? Math.floor(r() * ints) : round6(2 * r() - 1)));
  return { shape, data };
}

async function artifactsOf(model) {
  let saved;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  return saved;
}

/**
 * Write model.json and shards as TF.js's file handlers do: one group, one shard (named `shard`), or
 * `split` groups of weights each cut into shards of at most `shardBytes` bytes (as the converter does).
 */
function writeModel(dir, a, { shard = "weights.bin", split = 1, shardBytes = Infinity } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const bytes = new Uint8Array(a.weightData);
  const specs = a.weightSpecs;
  const manifest = [];
  if (split === 1 && shardBytes === Infinity) {
    writeFileSync(join(dir, shard.replace(/^\.\//, "")), bytes);
    manifest.push({ paths: [shard], weights: specs });
  } else {
    const per = Math.ceil(specs.length / split);
    let off = 0;
    for (let g = 0; g < split; g++) {
      const ws = specs.slice(g * per, (g + 1) * per);
      const len = ws.reduce((s, w) => s + 4 * w.shape.reduce((p, d) => p * d, 1), 0);
      const part = bytes.subarray(off, off + len);
      off += len;
      const n = Math.max(1, Math.ceil(len / shardBytes));
      const paths = [];
      for (let k = 0; k < n; k++) {
        const p = `group${g + 1}-shard${k + 1}of${n}.bin`;
        writeFileSync(join(dir, p), part.subarray(k * shardBytes, Math.min(len, (k + 1) * shardBytes)));
        paths.push(p);
      }
      manifest.push({ paths, weights: ws });
    }
  }
  const json = {
    modelTopology: a.modelTopology,
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: manifest,
  };
  writeFileSync(join(dir, "model.json"), JSON.stringify(json) + "\n");
}

function writeExpected(dir, input, output, about) {
  const out = { about, input, output: { shape: output.shape, data: Array.from(output.dataSync(), round9) } };
  writeFileSync(join(dir, "expected.json"), JSON.stringify(out) + "\n");
}

const lstm = (a) => tf.layers.lstm({ recurrentActivation: "sigmoid", ...a });

const CASES = [
  {
    name: "dense_dropout", seed: 1, input: [4, 6],
    build: () => tf.sequential({ layers: [
      tf.layers.dense({ units: 5, activation: "relu", inputShape: [6] }),
      tf.layers.dropout({ rate: 0.3 }),
      tf.layers.dense({ units: 3, activation: "softmax" }),
    ] }),
  },
  {
    name: "input_lstm_dense", seed: 2, input: [3, 5, 3], save: { shard: "./model.weights.bin" },
    // TF.js's default recurrent activation, hard_sigmoid
    build: () => tf.sequential({ layers: [
      tf.layers.inputLayer({ inputShape: [5, 3] }),
      tf.layers.lstm({ units: 4 }),
      tf.layers.dense({ units: 1 }),
    ] }),
  },
  {
    name: "lstm_backwards_td", seed: 3, input: [2, 6, 3],
    build: () => tf.sequential({ layers: [
      lstm({ units: 4, returnSequences: true, goBackwards: true, inputShape: [6, 3] }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "tanh" }) }),
    ] }),
  },
  {
    name: "gru", seed: 4, input: [3, 5, 2],
    build: () => tf.sequential({ layers: [
      tf.layers.gru({ units: 4, returnSequences: true, recurrentActivation: "sigmoid", inputShape: [5, 2] }),
      tf.layers.gru({ units: 3 }),
    ] }),
  },
  {
    name: "simple_rnn", seed: 5, input: [3, 5, 3],
    build: () => tf.sequential({ layers: [
      tf.layers.simpleRNN({ units: 4, activation: "relu", returnSequences: true, inputShape: [5, 3] }),
      tf.layers.simpleRNN({ units: 3 }),
      tf.layers.dense({ units: 2 }),
    ] }),
  },
  {
    name: "bidi_concat_lstm", seed: 6, input: [2, 5, 3],
    build: () => tf.sequential({ layers: [
      tf.layers.bidirectional({ layer: lstm({ units: 3, returnSequences: true }), mergeMode: "concat", inputShape: [5, 3] }),
    ] }),
  },
  {
    name: "bidi_sum_gru", seed: 7, input: [2, 5, 3],
    build: () => tf.sequential({ layers: [
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, recurrentActivation: "sigmoid" }), mergeMode: "sum", inputShape: [5, 3] }),
      tf.layers.dense({ units: 2 }),
    ] }),
  },
  {
    name: "bidi_mul_rnn", seed: 8, input: [2, 5, 3],
    build: () => tf.sequential({ layers: [
      tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 3, returnSequences: true }), mergeMode: "mul", inputShape: [5, 3] }),
    ] }),
  },
  {
    name: "bidi_ave_lstm", seed: 9, input: [2, 5, 3],
    build: () => tf.sequential({ layers: [
      tf.layers.bidirectional({ layer: lstm({ units: 3, returnSequences: true, goBackwards: true }), mergeMode: "ave", inputShape: [5, 3] }),
    ] }),
  },
  {
    name: "encdec_sharded", seed: 10, input: [2, 6, 2], save: { split: 2, shardBytes: 200 },
    build: () => tf.sequential({ layers: [
      tf.layers.bidirectional({ layer: lstm({ units: 3 }), inputShape: [6, 2] }),
      tf.layers.repeatVector({ n: 4 }),
      lstm({ units: 3, returnSequences: true }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1 }) }),
    ] }),
  },
  {
    name: "embedding_flatten", seed: 11, input: [3, 6], ints: 10,
    build: () => tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: 10, outputDim: 3, inputLength: 6 }),
      tf.layers.gru({ units: 3, returnSequences: true, recurrentActivation: "sigmoid" }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2 }),
    ] }),
  },
  {
    name: "functional_chain", seed: 12, input: [2, 5, 3],
    build: () => {
      const inp = tf.input({ shape: [5, 3] });
      const h = lstm({ units: 4, returnSequences: true }).apply(inp);
      const d = tf.layers.dropout({ rate: 0.1 }).apply(h);
      const g = tf.layers.simpleRNN({ units: 3 }).apply(d);
      const y = tf.layers.dense({ units: 1 }).apply(g);
      return tf.model({ inputs: inp, outputs: y });
    },
  },
];

async function writeCase(c) {
  const model = c.build();
  seedWeights(model, c.seed);
  const input = randomInput(c.input, 1000 + c.seed, c.ints);
  const x = tf.tensor(input.data, input.shape);
  const y = model.predict(x);
  const dir = join(OUT, c.name);
  writeModel(dir, await artifactsOf(model), c.save);
  writeExpected(dir, input, y, `TensorFlow.js ${tf.version.tfjs} (cpu) prediction; scripts/tfjs_fixtures.mjs`);
}

/** A model TF.js saves but we refuse: two outputs from one input (a branching graph). */
async function writeBranching() {
  const inp = tf.input({ shape: [4] });
  const a = tf.layers.dense({ units: 2 }).apply(inp);
  const b = tf.layers.dense({ units: 3 }).apply(inp);
  const model = tf.model({ inputs: inp, outputs: [a, b] });
  seedWeights(model, 13);
  writeModel(join(OUT, "functional_branching"), await artifactsOf(model));
}

/**
 * A Keras 2 model as TF.js's converter writes it (tensorflowjs_converter --input_format keras):
 * topology under model_config, an InputLayer first, weight names with the cell's name, and a GRU
 * with reset_after=True. The expected output follows Keras's GRU equations, run with TF.js ops:
 *   z = σ(x Wz + bz + h Uz + b'z),  r = σ(x Wr + br + h Ur + b'r),
 *   ĥ = tanh(x Wh + bh + r ⊙ (h Uh + b'h)),  h ← z ⊙ h + (1 − z) ⊙ ĥ
 */
async function writeKerasGru() {
  const T = 5, I = 3, H = 4, O = 2, B = 3;
  const r = rng(14);
  const u = (n, limit) => Float32Array.from({ length: n }, () => round6((2 * r() - 1) * limit));
  const W = u(I * 3 * H, Math.sqrt(6 / (I + 3 * H)));
  const U = u(H * 3 * H, Math.sqrt(6 / (H + 3 * H)));
  const bias = u(2 * 3 * H, 0.3);
  const Wd = u(H * O, Math.sqrt(6 / (H + O)));
  const bd = u(O, 0.3);
  const input = randomInput([B, T, I], 1014);
  const y = tf.tidy(() => {
    const x = tf.tensor3d(input.data, [B, T, I]);
    const Wt = tf.tensor2d(W, [I, 3 * H]), Ut = tf.tensor2d(U, [H, 3 * H]);
    const bi = tf.tensor1d(bias.subarray(0, 3 * H)), bh = tf.tensor1d(bias.subarray(3 * H));
    let h = tf.zeros([B, H]);
    for (let t = 0; t < T; t++) {
      const xt = x.slice([0, t, 0], [B, 1, I]).reshape([B, I]);
      const gx = tf.matMul(xt, Wt).add(bi);
      const gh = tf.matMul(h, Ut).add(bh);
      const [xz, xr, xh] = tf.split(gx, 3, 1);
      const [hz, hr, hh] = tf.split(gh, 3, 1);
      const z = tf.sigmoid(xz.add(hz));
      const rr = tf.sigmoid(xr.add(hr));
      const cand = tf.tanh(xh.add(rr.mul(hh)));
      h = z.mul(h).add(tf.scalar(1).sub(z).mul(cand));
    }
    return tf.matMul(h, tf.tensor2d(Wd, [H, O])).add(tf.tensor1d(bd));
  });
  const init = (cls, config = {}) => ({ class_name: cls, config: { seed: null, ...config } });
  const topology = {
    keras_version: "2.15.0",
    backend: "tensorflow",
    model_config: {
      class_name: "Sequential",
      config: {
        name: "sequential",
        layers: [
          { class_name: "InputLayer", config: { batch_input_shape: [null, T, I], dtype: "float32", sparse: false, ragged: false, name: "gru_input" } },
          { class_name: "GRU", config: {
            name: "gru", trainable: true, dtype: "float32", return_sequences: false, return_state: false, go_backwards: false,
            stateful: false, unroll: false, time_major: false, units: H, activation: "tanh", recurrent_activation: "sigmoid",
            use_bias: true, kernel_initializer: init("GlorotUniform"), recurrent_initializer: init("Orthogonal", { gain: 1.0 }),
            bias_initializer: { class_name: "Zeros", config: {} }, kernel_regularizer: null, recurrent_regularizer: null,
            bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, recurrent_constraint: null,
            bias_constraint: null, dropout: 0.0, recurrent_dropout: 0.0, implementation: 2, reset_after: true } },
          { class_name: "Dense", config: {
            name: "dense", trainable: true, dtype: "float32", units: O, activation: "linear", use_bias: true,
            kernel_initializer: init("GlorotUniform"), bias_initializer: { class_name: "Zeros", config: {} },
            kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null } },
        ],
      },
    },
    training_config: { loss: "mse", metrics: null, weighted_metrics: null, loss_weights: null,
      optimizer_config: { class_name: "Adam", config: { name: "Adam", learning_rate: 0.001 } } },
  };
  const specs = [
    { name: "gru/gru_cell/kernel", shape: [I, 3 * H], dtype: "float32" },
    { name: "gru/gru_cell/recurrent_kernel", shape: [H, 3 * H], dtype: "float32" },
    { name: "gru/gru_cell/bias", shape: [2, 3 * H], dtype: "float32" },
    { name: "dense/kernel", shape: [H, O], dtype: "float32" },
    { name: "dense/bias", shape: [O], dtype: "float32" },
  ];
  const all = [W, U, bias, Wd, bd];
  const data = new Float32Array(all.reduce((s, a) => s + a.length, 0));
  let off = 0;
  for (const a of all) { data.set(a, off); off += a.length; }
  const dir = join(OUT, "keras_gru_reset_after");
  writeModel(dir, {
    modelTopology: topology, weightSpecs: specs, weightData: data.buffer,
    format: "layers-model", generatedBy: "keras v2.15.0", convertedBy: "TensorFlow.js Converter v4.22.0",
  }, { shard: "group1-shard1of1.bin" });
  writeExpected(dir, input, y, `Keras 2 GRU(reset_after=True) equations run with TensorFlow.js ${tf.version.tfjs} ops (TF.js cannot run this layer); scripts/tfjs_fixtures.mjs`);
}

tf.enableProdMode();
await tf.setBackend("cpu");
await tf.ready();
for (const c of CASES) await writeCase(c);
await writeBranching();
await writeKerasGru();
console.log(`wrote ${CASES.length + 2} fixtures under ${OUT}`);
