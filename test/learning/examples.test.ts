// Learning check (d): every example runs end to end in --quick mode (real data, real architecture,
// a few windows and one epoch), prints its summary and metrics, and writes only under --out,
// its charts included.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main as sine } from "../../examples/sine.js";
import { main as sp500 } from "../../examples/sp500.js";
import { main as weather } from "../../examples/weather_encdec.js";
import { main as charRnn } from "../../examples/char_rnn.js";

let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), "recurrent-examples-test-"));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

function collector(): { log: (s: string) => void; text: () => string } {
  const lines: string[] = [];
  return { log: (s) => lines.push(s), text: () => lines.join("\n") };
}

/** Each chart is a standalone SVG document with drawn marks, not an empty frame. */
function expectSvgs(dir: string, names: string[]): void {
  for (const name of names) {
    const svg = readFileSync(join(out, dir, `${name}.svg`), "utf8");
    expect(svg.startsWith("<svg"), `${dir}/${name}.svg`).toBe(true);
    expect(svg, `${dir}/${name}.svg`).toContain("<path");
  }
}

const quick = (name: string, ...extra: string[]): string[] => ["--quick", "--verbose", "0", "--out", join(out, name), ...extra];

describe("examples --quick", () => {
  it("sine", async () => {
    const c = collector();
    const r = await sine(quick("sine"), c.log);
    expect(c.text()).toContain("Total params: 118,081");
    expect(c.text()).toMatch(/validation MSE \(one step ahead\): \d/);
    expect(r.epochsRun).toBe(1);
    // The baselines do not depend on training: a unit sine's variance is ~0.5, and persistence at
    // 0.2 rad per step with 0.05 noise is ~0.02.
    expect(r.meanBaselineMse).toBeGreaterThan(0.3);
    expect(r.meanBaselineMse).toBeLessThan(0.8);
    expect(r.persistenceMse).toBeGreaterThan(0.01);
    expect(r.persistenceMse).toBeLessThan(0.05);
    expect(Number.isFinite(r.forecastRmse)).toBe(true);
    expect(existsSync(join(out, "sine", "forecast.csv"))).toBe(true);
    expect(existsSync(join(out, "sine", "model", "model.json"))).toBe(true);
    expectSvgs("sine", ["history", "predictions", "scatter", "gates"]);
  });

  it("sp500", async () => {
    const c = collector();
    const r = await sp500(quick("sp500"), c.log);
    expect(c.text()).toContain("2000-01-03 to 2020-04-17");
    expect(c.text()).toContain("Total params: 71,051");
    expect(r.testFrom).toBe("2017-01-03");
    expect(r.testWindows).toBe(30);
    // "Tomorrow = today" over January–February 2017 misses by about ten index points.
    expect(r.naiveRmse).toBeGreaterThan(3);
    expect(r.naiveRmse).toBeLessThan(30);
    expect(Number.isFinite(r.rmse)).toBe(true);
    expect(existsSync(join(out, "sp500", "predictions.csv"))).toBe(true);
    expectSvgs("sp500", ["history", "predictions", "scatter", "gates"]);
  });

  it("weather_encdec, both locations", async () => {
    for (const location of ["Seattle", "New York"]) {
      const c = collector();
      const r = await weather(quick(`weather-${location}`, "--location", location), c.log);
      expect(c.text()).toContain("Total params: 33,601");
      expect(r.weeks).toBe(208); // 2012-01-02 … 2015-12-21, partial end weeks dropped
      expect(r.testWindows).toBe(8);
      // The same week last year beats "repeat the last week" 18 weeks out in any temperate city.
      expect(r.seasonalNaiveRmse).toBeLessThan(r.naiveRmse);
      expect(Number.isFinite(r.rmse)).toBe(true);
      expect(existsSync(join(out, `weather-${location}`, "forecasts.csv"))).toBe(true);
      expectSvgs(`weather-${location}`, ["history", "predictions", "gates"]);
    }
  });

  it("char_rnn", async () => {
    const c = collector();
    const args = ["--length", "40", "--temperature", "0.8", "--prime", "First Citizen:"];
    const r = await charRnn(quick("char", ...args), c.log);
    expect(c.text()).toContain("unigram entropy");
    expect(r.sample.startsWith("First Citizen:\n")).toBe(true);
    expect(r.sample.length).toBe("First Citizen:\n".length + 40);
    expect(r.unigramEntropy).toBeGreaterThan(2.5);
    expect(r.unigramEntropy).toBeLessThan(Math.log(r.vocab));
    // Same seed, same sample: sampling is deterministic.
    const again = await charRnn(quick("char2", ...args), () => {});
    expect(again.sample).toBe(r.sample);
    expect(existsSync(join(out, "char", "sample.txt"))).toBe(true);
    expectSvgs("char", ["history", "gates"]);
  });

  it("rejects unknown flags", async () => {
    await expect(sine(["--epoch", "3"], () => {})).rejects.toThrow(/epoch/);
  });
});
