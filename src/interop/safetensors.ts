// safetensors (huggingface/safetensors): an 8-byte little-endian u64 N, N bytes of JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the
// data, offsets relative to its start. Read here: F32, F64, F16, BF16 (as float32); written: F32.
// The reader validates as the reference implementation does: the header fits the file, every
// tensor's bytes match its dtype and shape, and the tensors tile the data exactly (no overlap, no
// hole, nothing left over).
//
// On top of it, PyTorch state dicts (nn.LSTM, nn.GRU, nn.RNN, nn.Linear, nn.Embedding) load into a
// model through src/io/torch.ts's converter, and a model saves as one; a file we write also holds
// the model's architecture in __metadata__, so importSafetensors rebuilds the whole model from it.

import { Tensor } from "../tensor/tensor.js";
import { ConfigError, ModelFormatError, fmtShape } from "../tensor/errors.js";
import { fileSystem } from "../io/fs.js";
import { fromTorchStateDict, toTorchStateDict, type TorchStateDict, type TorchTensor } from "../io/torch.js";
import { fromConfig, Layer, Dense, Embedding, RecurrentLayer, LSTM, GRU, TimeDistributed, Bidirectional, type LayerConfig } from "../layers/index.js";
import { Sequential } from "../models/sequential.js";

export type SafetensorsDtype = "F32" | "F64" | "F16" | "BF16";

export interface SafetensorsTensor {
  /** The dtype in the file; `data` is float32 whatever it was. */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Bytes per element of every dtype the format defines (the ones we do not read are refused by name). */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
  F8_E4M3: 1, F8_E5M2: 1,
};
const READ: readonly string[] = ["F32", "F64", "F16", "BF16"];
/** The reference implementation's limit on the header (100 MB). */
const MAX_HEADER = 100_000_000;

/** IEEE 754 half (binary16 bits) → number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function fail(msg: string): never {
  throw new ModelFormatError(`safetensors: ${msg}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Parse a safetensors file. Every tensor comes back as float32 with its shape and its dtype in the
 * file. Throws ModelFormatError, naming the tensor where there is one, for a header length past the
 * end of the file, a header that is not JSON, an unknown or integer dtype, offsets that do not
 * match dtype × shape, overlap, leave a hole or run past the end (a truncated file).
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) fail("expected the file's bytes as a Uint8Array");
  if (bytes.length < 8) fail(`the file is ${bytes.length} bytes, shorter than the 8-byte header length: truncated`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true), hi = view.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER) fail(`header length ${n} is larger than the format's limit of ${MAX_HEADER} bytes: not a safetensors file, or a corrupted one`);
  if (8 + n > bytes.length) fail(`header length ${n} runs past the end of the file (${bytes.length} bytes): the file is truncated or not safetensors`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`the ${n}-byte header is not JSON (${(e as Error).message}): the file is corrupted or not safetensors`);
  }
  if (!isObject(header)) fail("the header is not a JSON object");
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (!isObject(v)) fail(`__metadata__ must be an object of strings, got ${JSON.stringify(v)}`);
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== "string") fail(`__metadata__ entry "${k}" must be a string, got ${JSON.stringify(s)}`);
        metadata[k] = s;
      }
      continue;
    }
    const t = (msg: string): never => fail(`tensor "${name}": ${msg}`);
    if (!isObject(v)) t(`header entry must be {dtype, shape, data_offsets}, got ${JSON.stringify(v)}`);
    const { dtype, shape, data_offsets: off } = v as Record<string, unknown>;
    if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) t(`unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) t(`shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(off) || off.length !== 2 || off.some((d) => !Number.isSafeInteger(d) || (d as number) < 0) || (off[0] as number) > (off[1] as number)) {
      t(`data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    const need = DTYPE_BYTES[dtype as string]! * (shape as number[]).reduce((p, d) => p * d, 1);
    if (end - begin !== need) t(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype as string} ${fmtShape(shape as number[])} takes ${need}`);
    if (end > dataLen) t(`data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes): the file is truncated`);
    entries.push({ name, dtype: dtype as string, shape: shape as number[], begin, end });
  }
  // the tensors must tile the data: sorted by offset, each starts where the previous ended
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: string | null = null;
  for (const e of sorted) {
    if (e.begin < at) fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap tensor "${prev}" (which ends at ${at})`);
    if (e.begin > at) fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] leave bytes ${at}..${e.begin} of the data to no tensor${prev ? ` (after "${prev}")` : ""}`);
    at = e.end;
    prev = e.name;
  }
  if (at !== dataLen) fail(`the data is ${dataLen} bytes but the tensors end at ${at}${prev ? ` (last: "${prev}")` : ""}: ${dataLen - at} bytes belong to no tensor`);
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const e of entries) {
    if (!READ.includes(e.dtype)) {
      fail(`tensor "${e.name}" has dtype ${e.dtype}; floating-point tensors (${READ.join(", ")}) are read, integer and 8-bit ones are not`);
    }
    tensors[e.name] = { dtype: e.dtype as SafetensorsDtype, shape: [...e.shape], data: decode(view, dataStart + e.begin, e.dtype, (e.end - e.begin) / DTYPE_BYTES[e.dtype]!) };
  }
  return { tensors, metadata };
}

function decode(view: DataView, off: number, dtype: string, n: number): Float32Array {
  const out = new Float32Array(n);
  switch (dtype) {
    case "F32": for (let i = 0; i < n; i++) out[i] = view.getFloat32(off + 4 * i, true); break;
    case "F64": for (let i = 0; i < n; i++) out[i] = view.getFloat64(off + 8 * i, true); break;
    case "F16": for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(off + 2 * i, true)); break;
    case "BF16": {
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        tmp.setUint32(0, view.getUint16(off + 2 * i, true) << 16, true);
        out[i] = tmp.getFloat32(0, true);
      }
      break;
    }
  }
  return out;
}

/** A tensor to write: a row-major array and its shape (a `Tensor` fits). */
export interface SafetensorsInput {
  shape: readonly number[];
  data: ArrayLike<number>;
}

/**
 * A safetensors file of float32 tensors (F32), in the given order, with optional string metadata.
 * The header is padded with spaces to a multiple of 8 bytes, so the data starts aligned.
 */
export function writeSafetensors(tensors: Record<string, SafetensorsInput>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new ConfigError(`writeSafetensors: metadata "${k}" must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let off = 0;
  const list = Object.entries(tensors);
  for (const [name, t] of list) {
    if (name === "" || name === "__metadata__") throw new ConfigError(`writeSafetensors: "${name}" cannot name a tensor`);
    if (!t || !Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0) || t.data == null) {
      throw new ConfigError(`writeSafetensors: tensor "${name}" must be {shape: number[], data: number[] | Float32Array}`);
    }
    const n = t.shape.reduce((p, d) => p * d, 1);
    if (t.data.length !== n) throw new ConfigError(`writeSafetensors: tensor "${name}" has shape ${fmtShape(t.shape)} (${n} values) but ${t.data.length} values`);
    header[name] = { dtype: "F32", shape: [...t.shape], data_offsets: [off, off + 4 * n] };
    off += 4 * n;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + off);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of list) {
    for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i]!, true);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// PyTorch state dicts ⇄ models

/** Where a layer's weights sit in a state dict: a module's key prefix ("lstm.", "0.") and, for a stacked RNN, the layer index. */
export interface TorchModuleRef {
  prefix: string;
  layerIndex?: number;
}

export interface LoadTorchSafetensorsOptions {
  /**
   * The module of each layer with weights, in the model's order ("lstm." or { prefix: "rnn.",
   * layerIndex: 1 }). Default: matched by kind and shape, preferring a module named like the layer.
   */
  modules?: (string | TorchModuleRef)[];
}

type UnitKind = "lstm" | "gru" | "rnn" | "linear" | "embedding";

/** A layer of ours with weights, as PyTorch sees it. */
interface Unit {
  layer: Layer;
  kind: UnitKind;
  bidirectional: boolean;
  /** the layer whose weights are converted: the recurrent layer of a Bidirectional, the Dense of a TimeDistributed */
  inner: Layer;
}

/** A module of the state dict: one layer of an RNN module, or a Linear / Embedding. */
interface Module {
  prefix: string;
  layerIndex: number;
  rnn: boolean;
  /** gate blocks of an RNN (4 LSTM, 3 GRU, 1 RNN), read from weight_hh's shape */
  gates: number;
  bidirectional: boolean;
  keys: string[];
  used: boolean;
}

function unitsOf(model: Sequential): Unit[] {
  const units: Unit[] = [];
  for (const l of model.layers) {
    if (l.allParams().length === 0) continue;
    const rec = (r: Layer): UnitKind => {
      if (r instanceof LSTM && r.peephole) {
        throw new ConfigError(`safetensors: layer "${l.name}" is an LSTM with peephole: true, which PyTorch's nn.LSTM has no weights for (weight_ih, weight_hh, bias_ih, bias_hh only); export it to ONNX instead, whose LSTM takes the peephole weights as P`);
      }
      return r instanceof LSTM ? "lstm" : r instanceof GRU ? "gru" : "rnn";
    };
    if (l instanceof RecurrentLayer) units.push({ layer: l, kind: rec(l), bidirectional: false, inner: l });
    else if (l instanceof Bidirectional) units.push({ layer: l, kind: rec(l.forwardLayer), bidirectional: true, inner: l.forwardLayer });
    else if (l instanceof Dense) units.push({ layer: l, kind: "linear", bidirectional: false, inner: l });
    else if (l instanceof TimeDistributed && l.layer instanceof Dense) units.push({ layer: l, kind: "linear", bidirectional: false, inner: l.layer });
    else if (l instanceof Embedding) units.push({ layer: l, kind: "embedding", bidirectional: false, inner: l });
    else throw new ConfigError(`safetensors: layer "${l.name}" (${l.className}) has no PyTorch counterpart here (LSTM, GRU, SimpleRNN, Bidirectional, Dense, TimeDistributed(Dense), Embedding have)`);
  }
  return units;
}

const RNN_KEY = /^(.*?)(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$/;

function modulesOf(sd: TorchStateDict): Module[] {
  const mods = new Map<string, Module>();
  for (const k of Object.keys(sd)) {
    const m = RNN_KEY.exec(k);
    let id: string, prefix: string, layerIndex = 0, rnn = false;
    if (m) {
      prefix = m[1]!; layerIndex = Number(m[3]); rnn = true; id = `${prefix}\u0000${layerIndex}`;
    } else {
      const p = /^(.*?)(weight|bias)$/.exec(k);
      prefix = p ? p[1]! : k; id = `${prefix}\u0000plain`;
    }
    let mod = mods.get(id);
    if (!mod) {
      mod = { prefix, layerIndex, rnn, gates: 0, bidirectional: false, keys: [], used: false };
      mods.set(id, mod);
    }
    mod.keys.push(k);
    if (m && m[4]) mod.bidirectional = true;
    if (m && m[2] === "weight_hh" && !m[4]) {
      const s = sd[k]!.shape;
      mod.gates = s.length === 2 && s[1]! > 0 ? s[0]! / s[1]! : 0;
    }
  }
  return [...mods.values()].sort((a, b) => naturalCompare(a.prefix, b.prefix) || a.layerIndex - b.layerIndex);
}

function naturalCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [], pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!, y = pb[i]!;
    if (x === y) continue;
    const nx = Number(x), ny = Number(y);
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

const GATES: Record<string, number> = { lstm: 4, gru: 3, rnn: 1 };

/** Whether module `m` can hold unit `u`'s weights (kind, direction, bias, shapes). */
function fits(u: Unit, m: Module, sd: TorchStateDict): boolean {
  const shapeIs = (k: string, s: number[]): boolean => {
    const t = sd[k];
    return !!t && t.shape.length === s.length && t.shape.every((d, i) => d === s[i]);
  };
  const ps = u.inner.allParams();
  if (u.kind === "linear" || u.kind === "embedding") {
    if (m.rnn) return false;
    const w = ps[0]!;
    if (u.kind === "embedding") return m.keys.length === 1 && shapeIs(`${m.prefix}weight`, w.shape);
    const [I, O] = w.shape as [number, number];
    const bias = ps.length > 1;
    return m.keys.length === (bias ? 2 : 1) && shapeIs(`${m.prefix}weight`, [O, I]) && (!bias || shapeIs(`${m.prefix}bias`, [O]));
  }
  if (!m.rnn || m.gates !== GATES[u.kind] || m.bidirectional !== u.bidirectional) return false;
  const [I, GH] = ps[0]!.shape as [number, number];
  const H = GH / GATES[u.kind]!;
  const s = `_l${m.layerIndex}`;
  const bias = (u.inner as RecurrentLayer).useBias;
  return shapeIs(`${m.prefix}weight_ih${s}`, [GH, I]) && shapeIs(`${m.prefix}weight_hh${s}`, [GH, H]) && (m.keys.some((k) => k.includes("bias_")) === bias);
}

/** What a unit needs from PyTorch, for messages: "weight_ih [16, 3], weight_hh [16, 4], bias_ih, bias_hh [16]". */
function torchShapes(u: Unit): string {
  const ps = u.inner.allParams();
  const [I, O] = ps[0]!.shape as [number, number];
  if (u.kind === "embedding") return `weight ${fmtShape([I, O])}`;
  if (u.kind === "linear") return `weight ${fmtShape([O, I])}${ps.length > 1 ? `, bias ${fmtShape([O])}` : ""}`;
  const H = O / GATES[u.kind]!;
  const what = `nn.${u.kind.toUpperCase()}${u.bidirectional ? " (bidirectional)" : ""}`;
  return `${what} weight_ih ${fmtShape([O, I])}, weight_hh ${fmtShape([O, H])}${(u.inner as RecurrentLayer).useBias ? `, bias_ih and bias_hh ${fmtShape([O])}` : ", no biases"}`;
}

function assign(units: Unit[], mods: Module[], sd: TorchStateDict, given: (string | TorchModuleRef)[] | undefined, where: string): Module[] {
  const fail = (msg: string): never => {
    throw new ModelFormatError(`${where}: ${msg}`);
  };
  const describe = (m: Module): string => `${m.prefix || "(no prefix)"}${m.rnn ? ` layer ${m.layerIndex}` : ""}`;
  if (given) {
    if (given.length !== units.length) fail(`modules lists ${given.length} modules, but the model has ${units.length} layers with weights (${units.map((u) => u.layer.name).join(", ")})`);
    return units.map((u, i) => {
      const ref = typeof given[i] === "string" ? { prefix: given[i] as string } : given[i] as TorchModuleRef;
      const m = mods.find((x) => x.prefix === ref.prefix && (!x.rnn || x.layerIndex === (ref.layerIndex ?? 0)));
      if (!m) fail(`layer "${u.layer.name}": no module "${ref.prefix}"${ref.layerIndex ? ` layer ${ref.layerIndex}` : ""} in the state dict (it has ${mods.map(describe).join(", ")})`);
      if (!fits(u, m!, sd)) {
        const has = m!.keys.map((k) => `${k} ${fmtShape(sd[k]!.shape)}`).join(", ");
        fail(`layer "${u.layer.name}" (${u.layer.className}) does not fit module "${m!.prefix}"${m!.rnn ? ` layer ${m!.layerIndex}` : ""}: it needs ${torchShapes(u)}; the module has ${has}`);
      }
      m!.used = true;
      return m!;
    });
  }
  let prev: Module | null = null;
  return units.map((u) => {
    const free = mods.filter((m) => !m.used && fits(u, m, sd));
    const named = free.filter((m) => m.prefix === `${u.layer.name}.` || m.prefix === `${u.layer.name}_`);
    const next = prev ? free.filter((m) => m.prefix === prev!.prefix && m.layerIndex === prev!.layerIndex + 1) : [];
    // layers of one stacked module are taken in order (l0 before l1 when both fit, as when I = H)
    const oneModule = free.length > 1 && free.every((m) => m.rnn && m.prefix === free[0]!.prefix) ? [free[0]!] : [];
    const pick = named.length === 1 ? named[0] : next.length === 1 ? next[0] : free.length === 1 ? free[0] : oneModule[0];
    if (!pick) {
      const p = u.inner.allParams()[0]!;
      fail(free.length === 0
        ? `layer "${u.layer.name}" (${u.layer.className}, kernel ${fmtShape(p.shape)}): no ${u.bidirectional ? "bidirectional " : ""}${u.kind === "linear" ? "nn.Linear" : u.kind === "embedding" ? "nn.Embedding" : `nn.${u.kind.toUpperCase()}`} of matching shape left in the state dict (modules: ${mods.map(describe).join(", ")}); pass { modules } to say which module each layer reads`
        : `layer "${u.layer.name}": ${free.length} modules fit (${free.map(describe).join(", ")}); pass { modules } to say which module each layer reads`);
    }
    pick!.used = true;
    prev = pick!;
    return pick!;
  });
}

/** nn.RNN ⇄ Keras SimpleRNN (one gate block: a transpose; the two biases sum). src/io/torch.ts covers LSTM and GRU. */
function rnnFromTorch(sd: TorchStateDict, prefix: string, k: number, bidirectional: boolean, useBias: boolean): Tensor[] {
  const out: Tensor[] = [];
  for (const s of bidirectional ? [`_l${k}`, `_l${k}_reverse`] : [`_l${k}`]) {
    const wih = sd[`${prefix}weight_ih${s}`]!, whh = sd[`${prefix}weight_hh${s}`]!;
    out.push(transpose(wih), transpose(whh));
    if (useBias) {
      const bih = sd[`${prefix}bias_ih${s}`], bhh = sd[`${prefix}bias_hh${s}`];
      if (!bih || !bhh) throw new ConfigError(`key "${prefix}bias_${bih ? "hh" : "ih"}${s}" is missing`);
      out.push(new Tensor(Float32Array.from(bih.data, (v, i) => v + bhh.data[i]!), [bih.data.length]));
    }
  }
  return out;
}

function rnnToTorch(weights: Tensor[], prefix: string, bidirectional: boolean, useBias: boolean): Record<string, TorchTensor> {
  const out: Record<string, TorchTensor> = {};
  const per = useBias ? 3 : 2;
  (bidirectional ? ["_l0", "_l0_reverse"] : ["_l0"]).forEach((s, d) => {
    out[`${prefix}weight_ih${s}`] = transpose(weights[d * per]!);
    out[`${prefix}weight_hh${s}`] = transpose(weights[d * per + 1]!);
    if (useBias) {
      const b = weights[d * per + 2]!;
      out[`${prefix}bias_ih${s}`] = { shape: [...b.shape], data: Float32Array.from(b.data) };
      out[`${prefix}bias_hh${s}`] = { shape: [...b.shape], data: new Float32Array(b.data.length) };
    }
  });
  return out;
}

function transpose(t: TorchTensor): Tensor {
  const [R, C] = t.shape as [number, number];
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = t.data[r * C + c]!;
  return new Tensor(out, [C, R]);
}

/** Our weights of unit `u` (getWeights() order) from module `m` of the state dict. */
function unitWeights(u: Unit, m: Module, sd: TorchStateDict): Tensor[] {
  const useBias = u.inner instanceof RecurrentLayer ? u.inner.useBias : u.inner instanceof Dense ? u.inner.useBias : false;
  switch (u.kind) {
    case "lstm": case "gru":
      if (u.kind === "gru" && !(u.inner as GRU).resetAfter) {
        throw new ConfigError(`the GRU has resetAfter: false, while PyTorch's nn.GRU applies the reset gate after the recurrent product (resetAfter: true)`);
      }
      return fromTorchStateDict(sd, { layer: u.kind, bidirectional: u.bidirectional, layerIndex: m.layerIndex, prefix: m.prefix, useBias });
    case "rnn":
      return rnnFromTorch(sd, m.prefix, m.layerIndex, u.bidirectional, useBias);
    case "linear": {
      const w = [transpose(sd[`${m.prefix}weight`]!)];
      if (useBias) w.push(new Tensor(Float32Array.from(sd[`${m.prefix}bias`]!.data), [...sd[`${m.prefix}bias`]!.shape]));
      return w;
    }
    case "embedding":
      return [new Tensor(Float32Array.from(sd[`${m.prefix}weight`]!.data), [...sd[`${m.prefix}weight`]!.shape])];
  }
}

/**
 * Set a built model's weights from a PyTorch state dict (e.g. `readSafetensors(...).tensors`):
 * nn.LSTM, nn.GRU, nn.RNN (also stacked and bidirectional), nn.Linear, nn.Embedding. Each layer of
 * ours with weights takes one module, matched by kind and shape (or as `options.modules` says).
 */
export function loadTorchStateDict(model: Sequential, sd: TorchStateDict, options: LoadTorchSafetensorsOptions = {}, where = "loadTorchStateDict"): void {
  if (!model.built) throw new ConfigError(`${where}: the model is not built yet; build it (or give its first layer an inputShape) before loading weights`);
  const units = unitsOf(model);
  const mods = modulesOf(sd);
  const picked = assign(units, mods, sd, options.modules, where);
  const unused = mods.filter((m) => !m.used);
  if (unused.length) {
    throw new ModelFormatError(`${where}: the state dict's ${unused.map((m) => m.keys.map((k) => `"${k}"`).join(", ")).join("; ")} belong to no layer of the model (${units.map((u) => u.layer.name).join(", ")})`);
  }
  units.forEach((u, i) => {
    const m = picked[i]!;
    try {
      u.layer.setWeights(unitWeights(u, m, sd));
    } catch (e) {
      throw new ModelFormatError(`${where}: layer "${u.layer.name}" (${u.layer.className}) from module "${m.prefix}"${m.rnn ? ` layer ${m.layerIndex}` : ""}: ${(e as Error).message}`);
    }
  });
}

/** PyTorch's state dict of a model: each layer's module named after the layer ("lstm.weight_ih_l0", "dense.weight"). */
export function toTorchStateDictOf(model: Sequential): Record<string, TorchTensor> {
  if (!model.built) throw new ConfigError("saveTorchSafetensors: the model is not built yet");
  const out: Record<string, TorchTensor> = {};
  for (const u of unitsOf(model)) {
    const prefix = `${u.layer.name}.`;
    const w = u.layer.getWeights();
    const where = `saveTorchSafetensors: layer "${u.layer.name}" (${u.layer.className})`;
    try {
      switch (u.kind) {
        case "lstm": case "gru":
          Object.assign(out, toTorchStateDict(w, { layer: u.kind, bidirectional: u.bidirectional, prefix, useBias: (u.inner as RecurrentLayer).useBias }));
          break;
        case "rnn":
          Object.assign(out, rnnToTorch(w, prefix, u.bidirectional, (u.inner as RecurrentLayer).useBias));
          break;
        case "linear":
          out[`${prefix}weight`] = transpose(w[0]!);
          if (w[1]) out[`${prefix}bias`] = w[1];
          break;
        case "embedding":
          out[`${prefix}weight`] = w[0]!;
          break;
      }
    } catch (e) {
      throw new ConfigError(`${where}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Metadata key of the architecture in files we write. */
export const MODEL_METADATA_KEY = "recurrent.model";

interface ModelMetadata {
  format: "recurrent-model";
  version: 1;
  name: string;
  seed: number;
  inputShape: number[];
  layers: { className: string; config: LayerConfig }[];
}

/**
 * Load a PyTorch safetensors file (`safetensors.torch.save_file(module.state_dict(), path)`) into a
 * built model of the same architecture; see `loadTorchStateDict` for the modules it reads.
 */
export async function loadTorchSafetensors(path: string, model: Sequential, options: LoadTorchSafetensorsOptions = {}): Promise<void> {
  const fs = fileSystem("loadTorchSafetensors");
  loadTorchStateDict(model, readFile(path, fs.readBytes.bind(fs)).tensors, options, `loadTorchSafetensors: ${path}`);
}

function readFile(path: string, read: (p: string) => Uint8Array): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = read(path);
  } catch (e) {
    throw new ModelFormatError(`safetensors: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return readSafetensors(bytes);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new ModelFormatError(`${path}: ${e.message}`);
    throw e;
  }
}

/**
 * Save a model's weights as a PyTorch state dict in safetensors (F32; module names are the layer
 * names, keys as `module.state_dict()` has them), with `__metadata__` {format: "pt",
 * "recurrent.model": the architecture}, so that `importSafetensors` rebuilds the model and PyTorch
 * `load_state_dict`s the tensors. Written atomically through the file-system port.
 */
export async function saveTorchSafetensors(model: Sequential, path: string): Promise<void> {
  const sd = toTorchStateDictOf(model);
  const meta: ModelMetadata = {
    format: "recurrent-model",
    version: 1,
    name: model.name,
    seed: model.seed,
    inputShape: model.inputShape!,
    layers: model.layers.map((l) => ({ className: l.className, config: l.getConfig() })),
  };
  const bytes = writeSafetensors(sd, { format: "pt", [MODEL_METADATA_KEY]: JSON.stringify(meta) });
  const fs = fileSystem("saveTorchSafetensors");
  fs.writeAtomic(path, bytes);
}

/**
 * Rebuild a whole model from a safetensors file written by `saveTorchSafetensors` (its
 * architecture is in `__metadata__`). A plain PyTorch file has none: build the model and call
 * `loadTorchSafetensors` instead.
 */
export async function importSafetensors(path: string): Promise<Sequential> {
  const fs = fileSystem("importSafetensors");
  const file = readFile(path, fs.readBytes.bind(fs));
  const raw = file.metadata[MODEL_METADATA_KEY];
  if (raw === undefined) {
    throw new ModelFormatError(`importSafetensors: ${path} holds tensors but no architecture (no "${MODEL_METADATA_KEY}" in __metadata__; a plain PyTorch file): build the matching model and call loadTorchSafetensors(path, model)`);
  }
  let meta: ModelMetadata;
  try {
    meta = JSON.parse(raw) as ModelMetadata;
  } catch (e) {
    throw new ModelFormatError(`importSafetensors: ${path}: __metadata__ "${MODEL_METADATA_KEY}" is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(meta) || meta.format !== "recurrent-model" || meta.version !== 1 || !Array.isArray(meta.layers) || !Array.isArray(meta.inputShape)) {
    throw new ModelFormatError(`importSafetensors: ${path}: __metadata__ "${MODEL_METADATA_KEY}" is not a recurrent model description of version 1`);
  }
  let model: Sequential;
  try {
    const layers = meta.layers.map((l) => fromConfig(l.className, l.config));
    model = new Sequential(layers, { name: meta.name, seed: meta.seed });
    model.build(meta.inputShape);
  } catch (e) {
    throw new ModelFormatError(`importSafetensors: ${path}: the architecture in __metadata__ does not build: ${(e as Error).message}`);
  }
  const modules = unitsOf(model).map((u) => `${u.layer.name}.`);
  loadTorchStateDict(model, file.tensors, { modules }, `importSafetensors: ${path}`);
  return model;
}
