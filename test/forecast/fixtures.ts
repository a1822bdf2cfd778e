// Series for the forecast tests: synthetic ones built from a seeded RNG, and public data sets
// prepared as the CLI prepares them: the copies bundled in data/, and CO2 from vega-datasets (a
// development dependency).
import { Rng } from "../../src/tensor/rng.js";
import {
  readCsv, filterRows, derive, toTimeSeries, resampleSeries, addPeriods, makeTimestamp, type Frequency,
} from "../../src/data/index.js";
import type { SeriesInput } from "../../src/forecast/index.js";

const BUNDLED = "data/";
const DEV_DATA = "node_modules/vega-datasets/data/";

/** Monthly trend + 12-month sine + Gaussian noise, from 2000-01. */
export function synthetic(n: number, opts: { trend?: number; amplitude?: number; noise?: number; seed?: number; level?: number } = {}): SeriesInput {
  const rng = new Rng(opts.seed ?? 1);
  const start = makeTimestamp({ year: 2000, month: 1, day: 1 });
  const values = Array.from({ length: n }, (_, t) =>
    (opts.level ?? 10) + (opts.trend ?? 0.05) * t + (opts.amplitude ?? 2) * Math.sin((2 * Math.PI * t) / 12) + (opts.noise ?? 0.2) * rng.normal(),
  );
  return { name: "synthetic", dates: values.map((_, t) => addPeriods(start, "month", t)), values, freq: "month" };
}

function series(name: string, dates: number[], values: Float64Array, freq: Frequency): SeriesInput {
  return { name, dates, values, freq };
}

/** Seattle, daily median of temp_max and temp_min, weekly mean (210 weeks). */
export function seattleWeekly(): SeriesInput {
  const f = derive(filterRows(readCsv(BUNDLED + "weather.csv"), "location=Seattle"), "temp_mid", ["temp_max", "temp_min"], "median");
  const ts = resampleSeries(toTimeSeries(f, { date: "date", values: ["temp_mid"] }), "week", "mean");
  return series("temp_mid", ts.dates, ts.values[0]!, "week");
}

/** IBM monthly closing price, 2000-01 to 2010-03 (123 months). */
export function ibmMonthly(): SeriesInput {
  const ts = toTimeSeries(filterRows(readCsv(BUNDLED + "stocks.csv"), "symbol=IBM"), { date: "date", values: ["price"] });
  return series("price", ts.dates, ts.values[0]!, "month");
}

/** Mauna Loa CO2, monthly; the last `years` years. */
export function co2Monthly(years: number): SeriesInput {
  const ts = toTimeSeries(readCsv(DEV_DATA + "co2-concentration.csv"), { date: "Date", values: ["CO2"] });
  const k = ts.dates.length - years * 12;
  return series("CO2", ts.dates.slice(k), ts.values[0]!.slice(k), "month");
}
