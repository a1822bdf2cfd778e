// The `recurrent` command line: argv → options → library calls. No math here.

import { Command, Option, InvalidArgumentError, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { EXIT_OK, EXIT_INPUT, reportFailure, wantsDebug } from "./errors.js";
import { runForecast, type ForecastCliOptions } from "./forecast.js";
import { DATE_FORMATS } from "../data/dates.js";
import { runTrain, runEvaluate, runPredict, runSummary } from "./run.js";
import { runInspect, type InspectCliOptions } from "./inspect.js";
import { registerExport } from "./export.js";
import { registerConvert } from "./convert.js";
import { registerAnomalies } from "./anomaly.js";
import { registerTune } from "./tune.js";
import { setDefaultBackend, backendName } from "../backend/index.js";
import { setDefaultThreads } from "../models/parallel.js";

const version = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}"`);
    return n;
  };
}

function threadsArg(v: string): number | "auto" {
  if (v === "auto") return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--threads must be a positive integer or "auto", got "${v}"`);
  return n;
}

function gapArg(v: string): number {
  if (v === "inf" || v === "Infinity") return Infinity;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--max-gap must be a non-negative integer or inf, got "${v}"`);
  return n;
}

function shareArg(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`--max-imputed must be a share between 0 and 1, got "${v}"`);
  return n;
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function buildProgram(): Command {
  const program = new Command()
    .name("recurrent")
    .description("LSTM, GRU and SimpleRNN models for time series: forecast a CSV, or train, evaluate and predict from a config file.")
    .version(version)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .addOption(new Option("--backend <name>", "numeric backend: wasm (WebAssembly SIMD), js (reference TypeScript) or auto")
      .choices(["auto", "wasm", "js"]).default("auto"))
    .option("--threads <n>", "threads per training or prediction batch: a number, or auto (every core for big batches)", threadsArg, "auto")
    .option("--debug", "on failure, also print the stack trace", false)
    .hook("preAction", (cmd) => {
      const o = cmd.opts<{ backend: "auto" | "wasm" | "js"; threads: number | "auto" }>();
      setDefaultBackend(o.backend);
      backendName(o.backend); // forcing wasm where it cannot run fails here, before any work
      setDefaultThreads(o.threads);
    });

  program
    .command("forecast")
    .description("Forecast one column of a CSV with an LSTM, beside naive, seasonal-naive and drift baselines, with a rolling-origin backtest. With no file: weekly Seattle temperatures from the bundled weather data.")
    .argument("[csv]", "CSV file with a date column and the column to forecast")
    .option("--date <column>", "date column (default: a column named like \"date\", else the first column of dates)")
    .option("--target <column>", "column to forecast, or an expression such as median(temp_max,temp_min)")
    .option("--where <column=value>", "keep rows where column equals (=) or differs from (!=) a value; repeatable", collect)
    .addOption(new Option("--freq <freq>", "resample to this frequency (default: the data's own, inferred)").choices(["day", "week", "month", "quarter", "year"]))
    .addOption(new Option("--agg <agg>", "aggregation when resampling").choices(["mean", "median", "sum", "min", "max", "last", "first"]).default("mean"))
    .addOption(new Option("--date-format <fmt>", "how dates are written, when auto-detection cannot tell (e.g. day/month against month/day)").choices([...DATE_FORMATS]))
    .option("--max-gap <periods>", "longest run of missing periods that may be imputed (default 3; inf for no limit)", gapArg)
    .option("--max-imputed <share>", "largest share of the series that may be imputed, 0-1 (default 0.1)", shareArg)
    .addOption(new Option("--non-finite <action>", "NaN, Infinity or values beyond float32: refuse the file, drop those rows, or impute them (default error)").choices(["error", "drop", "impute"]))
    .option("--lookback <n>", "input window length (default: from the season length)", positiveInt("--lookback"))
    .option("--horizon <n>", "steps to forecast (default: from the frequency)", positiveInt("--horizon"))
    .option("--test-size <n>", "hold out the last n points for the backtest", positiveInt("--test-size"))
    .option("--season <n>", "season length in periods (default: 7 daily, 52 weekly, 12 monthly, 4 quarterly, 1 yearly)", positiveInt("--season"))
    .addOption(new Option("--model <preset>", "model preset, or esrnn (exponential smoothing + LSTM); default: the LSTM or the ES-RNN, whichever backtests better").choices(["lstm", "stacked-lstm", "gru", "bilstm-seq2seq", "esrnn"]))
    .addOption(new Option("--strategy <s>", "multi-step strategy").choices(["direct", "recursive"]))
    .option("--features <a,b>", "past covariate columns beside the target; their lags enter the windows", (v: string) => v.split(",").map((c) => c.trim()).filter(Boolean))
    .option("--future <a,b>", "known-future covariate columns (holidays, events) with values for the horizon in rows after the last target value", (v: string) => v.split(",").map((c) => c.trim()).filter(Boolean))
    .addOption(new Option("--calendar <c>", "calendar covariates from the dates, known for the horizon: month or dayofweek (cyclic), auto (by frequency) or none").choices(["none", "auto", "month", "dayofweek"]))
    .option("--group <column>", "forecast every value of this column (e.g. symbol) as its own series with one global model trained on all of them")
    .option("--series-id", "with --group: give the global model a one-hot series id beside the values", false)
    .addOption(new Option("--transform <t>", "transform of the values before the networks: auto (chosen per series on the validation), none, log, boxcox, diff, sdiff").choices(["auto", "none", "log", "boxcox", "diff", "sdiff"]))
    .option("--epochs <n>", "maximum training epochs (early stopping may end sooner)", positiveInt("--epochs"))
    .option("--seed <n>", "random seed (a non-negative integer)", (v) => {
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError(`--seed must be a non-negative integer, got "${v}"`);
      return Number(v);
    })
    .option("--out <dir>", "write forecast.csv, metrics.json, the forecaster (model/, for `recurrent predict`) and report.html here")
    .option("--force", "allow --out to overwrite another run's files", false)
    .option("--json", "print the result as JSON on stdout (nothing else on stdout)", false)
    .option("--quiet", "no progress, notes, model summary or chart: only the result (metrics and forecast)", false)
    .option("--verbose", "Keras-style progress: a bar per epoch (a line per epoch when piped) instead of one line per network", false)
    .addHelpText("after", `
Examples:
  $ recurrent forecast
  $ recurrent forecast weather.csv --date date --target "median(temp_max,temp_min)" \\
      --where location=Seattle --freq week --horizon 13 --out runs/seattle
  $ recurrent forecast stocks.csv --where symbol=IBM --target price --model gru --json
  $ recurrent forecast stocks.csv --where symbol=IBM --target price --transform auto
  $ recurrent forecast weather.csv --where location=Seattle --target temp_max --freq week \\
      --features precipitation,wind --calendar month
  $ recurrent forecast stocks.csv --group symbol --target price --series-id`)
    .action(async (csv: string | undefined, opts: ForecastCliOptions) => {
      await runForecast(csv, opts);
    });

  program
    .command("train")
    .description("Train the model a config file describes on its data; save the model, scaler and history into --out.")
    .argument("<config>", "JSON config: data (csv, target, lookback, horizon ...), model.layers, compile, fit")
    .requiredOption("--out <dir>", "run directory to create")
    .option("--force", "allow --out to overwrite another run's files", false)
    .option("--quiet", "no progress output (the test metrics are still printed)", false)
    .option("--verbose", "Keras-style progress: a bar per epoch instead of one live line", false)
    .addHelpText("after", `
Example config (examples/configs/seattle-lstm.json):
  { "data": { "csv": "bundled:weather.csv", "where": ["location=Seattle"], "target": "median(temp_max,temp_min)",
              "freq": "week", "lookback": 52, "horizon": 13 },
    "model": { "seed": 7, "layers": [ { "type": "lstm", "units": 32 }, { "type": "dense", "units": 13 } ] },
    "compile": { "optimizer": { "type": "adam", "learningRate": 0.003 }, "loss": "mse" },
    "fit": { "epochs": 200, "batchSize": 16, "validationSplit": 0.15, "patience": 20 } }

Example:
  $ recurrent train examples/configs/seattle-lstm.json --out runs/seattle-lstm`)
    .action(async (config: string, opts: { out: string; force: boolean; quiet: boolean; verbose: boolean }) => {
      await runTrain(config, opts);
    });

  program
    .command("evaluate")
    .description("Evaluate a trained run on its held-out test span, in the data's units, beside naive baselines.")
    .argument("<run>", "run directory written by `recurrent train`")
    .option("--json", "print metrics as JSON", false)
    .addHelpText("after", "\nExample:\n  $ recurrent evaluate runs/seattle-lstm")
    .action(async (run: string, opts: { json: boolean }) => {
      await runEvaluate(run, opts);
    });

  program
    .command("predict")
    .description("Forecast the next horizon steps past the end of the data with a saved forecaster (from `recurrent forecast --out`) or a trained run (from `recurrent train`).")
    .argument("<dir>", "a `forecast --out` directory (or its model/), or a run directory written by `recurrent train`")
    .option("--csv <file>", "newer data with the same columns, read as the original was (default: the saved history / the run's own data)")
    .option("--json", "print the forecast as JSON", false)
    .addHelpText("after", `
Output: date,forecast lines, as forecast.csv; for a forecaster directory with no --csv, byte for byte the forecast.csv it wrote.

Examples:
  $ recurrent forecast sales.csv --out runs/sales && recurrent predict runs/sales
  $ recurrent predict runs/sales --csv sales-with-march.csv
  $ recurrent predict runs/seattle-lstm --json`)
    .action(async (dir: string, opts: { csv?: string; json: boolean }) => {
      await runPredict(dir, opts);
    });

  program
    .command("inspect")
    .description("Show what a trained run's LSTM or GRU does on one window of its data: every gate and state, unit by unit, step by step.")
    .argument("<run>", "run directory written by `recurrent train`")
    .option("--csv <file>", "other data with the same columns (default: the run's own data)")
    .option("--layer <name-or-index>", "which recurrent layer (default: the first LSTM or GRU)")
    .option("--sample <k>", "which lookback window: 0 is the first, -1 (default) the last", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n)) throw new InvalidArgumentError(`--sample must be an integer, got "${v}"`);
      return n;
    })
    .option("--svg <file>", "also write the heatmaps as a standalone SVG")
    .addHelpText("after", "\nExamples:\n  $ recurrent inspect runs/seattle-lstm\n  $ recurrent inspect runs/seattle-lstm --sample 0 --layer lstm --svg gates.svg")
    .action(async (run: string, opts: InspectCliOptions) => {
      await runInspect(run, opts);
    });

  program
    .command("summary")
    .description("Print the Keras-style summary of a trained run's model or of a config file's model.")
    .argument("<run-or-config>", "run directory or JSON config")
    .addHelpText("after", "\nExamples:\n  $ recurrent summary runs/seattle-lstm\n  $ recurrent summary examples/configs/seattle-lstm.json")
    .action(async (what: string) => {
      await runSummary(what);
    });

  registerExport(program);
  registerConvert(program);
  registerAnomalies(program);
  registerTune(program);

  return program;
}

/**
 * Runs the command line and returns its exit code: 0 done, 2 bad input (arguments, options, files,
 * data), 1 internal fault. Failures print one paragraph on stderr; --debug adds the stack trace.
 */
export async function main(argv: string[]): Promise<number> {
  const debug = wantsDebug(argv);
  try {
    await buildProgram().parseAsync(argv);
    return EXIT_OK;
  } catch (e) {
    // commander has already printed its message (or the help / version)
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_OK : EXIT_INPUT;
    return reportFailure(e, debug);
  }
}
