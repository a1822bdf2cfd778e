// `recurrent train | evaluate | predict | summary`: options → config-run library calls → terminal output.

import { prepareOutDir } from "./out.js";
import { trainRun, evaluateRun, predictRun, summaryOf, readRunConfig } from "../forecast/config_run.js";
import { metricsTable } from "./terminal.js";
import { calmProgress } from "./progress.js";
import { runReport } from "../forecast/run_report.js";
import { writeModelReport } from "../report/model_report.js";
import { fileSystem } from "../io/fs.js";
import { loadForecaster, futureCsv, frequencyWord, FORECASTER_FILE } from "../forecast/saved.js";
import { ConfigError } from "../tensor/errors.js";

/** report.html of a run directory (training curves, test predictions, gates, metrics). */
async function writeRunReport(runDir: string): Promise<string> {
  const fs = fileSystem("report");
  const path = fs.join(runDir, "report.html");
  writeModelReport(path, await runReport(runDir));
  return path;
}

export async function runTrain(config: string, opts: { out: string; force: boolean; quiet: boolean; verbose: boolean }): Promise<void> {
  readRunConfig(config); // validate before touching --out
  prepareOutDir(opts.out, opts.force);
  // One live line by default; --verbose is Keras's bar per epoch.
  const progress = opts.quiet ? { verbose: 0 as const }
    : opts.verbose ? { verbose: process.stdout.isTTY ? (1 as const) : (2 as const) }
    : { verbose: 2 as const, progress: calmProgress(process.stdout) };
  const { metrics, run } = await trainRun(config, opts.out, progress);
  const report = await writeRunReport(opts.out);
  process.stdout.write(`\nTest span: last ${run.testSize} of ${run.n} ${run.freq} points (to ${run.lastDate}); saved to ${opts.out}, report in ${report}\n`);
  process.stdout.write(metricsTable(metrics) + "\n");
}

export async function runEvaluate(runDir: string, opts: { json: boolean }): Promise<void> {
  const metrics = await evaluateRun(runDir);
  const report = await writeRunReport(runDir);
  process.stdout.write(opts.json ? JSON.stringify(metrics, null, 2) + "\n" : `${metricsTable(metrics)}\nReport: ${report}\n`);
}

/** What a directory given to predict / summary holds: a saved forecaster, a config run, or neither. */
function dirKind(dir: string): "forecaster" | "run" | "none" {
  const fs = fileSystem("run");
  if (fs.exists(fs.join(dir, FORECASTER_FILE)) || fs.exists(fs.join(dir, "model", FORECASTER_FILE))) return "forecaster";
  if (fs.exists(fs.join(dir, "run.json"))) return "run";
  return "none";
}

/**
 * `predict <dir>`: a forecaster saved by `forecast --out` (the run directory or its model/), or a
 * run trained by `train`. The output is forecast.csv's format, so a forecaster reproduces it exactly.
 */
export async function runPredict(dir: string, opts: { csv?: string; json: boolean }): Promise<void> {
  let future: { date: string; value: number }[];
  const kind = dirKind(dir);
  if (kind === "forecaster") {
    const f = await loadForecaster(dir);
    if (f.savedBackend !== undefined && f.savedBackend !== f.backend) {
      process.stderr.write(`note: the forecaster was saved on the ${f.savedBackend} backend and runs on ${f.backend} here, which rounds differently: values can differ from forecast.csv in the last digits (pass --backend ${f.savedBackend} to reproduce it exactly)\n`);
    }
    future = opts.csv === undefined ? f.predict() : f.predictCsv(opts.csv);
  } else if (kind === "run") {
    future = await predictRun(dir, opts.csv);
  } else {
    throw new ConfigError(`${dir} holds neither a saved forecaster (${FORECASTER_FILE} or model/${FORECASTER_FILE}, written by \`recurrent forecast --out ${dir}\`) nor a trained run (run.json, written by \`recurrent train <config> --out ${dir}\`)`);
  }
  process.stdout.write(opts.json ? JSON.stringify(future, null, 2) + "\n" : futureCsv(future));
}

export async function runSummary(what: string): Promise<void> {
  if (dirKind(what) === "forecaster") {
    const f = await loadForecaster(what);
    const e = f.ensemble;
    process.stdout.write(`Forecaster: ${f.models.length} ${e.spec.preset} networks (${e.spec.strategy}, lookback ${f.lookback}, horizon ${f.horizon}, season ${e.spec.season}, ${frequencyWord(f.freq)}); each:\n${f.models[0]!.summary()}\n`);
    return;
  }
  process.stdout.write((await summaryOf(what)) + "\n");
}
