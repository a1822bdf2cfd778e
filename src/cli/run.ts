// `recurrent train | evaluate | predict | summary`: options → config-run library calls → terminal output.

import { prepareOutDir } from "./out.js";
import { trainRun, evaluateRun, predictRun, summaryOf, readRunConfig } from "../forecast/config_run.js";
import { metricsTable } from "./terminal.js";
import { calmProgress } from "./progress.js";

export async function runTrain(config: string, opts: { out: string; force: boolean; quiet: boolean; verbose: boolean }): Promise<void> {
  readRunConfig(config); // validate before touching --out
  prepareOutDir(opts.out, opts.force);
  // One live line by default; --verbose is Keras's bar per epoch.
  const progress = opts.quiet ? { verbose: 0 as const }
    : opts.verbose ? { verbose: process.stdout.isTTY ? (1 as const) : (2 as const) }
    : { verbose: 2 as const, progress: calmProgress(process.stdout) };
  const { metrics, run } = await trainRun(config, opts.out, progress);
  process.stdout.write(`\nTest span: last ${run.testSize} of ${run.n} ${run.freq} points (to ${run.lastDate}); saved to ${opts.out}\n`);
  process.stdout.write(metricsTable(metrics) + "\n");
}

export async function runEvaluate(runDir: string, opts: { json: boolean }): Promise<void> {
  const metrics = await evaluateRun(runDir);
  process.stdout.write(opts.json ? JSON.stringify(metrics, null, 2) + "\n" : metricsTable(metrics) + "\n");
}

export async function runPredict(runDir: string, opts: { csv?: string; json: boolean }): Promise<void> {
  const future = await predictRun(runDir, opts.csv);
  if (opts.json) process.stdout.write(JSON.stringify(future, null, 2) + "\n");
  else process.stdout.write(["date,forecast", ...future.map((f) => `${f.date},${f.value}`)].join("\n") + "\n");
}

export async function runSummary(what: string): Promise<void> {
  process.stdout.write((await summaryOf(what)) + "\n");
}
