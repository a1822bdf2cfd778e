// Config files of train / evaluate / predict / summary are checked before any work: JSON syntax by
// line and column, unknown keys refused with the nearest valid name, wrong types and ranges named
// by their JSON path, layer options checked against what the layer takes; exit code 2 each time.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, STACK_LINE, ROOT } from "./helpers.js";
import { resolveCsv } from "../../src/forecast/config_run.js";
import { bundledDataPath } from "../../src/forecast/bundled.js";
import { nearest, jsonPath } from "../../src/forecast/config_schema.js";

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "recurrent-config-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = {
  data: { csv: "bundled:stocks.csv", where: ["symbol=IBM"], target: "price", lookback: 12, horizon: 3 },
  model: { seed: 1, layers: [{ type: "lstm", units: 4 }, { type: "dense", units: 3 }] },
  compile: { optimizer: { type: "adam", learningRate: 0.01 }, loss: "mse", metrics: ["mae"] },
  fit: { epochs: 2, batchSize: 16, validationSplit: 0.1, patience: 2 },
};

type Cfg = Record<string, Record<string, unknown>>;
let k = 0;
function config(edit: (c: Cfg) => void): string {
  const c = JSON.parse(JSON.stringify(GOOD)) as Cfg;
  edit(c);
  const p = join(dir, `c${k++}.json`);
  writeFileSync(p, JSON.stringify(c, null, 2));
  return p;
}

/** `train <config>`: exit 2, one line naming the config file, nothing written to --out. */
async function refused(path: string): Promise<string> {
  const out = join(dir, `out${k++}`);
  const r = await cli("train", path, "--out", out, "--quiet");
  expect(r.code).toBe(2);
  expect(r.err.startsWith(`error: ${path}`)).toBe(true);
  expect(r.err.trim().split("\n")).toHaveLength(1);
  expect(r.err).not.toMatch(STACK_LINE);
  expect(existsSync(out)).toBe(false);
  return r.err.trim();
}

describe("config files: unknown keys", () => {
  it("a misspelt key is refused with the nearest valid name, at its JSON path", async () => {
    const err = await refused(config((c) => { c.data!.lookbak = c.data!.lookback; delete c.data!.lookback; }));
    expect(err).toContain('data.lookback is required');
    expect(err).toContain('data: unknown key "lookbak"; did you mean "lookback"? (valid keys: csv, date, dateFormat, target, where, freq, agg, impute, maxGap, maxImputedShare, nonFinite, lookback, horizon, testSize, scaler, transform)');
  });

  it("at every level: the top, fit, compile.optimizer", async () => {
    expect(await refused(config((c) => { c.fitt = {}; }))).toContain('the top level: unknown key "fitt"; did you mean "fit"?');
    expect(await refused(config((c) => { c.fit!.epoch = 3; }))).toContain('fit: unknown key "epoch"; did you mean "epochs"?');
    expect(await refused(config((c) => { (c.compile!.optimizer as Record<string, unknown>).learningrate = 0.1; }))).toContain('compile.optimizer: unknown key "learningrate"; did you mean "learningRate"?');
    expect(await refused(config((c) => { c.data!.colour = "red"; }))).toMatch(/data: unknown key "colour" \(valid keys: /);
  });

  it("a layer option the layer does not take, with the layer's position and type", async () => {
    const err = await refused(config((c) => { c.model!.layers = [{ type: "lstm", unit: 4 }, { type: "dense", units: 3 }]; }));
    expect(err).toMatch(/model\.layers\[0\] \(lstm\): unknown key "unit"; did you mean "units"\? \(valid keys: type, name, units, activation, /);
    const wrapped = await refused(config((c) => { c.model!.layers = [{ type: "bidirectional", layer: { type: "gru", units: 4, retunSequences: true } }, { type: "dense", units: 3 }]; }));
    expect(wrapped).toMatch(/model\.layers\[0\]\.layer \(gru\): unknown key "retunSequences"; did you mean "returnSequences"\?/);
    expect(await refused(config((c) => { c.model!.layers = [{ type: "lstmm", units: 4 }]; }))).toMatch(/model\.layers\[0\]: unknown layer type "lstmm"; choose one of input, dense/);
  });
});

describe("config files: types and ranges by JSON path", () => {
  it("names each bad value with its path and what it must be", async () => {
    const err = await refused(config((c) => {
      c.data!.lookback = 0;
      c.data!.horizon = 2.5;
      c.fit!.batchSize = "16";
      c.fit!.validationSplit = 1.5;
      c.data!.freq = "fortnight";
    }));
    expect(err).toContain("5 problems");
    expect(err).toContain("data.lookback must be at least 1, got 0");
    expect(err).toContain("data.horizon must be an integer, got 2.5");
    expect(err).toContain('fit.batchSize must be a number, got "16"');
    expect(err).toContain("fit.validationSplit must be less than 1, got 1.5");
    expect(err).toContain('data.freq must be one of "day", "week", "month", "quarter", "year", got "fortnight"');
  });

  it("the data-loading options of loadSeries: dateFormat, maxGap, maxImputedShare, nonFinite", async () => {
    expect(await refused(config((c) => { c.data!.dateformat = "DD/MM/YYYY"; }))).toContain('data: unknown key "dateformat"; did you mean "dateFormat"?');
    expect(await refused(config((c) => { c.data!.dateFormat = "DD-MM-YY"; }))).toContain('data.dateFormat must be one of "auto", "YYYY-MM-DD", "DD/MM/YYYY"');
    expect(await refused(config((c) => { c.data!.maxImputedShare = 1.5; }))).toContain("data.maxImputedShare must be at most 1, got 1.5");
    expect(await refused(config((c) => { c.data!.maxGap = -1; }))).toContain("data.maxGap must be at least 0, got -1");
    expect(await refused(config((c) => { c.data!.nonFinite = "skip"; }))).toContain('data.nonFinite must be one of "error", "drop", "impute", got "skip"');
    const ok = await cli("summary", config((c) => { Object.assign(c.data!, { dateFormat: "auto", maxGap: 5, maxImputedShare: 0.2, nonFinite: "drop" }); }));
    expect(ok.code).toBe(0);
  });

  it("arrays, enums and unions: where, metrics, loss, layers", async () => {
    expect(await refused(config((c) => { c.data!.where = "symbol=IBM"; }))).toContain('data.where must be an array, got "symbol=IBM"');
    expect(await refused(config((c) => { c.compile!.metrics = ["mae", "r2"]; }))).toContain('compile.metrics[1] must be one of "mse", "mae", "rmse", "mape", "accuracy", got "r2"');
    expect(await refused(config((c) => { c.compile!.loss = "mse2"; }))).toContain('compile.loss must be one of "mse", "mae", "huber", ');
    expect(await refused(config((c) => { c.model!.layers = []; }))).toContain("model.layers must list at least 1 item(s)");
    expect(await refused(config((c) => { c.model!.layers = [{ units: 3 }]; }))).toContain("model.layers[0].type is required");
  });

  it("a layer's own range check gets the layer's position", async () => {
    expect(await refused(config((c) => { c.model!.layers = [{ type: "lstm", units: -4 }, { type: "dense", units: 3 }]; }))).toMatch(/model\.layers\[0\]: lstm: units must be a positive integer, got -4/);
  });

  it("a JSON syntax error gives the file, line and column", async () => {
    const p = join(dir, "syntax.json");
    writeFileSync(p, '{\n  "data": { "csv": "x.csv", "lookback": 12 }\n  "model": {}\n}\n');
    expect(await refused(p)).toMatch(new RegExp(`^error: ${p}:3:3: not valid JSON: .*\\(line 3, column 3\\)$`));
    const q = join(dir, "array.json");
    writeFileSync(q, "[1, 2]");
    expect(await refused(q)).toContain("a config is a JSON object");
  });

  it("a missing config file names the path (exit 2, no stack)", async () => {
    const r = await cli("summary", join(dir, "nope.json"));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`error: cannot open ${join(dir, "nope.json")}: no such file or directory (ENOENT)\n`);
  });

  it("the example config passes the checks", async () => {
    const r = await cli("summary", join(ROOT, "examples", "configs", "seattle-lstm.json"));
    expect(r.code).toBe(0);
    expect(r.out).toContain("Total params: 4,781");
  });

  it("a valid config passes the checks (summary builds its model)", async () => {
    const r = await cli("summary", config(() => {}));
    expect(r.code).toBe(0);
    expect(r.out).toContain("lstm (LSTM)");
  });
});

describe("too short a series for a config run: the real minimum", () => {
  it("says how many training points and how many points in all, and that many train", async () => {
    const rows = ["month,sales"];
    for (let i = 0; i < 40; i++) rows.push(`${2010 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}-01,${(50 + i + 10 * Math.sin(i)).toFixed(2)}`);
    writeFileSync(join(dir, "m40.csv"), rows.join("\n") + "\n");
    const cfg = (testSize: number, validationSplit?: number): string => config((c) => {
      c.data = { csv: "m40.csv", target: "sales", lookback: 12, horizon: 3, testSize };
      c.fit = { epochs: 1, ...(validationSplit === undefined ? {} : { validationSplit }) };
    });
    const train = (path: string) => cli("train", path, "--out", join(dir, `min${k++}`), "--quiet");
    // lookback 12 + horizon 3: 15 points per window; two windows (one to validate) = 16 points
    const short = await train(cfg(25));
    expect(short.code).toBe(2);
    expect(short.err).toBe("error: m40.csv: 40 points leave 15 for training (the last 25 are the test span), but lookback 12 + horizon 3 needs at least 16 training points (2 window(s), validationSplit 0.1), so at least 41 points; shorten data.lookback or data.testSize\n");
    expect((await train(cfg(24))).code).toBe(0);
    // validationSplit 0.6 keeps floor(N · 0.4) ≥ 1 training windows: N = 3, 17 points
    const split = await train(cfg(24, 0.6));
    expect(split.code).toBe(2);
    expect(split.err).toMatch(/needs at least 17 training points \(3 window\(s\), validationSplit 0\.6\), so at least 41 points/);
    expect((await train(cfg(23, 0.6))).code).toBe(0);
  });
});

describe("data.csv: bundled files", () => {
  it("bundled:<file> and the older vega-datasets:<file> name the copies in data/", () => {
    expect(resolveCsv("bundled:weather.csv", "/elsewhere")).toBe(bundledDataPath("weather.csv"));
    expect(resolveCsv("vega-datasets:weather.csv", "/elsewhere")).toBe(bundledDataPath("weather.csv"));
    expect(resolveCsv("my.csv", "/elsewhere")).toBe("/elsewhere/my.csv");
  });

  it("a file that is not bundled is refused at data.csv", async () => {
    expect(await refused(config((c) => { c.data!.csv = "vega-datasets:co2-concentration.csv"; }))).toContain('data.csv: "co2-concentration.csv" is not a bundled data file; bundled: weather.csv, sp500-2000.csv, stocks.csv');
  });
});

describe("nearest name", () => {
  it("suggests close names only", () => {
    expect(nearest("lookbak", ["lookback", "horizon"])).toBe("lookback");
    expect(nearest("LearningRate", ["learningRate", "clipNorm"])).toBe("learningRate");
    expect(nearest("colour", ["csv", "date", "target"])).toBeUndefined();
    expect(jsonPath(["model", "layers", 2, "units"])).toBe("model.layers[2].units");
    expect(jsonPath([])).toBe("the top level");
  });
});
