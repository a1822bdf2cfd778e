// save → load round trips (bit-identical predictions, same summary, optimizer state) for models
// covering every layer kind, and the refusals: truncated, corrupted, unknown-version or missing files,
// and a failed save that must leave the previous checkpoint loadable.

import { describe, it, expect, afterAll, afterEach } from "vitest";
import { readFile, writeFile, readdir, chmod, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  sequential, layers, loadModel, Sequential, Tensor, ModelFormatError, ConfigError, useFileSystem, type CompileArgs,
} from "../../src/index.js";
import { nodeFileSystem } from "../../src/node/fs.js";
import { uniform, tokens, tempDir, removeTempDirs, firstBitDifference } from "./fixtures.js";

afterAll(removeTempDirs);

/** Node's file system whose atomic write number `failing` (1-based) throws `error` instead of writing. */
function failingWrite(failing: number, error: Error): void {
  let calls = 0;
  useFileSystem({
    ...nodeFileSystem,
    writeAtomic: (path, data) => {
      if (++calls === failing) throw error;
      nodeFileSystem.writeAtomic(path, data);
    },
  });
}

afterEach(() => useFileSystem(nodeFileSystem));

const diskFull = (): Error => Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });

interface Case {
  name: string;
  make: () => Sequential;
  compile: CompileArgs;
  x: Tensor;
  y: Tensor;
  /** Optimizer slot buffers after training (adam m, v; rmsprop+momentum a, m; sgd+momentum velocity). */
  slots: number;
}

const cases: Case[] = [
  {
    name: "LSTM (dropout, recurrentDropout) → Dropout → GRU → Dense, adam",
    make: () => sequential([
      layers.input({ shape: [10, 3] }),
      layers.lstm({ units: 8, returnSequences: true, dropout: 0.1, recurrentDropout: 0.1 }),
      layers.dropout({ rate: 0.2 }),
      layers.gru({ units: 6 }),
      layers.dense({ units: 2 }),
    ], { seed: 11 }),
    compile: { optimizer: { type: "adam", learningRate: 0.01 }, loss: "mse", metrics: ["mae"] },
    x: uniform([24, 10, 3], 1),
    y: uniform([24, 2], 2),
    slots: 2,
  },
  {
    name: "Bidirectional(LSTM) → RepeatVector → Bidirectional(GRU classic, sum) → TimeDistributed(Dense), rmsprop+momentum",
    make: () => sequential([
      layers.input({ shape: [12, 2] }),
      layers.bidirectional(layers.lstm({ units: 5 })),
      layers.repeatVector({ n: 4 }),
      layers.bidirectional(layers.gru({ units: 3, returnSequences: true, resetAfter: false }), { mergeMode: "sum" }),
      layers.timeDistributed(layers.dense({ units: 1 })),
    ], { seed: 12 }),
    compile: { optimizer: { type: "rmsprop", learningRate: 0.01, momentum: 0.5, clipNorm: 1 }, loss: "mse" },
    x: uniform([16, 12, 2], 3),
    y: uniform([16, 4, 1], 4),
    slots: 2,
  },
  {
    name: "Embedding → SimpleRNN → Dense(softmax), sgd nesterov, sparse cross-entropy",
    make: () => sequential([
      layers.embedding({ inputDim: 20, outputDim: 4, inputLength: 7 }),
      layers.simpleRnn({ units: 6 }),
      layers.dense({ units: 3, activation: "softmax" }),
    ], { seed: 13 }),
    compile: { optimizer: { type: "sgd", learningRate: 0.1, momentum: 0.9, nesterov: true }, loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] },
    x: tokens(30, 7, 20, 5),
    y: new Tensor(Float32Array.from({ length: 30 }, (_, i) => i % 3), [30]),
    slots: 1,
  },
  {
    name: "no input layer (built by fit): GRU → Dense, adamw",
    make: () => sequential([layers.gru({ units: 4 }), layers.dense({ units: 1 })], { seed: 14 }),
    compile: { optimizer: { type: "adamw", learningRate: 0.01, weightDecay: 0.01 }, loss: "huber" },
    x: uniform([20, 6, 2], 6),
    y: uniform([20, 1], 7),
    slots: 2,
  },
];

/** A compiled model trained for two epochs, so its weights and optimizer slots are far from their initial values. */
async function trained(c: Case): Promise<Sequential> {
  const m = c.make();
  m.compile(c.compile);
  await m.fit(c.x, c.y, { epochs: 2, batchSize: 8, verbose: 0 });
  return m;
}

describe("save → load round trip", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const m = await trained(c);
      const dir = await tempDir();
      await m.save(dir);
      const back = await loadModel(dir);

      expect(firstBitDifference(back.parameters, m.parameters)).toBe(-1);
      expect(firstBitDifference((back.predict(c.x) as Tensor).data, m.predict(c.x).data)).toBe(-1);
      expect(back.summary()).toBe(m.summary());
      expect(back.epochsTrained).toBe(2);
      expect(back.seed).toBe(m.seed);

      const o = m.optimizer!, ob = back.optimizer!;
      expect(ob.getConfig()).toEqual(o.getConfig());
      expect(ob.iterations).toBe(o.iterations);
      expect(ob.iterations).toBe(2 * Math.ceil(c.x.shape[0]! / 8));
      expect(o.slots.length).toBe(c.slots); // so the slot comparison below compares something
      expect(ob.slots.length).toBe(c.slots);
      o.slots.forEach((s, k) => expect(firstBitDifference(ob.slots[k]!, s)).toBe(-1));
      expect(back.loss).toEqual(m.loss);
      expect(back.metrics).toEqual(m.metrics);
      // evaluate runs the compiled loss and metrics: they must agree to the bit as well
      expect(back.evaluate(c.x, c.y)).toEqual(m.evaluate(c.x, c.y));
    });
  }

  it("an uncompiled model loads without an optimizer and predicts the same", async () => {
    const m = cases[1]!.make();
    const dir = await tempDir();
    await m.save(dir);
    const back = await loadModel(dir);
    expect(back.optimizer).toBeNull();
    expect(firstBitDifference((back.predict(cases[1]!.x) as Tensor).data, m.predict(cases[1]!.x).data)).toBe(-1);
  });

  it("overwrite: false refuses to replace an existing model", async () => {
    const m = cases[3]!.make();
    m.build([6, 2]);
    const dir = await tempDir();
    await m.save(dir);
    await expect(m.save(dir, { overwrite: false })).rejects.toThrow(ConfigError);
    await expect(m.save(dir, { overwrite: false })).rejects.toThrow(/model\.json already exists; pass \{ overwrite: true \}/);
  });
});

/** The weights file model.json points at (weights-<crc32>.bin). */
async function weightsPath(dir: string): Promise<string> {
  const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as { weightsFile: string };
  expect(json.weightsFile).toMatch(/^weights-[0-9a-f]{8}\.bin$/);
  return join(dir, json.weightsFile);
}

/** A small saved model and its predictions, for the refusal tests. */
async function savedModel(): Promise<{ dir: string; x: Tensor; pred: Float32Array; m: Sequential }> {
  const c = cases[0]!;
  const m = await trained(c);
  const dir = await tempDir();
  await m.save(dir);
  return { dir, x: c.x, pred: m.predict(c.x).data, m };
}

describe("loadModel refuses damaged files with a reason", () => {
  it("a truncated weights.bin", async () => {
    const { dir } = await savedModel();
    const wp = await weightsPath(dir);
    const bin = await readFile(wp);
    await writeFile(wp, bin.subarray(0, bin.length - 10));
    const err = await loadModel(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toContain(wp);
    expect((err as Error).message).toContain(`truncated: expected ${bin.length} bytes, found ${bin.length - 10}`);
  });

  it("a weights.bin with one byte flipped in the weights", async () => {
    const { dir } = await savedModel();
    const wp = await weightsPath(dir);
    const bin = new Uint8Array(await readFile(wp));
    bin[100] ^= 0x01; // inside the parameters (the 16-byte header comes first)
    await writeFile(wp, bin);
    const err = await loadModel(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(/weights-[0-9a-f]{8}\.bin is corrupted: checksum [0-9a-f]{8} does not match [0-9a-f]{8} recorded in model\.json/);
  });

  it("a weights.bin whose magic number is damaged", async () => {
    const { dir } = await savedModel();
    const wp = await weightsPath(dir);
    const bin = new Uint8Array(await readFile(wp));
    bin[0] ^= 0xff;
    await writeFile(wp, bin);
    await expect(loadModel(dir)).rejects.toThrow(/weights-[0-9a-f]{8}\.bin does not start with the weights magic number/);
  });

  it("a model.json of an unknown format version", async () => {
    const { dir } = await savedModel();
    const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as { version: number };
    json.version = 99;
    await writeFile(join(dir, "model.json"), JSON.stringify(json));
    const err = await loadModel(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toContain("has format version 99; this library reads version 1");
  });

  it("a JSON file that is not a recurrent model", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "model.json"), JSON.stringify({ format: "keras", version: 1 }));
    await expect(loadModel(dir)).rejects.toThrow(/is not a recurrent model \(format "keras"\)/);
  });

  it("a missing model.json", async () => {
    const dir = await tempDir();
    const err = await loadModel(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toContain(`cannot read ${join(dir, "model.json")}`);
    expect((err as Error).message).toContain("ENOENT");
  });

  it("a model.json that is not JSON", async () => {
    const { dir } = await savedModel();
    await writeFile(join(dir, "model.json"), "{ not json");
    const err = await loadModel(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(/^loadModel: cannot read .*model\.json: .*JSON/);
  });

  it("a missing weights.bin", async () => {
    const { dir } = await savedModel();
    const wp = await weightsPath(dir);
    await rm(wp);
    await expect(loadModel(dir)).rejects.toThrow(new RegExp(`cannot read ${wp.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  });
});

describe("a failed save leaves the previous checkpoint loadable", () => {
  async function expectStillLoads(dir: string, x: Tensor, pred: Float32Array): Promise<void> {
    const back = await loadModel(dir);
    expect(firstBitDifference((back.predict(x) as Tensor).data, pred)).toBe(-1);
  }

  /** Trains the saved model further, so a successful overwrite would change the predictions. */
  async function changed(m: Sequential): Promise<void> {
    await m.fit(cases[0]!.x, cases[0]!.y, { epochs: 1, batchSize: 8, verbose: 0 });
  }

  // Root ignores permission bits, so this variant cannot fail the save there; the injected-failure
  // tests below (and test/node/fs.test.ts, for each step of one atomic write) cover the same
  // promise for every user.
  it.skipIf(process.getuid?.() === 0)("when the target directory is read-only", async () => {
    const { dir, x, pred, m } = await savedModel();
    await changed(m);
    await chmod(dir, 0o555);
    try {
      await expect(m.save(dir)).rejects.toThrow(/EACCES|EPERM/);
    } finally {
      await chmod(dir, 0o755);
    }
    await expectStillLoads(dir, x, pred);
  });

  it("when writing weights.bin fails (disk full)", async () => {
    const { dir, x, pred, m } = await savedModel();
    await changed(m);
    failingWrite(1, diskFull());
    await expect(m.save(dir)).rejects.toThrow(/ENOSPC/);
    await expectStillLoads(dir, x, pred);
  });

  it("when writing model.json fails (disk full) after weights.bin was written", async () => {
    const { dir, x, pred, m } = await savedModel();
    await changed(m);
    failingWrite(2, diskFull());
    const before = (await readdir(dir)).sort();
    await expect(m.save(dir)).rejects.toThrow(/ENOSPC/);
    await expectStillLoads(dir, x, pred);
    expect((await readdir(dir)).sort()).toEqual(before); // no orphan weights, no temporary files
  });

  it("a successful save replaces the previous weights file rather than leaving it behind", async () => {
    const { dir, m } = await savedModel();
    await changed(m);
    await m.save(dir);
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(2);
    expect(files).toContain("model.json");
    expect(join(dir, files.find((f) => f !== "model.json")!)).toBe(await weightsPath(dir));
  });
});
