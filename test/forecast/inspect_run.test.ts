// inspectRun: a trained run's recurrent layer, on one lookback window of its data.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trainRun } from "../../src/forecast/config_run.js";
import { inspectRun } from "../../src/forecast/inspect_run.js";
import { ConfigError } from "../../src/tensor/errors.js";
import type { LstmInternals, GruInternals } from "../../src/layers/index.js";

let dir: string;
let run: string;
const L = 12;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "recurrent-inspect-"));
  const rows: string[] = [];
  for (let i = 0; i < 60; i++) rows.push(`${2010 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}-01,${(50 + 10 * Math.sin(i / 2)).toFixed(3)}`);
  writeFileSync(join(dir, "m.csv"), ["month,sales", ...rows].join("\n") + "\n");
  writeFileSync(join(dir, "cfg.json"), JSON.stringify({
    data: { csv: "m.csv", target: "sales", lookback: L, horizon: 2, testSize: 10 },
    model: { seed: 1, layers: [{ type: "gru", units: 3, returnSequences: true }, { type: "lstm", units: 5 }, { type: "dense", units: 2 }] },
    compile: { optimizer: "adam", loss: "mse" },
    fit: { epochs: 2, batchSize: 16 },
  }));
  run = join(dir, "run");
  await trainRun(join(dir, "cfg.json"), run, { verbose: 0 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("inspectRun", () => {
  it("defaults to the first recurrent layer on the last window", async () => {
    const r = await inspectRun(run);
    expect(r.layer).toBe("gru");
    expect(r.className).toBe("GRU");
    expect(r.window).toEqual({ index: 60 - L, count: 60 - L + 1, from: "2014-01", to: "2014-12" });
    const g = r.internals as GruInternals;
    expect(g.updateGate.shape).toEqual([1, L, 3]);
    for (const v of g.updateGate.data) expect(v > 0 && v < 1).toBe(true);
  });

  it("takes a layer by name and a window by index, from either end", async () => {
    const a = await inspectRun(run, { layer: "lstm", sample: 0 });
    expect(a.className).toBe("LSTM");
    expect(a.window.from).toBe("2010-01");
    const lstm = a.internals as LstmInternals;
    expect(lstm.cellState.shape).toEqual([1, L, 5]);
    const b = await inspectRun(run, { layer: 2, sample: -(60 - L + 1) }); // [input, gru, lstm, dense]
    expect(b.layer).toBe("lstm");
    expect(Array.from((b.internals as LstmInternals).cellState.data)).toEqual(Array.from(lstm.cellState.data));
  });

  it("says which windows and layers exist", async () => {
    await expect(inspectRun(run, { sample: 49 })).rejects.toThrow(/sample 49 is outside the 49 windows of 12 points this data holds \(0 to 48, or -1 to -49 from the end\)/);
    await expect(inspectRun(run, { layer: "dense" })).rejects.toThrow(ConfigError);
    await expect(inspectRun(run, { layer: "dense" })).rejects.toThrow(/layer "dense" is a Dense; choose an LSTM or GRU layer \(gru, lstm\)/);
  });
});
