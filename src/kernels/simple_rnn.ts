// Fused SimpleRNN recurrence: h_t = act(x_t W + b + h_{t-1} U), forward and backward.

import { gemm } from "./gemm.js";
import { activate, activateBackwardAt, type Activation } from "./activations.js";

/**
 * pre [T, B, H]: on entry x_t·W + b; hs [T+1, B, H]: slot 0 holds h0, slot t+1 receives h_t.
 * recMask [B, H] or null; hm [T, B, H] receives h_{t-1} ⊙ mask.
 */
export function rnnForward(
  B: number, T: number, H: number,
  U: Float32Array, // [H, H]
  pre: Float32Array, hs: Float32Array, act: Activation,
  recMask: Float32Array | null, hm: Float32Array | null,
): void {
  const BH = B * H;
  for (let t = 0; t < T; t++) {
    let hp = hs;
    const o = t * BH;
    if (recMask && hm) {
      for (let k = 0; k < BH; k++) hm[o + k] = hs[o + k]! * recMask[k]!;
      hp = hm;
    }
    gemm(false, false, B, H, H, 1, hp, o, H, U, 0, H, 1, pre, o, H);
    activate(act, pre, pre, o, BH);
    for (let k = 0; k < BH; k++) hs[o + BH + k] = pre[o + k]!; // hs[t+1] = act(pre[t])
  }
}

/** dh [B, H]: gradient at h_T on entry, at h0 on exit; dZ [T, B, H] receives dL/d(pre). */
export function rnnBackward(
  B: number, T: number, H: number,
  U: Float32Array, hs: Float32Array, act: Activation,
  recMask: Float32Array | null,
  dhs: Float32Array | null, dh: Float32Array, dZ: Float32Array,
): void {
  const BH = B * H;
  for (let t = T - 1; t >= 0; t--) {
    const o = t * BH;
    if (dhs) for (let k = 0; k < BH; k++) dZ[o + k] = dh[k]! + dhs[o + k]!;
    else for (let k = 0; k < BH; k++) dZ[o + k] = dh[k]!;
    activateBackwardAt(act, hs, o + BH, dZ, o, dZ, o, BH); // through h_t = act(pre_t)
    gemm(false, true, B, H, H, 1, dZ, o, H, U, 0, H, 0, dh, 0, H);
    if (recMask) for (let k = 0; k < BH; k++) dh[k] *= recMask[k]!;
  }
}
