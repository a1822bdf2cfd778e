// Turns a forecast and its backtest into the report's input (ForecastReportData): dates as
// labels of the series' frequency, one-step test forecasts, errors by horizon step.

import { formatDate, type Frequency, type Timestamp } from "../data/index.js";
import type { ForecastReportData } from "../report/types.js";
import type { BacktestScores } from "./backtest.js";
import { STAT_BASELINES, type StatBaseline } from "./stat_baselines.js";
import type { ForecastResult } from "./forecaster.js";

const FREQ_WORD: Record<Frequency, string> = { day: "daily", week: "weekly", month: "monthly", quarter: "quarterly", year: "yearly" };

export interface ReportInput {
  series: { name: string; dates: Timestamp[]; values: Float64Array; freq: Frequency; imputed?: { count: number; method: string } };
  result: Omit<ForecastResult, "report">;
  scores: BacktestScores;
  origins: number[];
  /** First test index. */
  trainEnd: number;
  /** Index of the first validation target, if a validation tail was held out. */
  validationStart?: number;
  summary: string;
}

export function buildReport(r: ReportInput): ForecastReportData {
  const { series, result, scores, origins } = r;
  const { dates, values, freq } = series;
  const label = (i: number): string => formatDate(dates[i]!, freq);
  const H = result.horizon;
  // The statistical baseline with the lowest backtest MAE, drawn beside the model by step.
  const best = STAT_BASELINES.filter((k) => scores.metrics[k] !== undefined)
    .reduce<StatBaseline | undefined>((a, k) => (a === undefined || scores.metrics[k]!.mae < scores.metrics[a]!.mae ? k : a), undefined);
  const out: ForecastReportData = {
    title: `${series.name}, ${FREQ_WORD[freq]}`,
    target: series.name,
    model: `${result.model} (${result.strategy}, transform ${result.transform})`,
    freq,
    horizon: H,
    lookback: result.lookback,
    season: result.season,
    series: Array.from(values, (value, i) => ({ date: label(i), value })),
    trainEnd: label(r.trainEnd - 1),
    lossHistory: result.history,
    test: origins.map((o, i) => ({
      date: label(o + 1),
      actual: values[o + 1]!,
      predicted: result.rolling[i]![0]!,
      naive: scores.forecasts.naive[i]![0]!,
      seasonalNaive: scores.forecasts.seasonalNaive[i]![0]!,
    })),
    oneShot: result.oneShot.map((predicted, h) => ({
      date: label(r.trainEnd + h),
      actual: r.trainEnd + h < values.length ? values[r.trainEnd + h]! : null,
      predicted,
    })),
    future: result.future.map((f) => ({
      date: f.date,
      value: f.value,
      ...(f.lo95 !== undefined && f.hi95 !== undefined ? { lower: f.lo95, upper: f.hi95 } : {}),
      ...(f.lo80 !== undefined && f.hi80 !== undefined ? { lower80: f.lo80, upper80: f.hi80 } : {}),
    })),
    backtestByStep: Array.from({ length: H }, (_, h) => ({
      step: h + 1,
      model: scores.maeByStep.model[h]!,
      naive: scores.maeByStep.naive[h]!,
      seasonalNaive: scores.maeByStep.seasonalNaive[h]!,
      drift: scores.maeByStep.drift[h]!,
      ...(best ? { best: { method: best, mae: scores.maeByStep[best]![h]! } } : {}),
    })),
    metrics: { ...result.metrics },
    intervals: { method: result.intervals.method, origins: result.intervals.origins, coverage: result.intervals.coverage.map((c) => ({ ...c })) },
    summary: r.summary,
    notes: [...result.notes],
  };
  if (r.validationStart !== undefined) out.validationStart = label(r.validationStart);
  if (series.imputed) out.imputed = { count: series.imputed.count, method: series.imputed.method };
  return out;
}
