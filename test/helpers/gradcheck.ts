// Central-difference gradient checks for layers: L = Σ y ⊙ R for a fixed random R, so dL/dy = R.
// Compares the analytic gradients of every parameter and of the input with numeric ones.

import { Tensor } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/tensor/rng.js";
import type { Layer } from "../../src/layers/layer.js";

export interface GradCheckResult {
  /** name → max |analytic − numeric| / max(max |numeric|, floor) */
  errors: Record<string, number>;
  worst: number;
}

export function randomTensor(shape: number[], seed: number, scale = 1): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = scale * rng.uniform(-1, 1);
  return new Tensor(d, shape);
}

/**
 * Runs `forward` (which must be deterministic: reset any dropout RNG inside it) and checks
 * gradients of L = Σ forward(x) ⊙ R against central differences with step `eps`.
 * `params` are (name, value, grad) triples; the input gradient is checked as "input" when `inputGrad` is given.
 */
export function gradCheck(opts: {
  x: Tensor;
  forward: (x: Tensor) => Tensor;
  backward: (dy: Tensor) => Tensor | null;
  params: { name: string; value: Float32Array; grad: Float32Array }[];
  eps?: number;
  floor?: number;
  seed?: number;
  checkInput?: boolean;
  /** check at most this many entries per tensor (evenly spread) */
  maxEntries?: number;
}): GradCheckResult {
  const eps = opts.eps ?? 1e-2;
  const floor = opts.floor ?? 1e-2;
  const y0 = opts.forward(opts.x);
  const R = randomTensor([...y0.shape], opts.seed ?? 99);
  const loss = (y: Tensor): number => {
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.data[i]! * R.data[i]!;
    return s;
  };
  for (const p of opts.params) p.grad.fill(0);
  opts.forward(opts.x);
  const dx = opts.backward(R);
  const analytic = new Map<string, Float32Array>();
  for (const p of opts.params) analytic.set(p.name, p.grad.slice());
  const targets = [...opts.params.map((p) => ({ name: p.name, value: p.value }))];
  if (opts.checkInput !== false && dx) {
    analytic.set("input", dx.data.slice());
    targets.push({ name: "input", value: opts.x.data });
  }
  const errors: Record<string, number> = {};
  let worst = 0;
  for (const t of targets) {
    const a = analytic.get(t.name)!;
    const n = t.value.length;
    const step = opts.maxEntries && n > opts.maxEntries ? n / opts.maxEntries : 1;
    let maxDiff = 0;
    let maxNum = 0;
    for (let f = 0; f < n; f += step) {
      const i = Math.floor(f);
      const orig = t.value[i]!;
      t.value[i] = orig + eps;
      const lp = loss(opts.forward(opts.x));
      t.value[i] = orig - eps;
      const lm = loss(opts.forward(opts.x));
      t.value[i] = orig;
      const num = (lp - lm) / (2 * eps);
      maxDiff = Math.max(maxDiff, Math.abs(num - a[i]!));
      maxNum = Math.max(maxNum, Math.abs(num));
    }
    const e = maxDiff / Math.max(maxNum, floor);
    errors[t.name] = e;
    worst = Math.max(worst, e);
  }
  return { errors, worst };
}

/** Gradient check of a standalone layer built for `inputShape` (per sample). */
export function layerGradCheck(layer: Layer, x: Tensor, opts: { training?: boolean; eps?: number; seed?: number; checkInput?: boolean; maxEntries?: number } = {}): GradCheckResult {
  if (!layer.built) layer.build([...x.shape.slice(1)]);
  const rng = new Rng(opts.seed ?? 5);
  for (const p of layer.allParams()) for (let i = 0; i < p.size; i++) p.value[i] = rng.uniform(-0.5, 0.5);
  const training = opts.training ?? false;
  const layerRng = new Rng(1234);
  return gradCheck({
    x,
    forward: (inp) => {
      layer.setRng(new Rng(layerRng.getState())); // same dropout masks every call
      return layer.forward(inp, training);
    },
    backward: (dy) => layer.backward(dy),
    params: layer.allParams().map((p, k) => ({ name: `${k}:${p.name}`, value: p.value, grad: p.grad })),
    eps: opts.eps,
    checkInput: opts.checkInput,
    maxEntries: opts.maxEntries,
  });
}
