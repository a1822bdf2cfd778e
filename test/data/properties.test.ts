// Property tests (fast-check). Scaler round trips are checked in float64 with tolerance
// |x̂ − x| ≤ 1e-6 · max(1, |x|), i.e. relative 1e-6 for large values, absolute near 0.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  formatDate,
  makeTimestamp,
  makeWindows,
  parseDate,
  periodStart,
  MinMaxScaler,
  resample,
  StandardScaler,
  FREQUENCIES,
  type Frequency,
} from "../../src/data/index.js";

const RUNS = { numRuns: 200 };
const value = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

/** [n, features] matrices with 1–5 features and 1–30 rows. */
const matrix = fc
  .integer({ min: 1, max: 5 })
  .chain((f) => fc.array(fc.array(value, { minLength: f, maxLength: f }), { minLength: 1, maxLength: 30 }));

describe("scalers", () => {
  it.each([
    ["MinMaxScaler", () => new MinMaxScaler()],
    ["MinMaxScaler [-1, 1]", () => new MinMaxScaler([-1, 1])],
    ["StandardScaler", () => new StandardScaler()],
  ] as const)("%s: inverse(transform(x)) ≈ x, also after a JSON round trip", (_, make) => {
    fc.assert(
      fc.property(matrix, matrix, (train, test) => {
        const s = make().fit(train);
        const rows = test.map((r) => train[0].map((_, j) => r[j % r.length]));
        const back = s.inverseTransform(s.transform(rows));
        const revived = (s instanceof MinMaxScaler ? MinMaxScaler : StandardScaler).fromJSON(JSON.parse(JSON.stringify(s)));
        const back2 = revived.inverseTransform(revived.transform(rows));
        rows.forEach((r, i) => r.forEach((x, j) => {
          expect(close(back[i][j], x)).toBe(true);
          expect(close(back2[i][j], x)).toBe(true);
        }));
      }),
      RUNS,
    );
  });

  it("MinMaxScaler maps training data into the feature range", () => {
    fc.assert(
      fc.property(matrix, (train) => {
        const t = new MinMaxScaler().fitTransform(train);
        for (const r of t) for (const v of r) expect(v >= -1e-12 && v <= 1 + 1e-12).toBe(true);
      }),
      RUNS,
    );
  });
});

describe("windows", () => {
  it("no window reads past its origin: every X index ≤ origin < every Y index", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 40 }),
        (L, H, stride, features, extra) => {
          const n = L + H + extra;
          // Column j at row i holds i*10 + j, so each value tells which row it came from.
          const values = Array.from({ length: features }, (_, j) => Array.from({ length: n }, (_, i) => i * 10 + j));
          const columns = values.map((_, j) => `c${j}`);
          const targets = [features - 1];
          const w = makeWindows({ columns, values }, { lookback: L, horizon: H, stride, targets });
          const [N, , F] = w.xShape;
          expect(N).toBe(Math.floor((n - L - H) / stride) + 1);
          expect(w.origins[N - 1]).toBe(n - 1 - H);
          for (let k = 0; k < N; k++) {
            const o = w.origins[k];
            const xs = Array.from(w.X.subarray(k * L * F, (k + 1) * L * F), (v) => Math.floor(v / 10));
            const ys = Array.from(w.Y.subarray(k * H, (k + 1) * H), (v) => Math.floor(v / 10));
            expect(Math.max(...xs)).toBe(o);
            expect(Math.min(...xs)).toBe(o - L + 1);
            expect(Math.min(...ys)).toBe(o + 1);
            expect(Math.max(...ys)).toBe(o + H);
          }
        },
      ),
      RUNS,
    );
  });
});

const day = fc.integer({ min: daysOf(1700, 1, 1), max: daysOf(2100, 12, 31) });
function daysOf(y: number, m: number, d: number): number {
  return makeTimestamp({ year: y, month: m, day: d }) / 86_400_000;
}

describe("resample", () => {
  it("sum preserves the total at every frequency", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), value), { minLength: 1, maxLength: 60 }),
        fc.constantFrom(...FREQUENCIES),
        fc.integer({ min: daysOf(1700, 1, 1), max: daysOf(2000, 1, 1) }),
        (obs, freq: Frequency, base) => {
          const dates = obs.map(([d]) => (base + d) * 86_400_000 + 3_600_000);
          const vals = obs.map(([, v]) => v);
          const r = resample(dates, vals, { freq, agg: "sum" });
          const total = vals.reduce((a, b) => a + b, 0);
          const got = Array.from(r.values).filter((v) => !Number.isNaN(v)).reduce((a, b) => a + b, 0);
          expect(Math.abs(got - total)).toBeLessThanOrEqual(1e-9 * Math.max(1, vals.reduce((a, b) => a + Math.abs(b), 0)));
          expect(Array.from(r.counts).reduce((a, b) => a + b, 0)).toBe(obs.length);
          // Period labels strictly increase.
          expect(r.dates.every((d, p) => p === 0 || d > r.dates[p - 1])).toBe(true);
        },
      ),
      RUNS,
    );
  });
});

describe("dates", () => {
  it("formatDate and parseDate round-trip, and weeks start on a Monday on or before the day", () => {
    fc.assert(
      fc.property(day, (d) => {
        const ts = d * 86_400_000;
        expect(parseDate(formatDate(ts))).toBe(ts);
        expect(new Date(ts).toISOString().slice(0, 10)).toBe(formatDate(ts));
        const monday = periodStart(ts, "week");
        expect(new Date(monday).getUTCDay()).toBe(1);
        expect(ts - monday).toBeGreaterThanOrEqual(0);
        expect(ts - monday).toBeLessThan(7 * 86_400_000);
      }),
      { numRuns: 500 },
    );
  });
});
