// The report of a model trained or evaluated from a config file (`recurrent train`, `evaluate`):
// the same self-contained page as the forecast report — facts, a metrics table, charts drawn as
// SVG when opened offline, the model summary — over any list of Vega-Lite charts.

import { fileSystem } from "../io/fs.js";
import type { ChartDef } from "./charts.js";
import { escapeHtml, reportPage } from "./html.js";
import { formatSig } from "./format.js";

export interface ModelReportData {
  title: string;
  /** Label → value pairs shown under the title. */
  facts: [string, string][];
  /** Method → metric → value (rows: model first, then baselines); empty for none. */
  metrics: Record<string, Record<string, number>>;
  metricsNote?: string;
  charts: ChartDef[];
  /** model.summary() */
  summary: string;
}

function metricsTable(d: ModelReportData): string {
  const methods = Object.keys(d.metrics);
  if (methods.length === 0) return "";
  const cols = Object.keys(d.metrics[methods[0]!]!);
  const best = new Map(cols.map((c) => [c, Math.min(...methods.map((m) => d.metrics[m]![c] ?? Infinity))]));
  const rows = methods.map((m) => `<tr data-method="${escapeHtml(m)}"><td>${escapeHtml(m)}</td>${cols.map((c) => {
    const v = d.metrics[m]![c]!;
    return `<td${v === best.get(c) ? ' class="best"' : ""} title="${escapeHtml(String(v))}">${escapeHtml(formatSig(v))}</td>`;
  }).join("")}</tr>`);
  return `<section id="metrics">
<h2>Metrics</h2>
<table class="metrics"><thead><tr><th>method</th>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead><tbody>
${rows.join("\n")}
</tbody></table>
${d.metricsNote ? `<p class="note">${escapeHtml(d.metricsNote)}</p>` : ""}
</section>`;
}

/** The whole page. */
export function renderModelReportHtml(d: ModelReportData): string {
  const header = `<header>
<h1>${escapeHtml(d.title)}</h1>
<dl>${d.facts.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd data-key="${escapeHtml(k)}">${escapeHtml(v)}</dd></div>`).join("")}</dl>
</header>`;
  return reportPage({ title: d.title, sections: [header, metricsTable(d)], charts: d.charts, summary: d.summary });
}

/** Write the page to `path` atomically (parent directories are created). */
export function writeModelReport(path: string, d: ModelReportData): void {
  const fs = fileSystem("writeModelReport");
  fs.mkdirp(fs.dirname(path));
  fs.writeAtomic(path, renderModelReportHtml(d));
}
