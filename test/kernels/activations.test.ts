// Activations: values against float64 formulas, and every derivative written through the output
// (derivFromOutput, activateBackward) against central differences of those formulas; softmax likewise.

import { describe, it, expect } from "vitest";
import {
  ACTIVATIONS, activate, activateBackward, derivFromOutput, softmaxRows, softmaxRowsBackward, checkActivation,
  type Activation,
} from "../../src/kernels/activations.js";
import { ConfigError } from "../../src/tensor/errors.js";
import { Rng } from "../../src/tensor/rng.js";

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** Independent float64 definitions (Keras / TensorFlow.js). */
const F: Record<Activation, (x: number) => number> = {
  linear: (x) => x,
  relu: (x) => Math.max(x, 0),
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  hardSigmoid: (x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1),
  tanh: (x) => Math.tanh(x),
  elu: (x) => (x > 0 ? x : Math.exp(x) - 1),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * (Math.exp(x) - 1)),
  softplus: (x) => Math.log(1 + Math.exp(x)),
  softsign: (x) => x / (1 + Math.abs(x)),
};

/** Points where a derivative jumps; samples stay at least 1e-3 away, far beyond the difference step. */
const KINKS: Partial<Record<Activation, number[]>> = {
  relu: [0], relu6: [0, 6], hardSigmoid: [-2.5, 2.5], selu: [0], elu: [0],
};

// A grid over [-9, 9] that avoids the kinks and includes both saturated ends.
const XS: number[] = [];
for (let x = -9; x <= 9; x += 0.137) XS.push(x);

const H = 1e-5; // step of the float64 central differences: truncation ~H²·f'''/6 < 1e-10

function samples(f: Activation): number[] {
  return XS.filter((x) => (KINKS[f] ?? []).every((k) => Math.abs(x - k) > 1e-3));
}

describe("activations", () => {
  it("lists every activation and rejects unknown names", () => {
    expect([...ACTIVATIONS].sort()).toEqual(Object.keys(F).sort());
    expect(() => checkActivation("swish", "dense")).toThrow(ConfigError);
    expect(() => checkActivation("swish", "dense")).toThrow(/dense: unknown activation "swish"/);
  });

  for (const f of ACTIVATIONS) {
    it(`${f}: activate matches the float64 formula within 1e-6 (relative to max(|y|, 1))`, () => {
      const xs = samples(f);
      const x = Float32Array.from(xs);
      const y = new Float32Array(x.length);
      activate(f, x, y, 0, x.length);
      let worst = 0;
      for (let i = 0; i < x.length; i++) {
        const ref = F[f](x[i]!); // the float32 input, evaluated in float64
        worst = Math.max(worst, Math.abs(y[i]! - ref) / Math.max(Math.abs(ref), 1));
      }
      expect(worst).toBeLessThan(1e-6);
      // in place (x and y the same buffer) gives the same values
      const inPlace = x.slice();
      activate(f, inPlace, inPlace, 0, inPlace.length);
      expect(Array.from(inPlace)).toEqual(Array.from(y));
    });

    it(`${f}: derivFromOutput(f(x)) equals the central difference of f within 1e-6`, () => {
      let worst = 0;
      for (const x of samples(f)) {
        const num = (F[f](x + H) - F[f](x - H)) / (2 * H);
        const ana = derivFromOutput(f, F[f](x));
        worst = Math.max(worst, Math.abs(ana - num) / Math.max(Math.abs(num), 1));
      }
      expect(worst).toBeLessThan(1e-6);
    });

    it(`${f}: activateBackward equals dy ⊙ derivFromOutput on a float32 buffer, with offsets and aliasing`, () => {
      const rng = new Rng(7);
      const xs = samples(f);
      const n = xs.length;
      const y = new Float32Array(n + 3);
      activate(f, Float32Array.from([0, 0, 0, ...xs]), y, 3, n);
      const dy = new Float32Array(n + 3);
      for (let i = 0; i < dy.length; i++) dy[i] = rng.uniform(-2, 2);
      const dx = new Float32Array(n + 3).fill(-7);
      activateBackward(f, y, dy, dx, 3, n);
      let worst = 0;
      for (let i = 3; i < n + 3; i++) {
        const ref = dy[i]! * derivFromOutput(f, y[i]!);
        worst = Math.max(worst, Math.abs(dx[i]! - ref));
      }
      expect(worst).toBeLessThan(1e-6);
      expect(Array.from(dx.subarray(0, 3))).toEqual([-7, -7, -7]); // outside [off, off+n) untouched
      const alias = dy.slice();
      activateBackward(f, y, alias, alias, 3, n);
      expect(Array.from(alias.subarray(3))).toEqual(Array.from(dx.subarray(3)));
    });
  }

  it("the derivative on the flat side of a kink is zero (relu, relu6, hardSigmoid)", () => {
    expect(derivFromOutput("relu", 0)).toBe(0);
    expect(derivFromOutput("relu6", 6)).toBe(0);
    expect(derivFromOutput("hardSigmoid", 0)).toBe(0);
    expect(derivFromOutput("hardSigmoid", 1)).toBe(0);
    expect(derivFromOutput("hardSigmoid", 0.5)).toBeCloseTo(0.2, 12);
  });

  it("softplus does not overflow for large inputs", () => {
    const y = new Float32Array(2);
    activate("softplus", Float32Array.from([100, 1000]), y, 0, 2);
    expect(Array.from(y)).toEqual([100, 1000]);
    expect(derivFromOutput("softplus", 1000)).toBe(1);
  });
});

describe("softmax over rows", () => {
  const rows = 3, n = 5;
  const rng = new Rng(3);
  const x = new Float32Array(rows * n);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-3, 3);
  x[4] = 80; // a large logit: the stable form must not overflow

  function softmax64(v: number[]): number[] {
    const m = Math.max(...v);
    const e = v.map((a) => Math.exp(a - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((a) => a / s);
  }

  it("matches the float64 formula within 1e-6 and each row sums to 1", () => {
    const y = new Float32Array(rows * n);
    softmaxRows(x, y, rows, n);
    for (let r = 0; r < rows; r++) {
      const ref = softmax64(Array.from(x.subarray(r * n, (r + 1) * n)));
      let sum = 0;
      for (let j = 0; j < n; j++) {
        expect(Math.abs(y[r * n + j]! - ref[j]!)).toBeLessThan(1e-6);
        sum += y[r * n + j]!;
      }
      expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
    }
  });

  it("backward equals the central difference of Σ dy ⊙ softmax(x) within 1e-6", () => {
    const y = new Float32Array(rows * n);
    softmaxRows(x, y, rows, n);
    const dy = new Float32Array(rows * n);
    for (let i = 0; i < dy.length; i++) dy[i] = rng.uniform(-1, 1);
    const dx = new Float32Array(rows * n);
    softmaxRowsBackward(y, dy, dx, rows, n);
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      const xr = Array.from(x.subarray(r * n, (r + 1) * n));
      const L = (v: number[]): number => softmax64(v).reduce((s, p, j) => s + p * dy[r * n + j]!, 0);
      for (let j = 0; j < n; j++) {
        const p = [...xr], m = [...xr];
        p[j]! += H;
        m[j]! -= H;
        const num = (L(p) - L(m)) / (2 * H);
        worst = Math.max(worst, Math.abs(dx[r * n + j]! - num));
      }
    }
    expect(worst).toBeLessThan(1e-6);
  });
});
