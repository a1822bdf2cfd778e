// Masking for variable-length sequences on hand-made cases: the Masking layer, Embedding maskZero,
// recurrent layers against a step-by-step reference that carries masked rows by hand (state carried,
// output repeated, goBackwards, initial and carried states), zero input gradients at masked steps,
// mask propagation up a Sequential stack (which layers pass, end or use it), Bidirectional,
// GlobalAveragePooling1D over real steps, a save → load round trip, and the errors.

import { describe, it, expect, afterAll } from "vitest";
import * as layers from "../../src/layers/index.js";
import type { Layer, RecurrentLayer } from "../../src/layers/index.js";
import { fromConfig } from "../../src/layers/index.js";
import { sequential } from "../../src/models/sequential.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/tensor/rng.js";
import { ShapeError, ConfigError } from "../../src/tensor/errors.js";
import { randomTensor } from "../helpers/gradcheck.js";
import { KINDS, makeRecurrent, type Kind } from "../helpers/recurrent.js";
import type * as TF from "@tensorflow/tfjs";

const B = 3, T = 6, I = 2, H = 4;

function randomize(layer: Layer, seed: number, scale = 0.7): void {
  const rng = new Rng(seed);
  for (const p of layer.allParams()) for (let i = 0; i < p.size; i++) p.value[i] = rng.uniform(-scale, scale);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** Mask [B, T] from per-sequence (start, end) real ranges. */
function rangeMask(ranges: [number, number][], steps = T): Float32Array {
  const m = new Float32Array(ranges.length * steps);
  ranges.forEach(([s, e], b) => { for (let t = s; t < e; t++) m[b * steps + t] = 1; });
  return m;
}

// right-padded, left-padded and holed sequences in one batch
const MIXED = (): Float32Array => {
  const m = rangeMask([[0, 4], [2, 6], [0, 6]]);
  m[2 * T + 2] = 0; // a hole in the middle of the third sequence
  return m;
};

/**
 * The reference: a copy of the layer built for one step, run step by step in processing order from
 * the carried states, where a masked row keeps its states and its output is its current h.
 */
function stepReference(layer: RecurrentLayer, x: Tensor, mask: Float32Array, init?: Tensor[]): { seq: Float32Array; states: Float32Array[] } {
  const cfg = { ...layer.getConfig(), returnSequences: false, returnState: false, goBackwards: false, stateful: false, name: "step" };
  const step = fromConfig(layer.className, cfg) as RecurrentLayer;
  step.build([1, I]);
  step.setWeights(layer.getWeights());
  const Bn = x.shape[0]!, Tn = x.shape[1]!;
  const nStates = layer.className === "LSTM" ? 2 : 1;
  let states = init ? init.map((s) => s.data.slice()) : Array.from({ length: nStates }, () => new Float32Array(Bn * H));
  const seq = new Float32Array(Bn * Tn * H);
  for (let p = 0; p < Tn; p++) {
    const t = layer.goBackwards ? Tn - 1 - p : p;
    const xt = new Float32Array(Bn * I);
    for (let b = 0; b < Bn; b++) for (let i = 0; i < I; i++) xt[b * I + i] = x.data[(b * Tn + t) * I + i]!;
    const r = step.forwardWithState(new Tensor(xt, [Bn, 1, I]), false, states.map((s) => new Tensor(s, [Bn, H])));
    states = states.map((s, k) => {
      const n = s.slice();
      for (let b = 0; b < Bn; b++) if (mask[b * Tn + t]) n.set(r.states[k]!.data.subarray(b * H, b * H + H), b * H);
      return n;
    });
    for (let b = 0; b < Bn; b++) seq.set(states[0]!.subarray(b * H, b * H + H), (b * Tn + p) * H);
  }
  return { seq, states };
}

function built(kind: Kind, args: Record<string, unknown> = {}, seed = 11): RecurrentLayer {
  const l = makeRecurrent(kind, H, args);
  l.build([T, I]);
  randomize(l, seed);
  return l;
}

describe("Masking layer", () => {
  const x = new Tensor(Float32Array.from([
    1, 2, 0, 0, 3, 0, // sample 0: steps 0 and 2 real (a zero feature alone does not mask), step 1 all zeros
    0, 0, 0, 0, 5, 5, // sample 1: steps 0, 1 masked
  ]), [2, 3, 2]);

  it("masks the steps whose features all equal maskValue, zeroes them and gives the mask [B, T]", () => {
    const l = layers.masking();
    l.build([3, 2]);
    const y = l.forward(x);
    expect(Array.from(y.data)).toEqual([1, 2, 0, 0, 3, 0, 0, 0, 0, 0, 5, 5]);
    expect(Array.from(l.computeOutputMask()!)).toEqual([1, 0, 1, 0, 0, 1]);
  });

  it("uses maskValue, zeroes the masked steps in the output and replaces a mask from below", () => {
    const l = layers.masking({ maskValue: 5 });
    l.build([3, 2]);
    l.inputMask = new Float32Array(6); // ignored: Masking makes its own
    const y = l.forward(x);
    expect(Array.from(y.data)).toEqual([1, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(l.computeOutputMask()!)).toEqual([1, 1, 1, 1, 1, 0]);
  });

  it("passes the gradient at real steps and zero at masked ones", () => {
    const l = layers.masking();
    l.build([3, 2]);
    l.forward(x);
    const dx = l.backward(new Tensor(Float32Array.from({ length: 12 }, (_, i) => i + 1), [2, 3, 2]));
    expect(Array.from(dx.data)).toEqual([1, 2, 0, 0, 5, 6, 0, 0, 0, 0, 11, 12]);
  });

  it("checks its options and its input rank", () => {
    expect(() => layers.masking({ maskVal: 0 } as never)).toThrow(/unknown option 'maskVal' — did you mean 'maskValue'/);
    expect(() => layers.masking({ maskValue: "0" } as never)).toThrow(/maskValue must be a finite number/);
    const l = layers.masking({ name: "m" });
    expect(() => l.build([4])).toThrow(ShapeError);
    expect(() => l.build([4])).toThrow(/layer "m" \(Masking\) expects input of shape \[batch, time, features\], got \[null, 4\]/);
  });
});

describe("Embedding maskZero", () => {
  it("makes the mask id ≠ 0 and saves maskZero in its config", () => {
    const e = layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true });
    e.build([4]);
    e.forward(new Tensor(Float32Array.from([3, 1, 0, 0, 0, 2, 4, 0]), [2, 4]));
    expect(Array.from(e.computeOutputMask()!)).toEqual([1, 1, 0, 0, 0, 1, 1, 0]);
    expect(e.getConfig().maskZero).toBe(true);
    expect((fromConfig("Embedding", e.getConfig()) as layers.Embedding).maskZero).toBe(true);
    const plain = layers.embedding({ inputDim: 5, outputDim: 2 });
    plain.build([4]);
    plain.forward(new Tensor(Float32Array.from([3, 1, 0, 0]), [1, 4]));
    expect(plain.computeOutputMask()).toBeNull();
    expect(plain.getConfig().maskZero).toBe(false); // always written, so config files may name it
  });

  it("refuses ids that are not [batch, time]", () => {
    const e = layers.embedding({ name: "emb", inputDim: 5, outputDim: 2, maskZero: true });
    expect(() => e.build([2, 3])).toThrow(/layer "emb" \(Embedding\) with maskZero takes token ids of shape \[batch, time\]/);
  });
});

describe.each(KINDS)("%s under a mask", (kind) => {
  const x = randomTensor([B, T, I], 3);
  const mask = MIXED();

  it.each([
    ["returnSequences", { returnSequences: true }],
    ["returnSequences goBackwards", { returnSequences: true, goBackwards: true }],
    ["last output", {}],
    ["last output goBackwards", { goBackwards: true }],
  ] as const)("%s: the step-by-step reference (states carried, outputs repeated)", (_n, args) => {
    const l = built(kind, args);
    l.inputMask = mask;
    const r = l.forwardWithState(x, false);
    const ref = stepReference(l, x, mask);
    if (l.returnSequences) {
      expect(maxAbsDiff(r.output.data, ref.seq)).toBeLessThan(1e-5);
    } else {
      expect(maxAbsDiff(r.output.data, ref.states[0]!)).toBeLessThan(1e-5);
    }
    r.states.forEach((s, k) => expect(maxAbsDiff(s.data, ref.states[k]!)).toBeLessThan(1e-5));
    // and a mask changes the result (the masked path is not a no-op)
    l.inputMask = null;
    expect(maxAbsDiff(l.forward(x, false).data, r.output.data)).toBeGreaterThan(1e-2);
  });

  it("repeats the last real output at masked steps, zeros before the first real step", () => {
    const l = built(kind, { returnSequences: true });
    l.inputMask = mask;
    const y = l.forward(x, false).data;
    const at = (b: number, t: number): Float32Array => y.slice((b * T + t) * H, (b * T + t + 1) * H);
    expect(Array.from(at(0, 4))).toEqual(Array.from(at(0, 3))); // right padding
    expect(Array.from(at(0, 5))).toEqual(Array.from(at(0, 3)));
    expect(Array.from(at(1, 0))).toEqual([0, 0, 0, 0]); // left padding, zero initial state
    expect(Array.from(at(1, 1))).toEqual([0, 0, 0, 0]);
    expect(Array.from(at(2, 2))).toEqual(Array.from(at(2, 1))); // the hole
    expect(maxAbsDiff(at(2, 3), at(2, 2))).toBeGreaterThan(1e-3);
  });

  it("starts from initialState and carries it through leading masked steps", () => {
    const l = built(kind, { returnSequences: true });
    const n = kind === "lstm" ? 2 : 1;
    const init = Array.from({ length: n }, (_, k) => randomTensor([B, H], 40 + k));
    l.inputMask = mask;
    const r = l.forwardWithState(x, false, init);
    const ref = stepReference(l, x, mask, init);
    expect(maxAbsDiff(r.output.data, ref.seq)).toBeLessThan(1e-5);
    expect(Array.from(r.output.data.slice((1 * T) * H, (1 * T + 1) * H))).toEqual(Array.from(init[0]!.data.slice(H, 2 * H)));
  });

  it("stateful: the states carried into the next batch are the masked run's", () => {
    const l = makeRecurrent(kind, H, { stateful: true, batchSize: B });
    l.build([T, I]);
    randomize(l, 11);
    l.inputMask = mask;
    l.forward(x, false);
    const carried = l.states!;
    const ref = stepReference(l, x, mask);
    carried.forEach((s, k) => expect(maxAbsDiff(s.data, ref.states[k]!)).toBeLessThan(1e-5));
    const ref2 = stepReference(l, x, mask, carried);
    const r2 = l.forwardWithState(x, false);
    expect(maxAbsDiff(r2.states[0]!.data, ref2.states[0]!)).toBeLessThan(1e-5);
  });

  it("gives zero input gradient at masked steps and passes the state gradient straight through", () => {
    const l = built(kind, { returnSequences: true });
    l.inputMask = mask;
    l.forwardWithState(x, false);
    const dy = randomTensor([B, T, H], 8);
    const { dx, dInitialState } = l.backwardWithState(dy, [randomTensor([B, H], 9)]);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
      const row = Array.from(dx.data.slice((b * T + t) * I, (b * T + t + 1) * I));
      if (mask[b * T + t]) expect(Math.max(...row.map(Math.abs))).toBeGreaterThan(1e-6);
      else expect(row).toEqual([0, 0]);
    }
    expect(dInitialState[0]!.shape).toEqual([B, H]);
  });

  it("an all-real mask is the unmasked run bit for bit", () => {
    const l = built(kind, { returnSequences: true });
    const y0 = l.forward(x, false).data.slice();
    l.inputMask = new Float32Array(B * T).fill(1);
    expect(Array.from(l.forward(x, false).data)).toEqual(Array.from(y0));
  });

  it("refuses a mask whose size is not [batch, time], naming the layer and both shapes", () => {
    const l = built(kind);
    l.name = "rnn_1";
    l.inputMask = new Float32Array(B * (T - 1));
    expect(() => l.forward(x, false)).toThrow(ShapeError);
    expect(() => l.forward(x, false)).toThrow(new RegExp(`layer "rnn_1" \\(${l.className}\\): its input mask has 15 entries where the input \\[3, 6, 2\\] needs \\[batch, time\\] = \\[3, 6\\], 18 entries`));
  });
});

describe("state gradient through masked steps", () => {
  it.each(KINDS)("%s: leading masked steps pass dL/dh straight to the initial state", (kind) => {
    // sequence 1 masked at steps 0, 1: with the output gradient only at those steps, dL/dh0 is their sum
    const l = built(kind, { returnSequences: true });
    const mask = rangeMask([[0, 6], [2, 6], [0, 6]]);
    l.inputMask = mask;
    l.forwardWithState(x0(), false);
    const dy = new Tensor(new Float32Array(B * T * H), [B, T, H]);
    for (let j = 0; j < H; j++) { dy.data[(1 * T + 0) * H + j] = 1 + j; dy.data[(1 * T + 1) * H + j] = 10; }
    const { dx, dInitialState } = l.backwardWithState(dy);
    expect(Array.from(dInitialState[0]!.data.slice(H, 2 * H))).toEqual([11, 12, 13, 14]);
    expect(Math.max(...Array.from(dx.data).map(Math.abs))).toBe(0);
  });
});

function x0(): Tensor {
  return randomTensor([B, T, I], 3);
}

describe("Bidirectional under a mask", () => {
  it.each(["concat", "sum", "mul", "ave"] as const)("mergeMode %s: both directions masked, masked steps of the sequence output zero", (mergeMode) => {
    const inner = layers.lstm({ units: H, returnSequences: true });
    const bi = layers.bidirectional(inner, { mergeMode });
    bi.build([T, I]);
    randomize(bi, 21);
    const x = x0();
    const mask = MIXED();
    bi.inputMask = mask;
    const y = bi.forward(x, false);
    const fw = bi.forwardLayer, bw = bi.backwardLayer;
    const rf = stepReference(fw, x, mask).seq, rb = stepReference(bw, x, mask).seq;
    const F = y.shape[2]!;
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
      const got = y.data.slice((b * T + t) * F, (b * T + t + 1) * F);
      if (!mask[b * T + t]) { expect(Array.from(got)).toEqual(new Array(F).fill(0)); continue; }
      const f = rf.slice((b * T + t) * H, (b * T + t + 1) * H);
      const k = T - 1 - t; // the backward layer's outputs are in processing order
      const g = rb.slice((b * T + k) * H, (b * T + k + 1) * H);
      const want = mergeMode === "concat" ? [...f, ...g] : Array.from(f, (v, j) => mergeMode === "sum" ? v + g[j]! : mergeMode === "mul" ? v * g[j]! : 0.5 * (v + g[j]!));
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    }
    const dx = bi.backward(randomTensor([...y.shape], 5));
    for (let r = 0; r < B * T; r++) if (!mask[r]) expect(Array.from(dx.data.slice(r * I, r * I + I))).toEqual([0, 0]);
    expect(bi.computeOutputMask()).toBe(mask);
  });

  it("without returnSequences: each direction's final state over the real steps; the mask ends", () => {
    const bi = layers.bidirectional(layers.gru({ units: H }));
    bi.build([T, I]);
    randomize(bi, 22);
    const x = x0();
    const mask = MIXED();
    bi.inputMask = mask;
    const y = bi.forward(x, false);
    const hf = stepReference(bi.forwardLayer, x, mask).states[0]!, hb = stepReference(bi.backwardLayer, x, mask).states[0]!;
    for (let b = 0; b < B; b++) {
      expect(maxAbsDiff(y.data.slice(b * 2 * H, b * 2 * H + H), hf.slice(b * H, b * H + H))).toBeLessThan(1e-5);
      expect(maxAbsDiff(y.data.slice(b * 2 * H + H, (b + 1) * 2 * H), hb.slice(b * H, b * H + H))).toBeLessThan(1e-5);
    }
    expect(bi.computeOutputMask()).toBeNull();
  });
});

describe("mask propagation up a Sequential stack", () => {
  /** Padded copy of sequence b of x (steps ≥ len set to 0). */
  function padded(x: Tensor, lens: number[]): Tensor {
    const d = x.data.slice();
    const F = x.shape[2]!;
    lens.forEach((len, b) => d.fill(0, (b * T + len) * F, (b + 1) * T * F));
    return new Tensor(d, x.shape);
  }

  it("masking → lstm(returnSequences) → dropout → gru → dense: each padded sequence predicts as its unpadded self", () => {
    const lens = [2, 6, 4];
    const x = padded(randomTensor([B, T, I], 31), lens);
    const stack = (steps: number) => sequential([
      layers.input({ shape: [steps, I] }), layers.masking(), layers.lstm({ units: H, returnSequences: true }),
      layers.dropout({ rate: 0.3 }), layers.gru({ units: H }), layers.dense({ units: 2 }),
    ], { seed: 1 });
    const m = stack(T);
    const y = m.predict(x);
    for (let b = 0; b < B; b++) {
      const short = stack(lens[b]!);
      short.setWeights(m.getWeights());
      const xb = new Tensor(x.data.slice(b * T * I, (b * T + lens[b]!) * I), [1, lens[b]!, I]);
      expect(maxAbsDiff(short.predict(xb).data, y.data.slice(b * 2, b * 2 + 2))).toBeLessThan(1e-5);
    }
    // without masking the padding changes the prediction of the short sequences
    const plain = sequential([layers.input({ shape: [T, I] }), layers.lstm({ units: H, returnSequences: true }), layers.dropout({ rate: 0.3 }),
      layers.gru({ units: H }), layers.dense({ units: 2 })], { seed: 1 });
    plain.setWeights(m.getWeights());
    expect(maxAbsDiff(plain.predict(x).data.slice(0, 2), y.data.slice(0, 2))).toBeGreaterThan(1e-3);
  });

  it("embedding maskZero → simpleRnn: padded token ids predict as unpadded ones", () => {
    const ids = new Tensor(Float32Array.from([4, 2, 0, 0, 0, 0, 1, 3, 3, 2, 4, 1]), [2, 6]);
    const stack = (steps: number) => sequential([layers.input({ shape: [steps] }), layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true }),
      layers.simpleRnn({ units: H }), layers.dense({ units: 1 })], { seed: 2 });
    const m = stack(6);
    const y = m.predict(ids);
    const short = stack(2);
    short.setWeights(m.getWeights());
    expect(maxAbsDiff(short.predict(new Tensor(Float32Array.from([4, 2]), [1, 2])).data, y.data.slice(0, 1))).toBeLessThan(1e-5);
  });

  it("which layers pass the mask, end it or use it (Keras's rules)", () => {
    const mask = MIXED();
    const x = randomTensor([B, T, I], 4);
    const through = (l: Layer): Float32Array | null => {
      l.build([T, I]);
      l.inputMask = mask;
      l.forward(x, false);
      return l.computeOutputMask();
    };
    expect(through(layers.dense({ units: 3 }))).toBe(mask);
    expect(through(layers.dropout({ rate: 0.5 }))).toBe(mask);
    expect(through(layers.timeDistributed(layers.dense({ units: 3 })))).toBe(mask);
    expect(through(layers.lstm({ units: 3, returnSequences: true }))).toBe(mask);
    expect(through(layers.lstm({ units: 3 }))).toBeNull();
    expect(through(layers.conv1d({ filters: 2, kernelSize: 1 }))).toBeNull(); // same length, still ends (mixes steps in general)
    expect(through(layers.conv1d({ filters: 2, kernelSize: 3, padding: "same" }))).toBeNull();
    expect(through(layers.maxPooling1d({ poolSize: 1 }))).toBeNull();
    expect(through(layers.averagePooling1d({ poolSize: 2 }))).toBeNull();
    expect(through(layers.globalMaxPooling1d())).toBeNull();
    expect(through(layers.globalAveragePooling1d())).toBeNull();
    expect(through(layers.flatten())).toBeNull();
  });

  it("GlobalAveragePooling1D averages over the real steps only (zeros for none), gradient 1/n at real steps", () => {
    const g = layers.globalAveragePooling1d();
    g.build([3, 2]);
    const x = new Tensor(Float32Array.from([1, 2, 3, 4, 50, 60, 7, 8, 9, 10, 11, 12]), [2, 3, 2]);
    g.inputMask = Float32Array.from([1, 1, 0, 0, 0, 0]);
    expect(Array.from(g.forward(x).data)).toEqual([2, 3, 0, 0]);
    const dx = g.backward(new Tensor(Float32Array.from([2, 4, 6, 8]), [2, 2]));
    expect(Array.from(dx.data)).toEqual([1, 2, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
    g.inputMask = null;
    expect(Array.from(g.forward(x).data)).toEqual([(1 + 3 + 50) / 3, (2 + 4 + 60) / 3, 9, 10].map(Math.fround));
    g.inputMask = new Float32Array(5);
    expect(() => g.forward(x)).toThrow(/GlobalAveragePooling1D\): its input mask has 5 entries where the input \[2, 3, 2\] needs \[batch, time\] = \[2, 3\]/);
  });

  it("model.inspect honours the mask: states carried, gates zero at masked steps", () => {
    const m = sequential([layers.input({ shape: [T, I] }), layers.masking(), layers.lstm({ units: H, name: "enc" })], { seed: 3 });
    const x = padded(randomTensor([B, T, I], 6), [3, 6, 5]);
    const r = m.inspect("enc", x) as layers.LstmInternals;
    const at = (t: Tensor, b: number, s: number): number[] => Array.from(t.data.slice((b * T + s) * H, (b * T + s + 1) * H));
    expect(at(r.hiddenState, 0, 5)).toEqual(at(r.hiddenState, 0, 2));
    expect(at(r.cellState, 0, 4)).toEqual(at(r.cellState, 0, 2));
    expect(at(r.inputGate, 0, 3)).toEqual([0, 0, 0, 0]);
    expect(Math.max(...at(r.inputGate, 0, 2))).toBeGreaterThan(0);
  });
});

const saved: string[] = [];
afterAll(async () => {
  const { rm } = await import("node:fs/promises");
  for (const d of saved) await rm(d, { recursive: true, force: true });
});

describe("saved models keep the masking", () => {
  it("masking and embedding maskZero survive save → load with the same predictions", async () => {
    const { saveModel } = await import("../../src/models/save.js");
    const { loadModel } = await import("../../src/models/load.js");
    const { mkdtemp } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const a = sequential([layers.input({ shape: [T, I] }), layers.masking({ maskValue: -1 }),
      layers.bidirectional(layers.gru({ units: H, returnSequences: true })), layers.globalAveragePooling1d(), layers.dense({ units: 1 })], { seed: 4 });
    const e = sequential([layers.input({ shape: [T] }), layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true }), layers.lstm({ units: H })], { seed: 5 });
    const xa = randomTensor([B, T, I], 7);
    for (let k = 4 * I; k < T * I; k++) xa.data[k] = -1; // sample 0: 4 real steps
    const xe = new Tensor(Float32Array.from([1, 2, 3, 0, 0, 0, 5, 5, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]), [3, 6]);
    for (const [m, x] of [[a, xa], [e, xe]] as const) {
      const dir = await mkdtemp(join(tmpdir(), "masking-"));
      saved.push(dir);
      await saveModel(m, dir);
      const back = await loadModel(dir);
      expect(Array.from((back.predict(x) as Tensor).data)).toEqual(Array.from(m.predict(x).data));
    }
    const back = await loadModel(saved[0]!);
    expect(back.layers.some((l) => l instanceof layers.Masking && l.maskValue === -1)).toBe(true);
  });
});

describe("errors", () => {
  it("option typos name the nearest option", () => {
    expect(() => layers.embedding({ inputDim: 3, outputDim: 2, maskZeros: true } as never)).toThrow(ConfigError);
    expect(() => layers.embedding({ inputDim: 3, outputDim: 2, maskZeros: true } as never)).toThrow(/did you mean 'maskZero'/);
    expect(() => layers.embedding({ inputDim: 3, outputDim: 2, maskZero: 1 } as never)).toThrow(/maskZero must be true or false/);
  });
});

describe("ONNX export", () => {
  it("refuses Masking and Embedding maskZero with a ConfigError saying why (ONNX takes sequence lengths, not per-step masks)", async () => {
    const { toOnnx } = await import("../../src/interop/onnx.js");
    const m = sequential([layers.input({ shape: [T, I] }), layers.masking({ name: "pad" }), layers.lstm({ units: H })]);
    await expect(toOnnx(m)).rejects.toThrow(ConfigError);
    await expect(toOnnx(m)).rejects.toThrow(/layer "pad" \(Masking\) masks the steps whose features all equal its maskValue, and ONNX cannot carry that mask: its LSTM, GRU and RNN ops take one length per sequence \(sequence_lens\)/);
    const e = sequential([layers.input({ shape: [T] }), layers.embedding({ inputDim: 4, outputDim: 2, maskZero: true, name: "tok" }), layers.gru({ units: H })]);
    await expect(toOnnx(e)).rejects.toThrow(/layer "tok" \(Embedding\) has maskZero/);
    const plain = sequential([layers.input({ shape: [T] }), layers.embedding({ inputDim: 4, outputDim: 2 }), layers.gru({ units: H })]);
    expect((await toOnnx(plain)).length).toBeGreaterThan(100);
  });
});

describe("TF.js and Keras files carry masking", () => {
  it("Masking and Embedding maskZero export to the TF.js layers format, where tfjs predicts what we predict, and import back", async () => {
    const tf = await import("@tensorflow/tfjs");
    const { tfjsArtifacts, tfjsModelFromJson } = await import("../../src/interop/tfjs.js");
    tf.enableProdMode();
    await tf.setBackend("cpu");
    const xs = randomTensor([B, T, I], 50);
    xs.data.fill(0.5, 4 * I, T * I); // sample 0: steps 4, 5 are padding (maskValue 0.5)
    xs.data.fill(0.5, T * I, (T + 2) * I); // sample 1: steps 0, 1 (left padding)
    const ids = new Tensor(Float32Array.from([1, 2, 3, 0, 0, 0, 0, 0, 4, 2, 1, 3, 3, 0, 2, 4, 1, 1]), [B, T]);
    const models = [
      [sequential([layers.input({ shape: [T, I] }), layers.masking({ maskValue: 0.5 }), layers.lstm({ units: H, returnSequences: true }),
        layers.gru({ units: H, resetAfter: false }), layers.dense({ units: 2 })], { seed: 6 }), xs],
      [sequential([layers.input({ shape: [T] }), layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true }),
        layers.simpleRnn({ units: H, returnSequences: true }), layers.lstm({ units: H })], { seed: 7 }), ids],
    ] as const;
    for (const [m, x] of models) {
      const { modelJson, shards } = tfjsArtifacts(m);
      const handler = {
        load: async () => tf.io.getModelArtifactsForJSON(modelJson as unknown as TF.io.ModelJSON, async (manifest) => [
          tf.io.getWeightSpecs(manifest),
          tf.io.concatenateArrayBuffers(manifest.flatMap((g) => g.paths.map((p) => {
            const d = shards.find((s) => s.path === p)!.data;
            return d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength) as ArrayBuffer;
          }))),
        ]),
      };
      const tm = await tf.loadLayersModel(handler, { strict: true });
      const ours = m.predict(x);
      const theirs = tm.predict(tf.tensor(x.data, [...x.shape])) as TF.Tensor;
      expect(maxAbsDiff(ours.data, theirs.dataSync())).toBeLessThan(1e-5);
      tm.dispose();
      const back = tfjsModelFromJson(modelJson, (p) => shards.find((s) => s.path === p)!.data);
      expect(Array.from(back.predict(x).data)).toEqual(Array.from(ours.data));
    }
  });

  it("a Keras file's Embedding mask_zero imports as maskZero", async () => {
    const { unzipSync, zipSync, strFromU8, strToU8 } = await import("fflate");
    const { readFileSync } = await import("node:fs");
    const { importKerasBytes } = await import("../../src/interop/keras.js");
    const files = unzipSync(new Uint8Array(readFileSync("test/fixtures/keras/embedding_lstm.keras")));
    const config = JSON.parse(strFromU8(files["config.json"]!)) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    const plainModel = await importKerasBytes(zipSync(files), "keras");
    const emb = config.config.layers.find((l) => l.class_name === "Embedding")!;
    emb.config.mask_zero = true;
    const masked = await importKerasBytes(zipSync({ ...files, "config.json": strToU8(JSON.stringify(config)) }), "keras");
    const e = masked.layers.find((l) => l instanceof layers.Embedding) as layers.Embedding;
    expect(e.maskZero).toBe(true);
    const steps = masked.inputShape![0]!;
    const x = new Tensor(Float32Array.from({ length: 2 * steps }, (_, i) => (i % steps < 2 ? 0 : 1 + (i % 3))), [2, steps]);
    expect(maxAbsDiff(masked.predict(x).data, plainModel.predict(x).data)).toBeGreaterThan(1e-4);
  });

  it("a Keras file's Masking layer imports with its mask_value", async () => {
    const { unzipSync, zipSync, strFromU8, strToU8 } = await import("fflate");
    const { readFileSync } = await import("node:fs");
    const { importKerasBytes } = await import("../../src/interop/keras.js");
    const files = unzipSync(new Uint8Array(readFileSync("test/fixtures/keras/lstm_dense.keras")));
    const plain = await importKerasBytes(zipSync(files), "keras");
    const config = JSON.parse(strFromU8(files["config.json"]!)) as { config: { layers: unknown[] } };
    config.config.layers.splice(1, 0, { module: "keras.layers", class_name: "Masking", config: { name: "masking", trainable: true, dtype: "float32", mask_value: -1 }, registered_name: null });
    const masked = await importKerasBytes(zipSync({ ...files, "config.json": strToU8(JSON.stringify(config)) }), "keras");
    const m = masked.layers.find((l) => l instanceof layers.Masking) as layers.Masking;
    expect(m.maskValue).toBe(-1);
    const [steps, feats] = masked.inputShape as [number, number];
    const x = randomTensor([2, steps, feats], 60);
    expect(maxAbsDiff(masked.predict(x).data, plain.predict(x).data)).toBeLessThan(1e-6); // nothing equals -1: no step masked
    x.data.fill(-1, (steps - 2) * feats, steps * feats); // sample 0: its last 2 steps are padding
    const y = masked.predict(x).data, y0 = plain.predict(x).data;
    const out = y.length / 2;
    expect(maxAbsDiff(y.slice(0, out), y0.slice(0, out))).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(y.slice(out), y0.slice(out))).toBeLessThan(1e-6);
  });
});

describe("masks in functional models and in predictStep", () => {
  it("a functional model carries the mask from Masking through the recurrent layers as Sequential does", async () => {
    const { model } = await import("../../src/models/functional.js");
    const { input } = await import("../../src/layers/symbolic.js");
    const seq = sequential([layers.input({ shape: [T, I] }), layers.masking(), layers.lstm({ units: H, returnSequences: true }), layers.gru({ units: H }), layers.dense({ units: 2 })], { seed: 8 });
    const inp = input({ shape: [T, I] });
    let h = layers.masking().apply(inp);
    h = layers.lstm({ units: H, returnSequences: true }).apply(h as never);
    h = layers.gru({ units: H }).apply(h as never);
    const out = layers.dense({ units: 2 }).apply(h as never);
    const f = model({ inputs: inp, outputs: out as never });
    f.setWeights(seq.getWeights());
    const x = randomTensor([B, T, I], 70);
    x.data.fill(0, 3 * I, T * I); // sample 0: 3 real steps
    const yf = f.predict(x) as Tensor;
    expect(maxAbsDiff(yf.data, seq.predict(x).data)).toBeLessThan(1e-6);
    const plain = sequential([layers.input({ shape: [T, I] }), layers.lstm({ units: H, returnSequences: true }), layers.gru({ units: H }), layers.dense({ units: 2 })], { seed: 8 });
    plain.setWeights(seq.getWeights());
    expect(maxAbsDiff(yf.data.slice(0, 2), plain.predict(x).data.slice(0, 2))).toBeGreaterThan(1e-4);
  });

  it("predictStep: a padding step keeps the recurrent states, so the stream continues as if it had not come", () => {
    const m = sequential([layers.input({ shape: [T, I] }), layers.masking(), layers.lstm({ units: H }), layers.dense({ units: 1 })], { seed: 9 });
    const steps = [randomTensor([2, I], 80), randomTensor([2, I], 81), randomTensor([2, I], 82)];
    const pad = new Tensor(new Float32Array(2 * I), [2, I]);
    m.resetStates();
    const direct = steps.map((s) => m.predictStep(s).data.slice());
    m.resetStates();
    const withPad = [m.predictStep(steps[0]!), m.predictStep(pad), m.predictStep(pad), m.predictStep(steps[1]!), m.predictStep(steps[2]!)].map((y) => y.data.slice());
    expect(Array.from(withPad[1]!)).toEqual(Array.from(withPad[0]!)); // the padding step repeats the last output
    expect(maxAbsDiff(withPad[4]!, direct[2]!)).toBeLessThan(1e-6);
  });
});

describe("the masked path on the WebAssembly backend", () => {
  it("runs the kernels on views of the layer's own buffers (no staging copies)", async () => {
    const { getBackend } = await import("../../src/backend/index.js");
    const be = getBackend();
    if (be.name !== "wasm") return; // the reference backend has no staging
    // in a model, as in use: the weights are views of the model's buffers in the backend's memory
    const m = sequential([layers.input({ shape: [T, I] }), layers.masking(), layers.lstm({ units: H, returnSequences: true })], { seed: 10 });
    const x = randomTensor([B, T, I], 90);
    for (let r = 0; r < B * T; r++) if (!MIXED()[r]) x.data.fill(0, r * I, r * I + I);
    const foreign: number[] = [];
    let checked = 0, lstmCalls = 0;
    const owns = be.owns.bind(be);
    const lstmForward = be.lstmForward.bind(be);
    const patched = be as unknown as Record<string, unknown>;
    patched.owns = (a: Float32Array): boolean => {
      checked++;
      const r = owns(a);
      if (!r) foreign.push(a.length);
      return r;
    };
    patched.lstmForward = (p: Parameters<typeof lstmForward>[0]): void => { lstmCalls++; lstmForward(p); };
    try {
      m.forward(x, false);
      m.backward(randomTensor([B, T, H], 91));
    } finally {
      delete patched.owns;
      delete patched.lstmForward;
    }
    expect(checked).toBeGreaterThan(0);
    expect(lstmCalls).toBeGreaterThan(1); // the masked path: a kernel call per masked step
    // the user's input and gradient are copied into the layer's buffers first: no kernel argument is foreign
    expect(foreign).toEqual([]);
  });
});
