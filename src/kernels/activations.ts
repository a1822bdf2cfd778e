// Elementwise activations and their derivatives. Every derivative here is written in terms of
// the activation's *output* y, so recurrent kernels keep only activated values for backward.

import { ConfigError } from "../tensor/errors.js";

export type Activation =
  | "linear" | "relu" | "relu6" | "sigmoid" | "hardSigmoid" | "tanh"
  | "elu" | "selu" | "softplus" | "softsign";

export const ACTIVATIONS: readonly Activation[] = [
  "linear", "relu", "relu6", "sigmoid", "hardSigmoid", "tanh", "elu", "selu", "softplus", "softsign",
];

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

export function checkActivation(name: string, where: string): Activation {
  if ((ACTIVATIONS as readonly string[]).includes(name)) return name as Activation;
  throw new ConfigError(`${where}: unknown activation "${name}"; choose one of ${ACTIVATIONS.join(", ")}`);
}

/** y[off..off+n) = f(x[off..off+n)); x and y may be the same buffer. */
export function activate(f: Activation, x: Float32Array, y: Float32Array, off: number, n: number): void {
  const end = off + n;
  switch (f) {
    case "linear":
      if (x !== y) for (let i = off; i < end; i++) y[i] = x[i]!;
      return;
    case "relu":
      for (let i = off; i < end; i++) { const v = x[i]!; y[i] = v > 0 ? v : 0; }
      return;
    case "relu6":
      for (let i = off; i < end; i++) { const v = x[i]!; y[i] = v > 0 ? (v < 6 ? v : 6) : 0; }
      return;
    case "sigmoid":
      for (let i = off; i < end; i++) y[i] = 1 / (1 + Math.exp(-x[i]!));
      return;
    case "hardSigmoid":
      // tf.keras 2 / TensorFlow.js form: clip(0.2 x + 0.5, 0, 1)
      for (let i = off; i < end; i++) { const v = 0.2 * x[i]! + 0.5; y[i] = v < 0 ? 0 : v > 1 ? 1 : v; }
      return;
    case "tanh":
      for (let i = off; i < end; i++) y[i] = Math.tanh(x[i]!);
      return;
    case "elu":
      for (let i = off; i < end; i++) { const v = x[i]!; y[i] = v > 0 ? v : Math.expm1(v); }
      return;
    case "selu":
      for (let i = off; i < end; i++) {
        const v = x[i]!;
        y[i] = v > 0 ? SELU_SCALE * v : SELU_SCALE * SELU_ALPHA * Math.expm1(v);
      }
      return;
    case "softplus":
      for (let i = off; i < end; i++) {
        const v = x[i]!;
        y[i] = v > 20 ? v : Math.log1p(Math.exp(v));
      }
      return;
    case "softsign":
      for (let i = off; i < end; i++) { const v = x[i]!; y[i] = v / (1 + Math.abs(v)); }
      return;
  }
}

/**
 * dx[i] = dy[i] * f'(x_i) expressed through y_i = f(x_i); dx may alias dy.
 * (relu, elu, selu: the sign of y equals the sign of x; softsign: 1-|y| = 1/(1+|x|).)
 */
export function activateBackward(f: Activation, y: Float32Array, dy: Float32Array, dx: Float32Array, off: number, n: number): void {
  activateBackwardAt(f, y, off, dy, off, dx, off, n);
}

/**
 * dx[dxOff+i] = dy[dyOff+i] * f'(x) through y[yOff+i] = f(x), for i < n: activateBackward with an
 * offset per buffer (the fused recurrent kernels keep y, dy and dx in differently laid-out
 * buffers); dx may alias dy at the same offset. One switch per call and no function call per
 * element, so nothing is boxed.
 */
export function activateBackwardAt(
  f: Activation, y: Float32Array, yOff: number, dy: Float32Array, dyOff: number,
  dx: Float32Array, dxOff: number, n: number,
): void {
  const dd = dyOff - dxOff, yd = yOff - dxOff;
  const end = dxOff + n;
  switch (f) {
    case "linear":
      if (dx !== dy || dd !== 0) for (let i = dxOff; i < end; i++) dx[i] = dy[i + dd]!;
      return;
    case "relu":
      for (let i = dxOff; i < end; i++) dx[i] = y[i + yd]! > 0 ? dy[i + dd]! : 0;
      return;
    case "relu6":
      for (let i = dxOff; i < end; i++) { const v = y[i + yd]!; dx[i] = v > 0 && v < 6 ? dy[i + dd]! : 0; }
      return;
    case "sigmoid":
      for (let i = dxOff; i < end; i++) { const v = y[i + yd]!; dx[i] = dy[i + dd]! * v * (1 - v); }
      return;
    case "hardSigmoid":
      for (let i = dxOff; i < end; i++) { const v = y[i + yd]!; dx[i] = v > 0 && v < 1 ? 0.2 * dy[i + dd]! : 0; }
      return;
    case "tanh":
      for (let i = dxOff; i < end; i++) { const v = y[i + yd]!; dx[i] = dy[i + dd]! * (1 - v * v); }
      return;
    case "elu":
      for (let i = dxOff; i < end; i++) { const v = y[i + yd]!; dx[i] = v > 0 ? dy[i + dd]! : dy[i + dd]! * (v + 1); }
      return;
    case "selu":
      for (let i = dxOff; i < end; i++) {
        const v = y[i + yd]!;
        dx[i] = v > 0 ? SELU_SCALE * dy[i + dd]! : dy[i + dd]! * (v + SELU_SCALE * SELU_ALPHA);
      }
      return;
    case "softplus":
      for (let i = dxOff; i < end; i++) dx[i] = dy[i + dd]! * -Math.expm1(-y[i + yd]!);
      return;
    case "softsign":
      for (let i = dxOff; i < end; i++) { const a = 1 - Math.abs(y[i + yd]!); dx[i] = dy[i + dd]! * a * a; }
      return;
  }
}

/** Row-wise softmax of x[rows, n] into y (numerically stable). */
export function softmaxRows(x: Float32Array, y: Float32Array, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let m = -Infinity;
    for (let j = 0; j < n; j++) if (x[o + j]! > m) m = x[o + j]!;
    let s = 0;
    for (let j = 0; j < n; j++) { const e = Math.exp(x[o + j]! - m); y[o + j] = e; s += e; }
    const inv = 1 / s;
    for (let j = 0; j < n; j++) y[o + j] = y[o + j]! * inv;
  }
}

/** Backward of row-wise softmax: dx = y * (dy - sum(dy * y)); dx may alias dy. */
export function softmaxRowsBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += dy[o + j]! * y[o + j]!;
    for (let j = 0; j < n; j++) dx[o + j] = y[o + j]! * (dy[o + j]! - s);
  }
}

/** f'(x) written through y = f(x), for one value (used inside fused recurrent kernels). */
export function derivFromOutput(f: Activation, y: number): number {
  switch (f) {
    case "tanh": return 1 - y * y;
    case "sigmoid": return y * (1 - y);
    case "hardSigmoid": return y > 0 && y < 1 ? 0.2 : 0;
    case "linear": return 1;
    case "relu": return y > 0 ? 1 : 0;
    case "relu6": return y > 0 && y < 6 ? 1 : 0;
    case "elu": return y > 0 ? 1 : y + 1;
    case "selu": return y > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
    case "softplus": return -Math.expm1(-y);
    case "softsign": { const a = 1 - Math.abs(y); return a * a; }
  }
}
