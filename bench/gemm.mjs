// GFLOP/s of the wasm backend's sgemm against the reference TypeScript gemm on the shapes the
// recurrent layers produce (W_sine / W_char sizes). Run after `npm run build`: node bench/gemm.mjs
import { createWasmBackend } from "../dist/backend/wasm/wasm.js";
import { referenceBackend } from "../dist/backend/reference.js";

const wasm = createWasmBackend();
if (!wasm) throw new Error("WebAssembly SIMD is unavailable");

// [name, transA, transB, M, N, K]: C[M,N] = op(A)[M,K]·op(B)[K,N]
const SHAPES = [
  ["x·W        [32,1]x[1,512]", false, false, 32, 512, 1],
  ["h·U step   [32,64]x[64,256]", false, false, 32, 256, 64],
  ["h·U step   [32,128]x[128,512]", false, false, 32, 512, 128],
  ["h·U step   [32,256]x[256,1024]", false, false, 32, 1024, 256],
  ["h·U step   [1,64]x[64,256]", false, false, 1, 256, 64],
  ["h·U step   [1,128]x[128,512]", false, false, 1, 512, 128],
  ["h·U step   [1,256]x[256,1024]", false, false, 1, 1024, 256],
  ["h·U step   [2,128]x[128,512]", false, false, 2, 512, 128],
  ["h·U step   [3,128]x[128,512]", false, false, 3, 512, 128],
  ["h·U step   [4,128]x[128,512]", false, false, 4, 512, 128],
  ["h·U step   [4,256]x[256,1024]", false, false, 4, 1024, 256],
  ["dU = hᵀ·dZ [1600,128]ᵀx[1600,512]", true, false, 128, 512, 1600],
  ["dU = hᵀ·dZ [3200,128]ᵀx[3200,512]", true, false, 128, 512, 3200],
  ["dW = xᵀ·dZ [3200,65]ᵀx[3200,1024]", true, false, 65, 1024, 3200],
  ["dh = dZ·Uᵀ [32,512]x[128,512]ᵀ", false, true, 32, 128, 512],
  ["dX = dZ·Wᵀ [1600,512]x[65,512]ᵀ", false, true, 1600, 65, 512],
];

function fill(a) {
  for (let i = 0; i < a.length; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

/** GFLOP/s of `run` (2·M·N·K flops per call), timed over at least 0.4 s after a warm-up. */
function measure(flops, run) {
  for (let i = 0; i < 3; i++) run();
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < 400) {
    run();
    calls++;
    t = performance.now();
  }
  return (flops * calls) / ((t - t0) * 1e6);
}

function args(backend, transA, transB, M, N, K) {
  const A = fill(backend.alloc(M * K)), B = fill(backend.alloc(K * N)), C = backend.alloc(M * N);
  return { transA, transB, M, N, K, A, lda: transA ? M : K, B, ldb: transB ? K : N, C, ldc: N, beta: 1 };
}

console.log("shape".padEnd(38), "wasm GFLOP/s".padStart(13), "js GFLOP/s".padStart(11), "speedup".padStart(8), "max rel err".padStart(12));
for (const [name, transA, transB, M, N, K] of SHAPES) {
  const w = args(wasm, transA, transB, M, N, K);
  const r = args(referenceBackend, transA, transB, M, N, K);
  r.A.set(w.A);
  r.B.set(w.B);
  const flops = 2 * M * N * K;
  const gw = measure(flops, () => wasm.gemm(w));
  const gr = measure(flops, () => referenceBackend.gemm(r));
  // one clean product each for the error
  w.C.fill(0);
  r.C.fill(0);
  wasm.gemm(w);
  referenceBackend.gemm(r);
  let diff = 0, scale = 0;
  for (let i = 0; i < r.C.length; i++) {
    diff = Math.max(diff, Math.abs(w.C[i] - r.C[i]));
    scale = Math.max(scale, Math.abs(r.C[i]));
  }
  console.log(name.padEnd(38), gw.toFixed(1).padStart(13), gr.toFixed(1).padStart(11),
    `${(gw / gr).toFixed(1)}x`.padStart(8), (diff / Math.max(1e-6, scale)).toExponential(1).padStart(12));
  for (const a of [w.A, w.B, w.C]) wasm.free(a);
}

// The fused recurrences: whole-sequence LSTM forward + backward, at batch 32 (U packed once per
// call) and at the GEMV batches (U read in place forward, Uᵀ copied once per call backward).
const T = 50, H = 128, G = 4 * H;
for (const B of [32, 4, 1]) {
  console.log(`\nLSTM B=${B} T=${T} H=${H}, forward + backward over the sequence`);
  for (const backend of [wasm, referenceBackend]) {
    const U = fill(backend.alloc(H * G));
    for (let i = 0; i < U.length; i++) U[i] *= 0.1; // in place: a mapped copy would not be the backend's
    const gates = backend.alloc(T * B * G), gates0 = fill(new Float32Array(T * B * G));
    const hs = backend.alloc((T + 1) * B * H), cs = backend.alloc((T + 1) * B * H), tc = backend.alloc((T + 1) * B * H);
    const dh = backend.alloc(B * H), dc = backend.alloc(B * H), dZ = backend.alloc(T * B * G), dhs = fill(backend.alloc(T * B * H));
    const fwd = { B, T, H, U, recMask: null, gates, hs, cs, tc, act: "tanh", recAct: "sigmoid", hm: null };
    const bwd = { B, T, H, U, recMask: null, gates, cs, tc, act: "tanh", recAct: "sigmoid", dhs, dh, dc, dZ };
    const flops = 2 * 2 * T * B * H * G; // the two recurrent products per step
    const g = measure(flops, () => {
      gates.set(gates0);
      backend.lstmForward(fwd);
      dh.fill(0);
      dc.fill(0);
      backend.lstmBackward(bwd);
    });
    console.log(`  ${backend.name.padEnd(5)} ${(flops / g / 1e6).toFixed(2)} ms per sequence (${g.toFixed(1)} GFLOP/s in the recurrent products)`);
  }
}
