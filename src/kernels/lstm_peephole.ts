// Fused peephole LSTM recurrence (Gers & Schmidhuber 2000) over a whole sequence, forward and
// backward, in Keras gate order i, f, c, o. Same buffers and conventions as lstm.ts, plus the
// peephole vector P [3H] (blocks i, f, o): the input and forget gates see c_{t-1}, the output gate
// sees c_t:
//
//   i = σ(x W_i + h U_i + b_i + p_i ⊙ c_{t-1})   f = σ(x W_f + h U_f + b_f + p_f ⊙ c_{t-1})
//   c̃ = act(x W_c + h U_c + b_c)                 c_t = f ⊙ c_{t-1} + i ⊙ c̃
//   o = σ(x W_o + h U_o + b_o + p_o ⊙ c_t)        h_t = o ⊙ act(c_t)
//
// A separate kernel rather than a branch inside lstm.ts, so the plain LSTM's loops are untouched.
// With P = 0 every sum below adds an exact zero, so the result equals lstmForward bit for bit.
// Nothing is allocated and no function is called per element.

import { gemm } from "./gemm.js";
import { activate, activateBackwardAt, type Activation } from "./activations.js";

/**
 * As lstmForward, with P [3H] (peephole weights i, f, o). gates [T, B, 4H]: on entry x_t·W + b;
 * on exit the activated gates i, f, c̃, o. hs, cs, tc [T+1, B, H]: slot 0 of hs, cs holds h0, c0;
 * slot t+1 receives h_t, c_t and act(c_t). recMask [B, H] or null; hm [T, B, H] receives
 * h_{t-1} ⊙ mask.
 */
export function lstmPeepholeForward(
  B: number, T: number, H: number,
  U: Float32Array, // [H, 4H]
  P: Float32Array, // [3H]: p_i, p_f, p_o
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
    for (let b = 0; b < B; b++) {
      const r = zo + b * G;
      const cp = t * BH + b * H; // c_{t-1}
      const cn = cp + BH; // c_t
      if (fused) {
        for (let j = 0; j < H; j++) {
          const cpv = cs[cp + j]!;
          const i = Math.fround(1 / (1 + Math.exp(-(gates[r + j]! + P[j]! * cpv))));
          const f = Math.fround(1 / (1 + Math.exp(-(gates[r + H + j]! + P[H + j]! * cpv))));
          const g = Math.fround(Math.tanh(gates[r + 2 * H + j]!));
          const c = Math.fround(f * cpv + i * g);
          const o = Math.fround(1 / (1 + Math.exp(-(gates[r + 3 * H + j]! + P[2 * H + j]! * c))));
          gates[r + j] = i; gates[r + H + j] = f; gates[r + 2 * H + j] = g; gates[r + 3 * H + j] = o;
          cs[cn + j] = c;
          const tcv = Math.fround(Math.tanh(c));
          tc[cn + j] = tcv;
          hs[cn + j] = o * tcv;
        }
        continue;
      }
      for (let j = 0; j < H; j++) {
        const cpv = cs[cp + j]!;
        gates[r + j] += P[j]! * cpv;
        gates[r + H + j] += P[H + j]! * cpv;
      }
      activate(recAct, gates, gates, r, 2 * H); // i, f
      activate(act, gates, gates, r + 2 * H, H); // c̃
      for (let j = 0; j < H; j++) {
        const c = gates[r + H + j]! * cs[cp + j]! + gates[r + j]! * gates[r + 2 * H + j]!;
        cs[cn + j] = c;
        gates[r + 3 * H + j] += P[2 * H + j]! * cs[cn + j]!;
      }
      activate(recAct, gates, gates, r + 3 * H, H); // o, after it has seen c_t
      activate(act, cs, tc, cn, H);
      for (let j = 0; j < H; j++) hs[cn + j] = gates[r + 3 * H + j]! * tc[cn + j]!;
    }
  }
}

/**
 * Reverse-time loop of BPTT for the peephole LSTM.
 * dhs [T, B, H] or null; dh, dc [B, H]: gradient at h_T, c_T on entry, at h0, c0 on exit.
 * dZ [T, B, 4H] receives dL/d(gate pre-activations); dP [3H] accumulates (+=) dL/dP.
 */
export function lstmPeepholeBackward(
  B: number, T: number, H: number,
  U: Float32Array, // [H, 4H]
  P: Float32Array, // [3H]
  gates: Float32Array, cs: Float32Array, tc: Float32Array,
  act: Activation, recAct: Activation,
  recMask: Float32Array | null,
  dhs: Float32Array | null,
  dh: Float32Array, dc: Float32Array,
  dZ: Float32Array, dP: Float32Array,
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
          const cpv = cs[cp + j]!, tcv = tc[cn + j]!;
          const dhv = dh[s + j]!;
          const dzo = dhv * tcv * (o * (1 - o));
          // c_t reaches the loss through h = o·tanh(c), through o's peephole, and through step t+1 (dc)
          const dcv = dc[s + j]! + dhv * o * (1 - tcv * tcv) + dzo * P[2 * H + j]!;
          const dzi = dcv * g * (i * (1 - i));
          const dzf = dcv * cpv * (f * (1 - f));
          dZ[r + j] = dzi;
          dZ[r + H + j] = dzf;
          dZ[r + 2 * H + j] = dcv * i * (1 - g * g);
          dZ[r + 3 * H + j] = dzo;
          dc[s + j] = dcv * f + dzi * P[j]! + dzf * P[H + j]!; // to c_{t-1}: directly and through the i, f peepholes
          dP[j] += dzi * cpv;
          dP[H + j] += dzf * cpv;
          dP[2 * H + j] += dzo * cs[cn + j]!;
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
        const dzo = dZ[r + 3 * H + j]!;
        const dcv = dc[s + j]! + dZ[r + j]! + dzo * P[2 * H + j]!;
        dP[2 * H + j] += dzo * cs[cn + j]!;
        const i = gates[r + j]!;
        dZ[r + j] = dcv * gates[r + 2 * H + j]!; // dL/di
        dZ[r + H + j] = dcv * cs[cp + j]!; // dL/df
        dZ[r + 2 * H + j] = dcv * i; // dL/dc̃
        dc[s + j] = dcv * gates[r + H + j]!; // to c_{t-1} directly; the peephole terms follow
      }
      activateBackwardAt(recAct, gates, r, dZ, r, dZ, r, 2 * H); // i, f
      activateBackwardAt(act, gates, r + 2 * H, dZ, r + 2 * H, dZ, r + 2 * H, H); // c̃
      for (let j = 0; j < H; j++) {
        const cpv = cs[cp + j]!;
        const dzi = dZ[r + j]!, dzf = dZ[r + H + j]!;
        dc[s + j] += dzi * P[j]! + dzf * P[H + j]!;
        dP[j] += dzi * cpv;
        dP[H + j] += dzf * cpv;
      }
    }
    gemm(false, true, B, H, G, 1, dZ, zo, G, U, 0, G, 0, dh, 0, H); // dh_{t-1} = dZ_t·Uᵀ  [B,H]
    if (recMask) for (let k = 0; k < BH; k++) dh[k] *= recMask[k]!;
  }
}
