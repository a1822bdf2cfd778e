import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyTransform, inverseTransform, invertForecast, guerreroLambda, guerreroCv, boxCox, invBoxCox,
  fitSeriesTransform, autoCandidates, checkTransformChoice, transformLabel, TRANSFORMS,
} from "../../src/forecast/transforms.js";
import { forecast } from "../../src/forecast/forecaster.js";
import { loadForecaster } from "../../src/forecast/saved.js";
import { loadSuite } from "../../src/forecast/stats/index.js";
import { ibmMonthly, synthetic } from "./fixtures.js";
import { cli } from "../cli/helpers.js";

const suite = loadSuite("data/suite");
const air = suite.find((s) => s.name === "airpassengers")!;
const ukgas = suite.find((s) => s.name === "ukgas")!;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("transforms: round trips on real data", () => {
  const cases: { series: string; values: Float64Array; season: number }[] = [
    { series: "airpassengers", values: Float64Array.from(air.values), season: 12 },
    { series: "ukgas", values: Float64Array.from(ukgas.values), season: 4 },
    { series: "IBM", values: Float64Array.from(ibmMonthly().values), season: 12 },
  ];
  for (const c of cases) {
    for (const name of TRANSFORMS) {
      it(`${name} then its inverse is the identity to 1e-9 on ${c.series}`, () => {
        const t = fitSeriesTransform(name, c.values, c.season);
        const z = applyTransform(t, c.values);
        const lag = t.lag ?? 0;
        expect(z.length).toBe(c.values.length - (name === "diff" || name === "sdiff" ? lag : 0));
        const back = inverseTransform(t, z, name === "diff" || name === "sdiff" ? c.values.slice(0, lag) : []);
        let worst = 0;
        for (let i = 0; i < c.values.length; i++) worst = Math.max(worst, Math.abs(back[i]! - c.values[i]!) / Math.abs(c.values[i]!));
        expect(worst).toBeLessThan(1e-9);
        if (name !== "none") expect(z.some((v, i) => Math.abs(v - c.values[i]!) > 1e-6)).toBe(true); // it did something
      });
    }
  }

  it("invertForecast continues the history: the true future's transform maps back to the true future", () => {
    const y = Float64Array.from(air.values);
    const n = 120;
    const H = 18;
    for (const name of TRANSFORMS) {
      const t = fitSeriesTransform(name, y.subarray(0, n), 12);
      const zAll = applyTransform(t, y.subarray(0, n + H));
      const lag = name === "diff" ? 1 : name === "sdiff" ? 12 : 0;
      // z of the future steps n … n+H−1 sit at z indices n−lag … n+H−1−lag.
      const zf = Array.from(zAll.subarray(n - lag, n - lag + H));
      const back = invertForecast(t, y.subarray(0, n), zf);
      back.forEach((v, h) => expect(Math.abs(v - y[n + h]!)).toBeLessThan(1e-9 * y[n + h]!));
    }
  });
});

describe("Box-Cox λ by Guerrero's method", () => {
  it("AirPassengers: λ near R forecast's BoxCox.lambda (−0.2947), and the minimum of the CV", () => {
    const lambda = guerreroLambda(air.values, 12);
    // R 4.x, forecast 8.x: BoxCox.lambda(AirPassengers) = -0.2947156 (optimize's tolerance ~1e-4).
    expect(Math.abs(lambda - -0.2947)).toBeLessThan(2e-3);
    const cv = guerreroCv(air.values, lambda, 12);
    for (const d of [-0.05, 0.05]) expect(guerreroCv(air.values, lambda + d, 12)).toBeGreaterThan(cv);
  });

  it("recovers the power that stabilises a synthetic series' variance", () => {
    // y = level^(1/0.5)-shaped: noise proportional to sqrt(level) means λ ≈ 0.5.
    let s = 1;
    const y = Array.from({ length: 240 }, (_, t) => {
      const level = 20 + 2 * t;
      s = (s * 16807) % 2147483647;
      const u = (s / 2147483647 - 0.5) * 2;
      return level + 1.5 * Math.sqrt(level) * u;
    });
    const lambda = guerreroLambda(y, 12);
    expect(lambda).toBeGreaterThan(0.2);
    expect(lambda).toBeLessThan(0.8);
  });

  it("boxCox and invBoxCox are inverses, log at λ = 0, and the inverse stays finite out of range", () => {
    for (const l of [-0.5, 0, 0.3, 1, 1.7]) for (const y of [0.01, 1, 7.5, 1e4]) expect(invBoxCox(boxCox(y, l), l)).toBeCloseTo(y, 9);
    expect(boxCox(Math.E, 0)).toBeCloseTo(1, 12);
    expect(Number.isFinite(invBoxCox(10, -0.5))).toBe(true);
  });

  it("refuses non-positive values and names the value", () => {
    expect(() => guerreroLambda([1, 2, 0, 4, 5, 6], 2)).toThrow(/positive, but value 2 is 0/);
    expect(() => fitSeriesTransform("log", [3, -1, 2], 1)).toThrow(/log needs positive values \(value 1 is -1\)/);
    expect(() => applyTransform({ name: "log", lambda: 0 }, [1, 0])).toThrow(/value 1 is 0.*--transform none or diff/);
  });
});

describe("transform choices", () => {
  it("an unknown --transform names the valid ones", () => {
    expect(() => checkTransformChoice("sqrt")).toThrow(/unknown transform "sqrt"; choose one of auto, none, log, boxcox, diff, sdiff/);
    expect(checkTransformChoice("auto")).toBe("auto");
  });

  it("auto's candidates: log and boxcox only for positive series, boxcox only when λ is away from 0 and 1", () => {
    expect(autoCandidates(air.values, 12).map(transformLabel)).toEqual(["none", "log", "boxcox(λ=-0.295)", "diff"]);
    const negative = Array.from(air.values, (v) => v - 300);
    expect(autoCandidates(negative, 12).map((t) => t.name)).toEqual(["none", "diff"]);
  });
});

describe("forecast() with transforms", () => {
  it("auto chooses by the validation MASE (the lowest) and the saved forecaster reproduces the forecast through `recurrent predict`", async () => {
    // Exponential growth with a multiplicative season: the log scale makes it additive.
    const s = synthetic(96, { trend: 0, amplitude: 0, noise: 0, seed: 3 });
    const values = s.values.map((_, t) => 50 * Math.exp(0.03 * t) * (1 + 0.25 * Math.sin((2 * Math.PI * t) / 12)) * (1 + 0.01 * Math.sin(7 * t)));
    const r = await forecast({ ...s, values }, { horizon: 6, epochs: 30, ensemble: 2, seed: 5, transform: "auto", model: "lstm" });
    const sel = r.transformSelection!;
    // λ of an exponential series is near 0: boxcox would repeat log, so it is not a candidate.
    expect(Math.abs(guerreroLambda(values.slice(0, 72), 12))).toBeLessThan(0.1);
    expect(sel.map((c) => c.transform)).toEqual(["none", "log", "diff"]);
    const scored = sel.filter((c) => c.mase !== null);
    const best = scored.reduce((a, c) => (c.mase! < a.mase! ? c : a));
    expect(r.transform).toBe(best.transform);
    expect(r.notes.some((n) => n.includes(`transform ${r.transform}, chosen on the training span's validation origins`))).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), "rec-transform-"));
    dirs.push(dir);
    await r.forecaster.save(dir);
    const file = JSON.parse(readFileSync(join(dir, "forecaster.json"), "utf8"));
    if (r.transform !== "none") expect(file.transform.name).toBe(r.transform.replace(/\(.*/, ""));
    const loaded = await loadForecaster(dir);
    expect(loaded.predict()).toEqual(r.future);
  }, 60_000);

  it("diff forecasts a pure trend exactly where none must extrapolate, and is saved, loaded and reproduced", async () => {
    const s = synthetic(80, { trend: 1, amplitude: 0, noise: 0.01, seed: 2 });
    const r = await forecast(s, { horizon: 6, epochs: 40, ensemble: 2, transform: "diff", seed: 1, model: "lstm" });
    expect(r.transform).toBe("diff");
    expect(r.transformSelection).toBeUndefined();
    // Differences of a line are constant: the forecast continues the line to within a few noise sds.
    const last = s.values[s.values.length - 1] as number;
    r.future.forEach((f, h) => expect(Math.abs(f.value - (last + (h + 1)))).toBeLessThan(0.35));
    const dir = mkdtempSync(join(tmpdir(), "rec-diff-"));
    dirs.push(dir);
    await r.forecaster.save(dir);
    const loaded = await loadForecaster(dir);
    expect(loaded.predict()).toEqual(r.future);
    expect(JSON.parse(readFileSync(join(dir, "forecaster.json"), "utf8")).transform).toEqual({ name: "diff", lag: 1 });
  }, 60_000);

  it("the CLI: --transform log is printed in the --json document and `recurrent predict DIR` gives forecast.csv byte for byte", async () => {
    const out = mkdtempSync(join(tmpdir(), "rec-cli-transform-"));
    dirs.push(out);
    const run = join(out, "run");
    const csv = join(out, "air.csv");
    writeFileSync(csv, "date,value\n" + air.dates.map((d, i) => `${d},${air.values[i]}`).join("\n") + "\n");
    const f = await cli("forecast", csv, "--model", "lstm", "--transform", "log", "--epochs", "20", "--horizon", "12", "--json", "--quiet", "--out", run);
    expect(f.code).toBe(0);
    const doc = JSON.parse(f.out);
    expect(doc.transform).toBe("log");
    expect(JSON.parse(readFileSync(join(run, "model", "forecaster.json"), "utf8")).transform).toEqual({ name: "log", lambda: 0 });
    const p = await cli("predict", run);
    expect(p.code).toBe(0);
    expect(p.out).toBe(readFileSync(join(run, "forecast.csv"), "utf8"));
    const bad = await cli("forecast", csv, "--transform", "sqrt");
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--transform.*sqrt.*auto, none, log, boxcox, diff, sdiff/s);
  }, 120_000);

  it("a config file's data.transform (log, boxcox) is fitted on the training span, saved in run.json and undone by evaluate and predict", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rec-config-transform-"));
    dirs.push(dir);
    writeFileSync(join(dir, "air.csv"), "date,value\n" + air.dates.map((d, i) => `${d},${air.values[i]}`).join("\n") + "\n");
    const config = (transform: string) => ({
      data: { csv: "air.csv", target: "value", lookback: 12, horizon: 6, transform },
      model: { seed: 1, layers: [{ type: "lstm", units: 8 }, { type: "dense", units: 6 }] },
      fit: { epochs: 30, batchSize: 16 },
    });
    writeFileSync(join(dir, "boxcox.json"), JSON.stringify(config("boxcox")));
    const run = join(dir, "run");
    const t = await cli("train", join(dir, "boxcox.json"), "--out", run, "--quiet");
    expect(t.code).toBe(0);
    const saved = JSON.parse(readFileSync(join(run, "run.json"), "utf8"));
    expect(saved.transform.name).toBe("boxcox");
    // λ from the training span only (the first 115 of 144 months), not the whole series.
    expect(saved.transform.lambda).toBeCloseTo(guerreroLambda(air.values.slice(0, saved.trainEnd), 12), 9);
    const p = await cli("predict", run);
    expect(p.code).toBe(0);
    const values = p.out.trim().split("\n").slice(1).map((l) => Number(l.split(",")[1]));
    expect(values).toHaveLength(6);
    // In the data's units (hundreds of passengers), not the transformed or scaled ones.
    values.forEach((v) => expect(v).toBeGreaterThan(200));
    const e = await cli("evaluate", run, "--json");
    expect(e.code).toBe(0);
    // Errors in passengers: a forecast left on the Box-Cox or scaled scale would miss by ~450.
    expect(JSON.parse(e.out).model.mae).toBeLessThan(150);
    writeFileSync(join(dir, "diff.json"), JSON.stringify(config("diff")));
    const bad = await cli("train", join(dir, "diff.json"), "--out", join(dir, "run2"), "--quiet");
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/data\.transform/);
  }, 120_000);
});
