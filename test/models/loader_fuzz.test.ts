// Property: whatever model.json and weight bytes hold — arbitrary JSON, arbitrary text, a real save
// with one field replaced, removed or added, weights flipped, cut, extended or given a forged header
// with a matching checksum — loadModel either loads a model or throws a ModelFormatError. Never a
// TypeError, RangeError or SyntaxError, and never a hang (each load is timed).

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import fc from "fast-check";
import { sequential, layers, loadModel, ModelFormatError, useFileSystem, type FileSystem } from "../../src/index.js";
import { crc32, HEADER_BYTES } from "../../src/models/save.js";
import { nodeFileSystem } from "../../src/node/fs.js";
import { uniform } from "./fixtures.js";

/** An in-memory file system, so thousands of loads cost no disk. */
function memoryFs(files: Map<string, string | Uint8Array>): FileSystem {
  const get = (p: string): string | Uint8Array => {
    const v = files.get(p);
    if (v === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${p}'`), { code: "ENOENT" });
    return v;
  };
  return {
    readText: (p) => {
      const v = get(p);
      return typeof v === "string" ? v : new TextDecoder().decode(v);
    },
    readBytes: (p) => {
      const v = get(p);
      return typeof v === "string" ? new TextEncoder().encode(v) : v.slice();
    },
    exists: (p) => files.has(p),
    mkdirp: () => undefined,
    writeAtomic: (p, d) => void files.set(p, typeof d === "string" ? d : d.slice()),
    remove: (p) => void files.delete(p),
    list: (dir) => [...files.keys()].filter((k) => k.startsWith(`${dir}/`)).map((k) => k.slice(dir.length + 1)),
    join: (...parts) => parts.join("/").replace(/\/+/g, "/"),
    dirname: (p) => p.slice(0, Math.max(0, p.lastIndexOf("/"))) || "/",
    basename: (p) => p.slice(p.lastIndexOf("/") + 1),
    resolve: (p) => p,
    packageDir: () => "/",
  };
}

const files = new Map<string, string | Uint8Array>();
let goodJson: Record<string, unknown>;
let goodBin: Uint8Array;
let weightsName: string;

beforeAll(async () => {
  useFileSystem(memoryFs(files));
  const m = sequential([
    layers.input({ shape: [4, 2] }),
    layers.bidirectional(layers.gru({ units: 2, returnSequences: true })),
    layers.lstm({ units: 2, dropout: 0.1 }),
    layers.dense({ units: 1 }),
  ], { seed: 8 });
  m.compile({ optimizer: "adam", loss: "mse", metrics: ["mae"] });
  await m.fit(uniform([6, 4, 2], 1), uniform([6, 1], 2), { epochs: 1, batchSize: 3, verbose: 0 });
  await m.save("/m");
  goodJson = JSON.parse(files.get("/m/model.json") as string) as Record<string, unknown>;
  weightsName = goodJson.weightsFile as string;
  goodBin = files.get(`/m/${weightsName}`) as Uint8Array;
});
afterAll(() => useFileSystem(nodeFileSystem));

let loaded = 0, refused = 0;

/** Load with these files; fail the property on any other outcome, or when a load takes too long. */
async function outcome(modelJson: string, bin: Uint8Array): Promise<void> {
  files.clear();
  files.set("/m/model.json", modelJson);
  files.set(`/m/${weightsName}`, bin);
  const t0 = performance.now();
  try {
    const m = await loadModel("/m");
    m.dispose();
    loaded++;
  } catch (e) {
    if (!(e instanceof ModelFormatError)) throw new Error(`loadModel threw ${(e as Error)?.name}: ${(e as Error)?.message}\nmodel.json: ${modelJson.slice(0, 400)}`);
    expect(e.message).toMatch(/^loadModel: /);
    refused++;
  }
  expect(performance.now() - t0).toBeLessThan(2000);
}

/** Every path to a value inside a JSON value. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

const odd = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(0, -1, 1.5, 1e9, 2 ** 32, -0, 3e7, "", "..", "../weights.bin", "/etc/passwd", null, [], {}, [0], [1e9, 1e9], "LSTM", "Bidirectional"),
);

type Mutation = { kind: "set" | "delete" | "add"; pick: number; value: unknown; key: string };
const mutation = fc.record({ kind: fc.constantFrom("set", "delete", "add"), pick: fc.nat(), value: odd, key: fc.string({ maxLength: 8 }) }) as fc.Arbitrary<Mutation>;

function mutate(json: unknown, muts: Mutation[]): unknown {
  const root = structuredClone(json) as Record<string, unknown>;
  let doc: unknown = root;
  for (const m of muts) {
    const all = paths(doc);
    const path = all[m.pick % all.length]!;
    if (path.length === 0) {
      if (m.kind === "set") doc = m.value;
      continue;
    }
    let parent = doc as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (m.kind === "set") parent[last] = structuredClone(m.value);
    else if (m.kind === "delete") {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else {
      const target = parent[last];
      if (target !== null && typeof target === "object" && !Array.isArray(target)) (target as Record<string, unknown>)[m.key] = structuredClone(m.value);
      else if (Array.isArray(target)) target.push(structuredClone(m.value));
    }
  }
  return doc;
}

/** Weights with the checksum (and byteLength) made to match, so the deeper checks are reached. */
function withChecksum(json: unknown, bin: Uint8Array): string {
  if (json !== null && typeof json === "object" && !Array.isArray(json)) {
    const j = json as Record<string, unknown>;
    j.byteLength = bin.length;
    j.crc32 = crc32(bin).toString(16).padStart(8, "0");
  }
  return JSON.stringify(json);
}

const RUNS = 250;

describe("loadModel on arbitrary input: loads or ModelFormatError, never anything else", () => {
  it("the unmodified save loads (the generators start from a valid file)", async () => {
    await outcome(JSON.stringify(goodJson), goodBin);
    expect(loaded).toBe(1);
  });

  it("arbitrary JSON values and arbitrary text as model.json", async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.json(), fc.string(), fc.jsonValue().map((v) => JSON.stringify({ format: "recurrent-model", version: 1, ...(typeof v === "object" && v !== null && !Array.isArray(v) ? v : { v }) }))),
      (text) => outcome(text, goodBin)), { numRuns: RUNS });
  });

  it("a real model.json with 1–4 fields replaced, removed or added (checksums kept valid)", async () => {
    await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), async (muts, fixCrc) => {
      const json = mutate(goodJson, muts);
      await outcome(fixCrc ? withChecksum(json, goodBin) : JSON.stringify(json), goodBin);
    }), { numRuns: RUNS * 2 });
  });

  it("weight bytes flipped, cut, extended, or given a forged header with a matching checksum", async () => {
    const edit = fc.record({
      flips: fc.array(fc.record({ at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }), { maxLength: 4 }),
      length: fc.oneof(fc.constant(-1), fc.nat({ max: 2 * 4096 })),
      header: fc.option(fc.tuple(fc.constantFrom(0, 1, 2, 3), fc.oneof(fc.nat(), fc.constantFrom(0, 1, 0xffffffff, 2 ** 31))), { nil: undefined }),
      fixCrc: fc.boolean(),
    });
    await fc.assert(fc.asyncProperty(edit, async ({ flips, length, header, fixCrc }) => {
      let bin = goodBin.slice();
      if (length >= 0) {
        const b = new Uint8Array(length);
        b.set(bin.subarray(0, Math.min(length, bin.length)));
        bin = b;
      }
      for (const f of flips) if (bin.length > 0) bin[f.at % bin.length]! ^= f.bits;
      if (header && bin.length >= HEADER_BYTES) new DataView(bin.buffer).setUint32(4 * header[0], header[1] >>> 0, true);
      const json = structuredClone(goodJson);
      await outcome(fixCrc ? withChecksum(json, bin) : JSON.stringify(json), bin);
    }), { numRuns: RUNS * 2 });
  });

  it("both kinds of damage together reach the refusals and the loads", async () => {
    expect(refused).toBeGreaterThan(RUNS);
    expect(loaded).toBeGreaterThan(1); // some harmless mutations (an extra field, a renamed model) still load
  });
});
