// The report of a config-file run (recurrent train / evaluate): built from a trained run directory,
// opened in headless Chromium, every chart drawn, no console error.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "puppeteer-core";
import { trainRun } from "../../src/forecast/config_run.js";
import { runReport } from "../../src/forecast/run_report.js";
import { writeModelReport } from "../../src/report/model_report.js";
import { launchChromium } from "../helpers/chromium.js";

let dir: string;
let browser: Browser | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "recurrent-run-report-"));
  const rows: string[] = [];
  for (let i = 0; i < 72; i++) rows.push(`${2010 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}-01,${(50 + 0.2 * i + 8 * Math.sin((2 * Math.PI * i) / 12)).toFixed(3)}`);
  writeFileSync(join(dir, "m.csv"), ["month,sales", ...rows].join("\n") + "\n");
  writeFileSync(join(dir, "cfg.json"), JSON.stringify({
    data: { csv: "m.csv", target: "sales", lookback: 12, horizon: 3, testSize: 12 },
    model: { seed: 2, layers: [{ type: "lstm", units: 6 }, { type: "dense", units: 3 }] },
    compile: { optimizer: { type: "adam", learningRate: 0.01 }, loss: "mse", metrics: ["mae"] },
    fit: { epochs: 6, batchSize: 16 },
  }));
  await trainRun(join(dir, "cfg.json"), join(dir, "run"), { verbose: 0 });
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("run report", () => {
  it("holds the training curves, test predictions beside naive, the gates and the metrics", async () => {
    const d = await runReport(join(dir, "run"));
    expect(d.charts.map((c) => c.id)).toEqual(["history", "predictions", "gates"]);
    expect(Object.keys(d.metrics).sort()).toEqual(["drift", "model", "naive", "seasonalNaive"]);
    expect(d.facts.find(([k]) => k === "test points")?.[1]).toBe("12");
    expect(d.facts.find(([k]) => k === "epochs trained")?.[1]).toBe("6");
    const pred = JSON.stringify(d.charts[1]!.spec);
    expect(pred).toContain('"naive"');
    expect(d.summary).toMatch(/Total params/);
  });

  it("opens in Chromium with every chart drawn and no console error", async () => {
    const file = join(dir, "run", "report.html");
    writeModelReport(file, await runReport(join(dir, "run")));
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    await page.waitForFunction(() => [...document.querySelectorAll("figure .chart")].every((c) => c.closest("figure")!.hasAttribute("data-status")), { timeout: 30_000 });
    const status = await page.$$eval("figure[data-status]", (fs) => fs.map((f) => [f.id, f.getAttribute("data-status"), f.getAttribute("data-warnings")]));
    expect(status).toEqual([["history", "ok", "0"], ["predictions", "ok", "0"], ["gates", "ok", "0"]]);
    const rects = await page.$$eval("#gates svg path[aria-roledescription='rect'], #gates svg .mark-rect path", (ps) => ps.length);
    expect(rects).toBeGreaterThanOrEqual(6 * 12 * 6); // six panels of 6 units × 12 steps
    expect(errors).toEqual([]);
  });
});
