// gemm against a naive float64 triple loop: every transpose combination, odd sizes that miss the
// 4x4 register blocks, views into larger buffers (offsets, leading dimensions wider than the rows), alpha and beta.

import { describe, it, expect } from "vitest";
import { gemm, addColumnSums, fillRows } from "../../src/kernels/gemm.js";
import { Rng } from "../../src/tensor/rng.js";

const TOL = 1e-5; // relative to the largest |C| entry; float32 sums of <= 33 products of values in ±1

interface Case {
  transA: boolean; transB: boolean;
  M: number; N: number; K: number;
  alpha: number; beta: number;
  aOff: number; bOff: number; cOff: number;
  padA: number; padB: number; padC: number; // extra columns: ld = width + pad
}

function fill(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

/** Runs gemm on a case; returns max |C − reference| / max(max |reference|, 1e-3) over C and that padding was untouched. */
function runCase(c: Case, rng: Rng, cInit?: number): { err: number; untouched: boolean } {
  const { transA, transB, M, N, K } = c;
  // stored shapes: A is [M,K] or [K,M]; B is [K,N] or [N,K]
  const aRows = transA ? K : M, aCols = transA ? M : K;
  const bRows = transB ? N : K, bCols = transB ? K : N;
  const lda = aCols + c.padA, ldb = bCols + c.padB, ldc = N + c.padC;
  const A = fill(c.aOff + aRows * lda, rng);
  const B = fill(c.bOff + bRows * ldb, rng);
  const C = fill(c.cOff + M * ldc, rng);
  if (cInit !== undefined) C.fill(cInit);
  const C0 = C.slice();
  gemm(transA, transB, M, N, K, c.alpha, A, c.aOff, lda, B, c.bOff, ldb, c.beta, C, c.cOff, ldc);

  const opA = (i: number, k: number): number => (transA ? A[c.aOff + k * lda + i]! : A[c.aOff + i * lda + k]!);
  const opB = (k: number, j: number): number => (transB ? B[c.bOff + j * ldb + k]! : B[c.bOff + k * ldb + j]!);
  let maxDiff = 0, maxRef = 1e-3;
  const touched = new Set<number>();
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += opA(i, k) * opB(k, j);
      const idx = c.cOff + i * ldc + j;
      touched.add(idx);
      const ref = c.alpha * s + (c.beta === 0 ? 0 : c.beta * C0[idx]!);
      maxDiff = Math.max(maxDiff, Math.abs(C[idx]! - ref));
      maxRef = Math.max(maxRef, Math.abs(ref));
    }
  }
  let untouched = true;
  for (let idx = 0; idx < C.length; idx++) {
    if (!touched.has(idx) && !Object.is(C[idx], C0[idx])) untouched = false;
  }
  return { err: maxDiff / maxRef, untouched };
}

const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 33];

describe("gemm vs a float64 triple loop", () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      it(`transA=${transA} transB=${transB}: every M, N, K in {1..9, 17, 33}, with offsets and padded leading dimensions`, () => {
        const rng = new Rng(transA ? (transB ? 4 : 3) : transB ? 2 : 1);
        let worst = 0;
        let cases = 0;
        for (const M of SIZES) {
          for (const N of SIZES) for (const K of SIZES) {
            const c: Case = {
              transA, transB, M, N, K, alpha: 1, beta: 0,
              aOff: (M + N) % 3, bOff: (M * N) % 5, cOff: (N + 1) % 4,
              padA: M % 3, padB: N % 2, padC: (M + K) % 3,
            };
            const r = runCase(c, rng);
            expect(r.untouched).toBe(true); // nothing outside the C view is written
            worst = Math.max(worst, r.err);
            cases++;
          }
        }
        expect(cases).toBe(SIZES.length ** 3);
        expect(worst).toBeLessThan(TOL);
      });
    }
  }

  it("beta = 0 overwrites C, even where it held NaN", () => {
    const rng = new Rng(12);
    for (const transA of [false, true]) for (const transB of [false, true]) {
      const c: Case = { transA, transB, M: 7, N: 5, K: 9, alpha: 1, beta: 0, aOff: 0, bOff: 0, cOff: 2, padA: 1, padB: 0, padC: 2 };
      const r = runCase(c, rng, NaN);
      expect(r.err).toBeLessThan(TOL); // a NaN anywhere in the view would make err NaN and fail
    }
    // K = 0 with beta = 0: C becomes exactly zero (the empty sum), NaN included
    const C = new Float32Array([NaN, NaN, NaN, NaN]);
    gemm(false, false, 2, 2, 0, 1, new Float32Array(0), 0, 0, new Float32Array(0), 0, 2, 0, C, 0, 2);
    expect(Array.from(C)).toEqual([0, 0, 0, 0]);
  });

  it("beta = 1 accumulates, beta = 0.5 scales, alpha ≠ 1 scales the product", () => {
    const rng = new Rng(13);
    let worst = 0;
    for (const transA of [false, true]) for (const transB of [false, true]) {
      for (const [alpha, beta] of [[1, 1], [-2.5, 1], [0.3, 0.5], [1, -1], [0, 0.5]] as const) {
        const r = runCase({ transA, transB, M: 17, N: 9, K: 33, alpha, beta, aOff: 3, bOff: 1, cOff: 5, padA: 4, padB: 2, padC: 3 }, rng);
        expect(r.untouched).toBe(true);
        worst = Math.max(worst, r.err);
      }
    }
    expect(worst).toBeLessThan(TOL);
  });

  it("accumulating twice with beta = 1 doubles the product (the pattern of weight-gradient sums)", () => {
    const A = new Float32Array([1, 2, 3, 4, 5, 6]); // [2,3]
    const B = new Float32Array([1, 0, 0, 1, 1, 1]); // [3,2]
    const C = new Float32Array(4);
    gemm(false, false, 2, 2, 3, 1, A, 0, 3, B, 0, 2, 1, C, 0, 2);
    gemm(false, false, 2, 2, 3, 1, A, 0, 3, B, 0, 2, 1, C, 0, 2);
    // A·B = [[1+3, 2+3], [4+6, 5+6]] = [[4, 5], [10, 11]]
    expect(Array.from(C)).toEqual([8, 10, 20, 22]);
  });
});

describe("gemm helpers", () => {
  it("addColumnSums adds the column sums into an offset view", () => {
    const X = new Float32Array([1, 2, 3, 4, 5, 6]); // [3,2]
    const out = new Float32Array([10, 100, 1000]);
    addColumnSums(X, 3, 2, out, 1);
    expect(Array.from(out)).toEqual([10, 100 + 9, 1000 + 12]);
  });

  it("fillRows broadcasts a bias, or zeros without one", () => {
    const Y = new Float32Array(7).fill(NaN);
    fillRows(Y, 1, 2, 3, new Float32Array([9, 1, 2, 3]), 1);
    expect(Array.from(Y.subarray(1))).toEqual([1, 2, 3, 1, 2, 3]);
    expect(Number.isNaN(Y[0]!)).toBe(true);
    fillRows(Y, 1, 2, 3, null);
    expect(Array.from(Y.subarray(1))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe("gemm: large weight-gradient products (op(A) = Aᵀ, long K), the blocked float64 path", () => {
  // These shapes are dW += xᵀ·dZ and dU += hᵀ·dZ over [T·B, ·]: K is time × batch, N up to 4H.
  const shapes: [number, number, number][] = [[50, 512, 64], [128, 512, 300], [7, 260, 530], [65, 257, 1600], [1, 300, 64]];
  for (const [M, N, K] of shapes) {
    for (const transB of [false, true]) {
      it(`M=${M} N=${N} K=${K} transB=${transB}, with offsets, padding, alpha and beta`, () => {
        const rng = new Rng(M * 31 + N * 7 + K);
        const r = runCase({ transA: true, transB, M, N, K, alpha: 0.7, beta: 1, aOff: 3, bOff: 5, cOff: 2, padA: 2, padB: 1, padC: 3 }, rng);
        expect(r.err).toBeLessThan(1e-5 * Math.sqrt(K / 33)); // float32 sums of K products
        expect(r.untouched).toBe(true);
      });
    }
  }
});
