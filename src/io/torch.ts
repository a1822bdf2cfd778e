// PyTorch ⇄ Keras weight layout for nn.LSTM and nn.GRU: pure functions over state dicts
// ({name: {shape, data}}), so trained PyTorch models load into recurrent and back (docs/pytorch.md).

import { Tensor, sizeOf } from "../tensor/tensor.js";
import { ConfigError, ShapeError, fmtShape } from "../tensor/errors.js";
import { kindOfType } from "../layers/registry.js";

/** One entry of a state dict: a row-major array and its shape (a `Tensor` fits too). */
export interface TorchTensor {
  shape: readonly number[];
  data: ArrayLike<number>;
}

/** `module.state_dict()` as plain data: parameter name → tensor. */
export type TorchStateDict = Record<string, TorchTensor>;

export interface TorchConvertOptions {
  /** Which module the weights belong to: nn.LSTM or nn.GRU. */
  layer: "lstm" | "gru";
  /** nn.LSTM/nn.GRU built with bidirectional=True: also read/write the `_reverse` weights. Default false. */
  bidirectional?: boolean;
  /** Which layer of a stacked module (num_layers > 1): the k of `weight_ih_l{k}`. Default 0. */
  layerIndex?: number;
  /** Prefix of the keys when the state dict is a whole model's, e.g. "encoder.rnn.". Default "". */
  prefix?: string;
  /** False for modules built with bias=False (no bias keys; our layer with useBias: false). Default true. */
  useBias?: boolean;
}

/** PyTorch's gate order per layer kind: for each Keras gate block k, the PyTorch block it comes from. */
const TORCH_GATES = {
  // PyTorch i, f, g, o = Keras i, f, c, o: the same order.
  lstm: { perm: [0, 1, 2, 3], torchOrder: "i, f, g, o" },
  // PyTorch r, z, n → Keras z, r, h: swap the first two blocks. The swap is its own inverse.
  gru: { perm: [1, 0, 2], torchOrder: "r, z, n" },
} as const;

function resolve(options: TorchConvertOptions): { G: number; perm: readonly number[]; torchOrder: string; suffixes: string[]; prefix: string; useBias: boolean } {
  const spec = (TORCH_GATES as Record<string, (typeof TORCH_GATES)[keyof typeof TORCH_GATES] | undefined>)[options.layer];
  if (!spec) throw new ConfigError(`torch converter: layer must be "lstm" or "gru", got ${JSON.stringify(options.layer)}`);
  const G = kindOfType(options.layer, "torch converter").gates!;
  const k = options.layerIndex ?? 0;
  if (!Number.isInteger(k) || k < 0) throw new ConfigError(`torch converter: layerIndex must be a non-negative integer, got ${String(options.layerIndex)}`);
  return {
    G,
    perm: spec.perm,
    torchOrder: spec.torchOrder,
    suffixes: options.bidirectional ? [`_l${k}`, `_l${k}_reverse`] : [`_l${k}`],
    prefix: options.prefix ?? "",
    useBias: options.useBias ?? true,
  };
}

/**
 * Converts the weights of one layer of a PyTorch nn.LSTM / nn.GRU state dict to Keras-layout
 * tensors in `getWeights()` order, ready for `layer.setWeights(...)`:
 * `[kernel [I, G·H], recurrentKernel [H, G·H], bias]` for the forward direction, then the same for
 * the reverse direction when `bidirectional` (the order of `layers.bidirectional(...)`).
 *
 * Mapping (G = 4 for LSTM, 3 for GRU): kernel = weight_ihᵀ, recurrentKernel = weight_hhᵀ, with the
 * GRU's gate blocks reordered from r, z, n to z, r, h. LSTM bias [4H] = bias_ih + bias_hh (they only
 * ever appear summed). GRU bias [2, 3H] = [bias_ih; bias_hh], which is the layout of a GRU with
 * `resetAfter: true` (the Keras default, and PyTorch's equations).
 *
 * Input size I and hidden size H are read from the shapes. Throws ConfigError when a key is missing
 * or the module has projections (proj_size), ShapeError when a shape does not fit.
 *
 * @example
 * const l = layers.lstm({ units: 64, returnSequences: true });
 * l.build([T, I]);
 * l.setWeights(fromTorchStateDict(stateDict, { layer: "lstm" }));
 */
export function fromTorchStateDict(stateDict: TorchStateDict, options: TorchConvertOptions): Tensor[] {
  const { G, perm, torchOrder, suffixes, prefix, useBias } = resolve(options);
  const what = `PyTorch ${options.layer.toUpperCase()} (gates ${torchOrder})`;
  const out: Tensor[] = [];
  let dims: { I: number; H: number } | null = null;
  for (const s of suffixes) {
    const proj = `${prefix}weight_hr${s}`;
    if (proj in stateDict) throw new ConfigError(`torch converter: "${proj}" found: LSTMs with proj_size > 0 are not supported`);
    const wih = entry(stateDict, `${prefix}weight_ih${s}`);
    const whh = entry(stateDict, `${prefix}weight_hh${s}`);
    // The first direction fixes I and H from its own shapes; everything else must agree.
    if (!dims) {
      if (whh.shape.length !== 2 || whh.shape[1]! <= 0 || whh.shape[0] !== G * whh.shape[1]!) {
        throw new ShapeError(`torch converter: "${prefix}weight_hh${s}" of a ${what} must have shape [${G}·H, H], got ${fmtShape(whh.shape)}`);
      }
      const H = whh.shape[1]!;
      if (wih.shape.length !== 2 || wih.shape[0] !== G * H) {
        throw new ShapeError(`torch converter: "${prefix}weight_ih${s}" of a ${what} with hidden size ${H} must have shape [${G * H}, I], got ${fmtShape(wih.shape)}`);
      }
      dims = { I: wih.shape[1]!, H };
    }
    const { I, H } = dims;
    expectShape(`${prefix}weight_ih${s}`, wih, [G * H, I]);
    expectShape(`${prefix}weight_hh${s}`, whh, [G * H, H]);
    out.push(transposeBlocks(wih.data, I, H, perm), transposeBlocks(whh.data, H, H, perm));
    if (!useBias) {
      for (const b of [`${prefix}bias_ih${s}`, `${prefix}bias_hh${s}`]) {
        if (b in stateDict) throw new ConfigError(`torch converter: "${b}" found but useBias is false`);
      }
      continue;
    }
    const bih = entry(stateDict, `${prefix}bias_ih${s}`);
    const bhh = entry(stateDict, `${prefix}bias_hh${s}`);
    expectShape(`${prefix}bias_ih${s}`, bih, [G * H]);
    expectShape(`${prefix}bias_hh${s}`, bhh, [G * H]);
    if (options.layer === "lstm") {
      const bias = new Float32Array(G * H); // [4H]
      for (let i = 0; i < G * H; i++) bias[i] = bih.data[i]! + bhh.data[i]!;
      out.push(new Tensor(bias, [G * H]));
    } else {
      const bias = new Float32Array(2 * G * H); // [2, 3H]
      bias.set(reorder(bih.data, 0, H, perm), 0);
      bias.set(reorder(bhh.data, 0, H, perm), G * H);
      out.push(new Tensor(bias, [2, G * H]));
    }
  }
  return out;
}

/**
 * The inverse of `fromTorchStateDict`: Keras-layout weights (as from `getWeights()`: kernel,
 * recurrentKernel, bias per direction) → the entries of a PyTorch state dict for layer
 * `layerIndex`, in PyTorch's key order, ready for `module.load_state_dict(...)` (merge the layers
 * of a stack into one dict).
 *
 * Bias convention for LSTM: PyTorch has two biases that only ever appear summed, so the whole Keras
 * bias goes into `bias_ih` and `bias_hh` is zeros. GRU biases split exactly (row 0 → bias_ih,
 * row 1 → bias_hh); a GRU with `resetAfter: false` has no PyTorch equivalent and is refused.
 *
 * @example
 * const sd = toTorchStateDict(bilstm.getWeights(), { layer: "lstm", bidirectional: true });
 */
export function toTorchStateDict(weights: readonly TorchTensor[], options: TorchConvertOptions): Record<string, { shape: number[]; data: Float32Array }> {
  const { G, perm, suffixes, prefix, useBias } = resolve(options);
  const per = useBias ? 3 : 2;
  if (options.layer === "lstm" && weights.length === (per + 1) * suffixes.length && weights[per]?.shape.length === 1 && weights[per]!.shape[0] === 3 * (weights[1]?.shape[0] ?? -1)) {
    throw new ConfigError(`torch converter: weight ${per} has shape ${fmtShape(weights[per]!.shape)}, a peephole LSTM's peephole weights [3H], which PyTorch's nn.LSTM has no place for; export a peephole LSTM to ONNX instead`);
  }
  if (weights.length !== per * suffixes.length) {
    const names = useBias ? "kernel, recurrentKernel, bias" : "kernel, recurrentKernel";
    throw new ShapeError(`torch converter: a ${options.bidirectional ? "bidirectional " : ""}${options.layer.toUpperCase()}${useBias ? "" : " without bias"} needs ${per * suffixes.length} weights (${names}${suffixes.length > 1 ? ", forward then backward" : ""}), got ${weights.length}`);
  }
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  let dims: { I: number; H: number } | null = null;
  suffixes.forEach((s, d) => {
    const [kernel, rec, bias] = [weights[d * per]!, weights[d * per + 1]!, useBias ? weights[d * per + 2]! : null];
    const name = (k: number): string => `weight ${d * per + k} (${["kernel", "recurrentKernel", "bias"][k]}${suffixes.length > 1 ? (d === 0 ? ", forward" : ", backward") : ""})`;
    checkData(name(0), kernel);
    checkData(name(1), rec);
    if (!dims) {
      if (rec.shape.length !== 2 || rec.shape[0]! <= 0 || rec.shape[1] !== G * rec.shape[0]!) {
        throw new ShapeError(`torch converter: ${name(1)} of a ${options.layer.toUpperCase()} must have shape [H, ${G}·H], got ${fmtShape(rec.shape)}`);
      }
      const H = rec.shape[0]!;
      if (kernel.shape.length !== 2 || kernel.shape[1] !== G * H) {
        throw new ShapeError(`torch converter: ${name(0)} must have shape [I, ${G * H}], got ${fmtShape(kernel.shape)}`);
      }
      dims = { I: kernel.shape[0]!, H };
    }
    const { I, H } = dims;
    expectWeight(name(0), kernel, [I, G * H]);
    expectWeight(name(1), rec, [H, G * H]);
    out[`${prefix}weight_ih${s}`] = { shape: [G * H, I], data: untransposeBlocks(kernel.data, I, H, perm) };
    out[`${prefix}weight_hh${s}`] = { shape: [G * H, H], data: untransposeBlocks(rec.data, H, H, perm) };
    if (!bias) return;
    checkData(name(2), bias);
    if (options.layer === "lstm") {
      expectWeight(name(2), bias, [G * H]);
      out[`${prefix}bias_ih${s}`] = { shape: [G * H], data: Float32Array.from(bias.data) };
      out[`${prefix}bias_hh${s}`] = { shape: [G * H], data: new Float32Array(G * H) };
    } else {
      if (bias.shape.length === 1 && bias.shape[0] === G * H) {
        throw new ConfigError(`torch converter: ${name(2)} has shape ${fmtShape(bias.shape)}, the layout of a GRU with resetAfter: false, which PyTorch's nn.GRU cannot express; train with resetAfter: true`);
      }
      expectWeight(name(2), bias, [2, G * H]);
      out[`${prefix}bias_ih${s}`] = { shape: [G * H], data: reorder(bias.data, 0, H, perm) };
      out[`${prefix}bias_hh${s}`] = { shape: [G * H], data: reorder(bias.data, G * H, H, perm) };
    }
  });
  return out;
}

function entry(sd: TorchStateDict, key: string): TorchTensor {
  const t = sd[key];
  if (t === undefined) {
    const keys = Object.keys(sd);
    const shown = keys.slice(0, 12).map((k) => `"${k}"`).join(", ") + (keys.length > 12 ? `, … (${keys.length} keys)` : "");
    throw new ConfigError(`torch converter: key "${key}" is missing from the state dict (it has ${keys.length ? shown : "no keys"}); check layer, bidirectional, layerIndex and prefix`);
  }
  checkData(`"${key}"`, t);
  return t;
}

function checkData(what: string, t: TorchTensor): void {
  if (!t || !Array.isArray(t.shape) || t.data == null || typeof t.data.length !== "number") {
    throw new ShapeError(`torch converter: ${what} must be {shape: number[], data: number[] | Float32Array}`);
  }
  if (t.data.length !== sizeOf(t.shape)) {
    throw new ShapeError(`torch converter: ${what} has shape ${fmtShape(t.shape)} (${sizeOf(t.shape)} values) but ${t.data.length} values`);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function expectShape(key: string, t: TorchTensor, want: number[]): void {
  if (!sameShape(t.shape, want)) throw new ShapeError(`torch converter: "${key}" must have shape ${fmtShape(want)}, got ${fmtShape(t.shape)}`);
}

function expectWeight(what: string, t: TorchTensor, want: number[]): void {
  if (!sameShape(t.shape, want)) throw new ShapeError(`torch converter: ${what} must have shape ${fmtShape(want)}, got ${fmtShape(t.shape)}`);
}

/** PyTorch [G·H, N] (gate blocks in PyTorch order) → Keras [N, G·H] (blocks in Keras order). */
function transposeBlocks(w: ArrayLike<number>, N: number, H: number, perm: readonly number[]): Tensor {
  const GH = perm.length * H;
  const out = new Float32Array(N * GH); // [N, G·H]
  perm.forEach((src, k) => {
    for (let j = 0; j < H; j++) {
      const row = (src * H + j) * N;
      for (let n = 0; n < N; n++) out[n * GH + k * H + j] = w[row + n]!;
    }
  });
  return new Tensor(out, [N, GH]);
}

/** Keras [N, G·H] → PyTorch [G·H, N]: undoes transposeBlocks exactly. */
function untransposeBlocks(w: ArrayLike<number>, N: number, H: number, perm: readonly number[]): Float32Array {
  const GH = perm.length * H;
  const out = new Float32Array(GH * N); // [G·H, N]
  perm.forEach((src, k) => {
    for (let j = 0; j < H; j++) {
      const row = (src * H + j) * N;
      for (let n = 0; n < N; n++) out[row + n] = w[n * GH + k * H + j]!;
    }
  });
  return out;
}

/** The G·H values of b from `offset`, gate blocks permuted (both perms are their own inverse, so this serves both ways). */
function reorder(b: ArrayLike<number>, offset: number, H: number, perm: readonly number[]): Float32Array {
  const out = new Float32Array(perm.length * H);
  perm.forEach((src, k) => {
    for (let j = 0; j < H; j++) out[k * H + j] = b[offset + src * H + j]!;
  });
  return out;
}
