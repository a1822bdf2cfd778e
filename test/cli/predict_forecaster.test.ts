// `recurrent forecast --out DIR` saves the whole forecaster (every network and its preprocessing),
// and `recurrent predict DIR` (or DIR/model, or with --csv of the same data) prints forecast.csv
// again, byte for byte; predict still serves runs trained from a config file.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, monthlyRows, dailyRows } from "./helpers.js";

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "recurrent-predict-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe("forecast --out, then predict DIR", () => {
  it("a seasonal monthly series (de-seasonalised, 4 networks): predict reproduces forecast.csv byte for byte", async () => {
    const csv = write("sales.csv", monthlyRows(96));
    const out = join(dir, "sales");
    const f = await cli("forecast", csv, "--target", "sales", "--horizon", "6", "--epochs", "4", "--out", out, "--quiet");
    expect(f.code).toBe(0);
    const saved = readFileSync(join(out, "forecast.csv"), "utf8");
    expect(saved.split("\n")[0]).toBe("date,forecast,lo80,hi80,lo95,hi95");
    expect(saved.trim().split("\n")).toHaveLength(7);
    const fj = JSON.parse(readFileSync(join(out, "model", "forecaster.json"), "utf8")) as {
      profile: { mode: string; values: number[] } | null; networks: { anchor: string }[]; history: { values: number[]; lastDate: string }; source: { csv: string };
      intervals: { halfWidth: Record<string, number[]>; origins: number };
    };
    // The interval half-widths travel with the networks: forecast.csv's bands are value ± these.
    expect(fj.intervals.halfWidth["80"]).toHaveLength(6);
    expect(fj.intervals.origins).toBe(14); // test span round(0.2 · 96) = 19, minus H − 1
    saved.trim().split("\n").slice(1).forEach((line, h) => {
      const [, f, lo80, hi80, lo95, hi95] = line.split(",").map(Number);
      expect(hi80! - f!).toBeCloseTo(fj.intervals.halfWidth["80"]![h]!, 9);
      expect(f! - lo80!).toBeCloseTo(fj.intervals.halfWidth["80"]![h]!, 9);
      expect(hi95! - f!).toBeCloseTo(fj.intervals.halfWidth["95"]![h]!, 9);
      expect(f! - lo95!).toBeCloseTo(fj.intervals.halfWidth["95"]![h]!, 9);
    });
    expect(fj.profile).not.toBeNull(); // the preprocessing is part of what was saved
    expect(fj.profile!.values).toHaveLength(12);
    expect(fj.networks.map((n) => n.anchor)).toEqual(["last", "mean", "last", "mean"]);
    expect(fj.history.values).toHaveLength(96);
    expect(fj.history.lastDate).toBe("2017-12");
    expect(fj.source.csv).toBe(csv);

    const again = await cli("predict", out);
    expect(again.code).toBe(0);
    expect(again.err).toBe("");
    expect(again.out).toBe(saved);

    const model = await cli("predict", join(out, "model"));
    expect(model.out).toBe(saved);

    const fromCsv = await cli("predict", out, "--csv", csv);
    expect(fromCsv.code).toBe(0);
    expect(fromCsv.out).toBe(saved);

    const json = await cli("predict", out, "--json");
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as { future: unknown };
    expect(JSON.parse(json.out)).toEqual(metrics.future);

    // Newer data: the forecast moves on to start after its last month, with the same interval widths.
    const longer = await cli("predict", out, "--csv", write("sales-longer.csv", monthlyRows(99)));
    expect(longer.code).toBe(0);
    expect(longer.out.split("\n")[1]).toMatch(/^2018-04,/);
    const [, f1, , hi80] = longer.out.split("\n")[1]!.split(",").map(Number);
    expect(hi80! - f1!).toBeCloseTo(fj.intervals.halfWidth["80"]![0]!, 9);

    for (const cmd of ["evaluate", "inspect"]) {
      const r = await cli(cmd, out);
      expect(r.code, cmd).toBe(2);
      expect(r.err, cmd).toBe(`error: ${out} holds a forecaster saved by \`recurrent forecast --out\`, not a run trained from a config file: forecast with \`recurrent predict ${out}\`; its backtest is in metrics.json and report.html\n`);
    }

    const summary = await cli("summary", out);
    expect(summary.code).toBe(0);
    expect(summary.out).toMatch(/^Forecaster: 4 lstm networks \(direct, lookback 12, horizon 6, season 12, monthly\)/);
  });

  it("on another backend: a note on stderr, and the same forecast to float32 rounding", async () => {
    const out = join(dir, "sales");
    const saved = readFileSync(join(out, "forecast.csv"), "utf8");
    const made = (JSON.parse(readFileSync(join(out, "model", "forecaster.json"), "utf8")) as { backend: string }).backend;
    expect(["wasm", "js"]).toContain(made);
    const other = made === "wasm" ? "js" : "wasm";
    const { setDefaultBackend, backendName } = await import("../../src/backend/index.js");
    try {
      setDefaultBackend(other);
      if (backendName() !== other) return; // no WebAssembly SIMD here: nothing to compare
      const r = await cli("predict", out, "--backend", other);
      expect(r.code).toBe(0);
      expect(r.err).toBe(`note: the forecaster was saved on the ${made} backend and runs on ${other} here, which rounds differently: values can differ from forecast.csv in the last digits (pass --backend ${made} to reproduce it exactly)\n`);
      const values = (t: string): number[] => t.trim().split("\n").slice(1).map((l) => Number(l.split(",")[1]));
      const a = values(r.out), b = values(saved);
      expect(a).toHaveLength(b.length);
      a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-5 * Math.abs(b[i]!)));
      const same = await cli("predict", out, "--backend", made);
      expect(same.out).toBe(saved);
      expect(same.err).toBe("");
    } finally {
      setDefaultBackend((process.env.RECURRENT_BACKEND as "js" | "wasm" | undefined) ?? "auto");
    }
  });

  it("a recursive GRU on daily data round-trips too", async () => {
    const csv = write("visits.csv", dailyRows(120));
    const out = join(dir, "visits");
    const f = await cli("forecast", csv, "--model", "gru", "--strategy", "recursive", "--horizon", "5", "--epochs", "3", "--out", out, "--quiet");
    expect(f.code).toBe(0);
    const saved = readFileSync(join(out, "forecast.csv"), "utf8");
    expect(saved.split("\n")[1]).toMatch(/^2020-04-30,[^,]+,[^,]+,[^,]+,[^,]+,[^,]+$/);
    const again = await cli("predict", out);
    expect(again.out).toBe(saved);
  });

  it("refuses a directory that holds neither a forecaster nor a run, and a damaged forecaster", async () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    const r = await cli("predict", empty);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/empty holds neither a saved forecaster \(forecaster\.json or model\/forecaster\.json, written by `recurrent forecast --out .*`\) nor a trained run \(run\.json/);

    const out = join(dir, "damaged");
    cpSync(join(dir, "sales"), out, { recursive: true });
    const path = join(out, "model", "forecaster.json");
    const good = readFileSync(path, "utf8");
    writeFileSync(path, good.replace('"version": 1', '"version": 9'));
    const v = await cli("predict", out);
    expect(v.code).toBe(2);
    expect(v.err).toMatch(/forecaster\.json: forecaster format version 9 is not supported/);
    writeFileSync(path, good);
    rmSync(join(out, "model", "network-3"), { recursive: true });
    const m = await cli("predict", out);
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/network-3\/model\.json/);
    expect(m.err).not.toMatch(/\n./);
  });

  it("--csv is read as the forecaster's data was (resampled to its frequency); too little of it is refused", async () => {
    const r = await cli("predict", join(dir, "sales"), "--csv", write("daily.csv", dailyRows(60).replace("date,visits", "month,sales")));
    expect(r.code).toBe(2);
    expect(r.err).toBe("error: forecaster: the series has 2 values; the lookback needs at least 12\n");
    const other = await cli("predict", join(dir, "sales"), "--csv", write("other.csv", "day,amount\n2020-01-01,3\n"));
    expect(other.code).toBe(2);
    expect(other.err).toBe('error: other.csv: no column "sales"; available: day, amount\n');
  });
});
