// Small deterministic data sets, temporary directories and bit-level comparisons shared by the
// model-level tests (test/models/** and test/models/save.test.ts).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng, Tensor } from "../../src/index.js";

/** Uniform values in [-scale, scale), from a seed. */
export function uniform(shape: number[], seed: number, scale = 1): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.uniform(-scale, scale);
  return new Tensor(d, shape);
}

/** Integer token ids in [0, vocab), shape [n, T]. */
export function tokens(n: number, T: number, vocab: number, seed: number): Tensor {
  const rng = new Rng(seed);
  const d = new Float32Array(n * T);
  for (let i = 0; i < d.length; i++) d[i] = rng.int(vocab);
  return new Tensor(d, [n, T]);
}

/**
 * Windows of noisy sines: x [n, T, 1] and the next value y [n, 1]. A learnable, smooth task, so
 * a few epochs move the weights a lot without any risk of overflow.
 */
export function sineWindows(n: number, T: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * T);
  const y = new Float32Array(n);
  for (let s = 0; s < n; s++) {
    const phase = rng.uniform(0, 2 * Math.PI);
    const freq = rng.uniform(0.2, 0.6);
    for (let t = 0; t < T; t++) x[s * T + t] = Math.sin(phase + freq * t) + 0.05 * rng.uniform(-1, 1);
    y[s] = Math.sin(phase + freq * T);
  }
  return { x: new Tensor(x, [n, T, 1]), y: new Tensor(y, [n, 1]) };
}

const made: string[] = [];

/** A fresh directory under os.tmpdir(); removed by removeTempDirs() (call it in afterAll). */
export async function tempDir(prefix = "recurrent-test-"): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/**
 * Index of the first element whose bits differ (so -0 vs 0 and NaN payloads count), or -1.
 * Returning an index makes a failure say where the arrays part.
 */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

/** Largest |a - b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Rows of a summary() table as [name (type), output shape, params] cells. */
export function summaryRows(summary: string): string[][] {
  return summary
    .split("\n")
    .filter((l) => l.startsWith("│"))
    .map((l) => l.split("│").slice(1, -1).map((c) => c.trim()));
}
