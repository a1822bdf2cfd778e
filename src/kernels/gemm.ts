// General matrix multiply, row-major, BLAS-style: C = alpha * op(A) * op(B) + beta * C.
// Reference TypeScript, register-blocked 4x4; faster backends must match it (DESIGN decision 6).

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
  // strides of op(A)(i,k) and op(B)(k,j)
  const sai = transA ? 1 : lda;
  const sak = transA ? lda : 1;
  const sbk = transB ? 1 : ldb;
  const sbj = transB ? ldb : 1;

  if (beta !== 1) {
    for (let i = 0; i < M; i++) {
      const row = cOff + i * ldc;
      if (beta === 0) C.fill(0, row, row + N);
      else for (let j = 0; j < N; j++) C[row + j] *= beta;
    }
  }
  if (K === 0 || alpha === 0) return;

  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let i = 0; i < M4; i += 4) {
    const a0 = aOff + i * sai, a1 = a0 + sai, a2 = a1 + sai, a3 = a2 + sai;
    for (let j = 0; j < N4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let pb = bOff + j * sbj;
      let pa = 0;
      for (let k = 0; k < K; k++) {
        const b0 = B[pb]!, b1 = B[pb + sbj]!, b2 = B[pb + 2 * sbj]!, b3 = B[pb + 3 * sbj]!;
        const x0 = A[a0 + pa]!, x1 = A[a1 + pa]!, x2 = A[a2 + pa]!, x3 = A[a3 + pa]!;
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
        pb += sbk;
        pa += sak;
      }
      let r = cOff + i * ldc + j;
      C[r] += alpha * c00; C[r + 1] += alpha * c01; C[r + 2] += alpha * c02; C[r + 3] += alpha * c03;
      r += ldc;
      C[r] += alpha * c10; C[r + 1] += alpha * c11; C[r + 2] += alpha * c12; C[r + 3] += alpha * c13;
      r += ldc;
      C[r] += alpha * c20; C[r + 1] += alpha * c21; C[r + 2] += alpha * c22; C[r + 3] += alpha * c23;
      r += ldc;
      C[r] += alpha * c30; C[r + 1] += alpha * c31; C[r + 2] += alpha * c32; C[r + 3] += alpha * c33;
    }
    for (let j = N4; j < N; j++) edge(i, j, 4);
  }
  for (let i = M4; i < M; i++) for (let j = 0; j < N; j++) edge(i, j, 1);

  function edge(i: number, j: number, rows: number): void {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      let pa = aOff + (i + r) * sai;
      let pb = bOff + j * sbj;
      for (let k = 0; k < K; k++) {
        s += A[pa]! * B[pb]!;
        pa += sak;
        pb += sbk;
      }
      C[cOff + (i + r) * ldc + j] += alpha * s;
    }
  }
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
