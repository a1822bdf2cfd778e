// Keras import: every fixture of scripts/keras_fixtures.py (Keras 3 .keras archives and legacy .h5
// models, written from Keras's documented layouts) imports and predicts what an independent numpy
// forward pass computed; broken files are refused with a ModelFormatError naming layer and weight.

import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { unzipSync, zipSync, strToU8, strFromU8 } from "fflate";
import { Tensor, ModelFormatError, loadModel } from "../../src/index.js";
import { importKeras, importKerasBytes, kerasFileKind, snakeCase } from "../../src/interop/keras.js";
import { rel } from "../helpers/compare.js";

const DIR = new URL("../fixtures/keras/", import.meta.url);
const path = (name: string): string => new URL(name, DIR).pathname;
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(path(name)));

// Relative to the largest reference magnitude: the reference ran in float64 from the same float32
// weights, we run in float32, so the two differ by float32 rounding (~1e-7 of the scale).
const TOL = 1e-5;

interface Expected {
  x: { shape: number[]; data: number[] };
  y: { shape: number[]; data: number[] };
}

const CASES: [string, ("keras" | "h5")[]][] = [
  ["lstm_dense", ["keras", "h5"]], ["stacked_lstm", ["keras", "h5"]], ["gru_reset_after", ["keras", "h5"]],
  ["gru_reset_before", ["keras", "h5"]], ["simple_rnn", ["keras", "h5"]], ["bidirectional_lstm", ["keras", "h5"]],
  ["encoder_decoder", ["keras", "h5"]], ["embedding_lstm", ["keras", "h5"]], ["functional_chain", ["keras", "h5"]],
  ["bidirectional_simple_rnn_mul", ["keras", "h5"]], // Bidirectional(SimpleRNN, mul) → Dense without bias
  // tf.keras 2's hard_sigmoid (0.2x + 0.5) in a reset-before GRU, Bidirectional merged by sum
  ["legacy_hard_sigmoid", ["h5"]],
  // Conv1D causal, dilation 2, relu → MaxPooling1D → LSTM → Dense
  ["cnn_lstm", ["keras", "h5"]],
  // Conv1D same, stride 2 (asymmetric padding) → AveragePooling1D same (a partial last window) → global pooling → Dense
  ["conv1d_same_global_average", ["keras", "h5"]], ["conv1d_same_global_max", ["keras", "h5"]],
];

/** The error `f` rejects with; fails the test when it resolves or rejects with another class. */
async function refusal(f: () => Promise<unknown>): Promise<ModelFormatError> {
  let err: unknown = null;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  expect(err, "expected a ModelFormatError").toBeInstanceOf(ModelFormatError);
  return err as ModelFormatError;
}

/** lstm_dense.keras with config.json edited, re-zipped in memory. */
function editedArchive(edit: (config: Record<string, any>) => void, source = "lstm_dense.keras"): Uint8Array {
  const files = unzipSync(bytes(source));
  const config = JSON.parse(strFromU8(files["config.json"]!)) as Record<string, any>;
  edit(config);
  return zipSync({ ...files, "config.json": strToU8(JSON.stringify(config)) });
}

describe("importKeras: fixtures predict the reference outputs", () => {
  const worst: Record<string, number> = {};
  for (const [name, exts] of CASES) {
    for (const ext of exts) {
      it(`${name}.${ext}`, async () => {
        const ref = JSON.parse(readFileSync(path(`${name}.expected.json`), "utf8")) as Expected;
        const model = await importKeras(path(`${name}.${ext}`));
        const x = new Tensor(Float32Array.from(ref.x.data), ref.x.shape);
        const y = model.predict(x);
        expect(y.shape).toEqual(ref.y.shape);
        const e = rel(y.data, ref.y.data);
        worst[`${name}.${ext}`] = e;
        expect(e).toBeLessThan(TOL);
      });
    }
  }
  it("reports the largest error", () => {
    const entries = Object.entries(worst);
    if (entries.length) {
      const [k, v] = entries.reduce((a, b) => (b[1] > a[1] ? b : a));
      console.log(`keras import: max relative error ${v.toExponential(2)} (${k}) over ${entries.length} files`);
    }
  });
});

describe("importKeras: what it builds", () => {
  it("keeps Keras's layer names, kinds and shapes", async () => {
    const model = await importKeras(path("encoder_decoder.keras"));
    expect(model.layers.map((l) => `${l.name}:${l.className}`)).toEqual([
      "lstm:LSTM", "repeat_vector:RepeatVector", "lstm_1:LSTM", "time_distributed:TimeDistributed",
    ]);
    expect(model.inputShape).toEqual([6, 3]);
    expect(model.outputShape).toEqual([3, 2]);
    const h5 = await importKeras(path("encoder_decoder.h5"));
    expect(Array.from(h5.parameters)).toEqual(Array.from(model.parameters));
  });

  it("maps GRU reset_after and Bidirectional merge modes from the config", async () => {
    const after = await importKeras(path("gru_reset_after.keras"));
    const before = await importKeras(path("gru_reset_before.keras"));
    expect((after.layers[0] as unknown as { resetAfter: boolean }).resetAfter).toBe(true);
    expect((before.layers[0] as unknown as { resetAfter: boolean }).resetAfter).toBe(false);
    const bi = await importKeras(path("bidirectional_lstm.keras"));
    expect(bi.layers.map((l) => (l as unknown as { mergeMode?: string }).mergeMode)).toEqual(["concat", "ave", undefined, undefined]);
  });

  it("reads Keras 2.13–2.15 archives, whose layers sit under _layer_checkpoint_dependencies", async () => {
    const ref = JSON.parse(readFileSync(path("lstm_dense.expected.json"), "utf8")) as Expected;
    const model = await importKeras(path("lstm_dense_keras213.keras"));
    expect(rel(model.predict(new Tensor(Float32Array.from(ref.x.data), ref.x.shape)).data, ref.y.data)).toBeLessThan(TOL);
  });

  it("importKerasBytes gives the same model from memory", async () => {
    const a = await importKeras(path("functional_chain.keras"));
    const b = await importKerasBytes(bytes("functional_chain.keras"), "keras");
    const c = await importKerasBytes(bytes("functional_chain.h5"), "h5");
    expect(Array.from(b.parameters)).toEqual(Array.from(a.parameters));
    expect(Array.from(c.parameters)).toEqual(Array.from(a.parameters));
    expect(kerasFileKind(bytes("functional_chain.keras"))).toBe("keras");
    expect(kerasFileKind(bytes("functional_chain.h5"))).toBe("h5");
    expect(kerasFileKind(strToU8("hello"))).toBe(null);
  });

  it("an open sequence length needs inputShape, which must fit the file", async () => {
    const open = editedArchive((c) => { c.config.layers[0].config.batch_shape = [null, null, 3]; });
    const err = await refusal(() => importKerasBytes(open, "keras"));
    expect(err.message).toMatch(/\[null, null, 3\].*inputShape/);
    const ref = JSON.parse(readFileSync(path("lstm_dense.expected.json"), "utf8")) as Expected;
    const model = await importKerasBytes(open, "keras", { inputShape: [6, 3] });
    expect(rel(model.predict(new Tensor(Float32Array.from(ref.x.data), ref.x.shape)).data, ref.y.data)).toBeLessThan(TOL);
    const bad = await refusal(() => importKerasBytes(open, "keras", { inputShape: [6, 4] }));
    expect(bad.message).toMatch(/\[6, 4\] does not fit/);
  });

  it("an imported model saves in recurrent's format, loads back and trains on", async () => {
    const model = await importKeras(path("bidirectional_lstm.keras"));
    const ref = JSON.parse(readFileSync(path("bidirectional_lstm.expected.json"), "utf8")) as Expected;
    const x = new Tensor(Float32Array.from(ref.x.data), ref.x.shape);
    const dir = mkdtempSync(join(tmpdir(), "keras-import-"));
    try {
      await model.save(dir);
      const back = await loadModel(dir);
      expect(Array.from((back.predict(x) as Tensor).data)).toEqual(Array.from(model.predict(x).data));
      back.compile({ optimizer: "adam", loss: "mse" });
      const y = new Tensor(Float32Array.from(ref.y.data, (v) => v + 0.5), ref.y.shape);
      const h = await back.fit(x, y, { epochs: 5, batchSize: 3, verbose: 0, shuffle: false });
      const losses = h.history.loss!;
      expect(losses[4]!).toBeLessThan(losses[0]!);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a stateful layer keeps the file's fixed batch size", async () => {
    const file = editedArchive((c) => {
      c.config.layers[0].config.batch_shape = [3, 6, 3];
      c.config.layers[1].config.stateful = true;
    });
    const model = await importKerasBytes(file, "keras");
    const lstm = model.layers[0] as unknown as { stateful: boolean; batchSize: number | null };
    expect(lstm.stateful).toBe(true);
    expect(lstm.batchSize).toBe(3);
    const ref = JSON.parse(readFileSync(path("lstm_dense.expected.json"), "utf8")) as Expected;
    const x = new Tensor(Float32Array.from(ref.x.data), ref.x.shape);
    expect(rel(model.predict(x, { batchSize: 3 }).data, ref.y.data)).toBeLessThan(TOL); // from zero states
    const open = await refusal(() => importKerasBytes(editedArchive((c) => { c.config.layers[1].config.stateful = true; }), "keras"));
    expect(open.message).toContain("batch size is not fixed");
  });

  it("maps Conv1D and pooling configs onto recurrent's options", async () => {
    const cnn = await importKeras(path("cnn_lstm.keras"));
    expect(cnn.layers.map((l) => `${l.name}:${l.className}`)).toEqual(["conv1d:Conv1D", "max_pooling1d:MaxPooling1D", "lstm:LSTM", "dense:Dense"]);
    const conv = cnn.layers[0] as unknown as Record<string, unknown>;
    expect([conv.filters, conv.kernelSize, conv.strides, conv.padding, conv.dilationRate, conv.activation, conv.useBias])
      .toEqual([4, 3, 1, "causal", 2, "relu", true]);
    const pool = cnn.layers[1] as unknown as Record<string, unknown>;
    expect([pool.poolSize, pool.strides, pool.padding]).toEqual([2, 2, "valid"]);
    const same = await importKeras(path("conv1d_same_global_max.h5"));
    const c2 = same.layers[0] as unknown as Record<string, unknown>;
    expect([c2.kernelSize, c2.strides, c2.padding, c2.useBias, c2.padLeft]).toEqual([4, 2, "same", false, 1]);
    const p2 = same.layers[1] as unknown as Record<string, unknown>;
    expect([p2.poolSize, p2.strides, p2.padding]).toEqual([3, 2, "same"]);
    // strides None in a config means the pool size
    const nul = await importKerasBytes(editedArchive((c) => { c.config.layers[2].config.strides = null; }, "cnn_lstm.keras"), "keras");
    expect((nul.layers[1] as unknown as { strides: number }).strides).toBe(2);
  });

  it("snake_case of class names follows Keras's naming", () => {
    expect(["LSTM", "GRU", "SimpleRNN", "TimeDistributed", "RepeatVector", "InputLayer", "Dense"].map(snakeCase))
      .toEqual(["lstm", "gru", "simple_rnn", "time_distributed", "repeat_vector", "input_layer", "dense"]);
    expect(["Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D"].map(snakeCase))
      .toEqual(["conv1d", "max_pooling1d", "average_pooling1d", "global_average_pooling1d", "global_max_pooling1d"]);
  });
});

describe("importKeras: refusals name the layer and the weight", () => {
  it("unknown layer class", async () => {
    const err = await refusal(() => importKeras(path("bad_unknown_layer.keras")));
    expect(err.message).toContain('layer "lstm" (ConvLSTM1D)');
    expect(err.message).toContain('unknown layer class "ConvLSTM1D"');
  });

  it("missing weight in model.weights.h5", async () => {
    const err = await refusal(() => importKeras(path("bad_missing_weight.keras")));
    expect(err.message).toContain('layer "lstm" (LSTM)');
    expect(err.message).toContain('weight "recurrent_kernel" is missing');
    expect(err.message).toContain("layers/lstm/cell/vars/1");
  });

  it("missing weight in a legacy .h5", async () => {
    const err = await refusal(() => importKeras(path("bad_missing_weight.h5")));
    expect(err.message).toContain('layer "lstm" (LSTM)');
    expect(err.message).toContain('weight "recurrent_kernel" is missing');
  });

  it("weight of the wrong shape", async () => {
    const err = await refusal(() => importKeras(path("bad_wrong_shape.keras")));
    expect(err.message).toContain('layer "dense" (Dense)');
    expect(err.message).toContain('weight "kernel"');
    expect(err.message).toContain("[4, 2]");
    expect(err.message).toContain("[5, 2]");
  });

  it("truncated zip", async () => {
    const whole = bytes("lstm_dense.keras");
    for (const frac of [0.1, 0.5, 0.9, 0.999]) {
      const err = await refusal(() => importKerasBytes(whole.subarray(0, Math.floor(whole.length * frac)), "keras", {}, "lstm_dense.keras"));
      expect(err.message).toMatch(/lstm_dense\.keras.*(corrupted or truncated|no config\.json|no model\.weights\.h5)/);
    }
  });

  it("corrupted bytes inside the archive: the entry's CRC-32 no longer matches", async () => {
    const whole = bytes("lstm_dense.keras");
    const w = unzipSync(whole)["model.weights.h5"]!;
    const start = whole.findIndex((_, i) => w.every((b, k) => k >= 8 || whole[i + k] === b)); // the stored entry's data
    expect(start).toBeGreaterThan(0);
    for (const at of [8, Math.floor(w.length / 2), w.length - 1]) {
      const bad = whole.slice();
      bad[start + at] ^= 0x40;
      const err = await refusal(() => importKerasBytes(bad, "keras", {}, "lstm_dense.keras"));
      expect(err.message).toContain("lstm_dense.keras is corrupted: entry model.weights.h5 has checksum");
    }
  });

  it("random byte damage never escapes as anything but ModelFormatError", async () => {
    // HDF5 itself has no checksums here: damage in a weight's bytes loads altered weights, damage
    // in the structure must be refused cleanly (jsfive throws strings and TypeErrors of its own).
    const h5 = bytes("bidirectional_lstm.h5");
    let s = 7;
    const rnd = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
    let refused = 0;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {}); // jsfive warns of attribute types it skips
    for (let trial = 0; trial < 120; trial++) {
      const b = h5.slice();
      for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        await importKerasBytes(b, "h5");
      } catch (e) {
        expect(e).toBeInstanceOf(ModelFormatError);
        refused++;
      }
    }
    warn.mockRestore();
    expect(refused).toBeGreaterThan(0);
  });

  it("truncated HDF5 (legacy file, and weights inside an intact zip)", async () => {
    const h5 = bytes("lstm_dense.h5");
    const files = unzipSync(bytes("lstm_dense.keras"));
    const w = files["model.weights.h5"]!;
    for (const frac of [0.05, 0.3, 0.6]) {
      const e1 = await refusal(() => importKerasBytes(h5.subarray(0, Math.floor(h5.length * frac)), "h5", {}, "lstm_dense.h5"));
      expect(e1.message).toMatch(/^importKeras: lstm_dense\.h5\b/);
      const zip = zipSync({ ...files, "model.weights.h5": w.subarray(0, Math.floor(w.length * frac)) });
      const e2 = await refusal(() => importKerasBytes(zip, "keras"));
      expect(e2.message).toMatch(/^importKeras: .*model\.keras/);
    }
  });

  it("not HDF5", async () => {
    const err = await refusal(() => importKeras(path("bad_not_hdf5.keras")));
    expect(err.message).toContain("importKeras: model.weights.h5 in bad_not_hdf5.keras is not an HDF5 file");
    const err2 = await refusal(() => importKerasBytes(strToU8("{\"not\": \"hdf5\"}"), "h5", {}, "notes.h5"));
    expect(err2.message).toContain("notes.h5 is not an HDF5 file");
    const err3 = await refusal(() => importKerasBytes(bytes("lstm_dense.h5"), "keras", {}, "renamed.keras"));
    expect(err3.message).toContain("renamed.keras is not a zip archive");
  });

  it("branching functional graph", async () => {
    const err = await refusal(() => importKeras(path("bad_branching.keras")));
    expect(err.message).toContain("functional graphs are not yet supported");
    expect(err.message).toMatch(/"input_layer" feeds 2 layers|takes 2 inputs/);
  });

  it("Conv1D and pooling with channels_first, grouped Conv1D and keepdims, which recurrent's layers do not compute", async () => {
    for (const at of [1, 2]) {
      const err = await refusal(() => importKerasBytes(editedArchive((c) => { c.config.layers[at].config.data_format = "channels_first"; }, "cnn_lstm.keras"), "keras"));
      expect(err.message).toContain(at === 1 ? 'layer "conv1d" (Conv1D)' : 'layer "max_pooling1d" (MaxPooling1D)');
      expect(err.message).toContain('data_format "channels_first"');
    }
    const gr = await refusal(() => importKerasBytes(editedArchive((c) => { c.config.layers[1].config.groups = 3; }, "cnn_lstm.keras"), "keras"));
    expect(gr.message).toContain('"groups" is 3');
    const kd = await refusal(() => importKerasBytes(editedArchive((c) => { c.config.layers[3].config.keepdims = true; }, "conv1d_same_global_average.keras"), "keras"));
    expect(kd.message).toContain('layer "global_average_pooling1d" (GlobalAveragePooling1D)');
    expect(kd.message).toContain('"keepdims" is true');
  });

  it("Keras 3 hard_sigmoid, return_state and an unlike backward layer, which would compute something else", async () => {
    const hs = await refusal(() => importKerasBytes(editedArchive((c) => { c.config.layers[1].config.recurrent_activation = "hard_sigmoid"; }), "keras"));
    expect(hs.message).toContain('layer "lstm" (LSTM)');
    expect(hs.message).toContain("hard_sigmoid");
    const rs = await refusal(() => importKerasBytes(editedArchive((c) => { c.config.layers[1].config.return_state = true; }), "keras"));
    expect(rs.message).toContain('"return_state" is true');
    const bw = await refusal(() => importKerasBytes(editedArchive((c) => { c.config.layers[1].config.backward_layer.config.units = 5; }, "bidirectional_lstm.keras"), "keras"));
    expect(bw.message).toContain('layer "bidirectional" (Bidirectional)');
    expect(bw.message).toContain("backward_layer differs from the forward layer (units)");
    // mask_zero imports (Embedding maskZero): test/layers/masking.test.ts
  });
});
