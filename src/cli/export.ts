// `recurrent export <modelDir> --onnx <file> [--opset n]`: load a saved model, write it as ONNX.

import { type Command, InvalidArgumentError } from "commander";
import { ConfigError, ModelFormatError, NonFiniteError, ShapeError } from "../tensor/errors.js";
import { loadSequential } from "../models/load.js";
import { fileSystem } from "../io/fs.js";
import { exportOnnx, DEFAULT_OPSET, MIN_OPSET, MAX_OPSET } from "../interop/onnx.js";

export interface ExportCliOptions {
  onnx: string;
  opset?: number;
}

function opsetArg(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n)) throw new InvalidArgumentError(`--opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got "${v}"`);
  return n;
}

/** Adds `recurrent export` to the program. */
export function registerExport(program: Command): Command {
  program
    .command("export")
    .description("Write a saved model as an ONNX file (LSTM, GRU, SimpleRNN, Bidirectional, Dense, Embedding, ...), to run in onnxruntime or any ONNX runtime.")
    .argument("<modelDir>", "directory written by model.save() (with model.json), or a run directory written by `recurrent train`")
    .requiredOption("--onnx <file>", "ONNX file to write (replaced atomically)")
    .option("--opset <n>", `ONNX opset to declare, ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET}; too low for the model's graph is refused)`, opsetArg)
    .addHelpText("after", "\nExamples:\n  $ recurrent export runs/seattle-lstm --onnx seattle.onnx\n  $ recurrent export my-model --onnx my-model.onnx --opset 13")
    .action(async (modelDir: string, opts: ExportCliOptions) => {
      await runExport(modelDir, opts);
    });
  return program;
}

/** Load the model in `modelDir` (or `modelDir/model` of a training run) and write it to `opts.onnx`. */
export async function runExport(modelDir: string, opts: ExportCliOptions): Promise<void> {
  const fs = fileSystem("export");
  const dir = !fs.exists(fs.join(modelDir, "model.json")) && fs.exists(fs.join(modelDir, "model", "model.json"))
    ? fs.join(modelDir, "model")
    : modelDir;
  const model = await loadSequential(dir, {}, "export");
  try {
    await exportOnnx(model, opts.onnx, opts.opset === undefined ? {} : { opset: opts.opset });
  } catch (e) {
    // the host's file errors (no permission, no space) as one line; the library's own errors pass through
    if (e instanceof ConfigError || e instanceof ModelFormatError || e instanceof ShapeError || e instanceof NonFiniteError) throw e;
    throw new ConfigError(`export: cannot write ${opts.onnx}: ${(e as Error).message.split("\n")[0]}`);
  }
  const outShape = model.outputShape!;
  process.stdout.write(`Wrote ${opts.onnx}: ONNX opset ${opts.opset ?? DEFAULT_OPSET}, input [batch, ${model.inputShape!.join(", ")}], output [batch, ${outShape.join(", ")}]\n`);
}
