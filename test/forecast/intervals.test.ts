// Split-conformal intervals from the backtest's errors: the finite-sample rank, the per-step
// widths, coverage measured with earlier origins' errors only, and forecast()'s intervals, saved
// with the forecaster and reproduced after loading.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  conformalRank, conformalQuantile, conformalHalfWidths, calibrateIntervals, backtestCoverage, backtestErrors, conformalIntervals, withIntervals,
} from "../../src/forecast/intervals.js";
import { forecast, loadForecaster, futureCsv, type ForecastResult } from "../../src/forecast/index.js";
import { DataError, ModelFormatError } from "../../src/tensor/errors.js";
import { Rng } from "../../src/tensor/rng.js";
import { synthetic } from "./fixtures.js";
import { writeFileSync } from "node:fs";

describe("conformal rank and quantile", () => {
  it("k = ⌈(n+1)·level⌉, exact only when k ≤ n", () => {
    expect(conformalRank(30, 0.8)).toEqual({ k: 25, exact: true });
    expect(conformalRank(30, 0.95)).toEqual({ k: 30, exact: true });
    expect(conformalRank(19, 0.95)).toEqual({ k: 19, exact: true });
    expect(conformalRank(18, 0.95)).toEqual({ k: 18, exact: false });
    expect(conformalRank(4, 0.8)).toEqual({ k: 4, exact: true });
    expect(conformalRank(3, 0.8)).toEqual({ k: 3, exact: false });
    expect(conformalRank(99, 0.8)).toEqual({ k: 80, exact: true });
    expect(() => conformalRank(0, 0.8)).toThrow(DataError);
    expect(() => conformalRank(5, 1)).toThrow(DataError);
  });

  it("takes the k-th smallest error, or the largest when too few", () => {
    expect(conformalQuantile([5, 1, 4, 2, 3, 9, 7, 8, 6, 10], 0.8)).toEqual({ q: 9, exact: true }); // k = ⌈8.8⌉
    expect(conformalQuantile([3, 1, 2], 0.95)).toEqual({ q: 3, exact: false });
  });
});

describe("calibrateIntervals and backtestCoverage", () => {
  it("per-step widths from every origin's |error| at that step", () => {
    // 10 origins, 2 steps: step 1 errors ±1..±10, step 2 errors 10× those.
    const errors = Array.from({ length: 10 }, (_, i) => [(i % 2 ? -1 : 1) * (i + 1), -10 * (i + 1)]);
    const w = calibrateIntervals(errors);
    expect(w.origins).toBe(10);
    // 80 %: each step's own k = ⌈11·0.8⌉ = 9th error: 9 and 90. The pool divides step h's errors
    // by h: 1…10 and 5…50, 20 scores, k = ⌈21·0.8⌉ = 17th = 35, so 35 and 70. The wider wins.
    expect(w.halfWidth["80"]).toEqual([35, 90]);
    // 95 %: k = 11 > 10 at each step; the pool's k = 20 (the largest, 50) alone: 50 and 100.
    expect(w.halfWidth["95"]).toEqual([50, 100]);
    expect(w.exact).toEqual({ "80": true, "95": true });
    expect(w.pooled).toEqual({ "80": true, "95": true });
    expect(withIntervals([{ date: "a", value: 1 }, { date: "b", value: 2 }], w)).toEqual([
      { date: "a", value: 1, lo80: -34, hi80: 36, lo95: -49, hi95: 51 },
      { date: "b", value: 2, lo80: -88, hi80: 92, lo95: -98, hi95: 102 },
    ]);
    expect(() => withIntervals([{ value: 1 }], w)).toThrow(DataError);
  });

  it("pools the steps' errors, scaled by h, when the origins are too few; the largest only when the pool is too small", () => {
    // One origin, 8 steps: 8 pooled scores; 80 % needs k = ⌈9·0.8⌉ = 8 ≤ 8, 95 % k = 9 > 8.
    const one = [[1, -2, 3, -4, 5, -6, 7, -8]];
    const w = calibrateIntervals(one);
    const scores = one[0]!.map((e, h) => Math.abs(e) / (h + 1));
    const top = Math.max(...scores);
    w.halfWidth["80"].forEach((q, h) => expect(q).toBeCloseTo(top * (h + 1), 12));
    expect(w.exact).toEqual({ "80": true, "95": false });
    // 95 %: neither has enough: the wider largest error, here the step's own (= the pool's, scaled)
    expect(w.pooled).toEqual({ "80": true, "95": false });
    w.halfWidth["95"].forEach((q, h) => expect(q).toBeCloseTo(h + 1, 12));
    // A step whose own quantile is at least the pool's keeps it.
    const many = Array.from({ length: 5 }, (_, i) => [i + 1, 2 * (i + 1)]);
    const m = calibrateIntervals(many);
    expect(m.halfWidth["80"]).toEqual([5, 10]); // own k = ⌈6·0.8⌉ = 5: 5 and 10; the pool's 9th of 10 scaled: 5
    expect(m.pooled!["80"]).toBe(false);
    // A lucky step (small errors) is widened to the pool's.
    const lucky = calibrateIntervals(Array.from({ length: 5 }, (_, i) => [0.1 * (i + 1), 2 * (i + 1)]));
    // pool: 0.1…0.5 and (2…10)/2 = 1…5; its 9th of 10 is 4, against step 1's own 0.5
    expect(lucky.halfWidth["80"][0]).toBeCloseTo(4, 12);
    expect(conformalHalfWidths([[], []], 0.8)).toBeNull();
    expect(conformalHalfWidths([[2], []], 0.5)).toEqual({ widths: [2, 4], exact: true, pooled: true });
  });

  it("keeps the 95 % interval around the 80 % one when they come from different sets", () => {
    // Step 1: errors 1, 1, 1, 1, 50; steps 2–8: 0. 80 % at step 1 is its own 5th error, 50; 95 %
    // has too few of its own and the pool of 40 gives its 39th, 1 — so it is raised to 50.
    const errors = [1, 1, 1, 1, 50].map((e) => [e, 0, 0, 0, 0, 0, 0, 0]);
    const w = calibrateIntervals(errors);
    expect(w.halfWidth["80"][0]).toBe(50);
    expect(w.halfWidth["95"][0]).toBe(50);
    w.halfWidth["95"].forEach((q, h) => expect(q).toBeGreaterThanOrEqual(w.halfWidth["80"][h]!));
  });

  it("backtestErrors is actual − forecast at origin + 1 + h", () => {
    expect(backtestErrors([0, 1, 2, 3, 4], [1, 2], [[2.5, 2], [3, 5]])).toEqual([[-0.5, 1], [0, -1]]);
    expect(() => backtestErrors([0, 1, 2], [1], [[0, 0, 0]])).toThrow(DataError);
  });

  it("scores a pair only with errors its origin had observed, enough of them for the guarantee", () => {
    const errors = Array.from({ length: 30 }, () => Array.from({ length: 13 }, () => 1));
    const [c80, c95] = backtestCoverage(errors);
    // At origin i, step h (0-based) sees the errors of origins 0 … i − h − 1: i − h of them; a
    // step with too few pools all steps' seen errors, Σ_h max(0, i − h) of them. 80 % needs 4
    // (⌈5·0.8⌉ = 4): the pool has 3 at i = 2, 6 at i = 3; 95 % needs 19: 15 at i = 5, 21 at i = 6.
    const pairs = (own: number, firstPooled: number) => {
      let k = 0;
      for (let i = 0; i < 30; i++) for (let h = 0; h < 13; h++) if (i - h >= own || i >= firstPooled) k++;
      return k;
    };
    expect(c80).toMatchObject({ level: 80, scored: pairs(4, 3), skipped: 390 - pairs(4, 3) });
    expect(c80!.scored).toBe(27 * 13);
    expect(c95!.scored).toBe(pairs(19, 6));
    expect(c95!.scored).toBe(24 * 13);
  });

  it("never calibrates on a later origin: errors that grow are never covered", () => {
    // If later origins' errors leaked in, the early intervals would be wide enough to cover.
    const errors = Array.from({ length: 40 }, (_, i) => [i + 1]);
    for (const c of backtestCoverage(errors)) expect(c.coverage).toBe(0);
  });

  it("covers about its level when the errors are exchangeable", () => {
    const rng = new Rng(5);
    const errors = Array.from({ length: 400 }, () => Array.from({ length: 3 }, (_, h) => (h + 1) * rng.normal()));
    const [c80, c95] = backtestCoverage(errors);
    expect(Math.abs(c80!.coverage! - 80)).toBeLessThan(4);
    expect(Math.abs(c95!.coverage! - 95)).toBeLessThan(2.5);
    const w = calibrateIntervals(errors);
    // |N(0, σ²)| has its 80 % quantile at 1.2816σ, 95 % at 1.96σ.
    w.halfWidth["80"].forEach((q, h) => expect(q / (h + 1)).toBeCloseTo(1.2816, 0));
    w.halfWidth["95"].forEach((q, h) => expect(q / (h + 1)).toBeCloseTo(1.96, 0));
  });
});

describe("forecast() intervals", () => {
  const s = synthetic(96, { seed: 3, amplitude: 4 });
  let dir: string;
  let r: ForecastResult;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "recurrent-intervals-"));
    r = await forecast(s, { epochs: 3, ensemble: 2, horizon: 6, testSize: 30 });
    await r.forecaster.save(join(dir, "f"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("come from the model's own backtest errors, step by step", () => {
    const n = s.values.length;
    const origins = Array.from({ length: r.rolling.length }, (_, i) => n - 30 - 1 + i);
    const expected = conformalIntervals(s.values as number[], origins, r.rolling);
    expect(r.intervals).toEqual(expected);
    expect(r.intervals.origins).toBe(25);
    expect(r.intervals.exact).toEqual({ "80": true, "95": true });
    r.future.forEach((f, h) => {
      expect(f.hi80! - f.value).toBeCloseTo(expected.halfWidth["80"][h]!, 12);
      expect(f.lo95).toBeLessThanOrEqual(f.lo80!);
      expect(f.lo80).toBeLessThanOrEqual(f.value);
      expect(f.hi80).toBeLessThanOrEqual(f.hi95!);
    });
    expect(r.intervals.coverage.map((c) => c.level)).toEqual([80, 95]);
    expect(r.intervals.coverage[0]!.scored).toBeGreaterThan(0);
    expect(r.report.future[0]).toMatchObject({ lower: r.future[0]!.lo95, upper: r.future[0]!.hi95, lower80: r.future[0]!.lo80, upper80: r.future[0]!.hi80 });
    expect(r.report.intervals?.coverage).toEqual(r.intervals.coverage);
  });

  it("are saved with the forecaster and reproduced by the loaded one, also from a newer series", async () => {
    const file = JSON.parse(readFileSync(join(dir, "f", "forecaster.json"), "utf8")) as { intervals: { halfWidth: Record<string, number[]> } };
    expect(file.intervals.halfWidth["95"]).toEqual(r.intervals.halfWidth["95"]);
    const g = await loadForecaster(join(dir, "f"));
    expect(g.predict()).toEqual(r.future);
    expect(futureCsv(g.predict()).split("\n")[0]).toBe("date,forecast,lo80,hi80,lo95,hi95");
    const newer = { ...s, values: [...Array.from(s.values), 30], dates: [...s.dates, s.dates[95]! + 31 * 86_400_000] };
    const p = g.predict(newer);
    p.forEach((f, h) => expect(f.hi95! - f.value).toBeCloseTo(r.intervals.halfWidth["95"][h]!, 12));
  });

  it("a damaged intervals field is refused; a file without one forecasts points only", async () => {
    const path = join(dir, "f", "forecaster.json");
    const good = readFileSync(path, "utf8");
    const f = JSON.parse(good) as Record<string, unknown> & { intervals: { halfWidth: Record<string, number[]> } };
    f.intervals.halfWidth["80"] = [1, 2];
    writeFileSync(path, JSON.stringify(f));
    await expect(loadForecaster(join(dir, "f"))).rejects.toThrow(ModelFormatError);
    delete (f as Record<string, unknown>).intervals;
    writeFileSync(path, JSON.stringify(f));
    const g = await loadForecaster(join(dir, "f"));
    expect(g.predict().map((p) => Object.keys(p))).toEqual(r.future.map(() => ["date", "value"]));
    expect(futureCsv(g.predict()).split("\n")[0]).toBe("date,forecast");
    writeFileSync(path, good);
  });
});
