// Attention and AdditiveAttention against an independent implementation: Keras 3's formulas
// written with PyTorch ops and differentiated by autograd in float64 (scripts/attention_fixtures.py,
// fixtures in test/fixtures/attention/). Outputs, attention weights and the gradients of the query,
// the value, the key and every weight, with masks, the causal mask and no key (value as key).

import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as layers from "../../src/layers/index.js";
import { Tensor } from "../../src/tensor/tensor.js";

interface Arr { shape: number[]; data: number[] }
interface Fixture {
  case: string;
  layer: "attention" | "additiveAttention";
  options: Record<string, unknown>;
  call: { useCausalMask: boolean; returnAttentionScores: boolean };
  inputs: Arr[];
  masks: number[][][] | null;
  weights: (Arr & { name: string })[];
  R: Arr; Ra: Arr;
  output: Arr; attentionWeights: Arr;
  inputGrads: Arr[];
  weightGrads: Arr[];
}

const DIR = new URL("../fixtures/attention/", import.meta.url);
const CASES = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();
const load = (f: string): Fixture => JSON.parse(readFileSync(new URL(f, DIR), "utf8")) as Fixture;
const tensor = (a: Arr): Tensor => new Tensor(Float32Array.from(a.data), a.shape);

/** max |got − want| over max(max |want|, 1): float32 arithmetic against float64. */
function relErr(got: ArrayLike<number>, want: Arr): number {
  expect(got.length).toBe(want.data.length);
  let d = 0, m = 1;
  for (let i = 0; i < got.length; i++) {
    d = Math.max(d, Math.abs(got[i]! - want.data[i]!));
    m = Math.max(m, Math.abs(want.data[i]!));
  }
  return d / m;
}

// measured (SHOW_PARITY=1 prints them): every output, weight and gradient within 1.7e-7
const TOL = 1e-5;

describe("attention layers against PyTorch autograd on Keras's formulas", () => {
  it("the fixtures are there (one per option combination)", () => {
    expect(CASES.length).toBe(8);
  });

  for (const file of CASES) {
    const fx = load(file);
    it(`${fx.case}: output, weights, input and weight gradients`, () => {
      const layer = fx.layer === "attention" ? layers.attention(fx.options) : layers.additiveAttention(fx.options);
      const xs = fx.inputs.map(tensor);
      layer.buildCall(xs.map((x) => x.shape.slice(1)), fx.call);
      expect(layer.allParams().map((p) => [p.name, p.shape])).toEqual(fx.weights.map((w) => [w.name, w.shape]));
      layer.setWeights(fx.weights.map(tensor));
      layer.inputMasks = fx.masks ? fx.masks.map((m) => Float32Array.from(m.flat())) : [];
      const [y, a] = layer.forwardCall(xs, false, fx.call);
      for (const p of layer.allParams()) p.grad.fill(0);
      const grads = layer.backwardCall([tensor(fx.R), tensor(fx.Ra)], fx.call);
      const errs = {
        output: relErr(y!.data, fx.output),
        weights: relErr(a!.data, fx.attentionWeights),
        ...Object.fromEntries(grads.map((g, k) => [`d${["query", "value", "key"][k]}`, relErr(g.data, fx.inputGrads[k]!)])),
        ...Object.fromEntries(layer.allParams().map((p, k) => [`d${p.name}`, relErr(p.grad, fx.weightGrads[k]!)])),
      };
      if (process.env.SHOW_PARITY) console.log(fx.case, JSON.stringify(errs));
      expect(grads.length).toBe(fx.inputs.length);
      for (const [name, e] of Object.entries(errs)) expect(e, name).toBeLessThan(TOL);
    });
  }
});
