// The WebAssembly SIMD backend: buffers are views into one linear memory and the kernels of
// assembly/kernels.ts run on them in place. Browser-safe: no Node APIs.

import { WASM_BASE64 } from "./module.generated.js";
import { referenceBackend } from "../reference.js";
import type {
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

/**
 * A buffer a kernel touches: elements [lo, hi) of `a`, and whether the kernel writes them.
 * A null buffer resolves to address 0.
 */
type Use = readonly [a: Float32Array | null, lo: number, hi: number, out: boolean];

/** A user's array copied into wasm memory for one kernel call. */
interface Staged {
  a: Float32Array;
  lo: number;
  hi: number;
  out: boolean;
  start: number;
}

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
  /** Kernel scratch (packed operands), grown on demand and kept. */
  private work = 0;
  private workBytes = 0;
  private readonly staged: Staged[] = [];

  /** Instantiates a compiled kernels module (see createWasmBackend) with its own 1 GiB memory. */
  constructor(module: WebAssembly.Module) {
    this.memory = new WebAssembly.Memory({ initial: PAGES });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.k = instance.exports as unknown as Kernels;
    this.arena = new Arena(this.k.heapBase(), CAPACITY);
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
    const aEnd = aOff + (transA ? (K - 1) * lda + M : (M - 1) * lda + K);
    const bEnd = bOff + (transB ? (N - 1) * ldb + K : (K - 1) * ldb + N);
    const [pA, pB, pC] = this.resolve([
      [product ? p.A : null, aOff, aEnd, false],
      [product ? p.B : null, bOff, bEnd, false],
      [p.C, cOff, cOff + (M - 1) * ldc + N, true],
    ]);
    try {
      const work = this.ensureWork(this.k.sgemmWorkBytes());
      this.k.sgemm(transA, transB, M, N, K, alpha, pA! + 4 * aOff, lda, pB! + 4 * bOff, ldb, beta, pC! + 4 * cOff, ldc, work);
    } finally {
      this.unstage();
    }
  }

  fillRows(p: FillRowsArgs): void {
    const n = p.rows * p.N;
    if (n <= 0) return;
    const [pY, pBias] = this.resolve([
      [p.Y, p.yOff, p.yOff + n, true],
      [p.bias, p.biasOff, p.biasOff + p.N, false],
    ]);
    try {
      this.k.fillRows(pY! + 4 * p.yOff, p.rows, p.N, p.bias ? pBias! + 4 * p.biasOff : 0);
    } finally {
      this.unstage();
    }
  }

  columnSums(p: ColumnSumsArgs): void {
    const xOff = p.xOff ?? 0;
    if (p.rows <= 0 || p.N <= 0) return;
    const [pX, pOut] = this.resolve([
      [p.X, xOff, xOff + p.rows * p.N, false],
      [p.out, p.outOff, p.outOff + p.N, true],
    ]);
    try {
      this.k.columnSums(pX! + 4 * xOff, p.rows, p.N, pOut! + 4 * p.outOff);
    } finally {
      this.unstage();
    }
  }

  lstmForward(p: LstmForwardArgs): void {
    if (!isDefault(p.act, p.recAct)) return referenceBackend.lstmForward(p);
    const { B, T, H } = p;
    const BH = B * H, G = 4 * H;
    const [pU, pMask, pGates, pHs, pCs, pTc, pHm] = this.resolve([
      [p.U, 0, H * G, false],
      [p.recMask, 0, BH, false],
      [p.gates, 0, T * B * G, true],
      [p.hs, 0, (T + 1) * BH, true],
      [p.cs, 0, (T + 1) * BH, true],
      [p.tc, 0, (T + 1) * BH, true],
      [p.hm, 0, T * BH, true],
    ]);
    try {
      const work = this.ensureWork(this.k.lstmWorkBytes(H));
      this.k.lstmForward(B, T, H, pU!, pMask!, pGates!, pHs!, pCs!, pTc!, pHm!, work);
    } finally {
      this.unstage();
    }
  }

  lstmBackward(p: LstmBackwardArgs): void {
    if (!isDefault(p.act, p.recAct)) return referenceBackend.lstmBackward(p);
    const { B, T, H } = p;
    const BH = B * H, G = 4 * H;
    const [pU, pMask, pGates, pCs, pTc, pDhs, pDh, pDc, pDZ] = this.resolve([
      [p.U, 0, H * G, false],
      [p.recMask, 0, BH, false],
      [p.gates, 0, T * B * G, false],
      [p.cs, 0, (T + 1) * BH, false],
      [p.tc, 0, (T + 1) * BH, false],
      [p.dhs, 0, T * BH, false],
      [p.dh, 0, BH, true],
      [p.dc, 0, BH, true],
      [p.dZ, 0, T * B * G, true],
    ]);
    try {
      const work = this.ensureWork(this.k.lstmWorkBytes(H));
      this.k.lstmBackward(B, T, H, pU!, pMask!, pGates!, pCs!, pTc!, pDhs!, pDh!, pDc!, pDZ!, work);
    } finally {
      this.unstage();
    }
  }

  gruForward(p: GruForwardArgs): void {
    if (!isDefault(p.act, p.recAct)) return referenceBackend.gruForward(p);
    const { B, T, H, resetAfter } = p;
    const BH = B * H, G = 3 * H;
    const recBias = resetAfter ? p.recBias : null; // the classic form has no recurrent bias
    const [pU, pBias, pGates, pRec, pHs, pMask, pHm] = this.resolve([
      [p.U, 0, H * G, false],
      [recBias, p.recBiasOff, p.recBiasOff + G, false],
      [p.gates, 0, T * B * G, true],
      [p.rec, 0, resetAfter ? T * B * G : T * BH, true],
      [p.hs, 0, (T + 1) * BH, true],
      [p.recMask, 0, BH, false],
      [p.hm, 0, T * BH, true],
    ]);
    try {
      const work = this.ensureWork(this.k.gruWorkBytes(H));
      this.k.gruForward(B, T, H, resetAfter, pU!, recBias ? pBias! + 4 * p.recBiasOff : 0,
        pGates!, pRec!, pHs!, pMask!, pHm!, work);
    } finally {
      this.unstage();
    }
  }

  gruBackward(p: GruBackwardArgs): void {
    if (!isDefault(p.act, p.recAct)) return referenceBackend.gruBackward(p);
    const { B, T, H, resetAfter } = p;
    const BH = B * H, G = 3 * H;
    const [pU, pGates, pRec, pHs, pMask, pHm, pDhs, pDh, pTmp, pDZx, pDZh] = this.resolve([
      [p.U, 0, H * G, false],
      [p.gates, 0, T * B * G, false],
      [p.rec, 0, resetAfter ? T * B * G : T * BH, false],
      [p.hs, 0, (T + 1) * BH, false],
      [p.recMask, 0, BH, false],
      [p.hm, 0, T * BH, false],
      [p.dhs, 0, T * BH, false],
      [p.dh, 0, BH, true],
      [p.tmp, 0, BH, true],
      [p.dZx, 0, T * B * G, true],
      [resetAfter ? p.dZh : null, 0, T * B * G, true],
    ]);
    try {
      const work = this.ensureWork(this.k.gruWorkBytes(H));
      this.k.gruBackward(B, T, H, resetAfter, pU!, pGates!, pRec!, pHs!, pMask!, pHm!,
        pDhs!, pDh!, pTmp!, pDZx!, pDZh!, work);
    } finally {
      this.unstage();
    }
  }

  rnnForward(p: RnnForwardArgs): void {
    if (p.act !== "tanh") return referenceBackend.rnnForward(p);
    const { B, T, H } = p;
    const BH = B * H;
    const [pU, pPre, pHs, pMask, pHm] = this.resolve([
      [p.U, 0, H * H, false],
      [p.pre, 0, T * BH, true],
      [p.hs, 0, (T + 1) * BH, true],
      [p.recMask, 0, BH, false],
      [p.hm, 0, T * BH, true],
    ]);
    try {
      const work = this.ensureWork(this.k.rnnWorkBytes(H));
      this.k.rnnForward(B, T, H, pU!, pPre!, pHs!, pMask!, pHm!, work);
    } finally {
      this.unstage();
    }
  }

  rnnBackward(p: RnnBackwardArgs): void {
    if (p.act !== "tanh") return referenceBackend.rnnBackward(p);
    const { B, T, H } = p;
    const BH = B * H;
    const [pU, pHs, pMask, pDhs, pDh, pDZ] = this.resolve([
      [p.U, 0, H * H, false],
      [p.hs, 0, (T + 1) * BH, false],
      [p.recMask, 0, BH, false],
      [p.dhs, 0, T * BH, false],
      [p.dh, 0, BH, true],
      [p.dZ, 0, T * BH, true],
    ]);
    try {
      const work = this.ensureWork(this.k.rnnWorkBytes(H));
      this.k.rnnBackward(B, T, H, pU!, pHs!, pMask!, pDhs!, pDh!, pDZ!, work);
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

  private ensureWork(bytes: number): number {
    if (bytes > this.workBytes) {
      if (this.workBytes > 0) this.arena.give(this.work);
      this.workBytes = 0;
      this.work = this.take(bytes);
      this.workBytes = bytes;
    }
    return this.work;
  }

  /**
   * Byte address of element 0 of each buffer (so element i is at address + 4i). Arrays in this
   * memory resolve to their own offset; others are staged: [lo, hi) is copied into a scratch block,
   * and written back by unstage() when the kernel writes it. An array named twice is staged once,
   * over the union of its ranges, so aliasing behaves as it does on the reference backend.
   */
  private resolve(uses: readonly Use[]): number[] {
    const out = new Array<number>(uses.length);
    let pending: Staged[] | null = null;
    for (let u = 0; u < uses.length; u++) {
      const [a, lo, hi, writes] = uses[u]!;
      if (!a) { out[u] = 0; continue; }
      if (this.owns(a)) { out[u] = a.byteOffset; continue; }
      pending ??= [];
      const same = pending.find((s) => s.a === a);
      if (same) {
        same.lo = Math.min(same.lo, lo);
        same.hi = Math.max(same.hi, hi);
        same.out ||= writes;
      } else {
        pending.push({ a, lo, hi, out: writes, start: 0 });
      }
    }
    if (!pending) return out;
    try {
      for (const s of pending) {
        s.lo = Math.max(0, Math.min(s.lo, s.a.length));
        s.hi = Math.max(s.lo, Math.min(s.hi, s.a.length));
        s.start = this.take((s.hi - s.lo) * 4);
        this.staged.push(s);
        new Float32Array(this.memory.buffer, s.start, s.hi - s.lo).set(s.a.subarray(s.lo, s.hi));
      }
    } catch (e) {
      this.unstage();
      throw e;
    }
    for (let u = 0; u < uses.length; u++) {
      const a = uses[u]![0];
      if (!a || this.owns(a)) continue;
      const s = pending.find((q) => q.a === a)!;
      out[u] = s.start - 4 * s.lo;
    }
    return out;
  }

  /** Copies staged outputs back to their arrays and frees every staging block. */
  private unstage(): void {
    for (const s of this.staged) {
      if (s.out) s.a.set(new Float32Array(this.memory.buffer, s.start, s.hi - s.lo), s.lo);
      this.arena.give(s.start);
    }
    this.staged.length = 0;
  }
}

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
