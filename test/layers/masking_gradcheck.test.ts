// Central-difference gradient checks under a mask: LSTM (plain and peephole), GRU (resetAfter on and off) and SimpleRNN
// with returnSequences on and off, goBackwards, initial-state and final-state gradients; Bidirectional;
// Masking and Embedding maskZero in front of a recurrent layer inside a Sequential model. The mask
// mixes right padding, left padding and a hole. Plus proof that the tolerance catches a backward that
// ignores the mask and a flipped sign.

import { describe, it, expect } from "vitest";
import * as layers from "../../src/layers/index.js";
import type { Layer, RecurrentLayer } from "../../src/layers/index.js";
import { sequential } from "../../src/models/sequential.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/tensor/rng.js";
import { gradCheck, randomTensor, type GradCheckResult } from "../helpers/gradcheck.js";
import { KINDS, makeRecurrent } from "../helpers/recurrent.js";

// Measured worst errors under a mask: 2e-5 … 2e-4 (float32 with
// a step of 1e-2); 1e-3 is the tolerance of test/layers/gradcheck.test.ts, while a backward that
// ignores the mask gives 0.9 … 2.0 and a flipped sign at one real step 0.5 … 0.7 (the last describe block).
const TOL = 1e-3;
const EPS = 1e-2;
const B = 3, T = 5, I = 2, H = 3;

/** Sequence 0 right-padded (3 real), sequence 1 left-padded (2 masked), sequence 2 with a hole at step 2. */
function mixedMask(): Float32Array {
  const m = new Float32Array(B * T).fill(1);
  m.fill(0, 3, 5);
  m.fill(0, T, T + 2);
  m[2 * T + 2] = 0;
  return m;
}

function randomize(layer: Layer, seed: number, scale = 0.5): void {
  const rng = new Rng(seed);
  for (const p of layer.allParams()) for (let i = 0; i < p.size; i++) p.value[i] = rng.uniform(-scale, scale);
}

const params = (l: { allParams(): { name: string; value: Float32Array; grad: Float32Array }[] }) =>
  l.allParams().map((p, k) => ({ name: `${k}:${p.name}`, value: p.value, grad: p.grad }));

function expectPass(r: GradCheckResult): void {
  expect(Object.keys(r.errors).length).toBeGreaterThan(0);
  expect(r.worst).toBeLessThan(TOL);
}

const worst: Record<string, number> = {};

describe.each(KINDS)("%s with a mask", (kind) => {
  it.each([
    ["returnSequences", { returnSequences: true }],
    ["last output", {}],
    ["returnSequences goBackwards", { returnSequences: true, goBackwards: true }],
    ["last output goBackwards", { goBackwards: true }],
  ] as const)("%s: weights and input", (name, args) => {
    const l = makeRecurrent(kind, H, args);
    l.build([T, I]);
    randomize(l, 5);
    const mask = mixedMask();
    const x = randomTensor([B, T, I], 7);
    const r = gradCheck({
      x,
      forward: (inp) => { l.inputMask = mask; return l.forward(inp, false); },
      backward: (dy) => l.backward(dy),
      params: params(l),
      eps: EPS,
    });
    worst[`${kind} ${name}`] = r.worst;
    expectPass(r);
  });

  it("initial states and the final states' gradients pass through masked steps", () => {
    const l = makeRecurrent(kind, H, { returnSequences: true, returnState: true });
    l.build([T, I]);
    randomize(l, 6);
    const mask = mixedMask();
    const n = kind === "lstm" ? 2 : 1;
    const init = Array.from({ length: n }, (_, k) => randomTensor([B, H], 20 + k));
    const x = randomTensor([B, T, I], 8);
    // one output packing the sequence and the final states, so L = Σ (y, states) ⊙ R reaches both
    const pack = (r: { output: Tensor; states: Tensor[] }): Tensor => {
      const parts = [r.output.data, ...r.states.map((s) => s.data)];
      const d = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) { d.set(p, o); o += p.length; }
      return new Tensor(d, [d.length]);
    };
    const stateParams = init.map((s, k) => ({ name: `init${k}`, value: s.data, grad: new Float32Array(s.size) }));
    const r = gradCheck({
      x,
      forward: (inp) => { l.inputMask = mask; return pack(l.forwardWithState(inp, false, init)); },
      backward: (dy) => {
        const ny = B * T * H;
        const dOut = new Tensor(dy.data.slice(0, ny), [B, T, H]);
        const dStates = Array.from({ length: n }, (_, k) => new Tensor(dy.data.slice(ny + k * B * H, ny + (k + 1) * B * H), [B, H]));
        const g = l.backwardWithState(dOut, dStates);
        g.dInitialState.forEach((d, k) => stateParams[k]!.grad.set(d.data));
        return g.dx;
      },
      params: [...params(l), ...stateParams],
      eps: EPS,
    });
    worst[`${kind} states`] = r.worst;
    expectPass(r);
  });
});

describe("dropout with a mask (training, fixed dropout masks)", () => {
  it.each(KINDS)("%s: dropout and recurrentDropout 0.3, returnSequences", (kind) => {
    const l = makeRecurrent(kind, H, { returnSequences: true, dropout: 0.3, recurrentDropout: 0.3 });
    l.build([T, I]);
    randomize(l, 14);
    const mask = mixedMask();
    const r = gradCheck({
      x: randomTensor([B, T, I], 15),
      forward: (inp) => { l.setRng(new Rng(1234)); l.inputMask = mask; return l.forward(inp, true); },
      backward: (dy) => l.backward(dy),
      params: params(l),
      eps: EPS,
    });
    worst[`${kind} dropout`] = r.worst;
    expectPass(r);
  });
});

describe("peephole LSTM with a mask", () => {
  it.each([["returnSequences", true], ["last output goBackwards", false]] as const)("%s: weights (peephole included) and input", (name, seq) => {
    const l = layers.lstm({ units: H, peephole: true, returnSequences: seq, goBackwards: !seq });
    l.build([T, I]);
    randomize(l, 12);
    const mask = mixedMask();
    const r = gradCheck({
      x: randomTensor([B, T, I], 13),
      forward: (inp) => { l.inputMask = mask; return l.forward(inp, false); },
      backward: (dy) => l.backward(dy),
      params: params(l),
      eps: EPS,
    });
    expect(Object.keys(r.errors).some((k) => k.includes("peephole"))).toBe(true);
    worst[`peephole lstm ${name}`] = r.worst;
    expectPass(r);
  });
});

describe("Bidirectional with a mask", () => {
  it.each([
    ["lstm concat returnSequences", () => layers.bidirectional(layers.lstm({ units: H, returnSequences: true }))],
    ["gru sum", () => layers.bidirectional(layers.gru({ units: H }), { mergeMode: "sum" })],
    ["simpleRnn mul returnSequences", () => layers.bidirectional(layers.simpleRnn({ units: H, returnSequences: true }), { mergeMode: "mul" })],
  ] as const)("%s", (name, make) => {
    const bi = make();
    bi.build([T, I]);
    randomize(bi, 9);
    const mask = mixedMask();
    const x = randomTensor([B, T, I], 10);
    const r = gradCheck({
      x,
      forward: (inp) => { bi.inputMask = mask; return bi.forward(inp, false); },
      backward: (dy) => bi.backward(dy),
      params: params(bi),
      eps: EPS,
    });
    worst[`bidirectional ${name}`] = r.worst;
    expectPass(r);
  });
});

/**
 * Input check at real steps only: a masked step of a Masking layer's input sits where the mask
 * switches (any change of its zeros makes it real), so its derivative is defined as 0 (Keras) and
 * asserted exactly; the real steps get central differences.
 */
function realStepInputCheck(forward: (x: Tensor) => Tensor, backward: (dy: Tensor) => Tensor, x: Tensor, real: (r: number) => boolean, F: number): number {
  const y0 = forward(x);
  const R = randomTensor([...y0.shape], 99);
  const loss = (y: Tensor): number => { let s = 0; for (let i = 0; i < y.size; i++) s += y.data[i]! * R.data[i]!; return s; };
  forward(x);
  const dx = backward(R).data.slice();
  let maxDiff = 0, maxNum = 0;
  for (let i = 0; i < x.size; i++) {
    if (!real(Math.floor(i / F))) {
      expect(dx[i]).toBe(0);
      continue;
    }
    const v = x.data[i]!;
    x.data[i] = v + EPS; const lp = loss(forward(x));
    x.data[i] = v - EPS; const lm = loss(forward(x));
    x.data[i] = v;
    const num = (lp - lm) / (2 * EPS);
    maxDiff = Math.max(maxDiff, Math.abs(num - dx[i]!));
    maxNum = Math.max(maxNum, Math.abs(num));
  }
  return maxDiff / Math.max(maxNum, 1e-2);
}

describe("Masking and Embedding maskZero in a model", () => {
  it("masking → gru(resetAfter false, returnSequences) → lstm → dense: every weight, and the input at real steps", () => {
    const m = sequential([layers.input({ shape: [T, I] }), layers.masking(), layers.gru({ units: H, resetAfter: false, returnSequences: true }),
      layers.lstm({ units: H }), layers.dense({ units: 2 })], { seed: 3 });
    m.layers.forEach((l, k) => randomize(l, 30 + k));
    const mask = mixedMask();
    const x = randomTensor([B, T, I], 11);
    for (let r = 0; r < B * T; r++) if (!mask[r]) x.data.fill(0, r * I, r * I + I);
    const forward = (inp: Tensor): Tensor => m.forward(inp, false);
    const backward = (dy: Tensor): Tensor => m.backward(dy);
    const ps = m.layers.flatMap((l, k) => l.allParams().map((p, j) => ({ name: `${k}.${j}:${p.name}`, value: p.value, grad: p.grad })));
    const r = gradCheck({ x, forward, backward, params: ps, eps: EPS, checkInput: false });
    worst["masking stack weights"] = r.worst;
    expectPass(r);
    const e = realStepInputCheck(forward, backward, x, (row) => mask[row] === 1, I);
    worst["masking stack input"] = e;
    expect(e).toBeLessThan(TOL);
  });

  it("embedding maskZero → simpleRnn(returnSequences) → globalAveragePooling1d → dense: every weight", () => {
    const m = sequential([layers.input({ shape: [T] }), layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true }),
      layers.simpleRnn({ units: H, returnSequences: true }), layers.globalAveragePooling1d(), layers.dense({ units: 2 })], { seed: 4 });
    m.layers.forEach((l, k) => randomize(l, 40 + k));
    const ids = new Tensor(Float32Array.from([1, 2, 3, 0, 0, 0, 0, 4, 2, 1, 3, 3, 0, 2, 4]), [B, T]);
    const ps = m.layers.flatMap((l, k) => l.allParams().map((p, j) => ({ name: `${k}.${j}:${p.name}`, value: p.value, grad: p.grad })));
    const r = gradCheck({ x: ids, forward: (inp) => m.forward(inp, false), backward: (dy) => m.backward(dy), params: ps, eps: EPS, checkInput: false });
    worst["embedding maskZero stack"] = r.worst;
    expectPass(r);
    // the padding row of the table gets no gradient through masked steps: only id 0's real uses count, and there are none
    const dE = m.layers[1]!.allParams()[0]!.grad;
    expect(Array.from(dE.slice(0, 3))).toEqual([0, 0, 0]);
  });
});

describe("the check catches mask errors", () => {
  it("a backward that ignores the mask fails, and so does a flipped sign at one real step", () => {
    for (const kind of KINDS) {
      const l: RecurrentLayer = makeRecurrent(kind, H, { returnSequences: true });
      l.build([T, I]);
      randomize(l, 5);
      const mask = mixedMask();
      const x = randomTensor([B, T, I], 7);
      const ignoring = gradCheck({
        x,
        forward: (inp) => { l.inputMask = mask; return l.forward(inp, false); },
        backward: (dy) => { l.inputMask = null; l.forward(x, false); return l.backward(dy); },
        params: params(l),
        eps: EPS,
      });
      expect(ignoring.worst).toBeGreaterThan(0.1);
      const flipped = gradCheck({
        x,
        forward: (inp) => { l.inputMask = mask; return l.forward(inp, false); },
        backward: (dy) => { const dx = l.backward(dy); dx.data[(2 * T + 3) * I] *= -1; return dx; },
        params: params(l),
        eps: EPS,
      });
      expect(flipped.errors.input).toBeGreaterThan(TOL * 10);
      worst[`${kind} caught: mask ignored`] = ignoring.worst;
      worst[`${kind} caught: flipped sign`] = flipped.errors.input!;
    }
    if (process.env.GRADCHECK_REPORT) console.table(worst);
  });
});
