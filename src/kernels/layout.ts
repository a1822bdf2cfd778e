// Moves between the public batch-major layout [B, T, F] and the time-major layout [T, B, F]
// the recurrent kernels use internally (each step's slice contiguous).

/** dst[t, b, :] = src[b, t', :] with t' = t, or T-1-t when reverse (go backwards). */
export function toTimeMajor(src: Float32Array, dst: Float32Array, B: number, T: number, F: number, reverse: boolean): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const s = (b * T + (reverse ? T - 1 - t : t)) * F;
      const d = (t * B + b) * F;
      for (let k = 0; k < F; k++) dst[d + k] = src[s + k]!;
    }
  }
}

/** dst[b, t', :] = src[srcOff + (t * B + b) * F + :], the inverse of toTimeMajor. */
export function toBatchMajor(src: Float32Array, srcOff: number, dst: Float32Array, B: number, T: number, F: number, reverse: boolean): void {
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const s = srcOff + (t * B + b) * F;
      const d = (b * T + (reverse ? T - 1 - t : t)) * F;
      for (let k = 0; k < F; k++) dst[d + k] = src[s + k]!;
    }
  }
}
