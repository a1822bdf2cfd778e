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

/** 4 rows × 8 columns: C += alpha · A[4, K] · panel[K, 8]. */
@inline function micro4x8(K: i32, pa: usize, sai: usize, sak: usize, pb: usize, pc: usize, sc: usize, w: i32, va: v128): void {
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
    pb += 32;
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
      micro4x8(K, pA + <usize>i * sai, sai, sak, pb, pc + <usize>i * sc, sc, w, va);
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
  if (M < MR && !transB) {
    gemmFewRows(M, N, K, alpha, pA, sai, sak, pB, <usize>sbk, pC, sc, pWork);
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

/**
 * C += alpha · op(A) · B for M < 4 (batch 1 to 3) and B not transposed: whole 8-column strips of B
 * are read in place, since packing B would cost as much as the product itself; only the last,
 * partial strip is packed (zero-padded), so no load runs past the end of a row.
 */
function gemmFewRows(M: i32, N: i32, K: i32, alpha: f32, pA: usize, sai: usize, sak: usize, pB: usize, sbk: usize, pC: usize, sc: usize, pWork: usize): void {
  const va = f32x4.splat(alpha);
  const N8 = N & ~(NR - 1);
  for (let i = 0; i < M; i++) {
    for (let j0 = 0; j0 < N8; j0 += NR) {
      micro1x8(K, pA + <usize>i * sai, sak, pB + <usize>(j0 * 4), sbk, pC + <usize>i * sc + <usize>(j0 * 4), NR, va);
    }
  }
  if (N8 == N) return;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    packB(kc, N - N8, pB + <usize>k0 * sbk + <usize>(N8 * 4), <i32>sbk, 4, pWork);
    for (let i = 0; i < M; i++) {
      micro1x8(kc, pA + <usize>i * sai + <usize>k0 * sak, sak, pWork, 32, pC + <usize>i * sc + <usize>(N8 * 4), N - N8, va);
    }
  }
}

/** C[M, N] = A[M, K] · P (P packed whole, K ≤ any size): one step's recurrent product, overwriting. */
@inline function stepGemmSet(M: i32, N: i32, K: i32, pA: usize, lda: i32, pP: usize, pC: usize, ldc: i32): void {
  scaleRows(M, N, 0, pC, <usize>ldc * 4);
  gemmPacked(M, N, K, 1, pA, <usize>lda * 4, 4, pP, pC, <usize>ldc * 4);
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

@inline function splat(x: f32): v128 {
  return f32x4.splat(x);
}

/**
 * e^x, Cephes expf: x = n·ln2 + r with ln2 split in two so r is exact, a degree-6 polynomial on
 * |r| ≤ ln2/2 (about 1 ulp), 2^n built in the exponent bits. Clamped to [-87, 88] so 2^n stays a
 * normal float: the sigmoid and tanh built on it saturate long before that.
 */
@inline function vexp(x: v128): v128 {
  x = f32x4.pmax(f32x4.pmin(x, splat(88.0)), splat(-87.0));
  const n = f32x4.floor(f32x4.add(f32x4.mul(x, splat(1.44269504088896341)), splat(0.5)));
  let r = f32x4.sub(x, f32x4.mul(n, splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, splat(-2.12194440e-4)));
  let p = f32x4.add(f32x4.mul(splat(1.9875691500e-4), r), splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), splat(1));
  const pow2 = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, pow2);
}

@inline function vsigmoid(x: v128): v128 {
  return f32x4.div(splat(1), f32x4.add(splat(1), vexp(f32x4.neg(x))));
}

/**
 * tanh, Cephes tanhf: an odd polynomial below |x| = 0.625 (where 1 - 2/(e^2x + 1) would lose the
 * leading bits to cancellation), the exponential form above; both about 2 ulp.
 */
@inline function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = vexp(f32x4.add(ax, ax));
  const big = f32x4.sub(splat(1), f32x4.div(splat(2), f32x4.add(e, splat(1))));
  const s = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(splat(-5.70498872745e-3), s), splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, s), splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, s), splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, s), splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, s), x), x);
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, signed, f32x4.lt(ax, splat(0.625)));
}

/** y(1 - y) for an activated sigmoid (1 - y is exact for y ≥ 0.5). */
@inline function dsig(y: v128): v128 {
  return f32x4.mul(y, f32x4.sub(splat(1), y));
}

/** 1 - y² for an activated tanh, as (1 - y)(1 + y) so it keeps its digits when |y| → 1. */
@inline function dtanh(y: v128): v128 {
  return f32x4.mul(f32x4.sub(splat(1), y), f32x4.add(splat(1), y));
}

/** dst[0..n) = a[0..n) ⊙ b[0..n). */
function mulInto(dst: usize, a: usize, b: usize, n: i32): void {
  for (let j = 0; j < n; j += 4) {
    const w = n - j, o = <usize>j << 2;
    st(dst + o, f32x4.mul(ld(a + o, w), ld(b + o, w)), w);
  }
}

/** dst[0..n) += src[0..n). */
function addInto(dst: usize, src: usize, n: i32): void {
  for (let j = 0; j < n; j += 4) {
    const w = n - j, o = <usize>j << 2;
    st(dst + o, f32x4.add(ld(dst + o, w), ld(src + o, w)), w);
  }
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
  packB(H, G, pU, G * 4, 4, pWork);
  for (let t = 0; t < T; t++) {
    const hp = maskedPrev(t, BH, pHs, pRecMask, pHm);
    const zo = pGates + <usize>(t * B * G) * 4;
    gemmPacked(B, G, H, 1, hp, H4, 4, pWork, zo, <usize>G * 4); // [B,4H] += [B,H]·[H,4H]
    for (let b = 0; b < B; b++) {
      const r = zo + <usize>(b * G) * 4;
      const cp = pCs + <usize>(t * BH + b * H) * 4; // c_{t-1}
      const cn = cp + <usize>BH * 4; // slot t+1 of cs, tc, hs
      const tn = pTc + (cn - pCs), hn = pHs + (cn - pCs);
      for (let j = 0; j < H; j += 4) {
        const w = H - j, o = <usize>j << 2;
        const gi = r + o, gf = gi + H4, gg = gf + H4, go = gg + H4;
        const i = vsigmoid(ld(gi, w)), f = vsigmoid(ld(gf, w)), g = vtanh(ld(gg, w)), og = vsigmoid(ld(go, w));
        st(gi, i, w); st(gf, f, w); st(gg, g, w); st(go, og, w);
        const c = f32x4.add(f32x4.mul(f, ld(cp + o, w)), f32x4.mul(i, g));
        st(cn + o, c, w);
        const tcv = vtanh(c);
        st(tn + o, tcv, w);
        st(hn + o, f32x4.mul(og, tcv), w);
      }
    }
  }
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
  packB(G, H, pU, 4, G * 4, pWork); // op(B)(k, j) = U[j, k]
  for (let t = T - 1; t >= 0; t--) {
    const zoff = <usize>(t * B * G) * 4;
    if (pDhs != 0) addInto(pDh, pDhs + <usize>(t * BH) * 4, BH);
    for (let b = 0; b < B; b++) {
      const r = pGates + zoff + <usize>(b * G) * 4;
      const dr = pDZ + zoff + <usize>(b * G) * 4;
      const s = <usize>(b * H) * 4;
      const cp = pCs + <usize>(t * BH) * 4 + s; // c_{t-1}
      const tn = pTc + <usize>((t + 1) * BH) * 4 + s; // act(c_t)
      for (let j = 0; j < H; j += 4) {
        const w = H - j, o = <usize>j << 2;
        const i = ld(r + o, w), f = ld(r + H4 + o, w), g = ld(r + 2 * H4 + o, w), og = ld(r + 3 * H4 + o, w);
        const tcv = ld(tn + o, w);
        const dhv = ld(pDh + s + o, w);
        const dcv = f32x4.add(ld(pDc + s + o, w), f32x4.mul(f32x4.mul(dhv, og), dtanh(tcv)));
        st(dr + 3 * H4 + o, f32x4.mul(f32x4.mul(dhv, tcv), dsig(og)), w);
        st(dr + o, f32x4.mul(f32x4.mul(dcv, g), dsig(i)), w);
        st(dr + H4 + o, f32x4.mul(f32x4.mul(dcv, ld(cp + o, w)), dsig(f)), w);
        st(dr + 2 * H4 + o, f32x4.mul(f32x4.mul(dcv, i), dtanh(g)), w);
        st(pDc + s + o, f32x4.mul(dcv, f), w);
      }
    }
    stepGemmSet(B, H, G, pDZ + zoff, G, pWork, pDh, H); // dh_{t-1} = dZ_t·Uᵀ  [B,H]
    if (pRecMask != 0) mulInto(pDh, pDh, pRecMask, BH);
  }
}

// ---------------------------------------------------------------------------------------------
// GRU (gates z, r, h̃; sigmoid and tanh)

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
  const pUh = pWork + <usize>packedBytes(H, 2 * H); // classic: U_h packed after U_zr
  if (resetAfter) {
    packB(H, G, pU, G * 4, 4, pWork);
  } else {
    packB(H, 2 * H, pU, G * 4, 4, pWork);
    packB(H, H, pU + 2 * H4, G * 4, 4, pUh);
  }
  for (let t = 0; t < T; t++) {
    const hp = maskedPrev(t, BH, pHs, pRecMask, pHm);
    const zo = pGates + <usize>(t * B * G) * 4;
    const hprev = pHs + <usize>(t * BH) * 4, hnext = hprev + <usize>BH * 4;
    if (resetAfter) {
      const ro = pRec + <usize>(t * B * G) * 4;
      fillRows(ro, B, G, pRecBias);
      gemmPacked(B, G, H, 1, hp, H4, 4, pWork, ro, G4); // [B,3H] += [B,H]·[H,3H]
      for (let b = 0; b < B; b++) {
        const r = zo + <usize>b * G4, q = ro + <usize>b * G4, s = <usize>b * H4;
        for (let j = 0; j < H; j += 4) {
          const w = H - j, o = <usize>j << 2;
          const z = vsigmoid(f32x4.add(ld(r + o, w), ld(q + o, w)));
          const rr = vsigmoid(f32x4.add(ld(r + H4 + o, w), ld(q + H4 + o, w)));
          const hh = vtanh(f32x4.add(ld(r + 2 * H4 + o, w), f32x4.mul(rr, ld(q + 2 * H4 + o, w))));
          st(r + o, z, w); st(r + H4 + o, rr, w); st(r + 2 * H4 + o, hh, w);
          const h = f32x4.add(f32x4.mul(z, ld(hprev + s + o, w)), f32x4.mul(f32x4.sub(splat(1), z), hh));
          st(hnext + s + o, h, w);
        }
      }
    } else {
      gemmPacked(B, 2 * H, H, 1, hp, H4, 4, pWork, zo, G4); // z, r  [B,2H] += [B,H]·[H,2H]
      const ro = pRec + <usize>(t * BH) * 4; // r ⊙ h_{t-1}  [B,H]
      for (let b = 0; b < B; b++) {
        const r = zo + <usize>b * G4, s = <usize>b * H4;
        for (let j = 0; j < 2 * H; j += 4) {
          const w = 2 * H - j, o = <usize>j << 2;
          st(r + o, vsigmoid(ld(r + o, w)), w);
        }
        for (let j = 0; j < H; j += 4) {
          const w = H - j, o = <usize>j << 2;
          st(ro + s + o, f32x4.mul(ld(r + H4 + o, w), ld(hp + s + o, w)), w);
        }
      }
      gemmPacked(B, H, H, 1, ro, H4, 4, pUh, zo + 2 * H4, G4); // h̃ pre += (r⊙h)·U_h
      for (let b = 0; b < B; b++) {
        const r = zo + <usize>b * G4, s = <usize>b * H4;
        for (let j = 0; j < H; j += 4) {
          const w = H - j, o = <usize>j << 2;
          const hh = vtanh(ld(r + 2 * H4 + o, w));
          st(r + 2 * H4 + o, hh, w);
          const z = ld(r + o, w);
          st(hnext + s + o, f32x4.add(f32x4.mul(z, ld(hprev + s + o, w)), f32x4.mul(f32x4.sub(splat(1), z), hh)), w);
        }
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
    packB(G, H, pU, 4, G * 4, pWork); // Uᵀ
  } else {
    packB(H, H, pU + 2 * H4, 4, G * 4, pWork);
    packB(2 * H, H, pU, 4, G * 4, pUzrT);
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
        const dah = f32x4.mul(f32x4.mul(dhv, f32x4.sub(splat(1), z)), dtanh(hh));
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
      stepGemmSet(B, H, G, pDZh + zoff, G, pWork, pDh, H); // dh = dZh·Uᵀ
    } else {
      stepGemmSet(B, H, H, pDZx + zoff + 2 * H4, G, pWork, pDh, H); // d(r⊙h) = dah·U_hᵀ
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
      gemmPacked(B, H, 2 * H, 1, pDZx + zoff, G4, 4, pUzrT, pDh, H4); // += [dz, dr]·U_zrᵀ
    }
    if (pRecMask != 0) mulInto(pDh, pDh, pRecMask, BH);
    addInto(pDh, pTmp, BH);
  }
}

// ---------------------------------------------------------------------------------------------
// SimpleRNN (tanh)

/** pre [T, B, H] in, activated out; hs [T+1, B, H]; hm [T, B, H] or 0. */
export function rnnForward(
  B: i32, T: i32, H: i32, pU: usize, pPre: usize, pHs: usize, pRecMask: usize, pHm: usize, pWork: usize,
): void {
  const BH = B * H, H4 = <usize>H * 4;
  packB(H, H, pU, H * 4, 4, pWork);
  for (let t = 0; t < T; t++) {
    const hp = maskedPrev(t, BH, pHs, pRecMask, pHm);
    const o = <usize>(t * BH) * 4;
    gemmPacked(B, H, H, 1, hp, H4, 4, pWork, pPre + o, H4);
    const hn = pHs + o + <usize>BH * 4;
    for (let k = 0; k < BH; k += 4) {
      const w = BH - k, q = <usize>k << 2;
      const h = vtanh(ld(pPre + o + q, w));
      st(pPre + o + q, h, w);
      st(hn + q, h, w);
    }
  }
}

/** dh [B, H] in/out; dZ [T, B, H] out; dhs [T, B, H] or 0. */
export function rnnBackward(
  B: i32, T: i32, H: i32, pU: usize, pHs: usize, pRecMask: usize,
  pDhs: usize, pDh: usize, pDZ: usize, pWork: usize,
): void {
  const BH = B * H;
  packB(H, H, pU, 4, H * 4, pWork); // Uᵀ
  for (let t = T - 1; t >= 0; t--) {
    const o = <usize>(t * BH) * 4;
    const hn = pHs + o + <usize>BH * 4; // h_t
    for (let k = 0; k < BH; k += 4) {
      const w = BH - k, q = <usize>k << 2;
      let d = ld(pDh + q, w);
      if (pDhs != 0) d = f32x4.add(d, ld(pDhs + o + q, w));
      st(pDZ + o + q, f32x4.mul(d, dtanh(ld(hn + q, w))), w);
    }
    stepGemmSet(B, H, H, pDZ + o, H, pWork, pDh, H);
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
