// Optimizer steps against the Keras 3 update rules written out here in float64 (three steps each, so
// the slots and Adam's bias correction are exercised), gradient clipping, and fit's use of the optimizer.
// (Lives with the model tests; move to test/optim/ if that directory gets an owner.)

import { describe, it, expect } from "vitest";
import { Optimizer, clipGradients, sequential, layers, tensor, type OptimizerConfig } from "../../src/index.js";
import { uniform, maxAbsDiff } from "./fixtures.js";

const TOL = 1e-6; // on weights of size ~1 updated by ~1e-2..1e-1 per step; float32 storage costs ~1e-7

const w0 = Float32Array.from([0.5, -1.2, 0.3, 2.0, -0.7, 0.05]);
// |g| >= 0.2 everywhere: see the rmsprop note below.
const grads = [
  Float32Array.from([0.3, -0.8, 1.5, -0.2, 0.6, -1.1]),
  Float32Array.from([-0.4, -0.5, 0.9, 0.25, -0.7, 0.3]),
  Float32Array.from([0.2, 0.45, -1.2, 0.6, 0.35, -0.9]),
];

type Ref = (w: number[], g: number[], t: number) => void;

/** Keras 3 `update_step` of each optimizer, in float64, mutating w (state lives in the closure). */
function reference(cfg: Required<Omit<OptimizerConfig, "clipNorm" | "clipValue">>): Ref {
  const n = w0.length;
  const s1 = new Array<number>(n).fill(cfg.type === "adagrad" ? cfg.initialAccumulatorValue : 0);
  const s2 = new Array<number>(n).fill(0);
  const { learningRate: lr, momentum: mu, rho, beta1: b1, beta2: b2, epsilon: eps } = cfg;
  return (w, g, t) => {
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      switch (cfg.type) {
        case "sgd":
          if (mu === 0) w[i] -= lr * gi;
          else {
            s1[i] = mu * s1[i]! - lr * gi; // m = momentum·m − lr·g
            w[i] += cfg.nesterov ? mu * s1[i]! - lr * gi : s1[i]!;
          }
          break;
        case "rmsprop": {
          s1[i] = rho * s1[i]! + (1 - rho) * gi * gi; // velocity
          const inc = (lr * gi) / Math.sqrt(s1[i]! + eps); // Keras: sqrt(velocity + ε)
          if (mu > 0) {
            s2[i] = mu * s2[i]! + inc;
            w[i] -= s2[i]!;
          } else w[i] -= inc;
          break;
        }
        case "adagrad":
          s1[i] += gi * gi;
          w[i] -= (lr * gi) / Math.sqrt(s1[i]! + eps); // Keras: sqrt(accumulator + ε)
          break;
        case "adam":
        case "adamw": {
          if (cfg.type === "adamw") w[i] -= w[i]! * cfg.weightDecay * lr; // decoupled decay, before the step
          const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
          s1[i] += (gi - s1[i]!) * (1 - b1);
          s2[i] += (gi * gi - s2[i]!) * (1 - b2);
          w[i] -= (alpha * s1[i]!) / (Math.sqrt(s2[i]!) + eps);
          break;
        }
      }
    }
  };
}

const configs: [string, OptimizerConfig][] = [
  ["sgd", { type: "sgd", learningRate: 0.1 }],
  ["sgd momentum", { type: "sgd", learningRate: 0.1, momentum: 0.9 }],
  ["sgd nesterov", { type: "sgd", learningRate: 0.1, momentum: 0.9, nesterov: true }],
  // rmsprop: Keras divides by sqrt(v + ε). With |g| >= 0.2 and lr 0.01, sqrt(v) + ε agrees with it
  // to < 4e-7 over these three steps, so this case does not separate the two placements of ε (small
  // gradients do: a known discrepancy, reported, not tested here).
  ["rmsprop", { type: "rmsprop", learningRate: 0.01 }],
  ["rmsprop momentum", { type: "rmsprop", learningRate: 0.01, momentum: 0.5, rho: 0.8 }],
  ["adagrad", { type: "adagrad", learningRate: 0.1 }],
  ["adam", { type: "adam", learningRate: 0.05 }],
  ["adamw", { type: "adamw", learningRate: 0.05, weightDecay: 0.1 }],
];

describe("one step of each optimizer equals Keras's rule in float64", () => {
  for (const [name, cfg] of configs) {
    it(name, () => {
      const opt = new Optimizer(cfg);
      const ref = reference(opt.config);
      const w = w0.slice();
      const wr = Array.from(w0);
      grads.forEach((g, k) => {
        opt.step(w, g.slice());
        ref(wr, Array.from(g), k + 1);
        expect(maxAbsDiff(w, wr)).toBeLessThan(TOL);
        expect(opt.iterations).toBe(k + 1);
      });
      // the weights moved by much more than the tolerance, so the comparison is not vacuous
      expect(maxAbsDiff(w, w0)).toBeGreaterThan(1000 * TOL);
    });
  }

  it("Keras's defaults", () => {
    expect(new Optimizer("sgd").getConfig()).toMatchObject({ learningRate: 0.01, momentum: 0, nesterov: false });
    expect(new Optimizer("rmsprop").getConfig()).toMatchObject({ learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7 });
    expect(new Optimizer("adagrad").getConfig()).toMatchObject({ learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7 });
    expect(new Optimizer("adam").getConfig()).toMatchObject({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(new Optimizer("adamw").getConfig()).toMatchObject({ learningRate: 0.001, weightDecay: 0.004 });
  });

  it("a changed learningRate (as reduceLrOnPlateau does) is used by the next step", () => {
    const opt = new Optimizer({ type: "sgd", learningRate: 0.1 });
    const w = Float32Array.from([1, 1]);
    opt.step(w, Float32Array.from([1, -1]));
    opt.learningRate = 0.01;
    opt.step(w, Float32Array.from([1, -1]));
    expect(maxAbsDiff(w, [1 - 0.11, 1 + 0.11])).toBeLessThan(1e-7);
  });

  it("negative or non-finite settings are refused", () => {
    expect(() => new Optimizer({ type: "adam", learningRate: -1 })).toThrow("optimizer adam: learningRate must be a non-negative number, got -1");
    expect(() => new Optimizer({ type: "sgd", momentum: NaN })).toThrow(/momentum must be a non-negative number, got NaN/);
  });
});

describe("gradient clipping", () => {
  it("clipNorm scales every gradient by the same factor, from the global norm over the whole buffer", () => {
    // two "layers": norms 5 and 0.5; global norm sqrt(25.25)
    const g = Float32Array.from([3, 4, 0.3, 0.4]);
    const norm = clipGradients(g, 1);
    expect(norm).toBeCloseTo(Math.sqrt(25.25), 6);
    const s = 1 / Math.sqrt(25.25);
    expect(maxAbsDiff(g, [3 * s, 4 * s, 0.3 * s, 0.4 * s])).toBeLessThan(1e-7);
    // per-layer clipping would have left the small layer's [0.3, 0.4] alone
    expect(g[2]).toBeLessThan(0.1);
    let ss = 0;
    for (const v of g) ss += v * v;
    expect(Math.sqrt(ss)).toBeCloseTo(1, 6);
  });

  it("clipNorm leaves gradients under the threshold untouched", () => {
    const g = Float32Array.from([0.3, 0.4]);
    clipGradients(g, 1);
    expect(Array.from(g)).toEqual(Array.from(Float32Array.from([0.3, 0.4])));
  });

  it("clipValue clips elementwise", () => {
    const g = Float32Array.from([-3, 0.2, 5, -0.05, 0.5]);
    clipGradients(g, undefined, 0.5);
    expect(Array.from(g)).toEqual(Array.from(Float32Array.from([-0.5, 0.2, 0.5, -0.05, 0.5])));
  });

  it("an optimizer with clipNorm / clipValue steps on the clipped gradient", () => {
    const byNorm = new Optimizer({ type: "sgd", learningRate: 1, clipNorm: 1 });
    const w = new Float32Array(2);
    byNorm.step(w, Float32Array.from([3, 4]));
    expect(maxAbsDiff(w, [-0.6, -0.8])).toBeLessThan(1e-7);
    const byValue = new Optimizer({ type: "sgd", learningRate: 1, clipValue: 0.5 });
    const w2 = new Float32Array(2);
    byValue.step(w2, Float32Array.from([3, -0.25]));
    expect(maxAbsDiff(w2, [-0.5, 0.25])).toBeLessThan(1e-7);
  });
});

describe("fit drives the optimizer with the model's gradients", () => {
  it("one full-batch sgd epoch moves the weights by −lr · (gradient from forward/backward)", async () => {
    const x = uniform([12, 5, 2], 31);
    const y = uniform([12, 1], 32);
    const make = () => sequential([layers.input({ shape: [5, 2] }), layers.gru({ units: 3 }), layers.dense({ units: 1 })], { seed: 8 });
    const probe = make();
    probe.zeroGrads();
    const out = probe.forward(x, true);
    const dy = new Float32Array(out.size);
    for (let i = 0; i < out.size; i++) dy[i] = (2 * (out.data[i]! - y.data[i]!)) / out.size; // d(mse)/d(pred)
    probe.backward(tensor(dy, out.shape));
    const g = probe.gradients.slice();

    const m = make();
    m.compile({ optimizer: { type: "sgd", learningRate: 0.5 }, loss: "mse" });
    const p0 = m.parameters.slice();
    await m.fit(x, y, { epochs: 1, batchSize: 12, shuffle: false, verbose: 0 });
    const want = Array.from(p0, (p, i) => p - 0.5 * g[i]!);
    expect(maxAbsDiff(m.parameters, want)).toBeLessThan(1e-6);
    expect(maxAbsDiff(m.parameters, p0)).toBeGreaterThan(1e-3);
  });
});

describe("epsilon placement follows Keras for small gradients", () => {
  it("rmsprop and adagrad divide by sqrt(v + eps), so tiny gradients take Keras-sized steps", async () => {
    const { Optimizer } = await import("../../src/optim/optimizers.js");
    const g = 1e-4;
    const rms = new Optimizer({ type: "rmsprop", learningRate: 1e-3 });
    const w1 = new Float32Array([0]);
    rms.step(w1, new Float32Array([g]));
    const v = 0.1 * g * g;
    expect(w1[0]).toBeCloseTo(-(1e-3 * g) / Math.sqrt(v + 1e-7), 9); // ≈ -3.15e-4, not -3.15e-3
    const ada = new Optimizer({ type: "adagrad", learningRate: 0.1, initialAccumulatorValue: 0 });
    const w2 = new Float32Array([0]);
    ada.step(w2, new Float32Array([g]));
    expect(w2[0]).toBeCloseTo(-(0.1 * g) / Math.sqrt(g * g + 1e-7), 7); // ≈ -0.0302
  });
});
