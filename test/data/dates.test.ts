import { describe, it, expect } from "vitest";
import { DataError } from "../../src/tensor/errors.js";
import {
  addPeriods,
  formatDate,
  inferFrequency,
  makeTimestamp,
  parseDate,
  periodIndex,
  periodStart,
  seasonLength,
  toCivil,
  type Timestamp,
} from "../../src/data/index.js";

const iso = (s: string): string => new Date(parseDate(s)).toISOString();

describe("parseDate", () => {
  it.each([
    ["2012-01-31", "2012-01-31T00:00:00.000Z"],
    ["2012/01/31", "2012-01-31T00:00:00.000Z"],
    ["2012-01-01T10:00", "2012-01-01T10:00:00.000Z"],
    ["2012-01-01 10:00:00", "2012-01-01T10:00:00.000Z"],
    ["2012-01-01T10:00:30.250Z", "2012-01-01T10:00:30.250Z"],
    ["2012-01-01T10:00+02:00", "2012-01-01T08:00:00.000Z"],
    ["2012-01", "2012-01-01T00:00:00.000Z"],
    ["2012/01", "2012-01-01T00:00:00.000Z"],
    ["2000M01", "2000-01-01T00:00:00.000Z"],
    ["2000m11", "2000-11-01T00:00:00.000Z"],
    ["1875", "1875-01-01T00:00:00.000Z"],
    ["2000-Q1", "2000-01-01T00:00:00.000Z"],
    ["2000Q3", "2000-07-01T00:00:00.000Z"],
    ["Q4 1999", "1999-10-01T00:00:00.000Z"],
    ["Jan 1 2000", "2000-01-01T00:00:00.000Z"],
    ["January 1, 2000", "2000-01-01T00:00:00.000Z"],
    ["1 Jan 2000", "2000-01-01T00:00:00.000Z"],
    ["15-Sep-2001", "2001-09-15T00:00:00.000Z"],
    ["Mar 2003", "2003-03-01T00:00:00.000Z"],
    ["03/04/2005", "2005-03-04T00:00:00.000Z"],
    ["31.12.1999", "1999-12-31T00:00:00.000Z"],
    ["  2012-01-31 ", "2012-01-31T00:00:00.000Z"],
  ])("%s → %s", (text, expected) => {
    expect(iso(text)).toBe(expected);
  });

  it("reads a/b/yyyy as day/month when asked", () => {
    expect(new Date(parseDate("03/04/2005", { dayFirst: true })).toISOString()).toBe("2005-04-03T00:00:00.000Z");
  });

  it("handles dates before 1900, including ones Date.UTC would shift into the 1900s", () => {
    expect(iso("1749-01")).toBe("1749-01-01T00:00:00.000Z");
    expect(iso("1600-02-29")).toBe("1600-02-29T00:00:00.000Z"); // 1600 is a leap year
    expect(iso("0099-12-31")).toBe("0099-12-31T00:00:00.000Z");
    expect(parseDate("1749-01")).toBe(Date.UTC(1749, 0, 1));
    expect(toCivil(parseDate("1749-03-15"))).toMatchObject({ year: 1749, month: 3, day: 15 });
    expect(formatDate(parseDate("1749-03"), "month")).toBe("1749-03");
  });

  it("validates calendar fields", () => {
    expect(() => parseDate("1900-02-29")).toThrow(/day 29 does not exist in 1900-02/);
    expect(iso("2000-02-29")).toBe("2000-02-29T00:00:00.000Z");
    expect(() => parseDate("2012-13-01")).toThrow(/month 13 is not between 1 and 12/);
    expect(() => parseDate("2012-01-01T25:00")).toThrow(/time of day/);
    expect(() => parseDate("Foo 1 2000")).toThrow(/unknown month name "Foo"/);
  });

  it("reports an unparseable date with its line and value", () => {
    let err: unknown;
    try {
      parseDate("yesterday", { source: "sales.csv", line: 7 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/^sales\.csv line 7: cannot parse date "yesterday": expected e\.g\. 2012-01-31/);
    expect(() => parseDate("")).toThrow(/empty value/);
  });
});

describe("formatDate", () => {
  it("formats by frequency and shows a time only when there is one", () => {
    const t = makeTimestamp({ year: 2012, month: 5, day: 17 });
    expect(formatDate(t)).toBe("2012-05-17");
    expect(formatDate(t, "quarter")).toBe("2012-Q2");
    expect(formatDate(t, "year")).toBe("2012");
    expect(formatDate(t + 3_600_000)).toBe("2012-05-17T01:00:00Z");
  });
});

describe("periods", () => {
  it("labels weeks by their Monday (ISO)", () => {
    // 2012-01-01 was a Sunday, so its week started on Monday 2011-12-26.
    expect(formatDate(periodStart(parseDate("2012-01-01"), "week"))).toBe("2011-12-26");
    expect(formatDate(periodStart(parseDate("2012-01-02"), "week"))).toBe("2012-01-02");
    // 1749-01-01 was a Wednesday.
    const monday = periodStart(parseDate("1749-01-01"), "week");
    expect(formatDate(monday)).toBe("1748-12-30");
    expect(new Date(monday).getUTCDay()).toBe(1);
  });

  it("computes month, quarter and year starts and offsets", () => {
    const t = parseDate("2013-08-20T13:00");
    expect(formatDate(periodStart(t, "day"))).toBe("2013-08-20");
    expect(formatDate(periodStart(t, "month"))).toBe("2013-08-01");
    expect(formatDate(periodStart(t, "quarter"))).toBe("2013-07-01");
    expect(formatDate(periodStart(t, "year"))).toBe("2013-01-01");
    expect(formatDate(addPeriods(t, "month", 5))).toBe("2014-01-01");
    expect(formatDate(addPeriods(t, "quarter", -3))).toBe("2012-10-01");
    expect(periodIndex(parseDate("1749-01"), "month") + 1).toBe(periodIndex(parseDate("1749-02"), "month"));
  });
});

describe("inferFrequency", () => {
  const series = (start: string, freq: "day" | "week" | "month" | "quarter" | "year", n: number, skip: number[] = []): Timestamp[] =>
    Array.from({ length: n }, (_, i) => addPeriods(parseDate(start), freq, i)).filter((_, i) => !skip.includes(i));

  it.each(["day", "week", "month", "quarter", "year"] as const)("recognises %s data", (freq) => {
    expect(inferFrequency(series("1749-01-01", freq, 30))).toBe(freq);
  });

  it("tolerates month lengths, missing periods and business days", () => {
    expect(inferFrequency(series("2000-01", "month", 24, [3, 4, 10]))).toBe("month");
    expect(inferFrequency(series("2000-02", "month", 3))).toBe("month"); // 29- and 31-day gaps
    const weekdays = series("2024-01-01", "day", 28).filter((t) => new Date(t).getUTCDay() % 6 !== 0);
    expect(inferFrequency(weekdays)).toBe("day");
    expect(inferFrequency([...series("2000", "year", 5)].reverse())).toBe("year");
  });

  it("rejects too few dates and unsupported spacings", () => {
    expect(() => inferFrequency([parseDate("2000")])).toThrow(DataError);
    expect(() => inferFrequency([parseDate("2000"), parseDate("2000")])).toThrow(/1 distinct date/);
    const hourly = Array.from({ length: 10 }, (_, i) => parseDate("2000-01-01") + i * 3_600_000);
    expect(() => inferFrequency(hourly)).toThrow(/dates are 1 hour apart \(median\).*resample to "day"/);
    expect(() => inferFrequency([parseDate("2000"), parseDate("2010"), parseDate("2020")])).toThrow(/coarser than yearly/);
  });
});

describe("seasonLength", () => {
  it("maps frequencies to their seasonal cycle", () => {
    expect((["day", "week", "month", "quarter", "year"] as const).map(seasonLength)).toEqual([7, 52, 12, 4, 1]);
  });
});
