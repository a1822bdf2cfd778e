// Central-difference gradient checks of Attention (dot, concat, with and without scale) and
// AdditiveAttention (with and without scale): the gradients of the query, the value and the key
// (and of the value when it doubles as the key), of every weight, with query and value masks, the
// causal mask, dropout and the returned attention weights; plus the errors, and proof that the
// tolerance catches a flipped sign, a halved weight gradient and a missing key term.

import { describe, it, expect } from "vitest";
import * as layers from "../../src/layers/index.js";
import type { Layer } from "../../src/layers/index.js";
import type { CallArgs } from "../../src/layers/layer.js";
import { input } from "../../src/layers/symbolic.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/tensor/rng.js";
import { ConfigError, ShapeError } from "../../src/tensor/errors.js";
import { gradCheck, randomTensor, type GradCheckResult } from "../helpers/gradcheck.js";

// Float32 inputs with float64 arithmetic inside and central differences of step 1e-2: the errors
// measured below are 1.5e-6 … 3.3e-4 (see FLOOR); 1e-3 leaves a 3× margin, while the tampered
// gradients of the last block give 0.5 … 0.7.
const TOL = 1e-3;
const EPS = 1e-2;
// Outputs are float32, so a loss of ~30 terms carries ~3e-7 of rounding and a central difference
// ~1.5e-5 of noise: errors are taken relative to at least 0.05 (a scalar weight's gradient can be
// ~0.01, where that noise alone is 1e-3 relative).
const FLOOR = 0.05;
const B = 2, TQ = 3, TV = 4, D = 3;

type Attn = layers.Attention | layers.AdditiveAttention;

interface Case {
  make: () => Attn;
  /** inputs: query, value and optionally key */
  key?: boolean;
  /** value feature size (may differ from the query's when a key is given) */
  dv?: number;
  masks?: boolean;
  causal?: boolean;
  scores?: boolean;
  training?: boolean;
  /** change the analytic gradients after backward */
  tamper?: (layer: Attn, grads: Tensor[]) => void;
}

// query rows: sample 0 all real; sample 1 last step padded. Value: sample 0 last step padded, sample 1 first two.
const Q_MASK = new Float32Array([1, 1, 1, 1, 1, 0]);
const V_MASK = new Float32Array([1, 1, 1, 0, 0, 0, 1, 1]);

function check(c: Case): GradCheckResult {
  const r = runCheck(c);
  if (process.env.SHOW_GRADCHECK) console.log(JSON.stringify(r.errors));
  return r;
}

function runCheck(c: Case): GradCheckResult {
  const layer = c.make();
  const dv = c.dv ?? D;
  const shapes = [[TQ, D], [TV, dv], ...(c.key ? [[TV, D]] : [])];
  const args: CallArgs = { returnAttentionScores: c.scores ?? false, useCausalMask: c.causal ?? false };
  layer.buildCall(shapes, args);
  const rng = new Rng(11);
  for (const p of layer.allParams()) for (let i = 0; i < p.size; i++) p.value[i] = p.shape.length === 0 ? rng.uniform(0.6, 1.4) : rng.uniform(-1, 1);
  // all inputs packed in one tensor whose subarrays are the inputs, so gradCheck perturbs them all
  const sizes = shapes.map((s) => B * s[0]! * s[1]!);
  const total = sizes.reduce((a, b) => a + b, 0);
  const packed = randomTensor([total], 3, 1.2);
  const offs = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
  const xs = shapes.map((s, k) => new Tensor(packed.data.subarray(offs[k]!, offs[k]! + sizes[k]!), [B, ...s]));
  layer.inputMasks = c.masks ? [Q_MASK, V_MASK] : [];
  const ySize = B * TQ * dv;
  return gradCheck({
    x: packed,
    forward: () => {
      layer.setRng(new Rng(1234)); // the same dropout mask every call
      const outs = layer.forwardCall(xs, c.training ?? false, args);
      const flat = new Float32Array(outs.reduce((n, t) => n + t.size, 0));
      let o = 0;
      for (const t of outs) { flat.set(t.data, o); o += t.size; }
      return new Tensor(flat, [flat.length]);
    },
    backward: (dy) => {
      const dys = [new Tensor(dy.data.slice(0, ySize), [B, TQ, dv])];
      if (c.scores) dys.push(new Tensor(dy.data.slice(ySize), [B, TQ, TV]));
      const grads = layer.backwardCall(dys, args);
      c.tamper?.(layer, grads);
      expect(grads.length).toBe(shapes.length);
      const out = new Float32Array(total);
      grads.forEach((g, k) => out.set(g.data, offs[k]!));
      return new Tensor(out, [total]);
    },
    params: layer.allParams().map((p, k) => ({ name: `${k}:${p.name}`, value: p.value, grad: p.grad })),
    eps: EPS,
    floor: FLOOR,
  });
}

function expectPass(r: GradCheckResult, names: string[]): void {
  expect(Object.keys(r.errors).sort()).toEqual([...names, "input"].sort());
  expect(r.worst).toBeLessThan(TOL);
}

const ATTENTION_OPTIONS: { label: string; args: layers.AttentionArgs; weights: string[] }[] = [
  { label: "dot", args: {}, weights: [] },
  { label: "dot, useScale", args: { useScale: true }, weights: ["0:scale"] },
  { label: "concat", args: { scoreMode: "concat" }, weights: ["0:concat_score_weight"] },
  { label: "concat, useScale", args: { scoreMode: "concat", useScale: true }, weights: ["0:scale", "1:concat_score_weight"] },
];

describe("Attention gradients", () => {
  for (const o of ATTENTION_OPTIONS) {
    it(`${o.label}: query and value (the key)`, () => {
      expectPass(check({ make: () => layers.attention(o.args) }), o.weights);
    });
    it(`${o.label}: query, value and a separate key, value of another width`, () => {
      expectPass(check({ make: () => layers.attention(o.args), key: true, dv: 5 }), o.weights);
    });
    it(`${o.label}: query and value masks, returned weights`, () => {
      expectPass(check({ make: () => layers.attention(o.args), masks: true, scores: true }), o.weights);
    });
    it(`${o.label}: causal mask with a value mask and a key`, () => {
      expectPass(check({ make: () => layers.attention(o.args), key: true, masks: true, causal: true, scores: true }), o.weights);
    });
  }
  it("dropout on the weights in training, returned weights", () => {
    expectPass(check({ make: () => layers.attention({ useScale: true, dropout: 0.3 }), training: true, scores: true, masks: true }), ["0:scale"]);
  });
});

describe("AdditiveAttention gradients", () => {
  for (const useScale of [true, false]) {
    const w = useScale ? ["0:scale"] : [];
    it(`useScale ${useScale}: query and value (the key)`, () => {
      expectPass(check({ make: () => layers.additiveAttention({ useScale }) }), w);
    });
    it(`useScale ${useScale}: separate key, value of another width`, () => {
      expectPass(check({ make: () => layers.additiveAttention({ useScale }), key: true, dv: 2 }), w);
    });
    it(`useScale ${useScale}: masks, causal, returned weights`, () => {
      expectPass(check({ make: () => layers.additiveAttention({ useScale }), masks: true, causal: true, scores: true }), w);
    });
  }
  it("dropout on the weights in training, with a key and masks", () => {
    expectPass(check({ make: () => layers.additiveAttention({ dropout: 0.4 }), training: true, key: true, masks: true, scores: true }), ["0:scale"]);
  });
});

describe("attention forward semantics", () => {
  function run(layer: Attn, q: Tensor, v: Tensor, args: CallArgs = {}, masks: (Float32Array | null)[] = []): Tensor[] {
    layer.buildCall([q.shape.slice(1), v.shape.slice(1)], args);
    layer.inputMasks = masks;
    return layer.forwardCall([q, v], false, args);
  }
  const q = randomTensor([B, TQ, D], 5);
  const v = randomTensor([B, TV, D], 6);

  it("padded value steps get no weight, padded query steps output zeros, weights sum to one", () => {
    const [y, a] = run(layers.attention(), q, v, { returnAttentionScores: true }, [Q_MASK, V_MASK]);
    for (let b = 0; b < B; b++) for (let i = 0; i < TQ; i++) {
      let s = 0;
      for (let j = 0; j < TV; j++) {
        const w = a!.data[(b * TQ + i) * TV + j]!;
        if (V_MASK[b * TV + j] === 0) expect(w).toBe(0);
        s += w;
      }
      expect(s).toBeCloseTo(1, 6);
      if (Q_MASK[b * TQ + i] === 0) for (let d = 0; d < D; d++) expect(y!.data[(b * TQ + i) * D + d]).toBe(0);
    }
  });

  it("the causal mask keeps step i from attending past i", () => {
    const [, a] = run(layers.additiveAttention(), q, v, { returnAttentionScores: true, useCausalMask: true });
    for (let b = 0; b < B; b++) for (let i = 0; i < TQ; i++) for (let j = i + 1; j < TV; j++) expect(a!.data[(b * TQ + i) * TV + j]).toBe(0);
    expect(a!.data[0]).toBeCloseTo(1, 6); // step 0 sees only step 0
  });

  it("a query row with every value step masked gets uniform weights (Keras's float32 −1e9 bias)", () => {
    const [, a] = run(layers.attention(), q, v, { returnAttentionScores: true }, [null, new Float32Array([0, 0, 0, 0, 1, 1, 1, 1])]);
    for (let j = 0; j < TV; j++) expect(a!.data[j]).toBeCloseTo(1 / TV, 7);
  });

  it("without a key, the output is the weighted sum of the values with softmax(q·v) weights", () => {
    const [y] = run(layers.attention(), q, v);
    const b = 1, i = 2;
    const s = Array.from({ length: TV }, (_, j) => Array.from({ length: D }, (_, d) => q.data[(b * TQ + i) * D + d]! * v.data[(b * TV + j) * D + d]!).reduce((x, z) => x + z, 0));
    const m = Math.max(...s);
    const e = s.map((x) => Math.exp(x - m));
    const z = e.reduce((x, w) => x + w, 0);
    for (let d = 0; d < D; d++) {
      const want = e.reduce((acc, w, j) => acc + (w / z) * v.data[(b * TV + j) * D + d]!, 0);
      expect(y!.data[(b * TQ + i) * D + d]).toBeCloseTo(want, 6);
    }
  });

  it("weights as Keras: Attention scale and concat_score_weight are scalars of ones, AdditiveAttention scale [dim] glorot-uniform", () => {
    const a = layers.attention({ useScale: true, scoreMode: "concat" });
    a.buildCall([[TQ, D], [TV, D]]);
    expect(a.allParams().map((p) => [p.name, p.shape])).toEqual([["scale", []], ["concat_score_weight", []]]);
    a.allParams().forEach((p) => p.initialize(new Rng(1)));
    expect(a.getWeights().map((w) => [...w.data])).toEqual([[1], [1]]);
    const add = layers.additiveAttention();
    add.buildCall([[TQ, 16], [TV, 16]]);
    expect(add.allParams().map((p) => [p.name, p.shape])).toEqual([["scale", [16]]]);
    add.allParams()[0]!.initialize(new Rng(2));
    const limit = Math.sqrt(6 / 32);
    const vals = [...add.allParams()[0]!.value];
    expect(Math.max(...vals.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...vals.map(Math.abs))).toBeGreaterThan(limit / 2);
    expect(layers.attention().countParams()).toBe(0);
    expect(layers.additiveAttention({ useScale: false }).getConfig()).toEqual({ name: "", useScale: false, dropout: 0 });
  });

  it("apply on symbolic tensors: output shapes, the weights as a second output, the output keeps the query's mask", () => {
    const qs = input({ shape: [5, 8] });
    const vs = input({ shape: [7, 8] });
    const ks = input({ shape: [7, 8] });
    const one = layers.attention().apply([qs, vs]);
    expect(Array.isArray(one) ? null : one.shape).toEqual([5, 8]);
    const two = layers.additiveAttention().apply([qs, vs, ks], { returnAttentionScores: true, useCausalMask: true });
    expect(Array.isArray(two) ? two.map((t) => t.shape) : null).toEqual([[5, 8], [5, 7]]);
    const l = layers.attention();
    l.buildCall([[TQ, D], [TV, D]]);
    l.inputMasks = [Q_MASK, V_MASK];
    expect(l.computeOutputMask()).toBe(Q_MASK);
  });
});

describe("attention errors", () => {
  it("an unknown scoreMode or option is refused naming it and the choices", () => {
    expect(() => layers.attention({ scoreMode: "general" as "dot" })).toThrow(ConfigError);
    expect(() => layers.attention({ scoreMode: "general" as "dot" })).toThrow(/attention: scoreMode must be one of dot, concat, got "general"/);
    expect(() => layers.attention({ usescale: true } as never)).toThrow(/unknown option 'usescale' — did you mean 'useScale'\?/);
    expect(() => layers.additiveAttention({ scoreMode: "dot" } as never)).toThrow(/additiveAttention: unknown option 'scoreMode'/);
    expect(() => layers.attention({ dropout: 1 })).toThrow(/dropout must be in \[0, 1\), got 1/);
  });

  it("the wrong number of inputs, a rank that is not [batch, steps, features], mismatched features or steps", () => {
    const l = (): layers.Attention => layers.attention({ name: "att" });
    expect(() => l().buildCall([[3, 4]])).toThrow(ShapeError);
    expect(() => l().buildCall([[3, 4]])).toThrow(/layer "att" \(Attention\) takes \[query, value\] or \[query, value, key\], got 1 input$/);
    expect(() => l().buildCall([[3, 4], [3, 4], [3, 4], [3, 4]])).toThrow(/got 4 inputs/);
    expect(() => l().buildCall([[3, 4], [4]])).toThrow(/value must be \[batch, steps, features\], got \[null, 4\]/);
    expect(() => l().buildCall([[3, 4], [5, 6]])).toThrow(/query has 4 features and value \(the key when none is given\) 6; scoring needs the same number/);
    expect(() => layers.additiveAttention({ name: "add" }).buildCall([[3, 4], [5, 6], [5, 5]])).toThrow(/layer "add" \(AdditiveAttention\): query has 4 features and key 5/);
    expect(() => l().buildCall([[3, 4], [5, 6], [6, 4]])).toThrow(/key has 6 steps and value 5; each value step needs its key/);
    const qs = input({ shape: [3, 4] });
    expect(() => layers.attention().apply(qs)).toThrow(/takes \[query, value\] or \[query, value, key\], got 1 input/);
    expect(() => layers.attention().apply([qs, qs], { useCausalMask: "yes" as never })).toThrow(/useCausalMask must be true or false/);
    expect(() => (layers.attention() as Layer).forward(randomTensor([1, 3, 4], 1), false)).toThrow(/takes a list of inputs: use it in a functional model/);
  });

  it("a batch mismatch or a wrong shape at run time names the input", () => {
    const l = layers.attention({ name: "att" });
    l.buildCall([[3, 4], [5, 4]]);
    expect(() => l.forwardCall([randomTensor([2, 3, 4], 1), randomTensor([3, 5, 4], 2)], false)).toThrow(/query has a batch of 2 and value 3; every input needs the same batch/);
    expect(() => l.forwardCall([randomTensor([2, 3, 4], 1), randomTensor([2, 6, 4], 2)], false)).toThrow(/value must be \[null, 5, 4\], got \[2, 6, 4\]/);
    expect(() => l.forwardCall([randomTensor([2, 3, 4], 1)], false)).toThrow(/was built for 2 inputs \(query, value\), got 1/);
    l.inputMasks = [null, new Float32Array(3)];
    expect(() => l.forwardCall([randomTensor([2, 3, 4], 1), randomTensor([2, 5, 4], 2)], false)).toThrow(/the value mask has 3 entries, the value is \[2, 5\]/);
    expect(() => layers.attention().backwardCall([null])).toThrow(/backward called before forward/);
  });
});

describe("the gradient check catches a wrong gradient", () => {
  it("a flipped sign on the query gradient", () => {
    const r = check({ make: () => layers.attention(), tamper: (_l, g) => { for (let i = 0; i < g[0]!.size; i++) g[0]!.data[i]! *= -1; } });
    expect(r.errors.input).toBeGreaterThan(0.1);
  });
  it("a halved scale gradient", () => {
    const r = check({ make: () => layers.additiveAttention(), tamper: (l) => { const g = l.allParams()[0]!.grad; for (let i = 0; i < g.length; i++) g[i]! *= 0.5; } });
    expect(r.errors["0:scale"]).toBeGreaterThan(0.1);
  });
  it("the key's share of the value gradient left out when the value is the key", () => {
    // the value-only gradient: the same call with the key given separately (a copy of the value)
    const r = check({
      make: () => layers.attention({ scoreMode: "concat" }),
      tamper: (l, g) => {
        const lk = layers.attention({ scoreMode: "concat" });
        lk.buildCall([[TQ, D], [TV, D], [TV, D]]);
        lk.setWeights(l.getWeights());
        const last = (l as unknown as { cache: { q: Float32Array; v: Float32Array } }).cache;
        const qT = new Tensor(last.q, [B, TQ, D]), vT = new Tensor(last.v, [B, TV, D]);
        const y = lk.forwardCall([qT, vT, vT], false);
        const dy = randomTensor([...y[0]!.shape], 99);
        g[1]!.data.set(lk.backwardCall([dy])[1]!.data);
      },
    });
    expect(r.errors.input).toBeGreaterThan(0.1);
  });
});
