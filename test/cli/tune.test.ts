// `recurrent tune`: a small search on the bundled example on two worker threads prints the ranked
// table and writes results.json, results.csv and best.json; `recurrent train` takes best.json as it
// is. Bad spaces and too many folds exit 2 with one line naming the problem.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, STACK_LINE, monthlyRows } from "./helpers.js";

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "recurrent-tune-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("recurrent tune", () => {
  it("searches on worker threads, ranks the trials, and writes a best.json that train accepts", async () => {
    const out = join(dir, "search");
    const r = await cli("tune", "--out", out, "--units", "8,16", "--lr", "2e-3:2e-2:log", "--trials", "3", "--epochs", "10", "--seed", "1", "--workers", "2", "--quiet");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("random search over units 8,16 · learningRate 0.002:0.02:log; 3 folds, 2 worker(s)");
    expect(r.out).toMatch(/│ rank │ trial\s+│ units │ learningRate │ fold 1 │ fold 2 │ fold 3 │ mean MAE │ time s │/);
    expect(r.out).toMatch(/│ 0 \(default\) │\s+32 │\s+0\.001 │/);
    expect(r.out).toContain("4 trials (trial 0 is the default) on weather.csv: folds train to 110, 126, 142 and validate on the next 16 points each; the last 52 of 210 points are left out");
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as {
      best: number; bestScore: number; default: number; ranking: { trial: number; kind: string; score: number; folds: number[] }[];
    };
    expect(results.ranking).toHaveLength(4);
    expect(results.ranking[0]!.trial).toBe(results.best);
    expect(results.best).not.toBe(0);
    expect(results.bestScore).toBeLessThan(results.default);
    expect(r.out).toContain(`Best: trial ${results.best}, mean MAE`);
    const csv = readFileSync(join(out, "results.csv"), "utf8").trim().split("\n");
    expect(csv).toHaveLength(5);
    expect(csv[1]!.startsWith(`1,${results.best},search,`)).toBe(true);

    // best.json is a train config as it is: train it.
    const best = JSON.parse(readFileSync(join(out, "best.json"), "utf8")) as { model: { layers: { type: string }[] }; fit: { epochs: number } };
    expect(best.fit.epochs).toBe(10);
    const trained = await cli("train", join(out, "best.json"), "--out", join(dir, "best-run"), "--quiet");
    expect(trained.err).toBe("");
    expect(trained.code).toBe(0);
    expect(existsSync(join(dir, "best-run", "run.json"))).toBe(true);
    expect(trained.out).toMatch(/│ model\s+│/);
  });

  it("tunes a config with a relative CSV (--json, grid over lookback and learning rate, the default's point not run twice); best.json points at the file from anywhere", async () => {
    const data = join(dir, "data");
    const out = join(dir, "grid");
    rmSync(data, { recursive: true, force: true });
    mkdirSync(data);
    writeFileSync(join(data, "sales.csv"), monthlyRows(120));
    const config = {
      data: { csv: "sales.csv", lookback: 12, horizon: 3, testSize: 12 },
      model: { seed: 3, layers: [{ type: "gru", units: 4 }, { type: "dense", units: 3 }] },
      fit: { epochs: 4, batchSize: 16 },
    };
    writeFileSync(join(data, "config.json"), JSON.stringify(config));
    const r = await cli("tune", join(data, "config.json"), "--out", out, "--strategy", "grid", "--lookback", "6,12", "--lr", "0.001,0.01", "--folds", "2", "--workers", "1", "--json");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { strategy: string; trainEnds: number[]; foldSize: number; ranking: { trial: number; params: { lookback: number; learningRate: number } }[] };
    expect(doc.strategy).toBe("grid");
    // The default and the 2 × 2 combinations but its own (lookback 12, Adam's 0.001), which is trial 0.
    expect(doc.ranking).toHaveLength(4);
    expect(doc.trainEnds).toEqual([86, 97]); // 108 points before the test span, folds of 11
    expect(doc.foldSize).toBe(11);
    expect(doc.ranking.filter((t) => t.trial > 0).map((t) => `${t.params.lookback}/${t.params.learningRate}`).sort()).toEqual(["12/0.01", "6/0.001", "6/0.01"]);
    expect(JSON.parse(readFileSync(join(out, "results.json"), "utf8"))).toEqual(doc);
    const best = JSON.parse(readFileSync(join(out, "best.json"), "utf8")) as { data: { csv: string } };
    expect(best.data.csv).toBe(join(data, "sales.csv"));
    const trained = await cli("train", join(out, "best.json"), "--out", join(dir, "grid-run"), "--quiet");
    expect(trained.err).toBe("");
    expect(trained.code).toBe(0);
  });

  /** Exit 2, one line on stderr, no stack. */
  async function refused(...args: string[]): Promise<string> {
    const out = join(dir, `bad${Math.random().toString(36).slice(2)}`);
    const r = await cli("tune", "--out", out, "--quiet", ...args);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false); // checked before --out is created
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).not.toMatch(STACK_LINE);
    return r.err.trim();
  }

  it("refuses an empty space, an unknown parameter, a reversed range and too many folds", async () => {
    const empty = join(dir, "empty.json");
    writeFileSync(empty, "{}");
    expect(await refused("--space", empty)).toBe(`error: --space ${empty}: the search space is empty: give at least one of cell, layers, units, dropout, learningRate, lookback (e.g. { "units": [16, 32, 64] })`);
    const typo = join(dir, "typo.json");
    writeFileSync(typo, JSON.stringify({ unit: [8, 16] }));
    expect(await refused("--space", typo)).toBe(`error: --space ${typo}: unknown parameter "unit"; did you mean "units"? (parameters: cell, layers, units, dropout, learningRate, lookback)`);
    expect(await refused("--lr", "1e-2:1e-3")).toBe("error: --lr: learningRate: the range 0.01:0.001 has min 0.01 > max 0.001; write it as 0.001:0.01");
    expect(await refused("--units", "8,16", "--folds", "9")).toMatch(/^error: tune: weather\.csv: 9 fold\(s\) of 16 points need 184 points before the test span .* use at most 7 fold\(s\)/);
    expect(await refused("--cell", "lstm,gruu")).toBe('error: --cell: cell: "gruu" is not a recurrent cell; did you mean "gru"? (cells: lstm, gru, simpleRnn)');
  });

  it("a misspelt flag gets commander's suggestion", async () => {
    const r = await cli("tune", "--out", join(dir, "x"), "--unit", "8");
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option '--unit'");
    expect(r.err).toContain("--units");
  });
});
