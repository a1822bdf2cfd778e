// The `recurrent` command in-process: every bad input of the forecasting issue gives a clear message
// and exit code 2; --json has the documented shape; --out writes its files and refuses to mix runs;
// train / evaluate / predict / summary work from a config file.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, mkdirSync, rmSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSeries, rollingOrigin, scoreBacktest } from "../../src/forecast/index.js";
import { cli } from "./helpers.js";

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "recurrent-cli-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A monthly CSV with trend and a yearly season, 96 rows from 2010-01. */
function monthlyCsv(name: string, mutate?: (rows: string[][]) => void): string {
  const rows: string[][] = [];
  for (let i = 0; i < 96; i++) {
    const y = 2010 + Math.floor(i / 12), m = (i % 12) + 1;
    const v = 50 + 0.3 * i + 10 * Math.sin((2 * Math.PI * i) / 12) + 2 * Math.sin(i * 1.7);
    rows.push([`${y}-${String(m).padStart(2, "0")}-01`, v.toFixed(3), i % 2 ? "north" : "south"]);
  }
  mutate?.(rows);
  const path = join(dir, name);
  writeFileSync(path, ["month,sales,region", ...rows.map((r) => r.join(","))].join("\n") + "\n");
  return path;
}

describe("bad input: a clear message, exit code 2", () => {
  it("a missing column lists the available ones", async () => {
    const r = await cli("forecast", monthlyCsv("a.csv"), "--target", "revenue", "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no column "revenue"; available: month, sales, region/);
  });

  it("an unparseable date names the line and the value", async () => {
    const r = await cli("forecast", monthlyCsv("b.csv", (rows) => { rows[4]![0] = "2010-13-45"; }), "--target", "sales", "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/line 6/);
    expect(r.err).toContain("2010-13-45");
  });

  it("a non-numeric value names the line and the column", async () => {
    const r = await cli("forecast", monthlyCsv("c.csv", (rows) => { rows[9]![1] = "twelve"; }), "--target", "sales", "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/line 11/);
    expect(r.err).toMatch(/sales/);
    expect(r.err).toContain("twelve");
  });

  it("too few rows for lookback + horizon says how many are needed", async () => {
    const r = await cli("forecast", monthlyCsv("d.csv", (rows) => rows.splice(20)), "--target", "sales", "--lookback", "12", "--horizon", "6", "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/the series has 20 points, too few for lookback 12 \+ horizon 6 with a test span of 6: at least 31 points are needed/);
  });

  it("duplicate timestamps name the date and both lines", async () => {
    const r = await cli("forecast", monthlyCsv("e.csv", (rows) => { rows[3]![0] = rows[2]![0]!; }), "--target", "sales", "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/duplicate date 2010-03-01 on lines 4 and 5/);
  });

  it("a --where that matches nothing lists the values the column holds", async () => {
    const r = await cli("forecast", monthlyCsv("f.csv"), "--target", "sales", "--where", "region=east", "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no row has region = "east"; region holds: south, north/);
  });

  it("an --out directory holding another run's files is not overwritten without --force", async () => {
    const out = join(dir, "taken");
    mkdirSync(out);
    writeFileSync(join(out, "forecast.csv"), "date,forecast\nkeep,me\n");
    const r = await cli("forecast", monthlyCsv("g.csv"), "--target", "sales", "--out", out, "--quiet", "--epochs", "1");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out .*taken already holds files \(forecast\.csv\).*--force/);
    expect(readFileSync(join(out, "forecast.csv"), "utf8")).toBe("date,forecast\nkeep,me\n");
  });

  it("an unknown --freq is refused by the parser with the choices", async () => {
    const r = await cli("forecast", monthlyCsv("h.csv"), "--freq", "fortnight");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Allowed choices are day, week, month, quarter, year/);
  });

  it("a missing file names the path", async () => {
    const r = await cli("forecast", join(dir, "nope.csv"), "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toContain("nope.csv");
  });
});

describe("forecast --json and --out", () => {
  it("prints the documented JSON document and nothing else on stdout", async () => {
    const H = 6, N = 18;
    const r = await cli("forecast", monthlyCsv("j.csv"), "--target", "sales", "--where", "region!=none",
      "--horizon", String(H), "--test-size", String(N), "--epochs", "3", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, unknown> & {
      rolling: number[][]; oneShot: number[]; future: Record<string, number | string>[]; metrics: Record<string, Record<string, number>>;
      intervals: { method: string; origins: number; halfWidth: Record<string, number[]>; exact: Record<string, boolean>; coverage: { level: number; coverage: number | null; scored: number; skipped: number }[] };
    };
    expect(Object.keys(doc)).toEqual(["target", "horizon", "lookback", "season", "model", "transform", "oneShot", "rolling", "future", "metrics", "intervals"]);
    expect(doc.target).toBe("sales");
    expect(doc.horizon).toBe(H);
    expect(doc.season).toBe(12);
    expect(doc.oneShot).toHaveLength(H);
    expect(doc.rolling).toHaveLength(N - H + 1); // origins: last train point, +1, ..., n-1-H
    expect(doc.rolling[0]).toEqual(doc.oneShot);
    expect(doc.future).toHaveLength(H);
    expect(doc.future[0]!.date).toBe("2018-01");
    expect(Object.keys(doc.future[0]!)).toEqual(["date", "value", "lo80", "hi80", "lo95", "hi95"]);
    for (const f of doc.future) expect((f.hi95 as number) - (f.value as number)).toBeGreaterThanOrEqual((f.hi80 as number) - (f.value as number));
    expect(Object.keys(doc.metrics)).toEqual(["model", "naive", "seasonalNaive", "drift", "ses", "holt", "damped", "ets", "theta", "comb"]);
    expect(doc.intervals.method).toBe("split-conformal");
    expect(doc.intervals.origins).toBe(N - H + 1);
    expect(doc.intervals.halfWidth["80"]).toHaveLength(H);
    // 13 origins: too few for a 95 % quantile per step, but the pool of all steps' 78 errors is enough
    expect(doc.intervals.exact).toEqual({ "80": true, "95": true });
    expect(doc.intervals.coverage.map((c) => c.level)).toEqual([80, 95]);
    expect(doc.intervals.coverage[0]!.scored + doc.intervals.coverage[0]!.skipped).toBe((N - H + 1) * H);
    for (const m of Object.values(doc.metrics)) {
      expect(Object.keys(m).sort()).toEqual(["mae", "mase", "rmse", "smape"]);
      for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it("--out writes forecast.csv, metrics.json, the model and report.html", async () => {
    const out = join(dir, "run1");
    const r = await cli("forecast", monthlyCsv("k.csv"), "--target", "sales", "--horizon", "4", "--epochs", "2", "--out", out, "--quiet");
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["forecast.csv", "metrics.json", "model", "report.html"]);
    const csv = readFileSync(join(out, "forecast.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("date,forecast,lo80,hi80,lo95,hi95");
    expect(csv).toHaveLength(5);
    for (const line of csv.slice(1)) {
      const [, f, lo80, hi80, lo95, hi95] = line.split(",").map(Number);
      expect(lo95! <= lo80! && lo80! <= f! && f! <= hi80! && hi80! <= hi95!).toBe(true);
    }
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as { horizon: number; freq: string; metrics: Record<string, unknown>; intervals: { coverage: unknown[] } };
    expect(Object.keys(metrics.metrics)).toContain("ets");
    expect(metrics.intervals.coverage).toHaveLength(2);
    expect(metrics.horizon).toBe(4);
    expect(metrics.freq).toBe("month");
    expect(existsSync(join(out, "model", "forecaster.json"))).toBe(true);
    expect(readdirSync(join(out, "model")).sort()).toEqual(["forecaster.json", "network-1", "network-2", "network-3", "network-4"]);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html.slice(0, 15).toLowerCase()).toBe("<!doctype html>");
    expect(html).toContain('id="chart-test"');
    expect(html).toContain('id="interval-coverage"');
    expect(html).toContain('data-method="comb"');
    // a second run into the same directory needs --force, and then succeeds
    expect((await cli("forecast", monthlyCsv("k.csv"), "--target", "sales", "--horizon", "4", "--epochs", "1", "--out", out, "--quiet")).code).toBe(2);
    expect((await cli("forecast", monthlyCsv("k.csv"), "--target", "sales", "--horizon", "4", "--epochs", "1", "--out", out, "--quiet", "--force")).code).toBe(0);
  });

  it("prints a metrics table, an ASCII chart and the future in a terminal run", async () => {
    const r = await cli("forecast", monthlyCsv("l.csv"), "--target", "sales", "--horizon", "3", "--epochs", "2");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/seasonal naive/);
    expect(r.out).toMatch(/MASE/);
    for (const m of ["SES", "Holt", "damped Holt", "ETS \\(auto\\)", "Theta", "Comb \\(M4\\)"]) expect(r.out).toMatch(new RegExp(`│ ${m} `));
    expect(r.out).toMatch(/Interval coverage in the backtest \(split-conformal, calibrated on earlier origins only\): 80 %: /);
    expect(r.out).toMatch(/actual .*predicted/);
    expect(r.out).toMatch(/2018-03 /);
  });

  it("--help lists every option with examples", async () => {
    const r = await cli("forecast", "--help");
    expect(r.code).toBe(0);
    for (const o of ["--date", "--target", "--where", "--freq", "--agg", "--lookback", "--horizon", "--test-size", "--season", "--model", "--epochs", "--seed", "--out", "--json"]) {
      expect(r.out).toContain(o);
    }
    expect(r.out).toContain("Examples:");
  });
});

describe("train, evaluate, predict, summary from a config file", () => {
  it("round-trips a run directory", async () => {
    const csv = monthlyCsv("m.csv");
    const config = join(dir, "cfg.json");
    writeFileSync(config, JSON.stringify({
      data: { csv: "m.csv", target: "sales", lookback: 12, horizon: 3, testSize: 15 },
      model: { seed: 3, layers: [{ type: "lstm", units: 8 }, { type: "dense", units: 3 }] },
      compile: { optimizer: { type: "adam", learningRate: 0.01 }, loss: "mse" },
      fit: { epochs: 5, batchSize: 16, patience: 5 },
    }));
    void csv;
    const out = join(dir, "trained");
    const t = await cli("train", config, "--out", out, "--quiet");
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/seasonal naive/);
    expect(existsSync(join(out, "run.json"))).toBe(true);

    expect(t.out).toContain(join(out, "report.html"));
    const html = readFileSync(join(out, "report.html"), "utf8");
    for (const id of ["history", "predictions", "gates", "metrics", "model-summary"]) expect(html).toContain(`id="${id}"`);

    rmSync(join(out, "report.html"));
    const e = await cli("evaluate", out, "--json");
    expect(e.code).toBe(0);
    expect(existsSync(join(out, "report.html"))).toBe(true);

    const svg = join(dir, "gates.svg");
    const g = await cli("inspect", out, "--sample", "0", "--svg", svg);
    expect(g.code).toBe(0);
    expect(g.out).toMatch(/^lstm \(LSTM\), window 0 of \d+: 2010-01 to 2010-12/);
    for (const panel of ["input gate", "forget gate", "output gate", "cell state", "hidden state"]) expect(g.out.toLowerCase()).toContain(panel);
    expect(readFileSync(svg, "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const notRecurrent = await cli("inspect", out, "--layer", "dense");
    expect(notRecurrent.code).toBe(2);
    expect(notRecurrent.err).toMatch(/layer "dense" is a Dense; choose an LSTM or GRU layer \(lstm\)/);
    const m = JSON.parse(e.out) as Record<string, { mae: number }>;
    expect(Object.keys(m)).toEqual(["model", "naive", "seasonalNaive", "drift"]);
    // The run is scored by the forecaster's rolling-origin backtest: same origins, same baselines.
    const values = loadSeries(join(dir, "m.csv"), { target: "sales" }).values;
    const shared = scoreBacktest(values, rollingOrigin(values, () => [0, 0, 0], { horizon: 3, testSize: 15 }), 3, 12).metrics;
    for (const k of ["naive", "seasonalNaive", "drift"] as const) expect(m[k]).toEqual(shared[k]);

    const p = await cli("predict", out, "--json");
    expect(p.code).toBe(0);
    const f = JSON.parse(p.out) as { date: string; value: number }[];
    expect(f.map((x) => x.date)).toEqual(["2018-01", "2018-02", "2018-03"]);

    const s1 = await cli("summary", out);
    const s2 = await cli("summary", config);
    expect(s1.out).toContain("lstm (LSTM)");
    expect(s1.out.replace(/\s+/g, " ")).toContain(s2.out.replace(/\s+/g, " ").split("Total params")[1]!.trim().split(" ")[0]!);

    const bad = await cli("evaluate", dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/not a run directory: no run\.json/);
  });

  it("a model whose output does not fit the horizon is refused with both shapes", async () => {
    monthlyCsv("n.csv");
    const config = join(dir, "cfg2.json");
    writeFileSync(config, JSON.stringify({
      data: { csv: "n.csv", target: "sales", lookback: 12, horizon: 3 },
      model: { layers: [{ type: "lstm", units: 4 }, { type: "dense", units: 1 }] },
    }));
    const r = await cli("train", config, "--out", join(dir, "t2"), "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/outputs \[null, 1\] per sample but the horizon is 3/);
  });
});

describe("--backend and --threads", () => {
  it("set the defaults every model of the command uses, before or after the command's name", async () => {
    const { setDefaultBackend, getBackend } = await import("../../src/backend/index.js");
    const { setDefaultThreads, getDefaultThreads } = await import("../../src/models/parallel.js");
    try {
      const csv = monthlyCsv("backend.csv");
      const a = await cli("--backend", "js", "forecast", csv, "--epochs", "2", "--json", "--quiet", "--threads", "1");
      expect(a.code).toBe(0);
      expect(getBackend().name).toBe("js");
      expect(getDefaultThreads()).toBe(1);
      expect(JSON.parse(a.out).oneShot.length).toBeGreaterThan(0);
    } finally {
      setDefaultBackend((process.env.RECURRENT_BACKEND as "js" | "wasm" | undefined) ?? "auto");
      setDefaultThreads("auto");
    }
  });

  it("--seed takes a non-negative integer only", async () => {
    for (const bad of ["abc", "1.5", "-3", "7x"]) {
      const r = await cli("forecast", "--seed", bad, "--json");
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--seed must be a non-negative integer, got "${bad}"`);
    }
  });

  it("refuse values they do not know", async () => {
    const b = await cli("--backend", "gpu", "summary", "x.json");
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--backend <name>' argument 'gpu' is invalid. Allowed choices are auto, wasm, js/);
    const t = await cli("forecast", "--threads", "two");
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/--threads must be a positive integer or "auto", got "two"/);
  });
});
