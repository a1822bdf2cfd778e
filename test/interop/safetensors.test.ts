// safetensors: PyTorch's files (scripts/torch_safetensors_fixtures.py) load into matching models and
// predict what torch predicted; write → read keeps every tensor; a model saved with its architecture
// comes back whole; corrupt and truncated files are refused naming the tensor.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as layers from "../../src/layers/index.js";
import { Sequential } from "../../src/models/sequential.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/tensor/rng.js";
import { ConfigError, ModelFormatError } from "../../src/tensor/errors.js";
import {
  readSafetensors, writeSafetensors, halfToFloat, loadTorchSafetensors, saveTorchSafetensors, importSafetensors,
  loadTorchStateDict, MODEL_METADATA_KEY,
} from "../../src/interop/safetensors.js";
import { rel } from "../helpers/compare.js";

const TOL = 1e-5;
const FIXTURES = fileURLToPath(new URL("../fixtures/safetensors/", import.meta.url));

interface Fixture { dtype: string; keys: string[]; input: { shape: number[]; data: number[] }; output: { shape: number[]; data: number[] } }
const fixture = (name: string): Fixture => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as Fixture;
const file = (name: string): string => join(FIXTURES, `${name}.safetensors`);

let tmp: string;
beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), "recurrent-st-")); });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const tmpFile = (): string => join(tmp, `f${n++}.safetensors`);

/** The recurrent model matching each PyTorch module of the fixtures. */
const MODELS: Record<string, () => Sequential> = {
  lstm_linear: () => new Sequential([layers.lstm({ units: 5, inputShape: [6, 3] }), layers.dense({ units: 2 })]),
  gru: () => new Sequential([layers.gru({ units: 4, returnSequences: true, inputShape: [6, 3] })]),
  bilstm: () => new Sequential([layers.bidirectional(layers.lstm({ units: 4, returnSequences: true }), { inputShape: [6, 3] })]),
  rnn_stack2: () => new Sequential([
    layers.simpleRnn({ units: 4, returnSequences: true, inputShape: [6, 3] }),
    layers.simpleRnn({ units: 4, returnSequences: true }),
  ]),
  gru_f64: () => new Sequential([layers.gru({ units: 4, returnSequences: true, inputShape: [6, 3] })]),
  lstm_linear_bf16: () => new Sequential([layers.lstm({ units: 5, inputShape: [6, 3] }), layers.dense({ units: 2 })]),
  embed_gru_f16: () => new Sequential([
    layers.embedding({ inputDim: 10, outputDim: 3, inputLength: 6 }),
    layers.gru({ units: 4, returnSequences: true }),
    layers.timeDistributed(layers.dense({ units: 2 })),
  ]),
};

describe("PyTorch safetensors files load into matching models and predict what torch predicted", () => {
  it.each(Object.keys(MODELS))("%s", async (name) => {
    const fx = fixture(name);
    const model = MODELS[name]!();
    await loadTorchSafetensors(file(name), model);
    const y = model.predict(new Tensor(Float32Array.from(fx.input.data), fx.input.shape));
    expect(y.shape).toEqual(fx.output.shape);
    const err = rel(y.data, fx.output.data);
    console.log(`safetensors ${name} (${fx.dtype}): max relative error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(TOL);
  });

  it("reports each tensor's dtype and the metadata", () => {
    for (const [name, dtype] of [["gru", "F32"], ["gru_f64", "F64"], ["lstm_linear_bf16", "BF16"], ["embed_gru_f16", "F16"]] as const) {
      const f = readSafetensors(readFileSync(file(name)));
      expect(Object.keys(f.tensors).sort()).toEqual([...fixture(name).keys].sort());
      expect(new Set(Object.values(f.tensors).map((t) => t.dtype))).toEqual(new Set([dtype]));
      expect(f.metadata).toEqual({ format: "pt" });
    }
  });

  it("takes the modules from options.modules, and says which layers a module fits when none does", async () => {
    const fx = fixture("lstm_linear");
    const model = MODELS.lstm_linear!();
    await loadTorchSafetensors(file("lstm_linear"), model, { modules: ["lstm.", { prefix: "fc." }] });
    expect(rel(model.predict(new Tensor(Float32Array.from(fx.input.data), fx.input.shape)).data, fx.output.data)).toBeLessThan(TOL);
    const wrong = new Sequential([layers.lstm({ units: 4, inputShape: [6, 3] }), layers.dense({ units: 2 })]);
    await expect(loadTorchSafetensors(file("lstm_linear"), wrong)).rejects.toThrow(ModelFormatError);
    await expect(loadTorchSafetensors(file("lstm_linear"), wrong)).rejects.toThrow(/layer "lstm" \(LSTM, kernel \[3, 16\]\): no nn\.LSTM of matching shape/);
    await expect(loadTorchSafetensors(file("lstm_linear"), wrong, { modules: ["lstm.", "fc."] })).rejects.toThrow(/layer "lstm" \(LSTM\) does not fit module "lstm\." layer 0: it needs nn\.LSTM weight_ih \[16, 3\], weight_hh \[16, 4\], bias_ih and bias_hh \[16\]; the module has .*lstm\.weight_hh_l0 \[20, 5\]/);
  });

  it("takes a stacked module's layers in order, and refuses to guess between two modules that both fit", () => {
    const rng = new Rng(9);
    const t = (shape: number[]): Tensor => new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)), shape);
    const lstmKeys = (prefix: string, k: number): Record<string, Tensor> => ({
      [`${prefix}weight_ih_l${k}`]: t([16, 4]), [`${prefix}weight_hh_l${k}`]: t([16, 4]), [`${prefix}bias_ih_l${k}`]: t([16]), [`${prefix}bias_hh_l${k}`]: t([16]),
    });
    const two = (): Sequential => new Sequential([
      layers.lstm({ units: 4, returnSequences: true, inputShape: [5, 4], name: "a" }), layers.lstm({ units: 4, name: "b" }),
    ]);
    // nn.LSTM(4, 4, num_layers=2): l0 then l1, although each fits both layers
    const stacked = { ...lstmKeys("rnn.", 1), ...lstmKeys("rnn.", 0) };
    const m = two();
    loadTorchStateDict(m, stacked);
    const w0 = stacked["rnn.weight_ih_l0"]!, k0 = m.layers[0]!.getWeights()[0]!;
    expect(k0.data[0]).toBe(w0.data[0]); // kernel[0, 0] = weight_ih[0, 0]
    expect(m.layers[1]!.getWeights()[0]!.data[0]).toBe(stacked["rnn.weight_ih_l1"]!.data[0]);
    // two modules named unlike our layers, both fitting: no guess
    expect(() => loadTorchStateDict(two(), { ...lstmKeys("encoder.", 0), ...lstmKeys("decoder.", 0) }))
      .toThrow(/layer "a": 2 modules fit \(decoder\. layer 0, encoder\. layer 0\); pass \{ modules \}/);
    const m2 = two();
    const sd = { ...lstmKeys("encoder.", 0), ...lstmKeys("decoder.", 0) };
    loadTorchStateDict(m2, sd, { modules: ["encoder.", "decoder."] });
    expect(m2.layers[0]!.getWeights()[0]!.data[0]).toBe(sd["encoder.weight_ih_l0"]!.data[0]);
  });

  it("refuses a GRU with resetAfter: false for PyTorch's nn.GRU, naming the layer", async () => {
    const model = new Sequential([layers.gru({ units: 4, resetAfter: false, returnSequences: true, inputShape: [6, 3], name: "old_gru" })]);
    await expect(loadTorchSafetensors(file("gru"), model)).rejects.toThrow(/layer "old_gru" \(GRU\) from module "rnn\." layer 0: the GRU has resetAfter: false/);
  });

  it("refuses tensors no layer takes", async () => {
    const model = new Sequential([layers.lstm({ units: 5, inputShape: [6, 3] })]);
    await expect(loadTorchSafetensors(file("lstm_linear"), model)).rejects.toThrow(/"fc\.bias", "fc\.weight" belong to no layer of the model/);
  });
});

describe("write → read", () => {
  it("keeps names, shapes, values and metadata, with the data aligned to 8 bytes", () => {
    const rng = new Rng(5);
    const tensors: Record<string, Tensor> = {};
    for (const [name, shape] of [["a.weight", [3, 4]], ["b", [7]], ["scalar", []], ["empty", [0, 3]], ["z.deep.name", [2, 2, 2]]] as const) {
      const size = shape.reduce((p: number, d: number) => p * d, 1);
      tensors[name] = new Tensor(Float32Array.from({ length: size }, () => rng.uniform(-10, 10)), [...shape]);
    }
    const bytes = writeSafetensors(tensors, { note: "hello", "ü": "ß" });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ note: "hello", "ü": "ß" });
    expect(Object.keys(back.tensors)).toEqual(Object.keys(tensors));
    for (const [k, t] of Object.entries(tensors)) {
      expect(back.tensors[k]!.dtype).toBe("F32");
      expect(back.tensors[k]!.shape).toEqual(t.shape);
      expect(Array.from(back.tensors[k]!.data)).toEqual(Array.from(t.data));
    }
  });

  it("decodes half and bfloat16 bit patterns", () => {
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x8000].map(halfToFloat))
      .toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity, -0]);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
    const bytes = raw({ x: { dtype: "BF16", shape: [3], data_offsets: [0, 6] } }, new Uint8Array([0x80, 0x3f, 0x00, 0xc0, 0x49, 0x40]));
    expect(Array.from(readSafetensors(bytes).tensors.x!.data)).toEqual([1, -2, new Float32Array([3.140625])[0]]);
  });

  it("refuses what it cannot write", () => {
    expect(() => writeSafetensors({ x: { shape: [2, 2], data: [1, 2, 3] } })).toThrow(/tensor "x" has shape \[2, 2\] \(4 values\) but 3 values/);
    expect(() => writeSafetensors({ __metadata__: { shape: [1], data: [1] } })).toThrow(ConfigError);
  });
});

/** A file from a raw header object and data (any header, valid or not). */
function raw(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const h = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe("corrupt and truncated files are refused, naming the tensor", () => {
  const good = (): Uint8Array => readFileSync(file("gru"));
  const f32 = (k: number): { dtype: string; shape: number[]; data_offsets: number[] } => ({ dtype: "F32", shape: [k], data_offsets: [0, 4 * k] });

  it("shorter than the header length", () => {
    expect(() => readSafetensors(new Uint8Array(5))).toThrow(/5 bytes, shorter than the 8-byte header length/);
  });
  it("a header length past the end of the file", () => {
    const b = good().slice(0, 100);
    expect(() => readSafetensors(b)).toThrow(ModelFormatError);
    expect(() => readSafetensors(b)).toThrow(/header length \d+ runs past the end of the file \(100 bytes\)/);
  });
  it("an absurd header length", () => {
    const b = good();
    new DataView(b.buffer, b.byteOffset).setUint32(4, 1, true);
    expect(() => readSafetensors(b)).toThrow(/larger than the format's limit/);
  });
  it("a header that is not JSON", () => {
    const b = good();
    b[8] = 0x21; // "!" where the header's "{" was
    expect(() => readSafetensors(b)).toThrow(/header is not JSON/);
  });
  it("truncated data names the tensor that runs past the end", () => {
    const b = good();
    const f = readSafetensors(b);
    const last = Object.entries(JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true))))) as Record<string, { data_offsets?: number[] }>)
      .filter(([k]) => k !== "__metadata__").sort((x, y) => y[1].data_offsets![1]! - x[1].data_offsets![1]!)[0]![0];
    expect(Object.keys(f.tensors)).toContain(last);
    expect(() => readSafetensors(b.slice(0, b.length - 3))).toThrow(new RegExp(`tensor "${last.replace(/\./g, "\\.")}": data_offsets \\[\\d+, \\d+\\] run past the end of the data .*truncated`));
  });
  it("offsets that do not match dtype and shape", () => {
    expect(() => readSafetensors(raw({ w: { dtype: "F32", shape: [2, 3], data_offsets: [0, 20] } }, new Uint8Array(20))))
      .toThrow(/tensor "w": data_offsets \[0, 20\] hold 20 bytes, but F32 \[2, 3\] takes 24/);
  });
  it("overlapping tensors", () => {
    expect(() => readSafetensors(raw({ a: f32(2), b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12))))
      .toThrow(/tensor "b": data_offsets \[4, 12\] overlap tensor "a"/);
  });
  it("a hole between tensors, and bytes after the last", () => {
    expect(() => readSafetensors(raw({ a: f32(1), b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12))))
      .toThrow(/tensor "b": data_offsets \[8, 12\] leave bytes 4\.\.8 of the data to no tensor/);
    expect(() => readSafetensors(raw({ a: f32(1) }, new Uint8Array(8)))).toThrow(/4 bytes belong to no tensor/);
  });
  it("integer and unknown dtypes", () => {
    expect(() => readSafetensors(raw({ steps: { dtype: "I64", shape: [], data_offsets: [0, 8] } }, new Uint8Array(8))))
      .toThrow(/tensor "steps" has dtype I64; floating-point tensors \(F32, F64, F16, BF16\) are read/);
    expect(() => readSafetensors(raw({ q: { dtype: "Q4", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)))).toThrow(/tensor "q": unknown dtype "Q4"/);
  });
  it("malformed entries and metadata", () => {
    expect(() => readSafetensors(raw({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } }, new Uint8Array(0)))).toThrow(/tensor "w": shape must be a list of non-negative integers/);
    expect(() => readSafetensors(raw({ w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4)))).toThrow(/tensor "w": data_offsets must be \[begin, end\]/);
    expect(() => readSafetensors(raw({ __metadata__: { n: 3 } }, new Uint8Array(0)))).toThrow(/__metadata__ entry "n" must be a string/);
    expect(() => readSafetensors(raw([1, 2], new Uint8Array(0)))).toThrow(/header is not a JSON object/);
  });
  it("loadTorchSafetensors names the file and the tensor", async () => {
    const p = tmpFile();
    writeFileSync(p, good().slice(0, good().length - 3));
    await expect(loadTorchSafetensors(p, MODELS.gru!())).rejects.toThrow(new RegExp(`${p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: safetensors: tensor "rnn\\.\\w+": .*truncated`));
  });
});

/** Models saved whole: every layer kind with PyTorch weights, and the weightless ones between. */
const WHOLE: [string, () => Sequential, number[], number?][] = [
  ["Input → LSTM → Dropout → Dense", () => new Sequential([
    layers.input({ shape: [5, 3] }), layers.lstm({ units: 4 }), layers.dropout({ rate: 0.2 }), layers.dense({ units: 2 }),
  ]), [2, 5, 3]],
  ["Bidirectional(GRU) sum → RepeatVector → SimpleRNN relu → TimeDistributed(Dense)", () => new Sequential([
    layers.bidirectional(layers.gru({ units: 3 }), { mergeMode: "sum", inputShape: [5, 3] }),
    layers.repeatVector({ n: 4 }),
    layers.simpleRnn({ units: 3, activation: "relu", returnSequences: true }),
    layers.timeDistributed(layers.dense({ units: 1 })),
  ]), [2, 5, 3]],
  ["Embedding → Bidirectional(SimpleRNN) → Flatten → Dense without bias", () => new Sequential([
    layers.embedding({ inputDim: 8, outputDim: 3, inputLength: 4 }),
    layers.bidirectional(layers.simpleRnn({ units: 2, returnSequences: true })),
    layers.flatten(),
    layers.dense({ units: 2, useBias: false }),
  ]), [3, 4], 8],
];

describe("a model saved with its architecture comes back whole", () => {
  it.each(WHOLE.map((w, k) => [w[0], k] as const))("%s", async (_name, k) => {
    const [, make, shape, ints] = WHOLE[k]!;
    const model = make();
    const rng = new Rng(70 + k);
    for (let i = 0; i < model.parameters.length; i++) model.parameters[i] = rng.uniform(-0.5, 0.5);
    const p = tmpFile();
    await saveTorchSafetensors(model, p);
    const back = await importSafetensors(p);
    expect(back.layers.map((l) => [l.className, l.name])).toEqual(model.layers.map((l) => [l.className, l.name]));
    expect(Array.from(back.parameters)).toEqual(Array.from(model.parameters));
    const x = new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (ints ? Math.floor(rng.next() * ints) : rng.uniform(-1, 1))), shape);
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    // and the same file loads into a model built by hand, by the layers' names
    const again = make();
    await loadTorchSafetensors(p, again);
    expect(Array.from(again.parameters)).toEqual(Array.from(model.parameters));
  });

  it("writes PyTorch's keys and shapes, so that load_state_dict takes them", async () => {
    const model = new Sequential([layers.lstm({ units: 5, inputShape: [6, 3], name: "lstm" }), layers.dense({ units: 2, name: "fc" })]);
    const p = tmpFile();
    await saveTorchSafetensors(model, p);
    const ours = readSafetensors(readFileSync(p));
    const torch = readSafetensors(readFileSync(file("lstm_linear")));
    const shapes = (f: typeof ours): Record<string, number[]> => Object.fromEntries(Object.entries(f.tensors).map(([k, t]) => [k, t.shape]));
    expect(shapes(ours)).toEqual(shapes(torch));
    expect(ours.metadata.format).toBe("pt");
    expect(JSON.parse(ours.metadata[MODEL_METADATA_KEY]!).layers.map((l: { className: string }) => l.className)).toEqual(["LSTM", "Dense"]);
    // PyTorch's weights round-trip through our layout exactly
    const m2 = MODELS.lstm_linear!();
    loadTorchStateDict(m2, torch.tensors);
    const p2 = tmpFile();
    await saveTorchSafetensors(m2, p2);
    const m3 = await importSafetensors(p2);
    expect(Array.from(m3.parameters)).toEqual(Array.from(m2.parameters));
  });

  it("a plain PyTorch file has no architecture: importSafetensors says to build the model", async () => {
    await expect(importSafetensors(file("gru"))).rejects.toThrow(/no architecture .*build the matching model and call loadTorchSafetensors/);
  });

  it("refuses to save a GRU with resetAfter: false, naming the layer", async () => {
    const model = new Sequential([layers.gru({ units: 3, resetAfter: false, inputShape: [4, 2], name: "g" })]);
    await expect(saveTorchSafetensors(model, tmpFile())).rejects.toThrow(/layer "g" \(GRU\): .*resetAfter: false/);
  });
});
