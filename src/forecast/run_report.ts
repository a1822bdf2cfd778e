// The report of a run trained from a config file (`recurrent train` and `evaluate` write it): the
// training curves from run.json, test metrics beside the baselines, one-step-ahead predictions on
// the test span beside the naive forecast, and the gates of the first recurrent layer on the last
// window — the pictures every tutorial ends with.

import { Tensor } from "../tensor/tensor.js";
import { plotHistory, plotPredictions, plotGates } from "../report/plots.js";
import type { ModelReportData } from "../report/model_report.js";
import { formatDate } from "../data/dates.js";
import { loadRun, evaluateRun } from "./config_run.js";
import { inspectRun } from "./inspect_run.js";

export async function runReport(runDir: string): Promise<ModelReportData> {
  const { run, model, prepared: p } = await loadRun(runDir);
  const metrics = await evaluateRun(runDir);
  const n = p.scaled.length;
  // Every window whose next point lies in the test span: [trainEnd, n).
  const count = n - p.trainEnd;
  const x = new Float32Array(count * p.L);
  for (let k = 0; k < count; k++) x.set(p.scaled.subarray(p.trainEnd + k - p.L, p.trainEnd + k), k * p.L);
  const out = model.predict(new Tensor(x, [count, p.L, 1]));
  const per = out.size / count;
  const firstStep = Float32Array.from({ length: count }, (_, k) => out.data[k * per]!);
  const predicted = Array.from(p.toUnits(firstStep));
  const actual = Array.from(p.series.values.subarray(p.trainEnd));
  const naive = Array.from(p.series.values.subarray(p.trainEnd - 1, n - 1));
  const gates = await inspectRun(runDir);
  const target = run.config.data.target ?? "target";
  const epochs = Object.values(run.history)[0]?.length ?? 0;
  return {
    title: `${target}: ${model.name}, trained from ${run.csv.split(/[\\/]/).pop() ?? run.csv}`,
    facts: [
      ["target", String(target)],
      ["frequency", run.freq],
      ["lookback", String(p.L)],
      ["horizon", String(p.H)],
      ["observations", `${n} (to ${run.lastDate})`],
      ["test points", String(count)],
      ["epochs trained", String(epochs)],
      ["backend", model.backend.name],
    ],
    metrics: metrics as unknown as Record<string, Record<string, number>>,
    metricsNote: `Rolling-origin errors over the last ${run.testSize} points, in the units of ${String(target)}; lower is better. MASE below 1 beats the seasonal naive forecast's in-sample error.`,
    charts: [
      { id: "history", heading: "Training curves", caption: "Loss and metrics per epoch, on the training windows and on the validation split.", spec: plotHistory({ history: run.history }).spec },
      {
        id: "predictions", heading: "Test span: actual vs one step ahead",
        caption: `Each point predicted from the ${p.L} points before it (the first step of the model's ${p.H}-step output), beside the naive forecast (the previous value). From ${formatDate(p.series.dates[p.trainEnd]!, p.series.freq)}.`,
        spec: plotPredictions({ actual, predicted, baselines: { naive } }).spec,
      },
      {
        id: "gates", heading: `Inside ${gates.layer} (${gates.className})`,
        caption: `Gate activations and states for every unit (rows) at every step (columns) of the last window, ${gates.window.from} to ${gates.window.to}.`,
        spec: plotGates(gates.internals).spec,
      },
    ],
    summary: model.summary(),
  };
}
