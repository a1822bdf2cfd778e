// ONNX export checked in onnxruntime-node: every exported layer kind and option runs at batch sizes
// 1 and 5 and matches model.predict; unsupported layers, activations and opsets are refused with
// typed errors naming the layer; `recurrent export` writes a file onnxruntime loads from disk.
//
// Bound: |onnx − predict| <= 1e-5 · max(1, |predict|), element by element. Both sides compute in
// float32 with different summation orders and exp/tanh implementations; ~1e-7 is typical.

import { describe, it, expect, afterAll, beforeAll } from "vitest";
import * as ort from "onnxruntime-node";
import { Command, CommanderError } from "commander";
import { mkdtempSync, rmSync, existsSync, mkdirSync, writeFileSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sequential, sequential } from "../../src/models/sequential.js";
import { loadModel } from "../../src/models/load.js";
import * as layers from "../../src/layers/index.js";
import { Layer, type LayerConfig } from "../../src/layers/layer.js";
import type { Activation } from "../../src/kernels/activations.js";
import type { MergeMode } from "../../src/layers/wrappers.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { ConfigError, ModelFormatError, NonFiniteError, ShapeError, DataError } from "../../src/tensor/errors.js";
import { toOnnx, exportOnnx, onnxLayerKinds, DEFAULT_OPSET, MAX_OPSET } from "../../src/interop/onnx.js";
import { decodeModel, encodeModel } from "../../src/interop/onnx_proto.js";
import { registerExport } from "../../src/cli/export.js";

const TOL = 1e-5;
let worst = 0; // max over every comparison of |a − b| / max(1, |b|)
let compared = 0;

/** Deterministic uniform numbers in [-1, 1) (mulberry32). */
function rand(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** Every weight random in ±scale, biases included, so that each bias row and gate block is checked. */
function randomizeWeights(model: Sequential, seed: number, scale = 0.6): void {
  const r = rand(seed);
  model.setWeights(model.getWeights().map((w) => new Tensor(w.data.map(() => scale * r()), w.shape)));
}

function inputFor(model: Sequential, batch: number, seed: number): { x: Tensor; feed: ort.Tensor } {
  const shape = [batch, ...model.inputShape!];
  const n = shape.reduce((a, b) => a * b, 1);
  const r = rand(seed);
  const first = model.layers.find((l) => l.className !== "InputLayer");
  if (first instanceof layers.Embedding) {
    const ids = Array.from({ length: n }, () => Math.floor(((r() + 1) / 2) * first.inputDim));
    return { x: new Tensor(Float32Array.from(ids), shape), feed: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), shape) };
  }
  const x = Float32Array.from({ length: n }, () => 1.5 * r());
  return { x: new Tensor(x, shape), feed: new ort.Tensor("float32", x, shape) };
}

async function session(bytes: Uint8Array | string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes as Uint8Array);
}

/** Run the exported graph and predict on the same inputs; expect agreement within TOL. Returns the max error. */
async function expectSame(model: Sequential, s: ort.InferenceSession, batches = [1, 5], seed = 11): Promise<number> {
  let max = 0;
  for (const B of batches) {
    const { x, feed } = inputFor(model, B, seed + B);
    const want = model.predict(x);
    const got = (await s.run({ input: feed })).output!;
    expect(got.dims).toEqual(want.shape);
    const a = got.data as Float32Array;
    for (let i = 0; i < want.size; i++) {
      const b = want.data[i]!;
      const err = Math.abs(a[i]! - b) / Math.max(1, Math.abs(b));
      if (!(err <= TOL)) throw new Error(`element ${i} of batch ${B}: onnx ${a[i]} vs predict ${b} (error ${err})`);
      max = Math.max(max, err);
    }
    compared += want.size;
  }
  worst = Math.max(worst, max);
  return max;
}

async function check(model: Sequential, seed = 1, opset?: number): Promise<number> {
  randomizeWeights(model, seed);
  const bytes = await toOnnx(model, opset === undefined ? {} : { opset });
  return expectSame(model, await session(bytes));
}

afterAll(() => {
  console.log(`onnx export: ${compared} output values compared, max |onnx − predict| / max(1, |predict|) = ${worst.toExponential(2)}`);
});

type RnnKind = "lstm" | "gru" | "gru-reset-before" | "simpleRnn";
const RNN_KINDS: RnnKind[] = ["lstm", "gru", "gru-reset-before", "simpleRnn"];

function rnn(kind: RnnKind, args: Partial<layers.LstmArgs & layers.GruArgs> & { units?: number } = {}): layers.RecurrentLayer {
  const a = { units: 5, ...args };
  switch (kind) {
    case "lstm": return layers.lstm(a);
    case "gru": return layers.gru({ ...a, resetAfter: true });
    case "gru-reset-before": return layers.gru({ ...a, resetAfter: false });
    case "simpleRnn": return layers.simpleRnn(a);
  }
}

describe("recurrent layers match predict in onnxruntime (batch 1 and 5)", () => {
  for (const kind of RNN_KINDS) {
    for (const returnSequences of [false, true]) {
      for (const goBackwards of [false, true]) {
        it(`${kind}, returnSequences ${returnSequences}, goBackwards ${goBackwards}`, async () => {
          const m = sequential([layers.input({ shape: [6, 3] }), rnn(kind, { returnSequences, goBackwards })]);
          await check(m, 3);
        });
      }
    }
    it(`${kind} without bias`, async () => {
      const m = sequential([layers.input({ shape: [6, 3] }), rnn(kind, { returnSequences: true, useBias: false })]);
      await check(m, 4);
    });
  }

  it("goBackwards returns the sequence in processing order (last input step first), as Keras", async () => {
    // the first output step of a goBackwards layer has seen only the last input step
    const m = sequential([layers.input({ shape: [4, 2] }), layers.simpleRnn({ units: 3, returnSequences: true, goBackwards: true })]);
    randomizeWeights(m, 5);
    const s = await session(await toOnnx(m));
    const x = new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
    const got = (await s.run({ input: new ort.Tensor("float32", x, [1, 4, 2]) })).output!.data as Float32Array;
    const only = sequential([layers.input({ shape: [1, 2] }), layers.simpleRnn({ units: 3 })]);
    only.setWeights(m.getWeights());
    const lastStep = only.predict(new Tensor(x.slice(6, 8), [1, 1, 2]));
    for (let j = 0; j < 3; j++) expect(got[j]).toBeCloseTo(lastStep.data[j]!, 5);
    await expectSame(m, s);
  });

  const merges: MergeMode[] = ["concat", "sum", "mul", "ave"];
  for (const kind of RNN_KINDS) {
    for (const mergeMode of merges) {
      for (const returnSequences of [false, true]) {
        it(`bidirectional ${kind}, ${mergeMode}, returnSequences ${returnSequences}`, async () => {
          const m = sequential([layers.input({ shape: [6, 3] }), layers.bidirectional(rnn(kind, { returnSequences }), { mergeMode })]);
          await check(m, 6);
        });
      }
    }
  }

  for (const returnSequences of [false, true]) {
    it(`bidirectional around a goBackwards layer, returnSequences ${returnSequences}`, async () => {
      const m = sequential([layers.input({ shape: [6, 3] }),
        layers.bidirectional(layers.lstm({ units: 4, returnSequences, goBackwards: true }), { mergeMode: "concat" })]);
      await check(m, 7);
      const g = sequential([layers.input({ shape: [6, 3] }),
        layers.bidirectional(layers.gru({ units: 4, returnSequences, goBackwards: true }), { mergeMode: "sum" })]);
      await check(g, 8);
    });
  }

  const rnnActs: Activation[] = ["linear", "relu", "sigmoid", "hardSigmoid", "tanh", "elu", "softsign", "softplus"];
  for (const act of rnnActs) {
    it(`recurrent activation ${act} (LSTM and GRU gates and candidate, SimpleRNN state)`, async () => {
      // a different function on the gates than on the candidate, so that the ONNX order (f, g, h) is checked
      const other: Activation = act === "sigmoid" ? "hardSigmoid" : "sigmoid";
      await check(sequential([layers.input({ shape: [5, 3] }), layers.lstm({ units: 4, activation: act, recurrentActivation: other, returnSequences: true })]), 9);
      await check(sequential([layers.input({ shape: [5, 3] }), layers.lstm({ units: 4, activation: "tanh", recurrentActivation: act, returnSequences: true })]), 10);
      await check(sequential([layers.input({ shape: [5, 3] }), layers.gru({ units: 4, activation: act, recurrentActivation: other, returnSequences: true })]), 11);
      await check(sequential([layers.input({ shape: [5, 3] }), layers.gru({ units: 4, activation: "tanh", recurrentActivation: act, resetAfter: false })]), 12);
      await check(sequential([layers.input({ shape: [5, 3] }), layers.simpleRnn({ units: 4, activation: act, returnSequences: true })]), 13);
    });
  }
});

describe("feed-forward layers and whole models match predict in onnxruntime", () => {
  const denseActs = ["linear", "relu", "relu6", "sigmoid", "hardSigmoid", "tanh", "elu", "selu", "softplus", "softsign", "softmax"] as const;
  for (const activation of denseActs) {
    it(`dense ${activation}, on a sequence and on a vector`, async () => {
      await check(sequential([layers.input({ shape: [4, 3] }), layers.lstm({ units: 6, returnSequences: true }), layers.dense({ units: 5, activation })]), 20);
      await check(sequential([layers.input({ shape: [4, 3] }), layers.gru({ units: 6 }), layers.dense({ units: 5, activation, useBias: false })]), 21);
    });
  }

  it("encoder-decoder: LSTM → RepeatVector → LSTM → TimeDistributed(Dense)", async () => {
    await check(sequential([layers.input({ shape: [8, 2] }), layers.lstm({ units: 8 }), layers.repeatVector({ n: 3 }),
      layers.lstm({ units: 8, returnSequences: true }), layers.timeDistributed(layers.dense({ units: 2 }))]), 22);
  });

  it("TimeDistributed of Dense with an activation, and of Flatten over [time, a, b]", async () => {
    await check(sequential([layers.input({ shape: [5, 3] }), layers.simpleRnn({ units: 4, returnSequences: true }),
      layers.timeDistributed(layers.dense({ units: 3, activation: "softmax" }))]), 23);
    await check(sequential([layers.input({ shape: [4, 2, 3] }), layers.timeDistributed(layers.flatten()), layers.gru({ units: 3 })]), 24);
  });

  it("Embedding (int64 token ids) → GRU → Dense softmax", async () => {
    await check(sequential([layers.input({ shape: [7] }), layers.embedding({ inputDim: 20, outputDim: 6 }), layers.gru({ units: 8 }),
      layers.dense({ units: 4, activation: "softmax" })]), 25);
  });

  it("Embedding without an input layer → Bidirectional LSTM → TimeDistributed(Dense)", async () => {
    await check(sequential([layers.embedding({ inputDim: 11, outputDim: 4, inputLength: 6 }),
      layers.bidirectional(layers.lstm({ units: 5, returnSequences: true }), { mergeMode: "ave" }),
      layers.timeDistributed(layers.dense({ units: 11, activation: "softmax" }))]), 26);
  });

  it("Flatten after a sequence, Dropout (identity at inference), a model without an input layer", async () => {
    await check(sequential([layers.lstm({ units: 4, returnSequences: true, dropout: 0.3, recurrentDropout: 0.2, inputShape: [5, 3] }),
      layers.dropout({ rate: 0.5 }), layers.flatten(), layers.dense({ units: 3, activation: "tanh" }), layers.dropout({ rate: 0.2 })]), 27);
  });

  it("a stack of every recurrent kind", async () => {
    await check(sequential([layers.input({ shape: [6, 3] }), layers.gru({ units: 5, returnSequences: true }),
      layers.simpleRnn({ units: 4, returnSequences: true, goBackwards: true }),
      layers.bidirectional(layers.gru({ units: 3, returnSequences: true, resetAfter: false }), { mergeMode: "mul" }),
      layers.lstm({ units: 4 }), layers.dense({ units: 2 })]), 28);
  });

  it("a long sequence keeps the bound (T = 60)", async () => {
    await check(sequential([layers.input({ shape: [60, 4] }), layers.lstm({ units: 16, returnSequences: true }), layers.gru({ units: 8 }), layers.dense({ units: 1 })]), 29);
  });
});

describe("conv1d and pooling match predict in onnxruntime (Conv / MaxPool / AveragePool on NCW, batch 1 and 5)", () => {
  const geometries = [
    { kernelSize: 1 }, { kernelSize: 3 }, { kernelSize: 4 }, { kernelSize: 3, strides: 2 }, { kernelSize: 2, strides: 3 },
    { kernelSize: 5, strides: 4 }, { kernelSize: 3, dilationRate: 2 }, { kernelSize: 2, dilationRate: 3 },
  ];
  for (const padding of ["valid", "same", "causal"] as const) {
    for (const g of geometries) {
      it(`conv1d padding ${padding}, ${JSON.stringify(g)}`, async () => {
        await check(sequential([layers.input({ shape: [11, 3] }), layers.conv1d({ filters: 4, padding, ...g })]), 50);
      });
    }
  }

  it("conv1d without bias, and with every Dense activation but softmax", async () => {
    await check(sequential([layers.input({ shape: [7, 2] }), layers.conv1d({ filters: 3, kernelSize: 2, useBias: false, padding: "same" })]), 51);
    for (const activation of ["relu", "relu6", "sigmoid", "hardSigmoid", "tanh", "elu", "selu", "softplus", "softsign"] as const) {
      await check(sequential([layers.input({ shape: [7, 2] }), layers.conv1d({ filters: 3, kernelSize: 3, activation, padding: "causal" })]), 52);
    }
  });

  for (const kind of ["maxPooling1d", "averagePooling1d"] as const) {
    for (const padding of ["valid", "same"] as const) {
      for (const [poolSize, strides] of [[2, undefined], [3, undefined], [3, 1], [2, 3], [4, 2], [5, 3]] as const) {
        it(`${kind} poolSize ${poolSize}, strides ${strides ?? "(poolSize)"}, padding ${padding}`, async () => {
          // a conv in front makes the pooled values negative as often as positive, so padding taken for 0 would show
          await check(sequential([layers.input({ shape: [11, 3] }), layers.conv1d({ filters: 3, kernelSize: 1 }),
            layers[kind]({ poolSize, ...(strides !== undefined ? { strides } : {}), padding })]), 53);
        });
      }
    }
  }

  it("global average and max pooling", async () => {
    await check(sequential([layers.input({ shape: [9, 3] }), layers.conv1d({ filters: 4, kernelSize: 2 }), layers.globalAveragePooling1d()]), 54);
    await check(sequential([layers.input({ shape: [9, 3] }), layers.conv1d({ filters: 4, kernelSize: 2 }), layers.globalMaxPooling1d()]), 55);
  });

  it("a CNN–LSTM: conv1d → maxPooling1d → lstm → dense, at every opset from 7 to 21", async () => {
    const m = sequential([layers.input({ shape: [16, 2] }), layers.conv1d({ filters: 6, kernelSize: 3, padding: "causal", activation: "relu" }),
      layers.maxPooling1d({ poolSize: 2 }), layers.conv1d({ filters: 4, kernelSize: 2, dilationRate: 2, padding: "same", activation: "tanh" }),
      layers.averagePooling1d({ poolSize: 3, strides: 2, padding: "same" }), layers.lstm({ units: 5, returnSequences: true }),
      layers.globalMaxPooling1d(), layers.dense({ units: 2 })]);
    randomizeWeights(m, 56);
    const d = decodeModel(await toOnnx(m)) as { graph: { node: { op_type: string }[] } };
    const ops = new Set(d.graph.node.map((n) => n.op_type));
    for (const op of ["Conv", "MaxPool", "AveragePool", "GlobalMaxPool"]) expect(ops.has(op), op).toBe(true);
    for (let opset = 7; opset <= MAX_OPSET; opset++) await expectSame(m, await session(await toOnnx(m, { opset })), [1, 5]);
  });
});

/** Uses every op form the exporter writes: needs opset 11 (relu6 as Clip), 10 (reversed sequence). */
function everyOp(): Sequential {
  return sequential([layers.input({ shape: [6, 3] }), layers.lstm({ units: 4, returnSequences: true, goBackwards: true }),
    layers.bidirectional(layers.gru({ units: 3, returnSequences: true }), { mergeMode: "ave" }),
    layers.timeDistributed(layers.dense({ units: 4, activation: "relu6" })), layers.flatten(), layers.dense({ units: 5 }),
    layers.repeatVector({ n: 2 }), layers.simpleRnn({ units: 3 }), layers.dense({ units: 2, activation: "softmax" })]);
}

describe("opsets", () => {
  it(`the default is ${DEFAULT_OPSET}; the model states it with its IR version, a dynamic batch axis, typed input and output`, async () => {
    const m = everyOp();
    const d = decodeModel(await toOnnx(m)) as {
      ir_version: number; opset_import: { domain?: string; version: number }[];
      graph: { input: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[];
        output: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[];
        node: { op_type: string }[] };
    };
    expect(d.opset_import).toEqual([{ version: DEFAULT_OPSET }]);
    expect(d.ir_version).toBe(8);
    expect(d.graph.input[0]!.name).toBe("input");
    expect(d.graph.input[0]!.type.tensor_type.elem_type).toBe(1);
    expect(d.graph.input[0]!.type.tensor_type.shape.dim).toEqual([{ dim_param: "batch" }, { dim_value: 6 }, { dim_value: 3 }]);
    expect(d.graph.output[0]!.type.tensor_type.shape.dim).toEqual([{ dim_param: "batch" }, { dim_value: 2 }]);
    const ops = new Set(d.graph.node.map((n) => n.op_type));
    for (const op of ["LSTM", "GRU", "RNN", "Transpose", "Gather", "Slice", "Clip", "Expand", "Softmax", "Flatten", "MatMul"]) expect(ops.has(op), op).toBe(true);
    const e = sequential([layers.input({ shape: [5] }), layers.embedding({ inputDim: 9, outputDim: 2 }), layers.lstm({ units: 2 })]);
    const de = decodeModel(await toOnnx(e)) as typeof d;
    expect(de.graph.input[0]!.type.tensor_type.elem_type).toBe(7); // int64 token ids
  });

  it("every opset from what the graph needs up to 21 runs in onnxruntime and matches", async () => {
    const m = everyOp();
    randomizeWeights(m, 30);
    const ir: Record<number, number> = { 7: 3, 8: 3, 9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };
    for (let opset = 11; opset <= MAX_OPSET; opset++) {
      const bytes = await toOnnx(m, { opset });
      expect((decodeModel(bytes) as { ir_version: number }).ir_version).toBe(ir[opset]);
      await expectSame(m, await session(bytes), [5]);
    }
    const e = sequential([layers.input({ shape: [5] }), layers.embedding({ inputDim: 9, outputDim: 3 }),
      layers.bidirectional(layers.lstm({ units: 3, returnSequences: true }), { mergeMode: "sum" }), layers.simpleRnn({ units: 3 }), layers.dense({ units: 2, activation: "softmax" })]);
    randomizeWeights(e, 31);
    await expect(toOnnx(e, { opset: 6 })).rejects.toThrow(/below 7/);
    for (let opset = 7; opset <= MAX_OPSET; opset++) {
      const bytes = await toOnnx(e, { opset });
      const d = decodeModel(bytes) as { ir_version: number; graph: { input: { name: string }[]; initializer: { name: string }[] } };
      expect(d.ir_version).toBe(ir[opset]);
      // IR 3 lists the initializers among the inputs as well; later IRs do not
      const names = d.graph.input.map((i) => i.name);
      expect(names).toEqual(opset <= 8 ? ["input", ...d.graph.initializer.map((t) => t.name)] : ["input"]);
      await expectSame(e, await session(bytes), [5]);
    }
    const r = sequential([layers.input({ shape: [4, 2] }), layers.gru({ units: 3 }), layers.repeatVector({ n: 2 }), layers.lstm({ units: 2, returnSequences: true }),
      layers.dense({ units: 3, activation: "softmax" })]);
    randomizeWeights(r, 32);
    await expect(toOnnx(r, { opset: 7 })).rejects.toThrow(/opset 7 is below 8.*RepeatVector/);
    for (let opset = 8; opset <= MAX_OPSET; opset++) await expectSame(r, await session(await toOnnx(r, { opset })), [5]);
  });

  it("an opset below what the graph needs is refused with ConfigError saying which layer needs more", async () => {
    const m = everyOp();
    await expect(toOnnx(m, { opset: 10 })).rejects.toThrow(ConfigError);
    await expect(toOnnx(m, { opset: 10 })).rejects.toThrow(/opset 10 is below 11.*layer "time_distributed_dense": relu6/);
    const back = sequential([layers.input({ shape: [4, 2] }), layers.gru({ units: 2, returnSequences: true, goBackwards: true })]);
    await expect(toOnnx(back, { opset: 9 })).rejects.toThrow(/opset 9 is below 10.*layer "gru".*goBackwards/);
    await expect(toOnnx(back, { opset: 10 })).resolves.toBeInstanceOf(Uint8Array);
    const plain = sequential([layers.input({ shape: [4, 2] }), layers.lstm({ units: 2 })]);
    await expect(toOnnx(plain, { opset: 6 })).rejects.toThrow(/opset 6 is below 7/);
    await expect(toOnnx(plain, { opset: 22 })).rejects.toThrow(/opset 22 is above 21/);
    await expect(toOnnx(plain, { opset: 13.5 })).rejects.toThrow(ConfigError);
  });

  it("onnxruntime refuses the batch-major layout (layout = 1) of LSTM, which is why the graph transposes", async () => {
    const w = (name: string, dims: number[]) => ({ name, dims, data_type: 1, raw_data: new Uint8Array(4 * dims.reduce((a, b) => a * b, 1)) });
    const bytes = encodeModel({
      ir_version: 8, producer_name: "test", producer_version: "", opset_import: [{ domain: "", version: 17 }],
      graph: {
        name: "layout", initializer: [w("W", [1, 8, 3]), w("R", [1, 8, 2])],
        node: [{ name: "lstm", op_type: "LSTM", input: ["input", "W", "R"], output: ["output"],
          attribute: [{ name: "hidden_size", type: 2, i: 2 }, { name: "layout", type: 2, i: 1 }] }],
        input: [{ name: "input", type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: "batch" }, { dim_value: 4 }, { dim_value: 3 }] } } } }],
        output: [{ name: "output", type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: "batch" }, { dim_value: 4 }, { dim_value: 1 }, { dim_value: 2 }] } } } }],
      },
    });
    await expect(ort.InferenceSession.create(bytes, { logSeverityLevel: 4 })).rejects.toThrow(/layout/);
  });
});

/** A layer kind with no converter (an identity standing in for a future Conv2D). */
class Conv2DStandIn extends Layer {
  readonly className = "Conv2D";
  protected computeBuild(inputShape: number[]): number[] { return inputShape; }
  forward(x: Tensor): Tensor { return x; }
  backward(dy: Tensor): Tensor { return dy; }
  getConfig(): LayerConfig { return { name: this.name }; }
}

describe("refusals: typed errors that name the layer", () => {
  it("an unknown layer kind is refused with ModelFormatError naming the layer and its class", async () => {
    const m = sequential([layers.input({ shape: [4, 2] }), layers.lstm({ units: 3, returnSequences: true }), new Conv2DStandIn({ name: "conv" })]);
    await expect(toOnnx(m)).rejects.toThrow(ModelFormatError);
    await expect(toOnnx(m)).rejects.toThrow(/layer "conv" is a Conv2D, which has no ONNX converter; layers that export: .*LSTM/);
    const inside = sequential([layers.input({ shape: [4, 2] }), layers.timeDistributed(new Conv2DStandIn({ name: "inner_conv" }))]);
    await expect(toOnnx(inside)).rejects.toThrow(/layer "inner_conv" is a Conv2D/);
  });

  it("the converter table covers every layer kind a Sequential model can hold", () => {
    // merges and attention take several inputs: they live in functional models, which export refuses
    expect(new Set(onnxLayerKinds())).toEqual(new Set(layers.layerKinds().filter((k) => !k.multiInput).map((k) => k.className)));
  });

  it("a recurrent activation ONNX's RNN ops cannot express is refused naming the layer, the activation and its role", async () => {
    const selu = sequential([layers.input({ shape: [4, 2] }), layers.lstm({ units: 3, activation: "selu", name: "enc" })]);
    await expect(toOnnx(selu)).rejects.toThrow(ModelFormatError);
    await expect(toOnnx(selu)).rejects.toThrow(/layer "enc" \(LSTM\) uses activation "selu" for its candidate and output/);
    const relu6 = sequential([layers.input({ shape: [4, 2] }), layers.bidirectional(layers.gru({ units: 3, recurrentActivation: "relu6" }), { name: "bi" })]);
    await expect(toOnnx(relu6)).rejects.toThrow(/layer "forward_bi" \(GRU\) uses activation "relu6" for its gates/);
    const rnn6 = sequential([layers.input({ shape: [4, 2] }), layers.simpleRnn({ units: 3, activation: "relu6" })]);
    await expect(toOnnx(rnn6)).rejects.toThrow(/layer "simple_rnn" \(SimpleRNN\) uses activation "relu6".*RNN op/);
  });

  it("a stateful layer is refused (an ONNX graph without state inputs cannot carry states)", async () => {
    const m = sequential([layers.input({ shape: [4, 2], batchSize: 2 }), layers.lstm({ units: 3, stateful: true, name: "carry" })]);
    await expect(toOnnx(m)).rejects.toThrow(/layer "carry" \(LSTM\) is stateful/);
  });

  it("a non-finite weight is refused naming the layer and the weight", async () => {
    const m = sequential([layers.input({ shape: [4, 2] }), layers.gru({ units: 3 }), layers.dense({ units: 1, name: "head" })]);
    const w = m.getWeights();
    w[3]!.data[0] = NaN; // gru kernel, recurrent_kernel, bias; then dense kernel
    m.setWeights(w);
    await expect(toOnnx(m)).rejects.toThrow(NonFiniteError);
    await expect(toOnnx(m)).rejects.toThrow(/weight "kernel" of layer "head" holds NaN at flat index 0/);
  });

  it("a model that is not built is refused with ConfigError", async () => {
    await expect(toOnnx(sequential([layers.lstm({ units: 3 })]))).rejects.toThrow(/not built/);
  });
});

// The command line, as src/cli/main.ts runs it: typed errors print one line and exit 2.
interface Run { code: number; out: string; err: string }
async function cli(...args: string[]): Promise<Run> {
  let out = "", err = "";
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => { out += String(s); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => { err += String(s); return true; }) as typeof process.stderr.write;
  try {
    const program = new Command().name("recurrent").exitOverride();
    registerExport(program);
    await program.parseAsync(["node", "recurrent", ...args]);
    return { code: 0, out, err };
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode === 1 ? 2 : e.exitCode, out, err };
    if ([DataError, ConfigError, ShapeError, ModelFormatError, NonFiniteError].some((E) => e instanceof E)) {
      err += `error: ${(e as Error).message}\n`;
      return { code: 2, out, err };
    }
    throw e;
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

describe("recurrent export", () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "recurrent-onnx-")); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads a saved model, writes an ONNX file (creating its directory) that onnxruntime loads from disk and that matches", async () => {
    const m = sequential([layers.input({ shape: [6, 3] }), layers.bidirectional(layers.lstm({ units: 5, returnSequences: true })),
      layers.gru({ units: 4, goBackwards: true }), layers.dense({ units: 2 })]);
    randomizeWeights(m, 40);
    await m.save(join(dir, "saved"));
    const file = join(dir, "out", "nested", "model.onnx");
    const r = await cli("export", join(dir, "saved"), "--onnx", file);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Wrote .*model\.onnx: ONNX opset 17, input \[batch, 6, 3\], output \[batch, 2\]/);
    expect(readdirSync(join(dir, "out", "nested"))).toEqual(["model.onnx"]); // no temporary file left
    const loaded = await loadModel(join(dir, "saved"));
    await expectSame(loaded as Sequential, await session(file));
  });

  it("takes a training run's directory (the model in its model/ folder) and --opset", async () => {
    const m = sequential([layers.input({ shape: [5, 2] }), layers.simpleRnn({ units: 3, returnSequences: true, goBackwards: true }), layers.flatten(), layers.dense({ units: 1 })]);
    randomizeWeights(m, 41);
    mkdirSync(join(dir, "run"));
    await m.save(join(dir, "run", "model"));
    const file = join(dir, "run.onnx");
    const r = await cli("export", join(dir, "run"), "--onnx", file, "--opset", "13");
    expect(r.code).toBe(0);
    expect((decodeModel(await toOnnx(m, { opset: 13 })) as { opset_import: unknown }).opset_import).toEqual([{ version: 13 }]);
    await expectSame(m, await session(file));
  });

  it("errors exit 2 with a one-paragraph message", async () => {
    const missing = await cli("export", join(dir, "nowhere"), "--onnx", join(dir, "x.onnx"));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^error: loadModel: cannot read .*nowhere.*model\.json/);
    expect(missing.err.trim().split("\n")).toHaveLength(1);

    const m = sequential([layers.input({ shape: [4, 2] }), layers.lstm({ units: 3, activation: "selu" })]);
    await m.save(join(dir, "selu"));
    const selu = await cli("export", join(dir, "selu"), "--onnx", join(dir, "selu.onnx"));
    expect(selu.code).toBe(2);
    expect(selu.err).toMatch(/^error: exportOnnx: layer "lstm" \(LSTM\) uses activation "selu"/);
    expect(existsSync(join(dir, "selu.onnx"))).toBe(false);

    const low = await cli("export", join(dir, "saved"), "--onnx", join(dir, "low.onnx"), "--opset", "6");
    expect(low.code).toBe(2);
    expect(low.err).toMatch(/^error: exportOnnx: opset 6 is below 7/);
    expect(low.err.trim().split("\n")).toHaveLength(1);

    const bad = await cli("export", join(dir, "saved"), "--onnx", join(dir, "bad.onnx"), "--opset", "seventeen");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--opset must be an integer/);

    const noFlag = await cli("export", join(dir, "saved"));
    expect(noFlag.code).toBe(2);
    expect(noFlag.err).toMatch(/--onnx/);

    writeFileSync(join(dir, "blocker"), "a file where a directory should be");
    const unwritable = await cli("export", join(dir, "saved"), "--onnx", join(dir, "blocker", "m.onnx"));
    expect(unwritable.code).toBe(2);
    expect(unwritable.err).toMatch(/^error: export: cannot write .*blocker/);
    expect(unwritable.err.trim().split("\n")).toHaveLength(1);
  });

  it("exportOnnx writes the same bytes as toOnnx", async () => {
    const m = sequential([layers.input({ shape: [3, 2] }), layers.gru({ units: 2 })]);
    const file = join(dir, "same.onnx");
    await exportOnnx(m, file);
    expect(Buffer.from(readFileSync(file)).equals(Buffer.from(await toOnnx(m)))).toBe(true);
  });
});
