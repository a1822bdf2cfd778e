// The Backend: the one place that owns memory and runs kernels (DESIGN decision 6).
// Layers and models never allocate numeric buffers or call a kernel function directly: they ask
// their backend. Every kernel takes one named record (llm.c's ParameterTensors / ActivationTensors
// habit) instead of a long positional list, so a backend whose memory is one linear buffer
// (WebAssembly) can resolve each field to an address, and a backend may run any kernel it does not
// accelerate through the reference implementation on the same views.
//
// Buffers are Float32Arrays. For the reference backend they are plain typed arrays; for the
// WebAssembly backend they are views into its linear memory, so a kernel runs on them in place.
// A buffer that was not allocated by the backend (a user's tensor) is still accepted: the
// WebAssembly backend stages it through scratch memory, correctly but more slowly.

import type { Activation } from "../kernels/activations.js";
import type { LossSpec } from "../kernels/losses.js";
import type { OptimizerUpdateArgs } from "../kernels/optimizers.js";

export type { OptimizerUpdateArgs } from "../kernels/optimizers.js";

/** Names of the backends; "auto" picks WebAssembly SIMD where the runtime has it, else "js". */
export type BackendName = "js" | "wasm";
export type BackendChoice = BackendName | "auto";

/** C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C, row-major with leading dimensions. */
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  /** Default 1. */
  alpha?: number;
  A: Float32Array;
  /** Offset of op(A)'s first element, in elements. Default 0. */
  aOff?: number;
  lda: number;
  B: Float32Array;
  bOff?: number;
  ldb: number;
  /** 0 overwrites C (NaN in C is not propagated), 1 accumulates. Default 0. */
  beta?: number;
  C: Float32Array;
  cOff?: number;
  ldc: number;
}

/** Shared fields of the fused recurrent kernels. Buffers are time-major, [T, B, ...]. */
interface RecurrentDims {
  B: number;
  T: number;
  H: number;
  /** [H, G] recurrent kernel. */
  U: Float32Array;
  /** Recurrent-dropout mask [B, H], already scaled by 1/keep, or null. */
  recMask: Float32Array | null;
}

/**
 * LSTM forward over a sequence (Keras gate order i, f, c, o).
 * gates [T, B, 4H]: x_t·W + b on entry, activated gates on exit.
 * hs, cs, tc [T+1, B, H]: slot 0 of hs and cs holds h0, c0; slot t+1 receives h_t, c_t, act(c_t).
 * hm [T, B, H] receives h_{t-1} ⊙ recMask when recMask is set.
 */
export interface LstmForwardArgs extends RecurrentDims {
  gates: Float32Array;
  hs: Float32Array;
  cs: Float32Array;
  tc: Float32Array;
  act: Activation;
  recAct: Activation;
  hm: Float32Array | null;
  /**
   * Peephole weights [3H] (blocks i, f, o; Gers & Schmidhuber 2000), or null / absent for the
   * plain LSTM: i and f then also see p ⊙ c_{t-1}, o sees p ⊙ c_t.
   */
  P?: Float32Array | null;
}

/**
 * LSTM backward (the reverse BPTT loop). dhs [T, B, H] or null: gradient reaching each h_t from
 * above. dh, dc [B, H]: gradient at h_T, c_T on entry, at h0, c0 on exit.
 * dZ [T, B, 4H] receives dL/d(gate pre-activations).
 */
export interface LstmBackwardArgs extends RecurrentDims {
  gates: Float32Array;
  cs: Float32Array;
  tc: Float32Array;
  act: Activation;
  recAct: Activation;
  dhs: Float32Array | null;
  dh: Float32Array;
  dc: Float32Array;
  dZ: Float32Array;
  /** Peephole weights [3H] as in the forward, or null / absent. */
  P?: Float32Array | null;
  /** With P: the peephole gradient [3H], accumulated (+=). */
  dP?: Float32Array | null;
}

/** The buffers both GRU kernels name (gates z, r, h). */
interface GruBuffers extends RecurrentDims {
  resetAfter: boolean;
  /** [T, B, 3H]: x_t·W + b_in on entry to forward, activated gates after it. */
  gates: Float32Array;
  /** [T, B, 3H] h_{t-1}·U + b_rec (resetAfter) or [T, B, H] r ⊙ h_{t-1} (classic). */
  rec: Float32Array;
  /** [T+1, B, H]; slot 0 holds h0. */
  hs: Float32Array;
  act: Activation;
  recAct: Activation;
  hm: Float32Array | null;
}

/** GRU forward. recBias [3H] at recBiasOff (resetAfter with a bias) or null. */
export interface GruForwardArgs extends GruBuffers {
  recBias: Float32Array | null;
  recBiasOff: number;
}

/**
 * GRU backward. dh [B, H] in/out as for the LSTM; tmp [B, H] scratch;
 * dZx [T, B, 3H] input-side gate gradients; dZh [T, B, 3H] recurrent-side (resetAfter) or null.
 */
export interface GruBackwardArgs extends GruBuffers {
  dhs: Float32Array | null;
  dh: Float32Array;
  tmp: Float32Array;
  dZx: Float32Array;
  dZh: Float32Array | null;
}

/** SimpleRNN forward: pre [T, B, H] = x_t·W + b on entry, activated on exit; hs [T+1, B, H]. */
export interface RnnForwardArgs extends RecurrentDims {
  pre: Float32Array;
  hs: Float32Array;
  act: Activation;
  hm: Float32Array | null;
}

/** SimpleRNN backward: dh [B, H] in/out; dZ [T, B, H] receives dL/d(pre). */
export interface RnnBackwardArgs extends RecurrentDims {
  hs: Float32Array;
  act: Activation;
  dhs: Float32Array | null;
  dh: Float32Array;
  dZ: Float32Array;
}

/** Rows of Y (from yOff) set to a broadcast bias row (or zeros when bias is null). */
export interface FillRowsArgs {
  Y: Float32Array;
  yOff: number;
  rows: number;
  N: number;
  bias: Float32Array | null;
  biasOff: number;
}

/** out[outOff + j] += Σ_r X[r, j] over rows × N (bias gradients). */
export interface ColumnSumsArgs {
  X: Float32Array;
  xOff?: number;
  rows: number;
  N: number;
  out: Float32Array;
  outOff: number;
}

/** y[off..off+n) = f(x[off..off+n)); x and y may be the same buffer. */
export interface ActivateArgs {
  f: Activation;
  x: Float32Array;
  y: Float32Array;
  off: number;
  n: number;
}

/** dx = dy ⊙ f'(·) through y = f(·), over [off, off+n); dx may alias dy. */
export interface ActivateBackwardArgs {
  f: Activation;
  y: Float32Array;
  dy: Float32Array;
  dx: Float32Array;
  off: number;
  n: number;
}

/** Row-wise softmax of x [rows, n] into y (forward), or its backward from y and dy into dx. */
export interface SoftmaxArgs {
  x: Float32Array;
  y: Float32Array;
  rows: number;
  n: number;
}
export interface SoftmaxBackwardArgs {
  y: Float32Array;
  dy: Float32Array;
  dx: Float32Array;
  rows: number;
  n: number;
}

/** Mean loss over a batch; writes dL/dpred into grad when given. See kernels/losses.ts. */
export interface LossArgs {
  spec: LossSpec;
  pred: Float32Array;
  target: Float32Array;
  classes: number;
  grad: Float32Array | null;
}

export interface Backend {
  readonly name: BackendName;
  /** A zeroed buffer of n floats owned by this backend. */
  alloc(n: number): Float32Array;
  /** Give back a buffer from `alloc` (a no-op where the garbage collector owns memory). */
  free(a: Float32Array): void;
  /** True when `a` lives in this backend's memory (kernels run on it without staging). */
  owns(a: Float32Array): boolean;

  gemm(p: GemmArgs): void;
  fillRows(p: FillRowsArgs): void;
  columnSums(p: ColumnSumsArgs): void;
  lstmForward(p: LstmForwardArgs): void;
  lstmBackward(p: LstmBackwardArgs): void;
  gruForward(p: GruForwardArgs): void;
  gruBackward(p: GruBackwardArgs): void;
  rnnForward(p: RnnForwardArgs): void;
  rnnBackward(p: RnnBackwardArgs): void;
  activate(p: ActivateArgs): void;
  activateBackward(p: ActivateBackwardArgs): void;
  softmax(p: SoftmaxArgs): void;
  softmaxBackward(p: SoftmaxBackwardArgs): void;
  loss(p: LossArgs): number;
  optimizerUpdate(p: OptimizerUpdateArgs): void;
  /** Σ a² in float64 (the global gradient norm). */
  sumSquares(a: Float32Array): number;
}
