// `recurrent anomalies [csv]`: CSV → series → LSTM forecast-residual detector → flags, threshold,
// precision / recall / F1 against labels (a label column, or anomalies injected at seeded
// positions), a terminal chart, --json, and --out files (anomalies.csv, anomalies.svg, metrics.json).

import { type Command, Option, InvalidArgumentError } from "commander";
import { loadSeries, type LoadSeriesOptions, type NonFiniteAction, type LoadedSeries } from "../forecast/series.js";
import { bundledDataPath } from "../forecast/bundled.js";
import {
  detectAnomalies, injectAnomalies, anomaliesCsv, plotAnomalies, DEFAULT_K, DEFAULT_LOOKBACK,
  type AnomalyOptions, type AnomalyResult, type DetectionMetrics, type InjectOptions, type InjectedEvent,
} from "../forecast/anomaly.js";
import { formatDate, DATE_FORMATS, type DateFormat, type Frequency, type Aggregation } from "../data/index.js";
import { ConfigError, DataError } from "../tensor/errors.js";
import { toSvg } from "../report/plots.js";
import { prepareOutDir, outPath } from "./out.js";
import { writeFileAtomic } from "../node/fs.js";
import { calmProgress } from "./progress.js";
import type { SeriesCliOptions } from "./forecast.js";

export interface AnomalyCliOptions extends SeriesCliOptions {
  labels?: string;
  inject?: InjectSpec;
  injectSeed?: number;
  spikeSize?: number;
  shiftSize?: number;
  shiftLength?: number;
  k?: number;
  quantile?: number;
  lookback?: number;
  fitFraction?: number;
  epochs?: number;
  seed?: number;
  patch: boolean;
  out?: string;
  force: boolean;
  json: boolean;
  quiet: boolean;
}

/** `--inject spikes:12,shifts:3`. */
export interface InjectSpec {
  spikes: number;
  shifts: number;
}

/** What the bundled example injects when given no labels and no --inject. */
export const DEFAULT_INJECT: InjectSpec = { spikes: 12, shifts: 3 };

/** Parses `spikes:N[,shifts:M]` (either order, either alone). */
export function parseInject(v: string): InjectSpec {
  const spec: InjectSpec = { spikes: 0, shifts: 0 };
  const seen = new Set<string>();
  for (const part of v.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = part.match(/^(spikes|shifts):(\d+)$/);
    if (!m) throw new InvalidArgumentError(`--inject takes kind:count pairs such as spikes:12,shifts:3 (kinds: spikes, shifts); got "${part}" in "${v}"`);
    if (seen.has(m[1]!)) throw new InvalidArgumentError(`--inject names ${m[1]} twice in "${v}"`);
    seen.add(m[1]!);
    spec[m[1] as keyof InjectSpec] = Number(m[2]);
  }
  if (spec.spikes + spec.shifts === 0) throw new InvalidArgumentError(`--inject asks for no anomaly in "${v}"; give e.g. spikes:12`);
  return spec;
}

const positiveInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}"`);
  return n;
};
const nonNegativeInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${v}"`);
  return n;
};
const positiveNumber = (name: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got "${v}"`);
  return n;
};
const openShare = (name: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === "" || !(n > 0 && n < 1)) throw new InvalidArgumentError(`${name} must be a number between 0 and 1 (exclusive), got "${v}"`);
  return n;
};

/** Adds `recurrent anomalies` to the program. */
export function registerAnomalies(program: Command): Command {
  program
    .command("anomalies")
    .description("Flag anomalies in one column of a CSV: an LSTM forecasts each point from the ones before it, and points far from their forecast (in robust units of the residuals on the first part of the series) are flagged; with labels, or anomalies injected at seeded positions, prints precision, recall and F1. With no file: daily Seattle temperatures from the bundled weather data with injected spikes and level shifts.")
    .argument("[csv]", "CSV file with a date column and the column to examine")
    .option("--date <column>", "date column (default: a column named like \"date\", else the first column of dates)")
    .option("--target <column>", "column to examine, or an expression such as median(temp_max,temp_min)")
    .option("--where <column=value>", "keep rows where column equals (=) or differs from (!=) a value; repeatable", (v: string, prev: string[] = []) => [...prev, v])
    .addOption(new Option("--freq <freq>", "resample to this frequency (default: the data's own, inferred)").choices(["day", "week", "month", "quarter", "year"]))
    .addOption(new Option("--agg <agg>", "aggregation when resampling").choices(["mean", "median", "sum", "min", "max", "last", "first"]).default("mean"))
    .addOption(new Option("--date-format <fmt>", "how dates are written, when auto-detection cannot tell").choices([...DATE_FORMATS]))
    .option("--max-gap <periods>", "longest run of missing periods that may be imputed (default 3; inf for no limit)", (v: string): number => {
      if (v === "inf" || v === "Infinity") return Infinity;
      const n = Number(v);
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`--max-gap must be a non-negative integer or inf, got "${v}"`);
      return n;
    })
    .option("--max-imputed <share>", "largest share of the series that may be imputed, 0-1 (default 0.1)", (v: string) => {
      const n = Number(v);
      if (v.trim() === "" || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`--max-imputed must be a share between 0 and 1, got "${v}"`);
      return n;
    })
    .addOption(new Option("--non-finite <action>", "NaN or Infinity cells: refuse the file, drop those rows, or impute them (default error)").choices(["error", "drop", "impute"]))
    .option("--labels <column>", "column of known anomalies (1 = anomaly, 0 = normal) to score the flags against")
    .option("--inject <kinds>", `add anomalies at seeded random positions and score against them: spikes:N and/or shifts:N (default for the bundled data: spikes:${DEFAULT_INJECT.spikes},shifts:${DEFAULT_INJECT.shifts})`, parseInject)
    .option("--inject-seed <n>", "seed of the injected positions and signs (default 1)", nonNegativeInt("--inject-seed"))
    .option("--spike-size <s>", "spike height in robust scales (1.4826 × MAD of the one-step changes; default 6)", positiveNumber("--spike-size"))
    .option("--shift-size <s>", "level-shift height in robust scales (default 5)", positiveNumber("--shift-size"))
    .option("--shift-length <n>", "points per level shift (default 7)", positiveInt("--shift-length"))
    .option("--k <k>", `flag |residual − median| > k × 1.4826 × MAD of the fitting span's residuals (default ${DEFAULT_K})`, positiveNumber("--k"))
    .option("--quantile <q>", "instead of --k: flag scores above this quantile of the fitting span's scores, 0-1 (e.g. 0.995)", openShare("--quantile"))
    .option("--lookback <n>", `input window length (default ${DEFAULT_LOOKBACK})`, positiveInt("--lookback"))
    .option("--fit-fraction <share>", "share of the series, from its start, the network and the threshold are fitted on (default 0.5)", openShare("--fit-fraction"))
    .option("--epochs <n>", "maximum training epochs (default 100; early stopping usually ends sooner)", positiveInt("--epochs"))
    .option("--seed <n>", "seed of the network (default 42)", nonNegativeInt("--seed"))
    .option("--no-patch", "do not replace flagged points by their forecasts in later input windows")
    .option("--out <dir>", "write anomalies.csv (per point: value, forecast, residual, score, flag, label), anomalies.svg and metrics.json here")
    .option("--force", "allow --out to overwrite files already there", false)
    .option("--json", "print the result as JSON on stdout (nothing else on stdout)", false)
    .option("--quiet", "no notes or chart: only the threshold and the scores", false)
    .addHelpText("after", `
Examples:
  $ recurrent anomalies
  $ recurrent anomalies data/weather.csv --date date --target "median(temp_max,temp_min)" \\
      --where location=Seattle --inject spikes:20 --k 4 --out runs/anomalies
  $ recurrent anomalies sensor.csv --target reading --labels is_anomaly --json`)
    .action(async (csv: string | undefined, opts: AnomalyCliOptions) => {
      await runAnomalies(csv, opts);
    });
  return program;
}

/** The labels column, read as the series was (same rows, dates, resampling by max). */
function loadLabels(path: string, load: LoadSeriesOptions, column: string, series: LoadedSeries): Uint8Array {
  const lab = loadSeries(path, { ...load, target: column, agg: "max", nonFinite: "error" });
  if (lab.values.length !== series.values.length || lab.dates[0] !== series.dates[0]) {
    throw new DataError(`--labels ${column}: the labels give ${lab.values.length} points from ${formatDate(lab.dates[0]!, lab.freq)}, the series ${series.values.length} from ${formatDate(series.dates[0]!, series.freq)}; the two columns must fill the same rows`);
  }
  const out = new Uint8Array(lab.values.length);
  // An imputed label (a period with no row) is interpolated between its neighbours: 0.5 and up is an anomaly.
  const imputed = new Set(lab.imputed.dates);
  for (let i = 0; i < out.length; i++) {
    const v = lab.values[i]!;
    if (v !== 0 && v !== 1 && !imputed.has(formatDate(lab.dates[i]!))) {
      throw new DataError(`--labels ${column}: the value at ${formatDate(lab.dates[i]!, lab.freq)} is ${v}; labels must be 0 (normal) or 1 (anomaly)`);
    }
    out[i] = v >= 0.5 ? 1 : 0;
  }
  return out;
}

function metricsJson(m: DetectionMetrics | undefined): Record<string, number> | null {
  if (!m) return null;
  const r = (x: number): number => Math.round(x * 1e4) / 1e4;
  return { precision: r(m.precision), recall: r(m.recall), f1: r(m.f1), tp: m.tp, fp: m.fp, fn: m.fn, evaluated: m.evaluated };
}

function metricsLine(name: string, m: DetectionMetrics): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  return `  ${name.padEnd(28)} precision ${pct(m.precision).padStart(7)}   recall ${pct(m.recall).padStart(7)}   F1 ${m.f1.toFixed(3)}   (tp ${m.tp}, fp ${m.fp}, fn ${m.fn} of ${m.evaluated} points)`;
}

export async function runAnomalies(csv: string | undefined, opts: AnomalyCliOptions): Promise<AnomalyResult> {
  const bundled = csv === undefined;
  const path = csv ?? bundledDataPath("weather.csv");
  const load: LoadSeriesOptions = bundled
    ? { date: opts.date ?? "date", target: opts.target ?? "median(temp_max,temp_min)", where: opts.where ?? ["location=Seattle"], freq: opts.freq, agg: opts.agg }
    : { date: opts.date, target: opts.target, where: opts.where, freq: opts.freq, agg: opts.agg };
  if (opts.dateFormat !== undefined) load.dateFormat = opts.dateFormat;
  if (opts.maxGap !== undefined) load.maxGap = opts.maxGap;
  if (opts.maxImputed !== undefined) load.maxImputedShare = opts.maxImputed;
  if (opts.nonFinite !== undefined) load.nonFinite = opts.nonFinite;
  if (opts.labels !== undefined && opts.inject !== undefined) {
    throw new ConfigError("--labels and --inject cannot be combined: score against the file's labels, or against injected anomalies");
  }
  if (opts.k !== undefined && opts.quantile !== undefined) throw new ConfigError("--k and --quantile are two threshold rules; give one");
  const injectExtras = opts.injectSeed !== undefined || opts.spikeSize !== undefined || opts.shiftSize !== undefined || opts.shiftLength !== undefined;
  const inject = opts.inject ?? (bundled && opts.labels === undefined ? DEFAULT_INJECT : undefined);
  if (injectExtras && inject === undefined) throw new ConfigError("--inject-seed, --spike-size, --shift-size and --shift-length shape injected anomalies; add --inject spikes:N (or shifts:N)");

  const say = (s: string): void => {
    if (opts.quiet) return;
    (opts.json ? process.stderr : process.stdout).write(s + "\n");
  };
  if (opts.out) prepareOutDir(opts.out, opts.force);
  const series = loadSeries(path, load);
  if (bundled) say("No CSV given: daily Seattle temperatures (median of the high and the low, °C) from the bundled weather data (data/weather.csv, from vega-datasets).");
  for (const n of series.notes) say(`• ${n}`);
  const dates = series.dates.map((d) => formatDate(d, series.freq));

  let values: Float64Array = series.values;
  let labels: Uint8Array | undefined;
  let events: InjectedEvent[] | undefined;
  let injectScale: number | undefined;
  const lookback = opts.lookback ?? DEFAULT_LOOKBACK;
  if (opts.labels !== undefined) {
    labels = loadLabels(path, load, opts.labels, series);
    say(`• labels from column "${opts.labels}": ${labels.reduce((a, b) => a + b, 0)} anomalous points of ${labels.length}`);
  } else if (inject) {
    const io: InjectOptions = { spikes: inject.spikes, shifts: inject.shifts, from: lookback, seed: opts.injectSeed ?? 1 };
    if (opts.spikeSize !== undefined) io.spikeSize = opts.spikeSize;
    if (opts.shiftSize !== undefined) io.shiftSize = opts.shiftSize;
    if (opts.shiftLength !== undefined) io.shiftLength = opts.shiftLength;
    const inj = injectAnomalies(series.values, io);
    values = inj.values;
    labels = inj.labels;
    events = inj.events;
    injectScale = inj.scale;
    say(`• injected ${inject.spikes} spike(s) of ±${opts.spikeSize ?? 6} and ${inject.shifts} level shift(s) of ±${opts.shiftSize ?? 5} × ${opts.shiftLength ?? 7} points, in robust scales of ${inj.scale.toPrecision(3)} (1.4826 × MAD of the one-step changes), at seeded random positions (seed ${opts.injectSeed ?? 1})`);
  }

  const dopts: AnomalyOptions = { lookback, patch: opts.patch };
  if (opts.quantile !== undefined) {
    dopts.rule = "quantile";
    dopts.quantile = opts.quantile;
  } else if (opts.k !== undefined) dopts.k = opts.k;
  if (opts.fitFraction !== undefined) dopts.fitFraction = opts.fitFraction;
  if (opts.epochs !== undefined) dopts.epochs = opts.epochs;
  if (opts.seed !== undefined) dopts.seed = opts.seed;
  if (labels) dopts.labels = labels;
  if (!opts.quiet && !opts.json) {
    dopts.verbose = 2;
    dopts.progress = calmProgress(process.stdout, { epochLines: false });
  }
  const result = await detectAnomalies(values, dopts);
  for (const n of result.notes) say(`• ${n}`);

  const t = result.threshold;
  const centred = `|residual ${t.center < 0 ? "+" : "−"} ${Math.abs(t.center).toPrecision(3)}|`;
  const ruleText = t.rule === "mad"
    ? `${centred} > ${t.k} × ${t.scale.toPrecision(3)} (k × 1.4826 × MAD of the fitting span's residuals)`
    : `score > ${t.score.toPrecision(4)}, the ${t.quantile} quantile of the fitting span's scores (score = ${centred} / ${t.scale.toPrecision(3)})`;
  const doc = {
    source: series.source,
    target: series.name,
    freq: series.freq,
    points: values.length,
    lookback: result.lookback,
    fitEnd: result.fitEnd,
    fitSpan: [dates[0], dates[result.fitEnd - 1]],
    threshold: { ...t, text: ruleText },
    flagged: result.flagged.map((i) => ({
      date: dates[i], index: i, value: values[i], forecast: result.forecasts[i], score: Math.round(result.scores[i]! * 1000) / 1000,
      ...(labels ? { label: labels[i] } : {}),
    })),
    metrics: metricsJson(result.metrics),
    heldOutMetrics: metricsJson(result.heldOutMetrics),
    injected: events ? { scale: injectScale, events: events.map((e) => ({ ...e, date: dates[e.start] })) } : null,
    notes: [...series.notes, ...result.notes],
  };

  if (opts.json) process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
  else {
    const out = process.stdout;
    out.write(`\n${series.name}: ${values.length} ${series.freq} points; LSTM one-step forecasts from ${result.lookback} steps, fitted on ${dates[0]} … ${dates[result.fitEnd - 1]} (${result.fitEnd} points)\n`);
    out.write(`Threshold (${t.rule}): ${ruleText}\n`);
    out.write(`  i.e. flagged when the value is below forecast ${t.lower >= 0 ? "+" : "−"} ${Math.abs(t.lower).toPrecision(3)} or above forecast ${t.upper >= 0 ? "+" : "−"} ${Math.abs(t.upper).toPrecision(3)}\n`);
    out.write(`Flagged ${result.flagged.length} of ${values.length - result.lookback} scored points\n`);
    if (result.metrics && result.heldOutMetrics) {
      out.write(`Against the ${events ? "injected anomalies" : `labels in "${opts.labels}"`}:\n`);
      out.write(metricsLine("every scored point", result.metrics) + "\n");
      out.write(metricsLine("after the fitting span only", result.heldOutMetrics) + "\n");
    }
    if (!opts.quiet) {
      const plot = plotAnomalies({ values, result, dates, title: `${series.name}: flagged points` });
      out.write(`\n${plot.terminal}\n`);
      const shown = result.flagged.slice(0, 20);
      if (shown.length > 0) {
        out.write(`\n${"date".padEnd(12)} ${"value".padStart(10)} ${"forecast".padStart(10)} ${"score".padStart(7)}${labels ? "  label" : ""}\n`);
        for (const i of shown) {
          out.write(`${dates[i]!.padEnd(12)} ${values[i]!.toFixed(2).padStart(10)} ${result.forecasts[i]!.toFixed(2).padStart(10)} ${result.scores[i]!.toFixed(2).padStart(7)}${labels ? `  ${labels[i]}` : ""}\n`);
        }
        if (result.flagged.length > shown.length) out.write(`… and ${result.flagged.length - shown.length} more (all in anomalies.csv with --out, or --json)\n`);
      }
    }
  }

  if (opts.out) {
    const dir = opts.out;
    writeFileAtomic(outPath(dir, "anomalies.csv"), anomaliesCsv(values, result, { dates, ...(labels ? { labels } : {}) }));
    const plot = plotAnomalies({ values, result, dates, ...(labels ? { labels } : {}), title: `${series.name}: flagged points` });
    writeFileAtomic(outPath(dir, "anomalies.svg"), await toSvg(plot.spec));
    writeFileAtomic(outPath(dir, "metrics.json"), JSON.stringify(doc, null, 2) + "\n");
    say(`\nWrote ${dir}/anomalies.csv, anomalies.svg and metrics.json`);
  }
  return result;
}
