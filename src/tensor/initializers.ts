// Weight initializers with Keras's names and rules (fan_in / fan_out of a [rows, cols] kernel).

import { ConfigError } from "./errors.js";
import { Rng } from "./rng.js";

export type InitializerName =
  | "glorotUniform"
  | "glorotNormal"
  | "heUniform"
  | "heNormal"
  | "lecunUniform"
  | "lecunNormal"
  | "orthogonal"
  | "zeros"
  | "ones"
  | "randomUniform"
  | "randomNormal";

export const INITIALIZERS: readonly InitializerName[] = [
  "glorotUniform", "glorotNormal", "heUniform", "heNormal", "lecunUniform", "lecunNormal",
  "orthogonal", "zeros", "ones", "randomUniform", "randomNormal",
];

/**
 * Fill `out` (a [rows, cols] matrix, or a vector when rows = 1) by the named rule.
 * fanIn = rows, fanOut = cols, as Keras computes them for a 2-D kernel.
 */
export function initialize(name: InitializerName, out: Float32Array, rows: number, cols: number, rng: Rng): void {
  const fanIn = rows;
  const fanOut = cols;
  switch (name) {
    case "zeros":
      out.fill(0);
      return;
    case "ones":
      out.fill(1);
      return;
    case "glorotUniform":
      return uniform(out, Math.sqrt(6 / (fanIn + fanOut)), rng);
    case "glorotNormal":
      return truncNormal(out, Math.sqrt(2 / (fanIn + fanOut)), rng);
    case "heUniform":
      return uniform(out, Math.sqrt(6 / fanIn), rng);
    case "heNormal":
      return truncNormal(out, Math.sqrt(2 / fanIn), rng);
    case "lecunUniform":
      return uniform(out, Math.sqrt(3 / fanIn), rng);
    case "lecunNormal":
      return truncNormal(out, Math.sqrt(1 / fanIn), rng);
    case "randomUniform":
      return uniform(out, 0.05, rng);
    case "randomNormal":
      for (let i = 0; i < out.length; i++) out[i] = 0.05 * rng.normal();
      return;
    case "orthogonal":
      return orthogonal(out, rows, cols, rng);
    default:
      throw new ConfigError(`unknown initializer "${name as string}"; choose one of ${INITIALIZERS.join(", ")}`);
  }
}

function uniform(out: Float32Array, limit: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-limit, limit);
}

/** Normal truncated at two standard deviations, rescaled as Keras does (stddev / .87962566). */
function truncNormal(out: Float32Array, std: number, rng: Rng): void {
  const s = std / 0.87962566103423978;
  for (let i = 0; i < out.length; i++) {
    let v: number;
    do v = rng.normal();
    while (Math.abs(v) > 2);
    out[i] = v * s;
  }
}

/**
 * Orthogonal matrix [rows, cols] (gain 1): QR by modified Gram-Schmidt of a normal matrix,
 * with the sign correction that makes the distribution uniform (Keras's rule).
 */
function orthogonal(out: Float32Array, rows: number, cols: number, rng: Rng): void {
  // Work on the taller orientation: n vectors of length m with m >= n.
  const transpose = rows < cols;
  const m = transpose ? cols : rows;
  const n = transpose ? rows : cols;
  const a = new Float64Array(m * n); // column j at a[j*m .. j*m+m)
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  for (let j = 0; j < n; j++) {
    const vj = a.subarray(j * m, (j + 1) * m);
    for (let k = 0; k < j; k++) {
      const vk = a.subarray(k * m, (k + 1) * m);
      let dot = 0;
      for (let i = 0; i < m; i++) dot += vk[i]! * vj[i]!;
      for (let i = 0; i < m; i++) vj[i] = vj[i]! - dot * vk[i]!;
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += vj[i]! * vj[i]!;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < m; i++) vj[i] = vj[i]! / norm;
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // out[r, c] = Q[r, c] (or Q^T when transposed)
      out[r * cols + c] = transpose ? a[r * m + c]! : a[c * m + r]!;
    }
  }
}
