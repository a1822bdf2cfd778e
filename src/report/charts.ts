// Vega-Lite specifications of the report's charts, built from ForecastReportData. Pure data in,
// JSON out: the HTML page embeds them and vega-embed draws them as SVG.
// Data fields have fixed names (date, value, series ...); user text (the target's name) only ever
// appears as a title, never as a field name, so it cannot be read as a field path or expression.

import type { ForecastReportData } from "./types.js";

/** A Vega-Lite spec as plain JSON. */
export type VlSpec = Record<string, unknown>;

export interface ChartDef {
  /** id of the <figure> that holds the chart. */
  id: string;
  heading: string;
  caption: string;
  /** null when there is nothing to draw; the page says so instead. */
  spec: VlSpec | null;
  /** Why spec is null. */
  empty?: string;
}

/** One colour per role, the same in every chart. */
export const COLORS = {
  actual: "#1f2937",
  model: "#2563eb",
  naive: "#9ca3af",
  seasonalNaive: "#d97706",
  drift: "#059669",
  statistical: "#7c3aed",
  validation: "#ea580c",
  validationTail: "#fde68a",
  split: "#dc2626",
} as const;

const HEIGHT = 260;

const finite = (x: number | null | undefined): x is number => typeof x === "number" && Number.isFinite(x);

/** Temporal x on a UTC scale: ISO dates parse as UTC midnight and must not shift by the viewer's zone. */
function dateX(title = "date"): VlSpec {
  return { field: "date", type: "temporal", scale: { type: "utc" }, axis: { title, format: "%Y-%m-%d", labelOverlap: true, labelSeparation: 12, grid: false } };
}

function valueY(target: string, extra: VlSpec = {}): VlSpec {
  return { field: "value", type: "quantitative", title: target, scale: { zero: false }, ...extra };
}

/**
 * Colour by series with a fixed domain, so legends and colours agree across charts. `strokeLegend`
 * draws legend entries as line strokes even where points are drawn on a line.
 */
function seriesColor(domain: string[], range: string[], strokeLegend = false): VlSpec {
  return {
    field: "series", type: "nominal", title: null, scale: { domain, range },
    legend: { orient: "top", ...(strokeLegend ? { symbolType: "stroke" } : {}) },
  };
}

function base(name: string, layers: VlSpec[], description: string): VlSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    name,
    description,
    width: "container",
    height: HEIGHT,
    autosize: { type: "fit-x", contains: "padding" },
    layer: layers,
    config: {
      font: "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif",
      axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600 },
      legend: { labelFontSize: 12, symbolStrokeWidth: 2.5 },
      view: { stroke: "#e5e7eb" },
    },
  };
}

export function lossChart(d: ForecastReportData): ChartDef {
  const rows: VlSpec[] = [];
  const add = (xs: number[] | undefined, series: string) =>
    xs?.forEach((loss, i) => {
      // A log scale cannot show zero or negative losses.
      if (finite(loss) && loss > 0) rows.push({ epoch: i + 1, loss, series });
    });
  add(d.lossHistory.loss, "training");
  add(d.lossHistory.val_loss, "validation");
  const def: ChartDef = {
    id: "chart-loss",
    heading: "Training and validation loss",
    caption: "Loss per epoch on a log scale. Validation loss that rises while training loss falls is overfitting.",
    spec: null,
  };
  if (rows.length === 0) return { ...def, empty: "No positive, finite loss values were recorded." };
  const hasVal = rows.some((r) => r.series === "validation");
  const domain = hasVal ? ["training", "validation"] : ["training"];
  return {
    ...def,
    spec: base("loss", [{
      name: "loss_lines",
      data: { values: rows },
      mark: { type: "line", strokeWidth: 2, clip: true },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "epoch", scale: { zero: false, nice: false }, axis: { tickMinStep: 1, format: "d" } },
        y: { field: "loss", type: "quantitative", title: "loss (log scale)", scale: { type: "log", nice: false } },
        color: seriesColor(domain, [COLORS.model, COLORS.validation].slice(0, domain.length)),
      },
    }], "Training and validation loss by epoch"),
  };
}

export function seriesChart(d: ForecastReportData): ChartDef {
  const observed = d.series.filter((p) => finite(p.value)).map((p) => ({ date: p.date, value: p.value, series: "observed" }));
  const oneShot = d.oneShot.filter((p) => finite(p.predicted)).map((p) => ({ date: p.date, value: p.predicted, series: "forecast from train end" }));
  const def: ChartDef = {
    id: "chart-series",
    heading: "The series and the split",
    caption:
      "The whole series. The vertical rule marks the last training point; everything after it is the test period. " +
      (d.validationStart ? "The shaded band is the validation tail held out of training for early stopping. " : "") +
      (oneShot.length > 0 ? `The dashed line is the ${d.horizon}-step forecast made from the last training point.` : ""),
    spec: null,
  };
  if (observed.length === 0) return { ...def, empty: "The series has no finite values." };
  const domain = oneShot.length > 0 ? ["observed", "forecast from train end"] : ["observed"];
  const color = seriesColor(domain, [COLORS.actual, COLORS.model].slice(0, domain.length));
  const layers: VlSpec[] = [];
  if (d.validationStart) {
    layers.push({
      name: "validation_band",
      data: { values: [{ date: d.validationStart, date2: d.trainEnd, label: "validation" }] },
      mark: { type: "rect", color: COLORS.validationTail, opacity: 0.6 },
      encoding: { x: dateX(), x2: { field: "date2" } },
    });
  }
  layers.push(
    {
      name: "series_lines",
      data: { values: observed },
      mark: { type: "line", strokeWidth: 1.5 },
      encoding: { x: dateX(), y: valueY(d.target), color },
    },
    ...(oneShot.length > 0
      ? [{
        name: "oneshot_lines",
        data: { values: oneShot },
        mark: { type: "line", strokeWidth: 2, strokeDash: [6, 3] },
        encoding: { x: dateX(), y: valueY(d.target), color },
      }]
      : []),
    {
      name: "split_rule",
      data: { values: [{ date: d.trainEnd }] },
      layer: [
        { mark: { type: "rule", color: COLORS.split, strokeWidth: 1.5 }, encoding: { x: dateX() } },
        {
          mark: { type: "text", color: COLORS.split, align: "right", baseline: "top", dx: -4, dy: 4, fontSize: 12, text: "train" },
          encoding: { x: dateX(), y: { value: 0 } },
        },
        {
          mark: { type: "text", color: COLORS.split, align: "left", baseline: "top", dx: 4, dy: 4, fontSize: 12, text: "test" },
          encoding: { x: dateX(), y: { value: 0 } },
        },
      ],
    },
  );
  return { ...def, spec: base("series", layers, "The observed series with the train/test split") };
}

export function testChart(d: ForecastReportData): ChartDef {
  const rows: VlSpec[] = [];
  const present = new Set<string>();
  for (const p of d.test) {
    const put = (series: string, value: number | undefined) => {
      if (!finite(value)) return;
      rows.push({ date: p.date, value, series });
      present.add(series);
    };
    put("actual", p.actual);
    put("model", p.predicted);
    put("naive", p.naive);
    put("seasonal naive", p.seasonalNaive);
  }
  const def: ChartDef = {
    id: "chart-test",
    heading: "Actual vs predicted on the test period",
    caption:
      "One-step-ahead forecasts (the first step of each horizon) over the test period. " +
      "The thin lines are the naive (last value) and seasonal naive (value one season ago) baselines.",
    spec: null,
  };
  if (rows.length === 0) return { ...def, empty: "There are no test points." };
  // Baselines first and thin, so the model and the actuals are drawn over them.
  const styles = [
    { s: "actual", c: COLORS.actual },
    { s: "model", c: COLORS.model },
    { s: "naive", c: COLORS.naive },
    { s: "seasonal naive", c: COLORS.seasonalNaive },
  ].filter((x) => present.has(x.s));
  const color = seriesColor(styles.map((x) => x.s), styles.map((x) => x.c));
  const isBaseline = (r: VlSpec) => r.series === "naive" || r.series === "seasonal naive";
  const baselines = rows.filter(isBaseline);
  const main = rows.filter((r) => !isBaseline(r));
  const layers: VlSpec[] = [];
  if (baselines.length > 0) {
    layers.push({
      name: "test_baselines",
      data: { values: baselines },
      mark: { type: "line", strokeWidth: 1 },
      encoding: { x: dateX(), y: valueY(d.target), color },
    });
  }
  if (main.length > 0) {
    layers.push({
      name: "test_lines",
      data: { values: main },
      mark: { type: "line", strokeWidth: 2 },
      encoding: { x: dateX(), y: valueY(d.target), color },
    });
  }
  return { ...def, spec: base("test", layers, "Actual against one-step-ahead forecasts on the test period") };
}

/** How much history to show before the forecast: enough to see a few horizons and two seasons. */
export function historyWindow(d: ForecastReportData): number {
  return Math.min(d.series.length, Math.max(4 * d.future.length, 2 * d.season, 24));
}

export function futureChart(d: ForecastReportData): ChartDef {
  const observed = d.series.filter((p) => finite(p.value));
  const history = observed.slice(-historyWindow(d)).map((p) => ({ date: p.date, value: p.value, series: "observed" }));
  const future = d.future.filter((p) => finite(p.value));
  const def: ChartDef = {
    id: "chart-future",
    heading: "Forecast past the end of the data",
    caption:
      `The last ${history.length} observations and the ${future.length}-step forecast that follows them` +
      (future.some((p) => finite(p.lower80) && finite(p.upper80))
        ? "; the bands are the 80 % (darker) and 95 % intervals."
        : future.some((p) => finite(p.lower) && finite(p.upper)) ? "; the band is the forecast interval." : "."),
    spec: null,
  };
  if (future.length === 0) return { ...def, empty: "No forecast past the end of the data was made." };
  const last = history[history.length - 1];
  // The forecast line starts at the last observation so the two lines join.
  const forecast = [...(last ? [{ date: last.date, value: last.value, series: "forecast" }] : []),
    ...future.map((p) => ({ date: p.date, value: p.value, series: "forecast" }))];
  const band = future.filter((p) => finite(p.lower) && finite(p.upper)).map((p) => ({ date: p.date, lower: p.lower, upper: p.upper }));
  if (band.length > 0 && last) band.unshift({ date: last.date, lower: last.value, upper: last.value });
  const band80 = future.filter((p) => finite(p.lower80) && finite(p.upper80)).map((p) => ({ date: p.date, lower: p.lower80, upper: p.upper80 }));
  if (band80.length > 0 && last) band80.unshift({ date: last.date, lower: last.value, upper: last.value });
  const layers: VlSpec[] = [];
  if (band.length > 0) {
    layers.push({
      name: "future_band",
      data: { values: band },
      mark: { type: "area", color: COLORS.model, opacity: 0.18 },
      encoding: { x: dateX(), y: { field: "lower", type: "quantitative", title: d.target, scale: { zero: false } }, y2: { field: "upper" } },
    });
  }
  if (band80.length > 0) {
    layers.push({
      name: "future_band80",
      data: { values: band80 },
      mark: { type: "area", color: COLORS.model, opacity: 0.3 },
      encoding: { x: dateX(), y: { field: "lower", type: "quantitative", title: d.target, scale: { zero: false } }, y2: { field: "upper" } },
    });
  }
  const domain = history.length > 0 ? ["observed", "forecast"] : ["forecast"];
  const color = seriesColor(domain, history.length > 0 ? [COLORS.actual, COLORS.model] : [COLORS.model], true);
  if (last) {
    layers.push({
      name: "future_end_rule",
      data: { values: [{ date: last.date }] },
      mark: { type: "rule", color: "#6b7280", strokeDash: [4, 3] },
      encoding: { x: dateX() },
    });
  }
  if (history.length > 0) {
    layers.push({
      name: "future_history",
      data: { values: history },
      mark: { type: "line", strokeWidth: 1.5 },
      encoding: { x: dateX(), y: valueY(d.target), color },
    });
  }
  layers.push({
    name: "future_lines",
    data: { values: forecast },
    mark: { type: "line", strokeWidth: 2, point: { size: 16, filled: true } },
    encoding: { x: dateX(), y: valueY(d.target), color },
  });
  return { ...def, spec: base("future", layers, "The forecast appended to the last part of the series") };
}

export function backtestChart(d: ForecastReportData): ChartDef {
  const methods: { key: "model" | "naive" | "seasonalNaive" | "drift" | "best"; s: string; c: string }[] = [
    { key: "model", s: "model", c: COLORS.model },
    { key: "naive", s: "naive", c: COLORS.naive },
    { key: "seasonalNaive", s: "seasonal naive", c: COLORS.seasonalNaive },
    { key: "drift", s: "drift", c: COLORS.drift },
  ];
  // The best statistical baseline, named by its method (one series name, whichever it is).
  const bestName = d.backtestByStep.find((r) => r.best)?.best?.method;
  if (bestName) methods.push({ key: "best", s: bestName, c: COLORS.statistical });
  const rows: VlSpec[] = [];
  const present = new Set<string>();
  for (const r of d.backtestByStep) {
    for (const m of methods) {
      const mae = m.key === "best" ? r.best?.mae : r[m.key];
      if (finite(mae)) {
        rows.push({ step: r.step, mae, series: m.s });
        present.add(m.s);
      }
    }
  }
  const def: ChartDef = {
    id: "chart-backtest",
    heading: "Backtest error by horizon step",
    caption: "Mean absolute error at each step ahead, over all backtest origins, beside the statistical baseline with the lowest MAE when one ran. Lower is better; errors usually grow with the step.",
    spec: null,
  };
  if (rows.length === 0) return { ...def, empty: "No backtest was run." };
  const shown = methods.filter((m) => present.has(m.s));
  return {
    ...def,
    spec: base("backtest", [{
      name: "backtest_lines",
      data: { values: rows },
      mark: { type: "line", strokeWidth: 2, point: { size: 30, filled: true } },
      encoding: {
        x: { field: "step", type: "quantitative", title: "step ahead", axis: { tickMinStep: 1, format: "d" } },
        y: { field: "mae", type: "quantitative", title: `MAE (${d.target})`, scale: { zero: true } },
        color: seriesColor(shown.map((m) => m.s), shown.map((m) => m.c)),
      },
    }], "Backtest MAE by horizon step"),
  };
}

/** The report's charts in page order. */
export function reportCharts(d: ForecastReportData): ChartDef[] {
  return [lossChart(d), seriesChart(d), testChart(d), futureChart(d), backtestChart(d)];
}
