// The forecast command's data-loading flags reach loadSeries: --date-format settles day/month
// against month/day, --max-gap and --max-imputed widen the imputation limits, --non-finite drops or
// imputes values the reader refuses by default. Each refusal names the flag that allows it.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, monthlyRows } from "./helpers.js";

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "recurrent-data-flags-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** monthlyRows with dates rewritten as 01/MM/YYYY: every field at most 12, so ambiguous. */
function dayFirstMonthly(n: number): string {
  return monthlyRows(n).replace(/^(\d{4})-(\d{2})-01,/gm, "01/$2/$1,");
}

const FAST = ["--epochs", "1", "--json"];

describe("forecast's data flags", () => {
  it("--date-format settles dates that read both as day/month and month/day", async () => {
    const csv = write("ambiguous.csv", dayFirstMonthly(72));
    const refused = await cli("forecast", csv, ...FAST);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/read both as day\/month and month\/day.*--date-format/s);
    const ok = await cli("forecast", csv, "--date-format", "DD/MM/YYYY", ...FAST);
    expect(ok.code, ok.err).toBe(0);
    const r = JSON.parse(ok.out) as { future: { date: string }[] };
    expect(r.future[0]!.date).toBe("2016-01"); // 72 months from 2010-01: monthly, read day first
    const bad = await cli("forecast", csv, "--date-format", "DD-MM", ...FAST);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--date-format.*Allowed choices are auto, YYYY-MM-DD/s);
  }, 120_000);

  it("--max-gap and --max-imputed allow a longer gap than the default 3 periods", async () => {
    const rows = monthlyRows(96).split("\n");
    const gappy = [rows[0], ...rows.slice(1, 41), ...rows.slice(46)].join("\n"); // months 41–45 missing
    const csv = write("gap.csv", gappy);
    const refused = await cli("forecast", csv, ...FAST);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/--max-gap/);
    const ok = await cli("forecast", csv, "--max-gap", "5", ...FAST);
    expect(ok.code, ok.err).toBe(0);
    const tooMuch = await cli("forecast", csv, "--max-gap", "5", "--max-imputed", "0.01", ...FAST);
    expect(tooMuch.code).toBe(2);
    expect(tooMuch.err).toMatch(/--max-imputed/);
    const badShare = await cli("forecast", csv, "--max-imputed", "2", ...FAST);
    expect(badShare.code).toBe(2);
    expect(badShare.err).toMatch(/--max-imputed must be a share between 0 and 1/);
  }, 120_000);

  it("--non-finite drop or impute lets a file with 1e300 through; by default it is refused with its line", async () => {
    const rows = monthlyRows(72).split("\n");
    rows[30] = rows[30]!.replace(/,[^,]+$/, ",1e300");
    const csv = write("overflow.csv", rows.join("\n"));
    const refused = await cli("forecast", csv, ...FAST);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/line 31/);
    expect(refused.err).toMatch(/--non-finite/);
    const imputed = await cli("forecast", csv, "--non-finite", "impute", ...FAST);
    expect(imputed.code, imputed.err).toBe(0);
    const r = JSON.parse(imputed.out) as { future: { value: number }[] };
    expect(r.future.every((f) => Number.isFinite(f.value) && Math.abs(f.value) < 1e3)).toBe(true);
  }, 120_000);
});
