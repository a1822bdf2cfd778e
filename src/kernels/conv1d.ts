// 1-D convolution and pooling over batch-major sequences [B, L, C] (channels last, as Keras).
// Convolution is im2col + one GEMM (run by the backend): these kernels only gather the windows into
// rows and scatter their gradients back. Pooling is done here entirely (no GEMM fits).

import { ConfigError, ShapeError } from "../tensor/errors.js";

export type Padding1d = "valid" | "same" | "causal";

/** Output length and left padding of a window sweep (Keras / TensorFlow semantics). */
export interface Geometry1d {
  /** Output length T'. */
  out: number;
  /** Zero (or ignored) positions before the first input step. */
  padLeft: number;
}

/**
 * Where the windows fall. `window` is the effective extent (kernelSize − 1)·dilation + 1.
 * - valid: no padding, T' = ⌊(L − window) / stride⌋ + 1 (L ≥ window needed).
 * - same: T' = ⌈L / stride⌉; total padding max((T' − 1)·stride + window − L, 0), ⌊total / 2⌋ on the left.
 * - causal: (window − 1) on the left, then valid: T' = ⌊(L − 1) / stride⌋ + 1.
 * Throws ShapeError (naming `where`) when the sequence is shorter than a valid window.
 */
export function geometry1d(L: number, window: number, stride: number, padding: Padding1d, where: string): Geometry1d {
  switch (padding) {
    case "valid":
      if (L < window) {
        throw new ShapeError(`${where}: the input has ${L} steps, fewer than the window of ${window} steps that "valid" padding needs; use a shorter kernel or pool, or padding "same"${where.includes("Conv1D") ? " or \"causal\"" : ""}`);
      }
      return { out: Math.floor((L - window) / stride) + 1, padLeft: 0 };
    case "same": {
      const out = Math.ceil(L / stride);
      const total = Math.max((out - 1) * stride + window - L, 0);
      return { out, padLeft: Math.floor(total / 2) };
    }
    case "causal":
      return { out: Math.floor((L - 1) / stride) + 1, padLeft: window - 1 };
    default:
      throw new ConfigError(`${where}: unknown padding "${String(padding)}"; choose one of valid, same, causal`);
  }
}

/** The fields of im2col / col2im: x [B, L, C] ↔ cols [B·T', K·C] (window offsets k, then channels). */
export interface Im2colArgs {
  B: number;
  L: number;
  C: number;
  K: number;
  stride: number;
  dilation: number;
  padLeft: number;
  out: number;
}

/** cols[(b·T' + t), k·C + c] = x[b, t·stride + k·dilation − padLeft, c], or 0 outside the sequence. */
export function im2col(p: Im2colArgs, x: Float32Array, cols: Float32Array): void {
  const { B, L, C, K, stride, dilation, padLeft, out } = p;
  const row = K * C;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < out; t++) {
      const r = (b * out + t) * row;
      for (let k = 0; k < K; k++) {
        const s = t * stride + k * dilation - padLeft;
        const o = r + k * C;
        if (s < 0 || s >= L) {
          cols.fill(0, o, o + C);
          continue;
        }
        const xo = (b * L + s) * C;
        for (let c = 0; c < C; c++) cols[o + c] = x[xo + c]!;
      }
    }
  }
}

/** dx = 0, then dx[b, t·stride + k·dilation − padLeft, c] += dcols[(b·T' + t), k·C + c] (padding gets nothing). */
export function col2im(p: Im2colArgs, dcols: Float32Array, dx: Float32Array): void {
  const { B, L, C, K, stride, dilation, padLeft, out } = p;
  const row = K * C;
  dx.fill(0, 0, B * L * C);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < out; t++) {
      const r = (b * out + t) * row;
      for (let k = 0; k < K; k++) {
        const s = t * stride + k * dilation - padLeft;
        if (s < 0 || s >= L) continue;
        const o = r + k * C;
        const xo = (b * L + s) * C;
        for (let c = 0; c < C; c++) dx[xo + c] += dcols[o + c]!;
      }
    }
  }
}

/** Pooling windows over x [B, L, C]: window `pool`, step `stride`, `padLeft` ignored positions first. */
export interface Pool1dArgs {
  B: number;
  L: number;
  C: number;
  pool: number;
  stride: number;
  padLeft: number;
  out: number;
}

/**
 * Max over the real entries of each window: y [B, T', C]; arg [B, T', C] receives the input step of
 * the maximum (the first one on ties), for backward.
 */
export function maxPool1d(p: Pool1dArgs, x: Float32Array, y: Float32Array, arg: Int32Array): void {
  const { B, L, C, pool, stride, padLeft, out } = p;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < out; t++) {
      const s0 = Math.max(t * stride - padLeft, 0);
      const s1 = Math.min(t * stride - padLeft + pool, L);
      const yo = (b * out + t) * C;
      for (let c = 0; c < C; c++) {
        let best = -Infinity, at = s0;
        for (let s = s0; s < s1; s++) {
          const v = x[(b * L + s) * C + c]!;
          if (v > best || Number.isNaN(v)) { best = v; at = s; if (Number.isNaN(v)) break; }
        }
        y[yo + c] = best;
        arg[yo + c] = at;
      }
    }
  }
}

/** dx = 0, then each output's gradient goes to the input step that held its maximum. */
export function maxPool1dBackward(p: Pool1dArgs, dy: Float32Array, arg: Int32Array, dx: Float32Array): void {
  const { B, L, C, out } = p;
  dx.fill(0, 0, B * L * C);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < out; t++) {
      const yo = (b * out + t) * C;
      for (let c = 0; c < C; c++) dx[(b * L + arg[yo + c]!) * C + c] += dy[yo + c]!;
    }
  }
}

/** Mean over the real entries of each window (padding is not counted, as Keras's "same"). */
export function avgPool1d(p: Pool1dArgs, x: Float32Array, y: Float32Array): void {
  const { B, L, C, pool, stride, padLeft, out } = p;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < out; t++) {
      const s0 = Math.max(t * stride - padLeft, 0);
      const s1 = Math.min(t * stride - padLeft + pool, L);
      const inv = 1 / (s1 - s0);
      const yo = (b * out + t) * C;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let s = s0; s < s1; s++) sum += x[(b * L + s) * C + c]!;
        y[yo + c] = sum * inv;
      }
    }
  }
}

export function avgPool1dBackward(p: Pool1dArgs, dy: Float32Array, dx: Float32Array): void {
  const { B, L, C, pool, stride, padLeft, out } = p;
  dx.fill(0, 0, B * L * C);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < out; t++) {
      const s0 = Math.max(t * stride - padLeft, 0);
      const s1 = Math.min(t * stride - padLeft + pool, L);
      const inv = 1 / (s1 - s0);
      const yo = (b * out + t) * C;
      for (let s = s0; s < s1; s++) {
        const xo = (b * L + s) * C;
        for (let c = 0; c < C; c++) dx[xo + c] += dy[yo + c]! * inv;
      }
    }
  }
}
