// The report in a real browser: headless Chromium (the npm package, through puppeteer-core) opens
// the written page offline, and the DOM must hold every chart as SVG with its drawn marks, series
// and no vega error or warning. It also saves a screenshot to test-output/report/report.png for a
// person to look at.

import { describe, it, expect, beforeEach, afterAll } from "vitest";
import { mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser } from "puppeteer-core";
import { writeReport } from "../../src/report/html.js";
import { launchChromium } from "../helpers/chromium.js";
import { syntheticReport } from "./synthetic.js";

const SCREENSHOT = fileURLToPath(new URL("../../test-output/report/report.png", import.meta.url));
const WIDTH = 1280;
const HEIGHT = 4000;

const data = syntheticReport();
let workDir = "";
let browser: Browser | null = null;
let rendering: Promise<string> | null = null;

/**
 * Write the report and open it in Chromium once, for all tests; resolves with the DOM once every
 * chart has recorded whether it drew. Each test awaits it, so a browser that cannot start fails
 * every test with the same message instead of skipping.
 */
function renderedDom(): Promise<string> {
  rendering ??= (async () => {
    workDir = await mkdtemp(join(tmpdir(), "report-render-"));
    const file = join(workDir, "report.html");
    await writeReport(file, data);
    await mkdir(join(SCREENSHOT, ".."), { recursive: true });
    await rm(SCREENSHOT, { force: true });
    browser = await launchChromium();
    const page = await browser.newPage();
    // A zone west of UTC: ISO dates must still show as the same calendar days.
    await page.emulateTimezone("America/Los_Angeles");
    await page.setViewport({ width: WIDTH, height: HEIGHT, deviceScaleFactor: 1 });
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    await page.waitForFunction(
      () => [...document.querySelectorAll("figure")].every((f) => !f.querySelector(".chart") || f.hasAttribute("data-status")),
      { timeout: 30_000 },
    );
    await page.screenshot({ path: SCREENSHOT as `${string}.png` });
    return page.content();
  })();
  return rendering;
}

let dom = "";

beforeEach(async () => {
  dom = await renderedDom();
});

afterAll(async () => {
  await browser?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function figure(id: string): { attrs: string; body: string } {
  const m = dom.match(new RegExp(`<figure id="${id}"([^>]*)>([\\s\\S]*?)</figure>`));
  if (!m) throw new Error(`figure #${id} is missing from the rendered DOM`);
  return { attrs: m[1]!, body: m[2]! };
}

/** The drawn paths of one vega mark (one group per series for line marks): aria label and `d`. */
function marks(body: string, kind: string, name: string): { label: string; d: string }[][] {
  const groups = [...body.matchAll(new RegExp(`<g class="mark-${kind} role-mark ${name}_marks"[^>]*>([\\s\\S]*?)</g>`, "g"))];
  return groups.map((g) =>
    [...g[1]!.matchAll(/<path aria-label="([^"]*)"[^>]*?\sd="([^"]*)"/g)].map((p) => ({ label: p[1]!, d: p[2]! })));
}

/** Line segments in a path: a line through n points is "M" then n - 1 "L". */
const segments = (d: string) => (d.match(/L/g) ?? []).length;
const seriesOf = (label: string) => label.match(/series: ([^;]+)$/)?.[1];

/** One line per series, each drawn through the given number of points. */
function expectLines(body: string, name: string, expected: Record<string, number>) {
  const groups = marks(body, "line", name);
  expect(groups.map((g) => g.length)).toEqual(Object.keys(expected).map(() => 1));
  const drawn = Object.fromEntries(groups.map(([p]) => [seriesOf(p!.label), segments(p!.d) + 1]));
  expect(drawn).toEqual(expected);
  for (const [p] of groups) expect(p!.d).toMatch(/^M[-\d.]+,[-\d.]+L/);
}

describe("the report in headless Chromium", () => {
  it("draws every chart as SVG without a vega error or warning", () => {
    for (const id of ["chart-loss", "chart-series", "chart-test", "chart-future", "chart-backtest"]) {
      const { attrs, body } = figure(id);
      expect(attrs, id).toContain('data-status="ok"');
      expect(attrs, id).toContain('data-warnings="0"');
      expect(body, id).toMatch(/<svg[^>]*class="marks"/);
      expect(body, id).not.toContain('class="vega-error"');
      expect(body, id).not.toContain("NaN");
    }
    expect(dom.match(/class="vega-error"/g)).toBeNull();
  });

  it("loss chart: training and validation curves over every epoch, on a log axis", () => {
    const { body } = figure("chart-loss");
    expectLines(body, "loss_lines", { training: 40, validation: 40 });
    expect(body).toContain("Y-axis titled 'loss (log scale)' for a log scale");
  });

  it("series chart: the whole series, the split rule at the validation tail's end, the one-shot forecast", () => {
    const { body } = figure("chart-series");
    expectLines(body, "series_lines", { observed: data.series.length });
    expectLines(body, "oneshot_lines", { "forecast from train end": data.oneShot.length });
    const [band] = marks(body, "rect", "validation_band");
    expect(band).toHaveLength(1);
    const rect = band![0]!.d.match(/^M([-\d.]+),[-\d.]+h([-\d.]+)v/)!;
    const rule = body.match(/<g class="mark-rule role-mark split_rule_layer_0_marks"[^>]*><line[^>]*transform="translate\(([-\d.]+),/)!;
    const bandEnd = Number(rect[1]) + Number(rect[2]);
    expect(Number(rect[2])).toBeGreaterThan(20);
    expect(Math.abs(bandEnd - Number(rule[1]))).toBeLessThan(0.5);
    expect(body).toMatch(/>train<\/text>/);
    expect(body).toMatch(/>test<\/text>/);
    // Dates are UTC days whatever the viewer's zone (the DOM was dumped in America/Los_Angeles).
    expect(body).toContain(`for a utc scale with values from ${data.series[0]!.date} to ${data.series[data.series.length - 1]!.date}`);
  });

  it("test chart: actual and model thick, naive and seasonal naive thin, over the test period", () => {
    const { body } = figure("chart-test");
    const n = data.test.length;
    expectLines(body, "test_lines", { actual: n, model: n });
    expectLines(body, "test_baselines", { naive: n, "seasonal naive": n });
    expect(body).toMatch(/test_lines_marks[^>]*><path[^>]*stroke-width="2"/);
    expect(body).toMatch(/test_baselines_marks[^>]*><path[^>]*stroke-width="1"/);
    expect(body).toContain("legend for stroke color with 4 values: actual, model, naive, seasonal naive");
    expect(body).toContain(`values from ${data.test[0]!.date} to ${data.test[n - 1]!.date}`);
  });

  it("future chart: recent history, the forecast joined to it, and the interval band", () => {
    const { body } = figure("chart-future");
    expectLines(body, "future_history", { observed: 104 });
    expectLines(body, "future_lines", { forecast: data.future.length + 1 });
    const [band] = marks(body, "area", "future_band");
    expect(band).toHaveLength(1);
    // An area path runs along the upper edge and back along the lower one: 2 x (points) - 1 segments.
    expect(segments(band![0]!.d)).toBe(2 * (data.future.length + 1) - 1);
    expect(body).toContain(`to ${data.future[data.future.length - 1]!.date}`);
  });

  it("backtest chart: MAE by step for the model and the three baselines", () => {
    const { body } = figure("chart-backtest");
    const steps = data.backtestByStep.length;
    expectLines(body, "backtest_lines", { model: steps, naive: steps, "seasonal naive": steps, drift: steps });
  });

  it("shows the model summary in a <pre> and the metrics table", () => {
    expect(figure("model-summary").body).toContain("<pre>Model: \"sequential\"\nLayer (type)");
    expect(dom.match(/<td class="best"/g)).toHaveLength(4);
  });

  it("saves a full-page screenshot", async () => {
    const png = await readFile(SCREENSHOT);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([WIDTH, HEIGHT]); // IHDR width, height
    // A blank page of this size compresses to a few kilobytes; five drawn charts do not.
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(100_000);
  });
});
