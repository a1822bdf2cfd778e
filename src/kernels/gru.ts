// Fused GRU recurrence, forward and backward (Keras gate order z, r, h).
//   resetAfter = true (Keras default, PyTorch's form; bias [2, 3H] = input bias, recurrent bias):
//     z = σ(x W_z + b_z + h U_z + r_z)      r = σ(x W_r + b_r + h U_r + r_r)
//     h̃ = act(x W_h + b_h + r ⊙ (h U_h + r_h))
//   resetAfter = false (classic; bias [3H]):
//     h̃ = act(x W_h + b_h + (r ⊙ h) U_h)
//   h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃
// Input projections come in precomputed; buffers are time-major.
// The default pair (σ = sigmoid, act = tanh) runs fused loops with the derivatives written out;
// other activations go through activate / activateBackwardAt a gate block at a time. Either way
// nothing is allocated and no function is called per element.

import { gemm, fillRows } from "./gemm.js";
import { activate, activateBackwardAt, type Activation } from "./activations.js";

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
  const fused = act === "tanh" && recAct === "sigmoid";
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
        if (fused) {
          const p = hpOff + b * H;
          for (let j = 0; j < H; j++) {
            // values rounded to float32 as they are stored, so both paths compute the same numbers
            const z = Math.fround(1 / (1 + Math.exp(-Math.fround(gates[r + j]! + rec[r + j]!))));
            const rr = Math.fround(1 / (1 + Math.exp(-Math.fround(gates[r + H + j]! + rec[r + H + j]!))));
            const hh = Math.fround(Math.tanh(Math.fround(gates[r + 2 * H + j]! + rr * rec[r + 2 * H + j]!)));
            gates[r + j] = z; gates[r + H + j] = rr; gates[r + 2 * H + j] = hh;
            hs[p + BH + j] = z * hs[p + j]! + (1 - z) * hh;
          }
          continue;
        }
        for (let j = 0; j < 2 * H; j++) gates[r + j] += rec[r + j]!;
        activate(recAct, gates, gates, r, 2 * H);
        for (let j = 0; j < H; j++) gates[r + 2 * H + j] += gates[r + H + j]! * rec[r + 2 * H + j]!;
        activate(act, gates, gates, r + 2 * H, H);
      }
      if (fused) continue;
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
  const fused = act === "tanh" && recAct === "sigmoid";
  for (let t = T - 1; t >= 0; t--) {
    const zo = t * B * G;
    const hpOff = t * BH;
    if (dhs) for (let k = 0; k < BH; k++) dh[k] += dhs[hpOff + k]!;
    for (let b = 0; b < B; b++) {
      const r = zo + b * G;
      const s = b * H;
      const p = hpOff + s;
      if (fused) {
        for (let j = 0; j < H; j++) {
          const z = gates[r + j]!, hh = gates[r + 2 * H + j]!;
          const dhv = dh[s + j]!;
          const dah = dhv * (1 - z) * (1 - hh * hh);
          dZx[r + j] = dhv * (hs[p + j]! - hh) * (z * (1 - z));
          dZx[r + 2 * H + j] = dah;
          tmp[s + j] = dhv * z; // direct path h_t -> h_{t-1}
          if (resetAfter) {
            const rr = gates[r + H + j]!;
            dZx[r + H + j] = dah * rec[r + 2 * H + j]! * (rr * (1 - rr));
          }
        }
        continue;
      }
      for (let j = 0; j < H; j++) {
        const z = gates[r + j]!, hh = gates[r + 2 * H + j]!;
        const dhv = dh[s + j]!;
        dZx[r + j] = dhv * (hs[p + j]! - hh); // dL/dz, then through σ below
        dZx[r + 2 * H + j] = dhv * (1 - z); // dL/dh̃, then through act below
        tmp[s + j] = dhv * z; // direct path h_t -> h_{t-1}
      }
      activateBackwardAt(recAct, gates, r, dZx, r, dZx, r, H);
      activateBackwardAt(act, gates, r + 2 * H, dZx, r + 2 * H, dZx, r + 2 * H, H);
      if (resetAfter) {
        for (let j = 0; j < H; j++) dZx[r + H + j] = dZx[r + 2 * H + j]! * rec[r + 2 * H + j]!; // dL/dr
        activateBackwardAt(recAct, gates, r + H, dZx, r + H, dZx, r + H, H);
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
          dZx[r + H + j] = drh * hp[hpOff + s + j]!; // dL/dr, then through σ below
          dh[s + j] = drh * gates[r + H + j]!;
        }
        activateBackwardAt(recAct, gates, r + H, dZx, r + H, dZx, r + H, H);
      }
      gemm(false, true, B, H, 2 * H, 1, dZx, zo, G, U, 0, G, 1, dh, 0, H); // += [dz, dr]·U_zrᵀ
    }
    if (recMask) for (let k = 0; k < BH; k++) dh[k] *= recMask[k]!;
    for (let k = 0; k < BH; k++) dh[k] += tmp[k]!;
  }
}
