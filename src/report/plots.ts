// Pictures of any model, not only of a forecast: training history, predictions, predicted-vs-actual
// scatter and gate heatmaps, each as a Vega-Lite spec and a plain-text terminal rendering, plus
// toSvg to draw a spec headless. Host-neutral, so the browser bundle carries it too.

import { ConfigError } from "../tensor/errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { COLORS, type VlSpec } from "./charts.js";
import { asciiHeatmap, asciiLines, asciiScatter } from "./ascii.js";

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
