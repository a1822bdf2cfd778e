// General matrix multiply, row-major, BLAS-style: C = alpha * op(A) * op(B) + beta * C.
// Reference TypeScript (DESIGN decision 6: faster backends must match it). Scalar JavaScript tops
// out near 6 GFLOP/s here, and what gets there is keeping the accumulators in registers:
//   - direct path: 3x4 register blocks (12 accumulators + 4 values of B + 1 of A fit the 15
//     usable x64 float registers; 4x4 spills), rows left over by 1x8 strips (this is also the
//     whole product at batch 1), columns left over one at a time;
//   - packed path for op(A) = Aᵀ with a long K (the weight gradients xᵀ·dZ, hᵀ·dZ over T*B rows):
//     both operands strided by whole rows per k, so blocks of K are copied into contiguous
//     float64 panels first (Goto-style), which also keeps them in cache.
// Sums run in float64 and are rounded into C once per product (direct) or per block of KC (packed).

const MR = 3; // rows of a register block
const NR = 4; // columns of a register block
const KC = 256; // depth of a packed block
const NC = 256; // columns of a packed block
// Packing scratch, allocated once: B panels [NC/NR][KC][NR] and an A sliver [KC][MR].
const packB = new Float64Array(KC * NC);
const packA = new Float64Array(KC * MR);

/**
 * C[M,N] = alpha * op(A)[M,K] · op(B)[K,N] + beta * C.
 * op(A) is A [M,K] (lda >= K) or, with transA, Aᵀ where A is [K,M] (lda >= M); likewise B.
 * Offsets let callers multiply views into larger buffers without copying.
 * beta = 0 overwrites C (NaN in C is not propagated); beta = 1 accumulates.
 */
export function gemm(
  transA: boolean, transB: boolean,
  M: number, N: number, K: number,
  alpha: number,
  A: Float32Array, aOff: number, lda: number,
  B: Float32Array, bOff: number, ldb: number,
  beta: number,
  C: Float32Array, cOff: number, ldc: number,
): void {
  if (beta !== 1) {
    for (let i = 0; i < M; i++) {
      const row = cOff + i * ldc;
      if (beta === 0) C.fill(0, row, row + N);
      else for (let j = 0; j < N; j++) C[row + j] *= beta;
    }
  }
  if (M === 0 || N === 0 || K === 0 || alpha === 0) return;
  // strides of op(A)(i,k) and op(B)(k,j)
  const sai = transA ? 1 : lda;
  const sak = transA ? lda : 1;
  const sbk = transB ? 1 : ldb;
  const sbj = transB ? ldb : 1;
  if (transA && M >= MR && N >= NR && K >= 64) {
    gemmPacked(M, N, K, alpha, A, aOff, sai, sak, B, bOff, sbk, sbj, C, cOff, ldc);
  } else {
    gemmDirect(M, N, K, alpha, A, aOff, sai, sak, B, bOff, sbk, sbj, C, cOff, ldc);
  }
}

/** C += alpha · op(A)·op(B) straight from the operands (strides given per index). */
function gemmDirect(
  M: number, N: number, K: number, alpha: number,
  A: Float32Array, aOff: number, sai: number, sak: number,
  B: Float32Array, bOff: number, sbk: number, sbj: number,
  C: Float32Array, cOff: number, ldc: number,
): void {
  const Mb = M - (M % MR);
  const Nb = N - (N % NR);
  const sb2 = 2 * sbj, sb3 = 3 * sbj;
  for (let i = 0; i < Mb; i += MR) {
    const a0 = aOff + i * sai;
    for (let j = 0; j < Nb; j += NR) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let pa = a0;
      let pb = bOff + j * sbj;
      for (let k = 0; k < K; k++) {
        const b0 = B[pb]!, b1 = B[pb + sbj]!, b2 = B[pb + sb2]!, b3 = B[pb + sb3]!;
        let x = A[pa]!;
        c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
        x = A[pa + sai]!;
        c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
        x = A[pa + 2 * sai]!;
        c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
        pa += sak;
        pb += sbk;
      }
      let r = cOff + i * ldc + j;
      C[r] += alpha * c00; C[r + 1] += alpha * c01; C[r + 2] += alpha * c02; C[r + 3] += alpha * c03;
      r += ldc;
      C[r] += alpha * c10; C[r + 1] += alpha * c11; C[r + 2] += alpha * c12; C[r + 3] += alpha * c13;
      r += ldc;
      C[r] += alpha * c20; C[r + 1] += alpha * c21; C[r + 2] += alpha * c22; C[r + 3] += alpha * c23;
    }
    for (let j = Nb; j < N; j++) {
      for (let r = 0; r < MR; r++) {
        C[cOff + (i + r) * ldc + j] += alpha * dot(K, A, a0 + r * sai, sak, B, bOff + j * sbj, sbk);
      }
    }
  }
  for (let i = Mb; i < M; i++) rowStrip(N, K, alpha, A, aOff + i * sai, sak, B, bOff, sbk, sbj, C, cOff + i * ldc);
}

/** One row of C (length N) += alpha · a·op(B), 8 columns at a time. */
function rowStrip(
  N: number, K: number, alpha: number,
  A: Float32Array, pa0: number, sak: number,
  B: Float32Array, bOff: number, sbk: number, sbj: number,
  C: Float32Array, c0: number,
): void {
  const N8 = N - (N % 8);
  for (let j = 0; j < N8; j += 8) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    let pa = pa0;
    let pb = bOff + j * sbj;
    for (let k = 0; k < K; k++) {
      const x = A[pa]!;
      s0 += x * B[pb]!; s1 += x * B[pb + sbj]!; s2 += x * B[pb + 2 * sbj]!; s3 += x * B[pb + 3 * sbj]!;
      s4 += x * B[pb + 4 * sbj]!; s5 += x * B[pb + 5 * sbj]!; s6 += x * B[pb + 6 * sbj]!; s7 += x * B[pb + 7 * sbj]!;
      pa += sak;
      pb += sbk;
    }
    const r = c0 + j;
    C[r] += alpha * s0; C[r + 1] += alpha * s1; C[r + 2] += alpha * s2; C[r + 3] += alpha * s3;
    C[r + 4] += alpha * s4; C[r + 5] += alpha * s5; C[r + 6] += alpha * s6; C[r + 7] += alpha * s7;
  }
  for (let j = N8; j < N; j++) C[c0 + j] += alpha * dot(K, A, pa0, sak, B, bOff + j * sbj, sbk);
}

/** Σ_k a[k]·b[k] over strided vectors. */
function dot(K: number, A: Float32Array, pa: number, sa: number, B: Float32Array, pb: number, sb: number): number {
  let s0 = 0, s1 = 0;
  const K2 = K - (K % 2);
  for (let k = 0; k < K2; k += 2) {
    s0 += A[pa]! * B[pb]!;
    s1 += A[pa + sa]! * B[pb + sb]!;
    pa += 2 * sa;
    pb += 2 * sb;
  }
  if (K2 < K) s0 += A[pa]! * B[pb]!;
  return s0 + s1;
}

/**
 * C += alpha · op(A)·op(B) in blocks of KC × NC: op(B)'s block is copied into NR-column float64
 * panels and op(A)'s rows into MR-row slivers (zero-padded at the edges), then a 3x4 kernel runs
 * over contiguous memory.
 */
function gemmPacked(
  M: number, N: number, K: number, alpha: number,
  A: Float32Array, aOff: number, sai: number, sak: number,
  B: Float32Array, bOff: number, sbk: number, sbj: number,
  C: Float32Array, cOff: number, ldc: number,
): void {
  const pB = packB, pA = packA;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    for (let j0 = 0; j0 < N; j0 += NC) {
      const nc = Math.min(NC, N - j0);
      const panels = Math.ceil(nc / NR);
      for (let p = 0; p < panels; p++) { // pB[p][k][c] = op(B)(k0 + k, j0 + p·NR + c), zero past N
        const jp = j0 + p * NR;
        const w = Math.min(NR, N - jp);
        let q = p * kc * NR;
        for (let k = 0; k < kc; k++) {
          const src = bOff + (k0 + k) * sbk + jp * sbj;
          if (w === NR) {
            pB[q] = B[src]!; pB[q + 1] = B[src + sbj]!; pB[q + 2] = B[src + 2 * sbj]!; pB[q + 3] = B[src + 3 * sbj]!;
          } else {
            for (let c = 0; c < NR; c++) pB[q + c] = c < w ? B[src + c * sbj]! : 0;
          }
          q += NR;
        }
      }
      for (let i0 = 0; i0 < M; i0 += MR) {
        const h = Math.min(MR, M - i0);
        let q = 0; // pA[k][r] = op(A)(i0 + r, k0 + k), zero past M
        for (let k = 0; k < kc; k++) {
          const src = aOff + i0 * sai + (k0 + k) * sak;
          pA[q] = A[src]!;
          pA[q + 1] = h > 1 ? A[src + sai]! : 0;
          pA[q + 2] = h > 2 ? A[src + 2 * sai]! : 0;
          q += MR;
        }
        for (let p = 0; p < panels; p++) {
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
          let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
          let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
          let pa = 0;
          let pb = p * kc * NR;
          for (let k = 0; k < kc; k++) {
            const b0 = pB[pb]!, b1 = pB[pb + 1]!, b2 = pB[pb + 2]!, b3 = pB[pb + 3]!;
            let x = pA[pa]!;
            c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
            x = pA[pa + 1]!;
            c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
            x = pA[pa + 2]!;
            c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
            pa += MR;
            pb += NR;
          }
          const jp = j0 + p * NR;
          const r = cOff + i0 * ldc + jp;
          if (h === MR && jp + NR <= N) {
            C[r] += alpha * c00; C[r + 1] += alpha * c01; C[r + 2] += alpha * c02; C[r + 3] += alpha * c03;
            const r1 = r + ldc;
            C[r1] += alpha * c10; C[r1 + 1] += alpha * c11; C[r1 + 2] += alpha * c12; C[r1 + 3] += alpha * c13;
            const r2 = r1 + ldc;
            C[r2] += alpha * c20; C[r2 + 1] += alpha * c21; C[r2 + 2] += alpha * c22; C[r2 + 3] += alpha * c23;
          } else {
            const w = Math.min(NR, N - jp);
            storeEdge(C, r, w, alpha, c00, c01, c02, c03);
            if (h > 1) storeEdge(C, r + ldc, w, alpha, c10, c11, c12, c13);
            if (h > 2) storeEdge(C, r + 2 * ldc, w, alpha, c20, c21, c22, c23);
          }
        }
      }
    }
  }
}

/** C[r .. r+w) += alpha · (v0, v1, v2, v3) for the first w values. */
function storeEdge(C: Float32Array, r: number, w: number, alpha: number, v0: number, v1: number, v2: number, v3: number): void {
  C[r] += alpha * v0;
  if (w > 1) C[r + 1] += alpha * v1;
  if (w > 2) C[r + 2] += alpha * v2;
  if (w > 3) C[r + 3] += alpha * v3;
}

/** out[j] += sum over rows of X[rows, N] (column sums; used for bias gradients). */
export function addColumnSums(X: Float32Array, rows: number, N: number, out: Float32Array, outOff = 0): void {
  for (let r = 0; r < rows; r++) {
    const o = r * N;
    for (let j = 0; j < N; j++) out[outOff + j] += X[o + j]!;
  }
}

/** Y[yOff..][rows, N] = broadcast bias[N] (the starting value of an affine map before a beta=1 GEMM). */
export function fillRows(Y: Float32Array, yOff: number, rows: number, N: number, bias: Float32Array | null, biasOff = 0): void {
  if (!bias) {
    Y.fill(0, yOff, yOff + rows * N);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const o = yOff + r * N;
    for (let j = 0; j < N; j++) Y[o + j] = bias[biasOff + j]!;
  }
}
