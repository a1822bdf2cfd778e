// Long sequences cut into chunks for truncated backpropagation through time with stateful layers.

import { Tensor } from "../tensor/tensor.js";
import { ShapeError, ConfigError } from "../tensor/errors.js";

export interface TbpttChunks {
  /** [chunks · streams, steps, ...features]: chunk k of every stream, then chunk k + 1, … */
  x: Tensor;
  /** Targets laid out like x (when given). */
  y: Tensor | null;
  /** The batch size to train with: one row per stream, so batch k + 1 continues batch k. */
  batchSize: number;
  /** Chunks per stream (batches per epoch). */
  chunks: number;
}

/**
 * Lay out S long sequences [S, L, ...] (and their per-step targets [S, L, ...]) as chunks of `steps`
 * for a stateful model: batch k holds chunk k of every stream, so with `batchSize: S`,
 * `shuffle: false` and stateful recurrent layers each batch continues from the states the previous
 * one ended with, and gradients flow back `steps` steps at most (truncated BPTT). Steps past the
 * last whole chunk are dropped. Train with `callbacks.resetStates()` so each epoch starts from zeros.
 */
export function tbpttChunks(x: Tensor, y: Tensor | null, opts: { steps: number }): TbpttChunks {
  if (!(x instanceof Tensor) || x.rank < 2) throw new ShapeError(`tbpttChunks: x must be a tensor [streams, length, ...features], got ${x instanceof Tensor ? `shape [${x.shape.join(", ")}]` : typeof x}`);
  const steps = opts?.steps;
  if (!Number.isInteger(steps) || steps <= 0) throw new ConfigError(`tbpttChunks: steps must be a positive integer, got ${String(steps)}`);
  const S = x.shape[0]!, L = x.shape[1]!;
  if (y !== null && (!(y instanceof Tensor) || y.rank < 2 || y.shape[0] !== S || y.shape[1] !== L)) {
    throw new ShapeError(`tbpttChunks: y must be [${S}, ${L}, ...] like x, got ${y instanceof Tensor ? `[${y.shape.join(", ")}]` : typeof y}`);
  }
  const chunks = Math.floor(L / steps);
  if (chunks === 0) throw new ConfigError(`tbpttChunks: sequences of ${L} steps hold no chunk of ${steps}`);
  const cut = (t: Tensor): Tensor => {
    const F = t.size / (S * L);
    const out = new Float32Array(chunks * S * steps * F);
    for (let k = 0; k < chunks; k++) {
      for (let s = 0; s < S; s++) {
        const src = (s * L + k * steps) * F;
        out.set(t.data.subarray(src, src + steps * F), (k * S + s) * steps * F);
      }
    }
    return new Tensor(out, [chunks * S, steps, ...t.shape.slice(2)]);
  };
  return { x: cut(x), y: y ? cut(y) : null, batchSize: S, chunks };
}
