// Arbitrary input to the CSV reader, the date parser, the window builder and loadSeries: each
// either gives a well-formed result or raises the library's typed error (DataError, ConfigError,
// ShapeError), never a raw TypeError/RangeError, and never hangs (inputs are bounded and each test
// has its own timeout).

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { ConfigError, DataError, ShapeError } from "../../src/tensor/errors.js";
import {
  parseCsv,
  streamCsv,
  parseDate,
  DateColumnReader,
  DATE_FORMATS,
  isoFast,
  makeWindows,
  lastWindow,
  regularizeSeries,
  fillMissingPeriods,
  type DateFormat,
  type Timestamp,
} from "../../src/data/index.js";
import { loadSeriesFromText, loadSeriesFromChunks } from "../../src/forecast/series.js";

const TIMEOUT = 60_000;
const RUNS = { numRuns: 300 };

/** Runs fn; a thrown error must be one of the typed ones. Returns the result or the error. */
function typed<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: Error } {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof DataError || e instanceof ConfigError || e instanceof ShapeError) return { ok: false, error: e };
    throw e;
  }
}

// Text built from the characters that matter to a CSV parser, plus anything at all.
const csvChar = fc.constantFrom(",", ";", "\t", '"', "\n", "\r", " ", "a", "b", "1", "2", ".", "-", "é", "\uFEFF", "\u0000");
const csvText = fc.oneof(
  fc.array(csvChar, { maxLength: 200 }).map((cs) => cs.join("")),
  fc.string({ unit: "binary", maxLength: 200 }),
  // a header and rows of quoted or plain cells
  fc
    .tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 5 }), { maxLength: 12 }),
      fc.constantFrom(",", ";", "\t"),
      fc.constantFrom("\n", "\r\n"),
    )
    .map(([w, rows, d, nl]) =>
      [Array.from({ length: w }, (_, i) => `c${i}`), ...rows]
        .map((r) => r.map((c) => (/[",;\t\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(d))
        .join(nl),
    ),
);

/** The text cut into chunks at the given fractions of its byte length. */
function chunked(text: string, cuts: number[]): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const at = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const a of [...at, bytes.length]) {
    out.push(bytes.slice(prev, a));
    prev = a;
  }
  return out;
}

function records(chunks: Iterable<Uint8Array>): { header: readonly string[]; rows: [readonly string[], number][] } {
  let header: readonly string[] = [];
  const rows: [readonly string[], number][] = [];
  streamCsv(chunks, { header: (h) => (header = h), row: (c, l) => void rows.push([c, l]) }, { source: "fuzz.csv" });
  return { header, rows };
}

describe("CSV reader on arbitrary input", () => {
  it(
    "parses into rows that fill every column at increasing lines, or raises a DataError",
    () => {
      fc.assert(
        fc.property(csvText, (text) => {
          const r = typed(() => parseCsv(text, { source: "fuzz.csv" }));
          if (!r.ok) {
            expect(r.error).toBeInstanceOf(DataError);
            expect(r.error.message).toMatch(/^fuzz\.csv: /);
            return;
          }
          const f = r.value;
          expect(f.rows.length).toBe(f.lines.length);
          for (const row of f.rows) for (const c of f.columns) expect(typeof row[c]).toBe("string");
          for (let i = 0; i < f.lines.length; i++) {
            expect(f.lines[i]).toBeGreaterThanOrEqual(2);
            if (i > 0) expect(f.lines[i]).toBeGreaterThan(f.lines[i - 1]!);
          }
        }),
        { ...RUNS, examples: [["b\r\uFEFF\n"]] }, // a lone CR then a BOM once gave line 1 to a data row
      );
    },
    TIMEOUT,
  );

  it(
    "gives the same records (or the same error) however the bytes are cut into chunks",
    () => {
      fc.assert(
        fc.property(csvText, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }), (text, cuts) => {
          const whole = typed(() => records([new TextEncoder().encode(text)]));
          const parts = typed(() => records(chunked(text, cuts)));
          expect(parts.ok).toBe(whole.ok);
          if (whole.ok && parts.ok) expect(parts.value).toEqual(whole.value);
          if (!whole.ok && !parts.ok) expect(parts.error.message).toBe(whole.error.message);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    "arbitrary bytes (invalid UTF-8 included) never crash the reader",
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (bytes, size) => {
          const chunks: Uint8Array[] = [];
          for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
          typed(() => records(chunks));
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it("refuses a record longer than 1 MiB (an unclosed quote) instead of holding the file", () => {
    const text = 'a,b\n1,"' + "x".repeat(1_100_000) + "\n2,3\n";
    expect(() => parseCsv(text, { source: "q.csv" })).toThrow(DataError);
  });
});

// Strings shaped like dates, with out-of-range fields, odd separators and time zones.
const dateish = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc
    .tuple(
      fc.integer({ min: 0, max: 99999 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.constantFrom("-", "/", ".", " ", "M", "Q", ""),
      fc.constantFrom("", "T10:00", " 23:59:59", "T24:00", "T10:00Z", "T10:00+02:00", "T10:00-99:99", "T1:2", ".5"),
      fc.boolean(),
    )
    .map(([y, a, b, sep, time, dayFirst]) =>
      dayFirst ? `${a}${sep}${b}${sep}${String(y).padStart(4, "0")}${time}` : `${String(y).padStart(4, "0")}${sep}${a}${sep}${b}${time}`,
    ),
  fc.constantFrom("Jan 31 2012", "31 Foo 2012", "Q5 2012", "2012-Q0", "9999-12-31", "0000-01-01", "2012M13", "   ", "1e300"),
);

describe("date parser on arbitrary input", () => {
  it(
    "the fast reading of ISO dates agrees with parseDate, and declines what it does not read",
    () => {
      const two = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((v) => String(v).padStart(2, "0"));
      const iso = fc
        .tuple(fc.integer({ min: 0, max: 9999 }), two(0, 13), two(0, 32), two(0, 25), two(0, 61), two(0, 61), fc.constantFrom(0, 1, 2), fc.constantFrom("T", " ", "x"))
        .map(([y, mo, d, h, mi, sec, k, sep]) => {
          const date = `${String(y).padStart(4, "0")}-${mo}-${d}`;
          return k === 0 ? date : k === 1 ? `${date}${sep}${h}:${mi}` : `${date}${sep}${h}:${mi}:${sec}`;
        });
      fc.assert(
        fc.property(fc.oneof(iso, fc.string({ maxLength: 19 })), (text) => {
          const fast = isoFast(text);
          const slow = typed(() => parseDate(text));
          if (fast !== undefined) expect(slow).toEqual({ ok: true, value: fast });
          else if (slow.ok) expect(/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d)?)?$/.test(text)).toBe(false);
        }),
        { numRuns: 2000 },
      );
    },
    TIMEOUT,
  );

  it(
    "parseDate gives a finite timestamp or a DataError, in every format",
    () => {
      fc.assert(
        fc.property(dateish, fc.constantFrom(...DATE_FORMATS), (text, format) => {
          const r = typed(() => parseDate(text, { format, source: "d.csv", line: 7 }));
          if (r.ok) expect(Number.isFinite(r.value)).toBe(true);
          else expect(r.error.message).toMatch(/^d\.csv line 7: cannot parse date/);
        }),
        { numRuns: 1000 },
      );
    },
    TIMEOUT,
  );

  it(
    "a date column gives finite timestamps or a DataError, whatever mix of values and format",
    () => {
      fc.assert(
        fc.property(
          fc.array(dateish, { minLength: 1, maxLength: 30 }),
          fc.constantFrom<DateFormat | undefined>(undefined, ...DATE_FORMATS),
          fc.constantFrom("date", "id", "Year"),
          (cells, format, column) => {
            const r = typed(() => {
              const reader = new DateColumnReader("d.csv", column, { dateFormat: format });
              const ts = cells.map((c, i) => reader.read(c, i + 2));
              reader.finish(ts);
              return ts;
            });
            if (r.ok) for (const t of r.value) expect(Number.isFinite(t)).toBe(true);
          },
        ),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    "day-first and month-first columns decode to the dates they spell, or are refused as ambiguous",
    () => {
      const day = fc.integer({ min: Date.UTC(1000, 0, 1) / 86_400_000, max: Date.UTC(9999, 11, 31) / 86_400_000 });
      fc.assert(
        fc.property(fc.array(day, { minLength: 1, maxLength: 40 }), fc.boolean(), (days, dayFirst) => {
          const iso = days.map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10));
          const cells = iso.map((s) => {
            const [y, m, d] = s.split("-");
            return dayFirst ? `${d}/${m}/${y}` : `${m}/${d}/${y}`;
          });
          const reader = new DateColumnReader("d.csv", "date");
          const ts = cells.map((c, i) => reader.read(c, i + 2));
          const decidable = iso.some((s) => {
            const [, m, d] = s.split("-").map(Number);
            return d! > 12 && d !== m;
          });
          const symmetric = iso.every((s) => {
            const [, m, d] = s.split("-").map(Number);
            return m === d;
          });
          if (decidable || symmetric) {
            reader.finish(ts);
            expect(ts).toEqual(days.map((d) => d * 86_400_000));
          } else {
            expect(() => reader.finish(ts)).toThrow(/read both as day\/month and month\/day/);
          }
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );
});

// Numbers including the values that break float32 arithmetic.
const num = fc.oneof(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.constantFrom(NaN, Infinity, -Infinity, 1e300, -0),
);
const count = fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constantFrom(NaN, 1.5, Infinity, 2 ** 31));

describe("window builder on arbitrary input", () => {
  it(
    "builds windows of the stated shapes or raises a typed error",
    () => {
      const data = fc.oneof(
        fc.array(num, { maxLength: 40 }),
        fc.array(fc.array(num, { minLength: 0, maxLength: 3 }), { maxLength: 30 }),
        fc
          .array(fc.array(num, { maxLength: 30 }), { minLength: 0, maxLength: 3 })
          .map((values) => ({ columns: values.map((_, j) => `c${j}`), values })),
      );
      const cols = fc.option(fc.array(fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constantFrom("c0", "c1", "zz", 0.5 as unknown as number)), { maxLength: 3 }), { nil: undefined });
      fc.assert(
        fc.property(data, count, count, fc.option(count, { nil: undefined }), cols, cols, (d, L, H, stride, inputs, targets) => {
          const r = typed(() => makeWindows(d, { lookback: L, horizon: H, stride, inputs, targets }));
          if (r.ok) {
            const w = r.value;
            const [N, l, F] = w.xShape;
            const [N2, h, T] = w.yShape;
            expect(N).toBe(N2);
            expect([l, h]).toEqual([L, H]);
            expect(w.X.length).toBe(N * l * F);
            expect(w.Y.length).toBe(N * h * T);
            for (const v of w.X) expect(Number.isFinite(v)).toBe(true);
            for (const v of w.Y) expect(Number.isFinite(v)).toBe(true);
          }
          typed(() => lastWindow(d, { lookback: L, inputs }));
        }),
        { numRuns: 1000 },
      );
    },
    TIMEOUT,
  );
});

describe("imputation on arbitrary dates", () => {
  it(
    "fills within the limits, refuses beyond them, and never runs away on far-apart dates",
    () => {
      const ts = fc.oneof(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2001, 0, 1) }),
        fc.constantFrom(Date.UTC(9999, 11, 31), Date.UTC(1000, 0, 1), Date.UTC(2000, 0, 1) + 3_600_000),
      );
      fc.assert(
        fc.property(
          fc.array(ts, { minLength: 1, maxLength: 40 }),
          fc.constantFrom<"day" | "week" | "month" | undefined>("day", "week", "month", undefined),
          fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
          fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
          (dates: Timestamp[], freq, maxGap, maxShare) => {
            const values = dates.map((_, i) => (i % 5 === 4 ? NaN : i));
            const t0 = performance.now();
            const r = typed(() => fillMissingPeriods(dates, values, freq, "linear", { maxGap, maxShare }));
            expect(performance.now() - t0).toBeLessThan(2000);
            if (r.ok) {
              const share = r.value.report.count / r.value.values.length;
              expect(share).toBeLessThanOrEqual((maxShare ?? 0.1) + 1e-12);
              for (const v of r.value.values) expect(Number.isFinite(v)).toBe(true);
            }
            typed(() =>
              regularizeSeries({ source: "f.csv", dates, columns: ["v"], values: [Float64Array.from(values)], lines: dates.map((_, i) => i + 2) }, { freq, maxGap, maxShare }),
            );
          },
        ),
        RUNS,
      );
    },
    TIMEOUT,
  );
});

describe("loadSeries on arbitrary small files", () => {
  const cell = fc.oneof(
    fc.constantFrom("", "NA", "NaN", "Infinity", "1e300", "-1e-300", "abc", "3", "2.5", "-0", "1,5"),
    fc.double({ min: -1e4, max: 1e4, noNaN: true }).map(String),
  );
  const date = fc.oneof(
    fc.integer({ min: 0, max: 400 }).map((d) => new Date(Date.UTC(2020, 0, 1) + d * 86_400_000).toISOString().slice(0, 10)),
    fc.integer({ min: 0, max: 400 }).map((d) => {
      const s = new Date(Date.UTC(2020, 0, 1) + d * 86_400_000).toISOString();
      return `${s.slice(8, 10)}/${s.slice(5, 7)}/${s.slice(0, 4)}`;
    }),
    dateish,
  );
  it(
    "gives a finite regular series or a typed error, with any options",
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(date, cell, cell), { minLength: 0, maxLength: 40 }),
          fc.record(
            {
              freq: fc.constantFrom("day", "week", "month"),
              dateFormat: fc.constantFrom(...DATE_FORMATS),
              nonFinite: fc.constantFrom("error", "drop", "impute"),
              maxGap: fc.constantFrom(0, 3, Infinity),
              maxImputedShare: fc.constantFrom(0, 0.1, 1),
              target: fc.constantFrom("a", "b", "mean(a,b)", "difference(a,b)", "zz"),
            },
            { requiredKeys: [] },
          ),
          fc.integer({ min: 1, max: 50 }),
          (rows, opts, chunk) => {
            const text = "date,a,b\n" + rows.map((r) => r.map((c) => (/[,"\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(",")).join("\n");
            const bytes = new TextEncoder().encode(text);
            const chunks: Uint8Array[] = [];
            for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.slice(i, i + chunk));
            const a = typed(() => loadSeriesFromText(text, { source: "f.csv", ...(opts as object) }));
            const b = typed(() => loadSeriesFromChunks(chunks, { source: "f.csv", ...(opts as object) }));
            expect(b.ok).toBe(a.ok);
            if (a.ok) {
              for (const v of a.value.values) expect(Number.isFinite(v)).toBe(true);
              expect(a.value.dates.length).toBe(a.value.values.length);
              if (b.ok) expect(Array.from(b.value.values)).toEqual(Array.from(a.value.values));
            } else if (!b.ok) expect(b.error.message).toBe(a.error.message);
          },
        ),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    "daily files with holes within the default limits load whole, at any chunk size",
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.boolean()), { minLength: 30, maxLength: 120 }),
          fc.integer({ min: 1, max: 64 }),
          (points, chunk) => {
            // drop at most one day in ten, never two in a row, never the first or last
            const rows: string[] = [];
            let prevDropped = false;
            let dropped = 0;
            points.forEach(([v, drop], i) => {
              const skip = drop && !prevDropped && i > 0 && i < points.length - 1 && (dropped + 1) * 10 <= points.length;
              prevDropped = skip;
              if (skip) return void dropped++;
              rows.push(`${new Date(Date.UTC(2021, 0, 1) + i * 86_400_000).toISOString().slice(0, 10)},${v}`);
            });
            const bytes = new TextEncoder().encode("date,value\n" + rows.join("\n"));
            const chunks: Uint8Array[] = [];
            for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.slice(i, i + chunk));
            const s = loadSeriesFromChunks(chunks, { source: "ok.csv" });
            expect(s.values.length).toBe(points.length);
            expect(s.imputed.count).toBe(dropped);
            points.forEach(([v], i) => {
              if (!s.imputed.dates.includes(new Date(Date.UTC(2021, 0, 1) + i * 86_400_000).toISOString().slice(0, 10))) expect(s.values[i] === v).toBe(true);
            });
          },
        ),
        RUNS,
      );
    },
    TIMEOUT,
  );
});
