// The WebAssembly SIMD backend: buffers are views into one linear memory and the kernels of
// assembly/kernels.ts run on them in place. Browser-safe: no Node APIs.

import { WASM_BASE64 } from "./module.generated.js";
import { referenceBackend } from "../reference.js";
import type {
  ActivateArgs, ActivateBackwardArgs, SoftmaxArgs, SoftmaxBackwardArgs, LossArgs, OptimizerUpdateArgs,
  Backend, GemmArgs, FillRowsArgs, ColumnSumsArgs, LstmForwardArgs, LstmBackwardArgs,
  GruForwardArgs, GruBackwardArgs, RnnForwardArgs, RnnBackwardArgs,
} from "../backend.js";

/**
 * 1 GiB, reserved once and never grown: growing would detach every Float32Array handed out.
 * Pages never written cost no resident memory, so the reservation is cheap.
 */
const PAGES = 16384;
const CAPACITY = PAGES * 65536;
/** Block alignment: a cache line, so v128 loads of a buffer's start never split one. */
const ALIGN = 64;

/** (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt): validates only where SIMD128 is supported. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** Exports of the kernels module; pointers are byte addresses, 0 is null. */
interface Kernels {
  heapBase(): number;
  sgemmWorkBytes(): number;
  lstmWorkBytes(H: number): number;
  gruWorkBytes(H: number): number;
  rnnWorkBytes(H: number): number;
  sgemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    pA: number, lda: number, pB: number, ldb: number, beta: number, pC: number, ldc: number, pWork: number): void;
  lstmForward(B: number, T: number, H: number, pU: number, pRecMask: number,
    pGates: number, pHs: number, pCs: number, pTc: number, pHm: number, pWork: number): void;
  lstmBackward(B: number, T: number, H: number, pU: number, pRecMask: number,
    pGates: number, pCs: number, pTc: number, pDhs: number, pDh: number, pDc: number, pDZ: number, pWork: number): void;
  lstmPeepholeForward(B: number, T: number, H: number, pU: number, pP: number, pRecMask: number,
    pGates: number, pHs: number, pCs: number, pTc: number, pHm: number, pWork: number): void;
  lstmPeepholeBackward(B: number, T: number, H: number, pU: number, pP: number, pRecMask: number,
    pGates: number, pCs: number, pTc: number, pDhs: number, pDh: number, pDc: number, pDZ: number, pDP: number, pWork: number): void;
  gruForward(B: number, T: number, H: number, resetAfter: boolean, pU: number, pRecBias: number,
    pGates: number, pRec: number, pHs: number, pRecMask: number, pHm: number, pWork: number): void;
  gruBackward(B: number, T: number, H: number, resetAfter: boolean, pU: number,
    pGates: number, pRec: number, pHs: number, pRecMask: number, pHm: number,
    pDhs: number, pDh: number, pTmp: number, pDZx: number, pDZh: number, pWork: number): void;
  rnnForward(B: number, T: number, H: number, pU: number, pPre: number, pHs: number,
    pRecMask: number, pHm: number, pWork: number): void;
  rnnBackward(B: number, T: number, H: number, pU: number, pHs: number, pRecMask: number,
    pDhs: number, pDh: number, pDZ: number, pWork: number): void;
  fillRows(pY: number, rows: number, N: number, pBias: number): void;
  columnSums(pX: number, rows: number, N: number, pOut: number): void;
}

/** Most buffers one kernel call names (gruBackward's 11), so the per-call tables never grow. */
const MAX_USES = 12;
/** Staged copies start on a v128 boundary, so the kernels' vector loads of them stay aligned. */
const STAGE_ALIGN = 16;

/** First-fit free list over [lo, hi) with coalescing; blocks are ALIGN-aligned. */
class Arena {
  /** Free blocks, sorted by address. */
  private readonly starts: number[] = [];
  private readonly sizes: number[] = [];
  /** Live blocks: start → size. */
  private readonly live = new Map<number, number>();
  inUse = 0;

  constructor(lo: number, readonly hi: number) {
    const start = Math.ceil(lo / ALIGN) * ALIGN;
    this.starts.push(start);
    this.sizes.push(hi - start);
  }

  /** Start of a block of at least `bytes`, or -1 when no free block is large enough. */
  take(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.starts.length; i++) {
      if (this.sizes[i]! < size) continue;
      const start = this.starts[i]!;
      if (this.sizes[i] === size) {
        this.starts.splice(i, 1);
        this.sizes.splice(i, 1);
      } else {
        this.starts[i] = start + size;
        this.sizes[i]! -= size;
      }
      this.live.set(start, size);
      this.inUse += size;
      return start;
    }
    return -1;
  }

  /** Returns a block from `take`; anything else (a second free, an interior address) is ignored. */
  give(start: number): void {
    const size = this.live.get(start);
    if (size === undefined) return;
    this.live.delete(start);
    this.inUse -= size;
    let lo = 0, hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    const i = lo;
    const joinPrev = i > 0 && this.starts[i - 1]! + this.sizes[i - 1]! === start;
    const joinNext = i < this.starts.length && start + size === this.starts[i];
    if (joinPrev && joinNext) {
      this.sizes[i - 1]! += size + this.sizes[i]!;
      this.starts.splice(i, 1);
      this.sizes.splice(i, 1);
    } else if (joinPrev) {
      this.sizes[i - 1]! += size;
    } else if (joinNext) {
      this.starts[i] = start;
      this.sizes[i]! += size;
    } else {
      this.starts.splice(i, 0, start);
      this.sizes.splice(i, 0, size);
    }
  }
}

function simdSupported(): boolean {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

const isDefault = (act: string, recAct: string): boolean => act === "tanh" && recAct === "sigmoid";

export class WasmBackend implements Backend {
  readonly name = "wasm" as const;
  private readonly memory: WebAssembly.Memory;
  private readonly k: Kernels;
  private readonly arena: Arena;
  /** All of linear memory as floats: the memory never grows, so this view never detaches. */
  private readonly f32: Float32Array;
  /**
   * Per-call scratch, grown on demand and kept: the kernel's work area (packed operands), then
   * the staged copies of arrays that live outside this memory. Taking and freeing it per call
   * would cost more than a small kernel.
   */
  private scratch = 0;
  private scratchBytes = 0;
  // The buffers of the current call, in parallel fixed-size tables so a call allocates nothing:
  // use() records them, resolve() turns them into addresses, unstage() copies outputs back.
  private uses = 0;
  private readonly useA: (Float32Array | null)[] = new Array<Float32Array | null>(MAX_USES).fill(null);
  private readonly useLo = new Int32Array(MAX_USES);
  private readonly useHi = new Int32Array(MAX_USES);
  private readonly useOut = new Uint8Array(MAX_USES);
  /** For each use: the staged copy holding it (index into st*), or -1 when it needs none. */
  private readonly useStage = new Int32Array(MAX_USES);
  private readonly addr: number[] = new Array<number>(MAX_USES).fill(0);
  private staged = 0;
  private readonly stA: (Float32Array | null)[] = new Array<Float32Array | null>(MAX_USES).fill(null);
  private readonly stLo = new Int32Array(MAX_USES);
  private readonly stHi = new Int32Array(MAX_USES);
  private readonly stOut = new Uint8Array(MAX_USES);
  private readonly stStart = new Int32Array(MAX_USES);

  /** Instantiates a compiled kernels module (see createWasmBackend) with its own 1 GiB memory. */
  constructor(module: WebAssembly.Module) {
    this.memory = new WebAssembly.Memory({ initial: PAGES });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.k = instance.exports as unknown as Kernels;
    this.arena = new Arena(this.k.heapBase(), CAPACITY);
    this.f32 = new Float32Array(this.memory.buffer);
  }

  alloc(n: number): Float32Array {
    const start = this.take(n * 4);
    return new Float32Array(this.memory.buffer, start, n).fill(0);
  }

  free(a: Float32Array): void {
    if (this.owns(a)) this.arena.give(a.byteOffset);
  }

  owns(a: Float32Array): boolean {
    return a.buffer === this.memory.buffer;
  }

  // Elementwise kernels, losses and optimizer updates are a small share of the time (see
  // docs/performance.md): they run through the reference kernels, in place on this memory.
  activate(p: ActivateArgs): void { referenceBackend.activate(p); }
  activateBackward(p: ActivateBackwardArgs): void { referenceBackend.activateBackward(p); }
  softmax(p: SoftmaxArgs): void { referenceBackend.softmax(p); }
  softmaxBackward(p: SoftmaxBackwardArgs): void { referenceBackend.softmaxBackward(p); }
  loss(p: LossArgs): number { return referenceBackend.loss(p); }
  optimizerUpdate(p: OptimizerUpdateArgs): void { referenceBackend.optimizerUpdate(p); }
  sumSquares(a: Float32Array): number { return referenceBackend.sumSquares(a); }

  /** Bytes currently allocated (buffers, scratch and staging). */
  bytesInUse(): number {
    return this.arena.inUse;
  }

  gemm(p: GemmArgs): void {
    const { transA, transB, M, N, K, lda, ldb, ldc } = p;
    if (M <= 0 || N <= 0) return;
    const alpha = p.alpha ?? 1, beta = p.beta ?? 0;
    const aOff = p.aOff ?? 0, bOff = p.bOff ?? 0, cOff = p.cOff ?? 0;
    const product = K > 0 && alpha !== 0;
    this.use(product ? p.A : null, aOff, aOff + (transA ? (K - 1) * lda + M : (M - 1) * lda + K), false);
    this.use(product ? p.B : null, bOff, bOff + (transB ? (N - 1) * ldb + K : (K - 1) * ldb + N), false);
    this.use(p.C, cOff, cOff + (M - 1) * ldc + N, true);
    const r = this.resolve(this.k.sgemmWorkBytes());
    try {
      this.k.sgemm(transA, transB, M, N, K, alpha, r[0]! + 4 * aOff, lda, r[1]! + 4 * bOff, ldb, beta, r[2]! + 4 * cOff, ldc, this.scratch);
    } finally {
      this.unstage();
    }
  }

  fillRows(p: FillRowsArgs): void {
    const n = p.rows * p.N;
    if (n <= 0) return;
    this.use(p.Y, p.yOff, p.yOff + n, true);
    this.use(p.bias, p.biasOff, p.biasOff + p.N, false);
    const r = this.resolve(0);
    try {
      this.k.fillRows(r[0]! + 4 * p.yOff, p.rows, p.N, p.bias ? r[1]! + 4 * p.biasOff : 0);
    } finally {
      this.unstage();
    }
  }

  columnSums(p: ColumnSumsArgs): void {
    const xOff = p.xOff ?? 0;
    if (p.rows <= 0 || p.N <= 0) return;
    this.use(p.X, xOff, xOff + p.rows * p.N, false);
    this.use(p.out, p.outOff, p.outOff + p.N, true);
    const r = this.resolve(0);
    try {
      this.k.columnSums(r[0]! + 4 * xOff, p.rows, p.N, r[1]! + 4 * p.outOff);
    } finally {
      this.unstage();
    }
  }

  lstmForward(p: LstmForwardArgs): void {
    if (!isDefault(p.act, p.recAct)) return referenceBackend.lstmForward(p);
    if (p.P) return this.lstmPeepholeForward(p, p.P);
    const { B, T, H } = p;
    const BH = B * H, G = 4 * H;
    this.use(p.U, 0, H * G, false);
    this.use(p.recMask, 0, BH, false);
    this.use(p.gates, 0, T * B * G, true);
    this.use(p.hs, 0, (T + 1) * BH, true);
    this.use(p.cs, 0, (T + 1) * BH, true);
    this.use(p.tc, 0, (T + 1) * BH, true);
    this.use(p.hm, 0, T * BH, true);
    const r = this.resolve(this.k.lstmWorkBytes(H));
    try {
      this.k.lstmForward(B, T, H, r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, r[5]!, r[6]!, this.scratch);
    } finally {
      this.unstage();
    }
  }

  lstmBackward(p: LstmBackwardArgs): void {
    if (!isDefault(p.act, p.recAct)) return referenceBackend.lstmBackward(p);
    if (p.P) return this.lstmPeepholeBackward(p, p.P);
    const { B, T, H } = p;
    const BH = B * H, G = 4 * H;
    this.use(p.U, 0, H * G, false);
    this.use(p.recMask, 0, BH, false);
    this.use(p.gates, 0, T * B * G, false);
    this.use(p.cs, 0, (T + 1) * BH, false);
    this.use(p.tc, 0, (T + 1) * BH, false);
    this.use(p.dhs, 0, T * BH, false);
    this.use(p.dh, 0, BH, true);
    this.use(p.dc, 0, BH, true);
    this.use(p.dZ, 0, T * B * G, true);
    const r = this.resolve(this.k.lstmWorkBytes(H));
    try {
      this.k.lstmBackward(B, T, H, r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, r[5]!, r[6]!, r[7]!, r[8]!, this.scratch);
    } finally {
      this.unstage();
    }
  }

  /** The peephole LSTM forward (default activations), natively. */
  private lstmPeepholeForward(p: LstmForwardArgs, P: Float32Array): void {
    const { B, T, H } = p;
    const BH = B * H, G = 4 * H;
    this.use(p.U, 0, H * G, false);
    this.use(P, 0, 3 * H, false);
    this.use(p.recMask, 0, BH, false);
    this.use(p.gates, 0, T * B * G, true);
    this.use(p.hs, 0, (T + 1) * BH, true);
    this.use(p.cs, 0, (T + 1) * BH, true);
    this.use(p.tc, 0, (T + 1) * BH, true);
    this.use(p.hm, 0, T * BH, true);
    const r = this.resolve(this.k.lstmWorkBytes(H));
    try {
      this.k.lstmPeepholeForward(B, T, H, r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, r[5]!, r[6]!, r[7]!, this.scratch);
    } finally {
      this.unstage();
    }
  }

  /** The peephole LSTM backward (default activations), natively; dP accumulates. */
  private lstmPeepholeBackward(p: LstmBackwardArgs, P: Float32Array): void {
    if (!p.dP) throw new Error("lstmBackward: a peephole LSTM needs dP, the buffer its peephole gradient accumulates into");
    const { B, T, H } = p;
    const BH = B * H, G = 4 * H;
    this.use(p.U, 0, H * G, false);
    this.use(P, 0, 3 * H, false);
    this.use(p.recMask, 0, BH, false);
    this.use(p.gates, 0, T * B * G, false);
    this.use(p.cs, 0, (T + 1) * BH, false);
    this.use(p.tc, 0, (T + 1) * BH, false);
    this.use(p.dhs, 0, T * BH, false);
    this.use(p.dh, 0, BH, true);
    this.use(p.dc, 0, BH, true);
    this.use(p.dZ, 0, T * B * G, true);
    this.use(p.dP, 0, 3 * H, true);
    const r = this.resolve(this.k.lstmWorkBytes(H));
    try {
      this.k.lstmPeepholeBackward(B, T, H, r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, r[5]!, r[6]!, r[7]!, r[8]!, r[9]!, r[10]!, this.scratch);
    } finally {
      this.unstage();
    }
  }

  gruForward(p: GruForwardArgs): void {
    if (!isDefault(p.act, p.recAct)) return referenceBackend.gruForward(p);
    const { B, T, H, resetAfter } = p;
    const BH = B * H, G = 3 * H;
    const recBias = resetAfter ? p.recBias : null; // the classic form has no recurrent bias
    this.use(p.U, 0, H * G, false);
    this.use(recBias, p.recBiasOff, p.recBiasOff + G, false);
    this.use(p.gates, 0, T * B * G, true);
    this.use(p.rec, 0, resetAfter ? T * B * G : T * BH, true);
    this.use(p.hs, 0, (T + 1) * BH, true);
    this.use(p.recMask, 0, BH, false);
    this.use(p.hm, 0, T * BH, true);
    const r = this.resolve(this.k.gruWorkBytes(H));
    try {
      this.k.gruForward(B, T, H, resetAfter, r[0]!, recBias ? r[1]! + 4 * p.recBiasOff : 0,
        r[2]!, r[3]!, r[4]!, r[5]!, r[6]!, this.scratch);
    } finally {
      this.unstage();
    }
  }

  gruBackward(p: GruBackwardArgs): void {
    if (!isDefault(p.act, p.recAct)) return referenceBackend.gruBackward(p);
    const { B, T, H, resetAfter } = p;
    const BH = B * H, G = 3 * H;
    this.use(p.U, 0, H * G, false);
    this.use(p.gates, 0, T * B * G, false);
    this.use(p.rec, 0, resetAfter ? T * B * G : T * BH, false);
    this.use(p.hs, 0, (T + 1) * BH, false);
    this.use(p.recMask, 0, BH, false);
    this.use(p.hm, 0, T * BH, false);
    this.use(p.dhs, 0, T * BH, false);
    this.use(p.dh, 0, BH, true);
    this.use(p.tmp, 0, BH, true);
    this.use(p.dZx, 0, T * B * G, true);
    this.use(resetAfter ? p.dZh : null, 0, T * B * G, true);
    const r = this.resolve(this.k.gruWorkBytes(H));
    try {
      this.k.gruBackward(B, T, H, resetAfter, r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, r[5]!,
        r[6]!, r[7]!, r[8]!, r[9]!, r[10]!, this.scratch);
    } finally {
      this.unstage();
    }
  }

  rnnForward(p: RnnForwardArgs): void {
    if (p.act !== "tanh") return referenceBackend.rnnForward(p);
    const { B, T, H } = p;
    const BH = B * H;
    this.use(p.U, 0, H * H, false);
    this.use(p.pre, 0, T * BH, true);
    this.use(p.hs, 0, (T + 1) * BH, true);
    this.use(p.recMask, 0, BH, false);
    this.use(p.hm, 0, T * BH, true);
    const r = this.resolve(this.k.rnnWorkBytes(H));
    try {
      this.k.rnnForward(B, T, H, r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, this.scratch);
    } finally {
      this.unstage();
    }
  }

  rnnBackward(p: RnnBackwardArgs): void {
    if (p.act !== "tanh") return referenceBackend.rnnBackward(p);
    const { B, T, H } = p;
    const BH = B * H;
    this.use(p.U, 0, H * H, false);
    this.use(p.hs, 0, (T + 1) * BH, false);
    this.use(p.recMask, 0, BH, false);
    this.use(p.dhs, 0, T * BH, false);
    this.use(p.dh, 0, BH, true);
    this.use(p.dZ, 0, T * BH, true);
    const r = this.resolve(this.k.rnnWorkBytes(H));
    try {
      this.k.rnnBackward(B, T, H, r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, r[5]!, this.scratch);
    } finally {
      this.unstage();
    }
  }

  private take(bytes: number): number {
    const start = this.arena.take(bytes);
    if (start < 0) {
      throw new Error(
        `wasm backend: out of memory: asked for ${bytes} bytes with ${this.arena.inUse} bytes in use ` +
        `of ${CAPACITY - this.k.heapBase()}; use backend: "js" for larger models`);
    }
    return start;
  }

  /** Records a buffer the next kernel touches: elements [lo, hi) of `a` (null: address 0), written when `out`. */
  private use(a: Float32Array | null, lo: number, hi: number, out: boolean): void {
    const u = this.uses++;
    this.useA[u] = a;
    this.useLo[u] = lo;
    this.useHi[u] = hi;
    this.useOut[u] = out ? 1 : 0;
  }

  /**
   * Byte address of element 0 of each recorded buffer (so element i is at address + 4i), with
   * `workBytes` of kernel scratch at this.scratch. Arrays in this memory resolve to their own
   * offset; others are staged: [lo, hi) is copied into the scratch after the work area, and
   * written back by unstage() when the kernel writes it. An array named twice is staged once,
   * over the union of its ranges, so aliasing behaves as it does on the reference backend.
   * The returned table is reused by the next call.
   */
  private resolve(workBytes: number): number[] {
    const n = this.uses;
    this.uses = 0;
    const addr = this.addr;
    for (let u = 0; u < n; u++) {
      const a = this.useA[u]!;
      this.useA[u] = null;
      this.useStage[u] = -1;
      if (!a) { addr[u] = 0; continue; }
      if (this.owns(a)) { addr[u] = a.byteOffset; continue; }
      let s = 0;
      while (s < this.staged && this.stA[s] !== a) s++;
      if (s === this.staged) {
        this.staged++;
        this.stA[s] = a;
        this.stLo[s] = this.useLo[u]!;
        this.stHi[s] = this.useHi[u]!;
        this.stOut[s] = this.useOut[u]!;
      } else {
        this.stLo[s] = Math.min(this.stLo[s]!, this.useLo[u]!);
        this.stHi[s] = Math.max(this.stHi[s]!, this.useHi[u]!);
        this.stOut[s] |= this.useOut[u]!;
      }
      this.useStage[u] = s;
    }
    let bytes = align(workBytes, STAGE_ALIGN);
    for (let s = 0; s < this.staged; s++) {
      const len = this.stA[s]!.length;
      const lo = Math.max(0, Math.min(this.stLo[s]!, len));
      this.stLo[s] = lo;
      this.stHi[s] = Math.max(lo, Math.min(this.stHi[s]!, len));
      this.stStart[s] = bytes;
      bytes += align((this.stHi[s]! - lo) * 4, STAGE_ALIGN);
    }
    try {
      this.ensureScratch(bytes);
    } catch (e) {
      this.stA.fill(null); // nothing was copied in, so nothing goes back
      this.staged = 0;
      throw e;
    }
    for (let s = 0; s < this.staged; s++) {
      const start = (this.stStart[s]! += this.scratch);
      this.f32.set(this.stA[s]!.subarray(this.stLo[s], this.stHi[s]), start >> 2);
    }
    for (let u = 0; u < n; u++) {
      const s = this.useStage[u]!;
      if (s >= 0) addr[u] = this.stStart[s]! - 4 * this.stLo[s]!;
    }
    return addr;
  }

  /** Grows the scratch to at least `bytes` (its old contents are not kept: nothing lives there between calls). */
  private ensureScratch(bytes: number): void {
    if (bytes <= this.scratchBytes) return;
    if (this.scratchBytes > 0) this.arena.give(this.scratch);
    this.scratchBytes = 0;
    this.scratch = this.take(bytes);
    this.scratchBytes = bytes;
  }

  /** Copies staged outputs back to their arrays. */
  private unstage(): void {
    for (let s = 0; s < this.staged; s++) {
      const a = this.stA[s]!;
      this.stA[s] = null;
      if (this.stOut[s]) {
        const at = this.stStart[s]! >> 2;
        a.set(this.f32.subarray(at, at + this.stHi[s]! - this.stLo[s]!), this.stLo[s]);
      }
    }
    this.staged = 0;
  }
}

const align = (n: number, to: number): number => Math.ceil(n / to) * to;

let compiled: WebAssembly.Module | null = null;

/**
 * The wasm backend, compiled synchronously (fine in Node and in workers), or null where
 * WebAssembly or its SIMD extension is missing.
 */
export function createWasmBackend(): WasmBackend | null {
  if (!simdSupported()) return null;
  compiled ??= new WebAssembly.Module(decodeBase64(WASM_BASE64));
  return instantiate(compiled);
}

/** As createWasmBackend, compiling asynchronously: browsers refuse to compile large modules synchronously on the main thread. */
export async function createWasmBackendAsync(): Promise<WasmBackend | null> {
  if (!simdSupported()) return null;
  compiled ??= await WebAssembly.compile(decodeBase64(WASM_BASE64));
  return instantiate(compiled);
}

/** A backend on `module`, or null where the runtime cannot reserve the 1 GiB (a 32-bit browser). */
function instantiate(module: WebAssembly.Module): WasmBackend | null {
  try {
    return new WasmBackend(module);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}
