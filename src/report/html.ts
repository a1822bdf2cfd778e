// The forecast report as one self-contained HTML page: inline CSS, vega + vega-lite + vega-embed
// inlined, the report data and chart specs embedded as JSON, charts drawn as SVG when opened,
// offline. writeReport writes it atomically, so no half-written report exists.

import { fileSystem } from "../io/fs.js";
import type { ForecastReportData } from "./types.js";
import { reportCharts, type ChartDef } from "./charts.js";
import { METRIC_COLUMNS, bestPerColumn, coverageText, formatSig, methodLabel, orderedMethods } from "./format.js";

/** Text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/**
 * JSON that is safe inside <script>: "<", ">" and "&" are written as \u escapes so no string in the
 * data can close the script element or open a comment, and U+2028/2029 are escaped for old parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const LIBRARIES = [
  { pkg: "vega", file: "build/vega.min.js" },
  { pkg: "vega-lite", file: "build/vega-lite.min.js" },
  { pkg: "vega-embed", file: "build/vega-embed.min.js" },
] as const;

let librariesCache: string | null = null;

/** The three prebuilt bundles, read once from the installed packages. */
function inlineLibraries(): string {
  if (librariesCache !== null) return librariesCache;
  const fs = fileSystem("report");
  const parts = LIBRARIES.map(({ pkg, file }) => {
    // Defensive: a literal "</script" inside a bundle would end the inline script early.
    const code = fs.readText(fs.join(fs.packageDir(pkg), file)).replace(/<\/script/gi, "<\\/script");
    return `<script>/* ${pkg}/${file} */\n${code}\n</script>`;
  });
  librariesCache = parts.join("\n");
  return librariesCache;
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #111827; background: #f9fafb; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 8px; }
h2 { font-size: 18px; margin: 0 0 8px; }
header dl { display: flex; flex-wrap: wrap; gap: 4px 24px; margin: 0; }
header dl div { display: flex; gap: 6px; }
header dt { color: #6b7280; }
header dd { margin: 0; font-weight: 600; }
section, figure { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
figure .chart { width: 100%; min-height: 40px; }
figcaption { color: #4b5563; font-size: 13px; margin-top: 6px; }
table.metrics { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.metrics th, table.metrics td { padding: 4px 14px; border-bottom: 1px solid #e5e7eb; }
table.metrics th { text-align: right; color: #374151; }
table.metrics th:first-child, table.metrics td:first-child { text-align: left; }
table.metrics td { text-align: right; }
table.metrics tr.model td:first-child { font-weight: 600; }
table.metrics td.best { background: #dcfce7; font-weight: 700; }
.note { color: #4b5563; font-size: 13px; margin: 8px 0 0; }
.headline { margin: 8px 0 0; }
pre { margin: 0; overflow-x: auto; font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.empty { color: #6b7280; font-style: italic; margin: 0; }
.vega-error { color: #b91c1c; font-weight: 600; white-space: pre-wrap; }
`;

// Runs in the page: draws each chart, then records on its <figure> whether it drew
// (data-status="ok" | "error") and how many warnings vega logged (data-warnings), so a headless
// browser's DOM says whether the charts rendered.
const PAGE_SCRIPT = `
(function () {
  var charts = JSON.parse(document.getElementById("report-charts").textContent);
  charts.forEach(function (c) {
    var fig = document.getElementById(c.id);
    var el = fig.querySelector(".chart");
    var warnings = [];
    var level = 2;
    var logger = {
      level: function (l) { if (l === undefined) return level; level = l; return logger; },
      error: function () { warnings.push(Array.prototype.join.call(arguments, " ")); return logger; },
      warn: function () { warnings.push(Array.prototype.join.call(arguments, " ")); return logger; },
      info: function () { return logger; },
      debug: function () { return logger; }
    };
    vegaEmbed(el, c.spec, { renderer: "svg", actions: false, logger: logger }).then(function () {
      fig.setAttribute("data-status", "ok");
      fig.setAttribute("data-warnings", String(warnings.length));
      if (warnings.length) fig.setAttribute("title", warnings.join("\\n"));
    }).catch(function (err) {
      fig.setAttribute("data-status", "error");
      var p = document.createElement("p");
      p.className = "vega-error";
      p.textContent = "Chart error: " + (err && err.message ? err.message : String(err));
      el.replaceChildren(p);
    });
  });
})();
`;

function metricsSection(d: ForecastReportData): string {
  const methods = orderedMethods(d.metrics);
  if (methods.length === 0) return `<section id="metrics"><h2>Test metrics</h2><p class="empty">No metrics were computed.</p></section>`;
  const best = bestPerColumn(d.metrics);
  const head = `<tr><th>method</th>${METRIC_COLUMNS.map((c) => `<th>${c.label}</th>`).join("")}</tr>`;
  const rows = methods.map((m) => {
    const cells = METRIC_COLUMNS.map(({ key }) => {
      const v = d.metrics[m]![key];
      const isBest = best[key].has(m);
      return `<td${isBest ? ' class="best"' : ""} title="${escapeHtml(String(v))}">${escapeHtml(formatSig(v))}</td>`;
    });
    return `<tr class="${m === "model" ? "model" : "baseline"}" data-method="${escapeHtml(m)}"><td>${escapeHtml(methodLabel(m))}${m === "model" ? ` (${escapeHtml(d.model)})` : ""}</td>${cells.join("")}</tr>`;
  });
  return `<section id="metrics">
<h2>Test metrics</h2>
${headline(d)}
<table class="metrics"><thead>${head}</thead><tbody>
${rows.join("\n")}
</tbody></table>
<p class="note">Errors on the test period, lower is better; the best value of each column is highlighted.
MAE and RMSE are in the units of ${escapeHtml(d.target)}; sMAPE is the symmetric mean absolute percentage error.
MASE divides the MAE by the MAE of the seasonal naive forecast on the training data: <strong>MASE &lt; 1</strong> means
smaller errors than that seasonal naive forecast made in-sample, MASE &gt; 1 larger ones.
SES, Holt, damped Holt, ETS, Theta and Comb are fitted once on the training span and run over each origin's history.</p>
${coverageSection(d)}
</section>`;
}

/** The intervals' measured coverage, beside the metrics. */
function coverageSection(d: ForecastReportData): string {
  const iv = d.intervals;
  if (!iv) return "";
  const items = iv.coverage.map((c) => `<li data-level="${c.level}">${escapeHtml(coverageText(c))}</li>`).join("");
  return `<h2 id="interval-coverage">Interval coverage</h2>
<ul class="coverage">${items}</ul>
<p class="note">The forecast's 80 % and 95 % intervals are split-conformal: at each step, the forecast ± the ⌈(n+1)·level⌉-th smallest
absolute backtest error over the ${iv.origins} origins. Coverage is the share of backtest (origin, step) pairs whose actual value fell
inside an interval calibrated only on errors observed before that origin; a well-calibrated interval covers about its level.</p>`;
}

/** One sentence comparing the model's MAE with the best baseline's. */
function headline(d: ForecastReportData): string {
  const model = d.metrics.model?.mae;
  const baselines = Object.entries(d.metrics).filter(([k, m]) => k !== "model" && Number.isFinite(m.mae));
  if (model === undefined || !Number.isFinite(model) || baselines.length === 0) return "";
  const [bestKey, bestM] = baselines.reduce((a, b) => (b[1].mae < a[1].mae ? b : a));
  if (bestM.mae === 0) return "";
  const change = ((model - bestM.mae) / bestM.mae) * 100;
  const verdict = change < 0 ? `${formatSig(-change, 2)}% lower than` : change > 0 ? `${formatSig(change, 2)}% higher than` : "equal to";
  return `<p class="headline">The model's MAE (${escapeHtml(formatSig(model))}) is ${verdict} that of the best baseline, ${escapeHtml(methodLabel(bestKey))} (${escapeHtml(formatSig(bestM.mae))}).</p>`;
}

function figure(c: ChartDef): string {
  const body = c.spec ? `<div class="chart"></div>` : `<p class="empty">${escapeHtml(c.empty ?? "Nothing to draw.")}</p>`;
  return `<figure id="${c.id}"${c.spec ? "" : ' data-status="empty"'}>
<h2>${escapeHtml(c.heading)}</h2>
${body}
<figcaption>${escapeHtml(c.caption)}</figcaption>
</figure>`;
}

function header(d: ForecastReportData): string {
  const first = d.series[0]?.date;
  const last = d.series[d.series.length - 1]?.date;
  const facts: [string, string][] = [
    ["model", d.model],
    ["target", d.target],
    ["frequency", d.freq],
    ["horizon", String(d.horizon)],
    ["lookback", String(d.lookback)],
    ["season", String(d.season)],
    ["observations", String(d.series.length) + (first && last ? ` (${first} to ${last})` : "")],
    ["train end", d.trainEnd],
    ["test points", String(d.test.length)],
  ];
  if (d.validationStart) facts.push(["validation from", d.validationStart]);
  const notes = [...(d.imputed && d.imputed.count > 0 ? [`${d.imputed.count} missing value${d.imputed.count === 1 ? " was" : "s were"} imputed (${d.imputed.method}).`] : []), ...(d.notes ?? [])];
  return `<header>
<h1>${escapeHtml(d.title)}</h1>
<dl>${facts.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd data-key="${escapeHtml(k)}">${escapeHtml(v)}</dd></div>`).join("")}</dl>
${notes.length > 0 ? `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>` : ""}
</header>`;
}

/**
 * A report page around `sections` (HTML): its charts drawn as SVG when opened, offline (the
 * libraries are inlined), then the model summary; `data` is embedded as JSON when given.
 */
export function reportPage(p: { title: string; sections: string[]; charts: ChartDef[]; summary: string; data?: unknown }): string {
  const drawable = p.charts.filter((c) => c.spec !== null).map((c) => ({ id: c.id, spec: c.spec }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(p.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${p.sections.join("\n")}
${p.charts.map(figure).join("\n")}
<figure id="model-summary">
<h2>Model</h2>
<pre>${escapeHtml(p.summary)}</pre>
</figure>
</main>
${p.data === undefined ? "" : `<script type="application/json" id="report-data">${jsonForScript(p.data)}</script>\n`}<script type="application/json" id="report-charts">${jsonForScript(drawable)}</script>
${inlineLibraries()}
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/** The whole forecast report page. Self-contained: it opens offline and draws its charts as SVG. */
export function renderReportHtml(data: ForecastReportData): string {
  return reportPage({ title: data.title, sections: [header(data), metricsSection(data)], charts: reportCharts(data), summary: data.summary, data });
}

/** Write the report to `path` atomically (parent directories are created). */
export async function writeReport(path: string, data: ForecastReportData): Promise<void> {
  const html = renderReportHtml(data);
  const fs = fileSystem("writeReport");
  fs.mkdirp(fs.dirname(path));
  fs.writeAtomic(path, html);
}
