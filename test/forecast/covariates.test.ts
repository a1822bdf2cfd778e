import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forecast } from "../../src/forecast/forecaster.js";
import { loadForecaster } from "../../src/forecast/saved.js";
import {
  fitCovariatePlan, readCovariates, calendarChannels, resolveCalendar, extendDates, covariateInputs,
} from "../../src/forecast/covariates.js";
import { addPeriods, makeTimestamp, formatDate } from "../../src/data/index.js";
import { Rng } from "../../src/tensor/rng.js";
import { cli } from "../cli/helpers.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "rec-cov-"));
  dirs.push(d);
  return d;
}

const start = makeTimestamp({ year: 2020, month: 1, day: 6 });
const days = (n: number): number[] => Array.from({ length: n }, (_, t) => addPeriods(start, "day", t));

describe("covariate scaling and calendar", () => {
  it("scalers are fitted on the training span only: a value in the test span does not change them", () => {
    const x = Float64Array.from({ length: 100 }, (_, t) => Math.sin(t) * 3 + 1);
    const a = fitCovariatePlan({ features: ["x"] }, { past: { x }, future: {} }, 80, "day");
    const y = Float64Array.from(x);
    y[90] = 1e6; // far out, in the test span
    const b = fitCovariatePlan({ features: ["x"] }, { past: { x: y }, future: {} }, 80, "day");
    expect(b.scalers).toEqual(a.scalers);
    y[79] = 1e6; // the last training value does change them
    const c = fitCovariatePlan({ features: ["x"] }, { past: { x: y }, future: {} }, 80, "day");
    expect(c.scalers[0]!.mean).not.toBe(a.scalers[0]!.mean);
  });

  it("calendar channels: day of the week repeats every 7 days from Monday, month every 12 months; auto by frequency", () => {
    const [sin, cos] = calendarChannels("dayofweek", days(14));
    expect(formatDate(start)).toBe("2020-01-06"); // a Monday
    expect(sin![0]).toBeCloseTo(0, 12);
    expect(cos![0]).toBeCloseTo(1, 12);
    for (let t = 0; t < 7; t++) expect(sin![t + 7]).toBeCloseTo(sin![t]!, 12);
    const months = Array.from({ length: 24 }, (_, t) => addPeriods(makeTimestamp({ year: 2000, month: 1, day: 1 }), "month", t));
    const [ms] = calendarChannels("month", months);
    expect(ms![3]).toBeCloseTo(1, 12); // April: a quarter of the way round
    expect(ms![15]).toBeCloseTo(1, 12);
    expect(resolveCalendar("auto", "day")).toBe("dayofweek");
    expect(resolveCalendar("auto", "month")).toBe("month");
    expect(resolveCalendar("auto", "year")).toBe("none");
    expect(() => resolveCalendar("dayofweek", "month")).toThrow(/dayofweek needs daily data; the series is monthly/);
  });
});

describe("reading covariates from a CSV: errors name the column and why", () => {
  const dir = tmp();
  const dates = days(30);
  const rows = (n: number, cell: (t: number) => string): string =>
    "date,y,x,holiday\n" + Array.from({ length: n }, (_, t) => `${formatDate(addPeriods(start, "day", t))},${t < 30 ? t : ""},${cell(t)},${t % 5 === 0 ? 1 : 0}`).join("\n") + "\n";
  const base = { freq: "day" as const, dates, horizon: 3 };

  it("a missing column lists the available ones", () => {
    const p = join(dir, "a.csv");
    writeFileSync(p, rows(33, (t) => String(t)));
    expect(() => readCovariates(p, { features: ["rain"] }, base)).toThrow(/no column "rain"; available: date, y, x, holiday/);
  });

  it("a non-numeric value names its line and column", () => {
    const p = join(dir, "b.csv");
    writeFileSync(p, rows(33, (t) => (t === 4 ? "windy" : String(t))));
    expect(() => readCovariates(p, { features: ["x"] }, base)).toThrow(/line 6, column "x": "windy" is not a number/);
  });

  it("a known-future column without values for the horizon names the first missing date", () => {
    const p = join(dir, "c.csv");
    writeFileSync(p, rows(31, (t) => String(t))); // one future row of three
    expect(() => readCovariates(p, { future: ["holiday"] }, base)).toThrow(
      /known-future column "holiday" has no value for 2020-02-06; the forecast needs its values for the 3 periods 2020-02-05 to 2020-02-07/,
    );
    writeFileSync(p, rows(33, (t) => String(t)));
    const c = readCovariates(p, { features: ["x"], future: ["holiday"] }, base);
    expect(c.past.x).toHaveLength(30);
    expect(c.future.holiday).toHaveLength(33);
    expect(c.future.holiday![30]).toBe(1);
  });

  it("forecast() refuses a known-future column that stops at the end of the series", () => {
    const plan = fitCovariatePlan({ future: ["h"] }, { past: {}, future: { h: new Float64Array(30) } }, 20, "day");
    expect(() => covariateInputs(plan, { past: {}, future: { h: new Float64Array(30) } }, extendDates(dates, "day", 3), 30, 3)).toThrow(
      /known-future column "h" has 30 values; 33 are needed \(the series and 3 steps past it\)/,
    );
  });
});

describe("a covariate that carries the signal", () => {
  // y is driven by x three days earlier (a past feature) and by a random event flag (known in
  // advance); the series alone is noise to a model without them.
  const n = 360;
  const H = 3;
  const rng = new Rng(11);
  const x = Float64Array.from({ length: n }, () => rng.normal());
  const flag = Float64Array.from({ length: n + H }, () => (rng.uniform(0, 1) < 0.3 ? 1 : 0));
  const yPast = Float64Array.from({ length: n }, (_, t) => 20 + 3 * (t >= 3 ? x[t - 3]! : 0) + 0.2 * rng.normal());
  const yEvent = Float64Array.from({ length: n }, (_, t) => 20 + 4 * flag[t]! + 0.2 * rng.normal());
  const dates = days(n);
  const opts = { horizon: H, epochs: 60, ensemble: 2, transform: "none" as const, seed: 3, model: "lstm" as const };

  it("past feature: the model with x's lags beats the one without by more than half (MASE)", async () => {
    const without = await forecast({ name: "y", dates, values: yPast, freq: "day" }, opts);
    const withX = await forecast({ name: "y", dates, values: yPast, freq: "day", covariates: { past: { x }, future: {} } }, { ...opts, covariates: { features: ["x"] } });
    // measured: 0.748 without, 0.064 with
    expect(withX.metrics.model.mase).toBeLessThan(0.5 * without.metrics.model.mase);
    expect(withX.covariates!.features).toEqual(["x"]);
  }, 60_000);

  it("known-future flag: the model with the flag's horizon values beats the one without, and the saved forecaster reproduces it", async () => {
    const without = await forecast({ name: "y", dates, values: yEvent, freq: "day" }, opts);
    const withF = await forecast({ name: "y", dates, values: yEvent, freq: "day", covariates: { past: {}, future: { event: flag } } }, { ...opts, covariates: { future: ["event"] } });
    // measured: 0.998 without, 0.108 with
    expect(withF.metrics.model.mase).toBeLessThan(0.5 * without.metrics.model.mase);
    // The forecast follows the flag's future values.
    withF.future.forEach((f, h) => expect(Math.abs(f.value - (20 + 4 * flag[n + h]!))).toBeLessThan(1));
    const dir = tmp();
    await withF.forecaster.save(dir);
    const file = JSON.parse(readFileSync(join(dir, "forecaster.json"), "utf8"));
    expect(file.covariates.plan.future).toEqual(["event"]);
    expect(file.covariates.future.event).toHaveLength(n + H);
    const loaded = await loadForecaster(dir);
    expect(loaded.predict()).toEqual(withF.future);
    expect(() => loaded.predict({ dates, values: yEvent, freq: "day" })).toThrow(/trained with covariates \(event\); give their values/);
  }, 60_000);
});

describe("a known-future column through the CLI", () => {
  it("rows after the last target carry the horizon's flags; forecast uses them, and predict (and predict --csv) reproduce forecast.csv", async () => {
    const dir = tmp();
    const rng = new Rng(5);
    const n = 200, H = 4;
    const flag = Array.from({ length: n + H }, () => (rng.uniform(0, 1) < 0.3 ? 1 : 0));
    const lines = flag.map((f, t) => `${formatDate(addPeriods(start, "day", t))},${t < n ? (10 + 5 * f + 0.1 * rng.normal()).toFixed(3) : ""},${f}`);
    const csv = join(dir, "events.csv");
    writeFileSync(csv, "date,sales,promo\n" + lines.join("\n") + "\n");
    const out = join(dir, "run");
    const f = await cli("forecast", csv, "--target", "sales", "--future", "promo", "--horizon", String(H), "--epochs", "40", "--json", "--out", out);
    expect(f.code).toBe(0);
    expect(f.err).toMatch(/4 period\(s\) after the last target value \(2020-07-23\) left out: they carry only covariates/);
    const doc = JSON.parse(f.out);
    expect(doc.covariates.future).toEqual(["promo"]);
    // The forecast follows the promotions planned for the horizon.
    doc.future.forEach((p: { value: number }, h: number) => expect(Math.abs(p.value - (10 + 5 * flag[n + h]!))).toBeLessThan(1.5));
    const saved = readFileSync(join(out, "forecast.csv"), "utf8");
    expect((await cli("predict", out)).out).toBe(saved);
    expect((await cli("predict", out, "--csv", csv)).out).toBe(saved);
    // Without the future rows the forecast is refused, naming the first missing date.
    const short = join(dir, "short.csv");
    writeFileSync(short, "date,sales,promo\n" + lines.slice(0, n).join("\n") + "\n");
    const bad = await cli("forecast", short, "--target", "sales", "--future", "promo", "--horizon", String(H));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/known-future column "promo" has no value for 2020-07-24/);
  }, 90_000);
});

describe("weather.csv: Seattle temp_max with precipitation and wind, and the calendar", () => {
  it("forecasts through the CLI, prints the covariates in --json, and `recurrent predict` reproduces forecast.csv", async () => {
    const out = join(tmp(), "run");
    const f = await cli(
      "forecast", "data/weather.csv", "--where", "location=Seattle", "--target", "temp_max", "--freq", "week",
      "--features", "precipitation,wind", "--calendar", "auto", "--transform", "none", "--epochs", "30", "--json", "--quiet", "--out", out,
    );
    expect(f.code).toBe(0);
    const doc = JSON.parse(f.out);
    expect(doc.covariates.features).toEqual(["precipitation", "wind"]);
    expect(doc.covariates.calendar).toBe("month");
    expect(doc.covariates.scalers).toHaveLength(2);
    expect(doc.metrics.model.mase).toBeLessThan(doc.metrics.naive.mase);
    const p = await cli("predict", out);
    expect(p.code).toBe(0);
    expect(p.out).toBe(readFileSync(join(out, "forecast.csv"), "utf8"));
    const bad = await cli("forecast", "data/weather.csv", "--where", "location=Seattle", "--target", "temp_max", "--freq", "week", "--features", "humidity");
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/no column "humidity"; available: location, date, precipitation, temp_max, temp_min, wind, weather/);
  }, 120_000);
});
