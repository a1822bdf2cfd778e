// loadModel on malformed files: every kind of damage is a ModelFormatError naming the file and the
// field, never a raw TypeError, RangeError or SyntaxError; a weightsFile cannot point outside the
// model directory. And save() over a corrupt previous save replaces it instead of failing.

import { describe, it, expect, afterAll, afterEach } from "vitest";
import { readFile, writeFile, readdir, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { sequential, layers, loadModel, ModelFormatError, useFileSystem, type Sequential } from "../../src/index.js";
import { crc32, HEADER_BYTES } from "../../src/models/save.js";
import { nodeFileSystem } from "../../src/node/fs.js";
import { uniform, tempDir, removeTempDirs, firstBitDifference } from "./fixtures.js";

afterAll(removeTempDirs);
afterEach(() => useFileSystem(nodeFileSystem));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function model(): Promise<Sequential> {
  const m = sequential([layers.input({ shape: [5, 2] }), layers.lstm({ units: 3 }), layers.dense({ units: 1 })], { seed: 4 });
  m.compile({ optimizer: "adam", loss: "mse" });
  await m.fit(uniform([8, 5, 2], 1), uniform([8, 1], 2), { epochs: 1, batchSize: 4, verbose: 0 });
  return m;
}

async function saved(): Promise<{ dir: string; json: Json; bin: Uint8Array }> {
  const dir = join(await tempDir(), "m");
  await (await model()).save(dir);
  const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as Json;
  const bin = new Uint8Array(await readFile(join(dir, json.weightsFile as string)));
  return { dir, json, bin };
}

/** Writes weights with a correct checksum and byteLength, so only the damage under test remains. */
async function rewrite(dir: string, json: Json, bin?: Uint8Array): Promise<void> {
  if (bin) {
    json.byteLength = bin.length;
    json.crc32 = crc32(bin).toString(16).padStart(8, "0");
    await writeFile(join(dir, json.weightsFile as string), bin);
  }
  await writeFile(join(dir, "model.json"), JSON.stringify(json));
}

async function refusal(dir: string): Promise<string> {
  const e = await loadModel(dir).then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(ModelFormatError);
  return (e as Error).message;
}

describe("model.json fields", () => {
  const cases: [string, (j: Json) => void, RegExp][] = [
    ["model.json holds null", () => undefined, /is not a recurrent model \(format missing: the file holds null\)/],
    ["a missing training record", (j) => delete j.training, /model\.json: training is required/],
    ["seed of the wrong type", (j) => (j.seed = "42"), /model\.json: seed must be an integer, got "42"/],
    ["layers not a list", (j) => (j.layers = { 0: 1 }), /model\.json: layers must be a list of layers/],
    ["a layer without config", (j) => delete j.layers[1].config, /model\.json: layers\[1\]\.config is required/],
    ["a layer config that is null", (j) => (j.layers[1].config = null), /model\.json: layers\[1\]\.config must be a layer config object, got null/],
    ["a negative input dimension", (j) => (j.inputShape = [5, -2]), /model\.json: inputShape\[1\] must be a positive integer, got -2/],
    ["an unknown layer class", (j) => (j.layers[1].className = "Conv2D"), /layers\[1\] \(Conv2D\) cannot be built: unknown layer class "Conv2D"/],
    ["a misspelt layer option", (j) => (j.layers[1].config.unitz = 3), /layers\[1\] \(LSTM\) cannot be built: lstm: unknown option 'unitz' — did you mean 'units'\?/],
    ["units of the wrong type", (j) => (j.layers[1].config.units = "3"), /layers\[1\] \(LSTM\) cannot be built: lstm: units must be a positive integer, got "3"/],
    ["a huge layer (no gigabyte allocation)", (j) => (j.layers[1].config.units = 3e7), /layers do not build .*takes the parameter count past the \d+ parameters there are/],
    ["a weights list that disagrees", (j) => (j.weights[0].name = "lstm/other"), /weights\[0\] is lstm\/other \[2,12\] but the layers build lstm\/kernel \[2,12\]/],
    ["a crc that is not hex", (j) => (j.crc32 = 5), /crc32 must be 8 hex digits, got 5/],
    ["a compile record with a bad optimizer", (j) => (j.compile.optimizer.beta1 = 2), /compile cannot be restored: optimizer adam: beta1 must be in \[0, 1\), got 2/],
    ["weightsFile with ..", (j) => (j.weightsFile = "../weights-00000000.bin"), /weightsFile must be "weights-<8 hex digits>\.bin" in the model directory \(no path\), got "\.\.\/weights-00000000\.bin"/],
    ["weightsFile absolute", (j) => (j.weightsFile = "/etc/passwd"), /weightsFile must be .* \(no path\), got "\/etc\/passwd"/],
    ["weightsFile of the wrong type", (j) => (j.weightsFile = ["a"]), /weightsFile must be a file name/],
  ];
  for (const [name, damage, want] of cases) {
    it(name, async () => {
      const { dir, json } = await saved();
      const j = name === "model.json holds null" ? null : json;
      if (j) damage(j);
      await writeFile(join(dir, "model.json"), JSON.stringify(j));
      const msg = await refusal(dir);
      expect(msg).toContain(join(dir, "model.json"));
      expect(msg).toMatch(want);
    });
  }
});

describe("weight bytes", () => {
  it("a header whose counts disagree with the file length (checksum made to match)", async () => {
    const { dir, json, bin } = await saved();
    new DataView(bin.buffer, bin.byteOffset).setUint32(8, 1e6, true);
    await rewrite(dir, json, bin);
    expect(await refusal(dir)).toMatch(/header announces 1000000 parameters and 2 optimizer slots .* but the file has \d+ bytes/);
  });

  it("one optimizer slot fewer than model.json says", async () => {
    const { dir, json, bin } = await saved();
    const P = new DataView(bin.buffer, bin.byteOffset).getUint32(8, true);
    const short = bin.slice(0, HEADER_BYTES + 4 * P * 2);
    new DataView(short.buffer).setUint32(12, 1, true);
    await rewrite(dir, json, short);
    expect(await refusal(dir)).toMatch(/holds 1 optimizer slots but training\.optimizerSlots in model\.json says 2/);
  });

  it("slots an adam optimizer cannot use", async () => {
    const { dir, json, bin } = await saved();
    const P = new DataView(bin.buffer, bin.byteOffset).getUint32(8, true);
    const more = new Uint8Array(bin.length + 4 * P);
    more.set(bin);
    new DataView(more.buffer).setUint32(12, 3, true);
    json.training.optimizerSlots = 3;
    await rewrite(dir, json, more);
    expect(await refusal(dir)).toMatch(/holds 3 optimizer slots but a adam optimizer with these settings keeps 2/);
  });

  it("a weights header of another version", async () => {
    const { dir, json, bin } = await saved();
    new DataView(bin.buffer, bin.byteOffset).setUint32(4, 7, true);
    await rewrite(dir, json, bin);
    expect(await refusal(dir)).toMatch(/has weights format version 7/);
  });

  it("a file shorter than the header", async () => {
    const { dir, json } = await saved();
    await rewrite(dir, json, new Uint8Array([0x52, 0x43]));
    expect(await refusal(dir)).toMatch(/does not start with the weights magic number/);
  });
});

describe("save over a corrupt previous save", () => {
  for (const [name, text] of [["not JSON", "{ not json"], ["null", "null"], ["a list", "[1, 2]"], ["binary", "\u0000\u0001\u00ff"], ["a foreign weightsFile", '{"weightsFile": "../../important.bin"}']] as const) {
    it(`model.json that is ${name} is replaced`, async () => {
      const dir = join(await tempDir(), "m");
      await mkdir(dir);
      await writeFile(join(dir, "model.json"), text);
      await writeFile(join(dir, "..", "important.bin"), "keep");
      const m = await model();
      await m.save(dir);
      const back = await loadModel(dir);
      expect(firstBitDifference(back.parameters, m.parameters)).toBe(-1);
      expect(await readFile(join(dir, "..", "important.bin"), "utf8")).toBe("keep");
    });
  }

  it("weights files a killed save left behind are removed by the next save; other files stay", async () => {
    const { dir } = await saved();
    await writeFile(join(dir, "weights-deadbeef.bin"), "orphan");
    await writeFile(join(dir, "notes.txt"), "mine");
    await writeFile(join(dir, "weights-backup.bin"), "mine too");
    const m = await model();
    await m.fit(uniform([8, 5, 2], 1), uniform([8, 1], 2), { epochs: 1, batchSize: 4, verbose: 0 });
    await m.save(dir);
    const files = (await readdir(dir)).sort();
    expect(files.filter((f) => /^weights-[0-9a-f]{8}\.bin$/.test(f))).toHaveLength(1);
    expect(files).toContain("notes.txt");
    expect(files).toContain("weights-backup.bin");
    expect(files).not.toContain("weights-deadbeef.bin");
  });

  it("a file system without list() still saves (the orphan stays)", async () => {
    const { dir } = await saved();
    await writeFile(join(dir, "weights-deadbeef.bin"), "orphan");
    const { list: _list, ...noList } = nodeFileSystem;
    useFileSystem(noList);
    const m = await model();
    await m.save(dir);
    expect(await readdir(dir)).toContain("weights-deadbeef.bin");
    useFileSystem(nodeFileSystem);
    expect((await loadModel(dir)).countParams()).toBe(m.countParams());
  });
});
