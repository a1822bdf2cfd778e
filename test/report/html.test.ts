// The HTML report without a browser: escaping and script safety, self-containment, the metrics
// table's highlighting, the embedded data, atomic writing, and that every chart spec (including
// the variants for missing optional data) compiles with vega-lite and renders in vega without warnings.

import { describe, it, expect } from "vitest";
import { mkdtemp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vl from "vega-lite";
import * as vega from "vega";
import { renderReportHtml, writeReport, escapeHtml } from "../../src/report/html.js";
import { reportCharts, historyWindow, type VlSpec } from "../../src/report/charts.js";
import type { ForecastReportData } from "../../src/report/types.js";
import { syntheticReport } from "./synthetic.js";

const CHART_IDS = ["chart-loss", "chart-series", "chart-test", "chart-future", "chart-backtest"];

function jsonBlock(html: string, id: string): unknown {
  const m = html.match(new RegExp(`<script type="application/json" id="${id}">([^<]*)</script>`));
  if (!m) throw new Error(`no JSON block #${id} in the page`);
  return JSON.parse(m[1]!);
}

/** The page without the inlined library bundles: what this project wrote. */
const ownPart = (html: string) => html.replace(/<script>\/\* vega[\s\S]*?<\/script>/g, "");

function figure(html: string, id: string): string {
  const start = html.indexOf(`<figure id="${id}"`);
  if (start < 0) throw new Error(`no figure #${id}`);
  return html.slice(start, html.indexOf("</figure>", start));
}

/** Compile and render one spec in Node; returns the SVG and what vega-lite and vega logged. */
async function renderInNode(spec: VlSpec): Promise<{ svg: string; warnings: string[] }> {
  const warnings: string[] = [];
  const logger = {
    level: () => logger,
    warn: (...a: unknown[]) => (warnings.push(a.join(" ")), logger),
    error: (...a: unknown[]) => (warnings.push(a.join(" ")), logger),
    info: () => logger,
    debug: () => logger,
  };
  // "container" width needs a page; a fixed width is enough to check the marks.
  const compiled = vl.compile({ ...spec, width: 700 } as vl.TopLevelSpec, { logger: logger as never });
  const view = new vega.View(vega.parse(compiled.spec), { renderer: "none", logger: logger as never });
  const svg = await view.toSVG();
  view.finalize();
  return { svg, warnings };
}

/** Number of mark groups of a kind and name in an SVG (a line mark has one group per series). */
const groups = (svg: string, kind: string, name: string) =>
  (svg.match(new RegExp(`<g class="mark-${kind} role-mark ${name}_marks"`, "g")) ?? []).length;

describe("renderReportHtml", () => {
  const data = syntheticReport();
  const html = renderReportHtml(data);

  const own = ownPart(html);
  const count = (s: string, x: string) => s.split(x).length - 1;

  it("is self-contained: the three libraries inline, no external scripts or styles", () => {
    expect(count(html, "<script>/* vega/build/vega.min.js */")).toBe(1);
    expect(count(html, "<script>/* vega-lite/build/vega-lite.min.js */")).toBe(1);
    expect(count(html, "<script>/* vega-embed/build/vega-embed.min.js */")).toBe(1);
    expect(own).not.toMatch(/<script[^>]+src=/i);
    expect(own).not.toMatch(/<link[^>]+stylesheet/i);
    expect(own).toContain('renderer: "svg"');
    expect(html.length).toBeGreaterThan(500_000);
  });

  it("has the header facts, one figure with a caption per chart, and the summary in a <pre>", () => {
    expect(own).toContain("<h1>Seattle temp_mid, weekly</h1>");
    for (const [k, v] of [["model", "lstm"], ["target", "temp_mid"], ["frequency", "week"], ["horizon", "12"], ["lookback", "26"], ["season", "52"]]) {
      expect(own).toContain(`<dd data-key="${k}">${v}</dd>`);
    }
    for (const id of CHART_IDS) {
      const f = figure(own, id);
      expect(f).toContain('<div class="chart"></div>');
      expect(f).toMatch(/<figcaption>[^<]{20,}<\/figcaption>/);
    }
    expect(figure(own, "model-summary")).toContain("<pre>Model: &quot;sequential&quot;\nLayer (type)");
    expect(own).toContain("3 missing values were imputed (linear).");
  });

  it("embeds the report data unchanged and one spec per chart", () => {
    expect(jsonBlock(html, "report-data")).toEqual(data);
    const charts = jsonBlock(html, "report-charts") as { id: string }[];
    expect(charts.map((c) => c.id)).toEqual(CHART_IDS);
  });

  it("highlights the best value per column, not per row, and explains MASE < 1", () => {
    const d = syntheticReport({
      metrics: {
        model: { mae: 0.6, rmse: 0.9, smape: 5, mase: 0.7 },
        naive: { mae: 1, rmse: 0.8, smape: 9, mase: 1.2 },
        seasonalNaive: { mae: 1.2, rmse: 1.5, smape: 4, mase: 1.4 },
        drift: { mae: 1.1, rmse: 1.3, smape: 9, mase: NaN },
      },
    });
    const page = renderReportHtml(d);
    const bestCells = (method: string) => {
      const row = page.match(new RegExp(`<tr class="[a-z]+" data-method="${method}">(.*?)</tr>`))![1]!;
      return [...row.matchAll(/<td( class="best")?[^>]*>([^<]*)<\/td>/g)].slice(1).map((m) => (m[1] ? `*${m[2]}` : m[2]));
    };
    expect(bestCells("model")).toEqual(["*0.600", "0.900", "5.00", "*0.700"]);
    expect(bestCells("naive")).toEqual(["1.00", "*0.800", "9.00", "1.20"]);
    expect(bestCells("seasonalNaive")).toEqual(["1.20", "1.50", "*4.00", "1.40"]);
    expect(bestCells("drift")).toEqual(["1.10", "1.30", "9.00", "n/a"]);
    expect(page).toContain("<strong>MASE &lt; 1</strong> means");
    expect(page).toContain("The model's MAE (0.600) is 40% lower than that of the best baseline, naive (1.00).");
  });

  it("escapes every piece of user text, and no data can close a script element", () => {
    const evil = "</script><img src=x onerror=alert(1)>";
    const d = syntheticReport({
      title: `<script>alert("t")</script> & co`,
      target: evil,
      model: `"><b>m</b>`,
      summary: "<b>bold</b> & </pre>",
      notes: [evil],
      metrics: { model: { mae: 1, rmse: 1, smape: 1, mase: 1 }, [evil]: { mae: 2, rmse: 2, smape: 2, mase: 2 } },
    });
    const full = renderReportHtml(d);
    const page = ownPart(full);
    expect(page.length).toBeLessThan(full.length / 5);
    expect(page).not.toContain("<img");
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<b>");
    expect(page).toContain("<title>&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; co</title>");
    expect(page).toContain("<pre>&lt;b&gt;bold&lt;/b&gt; &amp; &lt;/pre&gt;</pre>");
    // Exactly the six scripts of the page: two JSON blocks, three libraries, the page script.
    expect(full.match(/<script/g)).toHaveLength(6);
    expect(full.match(/<\/script>/g)).toHaveLength(6);
    expect(jsonBlock(page, "report-data")).toEqual(JSON.parse(JSON.stringify(d)));
    expect(escapeHtml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&#39;");
  });

  it("says so instead of drawing when a chart has no data", () => {
    const page = renderReportHtml(syntheticReport({ future: [], backtestByStep: [], lossHistory: { loss: [] } }));
    for (const id of ["chart-future", "chart-backtest", "chart-loss"]) {
      expect(figure(page, id)).toMatch(/data-status="empty"[\s\S]*<p class="empty">/);
    }
    expect((jsonBlock(page, "report-charts") as { id: string }[]).map((c) => c.id)).toEqual(["chart-series", "chart-test"]);
  });
});

describe("chart specs", () => {
  it("compile and render in vega with the expected marks and no warnings", async () => {
    const d = syntheticReport();
    const [loss, series, test, future, backtest] = reportCharts(d);
    const r = await Promise.all([loss, series, test, future, backtest].map((c) => renderInNode(c!.spec!)));
    for (const x of r) expect(x.warnings).toEqual([]);
    expect(groups(r[0]!.svg, "line", "loss_lines")).toBe(2);
    expect(groups(r[1]!.svg, "rect", "validation_band")).toBe(1);
    expect(groups(r[1]!.svg, "line", "series_lines")).toBe(1);
    expect(groups(r[1]!.svg, "line", "oneshot_lines")).toBe(1);
    expect(groups(r[1]!.svg, "rule", "split_rule_layer_0")).toBe(1);
    expect(groups(r[2]!.svg, "line", "test_lines")).toBe(2);
    expect(groups(r[2]!.svg, "line", "test_baselines")).toBe(2);
    expect(groups(r[3]!.svg, "area", "future_band")).toBe(1);
    expect(groups(r[4]!.svg, "line", "backtest_lines")).toBe(4);
  });

  it("leave out what the data does not have, still without warnings", async () => {
    const base = syntheticReport();
    const d: ForecastReportData = {
      ...base,
      validationStart: undefined,
      lossHistory: { loss: [0.5, 0.25, 0, 0.1] }, // a zero loss cannot go on a log scale
      test: base.test.map(({ date, actual, predicted }) => ({ date, actual, predicted })),
      oneShot: [],
      future: base.future.map(({ date, value }) => ({ date, value })),
    };
    const [loss, series, test, future] = reportCharts(d);
    const [rl, rs, rt, rf] = await Promise.all([loss, series, test, future].map((c) => renderInNode(c!.spec!)));
    for (const x of [rl, rs, rt, rf]) expect(x!.warnings).toEqual([]);
    expect(groups(rl!.svg, "line", "loss_lines")).toBe(1);
    expect((rl!.svg.match(/<path aria-label="epoch[^"]*" role="graphics-symbol" aria-roledescription="line mark" d="M[^"]+"/g) ?? [])).toHaveLength(1);
    expect(rl!.svg.match(/d="M[^"]*"/g)!.some((p) => (p.match(/L/g) ?? []).length === 2)).toBe(true); // three positive losses
    expect(groups(rs!.svg, "rect", "validation_band")).toBe(0);
    expect(groups(rs!.svg, "line", "oneshot_lines")).toBe(0);
    expect(groups(rt!.svg, "line", "test_baselines")).toBe(0);
    expect(groups(rt!.svg, "line", "test_lines")).toBe(2);
    expect(groups(rf!.svg, "area", "future_band")).toBe(0);
    expect(future!.caption).not.toContain("band");
  });

  it("shows enough history before the forecast: four horizons or two seasons", () => {
    const d = syntheticReport();
    expect(historyWindow(d)).toBe(104);
    expect(historyWindow({ ...d, season: 1 })).toBe(48);
    expect(historyWindow({ ...d, series: d.series.slice(0, 30), season: 1 })).toBe(30);
  });
});

describe("writeReport", () => {
  it("writes the page whole, replaces an old one, and leaves no temporary file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "report-"));
    const path = join(dir, "sub", "report.html");
    await writeReport(path, syntheticReport({ title: "first" }));
    await writeReport(path, syntheticReport({ title: "second" }));
    const text = await readFile(path, "utf8");
    expect(text).toContain("<h1>second</h1>");
    expect(text.trimEnd().endsWith("</html>")).toBe(true);
    expect(await readdir(join(dir, "sub"))).toEqual(["report.html"]);
  });

  it("cleans up its temporary file when the rename fails", async () => {
    const dir = await mkdtemp(join(tmpdir(), "report-"));
    const path = join(dir, "report.html");
    await mkdir(path); // a non-empty directory in the way makes the rename fail
    await writeFile(join(path, "keep"), "x");
    await expect(writeReport(path, syntheticReport())).rejects.toThrow();
    expect(await readdir(dir)).toEqual(["report.html"]);
  });
});
