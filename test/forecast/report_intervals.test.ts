// A real forecast's report in headless Chromium: the metrics table holds the statistical
// baselines, the interval coverage is shown, and the future chart draws its 80 % and 95 % bands and
// the backtest chart the best statistical baseline, without a vega error or warning.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "puppeteer-core";
import { writeReport } from "../../src/report/html.js";
import { forecast } from "../../src/forecast/forecaster.js";
import { launchChromium } from "../helpers/chromium.js";
import { synthetic } from "./fixtures.js";

let browser: Browser | null = null;
let dir = "";
afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("forecast report with the statistical baselines and intervals", () => {
  it("draws the bands and the best statistical baseline, and lists every method and the coverage", async () => {
    const r = await forecast(synthetic(96, { seed: 2 }), { epochs: 2, ensemble: 1, horizon: 6, testSize: 30, refit: false });
    dir = await mkdtemp(join(tmpdir(), "report-intervals-"));
    const file = join(dir, "report.html");
    await writeReport(file, r.report);
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    await page.waitForFunction(
      () => [...document.querySelectorAll("figure")].every((f) => !f.querySelector(".chart") || f.hasAttribute("data-status")),
      { timeout: 30_000 },
    );
    const dom = await page.content();
    for (const id of ["chart-future", "chart-backtest"]) {
      const m = dom.match(new RegExp(`<figure id="${id}"([^>]*)>([\\s\\S]*?)</figure>`));
      expect(m, id).not.toBeNull();
      expect(m![1], id).toContain('data-status="ok"');
      expect(m![1], id).toContain('data-warnings="0"');
    }
    expect(dom).toMatch(/class="mark-area role-mark future_band_marks"/);
    expect(dom).toMatch(/class="mark-area role-mark future_band80_marks"/);
    const best = r.report.backtestByStep[0]!.best!.method;
    expect(dom).toContain(`series: ${best}`);
    for (const k of ["model", "naive", "seasonalNaive", "drift", "ses", "holt", "damped", "ets", "theta", "comb"]) expect(dom).toContain(`data-method="${k}"`);
    expect(dom).toMatch(/<li data-level="80">80 %: [\d.]+ % of \d+ pairs<\/li>/);
    expect(dom).toMatch(/<li data-level="95">95 %: [\d.]+ % of \d+ pairs<\/li>/);
  }, 120_000);
});
