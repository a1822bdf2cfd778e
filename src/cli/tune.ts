// `recurrent tune [config]`: random or grid search over a config file's cell, depth, units, dropout,
// learning rate and lookback, each trial scored by rolling-origin cross-validation on the training
// span, trials spread over worker threads; a ranked table, results.json / results.csv, and the best
// configuration as best.json, a config `recurrent train` takes as it is.

import { type Command, InvalidArgumentError, Option } from "commander";
import Table from "cli-table3";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError } from "../tensor/errors.js";
import { backendName } from "../backend/index.js";
import { readRunConfig, type RunConfig } from "../forecast/config_run.js";
import {
  tune, bestConfig, resultsCsv, describeSpace, shownParameters, parseSearchSpace, defaultTuneConfig, inlineExecutor,
  DEFAULT_SPACE, type SearchSpace, type TrialExecutor, type TuneResult, type TrialResult,
} from "../forecast/tune.js";
import { formatSig } from "../report/format.js";
import { tuneWorkers, defaultWorkers } from "../node/tune_worker.js";
import { writeFileAtomic } from "../node/fs.js";
import { prepareOutDir, outPath } from "./out.js";

export interface TuneCliOptions {
  space?: string;
  units?: string;
  layers?: string;
  dropout?: string;
  lr?: string;
  lookback?: string;
  cell?: string;
  strategy: "random" | "grid";
  trials?: number;
  folds: number;
  foldSize?: number;
  gridPoints?: number;
  seed: number;
  workers?: number;
  epochs?: number;
  metric: "mae" | "rmse";
  out: string;
  force: boolean;
  json: boolean;
  quiet: boolean;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}"`);
    return n;
  };
}

/** Adds `recurrent tune` to the program. */
export function registerTune(program: Command): Command {
  program
    .command("tune")
    .description("Search hyperparameters of a config file's model (cell, layers, units, dropout, learning rate, lookback) by random or grid search, each trial scored by rolling-origin cross-validation on the training span, trials run in parallel; writes the ranked results and the best config for `recurrent train`.")
    .argument("[config]", "JSON config of `recurrent train`: the base (trial 0) every trial changes (default: weekly Seattle temperatures from the bundled data, LSTM 32)")
    .requiredOption("--out <dir>", "write results.json, results.csv and best.json here")
    .option("--space <file>", "search space as JSON, e.g. { \"units\": [16, 32, 64], \"learningRate\": \"1e-3:1e-2:log\", \"cell\": [\"lstm\", \"gru\"] }")
    .option("--units <values>", "recurrent units: a list 16,32,64 or a range 8:64")
    .option("--layers <values>", "recurrent layers stacked: a list 1,2 or a range 1:3")
    .option("--dropout <values>", "input dropout of the recurrent layers: a list 0,0.2 or a range 0:0.3")
    .option("--lr <values>", "learning rate: a list 0.001,0.003 or a range 1e-3:1e-2:log")
    .option("--lookback <values>", "input window length: a list 13,26,52 or a range 8:52")
    .option("--cell <values>", "recurrent cells to try: a list of lstm, gru, simpleRnn")
    .addOption(new Option("--strategy <s>", "random draws --trials points; grid tries every combination").choices(["random", "grid"]).default("random"))
    .option("--trials <n>", "random: trials to draw (default 10); grid: the most combinations allowed", positiveInt("--trials"))
    .option("--folds <k>", "rolling-origin folds of the training span", positiveInt("--folds"), 3)
    .option("--fold-size <n>", "points each fold validates on (default max(horizon, 10% of the training span))", positiveInt("--fold-size"))
    .option("--grid-points <n>", "grid: points along each range (default 3)", positiveInt("--grid-points"))
    .option("--seed <n>", "seed of the random search (model seeds come from the config)", (v) => {
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError(`--seed must be a non-negative integer, got "${v}"`);
      return Number(v);
    }, 42)
    .option("--workers <n>", "worker threads running trials (default: every core)", positiveInt("--workers"))
    .option("--epochs <n>", "most epochs per model, for every trial and the base (default: the config's fit.epochs)", positiveInt("--epochs"))
    .addOption(new Option("--metric <m>", "validation score, in the data's units").choices(["mae", "rmse"]).default("mae"))
    .option("--force", "allow --out to overwrite another run's files", false)
    .option("--json", "print the results as JSON on stdout (nothing else on stdout)", false)
    .option("--quiet", "no line per finished trial", false)
    .addHelpText("after", `
Every trial is a complete \`recurrent train\` config; trial 0 is the base config itself, scored on
the same folds. The config's test span (data.testSize) is left out of the search.

Examples:
  $ recurrent tune --out runs/tune
  $ recurrent tune examples/configs/seattle-lstm.json --units 16,32,64 --lr 1e-3:1e-2:log --trials 12 --out runs/tune
  $ recurrent tune my.json --space space.json --strategy grid --folds 4 --workers 2 --out runs/grid
  $ recurrent train runs/tune/best.json --out runs/best`)
    .action(async (config: string | undefined, opts: TuneCliOptions) => {
      await runTune(config, opts);
    });
  return program;
}

/** The space from --space and the parameter flags (a flag replaces the file's entry). */
function spaceOf(opts: TuneCliOptions): SearchSpace {
  let space: Record<string, unknown> = {};
  if (opts.space !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.space, "utf8");
    } catch (e) {
      throw new ConfigError(`--space ${opts.space}: cannot read it (${(e as Error).message.split("\n")[0]})`);
    }
    try {
      space = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`--space ${opts.space}: not valid JSON (${(e as Error).message})`);
    }
    parseSearchSpace(space, `--space ${opts.space}`);
  }
  const flags: [keyof TuneCliOptions, string][] = [["units", "units"], ["layers", "layers"], ["dropout", "dropout"], ["lr", "learningRate"], ["lookback", "lookback"], ["cell", "cell"]];
  for (const [flag, p] of flags) {
    const v = opts[flag];
    if (typeof v === "string") {
      parseSearchSpace({ [p]: v }, `--${flag === "lr" ? "lr" : flag}`);
      space[p] = v;
    }
  }
  return (opts.space === undefined && Object.keys(space).length === 0 ? DEFAULT_SPACE : space) as SearchSpace;
}

/** Trials on `workers` threads (in-process for one). */
export function workerExecutor(workers: number): TrialExecutor {
  return workers === 1 ? inlineExecutor : tuneWorkers(workers, { backend: backendName() });
}

function paramText(r: TrialResult, p: string): string {
  const v = (r.params as unknown as Record<string, number | string>)[p]!;
  return typeof v === "number" ? String(Number(v.toPrecision(4))) : v;
}

/** The ranked table: rank, trial, the searched parameters, each fold's score, the mean, seconds. */
export function tuneTable(result: TuneResult): string {
  const params = shownParameters(result);
  const K = result.trainEnds.length;
  const table = new Table({
    head: ["rank", "trial", ...params, ...Array.from({ length: K }, (_, k) => `fold ${k + 1}`), `mean ${result.metric.toUpperCase()}`, "time s"],
    colAligns: ["right", "left", ...params.map(() => "right" as const), ...Array.from({ length: K + 2 }, () => "right" as const)],
    style: { head: [], border: [], compact: true },
  });
  result.ranking.forEach((r, i) => {
    table.push([
      String(i + 1), r.kind === "default" ? "0 (default)" : String(r.trial), ...params.map((p) => paramText(r, p)),
      ...r.folds.map((v) => formatSig(v)), formatSig(r.score), r.seconds.toFixed(1),
    ]);
  });
  return table.toString();
}

/** results.json: the search, every trial (ranked) with its config, the best and the default. */
export function tuneJson(result: TuneResult): Record<string, unknown> {
  const trial = (r: TrialResult): Record<string, unknown> => ({
    trial: r.trial, kind: r.kind, params: r.params, folds: r.folds.map((v) => (Number.isFinite(v) ? v : null)), score: Number.isFinite(r.score) ? r.score : null,
    epochs: r.epochs, seconds: r.seconds, ...(r.note ? { note: r.note } : {}), config: r.config,
  });
  return {
    strategy: result.strategy, metric: result.metric, seed: result.seed, space: result.space,
    n: result.n, testSize: result.testSize, trainEnds: result.trainEnds, foldSize: result.foldSize,
    best: result.best.trial, default: result.default.score, bestScore: result.best.score,
    ranking: result.ranking.map(trial),
  };
}

export async function runTune(configPath: string | undefined, opts: TuneCliOptions): Promise<void> {
  const config: RunConfig = configPath === undefined ? defaultTuneConfig() : readRunConfig(configPath);
  const baseDir = configPath === undefined ? process.cwd() : dirname(resolve(configPath));
  const space = spaceOf(opts);
  const workers = opts.workers ?? defaultWorkers();
  const say = (s: string): void => {
    if (!opts.json) process.stdout.write(s);
  };
  say(`Tuning ${configPath ?? "the bundled Seattle example"}: ${opts.strategy} search over ${describeSpace(parseSearchSpace(space, "tune"))}; ${opts.folds} folds, ${workers} worker(s)\n`);
  const result = await tune({
    config, baseDir, space, strategy: opts.strategy, folds: opts.folds, seed: opts.seed, metric: opts.metric,
    executor: workerExecutor(workers),
    ...(opts.trials !== undefined ? { trials: opts.trials } : {}),
    ...(opts.foldSize !== undefined ? { foldSize: opts.foldSize } : {}),
    ...(opts.gridPoints !== undefined ? { gridPoints: opts.gridPoints } : {}),
    ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
    // --out is created once the config, the space and the folds are checked, before any training.
    onPlan: (plan) => {
      prepareOutDir(opts.out, opts.force);
      say(`${plan.trials} trials (trial 0 is the default) on ${plan.source}: folds train to ${plan.trainEnds.join(", ")} and validate on the next ${plan.foldSize} points each; the last ${plan.testSize} of ${plan.n} points are left out\n`);
    },
    onTrial: (r, done, total) => {
      if (!opts.quiet) say(`  trial ${r.trial}${r.kind === "default" ? " (default)" : ""} done (${done}/${total}): ${r.params.cell}, ${r.params.layers} × ${r.params.units} units, lr ${Number(r.params.learningRate.toPrecision(4))}, lookback ${r.params.lookback} → mean ${opts.metric} ${formatSig(r.score)} in ${r.seconds.toFixed(1)} s\n`);
    },
  });
  const best = bestConfig(result, baseDir);
  const json = tuneJson(result);
  writeFileAtomic(outPath(opts.out, "best.json"), JSON.stringify(best, null, 2) + "\n");
  writeFileAtomic(outPath(opts.out, "results.json"), JSON.stringify(json, null, 2) + "\n");
  writeFileAtomic(outPath(opts.out, "results.csv"), resultsCsv(result));
  if (opts.json) {
    process.stdout.write(JSON.stringify(json, null, 2) + "\n");
    return;
  }
  const d = result.default.score, b = result.best.score;
  const gain = result.best.trial === 0 ? "the default config is the best" : `${formatSig(100 * (1 - b / d))} % below the default's ${formatSig(d)}`;
  say(`\n${tuneTable(result)}\n`);
  for (const r of result.trials) if (r.note) say(`trial ${r.trial} diverged: ${r.note}\n`);
  say(`Best: trial ${result.best.trial}, mean ${result.metric.toUpperCase()} ${formatSig(b)} (${gain})\n`);
  say(`Wrote ${outPath(opts.out, "best.json")} (train it with: recurrent train ${outPath(opts.out, "best.json")} --out <dir>), results.json, results.csv\n`);
}
