// ES-RNN: the smoothing recursion's reverse pass against central differences (alone, in float64,
// and end to end through the LSTM and the pinball loss), determinism per seed, learning a
// multiplicative seasonal series better than seasonal naive, forecast({ model: "esrnn" }) saved
// and reproduced, and the errors it gives.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  esForward, esBackward, esInit, esRnnLoss, esRnnNetwork, seasonIndex, esOffset, pinball,
  EsRnnEnsemble, ESRNN_DEFAULTS, selectEsRnn,
} from "../../src/forecast/esrnn.js";
import { forecast, loadForecaster, futureCsv, type ForecastResult } from "../../src/forecast/index.js";
import { rollingOrigin } from "../../src/forecast/backtest.js";
import { seasonalNaive } from "../../src/forecast/baselines.js";
import { Rng } from "../../src/tensor/rng.js";
import { ConfigError, DataError } from "../../src/tensor/errors.js";

/** A positive series with a trend, a multiplicative season of m and noise. */
function seasonalSeries(n: number, m: number, seed: number, noise = 0.03): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, (_, t) =>
    (100 + 0.8 * t) * (1 + 0.25 * Math.sin((2 * Math.PI * t) / m) + 0.1 * Math.cos((4 * Math.PI * t) / m)) * (1 + noise * rng.normal()),
  );
}

/** max |analytic − numeric| / max(max |numeric|, floor) over the entries. */
function relErr(analytic: ArrayLike<number>, numeric: ArrayLike<number>, floor: number): number {
  let top = floor, worst = 0;
  for (let i = 0; i < numeric.length; i++) top = Math.max(top, Math.abs(numeric[i]!));
  for (let i = 0; i < numeric.length; i++) worst = Math.max(worst, Math.abs(analytic[i]! - numeric[i]!));
  return worst / top;
}

describe("the smoothing recursion", () => {
  it("follows Holt–Winters' multiplicative level and season updates", () => {
    const y = [10, 20, 12, 22, 11];
    const raw = Float64Array.of(0, 0, Math.log(0.8), Math.log(1.25)); // α = γ = 0.5, s = 0.8, 1.25
    const st = esForward(y, raw, 2);
    expect(st.level[0]).toBeCloseTo(12.5, 12);
    expect(st.seas[2]).toBeCloseTo(0.5 * 10 / 12.5 + 0.5 * 0.8, 12);
    expect(st.level[1]).toBeCloseTo(0.5 * 20 / 1.25 + 0.5 * 12.5, 12);
    expect(st.seas[3]).toBeCloseTo(0.5 * 20 / st.level[1]! + 0.5 * 1.25, 12);
    expect(st.level[2]).toBeCloseTo(0.5 * 12 / st.seas[2]! + 0.5 * st.level[1]!, 12);
    // the season after the data repeats for longer horizons
    expect([1, 2, 3, 4, 5].map((h) => seasonIndex(4, h, 2))).toEqual([5, 6, 5, 6, 5]);
    expect(seasonIndex(4, 3, 1)).toBe(0);
  });

  for (const m of [1, 4]) {
    it(`its reverse pass matches central differences (float64, ${m === 1 ? "no season" : "season 4"})`, () => {
      const y = seasonalSeries(30, 4, 5);
      const raw = esInit(y, m);
      raw[0] = -0.4;
      if (m > 1) raw[1] = -1.1;
      const rng = new Rng(11);
      const R = Float64Array.from({ length: y.length }, () => rng.uniform(-1, 1));
      const Q = Float64Array.from({ length: y.length + (m > 1 ? m : 1) }, () => (m > 1 ? rng.uniform(-1, 1) : 0));
      const f = (r: Float64Array): number => {
        const st = esForward(y, r, m);
        let s = 0;
        for (let t = 0; t < y.length; t++) s += R[t]! * st.level[t]!;
        for (let k = 0; k < st.seas.length; k++) s += Q[k]! * st.seas[k]!;
        return s;
      };
      const st = esForward(y, raw, m);
      const analytic = esBackward(y, raw, m, st, R.slice(), Q.slice());
      const eps = 1e-6;
      const numeric = Array.from(raw, (_, i) => {
        const a = raw.slice(), b = raw.slice();
        a[i] = a[i]! + eps;
        b[i] = b[i]! - eps;
        return (f(a) - f(b)) / (2 * eps);
      });
      expect(analytic.length).toBe(m > 1 ? m + 2 : 1);
      expect(relErr(analytic, numeric, 1e-3)).toBeLessThan(1e-6);
      // a missing term would show: dropping the seasonal path changes α's gradient by far more
      expect(Math.abs(numeric[0]!)).toBeGreaterThan(1e-2);
    });
  }

  it("the whole loss's gradient (windows, targets, pinball, through the LSTM) matches central differences", () => {
    const m = 4, L = 6, H = 4;
    const y = seasonalSeries(40, m, 9);
    const model = esRnnNetwork({ lookback: L, horizon: H, units: 5 }, 3);
    const es = esInit(y, m);
    es[0] = -0.6;
    es[1] = -1.5;
    const member = { model, es };
    const origins = [8, 13, 17, 22, 26, 30, 35];
    for (const tau of [0.5, 0.8]) {
      model.zeroGrads();
      const r = esRnnLoss(member, y, m, L, H, origins, tau, true);
      const eps = 1e-4;
      const numeric = Array.from(es, (_, i) => {
        const keep = es[i]!;
        es[i] = keep + eps;
        const a = esRnnLoss(member, y, m, L, H, origins, tau, false).loss;
        es[i] = keep - eps;
        const b = esRnnLoss(member, y, m, L, H, origins, tau, false).loss;
        es[i] = keep;
        return (a - b) / (2 * eps);
      });
      // float32 network: a few 1e-3 relative; a wrong sign or a missing target/level term is O(1)
      expect(relErr(r.esGrad!, numeric, 1e-3)).toBeLessThan(2e-2);
      // and the network's own gradients: one weight of the dense layer
      const w = model.parameters, g = model.gradients;
      const k = w.length - H - 3;
      const keep = w[k]!;
      w[k] = keep + 1e-2;
      const a = esRnnLoss(member, y, m, L, H, origins, tau, false).loss;
      w[k] = keep - 1e-2;
      const b = esRnnLoss(member, y, m, L, H, origins, tau, false).loss;
      w[k] = keep;
      expect(Math.abs(g[k]! - (a - b) / 2e-2)).toBeLessThan(0.03 * Math.max(Math.abs(g[k]!), 1e-2));
    }
  });

  it("pinball loss and the positivity shift", () => {
    expect(pinball(2, 0.5)).toBe(1);
    expect(pinball(-2, 0.9)).toBeCloseTo(0.2, 12);
    expect(pinball(2, 0.9)).toBeCloseTo(1.8, 12);
    expect(esOffset([576, 578, 580])).toBe(0); // far above zero: purely multiplicative
    expect(esOffset([0, 50, 100])).toBe(50); // touches zero: lifted by half the range
    expect(esOffset([-10, 10])).toBe(20);
  });
});

describe("EsRnnEnsemble", () => {
  const m = 12, H = 6, L = 12;
  const y = seasonalSeries(120, m, 21);
  const train = y.subarray(0, 96);
  const spec = { ...ESRNN_DEFAULTS, lookback: L, horizon: H, season: m, epochs: 30, ensemble: 2 };

  it("is deterministic: the same seed gives the identical forecast, another seed another", () => {
    const a = EsRnnEnsemble.fit(train, spec).forecast(train);
    const b = EsRnnEnsemble.fit(train, spec).forecast(train);
    const c = EsRnnEnsemble.fit(train, { ...spec, seed: 7 }).forecast(train);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it("learns a multiplicative seasonal series with a trend: backtest MAE well under seasonal naive's", () => {
    const e = EsRnnEnsemble.fit(train, spec);
    const run = rollingOrigin(y, (h) => e.forecast(h), { horizon: H, testSize: 24 });
    const sn = rollingOrigin(y, (h) => seasonalNaive(h, H, m), { horizon: H, testSize: 24 });
    const maeOf = (r: typeof run): number => {
      let s = 0, k = 0;
      r.origins.forEach((o, i) => r.forecasts[i]!.forEach((f, h) => { s += Math.abs(y[o + 1 + h]! - f); k++; }));
      return s / k;
    };
    const esMae = maeOf(run), snMae = maeOf(sn);
    // measured: trained 5.27, seasonal naive 10.15; one epoch 5.62, smoothing frozen at its
    // initial values 6.39, no seasonal indices 6.64 — all above the bar.
    expect(esMae).toBeLessThan(0.55 * snMae);
    const c = e.coefficients();
    expect(c).toHaveLength(2);
    for (const { alpha, gamma } of c) {
      expect(alpha).toBeGreaterThan(0);
      expect(alpha).toBeLessThan(1);
      expect(gamma).toBeGreaterThan(0);
      expect(gamma).toBeLessThan(1);
    }
  });

  it("refuses a bad spec, too short a series and non-finite values, saying why", () => {
    expect(() => EsRnnEnsemble.fit(train, { ...spec, units: 0 })).toThrow(/esrnn: units must be a positive integer, got 0/);
    expect(() => EsRnnEnsemble.fit(train, { ...spec, tau: 1 })).toThrow(ConfigError);
    expect(() => EsRnnEnsemble.fit(y.subarray(0, 20), spec)).toThrow(/20 training points give 3 windows of lookback 12 \+ horizon 6; need at least 8/);
    const bad = train.slice();
    bad[5] = NaN;
    expect(() => EsRnnEnsemble.fit(bad, spec)).toThrow(DataError);
    expect(() => EsRnnEnsemble.fit(train, spec).forecast(train.subarray(0, 5))).toThrow(/the history has 5 values; the lookback needs 12/);
  });

  it("selectEsRnn picks the family with the lower backtest MAE and falls back to the LSTM when the ES-RNN cannot train", () => {
    const lstm = rollingOrigin(y, (h) => seasonalNaive(h, H, m), { horizon: H, testSize: 24 });
    const s = selectEsRnn(y, 96, lstm, { lookback: L, horizon: H, season: m, seed: 42, testSize: 24, epochs: 30, ensemble: 2 }, "auto");
    expect(s.chosen).toBe("esrnn");
    expect(s.mae.esrnn!).toBeLessThan(s.mae.lstm!);
    const perfect = { origins: lstm.origins, forecasts: lstm.origins.map((o) => Array.from(y.subarray(o + 1, o + 1 + H))) };
    expect(selectEsRnn(y, 96, perfect, { lookback: L, horizon: H, season: m, seed: 42, testSize: 24, epochs: 2, ensemble: 1 }, "auto").chosen).toBe("lstm");
    const short = selectEsRnn(y, 96, lstm, { lookback: 90, horizon: H, season: m, seed: 42, testSize: 24, epochs: 2, ensemble: 1 }, "auto");
    expect(short.chosen).toBe("lstm");
    expect(short.notes.join("\n")).toMatch(/ES-RNN not trained: esrnn: 96 training points give 1 windows/);
  });
});

describe('forecast({ model: "esrnn" })', () => {
  let dir: string;
  let r: ForecastResult;
  const y = seasonalSeries(84, 12, 4);
  const dates = Array.from({ length: y.length }, (_, i) => Date.UTC(2010, i, 1));
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "recurrent-esrnn-"));
    r = await forecast({ name: "sales", dates, values: y, freq: "month" }, { model: "esrnn", horizon: 6, testSize: 18, epochs: 4, ensemble: 2 });
    await r.forecaster.save(join(dir, "f"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("forecasts with the ES-RNN and says so", () => {
    expect(r.model).toBe("esrnn");
    expect(r.future).toHaveLength(6);
    expect(r.forecaster.models).toHaveLength(2);
    expect(r.notes.join("\n")).toMatch(/ES-RNN: 2 networks LSTM\(16\) on multiplicative level and season 12/);
    expect(r.future.every((p) => p.lo95! <= p.lo80! && p.lo80! <= p.value && p.value <= p.hi80! && p.hi80! <= p.hi95!)).toBe(true);
  });

  it("is saved and loaded back, forecasting the same values bit for bit", async () => {
    const f = JSON.parse(readFileSync(join(dir, "f", "forecaster.json"), "utf8")) as { model: string; esrnn: { season: number; members: { es: number[] }[] }; networks: unknown[] };
    expect(f.model).toBe("esrnn");
    expect(f.networks).toEqual([]);
    expect(f.esrnn.season).toBe(12);
    expect(f.esrnn.members[0]!.es).toHaveLength(14);
    const g = await loadForecaster(join(dir, "f"));
    expect(futureCsv(g.predict())).toBe(futureCsv(r.future));
    // a newer history: the same as the forecaster that was never saved
    const newer = { dates: [...dates, Date.UTC(2017, 0, 1)], values: [...y, y[72]! * 1.05], freq: "month" as const };
    expect(g.predict(newer)).toEqual(r.forecaster.predict(newer));
  });
});
