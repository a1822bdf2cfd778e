// forecast(): shapes of both strategies and all presets, reproducibility by seed, no look-ahead
// through the public entry point, the report it hands over, and its errors.
import { describe, it, expect } from "vitest";
import { forecast, resolveOptions, MODEL_PRESETS, type ForecastOptions } from "../../src/forecast/index.js";
import { ConfigError, DataError } from "../../src/tensor/errors.js";
import { synthetic } from "./fixtures.js";

// Few epochs and small ensembles keep these tests fast; accuracy is asserted in real-data.test.ts.
const LAYERS = {
  "lstm": ["LSTM", "Dense"],
  "stacked-lstm": ["LSTM", "LSTM", "Dense"],
  "gru": ["GRU", "Dense"],
  "bilstm-seq2seq": ["Bidirectional", "RepeatVector", "Bidirectional", "TimeDistributed"],
};
const FAST: ForecastOptions = { epochs: 3, ensemble: 2, verbose: 0, horizon: 6, testSize: 18 };

describe("forecast", () => {
  const s = synthetic(96, { seed: 2 });

  for (const strategy of ["direct", "recursive"] as const) {
    it(`${strategy}: H values from every origin and past the end`, async () => {
      const r = await forecast(s, { ...FAST, strategy });
      expect(r.strategy).toBe(strategy);
      expect(r.rolling.length).toBe(18 - 6 + 1);
      for (const row of r.rolling) {
        expect(row.length).toBe(6);
        expect(row.every(Number.isFinite)).toBe(true);
      }
      expect(r.oneShot).toEqual(r.rolling[0]);
      expect(r.future.map((f) => f.date)).toEqual(["2008-01", "2008-02", "2008-03", "2008-04", "2008-05", "2008-06"]);
      expect(r.future.every((f) => Number.isFinite(f.value))).toBe(true);
      expect(r.models.length).toBe(2);
    });
  }

  for (const preset of MODEL_PRESETS) {
    it(`preset ${preset} trains and forecasts`, async () => {
      const r = await forecast(s, { ...FAST, ensemble: 1, epochs: 1, model: preset, refit: false });
      expect(r.model).toBe(preset);
      expect(r.future.length).toBe(6);
      const layersOf = [...r.report.summary.matchAll(/\((\w+)\)\s+│/g)].map((m) => m[1]);
      expect(layersOf).toEqual(LAYERS[preset]);
    });
  }

  it("reports every epoch of every network, backtest and refit", async () => {
    const seen: string[] = [];
    await forecast(s, { ...FAST, epochs: 2, onEpochEnd: (e, logs) => seen.push(`${logs.member}/${logs.refit}/${e}`) });
    // The refit trains each network for its best epoch count, 1 or 2 here.
    expect(seen.slice(0, 4)).toEqual(["0/0/0", "0/0/1", "1/0/0", "1/0/1"]);
    expect(seen.slice(4).every((k) => /^[01]\/1\/[01]$/.test(k))).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(6);
  });

  it("is reproducible by seed, and the seed matters", async () => {
    const a = await forecast(s, { ...FAST, seed: 7 });
    const b = await forecast(s, { ...FAST, seed: 7 });
    const c = await forecast(s, { ...FAST, seed: 8 });
    expect(b.rolling).toEqual(a.rolling);
    expect(b.future).toEqual(a.future);
    expect(b.history).toEqual(a.history);
    expect(c.rolling[0]).not.toEqual(a.rolling[0]);
  });

  it("a forecast does not change when the data after its origin is replaced by huge values", async () => {
    const clean = await forecast(s, { ...FAST, refit: false });
    const k = 5; // origin index in the test span
    const origin = 96 - 18 - 1 + k;
    const values = Array.from(s.values);
    for (let i = origin + 1; i < values.length; i++) values[i] = 1e9;
    const poisoned = await forecast({ ...s, values }, { ...FAST, refit: false });
    expect(poisoned.rolling.slice(0, k + 1)).toEqual(clean.rolling.slice(0, k + 1));
    expect(poisoned.rolling[k + 1]).not.toEqual(clean.rolling[k + 1]);
  });

  it("fills the report: test = first steps, oneShot with actuals, errors by step", async () => {
    const r = await forecast(s, FAST);
    const rep = r.report;
    expect(rep.horizon).toBe(6);
    expect(rep.series.length).toBe(96);
    expect(rep.trainEnd).toBe("2006-06"); // 96 − 18 = 78 training months from 2000-01
    expect(rep.test.length).toBe(13);
    expect(rep.test[0]).toMatchObject({ date: "2006-07", actual: s.values[78], predicted: r.rolling[0]![0] });
    expect(rep.test[0]!.naive).toBe(s.values[77]);
    expect(rep.test[0]!.seasonalNaive).toBe(s.values[78 - 12]);
    expect(rep.oneShot.map((p) => p.actual)).toEqual(Array.from(s.values).slice(78, 84));
    expect(rep.backtestByStep.map((b) => b.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rep.metrics.model!.mase).toBe(r.metrics.model.mase);
    expect(rep.lossHistory.val_loss!.length).toBe(rep.lossHistory.loss.length);
    expect(rep.validationStart! > "2000-01" && rep.validationStart! < rep.trainEnd).toBe(true);
  });

  it("beats the baselines on a trend with a season (defaults, no refit)", async () => {
    // Measured over seeds 42, 1, 2, 3: model / seasonal naive 0.412–0.415, model / naive 0.168–0.170.
    const t = synthetic(144, { seed: 5, noise: 0.3 });
    const r = await forecast(t, { refit: false });
    expect(r.horizon).toBe(12);
    expect(r.lookback).toBe(12);
    expect(r.metrics.model.mase).toBeLessThan(0.6 * r.metrics.seasonalNaive.mase);
    expect(r.metrics.model.mase).toBeLessThan(0.3 * r.metrics.naive.mase);
  });

  it("explains bad input", async () => {
    const withNaN = { ...s, values: Array.from(s.values, (v, i) => (i === 10 ? NaN : v)) };
    await expect(forecast(withNaN, FAST)).rejects.toThrow(/2000-11 \(index 10\); impute/);
    await expect(forecast(s, { ...FAST, testSize: 3 })).rejects.toThrow(DataError);
    await expect(forecast(s, { ...FAST, model: "transformer" as never })).rejects.toThrow(ConfigError);
    await expect(forecast(s, { ...FAST, lookback: 80 })).rejects.toThrow(/the series has 96 points, too few for lookback 80 \+ horizon \d+ with a test span of \d+: at least \d+ points are needed .*shorten --lookback/);
    await expect(forecast({ ...s, dates: s.dates.slice(1) }, FAST)).rejects.toThrow(/95 dates but 96 values/);
  });

  it("a too-short series is told the real minimum length: the smallest that works", () => {
    const settings: [string, ForecastOptions][] = [
      ["day", {}], ["week", {}], ["month", {}], ["quarter", {}], ["year", {}],
      ["month", { lookback: 24 }], ["day", { horizon: 3 }], ["week", { testSize: 30 }], ["month", { strategy: "recursive" }],
    ];
    for (const [freq, opts] of settings) {
      const works = (n: number): boolean => {
        try {
          resolveOptions(n, freq as never, opts);
          return true;
        } catch {
          return false;
        }
      };
      let min = 2;
      while (!works(min)) min++;
      let said = "";
      try {
        resolveOptions(min - 1, freq as never, opts);
      } catch (e) {
        said = (e as Error).message;
      }
      expect(said, `${freq} ${JSON.stringify(opts)}`).toMatch(new RegExp(`the series has ${min - 1} points.*: at least ${min} points are needed`));
    }
    // The daily default of the audit: 37 points work, where the old message asked for 49.
    expect(() => resolveOptions(37, "day", {})).not.toThrow();
    expect(() => resolveOptions(36, "day", {})).toThrow(/at least 37 points are needed \(8 training windows, with lookback 2 and a test span of 14\); shorten --horizon or --test-size/);
  });
});
