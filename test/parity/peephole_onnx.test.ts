// Peephole LSTM parity with an independent implementation: onnxruntime running the ONNX LSTM node
// our exporter writes, with the peephole weight as its P input (ONNX order i, o, f), given the same
// weights. Also a float64 transcription of the equations, so a mistake shared by the exporter's
// reordering and the runtime's reading could not hide.
//
// Bound: |onnx − predict| <= 1e-5 · max(1, |predict|) element by element (float32 on both sides,
// different exp/tanh and summation orders); measured worst errors are printed.

import { describe, it, expect, afterAll } from "vitest";
import * as ort from "onnxruntime-node";
import { Sequential, sequential } from "../../src/models/sequential.js";
import * as layers from "../../src/layers/index.js";
import type { LSTM } from "../../src/layers/index.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { toOnnx } from "../../src/interop/onnx.js";
import { decodeModel, type ModelProto } from "../../src/interop/onnx_proto.js";

const TOL = 1e-5;
let worst = 0;

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

/** Every weight random in ±0.6; peephole weights in ±1.5 so their terms weigh in every gate. */
function randomizeWeights(model: Sequential, seed: number): void {
  const r = rand(seed);
  for (const l of model.layers) {
    for (const p of l.allParams()) {
      const scale = p.name === "peephole" ? 1.5 : 0.6;
      for (let i = 0; i < p.size; i++) p.value[i] = scale * r();
    }
  }
}

function input(model: Sequential, B: number, seed: number): Tensor {
  const shape = [B, ...model.inputShape!];
  const r = rand(seed);
  return new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 1.5 * r()), shape);
}

async function expectSame(model: Sequential): Promise<number> {
  const bytes = await toOnnx(model);
  const s = await ort.InferenceSession.create(bytes);
  let max = 0;
  for (const B of [1, 4]) {
    const x = input(model, B, 7 + B);
    const want = model.predict(x);
    const got = (await s.run({ input: new ort.Tensor("float32", x.data, x.shape) })).output!;
    expect(got.dims).toEqual(want.shape);
    const a = got.data as Float32Array;
    for (let i = 0; i < want.size; i++) {
      const err = Math.abs(a[i]! - want.data[i]!) / Math.max(1, Math.abs(want.data[i]!));
      if (!(err <= TOL)) throw new Error(`element ${i} of batch ${B}: onnx ${a[i]} vs predict ${want.data[i]} (error ${err})`);
      max = Math.max(max, err);
    }
  }
  worst = Math.max(worst, max);
  return max;
}

afterAll(() => {
  console.log(`peephole LSTM vs onnxruntime: worst relative error ${worst.toExponential(2)}`);
});

describe("peephole LSTM vs onnxruntime's LSTM with P", () => {
  for (const returnSequences of [false, true]) {
    for (const goBackwards of [false, true]) {
      it(`returnSequences=${returnSequences} goBackwards=${goBackwards}`, async () => {
        const m = sequential([layers.input({ shape: [6, 3] }), layers.lstm({ units: 5, peephole: true, returnSequences, goBackwards })]);
        randomizeWeights(m, 1);
        await expectSame(m);
      });
    }
  }

  it("without a bias (B absent, P still the 8th input)", async () => {
    const m = sequential([layers.input({ shape: [6, 3] }), layers.lstm({ units: 4, peephole: true, useBias: false, returnSequences: true })]);
    randomizeWeights(m, 2);
    await expectSame(m);
  });

  it("other activations (the generic kernel path)", async () => {
    const m = sequential([layers.input({ shape: [5, 2] }), layers.lstm({ units: 4, peephole: true, activation: "sigmoid", recurrentActivation: "tanh", returnSequences: true })]);
    randomizeWeights(m, 3);
    await expectSame(m);
  });

  it("stacked peephole and plain LSTMs, then Dense", async () => {
    const m = sequential([
      layers.input({ shape: [7, 3] }),
      layers.lstm({ units: 6, peephole: true, returnSequences: true }),
      layers.lstm({ units: 4 }),
      layers.dense({ units: 2 }),
    ]);
    randomizeWeights(m, 4);
    await expectSame(m);
  });

  for (const mergeMode of ["concat", "sum"] as const) {
    it(`Bidirectional (mergeMode ${mergeMode}): PB for the backward direction`, async () => {
      const m = sequential([layers.input({ shape: [6, 3] }), layers.bidirectional(layers.lstm({ units: 4, peephole: true, returnSequences: true }), { mergeMode })]);
      randomizeWeights(m, 5);
      await expectSame(m);
    });
  }

  it("the node carries P [1, 3H] holding our i, f, o blocks as ONNX's i, o, f", async () => {
    const m = sequential([layers.input({ shape: [4, 2] }), layers.lstm({ units: 3, peephole: true })]);
    randomizeWeights(m, 6);
    const graph = (decodeModel(await toOnnx(m)) as unknown as ModelProto).graph;
    const node = graph.node.find((n) => n.op_type === "LSTM")!;
    expect(node.input.length).toBe(8);
    expect(node.input.slice(4, 7)).toEqual(["", "", ""]);
    const init = graph.initializer.find((t) => t.name === node.input[7])!;
    expect(init.dims.map(Number)).toEqual([1, 9]);
    const raw = init.raw_data!;
    const got = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const p = (m.layers.find((l) => l.className === "LSTM") as LSTM).allParams().find((q) => q.name === "peephole")!.value;
    expect(Array.from(got)).toEqual([...p.subarray(0, 3), ...p.subarray(6, 9), ...p.subarray(3, 6)]);
  });

  it("a plain LSTM's node still has no P", async () => {
    const m = sequential([layers.input({ shape: [4, 2] }), layers.lstm({ units: 3 })]);
    const node = (decodeModel(await toOnnx(m)) as unknown as ModelProto).graph.node.find((n) => n.op_type === "LSTM")!;
    expect(node.input.length).toBe(4);
  });
});

describe("peephole LSTM vs a float64 transcription of Gers & Schmidhuber's equations", () => {
  it("predict agrees within 1e-5 (and differs from the same weights without peepholes by > 1e-2)", () => {
    const H = 4, I = 3, T = 8, B = 3;
    const m = sequential([layers.input({ shape: [T, I] }), layers.lstm({ units: H, peephole: true, returnSequences: true })]);
    randomizeWeights(m, 9);
    const [W, U, b, P] = m.getWeights().map((w) => Array.from(w.data));
    const x = input(m, B, 10);
    const y = m.predict(x).data;
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    let maxErr = 0, maxPeep = 0;
    for (let s = 0; s < B; s++) {
      for (const withP of [true, false]) {
        let h = new Array<number>(H).fill(0), c = new Array<number>(H).fill(0);
        for (let t = 0; t < T; t++) {
          const z = new Array<number>(4 * H).fill(0);
          for (let g = 0; g < 4 * H; g++) {
            let v = b![g]!;
            for (let k = 0; k < I; k++) v += x.data[(s * T + t) * I + k]! * W![k * 4 * H + g]!;
            for (let k = 0; k < H; k++) v += h[k]! * U![k * 4 * H + g]!;
            z[g] = v;
          }
          const p = (blk: number, j: number): number => (withP ? P![blk * H + j]! : 0);
          const hn: number[] = [], cn: number[] = [];
          for (let j = 0; j < H; j++) {
            const i = sig(z[j]! + p(0, j) * c[j]!);
            const f = sig(z[H + j]! + p(1, j) * c[j]!);
            const g = Math.tanh(z[2 * H + j]!);
            cn[j] = f * c[j]! + i * g;
            const o = sig(z[3 * H + j]! + p(2, j) * cn[j]!);
            hn[j] = o * Math.tanh(cn[j]!);
          }
          h = hn; c = cn;
          for (let j = 0; j < H; j++) {
            const d = Math.abs(h[j]! - y[(s * T + t) * H + j]!);
            if (withP) maxErr = Math.max(maxErr, d);
            else maxPeep = Math.max(maxPeep, d);
          }
        }
      }
    }
    console.log(`peephole LSTM vs float64 equations: max |error| ${maxErr.toExponential(2)}; without the peepholes it would be off by ${maxPeep.toFixed(3)}`);
    expect(maxErr).toBeLessThan(1e-5);
    expect(maxPeep).toBeGreaterThan(1e-2);
  });
});
