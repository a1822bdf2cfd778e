// Pictures of any model, not only of a forecast: training history, predictions, predicted-vs-actual
// scatter and gate heatmaps, each as a Vega-Lite spec and a plain-text terminal rendering, plus
// toSvg to draw a spec headless. Host-neutral, so the browser bundle carries it too.

import { ConfigError } from "../tensor/errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { COLORS, type VlSpec } from "./charts.js";
import { asciiHeatmap, asciiLines, asciiScatter, SHADES } from "./ascii.js";
import { formatSig } from "./format.js";

/** A chart two ways: the Vega-Lite spec (for toSvg or vega-embed) and its terminal rendering. */
export interface Plot {
  spec: VlSpec;
  terminal: string;
}

export interface PlotOptions {
  /** Overrides the default title. */
  title?: string;
  /** Pixel width of each panel (default 480). */
  width?: number;
  /** Pixel height of each panel (default 200). */
  height?: number;
  /** Terminal plot area, labels excluded: columns (default 60) and rows (default 10). */
  termWidth?: number;
  termHeight?: number;
}

// The layer rules keep src/report from importing models and layers, so these mirror the shapes of
// History and LstmInternals / GruInternals structurally; the real types are assignable to them.
export interface HistoryLike {
  epoch?: number[];
  history: Record<string, number[]>;
}
export interface LstmGates {
  inputGate: Tensor; forgetGate: Tensor; candidate: Tensor; outputGate: Tensor; cellState: Tensor; hiddenState: Tensor;
}
export interface GruGates {
  updateGate: Tensor; resetGate: Tensor; candidate: Tensor; hiddenState: Tensor;
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const SERIES_COLORS = [COLORS.actual, COLORS.model, COLORS.naive, COLORS.seasonalNaive, COLORS.drift, COLORS.validation];
const SYMBOLS = ["*", "o", "+", "x", "#", "%"];

const finite = (x: number | undefined): x is number => typeof x === "number" && Number.isFinite(x);

function frame(opts: PlotOptions) {
  return { width: opts.width ?? 480, height: opts.height ?? 200 };
}

function top(title: string, body: VlSpec): VlSpec {
  return {
    $schema: SCHEMA,
    title,
    ...body,
    config: { axis: { labelFontSize: 11, titleFontSize: 12 }, view: { stroke: "#e5e7eb" } },
  };
}

/** More than ~2 decades between the smallest and largest positive value reads badly on a linear axis. */
function wantsLog(values: readonly number[]): boolean {
  const xs = values.filter(finite);
  return xs.length > 0 && xs.every((x) => x > 0) && Math.max(...xs) / Math.min(...xs) > 100;
}

/**
 * Loss and every metric per epoch, one panel per family (`mae` and `val_mae` share a panel),
 * training solid and validation in its own colour; a panel uses a log y axis when its values span
 * more than two decades.
 */
export function plotHistory(history: HistoryLike, opts: PlotOptions = {}): Plot {
  const keys = Object.keys(history.history);
  const families = [...new Set(keys.map((k) => k.replace(/^val_/, "")))];
  // Loss first: it is the panel people look at.
  families.sort((a, b) => Number(b === "loss") - Number(a === "loss"));
  if (families.length === 0) throw new ConfigError("plotHistory: history has no recorded values");
  const epochAt = (i: number) => history.epoch?.[i] ?? i + 1;
  const title = opts.title ?? "Training history";
  const panels: VlSpec[] = [];
  const texts: string[] = [];
  for (const family of families) {
    const train = history.history[family] ?? [];
    const val = history.history[`val_${family}`] ?? [];
    const log = wantsLog([...train, ...val]);
    const rows = [
      ...train.map((value, i) => ({ epoch: epochAt(i), value, split: "training" })),
      ...val.map((value, i) => ({ epoch: epochAt(i), value, split: "validation" })),
    ].filter((r) => finite(r.value) && (!log || r.value > 0));
    panels.push({
      ...frame(opts),
      data: { values: rows },
      mark: { type: "line", point: rows.length < 2, strokeWidth: 2 },
      name: `history_${panels.length}`,
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "epoch", scale: { zero: false, nice: false }, axis: { tickMinStep: 1, format: "d" } },
        y: { field: "value", type: "quantitative", title: log ? `${family} (log scale)` : family, scale: log ? { type: "log" } : { zero: false } },
        color: { field: "split", type: "nominal", title: null, scale: { domain: ["training", "validation"], range: [COLORS.model, COLORS.validation] } },
      },
    });
    const series = [
      ...(train.length > 0 ? [{ name: "training", values: train, symbol: "*" }] : []),
      ...(val.length > 0 ? [{ name: "validation", values: val, symbol: "o" }] : []),
    ];
    texts.push(asciiLines(series, {
      title: `${title}: ${family}`, logY: log, xLabel: "epoch", xStart: epochAt(0), width: opts.termWidth, height: opts.termHeight,
    }));
  }
  return {
    spec: top(title, { vconcat: panels, resolve: { scale: { color: "shared" } } }),
    terminal: texts.join("\n\n"),
  };
}

export interface PredictionsInput {
  actual: readonly number[];
  predicted: readonly number[];
  /** Named comparison series (e.g. { naive: [...] }) on the same index axis. */
  baselines?: Record<string, readonly number[]>;
  /** Legend names of actual and predicted (default "actual", "predicted"). */
  labels?: [string, string];
}

/** Actual and predicted values (and any baselines) against their index, one line each. */
export function plotPredictions(input: PredictionsInput, opts: PlotOptions = {}): Plot {
  const [nameA, nameP] = input.labels ?? ["actual", "predicted"];
  const baselines = Object.entries(input.baselines ?? {});
  const named = [...baselines.map(([name, values]) => ({ name, values })), { name: nameA, values: input.actual }, { name: nameP, values: input.predicted }];
  if (new Set(named.map((s) => s.name)).size !== named.length) throw new ConfigError("plotPredictions: series names must differ");
  if (named.length > SERIES_COLORS.length) throw new ConfigError(`plotPredictions: at most ${SERIES_COLORS.length - 2} baselines`);
  const rows = named.flatMap((s) => s.values.map((value, index) => ({ index, value, series: s.name })).filter((r) => finite(r.value)));
  if (rows.length === 0) throw new ConfigError("plotPredictions: no finite values in actual, predicted or baselines");
  // Baselines take the colours after actual and predicted, and come first in the data so they are drawn under them.
  const colorOf = (i: number) => (i < baselines.length ? SERIES_COLORS[i + 2]! : SERIES_COLORS[i - baselines.length]!);
  const title = opts.title ?? `${nameA} vs ${nameP}`;
  const spec = top(title, {
    ...frame(opts),
    data: { values: rows },
    mark: { type: "line", strokeWidth: 1.75 },
    name: "predictions",
    encoding: {
      x: { field: "index", type: "quantitative", title: "index", axis: { tickMinStep: 1, format: "d" } },
      y: { field: "value", type: "quantitative", title: "value", scale: { zero: false } },
      color: { field: "series", type: "nominal", title: null, scale: { domain: named.map((s) => s.name), range: named.map((_, i) => colorOf(i)) }, legend: { orient: "top" } },
    },
  });
  const terminal = asciiLines(named.map((s, i) => ({ ...s, symbol: SYMBOLS[(i - baselines.length + SYMBOLS.length) % SYMBOLS.length]! })), {
    title, width: opts.termWidth, height: opts.termHeight,
  });
  return { spec, terminal };
}

/** Each predicted value against its actual value, with the y = x line a perfect model would sit on. */
export function plotScatter(input: { actual: readonly number[]; predicted: readonly number[] }, opts: PlotOptions = {}): Plot {
  if (input.actual.length !== input.predicted.length) {
    throw new ConfigError(`plotScatter: actual has ${input.actual.length} values, predicted ${input.predicted.length}`);
  }
  const points = input.actual.map((actual, i) => ({ actual, predicted: input.predicted[i]! })).filter((p) => finite(p.actual) && finite(p.predicted));
  if (points.length === 0) throw new ConfigError("plotScatter: no pair of finite values");
  const all = points.flatMap((p) => [p.actual, p.predicted]);
  const lo = Math.min(...all), hi = Math.max(...all);
  const title = opts.title ?? "Predicted vs actual";
  // One shared domain on both axes, or the diagonal would not be y = x to the eye.
  const scale = { domain: [lo, hi], zero: false, nice: false };
  const { width, height } = frame(opts);
  const side = Math.min(width, Math.max(height, 240));
  const spec = top(title, {
    width: side,
    height: side,
    layer: [
      {
        name: "identity",
        data: { values: [{ actual: lo, predicted: lo }, { actual: hi, predicted: hi }] },
        mark: { type: "line", color: COLORS.naive, strokeDash: [4, 3] },
        encoding: { x: { field: "actual", type: "quantitative", scale }, y: { field: "predicted", type: "quantitative", scale } },
      },
      {
        name: "points",
        data: { values: points },
        mark: { type: "circle", size: 30, color: COLORS.model, opacity: 0.7 },
        encoding: {
          x: { field: "actual", type: "quantitative", title: "actual", scale },
          y: { field: "predicted", type: "quantitative", title: "predicted", scale },
        },
      },
    ],
  });
  return { spec, terminal: asciiScatter(points.map((p) => p.actual), points.map((p) => p.predicted), { title, width: opts.termWidth, height: opts.termHeight }) };
}

const LSTM_PANELS: [keyof LstmGates, string][] = [
  ["inputGate", "input gate"], ["forgetGate", "forget gate"], ["outputGate", "output gate"],
  ["candidate", "candidate"], ["cellState", "cell state"], ["hiddenState", "hidden state"],
];
const GRU_PANELS: [keyof GruGates, string][] = [
  ["updateGate", "update gate"], ["resetGate", "reset gate"], ["candidate", "candidate"], ["hiddenState", "hidden state"],
];

/** units × time of one sample of a [batch, time, units] tensor. */
function unitsByTime(t: Tensor, sample: number, who: string): number[][] {
  const [B, T, H] = t.shape as [number, number, number];
  if (t.shape.length !== 3) throw new ConfigError(`plotGates: ${who} must be [batch, time, units], got [${t.shape.join(", ")}]`);
  if (!Number.isInteger(sample) || sample < 0 || sample >= B) throw new ConfigError(`plotGates: sample ${sample} is not in 0..${B - 1}`);
  return Array.from({ length: H }, (_, u) => Array.from({ length: T }, (_, s) => t.data[(sample * T + s) * H + u]!));
}

/**
 * Heatmaps (units × time steps) of each gate and state of one sample from an LSTM's or GRU's
 * `inspect()`: LSTM input, forget, output gates, candidate, cell and hidden state; GRU update,
 * reset, candidate, hidden. Gates are on a fixed 0–1 scale (they are sigmoids); the others on a
 * diverging scale centred on zero.
 */
export function plotGates(internals: LstmGates | GruGates, opts: PlotOptions & { sample?: number } = {}): Plot {
  const sample = opts.sample ?? 0;
  const isLstm = "forgetGate" in internals;
  const panels = (isLstm ? LSTM_PANELS : GRU_PANELS) as [string, string][];
  const title = opts.title ?? `${isLstm ? "LSTM" : "GRU"} gates, sample ${sample}`;
  const specs: VlSpec[] = [];
  const texts: string[] = [];
  for (const [key, label] of panels) {
    const m = unitsByTime((internals as unknown as Record<string, Tensor>)[key]!, sample, key);
    const isGate = key.endsWith("Gate");
    const bound = Math.max(1e-6, ...m.flat().filter(finite).map(Math.abs));
    specs.push({
      ...frame(opts),
      title: label,
      name: `gate_${key}`,
      data: { values: m.flatMap((row, unit) => row.map((value, step) => ({ unit, step, value }))) },
      mark: { type: "rect" },
      encoding: {
        x: { field: "step", type: "ordinal", title: "time step", axis: { labelOverlap: true } },
        y: { field: "unit", type: "ordinal", title: "unit" },
        color: {
          field: "value", type: "quantitative", title: label,
          scale: isGate ? { domain: [0, 1], scheme: "blues" } : { domain: [-bound, bound], scheme: "redblue", reverse: true },
        },
      },
    });
    texts.push(asciiHeatmap(m, { title: `${title}: ${label}`, width: opts.termWidth }));
  }
  return {
    spec: top(title, { vconcat: specs, resolve: { scale: { color: "independent" } } }),
    terminal: texts.join("\n\n"),
  };
}

export interface AttentionPlotOptions extends PlotOptions {
  /** One label per query step (rows), e.g. the decoder's output tokens; default the step numbers. */
  queryLabels?: readonly string[];
  /** One label per value step (columns), e.g. the encoder's input tokens; default the step numbers. */
  valueLabels?: readonly string[];
  /** Which sample of a [batch, Tq, Tv] tensor (default 0). */
  sample?: number;
}

/** A Tq × Tv matrix from a [Tq, Tv] or [batch, Tq, Tv] tensor or a list of rows. */
function attentionMatrix(weights: Tensor | readonly (readonly number[])[], sample: number): number[][] {
  const who = "plotAttention";
  if (Array.isArray(weights)) {
    const rows = weights as readonly (readonly number[])[];
    if (rows.length === 0 || !Array.isArray(rows[0]) || rows[0].length === 0) throw new ConfigError(`${who}: weights must be a non-empty list of rows (query steps) of numbers (value steps)`);
    const n = rows[0].length;
    const bad = rows.findIndex((r) => !Array.isArray(r) || r.length !== n);
    if (bad >= 0) throw new ConfigError(`${who}: row ${bad} of the weights has ${Array.isArray(rows[bad]) ? rows[bad]!.length : "no"} values, row 0 has ${n}`);
    return rows.map((r) => [...r]);
  }
  const t = weights as Tensor;
  if (!t || typeof t !== "object" || !Array.isArray(t.shape) || !(t.data instanceof Float32Array)) {
    throw new ConfigError(`${who}: weights must be a Tensor [batch, Tq, Tv] or [Tq, Tv] (an attention layer's second output) or a list of rows`);
  }
  if (t.shape.length !== 2 && t.shape.length !== 3) throw new ConfigError(`${who}: weights must be [batch, Tq, Tv] or [Tq, Tv], got [${t.shape.join(", ")}]`);
  const [Bn, Tq, Tv] = t.shape.length === 3 ? (t.shape as [number, number, number]) : [1, t.shape[0]!, t.shape[1]!];
  if (!Number.isInteger(sample) || sample < 0 || sample >= Bn) throw new ConfigError(`${who}: sample ${sample} is not in 0..${Bn - 1}`);
  return Array.from({ length: Tq }, (_, i) => Array.from({ length: Tv }, (_, j) => t.data[(sample * Tq + i) * Tv + j]!));
}

/**
 * A heatmap of attention weights (query steps down, value steps across), from the second output of
 * an attention layer applied with `returnAttentionScores: true`: which input steps each output step
 * looked at. Labels name the steps (duplicates are fine: tokens repeat); the colour scale runs from
 * 0 to 1 (to the largest weight when dropout scaled some above 1). The terminal rendering shades
 * each cell by the same scale.
 */
export function plotAttention(weights: Tensor | readonly (readonly number[])[], opts: AttentionPlotOptions = {}): Plot {
  const sample = opts.sample ?? 0;
  const m = attentionMatrix(weights, sample);
  const Tq = m.length, Tv = m[0]!.length;
  const labels = (given: readonly string[] | undefined, n: number, what: string): string[] => {
    if (given === undefined) return Array.from({ length: n }, (_, i) => String(i));
    if (!Array.isArray(given) || given.length !== n || given.some((l) => typeof l !== "string")) {
      throw new ConfigError(`plotAttention: ${what}Labels must be ${n} strings (one per ${what} step), got ${Array.isArray(given) ? `${given.length} entries` : typeof given}`);
    }
    return [...given];
  };
  const ql = labels(opts.queryLabels, Tq, "query");
  const vl = labels(opts.valueLabels, Tv, "value");
  const values = m.flat();
  if (!values.every(finite)) throw new ConfigError("plotAttention: the weights hold NaN or Infinity");
  const top1 = Math.max(1, ...values);
  const title = opts.title ?? "Attention weights";
  // Steps are plotted by index and labelled through labelExpr, so repeated labels keep their own cells.
  const axisOf = (ls: string[], name: string) => ({ title: name, labelExpr: `${JSON.stringify(ls)}[datum.value]`, labelAngle: 0, labelOverlap: true });
  const spec = top(title, {
    width: opts.width ?? Math.min(640, Math.max(160, 24 * Tv)),
    height: opts.height ?? Math.min(640, Math.max(120, 24 * Tq)),
    name: "attention",
    data: { values: m.flatMap((row, q) => row.map((weight, v) => ({ q, v, query: ql[q], value: vl[v], weight }))) },
    mark: { type: "rect" },
    encoding: {
      x: { field: "v", type: "ordinal", axis: axisOf(vl, "value step (attended to)") },
      y: { field: "q", type: "ordinal", axis: axisOf(ql, "query step") },
      color: { field: "weight", type: "quantitative", title: "weight", scale: { domain: [0, top1], scheme: "blues" } },
      tooltip: [{ field: "query", title: "query" }, { field: "value", title: "value" }, { field: "weight", type: "quantitative", format: ".3f" }],
    },
  });
  const rowW = Math.max(...ql.map((l) => l.length));
  const cellW = Math.max(1, Math.min(3, ...vl.map((l) => l.length)));
  const shade = (w: number): string => SHADES[Math.min(SHADES.length - 1, Math.floor((w / top1) * SHADES.length))]!;
  const lines = [
    title,
    `${" ".repeat(rowW)}  ${vl.map((l) => l.slice(0, cellW).padEnd(cellW)).join("")}`,
    ...m.map((row, q) => `${ql[q]!.padStart(rowW)} │${row.map((w) => shade(w).repeat(cellW)).join("")}│`),
    `${" ".repeat(rowW + 2)}${SHADES.map((s) => `[${s}]`).join("")} 0 → ${formatSig(top1)}`,
  ];
  return { spec, terminal: lines.join("\n") };
}

/**
 * A standalone SVG document of a Vega-Lite spec, drawn by vega's headless renderer (no browser,
 * no canvas). Specs with `width: "container"` need a fixed width here.
 */
export async function toSvg(spec: VlSpec): Promise<string> {
  // Loaded on first use: vega is large, and most programs that import the library never draw.
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
