// `recurrent anomalies`: the bundled example (Seattle temperatures with injected spikes and level
// shifts) prints precision, recall, F1 and the threshold and writes anomalies.csv, anomalies.svg and
// metrics.json; a CSV with a label column is scored against it; bad input exits 2 with one line.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSeries, bundledDataPath, injectAnomalies, detectionMetrics } from "../../src/forecast/index.js";
import { cli } from "./helpers.js";
import { main as anomalyExample } from "../../examples/anomaly.js";

let dir: string;
let labelled: string;
let labels: Uint8Array;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "recurrent-anomalies-"));
  // 500 days of Seattle temperatures with 8 spikes, and their labels as a column.
  const s = loadSeries(bundledDataPath("weather.csv"), { date: "date", target: "median(temp_max,temp_min)", where: ["location=Seattle"] });
  const inj = injectAnomalies(s.values.subarray(0, 500), { spikes: 8, from: 14, seed: 4 });
  labels = inj.labels;
  const rows = ["day,temp,is_anomaly"];
  for (let i = 0; i < 500; i++) rows.push(`${new Date(s.dates[i]!).toISOString().slice(0, 10)},${inj.values[i]!.toFixed(3)},${inj.labels[i]}`);
  labelled = join(dir, "labelled.csv");
  writeFileSync(labelled, rows.join("\n") + "\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("recurrent anomalies", () => {
  it("with no CSV: the bundled Seattle temperatures with injected anomalies, scored, charted and written to --out", async () => {
    const out = join(dir, "run");
    const r = await cli("anomalies", "--out", out);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("No CSV given: daily Seattle temperatures");
    expect(r.out).toMatch(/injected 12 spike\(s\) of ±6 and 3 level shift\(s\) of ±5 × 7 points/);
    expect(r.out).toMatch(/Threshold \(mad\): \|residual [−+] [\d.]+\| > 3\.5 × [\d.]+/);
    expect(r.out).toMatch(/every scored point\s+precision\s+[\d.]+ %\s+recall\s+[\d.]+ %\s+F1 [\d.]+/);
    expect(r.out).toContain("X flagged");
    const m = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as {
      points: number; metrics: { precision: number; recall: number; f1: number; tp: number; fp: number };
      threshold: { rule: string; k: number; lower: number; upper: number }; flagged: { date: string; label: number }[];
      injected: { events: { kind: string; start: number }[] };
    };
    expect(m.points).toBe(1461);
    // measured: precision 0.65, recall 0.788 (as the library test, same seeds)
    expect(m.metrics.precision).toBeGreaterThan(0.5);
    expect(m.metrics.recall).toBeGreaterThan(0.6);
    expect(m.threshold).toMatchObject({ rule: "mad", k: 3.5 });
    expect(m.injected.events.length).toBe(15);
    expect(m.flagged.length).toBe(m.metrics.tp + m.metrics.fp);
    const csv = readFileSync(join(out, "anomalies.csv"), "utf8").trimEnd().split("\n");
    expect(csv[0]).toBe("date,value,forecast,residual,score,flag,label");
    expect(csv.length).toBe(1462);
    expect(csv.filter((l) => l.split(",")[5] === "1").length).toBe(m.flagged.length);
    const svg = readFileSync(join(out, "anomalies.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("flagged_marks");
    // a second run into the same directory is refused without --force
    const again = await cli("anomalies", "--out", out, "--quiet");
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already holds files/);
  }, 60_000);

  it("scores a CSV against its label column, as JSON", async () => {
    const r = await cli("anomalies", labelled, "--target", "temp", "--labels", "is_anomaly", "--lookback", "7", "--epochs", "30", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { metrics: { precision: number; recall: number; tp: number; fp: number; fn: number }; flagged: { index: number; label: number }[]; lookback: number };
    expect(doc.lookback).toBe(7);
    const flags = new Array<boolean>(500).fill(false);
    for (const f of doc.flagged) flags[f.index] = true;
    const m = detectionMetrics(flags, labels, 7);
    expect(doc.metrics).toMatchObject({ tp: m.tp, fp: m.fp, fn: m.fn });
    expect(doc.flagged.every((f) => f.label === labels[f.index])).toBe(true);
    expect(doc.metrics.recall).toBeGreaterThan(0.6);
    // a missing day is imputed in both columns (the label by interpolation, 0.5 and up an anomaly)
    const gap = join(dir, "gap.csv");
    const rows = readFileSync(labelled, "utf8").split("\n");
    rows.splice(101, 1);
    writeFileSync(gap, rows.join("\n"));
    const g = await cli("anomalies", gap, "--target", "temp", "--labels", "is_anomaly", "--lookback", "7", "--epochs", "5", "--json");
    expect(g.code).toBe(0);
    expect((JSON.parse(g.out) as { points: number }).points).toBe(500);
  }, 60_000);

  it("bad input exits 2 with one clear line", async () => {
    const k0 = await cli("anomalies", "--k", "0");
    expect(k0.code).toBe(2);
    expect(k0.err).toMatch(/--k must be a positive number, got "0"/);
    const both = await cli("anomalies", labelled, "--target", "temp", "--labels", "is_anomaly", "--inject", "spikes:3");
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--labels and --inject cannot be combined/);
    const inj = await cli("anomalies", "--inject", "spike:3");
    expect(inj.code).toBe(2);
    expect(inj.err).toMatch(/--inject takes kind:count pairs such as spikes:12,shifts:3 \(kinds: spikes, shifts\); got "spike:3"/);
    const missing = await cli("anomalies", labelled, "--target", "temp", "--labels", "flag");
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no column "flag"; available: day, temp, is_anomaly/);
    const bad = join(dir, "bad-labels.csv");
    writeFileSync(bad, readFileSync(labelled, "utf8").replace(/,0\n/, ",2\n"));
    const two = await cli("anomalies", bad, "--target", "temp", "--labels", "is_anomaly");
    expect(two.code).toBe(2);
    expect(two.err).toMatch(/--labels is_anomaly: the value at \d{4}-\d\d-\d\d is 2; labels must be 0 \(normal\) or 1 \(anomaly\)/);
    const short = join(dir, "short.csv");
    writeFileSync(short, readFileSync(labelled, "utf8").split("\n").slice(0, 60).join("\n") + "\n");
    const s = await cli("anomalies", short, "--target", "temp");
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/the series has 59 points, too few for lookback 14: at least 78 are needed/);
    const q = await cli("anomalies", "--k", "3", "--quantile", "0.99");
    expect(q.code).toBe(2);
    expect(q.err).toMatch(/--k and --quantile are two threshold rules; give one/);
    for (const e of [k0, both, inj, missing, two, s, q]) expect(e.err.trim().split("\n").length).toBeLessThanOrEqual(2);
  });

  it("npm run example:anomaly (--quick): prints the table and writes anomalies.csv and anomalies.svg", async () => {
    const lines: string[] = [];
    const out = join(dir, "example");
    const r = await anomalyExample(["--quick", "--verbose", "0", "--out", out], (s) => lines.push(s));
    const text = lines.join("\n");
    expect(text).toMatch(/threshold: \|residual [−+] [\d.]+\| > 3\.5 × [\d.]+ °C, i\.e\. the day is below forecast − [\d.]+ or above forecast \+ [\d.]+ °C/);
    expect(text).toMatch(/detector\s+precision\s+recall\s+F1/);
    expect(text).toContain("tomorrow = today, k = 3.5");
    expect(r.points).toBe(1461);
    expect(r.injected).toBe(15);
    expect(readFileSync(join(out, "anomalies.csv"), "utf8").split("\n")[0]).toBe("date,value,forecast,residual,score,flag,label");
    expect(readFileSync(join(out, "anomalies.svg"), "utf8")).toContain("flagged_marks");
  }, 60_000);
});
