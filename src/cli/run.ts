// `recurrent train | evaluate | predict | summary`: options → config-run library calls → terminal output.

import { prepareOutDir } from "./out.js";
import { trainRun, evaluateRun, predictRun, summaryOf, readRunConfig } from "../forecast/config_run.js";
import { metricsTable } from "./terminal.js";
import { calmProgress } from "./progress.js";
import { runReport } from "../forecast/run_report.js";
import { writeModelReport } from "../report/model_report.js";
import { fileSystem } from "../io/fs.js";

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

export async function runPredict(runDir: string, opts: { csv?: string; json: boolean }): Promise<void> {
  const future = await predictRun(runDir, opts.csv);
  if (opts.json) process.stdout.write(JSON.stringify(future, null, 2) + "\n");
  else process.stdout.write(["date,forecast", ...future.map((f) => `${f.date},${f.value}`)].join("\n") + "\n");
}

export async function runSummary(what: string): Promise<void> {
  process.stdout.write((await summaryOf(what)) + "\n");
}
