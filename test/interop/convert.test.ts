// `recurrent convert` and convertModel between every readable and every writable format: the
// written model, read back (or run in onnxruntime for ONNX), predicts what the source predicted.
// Formats that cannot hold a model are refused with the reason.

import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sequential } from "../../src/models/sequential.js";
import * as layers from "../../src/layers/index.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { ConfigError, ModelFormatError } from "../../src/tensor/errors.js";
import { saveTorchSafetensors } from "../../src/interop/safetensors.js";
import {
  convertModel, compareOutputs, detectInputFormat, detectOutputFormat, sampleInputs, readModelFile,
  READABLE_FORMATS, WRITABLE_FORMATS, type ModelFormat,
} from "../../src/interop/convert.js";
import { convertCommand } from "../../src/cli/convert.js";
import { main } from "../../src/cli/main.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
const TOL = 1e-5;
let dir: string;
const sources: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "recurrent-convert-"));
  const model = sequential([layers.input({ shape: [6, 3] }), layers.lstm({ units: 5 }), layers.dense({ units: 2 })], { seed: 3 });
  model.compile({ optimizer: "adam", loss: "mse" });
  await model.save(join(dir, "source-recurrent"));
  await saveTorchSafetensors(model, join(dir, "source.safetensors"));
  model.dispose();
  sources.recurrent = join(dir, "source-recurrent");
  sources.safetensors = join(dir, "source.safetensors");
  sources.tfjs = join(FIXTURES, "tfjs", "input_lstm_dense");
  sources.keras = join(FIXTURES, "keras", "lstm_dense.keras");
  sources.h5 = join(FIXTURES, "keras", "lstm_dense.h5");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXT: Record<string, string> = { recurrent: "", tfjs: "", safetensors: ".safetensors", onnx: ".onnx" };

/** Run the CLI's command with its stdout captured; the parsed JSON report. */
async function cli(input: string, output: string, extra: Record<string, unknown> = {}): Promise<{ from: string; to: string; parity: { maxAbsError: number; maxRelError: number; samples: number } | string }> {
  let out = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  try {
    await convertCommand(input, output, { json: true, ...extra });
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(out);
}

describe("convert between every readable and every writable format", () => {
  it("lists the formats both ways", () => {
    expect([...READABLE_FORMATS].sort()).toEqual(["h5", "keras", "recurrent", "safetensors", "tfjs"]);
    expect([...WRITABLE_FORMATS].sort()).toEqual(["onnx", "recurrent", "safetensors", "tfjs"]);
  });

  for (const from of ["recurrent", "tfjs", "keras", "h5", "safetensors"] as const) {
    for (const to of ["recurrent", "tfjs", "safetensors", "onnx"] as const) {
      it(`${from} → ${to}: the written model predicts what the source predicted`, async () => {
        const out = join(dir, `${from}-to-${to}${EXT[to]}`);
        const report = await cli(sources[from]!, out, to === "tfjs" ? { to: "tfjs" } : {});
        expect(report.from).toBe(from);
        expect(report.to).toBe(to);
        expect(typeof report.parity).toBe("object");
        const p = report.parity as { maxAbsError: number; maxRelError: number; samples: number };
        expect(p.samples).toBe(5);
        expect(p.maxRelError).toBeLessThanOrEqual(TOL);
        if (to !== "onnx") expect(detectInputFormat(out)).toBe(to);
        else expect(existsSync(out)).toBe(true);
      });
    }
  }

  it("the parity report compares the source's predictions with the read-back model's, and catches a difference", async () => {
    const r = await convertModel(sources.keras!, join(dir, "keras-again"));
    expect(r.parity!.maxRelError).toBeLessThanOrEqual(TOL);
    const back = await readModelFile(join(dir, "keras-again"));
    const y = back.predict(r.inputs);
    y.data[3]! += 0.01;
    const off = compareOutputs(r.reference, y.data, r.inputs.shape[0]!);
    expect(off.maxAbsError).toBeCloseTo(0.01, 5);
    expect(off.maxRelError).toBeGreaterThan(TOL);
    back.dispose();
    r.model.dispose();
  });

  it("uses given inputs from a JSON file", async () => {
    const x = Array.from({ length: 2 }, (_, b) => Array.from({ length: 6 }, (_, t) => [b + t / 10, -t / 7, 0.5]));
    writeFileSync(join(dir, "inputs.json"), JSON.stringify(x));
    const report = await cli(sources.recurrent!, join(dir, "given.onnx"), { input: join(dir, "inputs.json") });
    expect((report.parity as { samples: number }).samples).toBe(2);
    writeFileSync(join(dir, "bad-inputs.json"), JSON.stringify([[[1, 2]]]));
    await expect(cli(sources.recurrent!, join(dir, "given2.onnx"), { input: join(dir, "bad-inputs.json") })).rejects.toThrow(/does not fit the model's input \[batch, 6, 3\]/);
  });

  it("random inputs are seeded, and token ids for an embedding", () => {
    const m = sequential([layers.input({ shape: [4] }), layers.embedding({ inputDim: 9, outputDim: 3 }), layers.lstm({ units: 2 })], { seed: 1 });
    const a = sampleInputs(m, 3, 7);
    expect(a.shape).toEqual([3, 4]);
    expect([...a.data].every((v) => Number.isInteger(v) && v >= 0 && v < 9)).toBe(true);
    expect([...sampleInputs(m, 3, 7).data]).toEqual([...a.data]);
    m.dispose();
  });
});

describe("convert refuses what a format cannot hold, saying why", () => {
  it("reading ONNX, writing Keras files, unknown paths and formats", () => {
    expect(() => detectInputFormat(join(dir, "x.onnx"))).toThrow(/writes ONNX but does not read it/);
    expect(() => detectOutputFormat(join(dir, "x.keras"))).toThrow(/reads Keras \.keras files but does not write them/);
    expect(() => detectOutputFormat(join(dir, "x"), "pt")).toThrow(ConfigError);
    expect(() => detectInputFormat(join(dir, "nothing-here"))).toThrow(/cannot tell the format/);
    expect(detectOutputFormat(join(dir, "out-dir"))).toBe("recurrent");
  });

  it("a GRU with resetAfter: true cannot go to TensorFlow.js, and the error names the layer", async () => {
    const m = sequential([layers.input({ shape: [4, 2] }), layers.gru({ units: 3, name: "my_gru" })], { seed: 2 });
    await m.save(join(dir, "gru-src"));
    m.dispose();
    await expect(convertModel(join(dir, "gru-src"), join(dir, "gru-tfjs"), { to: "tfjs" })).rejects.toThrow(/my_gru/);
    // ... but it goes to ONNX and safetensors
    const r = await convertModel(join(dir, "gru-src"), join(dir, "gru.safetensors"));
    expect(r.parity!.maxRelError).toBeLessThanOrEqual(TOL);
    r.model.dispose();
  });

  it("a corrupt source is a ModelFormatError, and nothing is written", async () => {
    await expect(convertModel(join(FIXTURES, "keras", "bad_missing_weight.keras"), join(dir, "never"))).rejects.toThrow(ModelFormatError);
    expect(existsSync(join(dir, "never"))).toBe(false);
  });

  it("the command line: recurrent convert exits 0 with a report, 2 on bad input", async () => {
    let out = "";
    let err = "";
    const o = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
    const e = vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
    try {
      const ok = await main(["node", "recurrent", "convert", sources.keras!, join(dir, "cli.onnx")]);
      expect(ok).toBe(0);
      expect(out).toMatch(/Converted .*lstm_dense\.keras \(keras\) → .*cli\.onnx \(onnx\)/);
      expect(out).toMatch(/max rel error \d\.\d\de-\d+ \(onnxruntime\)/);
      const bad = await main(["node", "recurrent", "convert", join(dir, "cli.onnx"), join(dir, "back")]);
      expect(bad).toBe(2);
      expect(err).toMatch(/does not read it/);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  });
});

describe("formats round-trip through each other", () => {
  it("keras → tfjs → safetensors → recurrent keeps the predictions", async () => {
    const chain: [string, ModelFormat | undefined][] = [[join(dir, "rt-tfjs"), "tfjs"], [join(dir, "rt.safetensors"), undefined], [join(dir, "rt-recurrent"), undefined]];
    let from = sources.keras!;
    const first = await readModelFile(from);
    const x = sampleInputs(first, 4, 11);
    const y0 = first.predict(x);
    for (const [to, fmt] of chain) {
      const r = await convertModel(from, to, { to: fmt, inputs: x });
      expect(r.parity!.maxRelError).toBeLessThanOrEqual(TOL);
      r.model.dispose();
      from = to;
    }
    const last = await readModelFile(from);
    expect(compareOutputs(y0, last.predict(x).data, 4).maxRelError).toBeLessThanOrEqual(TOL);
    first.dispose();
    last.dispose();
    expect(x).toBeInstanceOf(Tensor);
  });
});
