// The TensorFlow.js layers format both ways: (a) models TF.js built and saved (scripts/tfjs_fixtures.mjs)
// import and predict what TF.js predicted; (b) models built here, exported, load in TF.js
// (tf.loadLayersModel, strict) and predict what we predict; (c) recurrent → TF.js files → recurrent
// keeps every weight bit for bit; (d) broken files are refused naming the layer and the weight.

import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, truncateSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import * as layers from "../../src/layers/index.js";
import { Sequential } from "../../src/models/sequential.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/tensor/rng.js";
import { ConfigError, ModelFormatError } from "../../src/tensor/errors.js";
import { importTfjs, exportTfjs, type TfjsModelJson } from "../../src/interop/tfjs.js";
import { useFileSystem } from "../../src/io/fs.js";
import { nodeFileSystem } from "../../src/node/fs.js";
import { rel } from "../helpers/compare.js";

const TOL = 1e-5;
const FIXTURES = fileURLToPath(new URL("../fixtures/tfjs/", import.meta.url));

interface Expected { input: { shape: number[]; data: number[] }; output: { shape: number[]; data: number[] } }

let tmp: string;
beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend("cpu");
  await tf.ready();
  tmp = mkdtempSync(join(tmpdir(), "recurrent-tfjs-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let dirCount = 0;
const freshDir = (): string => join(tmp, `m${dirCount++}`);

/** A TF.js IO handler over a directory, loading as TF.js's own file and http handlers do. */
function dirHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const bufs = manifest.flatMap((g) => g.paths.map((p) => {
          const b = readFileSync(join(dir, p));
          return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
        }));
        return [tf.io.getWeightSpecs(manifest), tf.io.concatenateArrayBuffers(bufs)];
      });
    },
  };
}

const fixtureNames = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, "expected.json"))).sort();

describe("(a) models saved by TensorFlow.js import and predict what TF.js predicted", () => {
  it("has the fixtures", () => {
    expect(fixtureNames.length).toBeGreaterThanOrEqual(12);
  });
  it.each(fixtureNames)("%s", async (name) => {
    const ex = JSON.parse(readFileSync(join(FIXTURES, name, "expected.json"), "utf8")) as Expected;
    const model = await importTfjs(join(FIXTURES, name));
    const y = model.predict(new Tensor(Float32Array.from(ex.input.data), ex.input.shape));
    expect(y.shape).toEqual(ex.output.shape);
    const err = rel(y.data, ex.output.data);
    console.log(`tfjs import ${name}: max relative error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(TOL);
  });

  it("reads each kind of layer with the options TF.js wrote", async () => {
    const kinds = (m: Sequential): string[] => m.layers.map((l) => l.className);
    expect(kinds(await importTfjs(join(FIXTURES, "input_lstm_dense")))).toEqual(["InputLayer", "LSTM", "Dense"]);
    const lstm = (await importTfjs(join(FIXTURES, "input_lstm_dense"))).layers[1] as layers.LSTM;
    expect(lstm.recurrentActivation).toBe("hardSigmoid");
    const bw = (await importTfjs(join(FIXTURES, "lstm_backwards_td"))).layers[0] as layers.LSTM;
    expect([bw.goBackwards, bw.returnSequences]).toEqual([true, true]);
    const mul = (await importTfjs(join(FIXTURES, "bidi_mul_rnn"))).layers[0] as layers.Bidirectional;
    expect([mul.mergeMode, mul.forwardLayer.className]).toEqual(["mul", "SimpleRNN"]);
    const gru = (await importTfjs(join(FIXTURES, "keras_gru_reset_after"))).layers[1] as layers.GRU;
    expect([gru.className, gru.resetAfter]).toEqual(["GRU", true]);
    expect(kinds(await importTfjs(join(FIXTURES, "functional_chain")))).toEqual(["InputLayer", "LSTM", "Dropout", "SimpleRNN", "Dense"]);
    expect(kinds(await importTfjs(join(FIXTURES, "embedding_flatten")))).toEqual(["Embedding", "GRU", "Flatten", "Dense"]);
  });
});

/** Models built here for export, each with an input of its shape. */
interface Built { name: string; make: () => Sequential; input: number[]; ints?: number }

function seeded(model: Sequential, seed: number): Sequential {
  // away from the initializers' values so that every weight (biases included) carries information
  const rng = new Rng(seed);
  for (let i = 0; i < model.parameters.length; i++) model.parameters[i] = rng.uniform(-0.5, 0.5);
  return model;
}

const BUILT: Built[] = [
  {
    name: "LSTM → Dense", input: [3, 6, 3],
    make: () => new Sequential([layers.lstm({ units: 5, inputShape: [6, 3] }), layers.dense({ units: 2 })]),
  },
  {
    name: "Input → LSTM hardSigmoid goBackwards → Dropout → Dense softmax", input: [3, 6, 3],
    make: () => new Sequential([
      layers.input({ shape: [6, 3] }),
      layers.lstm({ units: 4, recurrentActivation: "hardSigmoid", goBackwards: true }),
      layers.dropout({ rate: 0.2 }),
      layers.dense({ units: 3, activation: "softmax" }),
    ]),
  },
  {
    name: "GRU resetAfter false → SimpleRNN relu", input: [2, 5, 3],
    make: () => new Sequential([
      layers.gru({ units: 4, resetAfter: false, returnSequences: true, inputShape: [5, 3] }),
      layers.simpleRnn({ units: 3, activation: "relu" }),
    ]),
  },
  ...(["concat", "sum", "mul", "ave"] as const).map((mode, k): Built => ({
    name: `Bidirectional(${["LSTM", "GRU", "SimpleRNN", "LSTM"][k]}) ${mode}`, input: [2, 5, 3],
    make: () => {
      const inner = [
        () => layers.lstm({ units: 3, returnSequences: true }),
        () => layers.gru({ units: 3, resetAfter: false, returnSequences: true }),
        () => layers.simpleRnn({ units: 3, returnSequences: true }),
        () => layers.lstm({ units: 3 }),
      ][k]!();
      return new Sequential([layers.bidirectional(inner, { mergeMode: mode, inputShape: [5, 3] })]);
    },
  })),
  {
    name: "encoder–decoder: Bidirectional → RepeatVector → LSTM → TimeDistributed(Dense)", input: [2, 6, 2],
    make: () => new Sequential([
      layers.bidirectional(layers.lstm({ units: 4 }), { inputShape: [6, 2] }),
      layers.repeatVector({ n: 3 }),
      layers.lstm({ units: 4, returnSequences: true }),
      layers.timeDistributed(layers.dense({ units: 2 })),
    ]),
  },
  {
    name: "Embedding → GRU → Flatten → Dense", input: [3, 5], ints: 7,
    make: () => new Sequential([
      layers.embedding({ inputDim: 7, outputDim: 3, inputLength: 5 }),
      layers.gru({ units: 3, resetAfter: false, returnSequences: true }),
      layers.flatten(),
      layers.dense({ units: 2, activation: "tanh" }),
    ]),
  },
  {
    name: "CNN–LSTM: Conv1D same relu → MaxPooling1D → Conv1D dilated → AveragePooling1D same → LSTM → Dense", input: [3, 16, 2],
    make: () => new Sequential([
      layers.input({ shape: [16, 2] }),
      layers.conv1d({ filters: 5, kernelSize: 3, padding: "same", activation: "relu" }),
      layers.maxPooling1d({ poolSize: 2 }),
      layers.conv1d({ filters: 4, kernelSize: 2, dilationRate: 2, activation: "tanh" }),
      // 6 steps, poolSize 4, strides 3: the last window has 3 real entries and one of padding
      layers.averagePooling1d({ poolSize: 4, strides: 3, padding: "same" }),
      layers.lstm({ units: 3 }),
      layers.dense({ units: 2 }),
    ]),
  },
  {
    name: "Conv1D strides 2 valid without bias → GlobalMaxPooling1D; Conv1D → GlobalAveragePooling1D", input: [3, 9, 3],
    make: () => new Sequential([
      layers.conv1d({ filters: 4, kernelSize: 3, strides: 2, useBias: false, inputShape: [9, 3] }),
      layers.maxPooling1d({ poolSize: 3, strides: 1, padding: "same" }),
      layers.conv1d({ filters: 3, kernelSize: 1, activation: "sigmoid" }),
      layers.averagePooling1d({ poolSize: 2 }),
      layers.conv1d({ filters: 2, kernelSize: 1 }),
      layers.globalMaxPooling1d(),
      layers.repeatVector({ n: 4 }),
      layers.globalAveragePooling1d(),
    ]),
  },
];

function inputFor(b: Built, seed: number): Tensor {
  const rng = new Rng(seed);
  const n = b.input.reduce((p, d) => p * d, 1);
  return new Tensor(Float32Array.from({ length: n }, () => (b.ints ? Math.floor(rng.next() * b.ints) : rng.uniform(-1, 1))), b.input);
}

describe("(b) models exported here load in TensorFlow.js and predict what we predict", () => {
  it.each(BUILT.map((b, k) => [b.name, k] as const))("%s", async (_name, k) => {
    const b = BUILT[k]!;
    const model = seeded(b.make(), 100 + k);
    const dir = freshDir();
    await exportTfjs(model, dir, { shardBytes: k % 2 ? 64 : undefined });
    const tm = await tf.loadLayersModel(dirHandler(dir), { strict: true });
    const x = inputFor(b, 200 + k);
    const ours = model.predict(x);
    const theirs = tm.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor;
    expect(theirs.shape).toEqual(ours.shape);
    const err = rel(ours.data, theirs.dataSync());
    console.log(`tfjs export ${b.name}: max relative error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(TOL);
    tm.dispose();
  });

  it("cuts the weights into shards of the size asked, which TF.js reassembles", async () => {
    const model = seeded(BUILT[0]!.make(), 1);
    const dir = freshDir();
    await exportTfjs(model, dir, { shardBytes: 100 });
    const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson;
    const paths = json.weightsManifest[0]!.paths;
    expect(paths.length).toBe(Math.ceil((4 * model.parameters.length) / 100));
    expect(paths.every((p) => statSync(join(dir, p)).size <= 100)).toBe(true);
    const tm = await tf.loadLayersModel(dirHandler(dir));
    const theirs = tm.getWeights().map((w) => Array.from(w.dataSync()));
    expect(theirs).toEqual(model.getWeights().map((w) => Array.from(w.data)));
    expect(paths.every((p) => /^group1-[0-9a-f]{8}-shard\d+of\d+\.bin$/.test(p))).toBe(true);
    // a second export with one shard removes the shards the old model.json named, once the new one is in place
    await exportTfjs(model, dir);
    const one = (JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson).weightsManifest[0]!.paths;
    expect(one).toEqual([paths[0]!.replace(/shard1of\d+/, "shard1of1")]);
    expect(readdirSync(dir).filter((f) => f.endsWith(".bin"))).toEqual(one);
    // new weights get new shard names: the previous export's shards are never overwritten
    model.parameters[0] += 1;
    await exportTfjs(model, dir);
    const next = (JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson).weightsManifest[0]!.paths;
    expect(next[0]).not.toBe(one[0]);
    expect(readdirSync(dir).filter((f) => f.endsWith(".bin"))).toEqual(next);
  });

  it("an export that fails before model.json is replaced leaves the previous export loadable", async () => {
    const model = seeded(BUILT[0]!.make(), 2);
    const dir = freshDir();
    await exportTfjs(model, dir);
    const before = Array.from(model.parameters);
    model.parameters.fill(0.25);
    useFileSystem({ ...nodeFileSystem, writeAtomic: (path, data) => {
      if (path.endsWith("model.json")) throw new Error("disk full");
      nodeFileSystem.writeAtomic(path, data);
    } });
    try {
      await expect(exportTfjs(model, dir)).rejects.toThrow(/disk full/);
    } finally {
      useFileSystem(nodeFileSystem);
    }
    expect(Array.from((await importTfjs(dir)).parameters)).toEqual(before);
    const tm = await tf.loadLayersModel(dirHandler(dir));
    expect(tm.getWeights().flatMap((w) => Array.from(w.dataSync()))).toEqual(before);
  });

  it("names Bidirectional weights as TF.js does", async () => {
    const model = new Sequential([layers.bidirectional(layers.lstm({ units: 2 }), { name: "bidirectional", inputShape: [3, 2] })]);
    const dir = freshDir();
    await exportTfjs(model, dir);
    const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson;
    expect(json.format).toBe("layers-model");
    expect(json.weightsManifest[0]!.weights.map((w) => w.name)).toEqual([
      "bidirectional/forward_lstm/kernel", "bidirectional/forward_lstm/recurrent_kernel", "bidirectional/forward_lstm/bias",
      "bidirectional/backward_lstm/kernel", "bidirectional/backward_lstm/recurrent_kernel", "bidirectional/backward_lstm/bias",
    ]);
  });

  it("refuses a Conv1D with causal padding, which TF.js cannot run, naming the layer", async () => {
    // TF.js loads the layer but refuses to run it, as the error says
    const tc = tf.sequential({ layers: [tf.layers.conv1d({ filters: 2, kernelSize: 2, padding: "causal", inputShape: [4, 1] })] });
    expect(() => tc.predict(tf.zeros([1, 4, 1]))).toThrow(/CAUSAL padding mode in conv1dWithBias is not implemented/);
    tc.dispose();
    const model = new Sequential([layers.conv1d({ filters: 2, kernelSize: 2, padding: "causal", name: "tcn", inputShape: [4, 1] })]);
    await expect(exportTfjs(model, freshDir())).rejects.toThrow(ConfigError);
    await expect(exportTfjs(model, freshDir())).rejects.toThrow(/layer "tcn" is a Conv1D with padding "causal"/);
  });

  it("names Conv1D weights as TF.js does, and TF.js reads the layers' options back", async () => {
    const model = seeded(BUILT[BUILT.length - 2]!.make(), 9);
    const dir = freshDir();
    await exportTfjs(model, dir);
    const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson;
    expect(json.weightsManifest[0]!.weights.map((w) => w.name).slice(0, 4)).toEqual(["conv1d/kernel", "conv1d/bias", "conv1d_1/kernel", "conv1d_1/bias"]);
    const tm = await tf.loadLayersModel(dirHandler(dir), { strict: true });
    const cfg = (cls: string, k = 0): Record<string, unknown> => tm.layers.filter((l) => l.getClassName() === cls)[k]!.getConfig() as Record<string, unknown>;
    expect([cfg("Conv1D").kernelSize, cfg("Conv1D").padding, cfg("Conv1D").activation]).toEqual([[3], "same", "relu"]);
    expect([cfg("Conv1D", 1).dilationRate, cfg("AveragePooling1D").poolSize, cfg("AveragePooling1D").strides, cfg("AveragePooling1D").padding]).toEqual([[2], [4], [3], "same"]);
    expect(tm.countParams()).toBe(model.countParams());
    tm.dispose();
  });

  it("refuses a GRU with resetAfter: true, which TF.js cannot load, naming the layer", async () => {
    // TF.js itself refuses the layer, as the error says
    expect(() => tf.layers.gru({ units: 2, resetAfter: true } as unknown as Parameters<typeof tf.layers.gru>[0])).toThrow(/reset_after/);
    const model = new Sequential([layers.gru({ units: 3, name: "my_gru", inputShape: [4, 2] })]);
    await expect(exportTfjs(model, freshDir())).rejects.toThrow(ConfigError);
    await expect(exportTfjs(model, freshDir())).rejects.toThrow(/layer "my_gru" is a GRU with resetAfter: true/);
  });
});

describe("(c) recurrent → TF.js files → recurrent keeps every weight", () => {
  it.each(BUILT.map((b, k) => [b.name, k] as const))("%s", async (_name, k) => {
    const b = BUILT[k]!;
    const model = seeded(b.make(), 300 + k);
    const dir = freshDir();
    await exportTfjs(model, dir, { shardBytes: 48 });
    const back = await importTfjs(dir);
    expect(back.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className));
    expect(back.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(back.inputShape).toEqual(model.inputShape);
    expect(Array.from(back.parameters)).toEqual(Array.from(model.parameters));
    const strip = (c: Record<string, unknown>): Record<string, unknown> => {
      const { inputShape: _i, name: _n, layer, ...rest } = c;
      return layer ? { ...rest, layer: strip((layer as { config: Record<string, unknown> }).config) } : rest;
    };
    expect(back.layers.map((l) => strip(l.getConfig()))).toEqual(model.layers.map((l) => strip(l.getConfig())));
    const x = inputFor(b, 400 + k);
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  it("through TF.js too: exported, loaded and saved again by TF.js, imported here", async () => {
    const b = BUILT[7]!; // the encoder–decoder: Bidirectional, RepeatVector, TimeDistributed
    const model = seeded(b.make(), 7);
    const dir = freshDir();
    await exportTfjs(model, dir);
    const tm = await tf.loadLayersModel(dirHandler(dir));
    let saved: tf.io.ModelArtifacts | undefined;
    await tm.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }));
    const dir2 = freshDir();
    cpSync(dir, dir2, { recursive: true });
    rmSync(join(dir2, "model.json"));
    writeFileSync(join(dir2, "w.bin"), new Uint8Array(saved!.weightData as ArrayBuffer));
    writeFileSync(join(dir2, "model.json"), JSON.stringify({
      modelTopology: saved!.modelTopology, format: saved!.format, generatedBy: saved!.generatedBy,
      weightsManifest: [{ paths: ["w.bin"], weights: saved!.weightSpecs }],
    }));
    const back = await importTfjs(dir2);
    expect(Array.from(back.parameters)).toEqual(Array.from(model.parameters));
  });
});

describe("Conv1D and pooling written by TF.js itself import and predict what TF.js predicts", () => {
  it("tf.layers conv1d (number kernel_size, strides, dilation) → pooling → global pooling, saved by TF.js", async () => {
    const tm = tf.sequential({ layers: [
      tf.layers.conv1d({ filters: 4, kernelSize: 3, strides: 2, padding: "same", activation: "elu", inputShape: [10, 2] }),
      tf.layers.maxPooling1d({ poolSize: 2, padding: "same" }),
      tf.layers.conv1d({ filters: 3, kernelSize: 2, dilationRate: 2, useBias: false }),
      tf.layers.averagePooling1d({ poolSize: 1 }),
      tf.layers.globalMaxPooling1d({}),
    ] });
    let saved: tf.io.ModelArtifacts | undefined;
    await tm.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }));
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, "w.bin"), new Uint8Array(saved!.weightData as ArrayBuffer));
    writeFileSync(join(dir, "model.json"), JSON.stringify({
      modelTopology: saved!.modelTopology, format: saved!.format, generatedBy: saved!.generatedBy,
      weightsManifest: [{ paths: ["w.bin"], weights: saved!.weightSpecs }],
    }));
    const model = await importTfjs(dir);
    expect(model.layers.map((l) => l.className)).toEqual(["Conv1D", "MaxPooling1D", "Conv1D", "AveragePooling1D", "GlobalMaxPooling1D"]);
    const c0 = model.layers[0] as layers.Conv1D;
    expect([c0.kernelSize, c0.strides, c0.padding, c0.activation]).toEqual([3, 2, "same", "elu"]);
    expect((model.layers[2] as layers.Conv1D).dilationRate).toBe(2);
    const x = inputFor({ name: "", make: () => model, input: [3, 10, 2] }, 5);
    const err = rel(model.predict(x).data, (tm.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor).dataSync());
    expect(err).toBeLessThan(TOL);
    tm.dispose();
  });

  it("a causal Conv1D that TF.js saved (but cannot run) imports with its padding and weights", async () => {
    const tm = tf.sequential({ layers: [tf.layers.conv1d({ filters: 2, kernelSize: 3, dilationRate: 2, padding: "causal", inputShape: [6, 1] })] });
    let saved: tf.io.ModelArtifacts | undefined;
    await tm.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }));
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, "w.bin"), new Uint8Array(saved!.weightData as ArrayBuffer));
    writeFileSync(join(dir, "model.json"), JSON.stringify({
      modelTopology: saved!.modelTopology, format: saved!.format, generatedBy: saved!.generatedBy,
      weightsManifest: [{ paths: ["w.bin"], weights: saved!.weightSpecs }],
    }));
    const model = await importTfjs(dir);
    const c = model.layers[0] as layers.Conv1D;
    expect([c.padding, c.kernelSize, c.dilationRate, c.padLeft]).toEqual(["causal", 3, 2, 4]);
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(tm.getWeights().map((w) => Array.from(w.dataSync())));
    tm.dispose();
  });
});

describe("stateful layers and other writers' topologies", () => {
  it("a stateful LSTM keeps its batch size both ways, and TF.js carries the states as we do", async () => {
    const make = (): Sequential => new Sequential([
      layers.lstm({ units: 3, stateful: true, batchSize: 2, inputShape: [4, 2], returnSequences: true }),
      layers.lstm({ units: 2, stateful: true }),
    ]);
    const model = seeded(make(), 11);
    const dir = freshDir();
    await exportTfjs(model, dir);
    const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson;
    expect((json.modelTopology as unknown as { config: { layers: { config: { batch_input_shape?: unknown } }[] } }).config.layers[0]!.config.batch_input_shape).toEqual([2, 4, 2]);
    const back = await importTfjs(dir);
    expect(back.layers.map((l) => [(l as layers.LSTM).stateful, l.batchSize])).toEqual([[true, 2], [true, null]]);
    const tm = await tf.loadLayersModel(dirHandler(dir));
    const x1 = inputFor({ name: "", make, input: [2, 4, 2] }, 1), x2 = inputFor({ name: "", make, input: [2, 4, 2] }, 2);
    for (const x of [x1, x2]) { // the second batch starts from the states the first one left
      const theirs = (tm.predict(tf.tensor(x.data, [...x.shape]), { batchSize: 2 }) as tf.Tensor).dataSync();
      expect(rel(model.predict(x, { batchSize: 2 }).data, theirs)).toBeLessThan(TOL);
      expect(rel(back.predict(x, { batchSize: 2 }).data, theirs)).toBeLessThan(TOL);
    }
  });

  it("a Keras 3 functional chain (keras_history inbound nodes, single input_layers entry)", async () => {
    const src = JSON.parse(readFileSync(join(FIXTURES, "functional_chain", "model.json"), "utf8")) as TfjsModelJson;
    type L = { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[] };
    const cfg = (src.modelTopology as unknown as { config: { layers: L[]; input_layers: unknown; output_layers: unknown } }).config;
    const k3 = {
      class_name: "Functional",
      config: {
        name: "chain",
        layers: cfg.layers.map((l) => ({
          ...l,
          config: l.class_name === "InputLayer" ? { batch_shape: l.config.batch_input_shape, dtype: "float32", name: l.name } : l.config,
          inbound_nodes: l.inbound_nodes.map((node) => ({
            args: [{ class_name: "__keras_tensor__", config: { shape: [null, 5, 3], dtype: "float32", keras_history: (node as unknown[][])[0]!.slice(0, 3) } }],
            kwargs: { training: false },
          })),
        })),
        input_layers: (cfg.input_layers as unknown[][])[0],
        output_layers: (cfg.output_layers as unknown[][])[0],
      },
    };
    const dir = freshDir();
    cpSync(join(FIXTURES, "functional_chain"), dir, { recursive: true });
    writeFileSync(join(dir, "model.json"), JSON.stringify({ ...src, modelTopology: { keras_version: "3.5.0", backend: "tensorflow", model_config: k3 } }));
    const ex = JSON.parse(readFileSync(join(FIXTURES, "functional_chain", "expected.json"), "utf8")) as Expected;
    const model = await importTfjs(dir);
    expect(model.layers.map((l) => l.className)).toEqual(["InputLayer", "LSTM", "Dropout", "SimpleRNN", "Dense"]);
    expect(rel(model.predict(new Tensor(Float32Array.from(ex.input.data), ex.input.shape)).data, ex.output.data)).toBeLessThan(TOL);
  });

  it("Keras 2 weight names with the cell's name (bidirectional/forward_lstm/lstm_cell/kernel:0), in any manifest order", async () => {
    const dir = freshDir();
    cpSync(join(FIXTURES, "bidi_ave_lstm"), dir, { recursive: true });
    const j = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson;
    const bin = readFileSync(join(dir, "weights.bin"));
    // rename as Keras 2 does, and reverse the order of the weights (and of their bytes)
    const ws = j.weightsManifest[0]!.weights;
    const sizes = ws.map((w) => 4 * w.shape.reduce((p, d) => p * d, 1));
    const chunks = ws.map((_, i) => bin.subarray(sizes.slice(0, i).reduce((a, b) => a + b, 0), sizes.slice(0, i + 1).reduce((a, b) => a + b, 0)));
    const renamed = ws.map((w) => ({ ...w, name: w.name.replace(/^[^/]+\/(forward|backward)_[^/]+\/(\w+)$/, "bidirectional/$1_lstm/lstm_cell/$2:0") }));
    expect(renamed.map((w) => w.name)).toContain("bidirectional/backward_lstm/lstm_cell/recurrent_kernel:0");
    j.weightsManifest[0]!.weights = renamed.reverse();
    writeFileSync(join(dir, "weights.bin"), Buffer.concat(chunks.reverse()));
    const topo = j.modelTopology as unknown as { config: { layers: { config: { name: string } }[] } };
    topo.config.layers[0]!.config.name = "bidirectional";
    writeFileSync(join(dir, "model.json"), JSON.stringify(j));
    const ex = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Expected;
    const model = await importTfjs(dir);
    expect(rel(model.predict(new Tensor(Float32Array.from(ex.input.data), ex.input.shape)).data, ex.output.data)).toBeLessThan(TOL);
  });

  it("Keras 3's hard_sigmoid (x/6 + 1/2) is refused rather than computed as Keras 2's", async () => {
    const dir = freshDir();
    cpSync(join(FIXTURES, "input_lstm_dense"), dir, { recursive: true });
    const j = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson;
    writeFileSync(join(dir, "model.json"), JSON.stringify({ ...j, modelTopology: { ...j.modelTopology, keras_version: "3.5.0" } }));
    await expect(importTfjs(dir)).rejects.toThrow(/layer "lstm_LSTM\d+" \(LSTM\): "recurrent_activation" is hard_sigmoid of Keras 3/);
  });
});

describe("(d) broken files are refused, naming the layer and the weight", () => {
  /** A copy of a fixture with model.json edited. */
  function broken(name: string, edit: (j: TfjsModelJson, dir: string) => void): string {
    const dir = freshDir();
    cpSync(join(FIXTURES, name), dir, { recursive: true });
    const j = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson;
    edit(j, dir);
    writeFileSync(join(dir, "model.json"), JSON.stringify(j));
    return dir;
  }
  type Topo = { class_name: string; config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  const topo = (j: TfjsModelJson): Topo => j.modelTopology as unknown as Topo;

  it("an unknown layer", async () => {
    const dir = broken("simple_rnn", (j) => { topo(j).config.layers[1]!.class_name = "Conv2D"; });
    const name = topo(JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson).config.layers[1]!.config.name as string;
    await expect(importTfjs(dir)).rejects.toThrow(ModelFormatError);
    await expect(importTfjs(dir)).rejects.toThrow(new RegExp(`layer "${name}" \\(Conv2D\\): unknown layer class "Conv2D"`));
  });

  it("a missing weight", async () => {
    const dir = broken("gru", (j) => {
      const ws = j.weightsManifest[0]!.weights;
      ws.splice(ws.findIndex((w) => w.name.endsWith("/recurrent_kernel")), 1);
    });
    await expect(importTfjs(dir)).rejects.toThrow(/layer "gru_GRU\d+" \(GRU\): weight "gru_GRU\d+\/recurrent_kernel": missing from weightsManifest/);
  });

  it("a weight of the wrong shape", async () => {
    const dir = broken("lstm_backwards_td", (j) => {
      const w = j.weightsManifest[0]!.weights.find((x) => x.name.endsWith("/kernel"))!;
      w.shape = [w.shape[0]! + 1, w.shape[1]!];
    });
    await expect(importTfjs(dir)).rejects.toThrow(/layer "lstm_LSTM\d+" \(LSTM\): weight "lstm_LSTM\d+\/kernel": shape \[4, 16\] in weightsManifest, but the layer needs \[3, 16\]/);
  });

  it("a truncated shard", async () => {
    const dir = broken("bidi_sum_gru", () => {});
    truncateSync(join(dir, "weights.bin"), statSync(join(dir, "weights.bin")).size - 6);
    await expect(importTfjs(dir)).rejects.toThrow(/layer "dense_Dense\d+" \(Dense\): weight "dense_Dense\d+\/bias": .* the shards are truncated/);
  });

  it("a truncated shard in the middle of a sharded model names the weight that spans it", async () => {
    const dir = broken("encdec_sharded", () => {});
    truncateSync(join(dir, "group1-shard2of3.bin"), 10);
    await expect(importTfjs(dir)).rejects.toThrow(/layer "bidirectional_Bidirectional\d+" \(Bidirectional\): weight "bidirectional_Bidirectional\d+\/backward_lstm_LSTM\d+\/\w+": .*truncated/);
  });

  it("a missing shard file", async () => {
    const dir = broken("encdec_sharded", () => {});
    rmSync(join(dir, "group2-shard3of3.bin"));
    await expect(importTfjs(dir)).rejects.toThrow(/cannot read weight shard .*group2-shard3of3\.bin.*needed for weight "lstm_LSTM\d+\/kernel" of layer "lstm_LSTM\d+"/);
  });

  it("a shard longer than its weights", async () => {
    const dir = broken("gru", () => {});
    writeFileSync(join(dir, "weights.bin"), Buffer.concat([readFileSync(join(dir, "weights.bin")), Buffer.alloc(8)]));
    await expect(importTfjs(dir)).rejects.toThrow(/weight group 1 \(weights\.bin\) holds \d+ bytes but its weights take \d+/);
  });

  it("a weight no layer takes", async () => {
    const dir = broken("dense_dropout", (j) => {
      j.weightsManifest[0]!.weights.push({ name: "ghost/kernel", shape: [0], dtype: "float32" });
    });
    await expect(importTfjs(dir)).rejects.toThrow(/weight "ghost\/kernel" \(layer "ghost"\) in weightsManifest belongs to no weight of the model/);
  });

  it("a dtype other than float32", async () => {
    const dir = broken("dense_dropout", (j) => { j.weightsManifest[0]!.weights[0]!.dtype = "int32"; });
    await expect(importTfjs(dir)).rejects.toThrow(/weight "dense_Dense\d+\/kernel": dtype "int32" is not float32/);
  });

  it("a shard path leaving the directory", async () => {
    const dir = broken("dense_dropout", (j) => { j.weightsManifest[0]!.paths = ["../../etc/passwd"]; });
    await expect(importTfjs(dir)).rejects.toThrow(/shard path "..\/..\/etc\/passwd" leaves the model's directory/);
  });

  it("a branching functional graph", async () => {
    await expect(importTfjs(join(FIXTURES, "functional_branching"))).rejects.toThrow(ModelFormatError);
    await expect(importTfjs(join(FIXTURES, "functional_branching"))).rejects.toThrow(/functional graphs are not yet supported.*(2 outputs|feeds 2 layers)/);
  });

  it("a functional layer with two inputs", async () => {
    const dir = broken("functional_chain", (j) => {
      const ls = (j.modelTopology as unknown as { config: { layers: { inbound_nodes: unknown[][][] }[] } }).config.layers;
      ls[3]!.inbound_nodes[0]!.push(ls[2]!.inbound_nodes[0]![0]!);
    });
    await expect(importTfjs(dir)).rejects.toThrow(/functional graphs are not yet supported.*takes 2 inputs/);
  });

  it("an open time dimension without an inputShape, and with one", async () => {
    const dir = broken("functional_chain", (j) => {
      (topo(j).config.layers[0]!.config as { batch_input_shape: (number | null)[] }).batch_input_shape = [null, null, 3];
    });
    await expect(importTfjs(dir)).rejects.toThrow(/leaves a dimension open.*pass \{ inputShape/);
    const m = await importTfjs(dir, { inputShape: [7, 3] });
    expect(m.inputShape).toEqual([7, 3]);
  });

  it("not a layers model", async () => {
    const dir = broken("dense_dropout", (j) => { j.format = "graph-model"; });
    await expect(importTfjs(dir)).rejects.toThrow(/only the layers format/);
  });
});

describe("quantized weights (tensorflowjs_converter --quantize_*) are dequantized as TF.js does", () => {
  it.each(["uint8", "uint16", "float16"] as const)("%s", async (q) => {
    const dir = freshDir();
    cpSync(join(FIXTURES, "gru"), dir, { recursive: true });
    const j = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson;
    const bin = readFileSync(join(dir, "weights.bin"));
    const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    const parts: Uint8Array[] = [];
    let off = 0;
    for (const w of j.weightsManifest[0]!.weights) {
      const n = w.shape.reduce((p, d) => p * d, 1);
      const v = floats.subarray(off, off + n);
      off += n;
      if (q === "float16") {
        const t = tf.tensor(v);
        const half = new Uint16Array(n);
        // round to nearest half by TF.js's own float16 path: encode here, decode by TF.js below
        for (let i = 0; i < n; i++) half[i] = toHalf(v[i]!);
        t.dispose();
        w.quantization = { dtype: "float16" };
        parts.push(new Uint8Array(half.buffer));
      } else {
        const min = Math.min(...v), max = Math.max(...v);
        const levels = q === "uint8" ? 255 : 65535;
        const scale = (max - min) / levels || 1;
        const qs = q === "uint8" ? new Uint8Array(n) : new Uint16Array(n);
        for (let i = 0; i < n; i++) qs[i] = Math.round((v[i]! - min) / scale);
        w.quantization = { dtype: q, scale, min };
        parts.push(new Uint8Array(qs.buffer));
      }
    }
    writeFileSync(join(dir, "weights.bin"), Buffer.concat(parts));
    writeFileSync(join(dir, "model.json"), JSON.stringify(j));
    const ours = await importTfjs(dir);
    const tm = await tf.loadLayersModel(dirHandler(dir));
    const theirs = tm.getWeights().map((w) => Array.from(w.dataSync()));
    expect(ours.getWeights().map((w) => Array.from(w.data))).toEqual(theirs);
  });
});

/** float → IEEE half bits, round to nearest even (normal range only, enough for weights in ±1). */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign; // tiny → ±0
  let h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return h;
}
