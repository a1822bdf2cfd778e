// One model across many series (a global model): the windows of every series, each normalised by
// its own seasonal profile, scale and window anchor, train one ensemble; each series is then
// backtested from its own rolling origins beside its own baselines and forecast past its end, and
// the metrics are averaged over the series.

import { ConfigError, DataError } from "../tensor/errors.js";
import { addPeriods, formatDate, type Frequency } from "../data/index.js";
import { rollingOrigin, scoreBacktest, type ByMethod, type MethodName } from "./backtest.js";
import { conformalIntervals, withIntervals } from "./intervals.js";
import type { Metrics } from "./metrics.js";
import { NetworkEnsemble, type CovariateInputs } from "./network.js";
import { resolveOptions, TEST_FRACTION, type ForecastOptions, type SeriesInput } from "./forecaster.js";
import { Forecaster, type Future } from "./saved.js";

/** One series of a global forecast. */
export interface GlobalSeriesResult {
  /** The group's value (e.g. the symbol). */
  group: string;
  /** Values in the series. */
  n: number;
  /** Backtest origins. */
  origins: number;
  /** The shared model and this series' baselines over its backtest. */
  metrics: ByMethod<Metrics>;
  /** H steps past the series' end with 80 % and 95 % split-conformal intervals from its own backtest. */
  future: Future;
  /**
   * This series' forecaster: the shared networks with its own preprocessing and intervals;
   * `forecaster.save(dir)` writes a directory `recurrent predict` reads like any other.
   */
  forecaster: Forecaster;
}

/** Options of {@link forecastGlobal} beside forecast()'s. */
export interface GlobalOptions {
  /**
   * Give the networks a one-hot series id (one constant channel per series), so they can learn
   * per-series behaviour beside the shared one. Default false.
   */
  seriesId?: boolean;
}

/** The result of {@link forecastGlobal}. */
export interface GlobalForecastResult {
  horizon: number;
  lookback: number;
  season: number;
  model: string;
  series: GlobalSeriesResult[];
  /** Per method, the mean MASE and sMAPE over the series it scored (and how many). */
  aggregate: Partial<Record<MethodName, { mase: number; smape: number; series: number }>>;
  notes: string[];
}

/**
 * Trains one ensemble on the training spans of every series (each series' last
 * max(H, 20 %) values held out, as {@link forecast} does), backtests each series from every
 * origin of its test span beside naive, seasonal naive, drift and the statistical baselines, and
 * forecasts each past its end with the backtested networks (no refit).
 * @throws ConfigError with fewer than two series or a transform, covariates or the recursive
 * strategy (not supported globally); DataError when a series is too short for the lookback.
 */
export async function forecastGlobal(
  groups: { group: string; series: SeriesInput }[], opts: ForecastOptions & GlobalOptions = {},
): Promise<GlobalForecastResult> {
  if (groups.length < 2) throw new ConfigError(`forecastGlobal: a global model needs at least two series, got ${groups.length}`);
  if (opts.transform !== undefined && opts.transform !== "none") throw new ConfigError(`forecastGlobal: transforms are not supported by the global model yet (got "${opts.transform}"); drop --transform`);
  if (opts.covariates) throw new ConfigError(`forecastGlobal: covariates are not supported by the global model yet; drop --features, --future and --calendar`);
  const freq: Frequency = opts.freq ?? groups[0]!.series.freq;
  const other = groups.find((g) => g.series.freq !== freq);
  if (other) throw new DataError(`forecastGlobal: series "${other.group}" is ${other.series.freq}ly but the first is ${freq}ly; resample them to one frequency`);
  const values = groups.map((g) => Float64Array.from(g.series.values));
  values.forEach((v, i) => {
    const bad = v.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new DataError(`forecastGlobal: series "${groups[i]!.group}" has ${v[bad]} at index ${bad}; impute missing values first`);
  });
  // One lookback for all: the one the shortest series allows.
  const shortest = values.reduce((a, v, i) => (v.length < values[a]!.length ? i : a), 0);
  const spec = resolveOptions(values[shortest]!.length, freq, { ...opts, model: opts.model === "esrnn" ? "lstm" : opts.model, transform: "none" });
  const H = spec.horizon;
  const testSizes = values.map((v) => opts.testSize ?? Math.max(H, Math.round(TEST_FRACTION * v.length)));
  const trains = values.map((v, i) => v.slice(0, v.length - testSizes[i]!));
  // One-hot ids: constant channels, read like known-future covariates (H steps past the end too).
  const ids: CovariateInputs[] | undefined = opts.seriesId
    ? values.map((v, i) => ({ past: [], known: groups.map((_, j) => new Float64Array(v.length + H).fill(i === j ? 1 : 0)) }))
    : undefined;
  const t0 = performance.now();
  const views = await NetworkEnsemble.fitMany(trains, spec, groups.map((g) => g.group), ids);
  const seconds = (performance.now() - t0) / 1000;

  const series: GlobalSeriesResult[] = [];
  const notes: string[] = [...spec.notes];
  for (const [i, g] of groups.entries()) {
    const v = values[i]!;
    const run = rollingOrigin(v, (history) => views[i]!.forecast(history, ids?.[i]), { horizon: H, testSize: testSizes[i]! });
    const scores = scoreBacktest(v, run, H, spec.season);
    const { coverage: _c, ...widths } = conformalIntervals(v, run.origins, run.forecasts);
    const last = g.series.dates[g.series.dates.length - 1]!;
    const points = views[i]!.forecast(v, ids?.[i]).map((value, h) => ({ date: formatDate(addPeriods(last, freq, h + 1), freq), value }));
    // A series id is a constant known-future channel: saved with the forecaster as one.
    const idPlan = ids ? { features: [], future: groups.map((_, j) => `id${j}`), calendar: "none" as const, scalers: groups.map((_, j) => ({ column: `id${j}`, mean: 0, sd: 1 })) } : undefined;
    const idValues = ids ? { past: {}, future: Object.fromEntries(ids[i]!.known.map((k, j) => [`id${j}`, Float64Array.from(k)])) } : undefined;
    const forecaster = new Forecaster(
      views[i]!, { name: g.series.name, dates: g.series.dates, values: v, freq, ...(idValues ? { covariates: idValues } : {}) }, undefined, undefined, widths, idPlan,
    );
    series.push({ group: g.group, n: v.length, origins: run.origins.length, metrics: scores.metrics, future: withIntervals(points, widths), forecaster });
    for (const note of scores.notes) notes.push(`${g.group}: ${note}`);
  }
  const aggregate: GlobalForecastResult["aggregate"] = {};
  const methods = new Set(series.flatMap((s) => Object.keys(s.metrics) as MethodName[]));
  for (const m of methods) {
    const scored = series.filter((s) => s.metrics[m] !== undefined);
    aggregate[m] = {
      mase: scored.reduce((a, s) => a + s.metrics[m]!.mase, 0) / scored.length,
      smape: scored.reduce((a, s) => a + s.metrics[m]!.smape, 0) / scored.length,
      series: scored.length,
    };
  }
  notes.unshift(
    `one ${spec.preset} ensemble of ${spec.ensemble} network(s) trained on the windows of all ${groups.length} series at once (${seconds.toFixed(1)} s), ` +
      `each series de-seasonalised and scaled by its own profile and scale${opts.seriesId ? ", with a one-hot series id" : ""}; early stopping kept epochs ${views[0]!.members.map((m) => m.epochs).join(", ")}`,
    `lookback ${spec.lookback} for every series (the shortest, "${groups[shortest]!.group}", allows it); the future is forecast by the backtested networks (no refit)`,
  );
  return { horizon: H, lookback: spec.lookback, season: spec.season, model: spec.preset, series, aggregate, notes };
}
