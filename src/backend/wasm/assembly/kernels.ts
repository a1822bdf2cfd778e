// WebAssembly SIMD kernels of the wasm backend: a register-tiled SGEMM and the fused LSTM, GRU and
// SimpleRNN recurrences (default activations), matching src/kernels within float32 rounding.
//
// Every pointer is a byte address into the imported memory and 0 means null (the JS allocator never
// hands out address 0). Nothing here allocates: scratch (packed operands) lives at pWork, sized by
// the *WorkBytes functions below. Strides named s* are in bytes.

// GEMM tiling: a 4×8 register block (8 f32x4 accumulators, 2 of B, 1 splat of A: 11 of the 16 xmm
// registers V8 allocates from, so nothing spills), B packed into 8-column panels [k][8] so the
// inner loop reads it contiguously, and KC × NC blocks so one panel (KC·32 bytes) stays in L1 while
// every row tile of A passes over it. A is read in place: its 4 rows per k are 4 scalar loads.
const MR = 4;
const NR = 8;
const KC = 256;
const NC = 512;

export function heapBase(): usize {
  return __heap_base;
}

/** Bytes of op(B)[K, N] packed into NR-column panels (zero-padded to a whole panel). */
function packedBytes(K: i32, N: i32): i32 {
  return K * ((N + NR - 1) & ~(NR - 1)) * 4;
}

export function sgemmWorkBytes(): i32 {
  return packedBytes(KC, NC);
}

export function lstmWorkBytes(H: i32): i32 {
  return max(packedBytes(H, 4 * H), packedBytes(4 * H, H));
}

export function gruWorkBytes(H: i32): i32 {
  const resetAfter = max(packedBytes(H, 3 * H), packedBytes(3 * H, H));
  const classic = max(packedBytes(H, 2 * H) + packedBytes(H, H), packedBytes(H, H) + packedBytes(2 * H, H));
  return max(resetAfter, classic);
}

export function rnnWorkBytes(H: i32): i32 {
  return packedBytes(H, H);
}

// ---------------------------------------------------------------------------------------------
// GEMM

/** dst[p][k][0..8) = op(B)(k, 8p + c) for the K × N block at src, zero past N. */
function packB(K: i32, N: i32, src: usize, sbk: i32, sbj: i32, dst: usize): void {
  for (let j0 = 0; j0 < N; j0 += NR) {
    const w = min(NR, N - j0);
    let s = src + <usize>(j0 * sbj);
    if (w == NR && sbj == 4) {
      for (let k = 0; k < K; k++) {
        v128.store(dst, v128.load(s));
        v128.store(dst, v128.load(s, 16), 16);
        s += sbk;
        dst += 32;
      }
    } else {
      for (let k = 0; k < K; k++) {
        for (let c = 0; c < NR; c++) {
          store<f32>(dst + (c << 2), c < w ? load<f32>(s + <usize>(c * sbj)) : 0);
        }
        s += sbk;
        dst += 32;
      }
    }
  }
}

/** p[0..n) += lanes of v, for n < 4. */
@inline function addPartial(p: usize, v: v128, n: i32): void {
  store<f32>(p, load<f32>(p) + f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, load<f32>(p, 4) + f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, load<f32>(p, 8) + f32x4.extract_lane(v, 2), 8);
}

/** C row p[0..w) += alpha · (c0, c1) for w ≤ 8. */
@inline function addRow8(p: usize, c0: v128, c1: v128, w: i32, va: v128): void {
  c0 = f32x4.mul(c0, va);
  c1 = f32x4.mul(c1, va);
  if (w == NR) {
    v128.store(p, f32x4.add(v128.load(p), c0));
    v128.store(p, f32x4.add(v128.load(p, 16), c1), 16);
  } else if (w >= 4) {
    v128.store(p, f32x4.add(v128.load(p), c0));
    if (w > 4) addPartial(p + 16, c1, w - 4);
  } else {
    addPartial(p, c0, w);
  }
}

/** 4 rows × 8 columns: C += alpha · A[4, K] · B[K, 8], B rows sb bytes apart (32 in a packed panel). */
@inline function micro4x8(K: i32, pa: usize, sai: usize, sak: usize, pb: usize, sb: usize, pc: usize, sc: usize, w: i32, va: v128): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let a0 = pa, a1 = pa + sai, a2 = pa + 2 * sai, a3 = pa + 3 * sai;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load32_splat(a0);
    c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(a1);
    c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(a2);
    c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(a3);
    c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
    a0 += sak; a1 += sak; a2 += sak; a3 += sak;
    pb += sb;
  }
  addRow8(pc, c00, c01, w, va);
  addRow8(pc + sc, c10, c11, w, va);
  addRow8(pc + 2 * sc, c20, c21, w, va);
  addRow8(pc + 3 * sc, c30, c31, w, va);
}

/**
 * 1 row × 8 columns, B rows sb bytes apart (32 in a packed panel); two accumulator pairs (even and
 * odd k) hide the add latency.
 */
@inline function micro1x8(K: i32, pa: usize, sak: usize, pb: usize, sb: usize, pc: usize, w: i32, va: v128): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  let k = 0;
  for (; k + 1 < K; k += 2) {
    let a = v128.load32_splat(pa);
    c0 = f32x4.add(c0, f32x4.mul(a, v128.load(pb)));
    c1 = f32x4.add(c1, f32x4.mul(a, v128.load(pb, 16)));
    a = v128.load32_splat(pa + sak);
    d0 = f32x4.add(d0, f32x4.mul(a, v128.load(pb + sb)));
    d1 = f32x4.add(d1, f32x4.mul(a, v128.load(pb + sb, 16)));
    pa += 2 * sak;
    pb += 2 * sb;
  }
  if (k < K) {
    const a = v128.load32_splat(pa);
    c0 = f32x4.add(c0, f32x4.mul(a, v128.load(pb)));
    c1 = f32x4.add(c1, f32x4.mul(a, v128.load(pb, 16)));
  }
  addRow8(pc, f32x4.add(c0, d0), f32x4.add(c1, d1), w, va);
}

/**
 * C[M, N] += alpha · op(A)[M, K] · P[K, N], P packed by packB. op(A)(i, k) is at pA + i·sai + k·sak;
 * C rows are sc bytes apart. Panels outside, row tiles inside: the panel stays in L1.
 */
function gemmPacked(M: i32, N: i32, K: i32, alpha: f32, pA: usize, sai: usize, sak: usize, pP: usize, pC: usize, sc: usize): void {
  const va = f32x4.splat(alpha);
  const M4 = M & ~(MR - 1);
  for (let j0 = 0; j0 < N; j0 += NR) {
    const w = min(NR, N - j0);
    const pb = pP + <usize>(j0 * K * 4);
    const pc = pC + <usize>(j0 * 4);
    for (let i = 0; i < M4; i += MR) {
      micro4x8(K, pA + <usize>i * sai, sai, sak, pb, 32, pc + <usize>i * sc, sc, w, va);
    }
    for (let i = M4; i < M; i++) micro1x8(K, pA + <usize>i * sai, sak, pb, 32, pc + <usize>i * sc, w, va);
  }
}

/** Rows of C[M, N] set to 0 (beta = 0, so NaN in C does not survive) or scaled by beta. */
function scaleRows(M: i32, N: i32, beta: f32, pC: usize, sc: usize): void {
  if (beta == 1) return;
  for (let i = 0; i < M; i++) {
    const row = pC + <usize>i * sc;
    if (beta == 0) {
      memory.fill(row, 0, <usize>N * 4);
    } else {
      for (let j = 0; j < N; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) * beta);
    }
  }
}

/**
 * C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C, row-major, leading dimensions in elements,
 * the semantics of src/kernels/gemm.ts. pWork: sgemmWorkBytes() of scratch.
 */
export function sgemm(
  transA: bool, transB: bool, M: i32, N: i32, K: i32, alpha: f32,
  pA: usize, lda: i32, pB: usize, ldb: i32, beta: f32, pC: usize, ldc: i32, pWork: usize,
): void {
  const sc = <usize>ldc * 4;
  scaleRows(M, N, beta, pC, sc);
  if (M <= 0 || N <= 0 || K <= 0 || alpha == 0) return;
  const sai: usize = transA ? 4 : <usize>lda * 4;
  const sak: usize = transA ? <usize>lda * 4 : 4;
  const sbk = transB ? 4 : ldb * 4;
  const sbj = transB ? ldb * 4 : 4;
  if (M <= GEMV_ROWS && !transB) {
    gemvRows(M, N, K, alpha, pA, sai, sak, pB, <usize>sbk, pC, sc);
    return;
  }
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = min(NC, N - j0);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      packB(kc, nc, pB + <usize>(k0 * sbk) + <usize>(j0 * sbj), sbk, sbj, pWork);
      gemmPacked(M, nc, kc, alpha, pA + <usize>k0 * sak, sai, sak, pWork, pC + <usize>j0 * 4, sc);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GEMV: products of 1 to 4 rows (batch-1 to batch-4 inference, one recurrent step)
//
// With so few rows, every element of B is used by at most 4 multiplies, so packing B would cost
// as much as the product: B is read row-major in place. A 1×8 strip pays its loop overhead per 16
// flops, so each row count gets the widest column block whose accumulators, B loads and splat fit
// the 15 xmm registers V8 allocates (1×24, 2×16, 3×8, 4×8). 1×32 does not: V8 issues all 8 loads
// of a k before the multiplies, spills an accumulator, and the loop runs at half speed.

const GEMV_ROWS = 4;

/** C[0, j..) += alpha · A[0, :] · B[:, j..) over 24-column blocks, then 8-column strips; returns the columns done. */
function gemv1(N: i32, K: i32, va: v128, pa: usize, sak: usize, pB: usize, sbk: usize, pc: usize): i32 {
  let j = 0;
  for (; j + 24 <= N; j += 24) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
    let c3 = f32x4.splat(0), c4 = f32x4.splat(0), c5 = f32x4.splat(0);
    let a = pa, b = pB + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      const s = v128.load32_splat(a);
      c0 = f32x4.add(c0, f32x4.mul(s, v128.load(b)));
      c1 = f32x4.add(c1, f32x4.mul(s, v128.load(b, 16)));
      c2 = f32x4.add(c2, f32x4.mul(s, v128.load(b, 32)));
      c3 = f32x4.add(c3, f32x4.mul(s, v128.load(b, 48)));
      c4 = f32x4.add(c4, f32x4.mul(s, v128.load(b, 64)));
      c5 = f32x4.add(c5, f32x4.mul(s, v128.load(b, 80)));
      a += sak;
      b += sbk;
    }
    const p = pc + (<usize>j << 2);
    v128.store(p, f32x4.add(v128.load(p), f32x4.mul(c0, va)));
    v128.store(p, f32x4.add(v128.load(p, 16), f32x4.mul(c1, va)), 16);
    v128.store(p, f32x4.add(v128.load(p, 32), f32x4.mul(c2, va)), 32);
    v128.store(p, f32x4.add(v128.load(p, 48), f32x4.mul(c3, va)), 48);
    v128.store(p, f32x4.add(v128.load(p, 64), f32x4.mul(c4, va)), 64);
    v128.store(p, f32x4.add(v128.load(p, 80), f32x4.mul(c5, va)), 80);
  }
  for (; j + 8 <= N; j += 8) micro1x8(K, pa, sak, pB + (<usize>j << 2), sbk, pc + (<usize>j << 2), NR, va);
  return j;
}

/** 2 rows over 16-column blocks; returns the columns done. */
function gemv2(N: i32, K: i32, va: v128, pa: usize, sai: usize, sak: usize, pB: usize, sbk: usize, pc: usize, sc: usize): i32 {
  let j = 0;
  for (; j + 16 <= N; j += 16) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
    let a0 = pa, a1 = pa + sai, b = pB + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32), b3 = v128.load(b, 48);
      let s = v128.load32_splat(a0);
      c00 = f32x4.add(c00, f32x4.mul(s, b0)); c01 = f32x4.add(c01, f32x4.mul(s, b1));
      c02 = f32x4.add(c02, f32x4.mul(s, b2)); c03 = f32x4.add(c03, f32x4.mul(s, b3));
      s = v128.load32_splat(a1);
      c10 = f32x4.add(c10, f32x4.mul(s, b0)); c11 = f32x4.add(c11, f32x4.mul(s, b1));
      c12 = f32x4.add(c12, f32x4.mul(s, b2)); c13 = f32x4.add(c13, f32x4.mul(s, b3));
      a0 += sak;
      a1 += sak;
      b += sbk;
    }
    const p = pc + (<usize>j << 2);
    addRow16(p, c00, c01, c02, c03, va);
    addRow16(p + sc, c10, c11, c12, c13, va);
  }
  return j;
}

@inline function addRow16(p: usize, c0: v128, c1: v128, c2: v128, c3: v128, va: v128): void {
  v128.store(p, f32x4.add(v128.load(p), f32x4.mul(c0, va)));
  v128.store(p, f32x4.add(v128.load(p, 16), f32x4.mul(c1, va)), 16);
  v128.store(p, f32x4.add(v128.load(p, 32), f32x4.mul(c2, va)), 32);
  v128.store(p, f32x4.add(v128.load(p, 48), f32x4.mul(c3, va)), 48);
}

/** 3 rows over 8-column blocks; returns the columns done. */
function gemv3(N: i32, K: i32, va: v128, pa: usize, sai: usize, sak: usize, pB: usize, sbk: usize, pc: usize, sc: usize): i32 {
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
    let a0 = pa, a1 = pa + sai, a2 = pa + 2 * sai, b = pB + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      const b0 = v128.load(b), b1 = v128.load(b, 16);
      let s = v128.load32_splat(a0);
      c00 = f32x4.add(c00, f32x4.mul(s, b0)); c01 = f32x4.add(c01, f32x4.mul(s, b1));
      s = v128.load32_splat(a1);
      c10 = f32x4.add(c10, f32x4.mul(s, b0)); c11 = f32x4.add(c11, f32x4.mul(s, b1));
      s = v128.load32_splat(a2);
      c20 = f32x4.add(c20, f32x4.mul(s, b0)); c21 = f32x4.add(c21, f32x4.mul(s, b1));
      a0 += sak;
      a1 += sak;
      a2 += sak;
      b += sbk;
    }
    const p = pc + (<usize>j << 2);
    addRow8(p, c00, c01, NR, va);
    addRow8(p + sc, c10, c11, NR, va);
    addRow8(p + 2 * sc, c20, c21, NR, va);
  }
  return j;
}

/** 4 rows over 8-column blocks (the 4×8 tile on B in place); returns the columns done. */
function gemv4(N: i32, K: i32, va: v128, pa: usize, sai: usize, sak: usize, pB: usize, sbk: usize, pc: usize, sc: usize): i32 {
  let j = 0;
  for (; j + 8 <= N; j += 8) micro4x8(K, pa, sai, sak, pB + (<usize>j << 2), sbk, pc + (<usize>j << 2), sc, NR, va);
  return j;
}

/**
 * Up to 4 columns (w ≤ 4, read lane by lane when fewer, so nothing past a row is touched) of M
 * rows: what the column blocks leave. Even and odd k in two accumulators, as in micro1x8.
 */
function gemvTail(M: i32, K: i32, va: v128, pa: usize, sai: usize, sak: usize, pb: usize, sbk: usize, pc: usize, sc: usize, w: i32): void {
  for (let i = 0; i < M; i++) {
    let c = f32x4.splat(0), d = f32x4.splat(0);
    let a = pa + <usize>i * sai, b = pb;
    let k = 0;
    for (; k + 1 < K; k += 2) {
      c = f32x4.add(c, f32x4.mul(v128.load32_splat(a), ld(b, w)));
      d = f32x4.add(d, f32x4.mul(v128.load32_splat(a + sak), ld(b + sbk, w)));
      a += 2 * sak;
      b += 2 * sbk;
    }
    if (k < K) c = f32x4.add(c, f32x4.mul(v128.load32_splat(a), ld(b, w)));
    const p = pc + <usize>i * sc;
    st(p, f32x4.add(ld(p, w), f32x4.mul(f32x4.add(c, d), va)), w);
  }
}

/**
 * C[M, N] += alpha · op(A)[M, K] · B[K, N] for M ≤ GEMV_ROWS, B row-major with rows sbk bytes
 * apart, read in place.
 */
function gemvRows(M: i32, N: i32, K: i32, alpha: f32, pA: usize, sai: usize, sak: usize, pB: usize, sbk: usize, pC: usize, sc: usize): void {
  if (M <= 0) return; // an empty batch (a worker's empty shard) must not reach the 4-row kernel
  const va = f32x4.splat(alpha);
  const j0 = M == 1 ? gemv1(N, K, va, pA, sak, pB, sbk, pC)
    : M == 2 ? gemv2(N, K, va, pA, sai, sak, pB, sbk, pC, sc)
    : M == 3 ? gemv3(N, K, va, pA, sai, sak, pB, sbk, pC, sc)
    : gemv4(N, K, va, pA, sai, sak, pB, sbk, pC, sc);
  for (let j = j0; j < N; j += 4) {
    const o = <usize>j << 2;
    gemvTail(M, K, va, pA, sai, sak, pB + o, sbk, pC + o, sc, min(4, N - j));
  }
}

/**
 * dst[K, N] row-major = op(B) where op(B)(k, j) = src[j·lds + k] (a transposed block of U), so the
 * backward products dZ·Uᵀ run as GEMV too. 4×4 blocks go through registers; the edges go element
 * by element.
 */
function transposeInto(K: i32, N: i32, src: usize, lds: i32, dst: usize): void {
  const ss = <usize>lds * 4, ds = <usize>N * 4;
  const K4 = K & ~3, N4 = N & ~3;
  for (let j = 0; j < N4; j += 4) {
    for (let k = 0; k < K4; k += 4) {
      const s = src + <usize>j * ss + (<usize>k << 2);
      const r0 = v128.load(s), r1 = v128.load(s + ss), r2 = v128.load(s + 2 * ss), r3 = v128.load(s + 3 * ss);
      const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t2 = f32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const d = dst + <usize>k * ds + (<usize>j << 2);
      v128.store(d, f32x4.shuffle(t0, t2, 0, 1, 4, 5));
      v128.store(d + ds, f32x4.shuffle(t0, t2, 2, 3, 6, 7));
      v128.store(d + 2 * ds, f32x4.shuffle(t1, t3, 0, 1, 4, 5));
      v128.store(d + 3 * ds, f32x4.shuffle(t1, t3, 2, 3, 6, 7));
    }
    for (let k = K4; k < K; k++) {
      for (let c = j; c < j + 4; c++) store<f32>(dst + <usize>k * ds + (<usize>c << 2), load<f32>(src + <usize>c * ss + (<usize>k << 2)));
    }
  }
  for (let c = N4; c < N; c++) {
    for (let k = 0; k < K; k++) store<f32>(dst + <usize>k * ds + (<usize>c << 2), load<f32>(src + <usize>c * ss + (<usize>k << 2)));
  }
}

/**
 * U [K, N] (rows ldu elements apart) made ready for stepAdd at M rows: packed into panels at dst
 * for M > GEMV_ROWS; for fewer rows it is read in place, so nothing is copied. Returns the operand.
 */
function prepU(M: i32, K: i32, N: i32, pU: usize, ldu: i32, dst: usize): usize {
  if (M <= GEMV_ROWS) return pU;
  packB(K, N, pU, ldu * 4, 4, dst);
  return dst;
}

/**
 * (U [N, K], rows ldu elements apart)ᵀ made ready for stepAdd at M rows into dst: panels for
 * M > GEMV_ROWS, else a row-major [K, N] copy (rows N·4 bytes apart), once per call for all T steps.
 */
function prepUT(M: i32, K: i32, N: i32, pU: usize, ldu: i32, dst: usize): void {
  if (M <= GEMV_ROWS) transposeInto(K, N, pU, ldu, dst);
  else packB(K, N, pU, 4, ldu * 4, dst);
}

/**
 * C[M, N] += A[M, K] · P, one recurrent step: P as prepU / prepUT left it, row-major with rows sp
 * bytes apart for M ≤ GEMV_ROWS, else panels.
 */
@inline function stepAdd(M: i32, N: i32, K: i32, pA: usize, sa: usize, pP: usize, sp: usize, pC: usize, sc: usize): void {
  if (M <= GEMV_ROWS) gemvRows(M, N, K, 1, pA, sa, 4, pP, sp, pC, sc);
  else gemmPacked(M, N, K, 1, pA, sa, 4, pP, pC, sc);
}

/** As stepAdd, overwriting C. */
@inline function stepSet(M: i32, N: i32, K: i32, pA: usize, sa: usize, pP: usize, sp: usize, pC: usize, sc: usize): void {
  scaleRows(M, N, 0, pC, sc);
  stepAdd(M, N, K, pA, sa, pP, sp, pC, sc);
}

// ---------------------------------------------------------------------------------------------
// Elementwise helpers. Rows are walked 4 lanes at a time; the last partial vector of a row is
// loaded lane by lane (zeros beyond) and stored lane by lane, so nothing past the row is touched.

@inline function ld(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

@inline function st(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// Constants of the transcendentals, read with a splatting load: V8 builds every v128.const with
// three instructions at each use (and spills them when a loop body uses dozens), a load is one.
const EXP_HI = 0, EXP_LO = 1, LOG2E = 2, ROUND = 3, LN2_HI = 4, LN2_LO = 5;
const EP0 = 6, EP1 = 7, EP2 = 8, EP3 = 9, EP4 = 10, EP5 = 11, ONE = 12, TWO = 13;
const TP0 = 14, TP1 = 15, TP2 = 16, TP3 = 17, TP4 = 18, TANH_SMALL = 19;
const MATH = memory.data<f32>([
  88.0, -87.0, 1.44269504088896341, 8388735.0, 0.693359375, -2.12194440e-4,
  1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1, 1.0, 2.0,
  -5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1, 0.625,
]);

@inline function kc(i: i32): v128 {
  return v128.load32_splat(MATH + (<usize>i << 2));
}

/**
 * e^x, Cephes expf: x = n·ln2 + r with ln2 split in two so r is exact, a degree-6 polynomial on
 * |r| ≤ ln2/2 (about 1 ulp), 2^n built in the exponent bits. Clamped to [-87, 88] so 2^n stays a
 * normal float: the sigmoid and tanh built on it saturate long before that. n is rounded by
 * adding 2^23 + 127, which leaves n + 127 in the low mantissa bits: shifted up by 23 they are
 * 2^n, so neither a floor nor a float-to-int conversion (several instructions in V8) is needed.
 */
@inline function vexp(x: v128): v128 {
  x = f32x4.pmax(f32x4.pmin(x, kc(EXP_HI)), kc(EXP_LO));
  const t = f32x4.add(f32x4.mul(x, kc(LOG2E)), kc(ROUND));
  const n = f32x4.sub(t, kc(ROUND));
  let r = f32x4.sub(x, f32x4.mul(n, kc(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, kc(LN2_LO)));
  let p = f32x4.add(f32x4.mul(kc(EP0), r), kc(EP1));
  p = f32x4.add(f32x4.mul(p, r), kc(EP2));
  p = f32x4.add(f32x4.mul(p, r), kc(EP3));
  p = f32x4.add(f32x4.mul(p, r), kc(EP4));
  p = f32x4.add(f32x4.mul(p, r), kc(EP5));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), kc(ONE));
  return f32x4.mul(y, i32x4.shl(t, 23));
}

@inline function vsigmoid(x: v128): v128 {
  const one = kc(ONE);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

/**
 * tanh, Cephes tanhf: an odd polynomial below |x| = 0.625 (where 1 - 2/(e^2x + 1) would lose the
 * leading bits to cancellation), the exponential form above; both about 2 ulp.
 */
@inline function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = vexp(f32x4.add(ax, ax));
  const big = f32x4.sub(kc(ONE), f32x4.div(kc(TWO), f32x4.add(e, kc(ONE))));
  const s = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(kc(TP0), s), kc(TP1));
  p = f32x4.add(f32x4.mul(p, s), kc(TP2));
  p = f32x4.add(f32x4.mul(p, s), kc(TP3));
  p = f32x4.add(f32x4.mul(p, s), kc(TP4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, s), x), x);
  const signed = v128.or(big, v128.andnot(x, ax)); // x without its magnitude: the sign bit
  return v128.bitselect(small, signed, f32x4.lt(ax, kc(TANH_SMALL)));
}

/** y(1 - y) for an activated sigmoid (1 - y is exact for y ≥ 0.5). */
@inline function dsig(y: v128): v128 {
  return f32x4.mul(y, f32x4.sub(kc(ONE), y));
}

/** 1 - y² for an activated tanh, as (1 - y)(1 + y) so it keeps its digits when |y| → 1. */
@inline function dtanh(y: v128): v128 {
  return f32x4.mul(f32x4.sub(kc(ONE), y), f32x4.add(kc(ONE), y));
}

// The row loops below run a lane function with w = 4 over the body of a row, so the lane-by-lane
// branches of ld and st fold away there, and once more with the 1 to 3 lanes of a ragged end.

/** dst[0..n) = a[0..n) ⊙ b[0..n). */
function mulInto(dst: usize, a: usize, b: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) mulLanes(dst, a, b, <usize>j << 2, 4);
  if (j < n) mulLanes(dst, a, b, <usize>j << 2, n - j);
}

@inline function mulLanes(dst: usize, a: usize, b: usize, o: usize, w: i32): void {
  st(dst + o, f32x4.mul(ld(a + o, w), ld(b + o, w)), w);
}

/** dst[0..n) += src[0..n). */
function addInto(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) addLanes(dst, src, <usize>j << 2, 4);
  if (j < n) addLanes(dst, src, <usize>j << 2, n - j);
}

@inline function addLanes(dst: usize, src: usize, o: usize, w: i32): void {
  st(dst + o, f32x4.add(ld(dst + o, w), ld(src + o, w)), w);
}

/** Previous state row for step t: hs[t] ⊙ recMask written to hm[t] when both are given (as the reference does). */
function maskedPrev(t: i32, BH: i32, pHs: usize, pRecMask: usize, pHm: usize): usize {
  const off = <usize>(t * BH) * 4;
  if (pRecMask != 0 && pHm != 0) {
    mulInto(pHm + off, pHs + off, pRecMask, BH);
    return pHm + off;
  }
  return pHs + off;
}

// ---------------------------------------------------------------------------------------------
// LSTM (gates i, f, c̃, o; sigmoid and tanh)

/** w ≤ 4 lanes of one LSTM step: gates at gi (H4 bytes apart) activated in place; c_t, act(c_t), h_t at byte offset o. */
@inline function lstmCell(gi: usize, H4: usize, cp: usize, cn: usize, tn: usize, hn: usize, o: usize, w: i32): void {
  const gf = gi + H4, gg = gf + H4, go = gg + H4;
  const i = vsigmoid(ld(gi, w)), f = vsigmoid(ld(gf, w)), g = vtanh(ld(gg, w)), og = vsigmoid(ld(go, w));
  st(gi, i, w); st(gf, f, w); st(gg, g, w); st(go, og, w);
  const c = f32x4.add(f32x4.mul(f, ld(cp + o, w)), f32x4.mul(i, g));
  st(cn + o, c, w);
  const tcv = vtanh(c);
  st(tn + o, tcv, w);
  st(hn + o, f32x4.mul(og, tcv), w);
}

/**
 * Whole-sequence forward. gates [T, B, 4H] pre-activations in, activated out; hs, cs, tc [T+1, B, H];
 * hm [T, B, H] or 0; recMask [B, H] or 0. U [H, 4H] is packed once into pWork (lstmWorkBytes).
 */
export function lstmForward(
  B: i32, T: i32, H: i32, pU: usize, pRecMask: usize,
  pGates: usize, pHs: usize, pCs: usize, pTc: usize, pHm: usize, pWork: usize,
): void {
  const G = 4 * H, BH = B * H;
  const H4 = <usize>H * 4;
  const pP = prepU(B, H, G, pU, G, pWork);
  for (let t = 0; t < T; t++) {
    const hp = maskedPrev(t, BH, pHs, pRecMask, pHm);
    const zo = pGates + <usize>(t * B * G) * 4;
    stepAdd(B, G, H, hp, H4, pP, <usize>G * 4, zo, <usize>G * 4); // [B,4H] += [B,H]·[H,4H]
    for (let b = 0; b < B; b++) {
      const r = zo + <usize>(b * G) * 4;
      const cp = pCs + <usize>(t * BH + b * H) * 4; // c_{t-1}
      const cn = cp + <usize>BH * 4; // slot t+1 of cs, tc, hs
      const tn = pTc + (cn - pCs), hn = pHs + (cn - pCs);
      let j = 0;
      for (; j + 4 <= H; j += 4) lstmCell(r + (<usize>j << 2), H4, cp, cn, tn, hn, <usize>j << 2, 4);
      if (j < H) lstmCell(r + (<usize>j << 2), H4, cp, cn, tn, hn, <usize>j << 2, H - j);
    }
  }
}

/** w ≤ 4 lanes of one LSTM backward step at byte offset o of the gate blocks (r, dr) and state rows. */
@inline function lstmCellBack(r: usize, dr: usize, H4: usize, cp: usize, tn: usize, dh: usize, dc: usize, o: usize, w: i32): void {
  const i = ld(r + o, w), f = ld(r + H4 + o, w), g = ld(r + 2 * H4 + o, w), og = ld(r + 3 * H4 + o, w);
  const tcv = ld(tn + o, w);
  const dhv = ld(dh + o, w);
  const dcv = f32x4.add(ld(dc + o, w), f32x4.mul(f32x4.mul(dhv, og), dtanh(tcv)));
  st(dr + 3 * H4 + o, f32x4.mul(f32x4.mul(dhv, tcv), dsig(og)), w);
  st(dr + o, f32x4.mul(f32x4.mul(dcv, g), dsig(i)), w);
  st(dr + H4 + o, f32x4.mul(f32x4.mul(dcv, ld(cp + o, w)), dsig(f)), w);
  st(dr + 2 * H4 + o, f32x4.mul(f32x4.mul(dcv, i), dtanh(g)), w);
  st(dc + o, f32x4.mul(dcv, f), w);
}

/**
 * Reverse BPTT loop. dhs [T, B, H] or 0; dh, dc [B, H] in/out; dZ [T, B, 4H] out.
 * Uᵀ is packed once into pWork.
 */
export function lstmBackward(
  B: i32, T: i32, H: i32, pU: usize, pRecMask: usize,
  pGates: usize, pCs: usize, pTc: usize, pDhs: usize, pDh: usize, pDc: usize, pDZ: usize, pWork: usize,
): void {
  const G = 4 * H, BH = B * H;
  const H4 = <usize>H * 4;
  prepUT(B, G, H, pU, G, pWork);
  for (let t = T - 1; t >= 0; t--) {
    const zoff = <usize>(t * B * G) * 4;
    if (pDhs != 0) addInto(pDh, pDhs + <usize>(t * BH) * 4, BH);
    for (let b = 0; b < B; b++) {
      const r = pGates + zoff + <usize>(b * G) * 4;
      const dr = pDZ + zoff + <usize>(b * G) * 4;
      const s = <usize>(b * H) * 4;
      const cp = pCs + <usize>(t * BH) * 4 + s; // c_{t-1}
      const tn = pTc + <usize>((t + 1) * BH) * 4 + s; // act(c_t)
      let j = 0;
      for (; j + 4 <= H; j += 4) lstmCellBack(r, dr, H4, cp, tn, pDh + s, pDc + s, <usize>j << 2, 4);
      if (j < H) lstmCellBack(r, dr, H4, cp, tn, pDh + s, pDc + s, <usize>j << 2, H - j);
    }
    stepSet(B, H, G, pDZ + zoff, <usize>G * 4, pWork, H4, pDh, H4); // dh_{t-1} = dZ_t·Uᵀ  [B,H]
    if (pRecMask != 0) mulInto(pDh, pDh, pRecMask, BH);
  }
}

// ---------------------------------------------------------------------------------------------
// Peephole LSTM (Gers & Schmidhuber 2000): as above, plus P [3H] (p_i, p_f, p_o): i and f see
// p ⊙ c_{t-1}, o sees p ⊙ c_t. Separate functions, so the plain LSTM's loops stay as they are.

/** w ≤ 4 lanes of one peephole LSTM step: as lstmCell, with the peephole blocks at pp (H4 bytes apart). */
@inline function lstmPeepCell(gi: usize, H4: usize, pp: usize, cp: usize, cn: usize, tn: usize, hn: usize, o: usize, w: i32): void {
  const gf = gi + H4, gg = gf + H4, go = gg + H4;
  const c0 = ld(cp + o, w);
  const i = vsigmoid(f32x4.add(ld(gi, w), f32x4.mul(ld(pp + o, w), c0)));
  const f = vsigmoid(f32x4.add(ld(gf, w), f32x4.mul(ld(pp + H4 + o, w), c0)));
  const g = vtanh(ld(gg, w));
  const c = f32x4.add(f32x4.mul(f, c0), f32x4.mul(i, g));
  const og = vsigmoid(f32x4.add(ld(go, w), f32x4.mul(ld(pp + 2 * H4 + o, w), c)));
  st(gi, i, w); st(gf, f, w); st(gg, g, w); st(go, og, w);
  st(cn + o, c, w);
  const tcv = vtanh(c);
  st(tn + o, tcv, w);
  st(hn + o, f32x4.mul(og, tcv), w);
}

/** As lstmForward, with the peephole weights P [3H] at pP. */
export function lstmPeepholeForward(
  B: i32, T: i32, H: i32, pU: usize, pP: usize, pRecMask: usize,
  pGates: usize, pHs: usize, pCs: usize, pTc: usize, pHm: usize, pWork: usize,
): void {
  const G = 4 * H, BH = B * H;
  const H4 = <usize>H * 4;
  const pPk = prepU(B, H, G, pU, G, pWork);
  for (let t = 0; t < T; t++) {
    const hp = maskedPrev(t, BH, pHs, pRecMask, pHm);
    const zo = pGates + <usize>(t * B * G) * 4;
    stepAdd(B, G, H, hp, H4, pPk, <usize>G * 4, zo, <usize>G * 4); // [B,4H] += [B,H]·[H,4H]
    for (let b = 0; b < B; b++) {
      const r = zo + <usize>(b * G) * 4;
      const cp = pCs + <usize>(t * BH + b * H) * 4; // c_{t-1}
      const cn = cp + <usize>BH * 4; // slot t+1 of cs, tc, hs
      const tn = pTc + (cn - pCs), hn = pHs + (cn - pCs);
      let j = 0;
      for (; j + 4 <= H; j += 4) lstmPeepCell(r + (<usize>j << 2), H4, pP, cp, cn, tn, hn, <usize>j << 2, 4);
      if (j < H) lstmPeepCell(r + (<usize>j << 2), H4, pP, cp, cn, tn, hn, <usize>j << 2, H - j);
    }
  }
}

/** w ≤ 4 lanes of one peephole LSTM backward step; dP (dp, H4 bytes apart per block) accumulates. */
@inline function lstmPeepCellBack(r: usize, dr: usize, H4: usize, pp: usize, dp: usize, cp: usize, cn: usize, tn: usize,
  dh: usize, dc: usize, o: usize, w: i32): void {
  const i = ld(r + o, w), f = ld(r + H4 + o, w), g = ld(r + 2 * H4 + o, w), og = ld(r + 3 * H4 + o, w);
  const tcv = ld(tn + o, w), cpv = ld(cp + o, w);
  const dhv = ld(dh + o, w);
  const dzo = f32x4.mul(f32x4.mul(dhv, tcv), dsig(og));
  // c_t reaches the loss through h = o·tanh(c), through o's peephole, and through step t+1 (dc)
  const dcv = f32x4.add(f32x4.add(ld(dc + o, w), f32x4.mul(f32x4.mul(dhv, og), dtanh(tcv))), f32x4.mul(dzo, ld(pp + 2 * H4 + o, w)));
  const dzi = f32x4.mul(f32x4.mul(dcv, g), dsig(i));
  const dzf = f32x4.mul(f32x4.mul(dcv, cpv), dsig(f));
  st(dr + o, dzi, w);
  st(dr + H4 + o, dzf, w);
  st(dr + 2 * H4 + o, f32x4.mul(f32x4.mul(dcv, i), dtanh(g)), w);
  st(dr + 3 * H4 + o, dzo, w);
  const toPrev = f32x4.add(f32x4.mul(dcv, f), f32x4.add(f32x4.mul(dzi, ld(pp + o, w)), f32x4.mul(dzf, ld(pp + H4 + o, w))));
  st(dc + o, toPrev, w);
  st(dp + o, f32x4.add(ld(dp + o, w), f32x4.mul(dzi, cpv)), w);
  st(dp + H4 + o, f32x4.add(ld(dp + H4 + o, w), f32x4.mul(dzf, cpv)), w);
  st(dp + 2 * H4 + o, f32x4.add(ld(dp + 2 * H4 + o, w), f32x4.mul(dzo, ld(cn + o, w))), w);
}

/** As lstmBackward, with P [3H] at pP; dP [3H] at pDP accumulates (+=) the peephole gradient. */
export function lstmPeepholeBackward(
  B: i32, T: i32, H: i32, pU: usize, pP: usize, pRecMask: usize,
  pGates: usize, pCs: usize, pTc: usize, pDhs: usize, pDh: usize, pDc: usize, pDZ: usize, pDP: usize, pWork: usize,
): void {
  const G = 4 * H, BH = B * H;
  const H4 = <usize>H * 4;
  prepUT(B, G, H, pU, G, pWork);
  for (let t = T - 1; t >= 0; t--) {
    const zoff = <usize>(t * B * G) * 4;
    if (pDhs != 0) addInto(pDh, pDhs + <usize>(t * BH) * 4, BH);
    for (let b = 0; b < B; b++) {
      const r = pGates + zoff + <usize>(b * G) * 4;
      const dr = pDZ + zoff + <usize>(b * G) * 4;
      const s = <usize>(b * H) * 4;
      const cp = pCs + <usize>(t * BH) * 4 + s; // c_{t-1}
      const cn = cp + <usize>BH * 4; // c_t
      const tn = pTc + <usize>((t + 1) * BH) * 4 + s; // act(c_t)
      let j = 0;
      for (; j + 4 <= H; j += 4) lstmPeepCellBack(r, dr, H4, pP, pDP, cp, cn, tn, pDh + s, pDc + s, <usize>j << 2, 4);
      if (j < H) lstmPeepCellBack(r, dr, H4, pP, pDP, cp, cn, tn, pDh + s, pDc + s, <usize>j << 2, H - j);
    }
    stepSet(B, H, G, pDZ + zoff, <usize>G * 4, pWork, H4, pDh, H4); // dh_{t-1} = dZ_t·Uᵀ  [B,H]
    if (pRecMask != 0) mulInto(pDh, pDh, pRecMask, BH);
  }
}

// ---------------------------------------------------------------------------------------------
// GRU (gates z, r, h̃; sigmoid and tanh)

/** w ≤ 4 lanes of a resetAfter GRU step: gates r and recurrent parts q (H4 bytes apart), state rows at byte offset o. */
@inline function gruCellAfter(r: usize, q: usize, H4: usize, hprev: usize, hnext: usize, o: usize, w: i32): void {
  const z = vsigmoid(f32x4.add(ld(r + o, w), ld(q + o, w)));
  const rr = vsigmoid(f32x4.add(ld(r + H4 + o, w), ld(q + H4 + o, w)));
  const hh = vtanh(f32x4.add(ld(r + 2 * H4 + o, w), f32x4.mul(rr, ld(q + 2 * H4 + o, w))));
  st(r + o, z, w); st(r + H4 + o, rr, w); st(r + 2 * H4 + o, hh, w);
  const h = f32x4.add(f32x4.mul(z, ld(hprev + o, w)), f32x4.mul(f32x4.sub(kc(ONE), z), hh));
  st(hnext + o, h, w);
}

/** w ≤ 4 lanes of the classic GRU step after its second product: h̃ activated, h_t written. */
@inline function gruCellClassic(r: usize, H4: usize, hprev: usize, hnext: usize, o: usize, w: i32): void {
  const hh = vtanh(ld(r + 2 * H4 + o, w));
  st(r + 2 * H4 + o, hh, w);
  const z = ld(r + o, w);
  st(hnext + o, f32x4.add(f32x4.mul(z, ld(hprev + o, w)), f32x4.mul(f32x4.sub(kc(ONE), z), hh)), w);
}

@inline function sigmoidLanes(p: usize, w: i32): void {
  st(p, vsigmoid(ld(p, w)), w);
}

/**
 * Whole-sequence forward. gates [T, B, 3H]; rec [T, B, 3H] (resetAfter: h·U + b_rec) or [T, B, H]
 * (classic: r ⊙ h); recBias [3H] or 0 (already offset); hs [T+1, B, H]; hm [T, B, H] or 0.
 */
export function gruForward(
  B: i32, T: i32, H: i32, resetAfter: bool, pU: usize, pRecBias: usize,
  pGates: usize, pRec: usize, pHs: usize, pRecMask: usize, pHm: usize, pWork: usize,
): void {
  const G = 3 * H, BH = B * H;
  const H4 = <usize>H * 4, G4 = <usize>G * 4;
  const pP = prepU(B, H, resetAfter ? G : 2 * H, pU, G, pWork); // classic: U_zr, with U_h apart
  const pUh = resetAfter ? <usize>0 : prepU(B, H, H, pU + 2 * H4, G, pWork + <usize>packedBytes(H, 2 * H));
  for (let t = 0; t < T; t++) {
    const hp = maskedPrev(t, BH, pHs, pRecMask, pHm);
    const zo = pGates + <usize>(t * B * G) * 4;
    const hprev = pHs + <usize>(t * BH) * 4, hnext = hprev + <usize>BH * 4;
    if (resetAfter) {
      const ro = pRec + <usize>(t * B * G) * 4;
      fillRows(ro, B, G, pRecBias);
      stepAdd(B, G, H, hp, H4, pP, G4, ro, G4); // [B,3H] += [B,H]·[H,3H]
      for (let b = 0; b < B; b++) {
        const r = zo + <usize>b * G4, q = ro + <usize>b * G4, s = <usize>b * H4;
        let j = 0;
        for (; j + 4 <= H; j += 4) gruCellAfter(r, q, H4, hprev + s, hnext + s, <usize>j << 2, 4);
        if (j < H) gruCellAfter(r, q, H4, hprev + s, hnext + s, <usize>j << 2, H - j);
      }
    } else {
      stepAdd(B, 2 * H, H, hp, H4, pP, G4, zo, G4); // z, r  [B,2H] += [B,H]·[H,2H]
      const ro = pRec + <usize>(t * BH) * 4; // r ⊙ h_{t-1}  [B,H]
      for (let b = 0; b < B; b++) {
        const r = zo + <usize>b * G4, s = <usize>b * H4;
        let j = 0;
        for (; j + 4 <= 2 * H; j += 4) sigmoidLanes(r + (<usize>j << 2), 4);
        if (j < 2 * H) sigmoidLanes(r + (<usize>j << 2), 2 * H - j);
        mulInto(ro + s, r + H4, hp + s, H);
      }
      stepAdd(B, H, H, ro, H4, pUh, G4, zo + 2 * H4, G4); // h̃ pre += (r⊙h)·U_h
      for (let b = 0; b < B; b++) {
        const r = zo + <usize>b * G4, s = <usize>b * H4;
        let j = 0;
        for (; j + 4 <= H; j += 4) gruCellClassic(r, H4, hprev + s, hnext + s, <usize>j << 2, 4);
        if (j < H) gruCellClassic(r, H4, hprev + s, hnext + s, <usize>j << 2, H - j);
      }
    }
  }
}

/**
 * Reverse loop. dh [B, H] in/out; tmp [B, H] scratch (ends holding dh·z of step 0, as the
 * reference leaves it); dZx [T, B, 3H]; dZh [T, B, 3H] (resetAfter) or 0; hm [T, B, H] or 0.
 */
export function gruBackward(
  B: i32, T: i32, H: i32, resetAfter: bool, pU: usize,
  pGates: usize, pRec: usize, pHs: usize, pRecMask: usize, pHm: usize,
  pDhs: usize, pDh: usize, pTmp: usize, pDZx: usize, pDZh: usize, pWork: usize,
): void {
  const G = 3 * H, BH = B * H;
  const H4 = <usize>H * 4, G4 = <usize>G * 4;
  const pUzrT = pWork + <usize>packedBytes(H, H); // classic: U_hᵀ first, then U_zrᵀ
  if (resetAfter) {
    prepUT(B, G, H, pU, G, pWork);
  } else {
    prepUT(B, H, H, pU + 2 * H4, G, pWork);
    prepUT(B, 2 * H, H, pU, G, pUzrT);
  }
  const pPrev = pRecMask != 0 && pHm != 0 ? pHm : pHs;
  for (let t = T - 1; t >= 0; t--) {
    const zoff = <usize>(t * B * G) * 4;
    const hoff = <usize>(t * BH) * 4;
    if (pDhs != 0) addInto(pDh, pDhs + hoff, BH);
    for (let b = 0; b < B; b++) {
      const r = pGates + zoff + <usize>b * G4, dx = pDZx + zoff + <usize>b * G4;
      const s = <usize>b * H4;
      for (let j = 0; j < H; j += 4) {
        const w = H - j, o = <usize>j << 2;
        const z = ld(r + o, w), hh = ld(r + 2 * H4 + o, w);
        const dhv = ld(pDh + s + o, w);
        const dah = f32x4.mul(f32x4.mul(dhv, f32x4.sub(kc(ONE), z)), dtanh(hh));
        const dz = f32x4.mul(f32x4.mul(dhv, f32x4.sub(ld(pHs + hoff + s + o, w), hh)), dsig(z));
        st(dx + o, dz, w);
        st(dx + 2 * H4 + o, dah, w);
        st(pTmp + s + o, f32x4.mul(dhv, z), w); // direct path h_t -> h_{t-1}
        if (resetAfter) {
          const rr = ld(r + H4 + o, w);
          const q = pRec + zoff + <usize>b * G4;
          const dr = f32x4.mul(f32x4.mul(dah, ld(q + 2 * H4 + o, w)), dsig(rr));
          st(dx + H4 + o, dr, w);
          const dzh = pDZh + zoff + <usize>b * G4;
          st(dzh + o, dz, w);
          st(dzh + H4 + o, dr, w);
          st(dzh + 2 * H4 + o, f32x4.mul(dah, rr), w);
        }
      }
    }
    if (resetAfter) {
      stepSet(B, H, G, pDZh + zoff, G4, pWork, H4, pDh, H4); // dh = dZh·Uᵀ
    } else {
      stepSet(B, H, H, pDZx + zoff + 2 * H4, G4, pWork, H4, pDh, H4); // d(r⊙h) = dah·U_hᵀ
      for (let b = 0; b < B; b++) {
        const r = pGates + zoff + <usize>b * G4, dx = pDZx + zoff + <usize>b * G4;
        const s = <usize>b * H4;
        for (let j = 0; j < H; j += 4) {
          const w = H - j, o = <usize>j << 2;
          const drh = ld(pDh + s + o, w), rr = ld(r + H4 + o, w);
          st(dx + H4 + o, f32x4.mul(f32x4.mul(drh, ld(pPrev + hoff + s + o, w)), dsig(rr)), w);
          st(pDh + s + o, f32x4.mul(drh, rr), w);
        }
      }
      stepAdd(B, H, 2 * H, pDZx + zoff, G4, pUzrT, H4, pDh, H4); // += [dz, dr]·U_zrᵀ
    }
    if (pRecMask != 0) mulInto(pDh, pDh, pRecMask, BH);
    addInto(pDh, pTmp, BH);
  }
}

// ---------------------------------------------------------------------------------------------
// SimpleRNN (tanh)

/** w ≤ 4 lanes of a SimpleRNN step: pre activated in place and copied to h_t. */
@inline function rnnCell(pre: usize, hn: usize, q: usize, w: i32): void {
  const h = vtanh(ld(pre + q, w));
  st(pre + q, h, w);
  st(hn + q, h, w);
}

/** w ≤ 4 lanes of dZ = dh ⊙ tanh'. */
@inline function rnnCellBack(dh: usize, hn: usize, dz: usize, q: usize, w: i32): void {
  st(dz + q, f32x4.mul(ld(dh + q, w), dtanh(ld(hn + q, w))), w);
}

/** pre [T, B, H] in, activated out; hs [T+1, B, H]; hm [T, B, H] or 0. */
export function rnnForward(
  B: i32, T: i32, H: i32, pU: usize, pPre: usize, pHs: usize, pRecMask: usize, pHm: usize, pWork: usize,
): void {
  const BH = B * H, H4 = <usize>H * 4;
  const pP = prepU(B, H, H, pU, H, pWork);
  for (let t = 0; t < T; t++) {
    const hp = maskedPrev(t, BH, pHs, pRecMask, pHm);
    const o = <usize>(t * BH) * 4;
    stepAdd(B, H, H, hp, H4, pP, H4, pPre + o, H4);
    const hn = pHs + o + <usize>BH * 4;
    let k = 0;
    for (; k + 4 <= BH; k += 4) rnnCell(pPre + o, hn, <usize>k << 2, 4);
    if (k < BH) rnnCell(pPre + o, hn, <usize>k << 2, BH - k);
  }
}

/** dh [B, H] in/out; dZ [T, B, H] out; dhs [T, B, H] or 0. */
export function rnnBackward(
  B: i32, T: i32, H: i32, pU: usize, pHs: usize, pRecMask: usize,
  pDhs: usize, pDh: usize, pDZ: usize, pWork: usize,
): void {
  const BH = B * H, H4 = <usize>H * 4;
  prepUT(B, H, H, pU, H, pWork);
  for (let t = T - 1; t >= 0; t--) {
    const o = <usize>(t * BH) * 4;
    const hn = pHs + o + <usize>BH * 4; // h_t
    if (pDhs != 0) addInto(pDh, pDhs + o, BH);
    let k = 0;
    for (; k + 4 <= BH; k += 4) rnnCellBack(pDh, hn, pDZ + o, <usize>k << 2, 4);
    if (k < BH) rnnCellBack(pDh, hn, pDZ + o, <usize>k << 2, BH - k);
    stepSet(B, H, H, pDZ + o, H4, pWork, H4, pDh, H4);
    if (pRecMask != 0) mulInto(pDh, pDh, pRecMask, BH);
  }
}

// ---------------------------------------------------------------------------------------------
// Bias helpers

/** Y[rows, N] = broadcast bias[N], or zeros when pBias is 0. */
export function fillRows(pY: usize, rows: i32, N: i32, pBias: usize): void {
  if (pBias == 0) {
    memory.fill(pY, 0, <usize>(rows * N) * 4);
    return;
  }
  const n4 = <usize>N * 4;
  for (let r = 0; r < rows; r++) memory.copy(pY + <usize>r * n4, pBias, n4);
}

/** out[N] += Σ_r X[r, N], row by row so every column sums in the reference's order. */
export function columnSums(pX: usize, rows: i32, N: i32, pOut: usize): void {
  const n4 = <usize>N * 4;
  for (let r = 0; r < rows; r++) addInto(pOut, pX + <usize>r * n4, N);
}
