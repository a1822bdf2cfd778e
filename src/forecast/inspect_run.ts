// The gates and states of a trained run's recurrent layer on one input window of its data
// (`recurrent inspect`): which window, which layer, and what the cell did at every step.

import { Tensor } from "../tensor/tensor.js";
import { ConfigError } from "../tensor/errors.js";
import { LSTM, GRU, type LstmInternals, type GruInternals } from "../layers/index.js";
import { formatDate } from "../data/dates.js";
import { loadRun } from "./config_run.js";

export interface InspectRunOptions {
  /** Newer data with the run's columns (default: the run's own CSV). */
  csv?: string;
  /** Layer name or index (default: the first LSTM or GRU). */
  layer?: string | number;
  /** Window index, 0 = the first lookback window of the data; negative counts from the end (default -1, the last). */
  sample?: number;
}

export interface InspectRunResult {
  layer: string;
  className: "LSTM" | "GRU";
  internals: LstmInternals | GruInternals;
  /** The window fed to the model: its index and the dates of its first and last points. */
  window: { index: number; count: number; from: string; to: string };
}

export async function inspectRun(runDir: string, opts: InspectRunOptions = {}): Promise<InspectRunResult> {
  const { model, prepared: p } = await loadRun(runDir, opts.csv);
  const count = p.scaled.length - p.L + 1;
  const asked = opts.sample ?? -1;
  const index = asked < 0 ? count + asked : asked;
  if (!Number.isInteger(asked) || index < 0 || index >= count) {
    throw new ConfigError(`inspect: sample ${asked} is outside the ${count} windows of ${p.L} points this data holds (0 to ${count - 1}, or -1 to -${count} from the end)`);
  }
  const recurrent = model.layers.filter((l) => l instanceof LSTM || l instanceof GRU);
  if (recurrent.length === 0) throw new ConfigError("inspect: this run's model has no LSTM or GRU layer");
  const layer = opts.layer === undefined ? recurrent[0]! : model.getLayer(opts.layer);
  if (!(layer instanceof LSTM || layer instanceof GRU)) {
    throw new ConfigError(`inspect: layer "${layer.name}" is a ${layer.className}; choose an LSTM or GRU layer (${recurrent.map((l) => l.name).join(", ")})`);
  }
  const x = new Tensor(Float32Array.from(p.scaled.subarray(index, index + p.L)), [1, p.L, 1]);
  const fmt = (k: number): string => formatDate(p.series.dates[k]!, p.series.freq);
  return {
    layer: layer.name,
    className: layer instanceof LSTM ? "LSTM" : "GRU",
    internals: model.inspect(layer.name, x),
    window: { index, count, from: fmt(index), to: fmt(index + p.L - 1) },
  };
}
