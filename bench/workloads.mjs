// The five training workloads of the peer study (its WORKLOADS.md, copied into
// docs/benchmarks.md), built with recurrent and with TensorFlow.js, on inputs from the peer
// study's seeded generators (mulberry32 + Box–Muller, copied here so the bench runs from a bare
// clone; bench/torch_bench.py has the same generators in Python).

import { sequential, layers, Tensor } from "../dist/index.js";

// samples: per epoch, as WORKLOADS.md. tfjsSamples / wasmSamples: the reduced epochs timed on
// tfjs's cpu and wasm backends (whole batches; their cost per batch is constant, so samples/s
// stays comparable, and a full epoch takes minutes there). torchEpochs: PyTorch's timed epochs
// where its default 5 would time under a second (as the peer study).
export const WORKLOADS = {
  W_sine: { T: 50, F: 1, batch: 32, samples: 1792, tfjsSamples: 96, wasmSamples: 256 },
  W_stock: { T: 60, F: 1, batch: 32, samples: 1024, tfjsSamples: 96, wasmSamples: 192 },
  W_encdec_b1: { T: 18, F: 1, batch: 1, samples: 256, tfjsSamples: 32, wasmSamples: 64 },
  W_encdec_b32: { T: 18, F: 1, batch: 32, samples: 256, tfjsSamples: 128, wasmSamples: 256, torchEpochs: 10 },
  W_char: { T: 100, F: 1, batch: 32, samples: 512, tfjsSamples: 32, wasmSamples: 64, vocab: 65, emb: 64, hidden: 256 },
};

// Matrix-product FLOPs per sample (the peer study's flops.mjs): LSTM step 2·4·H·(I+H) per
// direction, Dense 2·I·O; training ≈ 3 × forward.
const lstmFwd = (I, H, T, dirs = 1) => 2 * 4 * H * (I + H) * T * dirs;
const denseFwd = (I, O, reps = 1) => 2 * I * O * reps;
const encdec = lstmFwd(1, 32, 18, 2) + lstmFwd(64, 32, 18, 2) + denseFwd(64, 1, 18);
export const FWD_FLOP = {
  W_sine: lstmFwd(1, 128, 50) + lstmFwd(128, 64, 50) + denseFwd(64, 32) + denseFwd(32, 1),
  W_stock: lstmFwd(1, 50, 60) + 3 * lstmFwd(50, 50, 60) + denseFwd(50, 1),
  W_encdec_b1: encdec,
  W_encdec_b32: encdec,
  W_char: lstmFwd(64, 256, 100) + denseFwd(256, 65, 100),
};
export const TRAIN_FLOP = Object.fromEntries(Object.entries(FWD_FLOP).map(([k, v]) => [k, 3 * v]));

// ---- deterministic RNG: mulberry32 + Box-Muller (as common.mjs) ----
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export function randn(n, seed = 1234) {
  const u = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = Math.max(u(), 1e-12), u2 = u();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
export function randint(n, hi, seed = 4321) {
  const u = mulberry32(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(u() * hi);
  return out;
}

/** Inputs and targets as flat arrays + shapes (seeds 11 / 12, as tfjs_bench.mjs). */
export function makeData(name, n) {
  const w = WORKLOADS[name];
  if (name === "W_char") {
    return {
      x: Float32Array.from(randint(n * w.T, w.vocab, 11)), xShape: [n, w.T],
      y: Float32Array.from(randint(n * w.T, w.vocab, 12)), yShape: [n, w.T, 1],
    };
  }
  const x = randn(n * w.T * w.F, 11);
  if (name.startsWith("W_encdec")) return { x, xShape: [n, w.T, w.F], y: randn(n * w.T, 12), yShape: [n, w.T, 1] };
  return { x, xShape: [n, w.T, w.F], y: randn(n, 12), yShape: [n, 1] };
}

/**
 * The options recurrent is built with. `config` picks the engine ({ backend, threads }); only the
 * keys it sets are passed, so the bench still runs against a library without those options.
 */
export const modelOptions = (seed, config = {}) => ({ seed, ...config });
export const configLabel = (c) => `${c.backend} ${c.threads}T`;

/** What a built model says it runs on: libraries before these options ran only "js", 1 thread. */
export function engineOf(m) {
  return { backend: m.backend?.name ?? "js", threads: m.threads ?? 1 };
}

/**
 * The engine configurations this build of recurrent accepts: each backend × 1 and 2 threads.
 * A configuration counts only if the model reports running it (an ignored option does not) and
 * can train a batch with it (threads need a worker-thread host).
 */
export async function engineConfigs() {
  const ran = [], skipped = [];
  for (const backend of ["js", "wasm"]) {
    for (const threads of [1, 2]) {
      const want = { backend, threads };
      try {
        const m = sequential([layers.input({ shape: [3, 1] }), layers.lstm({ units: 2 })], modelOptions(1, want));
        const got = engineOf(m);
        if (got.backend !== backend || got.threads !== threads) {
          skipped.push({ ...want, reason: `the model runs ${configLabel(got)}` });
          continue;
        }
        m.compile({ optimizer: "sgd", loss: "mse" });
        await m.fit(new Tensor(new Float32Array(6), [2, 3, 1]), new Tensor(new Float32Array(4), [2, 2]), { batchSize: 2, verbose: 0 });
        ran.push(want);
      } catch (e) {
        skipped.push({ ...want, reason: e.message.split("\n")[0] });
      }
    }
  }
  return { ran, skipped };
}

export const ours = {
  data(name, n) {
    const d = makeData(name, n);
    return { x: new Tensor(d.x, d.xShape), y: new Tensor(d.y, d.yShape) };
  },
  build(name, seed = 7, config = {}) {
    const opts = modelOptions(seed, config);
    let m;
    if (name === "W_sine") {
      m = sequential([
        layers.input({ shape: [50, 1] }),
        layers.lstm({ units: 128, returnSequences: true }),
        layers.dropout({ rate: 0.2 }),
        layers.lstm({ units: 64 }),
        layers.dropout({ rate: 0.2 }),
        layers.dense({ units: 32, activation: "relu" }),
        layers.dense({ units: 1 }),
      ], opts);
      m.compile({ optimizer: { type: "adam", learningRate: 1e-3 }, loss: "mse" });
    } else if (name === "W_stock") {
      m = sequential([
        layers.input({ shape: [60, 1] }),
        layers.lstm({ units: 50, returnSequences: true }), layers.dropout({ rate: 0.2 }),
        layers.lstm({ units: 50, returnSequences: true }), layers.dropout({ rate: 0.2 }),
        layers.lstm({ units: 50, returnSequences: true }), layers.dropout({ rate: 0.2 }),
        layers.lstm({ units: 50 }), layers.dropout({ rate: 0.2 }),
        layers.dense({ units: 1 }),
      ], opts);
      m.compile({ optimizer: { type: "rmsprop", learningRate: 1e-3, rho: 0.9 }, loss: "mse" });
    } else if (name.startsWith("W_encdec")) {
      m = sequential([
        layers.input({ shape: [18, 1] }),
        layers.bidirectional(layers.lstm({ units: 32 })),
        layers.repeatVector({ n: 18 }),
        layers.bidirectional(layers.lstm({ units: 32, returnSequences: true })),
        layers.timeDistributed(layers.dense({ units: 1 })),
      ], opts);
      m.compile({ optimizer: { type: "adam", learningRate: 1e-3 }, loss: "mse" });
    } else if (name === "W_char") {
      m = sequential([
        layers.input({ shape: [100] }),
        layers.embedding({ inputDim: 65, outputDim: 64 }),
        layers.lstm({ units: 256, returnSequences: true }),
        layers.dense({ units: 65, activation: "softmax" }),
      ], opts);
      m.compile({ optimizer: { type: "adam", learningRate: 1e-3 }, loss: "sparseCategoricalCrossentropy" });
    } else throw new Error(`unknown workload ${name}`);
    return m;
  },
};

// tfjs models as in the peer study's tfjs_bench.mjs. Initializers are the cheap glorotUniform:
// the weights are overwritten with ours anyway (tfjs-cpu's orthogonal initializer takes ~2 min
// for W_char), and the values do not change the speed.
// `onehot`: W_char's Embedding as one-hot input × Dense(64, no bias), the same function with the
// same [65, 64] weight. tfjs-wasm needs it: training Embedding there fails with "Kernel
// 'UnsortedSegmentSum' not registered for backend 'wasm'" (the gather gradient; peer study README).
export function tfjsModels(tf, { onehot = false } = {}) {
  const lstm = (units, extra = {}) =>
    tf.layers.lstm({ units, recurrentActivation: "sigmoid", recurrentInitializer: "glorotUniform", ...extra });
  return {
    data(name, n) {
      const d = makeData(name, n);
      if (name === "W_char" && onehot) {
        const x = tf.tidy(() => tf.oneHot(tf.tensor(Int32Array.from(d.x), d.xShape, "int32"), WORKLOADS.W_char.vocab).toFloat());
        return { x, y: tf.tensor(d.y, d.yShape) };
      }
      return { x: tf.tensor(d.x, d.xShape), y: tf.tensor(d.y, d.yShape) };
    },
    build(name) {
      const m = tf.sequential();
      if (name === "W_sine") {
        m.add(lstm(128, { returnSequences: true, inputShape: [50, 1] }));
        m.add(tf.layers.dropout({ rate: 0.2 }));
        m.add(lstm(64));
        m.add(tf.layers.dropout({ rate: 0.2 }));
        m.add(tf.layers.dense({ units: 32, activation: "relu" }));
        m.add(tf.layers.dense({ units: 1 }));
        m.compile({ optimizer: tf.train.adam(1e-3), loss: "meanSquaredError" });
      } else if (name === "W_stock") {
        m.add(lstm(50, { returnSequences: true, inputShape: [60, 1] }));
        m.add(tf.layers.dropout({ rate: 0.2 }));
        m.add(lstm(50, { returnSequences: true }));
        m.add(tf.layers.dropout({ rate: 0.2 }));
        m.add(lstm(50, { returnSequences: true }));
        m.add(tf.layers.dropout({ rate: 0.2 }));
        m.add(lstm(50));
        m.add(tf.layers.dropout({ rate: 0.2 }));
        m.add(tf.layers.dense({ units: 1 }));
        m.compile({ optimizer: tf.train.rmsprop(1e-3, 0.9), loss: "meanSquaredError" });
      } else if (name.startsWith("W_encdec")) {
        m.add(tf.layers.bidirectional({ layer: lstm(32), inputShape: [18, 1], mergeMode: "concat" }));
        m.add(tf.layers.repeatVector({ n: 18 }));
        m.add(tf.layers.bidirectional({ layer: lstm(32, { returnSequences: true }), mergeMode: "concat" }));
        m.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1 }) }));
        m.compile({ optimizer: tf.train.adam(1e-3), loss: "meanSquaredError" });
      } else if (name === "W_char") {
        if (onehot) m.add(tf.layers.dense({ units: 64, useBias: false, inputShape: [100, 65] }));
        else m.add(tf.layers.embedding({ inputDim: 65, outputDim: 64, inputLength: 100 }));
        m.add(lstm(256, { returnSequences: true }));
        m.add(tf.layers.dense({ units: 65, activation: "softmax" }));
        m.compile({ optimizer: tf.train.adam(1e-3), loss: "sparseCategoricalCrossentropy" });
      } else throw new Error(`unknown workload ${name}`);
      return m;
    },
  };
}
