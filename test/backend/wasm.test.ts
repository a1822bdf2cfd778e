// The WebAssembly SIMD backend against the reference backend: every kernel on random data, on
// arrays it owns and on user arrays it has to stage, plus its memory allocator.

import { describe, it, expect, afterAll } from "vitest";
import { createWasmBackend } from "../../src/backend/wasm/wasm.js";
import { referenceBackend } from "../../src/backend/reference.js";
import type { Backend, GemmArgs } from "../../src/backend/backend.js";
import type { Activation } from "../../src/kernels/activations.js";
import { Rng } from "../../src/tensor/rng.js";

const TOL = 1e-5; // max |wasm − reference| / max |reference|, per buffer

const created = createWasmBackend();
if (!created) throw new Error("WebAssembly SIMD is unavailable in this runtime");
const wasm = created;

/** Worst error seen per kernel, printed at the end (the numbers quoted for the backend). */
const worst = new Map<string, number>();
afterAll(() => {
  const rows = [...worst].map(([k, v]) => `${k}: ${v.toExponential(2)}`);
  console.log(`wasm vs reference, max relative error per kernel\n  ${rows.join("\n  ")}`);
});

/**
 * max |a − ref| / max(1e-6, max |ref|); a NaN where the reference has none (or the reverse) is an
 * infinite error, so NaN handling is checked too.
 */
function relErr(a: Float32Array, ref: Float32Array): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const x = a[i]!, r = ref[i]!;
    if (Number.isNaN(r) || Number.isNaN(x)) {
      if (Number.isNaN(r) !== Number.isNaN(x)) return Infinity;
      continue;
    }
    diff = Math.max(diff, Math.abs(x - r));
    scale = Math.max(scale, Math.abs(r));
  }
  return diff / Math.max(1e-6, scale);
}

function random(n: number, rng: Rng, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.uniform(-1, 1);
  return a;
}

/** A copy of `src` in wasm memory (owned) or as a plain array (staged). */
function place(src: Float32Array, owned: boolean): Float32Array {
  if (!owned) return Float32Array.from(src);
  const a = wasm.alloc(src.length);
  a.set(src);
  return a;
}

type Fields = Record<string, unknown>;
type Kernel = Exclude<keyof Backend, "name" | "alloc" | "free" | "owns">;
type Run = (p: Fields) => void;

/**
 * Runs kernel `name` on both backends with copies of the same inputs and returns the error of
 * every Float32Array field (outputs are compared whole, so stray writes count too).
 */
function compare(name: Kernel, args: Fields, owned: boolean, tag: string): Record<string, number> {
  const ref: Fields = {}, mine: Fields = {};
  for (const [k, v] of Object.entries(args)) {
    ref[k] = v instanceof Float32Array ? Float32Array.from(v) : v;
    mine[k] = v instanceof Float32Array ? place(v, owned) : v;
  }
  (referenceBackend[name] as unknown as Run).call(referenceBackend, ref);
  (wasm[name] as unknown as Run).call(wasm, mine);
  const errs: Record<string, number> = {};
  for (const [k, v] of Object.entries(ref)) {
    if (!(v instanceof Float32Array)) continue;
    errs[k] = relErr(mine[k] as Float32Array, v);
    if (owned) wasm.free(mine[k] as Float32Array);
  }
  const max = Math.max(0, ...Object.values(errs));
  worst.set(tag, Math.max(worst.get(tag) ?? 0, max));
  return errs;
}

function expectClose(errs: Record<string, number>, what: string): void {
  for (const [k, e] of Object.entries(errs)) expect(e, `${what}: ${k}`).toBeLessThan(TOL);
}

describe("wasm backend: creation", () => {
  it("is the wasm backend and owns exactly what it allocates", () => {
    expect(wasm.name).toBe("wasm");
    const a = wasm.alloc(10);
    expect(wasm.owns(a)).toBe(true);
    expect(wasm.owns(a.subarray(3))).toBe(true);
    expect(wasm.owns(new Float32Array(10))).toBe(false);
    wasm.free(a);
  });
});

describe("wasm backend: gemm", () => {
  const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17, 31, 33, 64, 70];

  function gemmCase(rng: Rng, M: number, N: number, K: number, transA: boolean, transB: boolean,
    alpha: number, beta: number, pads: boolean, ownership: [boolean, boolean, boolean]): Record<string, number> {
    const aRows = transA ? K : M, aCols = transA ? M : K;
    const bRows = transB ? N : K, bCols = transB ? K : N;
    const padA = pads ? rng.int(4) : 0, padB = pads ? rng.int(4) : 0, padC = pads ? rng.int(4) : 0;
    const aOff = pads ? rng.int(5) : 0, bOff = pads ? rng.int(5) : 0, cOff = pads ? rng.int(5) : 0;
    const lda = aCols + padA, ldb = bCols + padB, ldc = N + padC;
    const A = random(aOff + aRows * lda + 3, rng);
    const Bm = random(bOff + bRows * ldb + 3, rng);
    const C = beta === 0 ? new Float32Array(cOff + M * ldc + 3).fill(NaN) : random(cOff + M * ldc + 3, rng);
    const args: GemmArgs = { transA, transB, M, N, K, alpha, A, aOff, lda, B: Bm, bOff, ldb, beta, C, cOff, ldc };
    const ref = { ...args, A: Float32Array.from(A), B: Float32Array.from(Bm), C: Float32Array.from(C) };
    const mine = { ...args, A: place(A, ownership[0]), B: place(Bm, ownership[1]), C: place(C, ownership[2]) };
    referenceBackend.gemm(ref);
    wasm.gemm(mine);
    const errs = { C: relErr(mine.C, ref.C), A: relErr(mine.A, ref.A), B: relErr(mine.B, ref.B) };
    for (const [a, o] of [[mine.A, ownership[0]], [mine.B, ownership[1]], [mine.C, ownership[2]]] as const) if (o) wasm.free(a);
    const tag = `gemm ${ownership.every(Boolean) ? "owned" : "staged"}`;
    worst.set(tag, Math.max(worst.get(tag) ?? 0, errs.C));
    return errs;
  }

  for (const owned of [true, false]) {
    it(`matches the reference over many shapes and all transposes (${owned ? "owned" : "user"} arrays)`, () => {
      const rng = new Rng(owned ? 11 : 12);
      for (let n = 0; n < 160; n++) {
        const M = SIZES[rng.int(SIZES.length)]!, N = SIZES[rng.int(SIZES.length)]!, K = SIZES[rng.int(SIZES.length)]!;
        const transA = (n & 1) === 1, transB = (n & 2) === 2;
        const alpha = n % 3 === 0 ? 0.5 : 1;
        const beta = [0, 1, 0.5][n % 3]!;
        const errs = gemmCase(rng, M, N, K, transA, transB, alpha, beta, n % 4 !== 0, [owned, owned, owned]);
        expectClose(errs, `M=${M} N=${N} K=${K} tA=${transA} tB=${transB} alpha=${alpha} beta=${beta}`);
      }
    });
  }

  it("handles edges: K=0, M=1, alpha 0, beta 0 over NaN, mixed ownership, K and N past one block", () => {
    const rng = new Rng(13);
    const cases: [number, number, number][] = [[3, 5, 0], [1, 70, 33], [1, 1, 1], [70, 1, 70], [2, 600, 20], [9, 40, 700], [3, 21, 700], [1, 16, 300], [32, 512, 1]];
    for (const [M, N, K] of cases) {
      for (let combo = 0; combo < 4; combo++) {
        const transA = (combo & 1) === 1, transB = (combo & 2) === 2;
        for (const [alpha, beta] of [[1, 0], [0.5, 1], [0, 0], [0, 0.5]] as const) {
          const own: [boolean, boolean, boolean] = [rng.next() < 0.5, rng.next() < 0.5, rng.next() < 0.5];
          const errs = gemmCase(rng, M, N, K, transA, transB, alpha, beta, true, own);
          expectClose(errs, `M=${M} N=${N} K=${K} tA=${transA} tB=${transB} alpha=${alpha} beta=${beta} own=${own}`);
        }
      }
    }
  });

  it("matches the reference on 1 to 4 rows across the GEMV column blocks and their ragged ends", () => {
    // 24-, 16- and 8-column blocks by row count, 8-column strips and a 1..3-column tail after them
    const rng = new Rng(15);
    const NS = [1, 3, 4, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 33, 41, 47, 48, 49, 57, 100, 203];
    const KS = [1, 2, 3, 5, 16, 33, 130];
    for (let M = 1; M <= 4; M++) {
      for (const N of NS) {
        for (const K of KS) {
          const transA = rng.next() < 0.3;
          const alpha = rng.next() < 0.3 ? 0.5 : 1, beta = [0, 1, 0.5][rng.int(3)]!;
          const own: [boolean, boolean, boolean] = [rng.next() < 0.5, rng.next() < 0.5, rng.next() < 0.5];
          const errs = gemmCase(rng, M, N, K, transA, false, alpha, beta, rng.next() < 0.7, own);
          expectClose(errs, `M=${M} N=${N} K=${K} tA=${transA} alpha=${alpha} beta=${beta} own=${own}`);
        }
      }
    }
  });

  it("stages a user array passed as two operands once", () => {
    const rng = new Rng(14);
    const X = random(64, rng);
    const C = new Float32Array(16);
    const Cref = new Float32Array(16);
    const args = { transA: true, transB: false, M: 4, N: 4, K: 8, lda: 8, ldb: 8, ldc: 4, aOff: 0, bOff: 4 };
    referenceBackend.gemm({ ...args, A: X, B: X, C: Cref });
    wasm.gemm({ ...args, A: X, B: X, C });
    expect(relErr(C, Cref)).toBeLessThan(TOL);
  });
});

describe("wasm backend: fillRows and columnSums", () => {
  for (const owned of [true, false]) {
    it(`match the reference (${owned ? "owned" : "user"} arrays)`, () => {
      const rng = new Rng(owned ? 21 : 22);
      for (let n = 0; n < 30; n++) {
        const rows = 1 + rng.int(9), N = 1 + rng.int(21);
        const withBias = n % 3 !== 0;
        expectClose(compare("fillRows", {
          Y: random(rows * N + 10, rng), yOff: rng.int(5), rows, N,
          bias: withBias ? random(N + 6, rng) : null, biasOff: rng.int(4),
        }, owned, "fillRows"), `fillRows ${rows}x${N}`);
        expectClose(compare("columnSums", {
          X: random(rows * N + 8, rng), xOff: rng.int(5), rows, N, out: random(N + 6, rng), outOff: rng.int(4),
        }, owned, "columnSums"), `columnSums ${rows}x${N}`);
      }
    });
  }
});

interface Dims { B: number; T: number; H: number; mask: boolean; dhs: boolean; owned: boolean }

const HS = [1, 2, 3, 4, 5, 7, 8, 13, 16, 19];

/** Random recurrent problem sizes with every flag combination represented. */
function dimsList(seed: number, n: number): Dims[] {
  const rng = new Rng(seed);
  const out: Dims[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      B: 1 + rng.int(5), T: 1 + rng.int(7), H: HS[i % HS.length]!,
      mask: (i & 1) === 1, dhs: (i & 2) === 2, owned: (i & 4) === 0,
    });
  }
  return out;
}

/** Recurrent-dropout mask, already scaled by 1/keep: zeros and 1/0.7. */
function dropMask(n: number, rng: Rng): Float32Array {
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.next() < 0.3 ? 0 : 1 / 0.7;
  return m;
}

function describeDims(d: Dims): string {
  return `B=${d.B} T=${d.T} H=${d.H} mask=${d.mask} dhs=${d.dhs} owned=${d.owned}`;
}

const FALLBACK: [Activation, Activation] = ["relu", "hardSigmoid"];

describe("wasm backend: LSTM", () => {
  for (const acts of [["tanh", "sigmoid"], FALLBACK] as [Activation, Activation][]) {
    it(`forward and backward match the reference (act=${acts[0]}, recAct=${acts[1]})`, () => {
      for (const d of dimsList(31, acts === FALLBACK ? 16 : 60)) {
        const rng = new Rng(d.B * 1000 + d.T * 100 + d.H);
        const { B, T, H } = d;
        const BH = B * H, G = 4 * H;
        const U = random(H * G, rng, 0.6);
        const recMask = d.mask ? dropMask(BH, rng) : null;
        const hs = new Float32Array((T + 1) * BH), cs = new Float32Array((T + 1) * BH);
        hs.set(random(BH, rng));
        cs.set(random(BH, rng, 2));
        const fwd = {
          B, T, H, U, recMask, gates: random(T * B * G, rng, 3), hs, cs, tc: new Float32Array((T + 1) * BH),
          act: acts[0], recAct: acts[1], hm: d.mask ? new Float32Array(T * BH) : null,
        };
        const tag = acts === FALLBACK ? "lstm fallback" : "lstm";
        expectClose(compare("lstmForward", fwd, d.owned, `${tag} forward`), `lstmForward ${describeDims(d)}`);
        referenceBackend.lstmForward(fwd);
        const bwd = {
          B, T, H, U, recMask, gates: fwd.gates, cs: fwd.cs, tc: fwd.tc, act: acts[0], recAct: acts[1],
          dhs: d.dhs ? random(T * BH, rng) : null, dh: random(BH, rng), dc: random(BH, rng), dZ: new Float32Array(T * B * G),
        };
        expectClose(compare("lstmBackward", bwd, d.owned, `${tag} backward`), `lstmBackward ${describeDims(d)}`);
      }
    });
  }
});

describe("wasm backend: GRU", () => {
  for (const resetAfter of [true, false]) {
    for (const acts of [["tanh", "sigmoid"], FALLBACK] as [Activation, Activation][]) {
      it(`forward and backward match the reference (resetAfter=${resetAfter}, act=${acts[0]}, recAct=${acts[1]})`, () => {
        for (const d of dimsList(resetAfter ? 41 : 42, acts === FALLBACK ? 16 : 60)) {
          const rng = new Rng(d.B * 1000 + d.T * 100 + d.H + (resetAfter ? 7 : 0));
          const { B, T, H } = d;
          const BH = B * H, G = 3 * H;
          const U = random(H * G, rng, 0.6);
          const recMask = d.mask ? dropMask(BH, rng) : null;
          const hs = new Float32Array((T + 1) * BH);
          hs.set(random(BH, rng));
          const recBiasOff = resetAfter ? 1 + rng.int(3) : 0;
          const withBias = resetAfter && (d.T & 1) === 1;
          const fwd = {
            B, T, H, resetAfter, U, recMask,
            recBias: withBias ? random(recBiasOff + G + 2, rng) : null, recBiasOff,
            gates: random(T * B * G, rng, 3), rec: new Float32Array(resetAfter ? T * B * G : T * BH), hs,
            act: acts[0], recAct: acts[1], hm: d.mask ? new Float32Array(T * BH) : null,
          };
          const tag = `gru${resetAfter ? "" : " classic"}${acts === FALLBACK ? " fallback" : ""}`;
          expectClose(compare("gruForward", fwd, d.owned, `${tag} forward`), `gruForward ${describeDims(d)}`);
          referenceBackend.gruForward(fwd);
          const bwd = {
            B, T, H, resetAfter, U, gates: fwd.gates, rec: fwd.rec, hs: fwd.hs, act: acts[0], recAct: acts[1],
            recMask, hm: fwd.hm, dhs: d.dhs ? random(T * BH, rng) : null, dh: random(BH, rng),
            tmp: new Float32Array(BH), dZx: new Float32Array(T * B * G),
            dZh: resetAfter ? new Float32Array(T * B * G) : null,
          };
          expectClose(compare("gruBackward", bwd, d.owned, `${tag} backward`), `gruBackward ${describeDims(d)}`);
        }
      });
    }
  }
});

describe("wasm backend: SimpleRNN", () => {
  for (const act of ["tanh", "relu"] as Activation[]) {
    it(`forward and backward match the reference (act=${act})`, () => {
      for (const d of dimsList(51, act === "tanh" ? 60 : 16)) {
        const rng = new Rng(d.B * 1000 + d.T * 100 + d.H + 3);
        const { B, T, H } = d;
        const BH = B * H;
        const U = random(H * H, rng, 0.6);
        const recMask = d.mask ? dropMask(BH, rng) : null;
        const hs = new Float32Array((T + 1) * BH);
        hs.set(random(BH, rng));
        const fwd = { B, T, H, U, pre: random(T * BH, rng, 2), hs, act, recMask, hm: d.mask ? new Float32Array(T * BH) : null };
        const tag = act === "tanh" ? "rnn" : "rnn fallback";
        expectClose(compare("rnnForward", fwd, d.owned, `${tag} forward`), `rnnForward ${describeDims(d)}`);
        referenceBackend.rnnForward(fwd);
        const bwd = {
          B, T, H, U, hs: fwd.hs, act, recMask, dhs: d.dhs ? random(T * BH, rng) : null,
          dh: random(BH, rng), dZ: new Float32Array(T * BH),
        };
        expectClose(compare("rnnBackward", bwd, d.owned, `${tag} backward`), `rnnBackward ${describeDims(d)}`);
      }
    });
  }
});

describe("wasm backend: recurrences at batch 1 to 4 (GEMV steps)", () => {
  // H past one 24/16/8-column block of U (and of Uᵀ for the backward products), with ragged ends
  const SMALL_HS = [5, 13, 24, 37];
  const cases: Dims[] = [];
  for (let B = 1; B <= 4; B++) {
    for (const H of SMALL_HS) {
      for (const mask of [false, true]) cases.push({ B, T: 3, H, mask, dhs: mask, owned: (B + H) % 2 === 0 });
    }
  }

  it("LSTM forward and backward match the reference", () => {
    for (const d of cases) {
      const rng = new Rng(d.B * 1000 + d.H * 10 + (d.mask ? 1 : 0));
      const { B, T, H } = d;
      const BH = B * H, G = 4 * H;
      const recMask = d.mask ? dropMask(BH, rng) : null;
      const hs = new Float32Array((T + 1) * BH), cs = new Float32Array((T + 1) * BH);
      hs.set(random(BH, rng));
      cs.set(random(BH, rng, 2));
      const fwd = {
        B, T, H, U: random(H * G, rng, 0.6), recMask, gates: random(T * B * G, rng, 3), hs, cs,
        tc: new Float32Array((T + 1) * BH), act: "tanh" as const, recAct: "sigmoid" as const, hm: d.mask ? new Float32Array(T * BH) : null,
      };
      expectClose(compare("lstmForward", fwd, d.owned, "lstm forward"), `lstmForward ${describeDims(d)}`);
      referenceBackend.lstmForward(fwd);
      const bwd = {
        B, T, H, U: fwd.U, recMask, gates: fwd.gates, cs: fwd.cs, tc: fwd.tc, act: fwd.act, recAct: fwd.recAct,
        dhs: d.dhs ? random(T * BH, rng) : null, dh: random(BH, rng), dc: random(BH, rng), dZ: new Float32Array(T * B * G),
      };
      expectClose(compare("lstmBackward", bwd, d.owned, "lstm backward"), `lstmBackward ${describeDims(d)}`);
    }
  });

  for (const resetAfter of [true, false]) {
    it(`GRU forward and backward match the reference (resetAfter=${resetAfter})`, () => {
      for (const d of cases) {
        const rng = new Rng(d.B * 1000 + d.H * 10 + (d.mask ? 1 : 0) + (resetAfter ? 5 : 0));
        const { B, T, H } = d;
        const BH = B * H, G = 3 * H;
        const recMask = d.mask ? dropMask(BH, rng) : null;
        const hs = new Float32Array((T + 1) * BH);
        hs.set(random(BH, rng));
        const fwd = {
          B, T, H, resetAfter, U: random(H * G, rng, 0.6), recMask,
          recBias: resetAfter ? random(G + 1, rng) : null, recBiasOff: resetAfter ? 1 : 0,
          gates: random(T * B * G, rng, 3), rec: new Float32Array(resetAfter ? T * B * G : T * BH), hs,
          act: "tanh" as const, recAct: "sigmoid" as const, hm: d.mask ? new Float32Array(T * BH) : null,
        };
        const tag = `gru${resetAfter ? "" : " classic"}`;
        expectClose(compare("gruForward", fwd, d.owned, `${tag} forward`), `gruForward ${describeDims(d)}`);
        referenceBackend.gruForward(fwd);
        const bwd = {
          B, T, H, resetAfter, U: fwd.U, gates: fwd.gates, rec: fwd.rec, hs: fwd.hs, act: fwd.act, recAct: fwd.recAct,
          recMask, hm: fwd.hm, dhs: d.dhs ? random(T * BH, rng) : null, dh: random(BH, rng),
          tmp: new Float32Array(BH), dZx: new Float32Array(T * B * G), dZh: resetAfter ? new Float32Array(T * B * G) : null,
        };
        expectClose(compare("gruBackward", bwd, d.owned, `${tag} backward`), `gruBackward ${describeDims(d)}`);
      }
    });
  }

  it("SimpleRNN forward and backward match the reference", () => {
    for (const d of cases) {
      const rng = new Rng(d.B * 1000 + d.H * 10 + (d.mask ? 1 : 0) + 9);
      const { B, T, H } = d;
      const BH = B * H;
      const recMask = d.mask ? dropMask(BH, rng) : null;
      const hs = new Float32Array((T + 1) * BH);
      hs.set(random(BH, rng));
      const fwd = { B, T, H, U: random(H * H, rng, 0.6), pre: random(T * BH, rng, 2), hs, act: "tanh" as const, recMask, hm: d.mask ? new Float32Array(T * BH) : null };
      expectClose(compare("rnnForward", fwd, d.owned, "rnn forward"), `rnnForward ${describeDims(d)}`);
      referenceBackend.rnnForward(fwd);
      const bwd = {
        B, T, H, U: fwd.U, hs: fwd.hs, act: fwd.act, recMask, dhs: d.dhs ? random(T * BH, rng) : null,
        dh: random(BH, rng), dZ: new Float32Array(T * BH),
      };
      expectClose(compare("rnnBackward", bwd, d.owned, "rnn backward"), `rnnBackward ${describeDims(d)}`);
    }
  });
});

describe("wasm backend: empty batches", () => {
  it("recurrences over 0 rows write nothing", () => {
    const wasm = createWasmBackend()!;
    const T = 3, H = 32; // rows of 4H floats: 4 of them would reach the sentinel
    const empty = (): Float32Array => wasm.alloc(0);
    const U4 = wasm.alloc(H * 4 * H).fill(0.5), U3 = wasm.alloc(H * 3 * H).fill(0.5), U1 = wasm.alloc(H * H).fill(0.5);
    const lstm = { B: 0, T, H, U: U4, recMask: null, gates: empty(), hs: empty(), cs: empty(), tc: empty(), act: "tanh" as const, recAct: "sigmoid" as const, hm: null };
    const gru = { B: 0, T, H, resetAfter: false, U: U3, recMask: null, recBias: null, recBiasOff: 0, gates: empty(), rec: empty(), hs: empty(), act: "tanh" as const, recAct: "sigmoid" as const, hm: null };
    const rnn = { B: 0, T, H, U: U1, pre: empty(), hs: empty(), act: "tanh" as const, recMask: null, hm: null };
    const sentinel = wasm.alloc(64 * 1024).fill(7); // right after the empty buffers
    wasm.lstmForward(lstm);
    wasm.gruForward(gru);
    wasm.rnnForward(rnn);
    expect(sentinel.every((v) => v === 7)).toBe(true);
  });
});

describe("wasm backend: allocator", () => {
  // a fresh backend per test: the kernel tests above leave the shared one's free list fragmented
  it("hands out zeroed, 64-byte-aligned buffers", () => {
    const wasm = createWasmBackend()!;
    const bufs: Float32Array[] = [];
    for (const n of [1, 3, 16, 17, 100, 1000, 4097]) {
      const a = wasm.alloc(n);
      expect(a.length).toBe(n);
      expect(a.byteOffset % 64).toBe(0);
      expect(a.every((v) => v === 0)).toBe(true);
      a.fill(7);
      bufs.push(a);
    }
    for (const a of bufs) wasm.free(a);
    const again = wasm.alloc(1000);
    expect(again.every((v) => v === 0)).toBe(true); // the memory was dirty before
    wasm.free(again);
  });

  it("reuses freed blocks and coalesces neighbours", () => {
    const wasm = createWasmBackend()!;
    const a = wasm.alloc(256), b = wasm.alloc(256), c = wasm.alloc(256);
    const start = a.byteOffset;
    expect(b.byteOffset).toBe(start + 1024);
    wasm.free(b);
    wasm.free(a);
    wasm.free(c);
    const big = wasm.alloc(768); // fits only where a, b and c were merged back together
    expect(big.byteOffset).toBe(start);
    wasm.free(big);
  });

  it("ignores a second free and arrays it does not own", () => {
    const wasm = createWasmBackend()!;
    const inUse = wasm.bytesInUse();
    const a = wasm.alloc(100);
    wasm.free(a);
    wasm.free(a);
    wasm.free(new Float32Array(100));
    wasm.free(a.subarray(10));
    expect(wasm.bytesInUse()).toBe(inUse);
    const x = wasm.alloc(100), y = wasm.alloc(100);
    expect(x.byteOffset).not.toBe(y.byteOffset);
    wasm.free(x);
    wasm.free(y);
  });

  it("keeps one staging area across calls, grown only when a call needs more", () => {
    const wasm = createWasmBackend()!;
    const rng = new Rng(61);
    const run = (M: number, N: number, K: number): Float32Array => {
      const A = random(M * K, rng), Bm = random(K * N, rng), C = new Float32Array(M * N), Cref = new Float32Array(M * N);
      const args = { transA: false, transB: false, M, N, K, lda: K, ldb: N, ldc: N };
      referenceBackend.gemm({ ...args, A, B: Bm, C: Cref });
      wasm.gemm({ ...args, A, B: Bm, C });
      expect(relErr(C, Cref)).toBeLessThan(TOL);
      return C;
    };
    const fresh = wasm.bytesInUse();
    run(3, 40, 50);
    const inUse = wasm.bytesInUse();
    expect(inUse).toBeGreaterThan(fresh); // kept for the next call
    for (let i = 0; i < 5; i++) run(3, 40, 50);
    run(2, 8, 9); // smaller: fits in what is there
    expect(wasm.bytesInUse()).toBe(inUse);
    run(4, 400, 300); // bigger: the area grows once, replacing the old one
    const grown = wasm.bytesInUse();
    expect(grown).toBeGreaterThan(inUse);
    run(4, 400, 300);
    run(3, 40, 50);
    expect(wasm.bytesInUse()).toBe(grown);
  });

  it("says how much was asked and how much is in use when memory runs out", () => {
    const wasm = createWasmBackend()!;
    const n = 300 * 1024 * 1024; // 1.2 GB of floats: more than the whole memory
    expect(() => wasm.alloc(n)).toThrow(/asked for 1258291200 bytes with \d+ bytes in use .*backend: "js"/);
    const held = wasm.alloc(1000); // nothing was lost to the failed attempt
    expect(held.length).toBe(1000);
    wasm.free(held);
  });
});
