// Fused GRU recurrence, forward and backward (Keras gate order z, r, h).
//   resetAfter = true (Keras default, PyTorch's form; bias [2, 3H] = input bias, recurrent bias):
//     z = σ(x W_z + b_z + h U_z + r_z)      r = σ(x W_r + b_r + h U_r + r_r)
//     h̃ = act(x W_h + b_h + r ⊙ (h U_h + r_h))
//   resetAfter = false (classic; bias [3H]):
//     h̃ = act(x W_h + b_h + (r ⊙ h) U_h)
//   h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃
// Input projections come in precomputed; buffers are time-major.

import { gemm, fillRows } from "./gemm.js";
import { activate, derivFromOutput, type Activation } from "./activations.js";

/**
 * gates [T, B, 3H]: on entry x_t·W + b_in; on exit z, r, h̃ (activated).
 * rec [T, B, 3H] (resetAfter) receives h_{t-1}·U + b_rec; for resetAfter = false, rec [T, B, H]
 *   receives r ⊙ h_{t-1} (masked), the row that multiplies U_h.
 * hs [T+1, B, H]: slot 0 holds h0; slot t+1 receives h_t.
 * recMask [B, H] or null; hm [T, B, H] receives h_{t-1} ⊙ mask when recMask is set.
 */
export function gruForward(
  B: number, T: number, H: number, resetAfter: boolean,
  U: Float32Array, // [H, 3H]
  recBias: Float32Array | null, recBiasOff: number, // [3H] (resetAfter only)
  gates: Float32Array, rec: Float32Array, hs: Float32Array,
  act: Activation, recAct: Activation,
  recMask: Float32Array | null, hm: Float32Array | null,
): void {
  const G = 3 * H;
  const BH = B * H;
  for (let t = 0; t < T; t++) {
    const zo = t * B * G;
    let hp = hs;
    const hpOff = t * BH;
    if (recMask && hm) {
      for (let k = 0; k < BH; k++) hm[hpOff + k] = hs[hpOff + k]! * recMask[k]!;
      hp = hm;
    }
    if (resetAfter) {
      const ro = zo;
      fillRows(rec, ro, B, G, recBias, recBiasOff);
      gemm(false, false, B, G, H, 1, hp, hpOff, H, U, 0, G, 1, rec, ro, G); // [B,3H]
      for (let b = 0; b < B; b++) {
        const r = zo + b * G;
        for (let j = 0; j < 2 * H; j++) gates[r + j] += rec[r + j]!;
        activate(recAct, gates, gates, r, 2 * H);
        for (let j = 0; j < H; j++) gates[r + 2 * H + j] += gates[r + H + j]! * rec[r + 2 * H + j]!;
        activate(act, gates, gates, r + 2 * H, H);
      }
    } else {
      gemm(false, false, B, 2 * H, H, 1, hp, hpOff, H, U, 0, G, 1, gates, zo, G); // z, r  [B,2H]
      for (let b = 0; b < B; b++) activate(recAct, gates, gates, zo + b * G, 2 * H);
      for (let b = 0; b < B; b++) {
        const r = zo + b * G;
        for (let j = 0; j < H; j++) rec[hpOff + b * H + j] = gates[r + H + j]! * hp[hpOff + b * H + j]!;
      }
      gemm(false, false, B, H, H, 1, rec, hpOff, H, U, 2 * H, G, 1, gates, zo + 2 * H, G); // += (r⊙h)·U_h
      for (let b = 0; b < B; b++) activate(act, gates, gates, zo + b * G + 2 * H, H);
    }
    for (let b = 0; b < B; b++) {
      const r = zo + b * G;
      const p = hpOff + b * H;
      for (let j = 0; j < H; j++) {
        const z = gates[r + j]!;
        hs[p + BH + j] = z * hs[p + j]! + (1 - z) * gates[r + 2 * H + j]!;
      }
    }
  }
}

/**
 * Reverse-time loop. dh [B, H]: gradient at h_T on entry, at h0 on exit. tmp [B, H] scratch.
 * dZx [T, B, 3H] receives the gradient w.r.t. the input-side pre-activations (for W and b_in);
 * dZh [T, B, 3H] (resetAfter) receives it for the recurrent side (for U and b_rec).
 * For resetAfter = false, dZx also serves U: U_zr from its z, r columns, U_h from its h column.
 */
export function gruBackward(
  B: number, T: number, H: number, resetAfter: boolean,
  U: Float32Array,
  gates: Float32Array, rec: Float32Array, hs: Float32Array,
  act: Activation, recAct: Activation,
  recMask: Float32Array | null, hm: Float32Array | null,
  dhs: Float32Array | null,
  dh: Float32Array, tmp: Float32Array,
  dZx: Float32Array, dZh: Float32Array | null,
): void {
  const G = 3 * H;
  const BH = B * H;
  for (let t = T - 1; t >= 0; t--) {
    const zo = t * B * G;
    const hpOff = t * BH;
    if (dhs) for (let k = 0; k < BH; k++) dh[k] += dhs[hpOff + k]!;
    for (let b = 0; b < B; b++) {
      const r = zo + b * G;
      const s = b * H;
      for (let j = 0; j < H; j++) {
        const z = gates[r + j]!, hh = gates[r + 2 * H + j]!;
        const dhv = dh[s + j]!;
        const hp = hs[hpOff + s + j]!;
        const dah = dhv * (1 - z) * derivFromOutput(act, hh);
        dZx[r + j] = dhv * (hp - hh) * derivFromOutput(recAct, z);
        dZx[r + 2 * H + j] = dah;
        tmp[s + j] = dhv * z; // direct path h_t -> h_{t-1}
        if (resetAfter) {
          const rr = gates[r + H + j]!;
          dZx[r + H + j] = dah * rec[r + 2 * H + j]! * derivFromOutput(recAct, rr);
        }
      }
    }
    if (resetAfter) {
      const dZ = dZh!;
      for (let b = 0; b < B; b++) {
        const r = zo + b * G;
        for (let j = 0; j < 2 * H; j++) dZ[r + j] = dZx[r + j]!;
        for (let j = 0; j < H; j++) dZ[r + 2 * H + j] = dZx[r + 2 * H + j]! * gates[r + H + j]!;
      }
      gemm(false, true, B, H, G, 1, dZ, zo, G, U, 0, G, 0, dh, 0, H); // dZh·Uᵀ
    } else {
      const hp = recMask && hm ? hm : hs;
      // d(r⊙h) = dah·U_hᵀ  [B,H]
      gemm(false, true, B, H, H, 1, dZx, zo + 2 * H, G, U, 2 * H, G, 0, dh, 0, H);
      for (let b = 0; b < B; b++) {
        const r = zo + b * G;
        const s = b * H;
        for (let j = 0; j < H; j++) {
          const drh = dh[s + j]!;
          const rr = gates[r + H + j]!;
          dZx[r + H + j] = drh * hp[hpOff + s + j]! * derivFromOutput(recAct, rr);
          dh[s + j] = drh * rr;
        }
      }
      gemm(false, true, B, H, 2 * H, 1, dZx, zo, G, U, 0, G, 1, dh, 0, H); // += [dz, dr]·U_zrᵀ
    }
    if (recMask) for (let k = 0; k < BH; k++) dh[k] *= recMask[k]!;
    for (let k = 0; k < BH; k++) dh[k] += tmp[k]!;
  }
}
