import { describe, it, expect } from "vitest";
import { DataError } from "../../src/tensor/errors.js";
import {
  aggregate,
  describeImputation,
  fillMissingPeriods,
  findGaps,
  formatDate,
  impute,
  parseCsv,
  parseDate,
  regularize,
  regularizeSeries,
  resample,
  resampleSeries,
  toTimeSeries,
} from "../../src/data/index.js";

const D = (s: string) => parseDate(s);
const fmt = (ds: number[]) => ds.map((d) => formatDate(d));

describe("aggregate", () => {
  it("computes each aggregation in time order", () => {
    const xs = [4, 1, 3, 10];
    expect(aggregate(xs, "mean")).toBe(4.5);
    expect(aggregate(xs, "median")).toBe(3.5);
    expect(aggregate([4, 1, 3], "median")).toBe(3);
    expect(aggregate(xs, "sum")).toBe(18);
    expect(aggregate(xs, "min")).toBe(1);
    expect(aggregate(xs, "max")).toBe(10);
    expect(aggregate(xs, "first")).toBe(4);
    expect(aggregate(xs, "last")).toBe(10);
    expect(aggregate([], "sum")).toBeNaN();
  });
});

describe("resample", () => {
  // Unsorted input; 2020-02 has no observation; one NaN observation is ignored.
  const dates = ["2020-01-20", "2020-01-05", "2020-03-01", "2020-01-12", "2020-03-31", "2020-03-15"].map(D);
  const values = [3, 1, 10, NaN, 30, 20];

  it("labels periods by their start and keeps empty periods as NaN", () => {
    const r = resample(dates, values, { freq: "month", agg: "mean" });
    expect(fmt(r.dates)).toEqual(["2020-01-01", "2020-02-01", "2020-03-01"]);
    expect(Array.from(r.values)).toEqual([2, NaN, 20]);
    expect(Array.from(r.counts)).toEqual([2, 0, 3]);
  });

  it.each([
    ["sum", [4, NaN, 60]],
    ["median", [2, NaN, 20]],
    ["min", [1, NaN, 10]],
    ["max", [3, NaN, 30]],
    ["first", [1, NaN, 10]],
    ["last", [3, NaN, 30]],
  ] as const)("%s", (agg, expected) => {
    expect(Array.from(resample(dates, values, { freq: "month", agg }).values)).toEqual(expected);
  });

  it("resamples to ISO weeks starting Monday, quarters and years", () => {
    const days = ["2012-01-01", "2012-01-02", "2012-01-08", "2012-01-09"].map(D); // Sun, Mon, Sun, Mon
    const w = resample(days, [1, 2, 3, 4], { freq: "week", agg: "sum" });
    expect(fmt(w.dates)).toEqual(["2011-12-26", "2012-01-02", "2012-01-09"]);
    expect(Array.from(w.values)).toEqual([1, 5, 4]);
    const q = resample(["1749-01", "1749-03", "1749-08"].map(D), [1, 2, 4], { freq: "quarter", agg: "sum" });
    expect(q.dates.map((d) => formatDate(d, "quarter"))).toEqual(["1749-Q1", "1749-Q2", "1749-Q3"]);
    expect(Array.from(q.values)).toEqual([3, NaN, 4]);
    const y = resample(["1875-06", "1877-01"].map(D), [5, 6], { freq: "year", agg: "max" });
    expect(y.dates.map((d) => formatDate(d, "year"))).toEqual(["1875", "1876", "1877"]);
  });

  it("rejects empty or mismatched input", () => {
    expect(() => resample([], [], { freq: "day", agg: "sum" })).toThrow(DataError);
    expect(() => resample([D("2020")], [1, 2], { freq: "day", agg: "sum" })).toThrow(/1 dates but 2 values/);
  });

  it("resampleSeries allows one aggregation per column", () => {
    const f = parseCsv("d,rain,temp\n2020-01-01,1,10\n2020-01-02,2,20\n2020-02-10,5,0\n");
    const ts = toTimeSeries(f, { date: "d", values: ["rain", "temp"] });
    const m = resampleSeries(ts, "month", { rain: "sum", temp: "mean" });
    expect(Array.from(m.values[0])).toEqual([3, 5]);
    expect(Array.from(m.values[1])).toEqual([15, 0]);
    expect(() => resampleSeries(ts, "month", { rain: "sum" })).toThrow(/no aggregation given for column "temp"/);
  });
});

describe("impute", () => {
  const x = [NaN, 2, NaN, NaN, 8, NaN, 4, NaN];

  it("linear interpolates inside, nearest value at the edges, and reports", () => {
    const r = impute(x, "linear");
    expect(Array.from(r.values)).toEqual([2, 2, 4, 6, 8, 6, 4, 4]);
    expect(r.report).toEqual({ method: "linear", count: 5, positions: [0, 2, 3, 5, 7] });
  });

  it("neighbourMean uses the mean of the previous and next observed values", () => {
    expect(Array.from(impute(x, "neighbourMean").values)).toEqual([2, 2, 5, 5, 8, 6, 4, 4]);
  });

  it("reports nothing to do, and refuses an all-missing series", () => {
    expect(impute([1, 2], "linear").report.count).toBe(0);
    expect(() => impute([NaN, NaN], "linear")).toThrow(/all 2 values are missing/);
  });
});

describe("gaps and regularisation", () => {
  const months = ["1749-01", "1749-02", "1749-05", "1749-06", "1749-08"].map(D);

  it("findGaps lists missing periods of a regular series with holes", () => {
    const g = findGaps(months, "month");
    expect(g.dates.map((d) => formatDate(d, "month"))).toEqual(["1749-03", "1749-04", "1749-07"]);
    expect(g.positions).toEqual([2, 3, 6]);
    expect(g.periods).toBe(8);
    expect(findGaps(["2020-01-06", "2020-01-13", "2020-01-27"].map(D), "week").positions).toEqual([2]);
  });

  it("findGaps refuses two dates in one period", () => {
    expect(() => findGaps(["2020-01-03", "2020-01-05"].map(D), "week")).toThrow(
      /2020-01-03 and 2020-01-05 fall in the same week \(period 2019-12-30\); the series is not regular at this frequency: resample/,
    );
  });

  it("regularize inserts NaN rows dated by period start", () => {
    const r = regularize(["2020-01-15", "2020-03-15"].map(D), [[1, 3]], "month");
    expect(fmt(r.dates)).toEqual(["2020-01-01", "2020-02-01", "2020-03-01"]);
    expect(Array.from(r.values[0])).toEqual([1, NaN, 3]);
    expect(r.source).toEqual([0, -1, 1]);
  });

  it("fillMissingPeriods inserts, imputes and reports every filled value", () => {
    const res = fillMissingPeriods(months, [1, 2, 5, NaN, 11], undefined, "linear", { maxShare: 1 });
    expect(res.freq).toBe("month");
    expect(Array.from(res.values)).toEqual([1, 2, 3, 4, 5, 7, 9, 11]);
    expect(res.inserted.map((d) => formatDate(d, "month"))).toEqual(["1749-03", "1749-04", "1749-07"]);
    expect(res.report.count).toBe(4);
    expect(res.report.positions).toEqual([2, 3, 5, 6]);
    expect(describeImputation(res.report, "month")).toBe("4 missing values imputed (linear): 1749-03, 1749-04, 1749-06, 1749-07");
  });

  it("regularizeSeries fills each column and names the source on errors", () => {
    const f = parseCsv("d,a,b\n2020-01-01,1,\n2020-01-03,3,6\n", { source: "r.csv" });
    const r = regularizeSeries(toTimeSeries(f, { date: "d", values: ["a", "b"] }), { method: "neighbourMean", maxShare: 1 });
    expect(r.freq).toBe("day");
    expect(Array.from(r.series.values[0])).toEqual([1, 2, 3]);
    expect(Array.from(r.series.values[1])).toEqual([6, 6, 6]);
    expect(r.series.lines).toEqual([2, 0, 3]);
    expect(r.reports.a.positions).toEqual([1]);
    expect(r.reports.b.positions).toEqual([0, 1]);
    const g = parseCsv("d,a\n2020-01-01,\n2020-01-02,\n", { source: "r.csv" });
    expect(() => regularizeSeries(toTimeSeries(g, { date: "d", values: ["a"] }))).toThrow(
      'r.csv, column "a": impute: all 2 values are missing; nothing to impute from',
    );
    const h = toTimeSeries(parseCsv("d,a\n2020-01-01,1\n2020-01-02,2\n2020-01-09,3\n", { source: "r.csv" }), { date: "d", values: ["a"] });
    expect(() => regularizeSeries(h, { freq: "week" })).toThrow(/^r\.csv: 2020-01-01 and 2020-01-02 fall in the same week/);
  });
});
