// Fused LSTM recurrence over a whole sequence, forward and backward (Keras gate order i, f, c, o).
// The input projections x_t·W + b of all steps come in precomputed (one GEMM by the caller);
// only h_{t-1}·U runs per step. Buffers are time-major so each step's slice is contiguous.
//
//   i = σ(x W_i + h U_i + b_i)     f = σ(x W_f + h U_f + b_f)
//   c̃ = act(x W_c + h U_c + b_c)   o = σ(x W_o + h U_o + b_o)
//   c_t = f ⊙ c_{t-1} + i ⊙ c̃      h_t = o ⊙ act(c_t)
// (σ is the recurrent activation, sigmoid by default; act is tanh by default.)
// The default pair (σ = sigmoid, act = tanh) runs one fused loop per row with the derivatives
// written out; other activations go through activate / activateBackwardAt a gate block at a time.
// Either way nothing is allocated and no function is called per element.

import { gemm } from "./gemm.js";
import { activate, activateBackwardAt, type Activation } from "./activations.js";

/**
 * gates [T, B, 4H]: on entry x_t·W + b; on exit the activated gates i, f, c̃, o.
 * hs, cs, tc [T+1, B, H]: slot 0 of hs, cs holds h0, c0 on entry; slot t+1 receives h_t, c_t
 * and act(c_t) (tc slot 0 is unused).
 * recMask [B, H] (recurrent dropout, already scaled) or null; hm [T, B, H] receives h_{t-1} ⊙ mask.
 */
export function lstmForward(
  B: number, T: number, H: number,
  U: Float32Array, // [H, 4H]
  gates: Float32Array, hs: Float32Array, cs: Float32Array, tc: Float32Array,
  act: Activation, recAct: Activation,
  recMask: Float32Array | null, hm: Float32Array | null,
): void {
  const G = 4 * H;
  const BH = B * H;
  const fused = act === "tanh" && recAct === "sigmoid";
  for (let t = 0; t < T; t++) {
    const zo = t * B * G;
    let hp = hs;
    let hpOff = t * BH;
    if (recMask && hm) {
      for (let k = 0; k < BH; k++) hm[t * BH + k] = hs[t * BH + k]! * recMask[k]!;
      hp = hm;
    }
    gemm(false, false, B, G, H, 1, hp, hpOff, H, U, 0, G, 1, gates, zo, G); // [B,4H] += [B,H]·[H,4H]
    if (fused) {
      for (let b = 0; b < B; b++) {
        const r = zo + b * G;
        const cp = t * BH + b * H; // c_{t-1}
        const cn = cp + BH; // c_t
        for (let j = 0; j < H; j++) {
          // values rounded to float32 as they are stored, so both paths compute the same numbers
          const i = Math.fround(1 / (1 + Math.exp(-gates[r + j]!)));
          const f = Math.fround(1 / (1 + Math.exp(-gates[r + H + j]!)));
          const g = Math.fround(Math.tanh(gates[r + 2 * H + j]!));
          const o = Math.fround(1 / (1 + Math.exp(-gates[r + 3 * H + j]!)));
          gates[r + j] = i; gates[r + H + j] = f; gates[r + 2 * H + j] = g; gates[r + 3 * H + j] = o;
          const c = Math.fround(f * cs[cp + j]! + i * g);
          cs[cn + j] = c;
          const tcv = Math.fround(Math.tanh(c));
          tc[cn + j] = tcv;
          hs[cn + j] = o * tcv;
        }
      }
      continue;
    }
    for (let b = 0; b < B; b++) {
      const r = zo + b * G;
      activate(recAct, gates, gates, r, 2 * H); // i, f
      activate(act, gates, gates, r + 2 * H, H); // c̃
      activate(recAct, gates, gates, r + 3 * H, H); // o
      const cp = t * BH + b * H; // c_{t-1}
      const cn = cp + BH; // c_t
      for (let j = 0; j < H; j++) {
        cs[cn + j] = gates[r + H + j]! * cs[cp + j]! + gates[r + j]! * gates[r + 2 * H + j]!;
      }
      activate(act, cs, tc, cn, H);
      for (let j = 0; j < H; j++) hs[cn + j] = gates[r + 3 * H + j]! * tc[cn + j]!;
    }
  }
}

/**
 * Reverse-time loop of BPTT.
 * dhs [T, B, H]: gradient reaching each h_t from above, or null (only the last h is used).
 * dh, dc [B, H]: on entry the gradient at h_T, c_T (from the last output or returned states);
 *   on exit the gradient at h0, c0.
 * dZ [T, B, 4H]: receives the gradient w.r.t. the gate pre-activations, for the weight GEMMs.
 */
export function lstmBackward(
  B: number, T: number, H: number,
  U: Float32Array, // [H, 4H]
  gates: Float32Array, cs: Float32Array, tc: Float32Array,
  act: Activation, recAct: Activation,
  recMask: Float32Array | null,
  dhs: Float32Array | null,
  dh: Float32Array, dc: Float32Array,
  dZ: Float32Array,
): void {
  const G = 4 * H;
  const BH = B * H;
  const fused = act === "tanh" && recAct === "sigmoid";
  for (let t = T - 1; t >= 0; t--) {
    const zo = t * B * G;
    if (dhs) for (let k = 0; k < BH; k++) dh[k] += dhs[t * BH + k]!;
    for (let b = 0; b < B; b++) {
      const r = zo + b * G;
      const s = b * H;
      const cp = t * BH + s; // c_{t-1}
      const cn = cp + BH; // c_t, act(c_t)
      if (fused) {
        for (let j = 0; j < H; j++) {
          const i = gates[r + j]!, f = gates[r + H + j]!, g = gates[r + 2 * H + j]!, o = gates[r + 3 * H + j]!;
          const tcv = tc[cn + j]!;
          const dhv = dh[s + j]!;
          const dcv = dc[s + j]! + dhv * o * (1 - tcv * tcv); // through h = o·tanh(c)
          dZ[r + 3 * H + j] = dhv * tcv * (o * (1 - o));
          dZ[r + j] = dcv * g * (i * (1 - i));
          dZ[r + H + j] = dcv * cs[cp + j]! * (f * (1 - f));
          dZ[r + 2 * H + j] = dcv * i * (1 - g * g);
          dc[s + j] = dcv * f; // to c_{t-1}
        }
        continue;
      }
      for (let j = 0; j < H; j++) {
        dZ[r + 3 * H + j] = dh[s + j]! * tc[cn + j]!; // dL/do, then through σ below
        dZ[r + j] = dh[s + j]! * gates[r + 3 * H + j]!; // dL/d act(c) (scratch in the i slot)
      }
      activateBackwardAt(recAct, gates, r + 3 * H, dZ, r + 3 * H, dZ, r + 3 * H, H);
      activateBackwardAt(act, tc, cn, dZ, r, dZ, r, H); // dL/dc through h = o·act(c)
      for (let j = 0; j < H; j++) {
        const dcv = dc[s + j]! + dZ[r + j]!;
        const i = gates[r + j]!;
        dZ[r + j] = dcv * gates[r + 2 * H + j]!; // dL/di
        dZ[r + H + j] = dcv * cs[cp + j]!; // dL/df
        dZ[r + 2 * H + j] = dcv * i; // dL/dc̃
        dc[s + j] = dcv * gates[r + H + j]!; // to c_{t-1}
      }
      activateBackwardAt(recAct, gates, r, dZ, r, dZ, r, 2 * H); // i, f
      activateBackwardAt(act, gates, r + 2 * H, dZ, r + 2 * H, dZ, r + 2 * H, H); // c̃
    }
    gemm(false, true, B, H, G, 1, dZ, zo, G, U, 0, G, 0, dh, 0, H); // dh_{t-1} = dZ_t·Uᵀ  [B,H]
    if (recMask) for (let k = 0; k < BH; k++) dh[k] *= recMask[k]!;
  }
}
