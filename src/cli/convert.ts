// `recurrent convert <in> <out>`: move a model between recurrent's own files, TensorFlow.js layers
// format, Keras (.keras / .h5, read), safetensors and ONNX (written), and say how closely the
// written model's predictions match the source's.

import { Command, InvalidArgumentError, Option } from "commander";
import { readFileSync } from "node:fs";
import { ConfigError, ModelFormatError } from "../tensor/errors.js";
import { Tensor, toTensor, type NestedArray } from "../tensor/tensor.js";
import { convertModel, compareOutputs, READABLE_FORMATS, WRITABLE_FORMATS, type ModelFormat, type ParityReport } from "../interop/convert.js";
import type { Sequential } from "../models/sequential.js";

export interface ConvertCliOptions {
  from?: ModelFormat;
  to?: ModelFormat;
  input?: string;
  samples?: number;
  seed?: number;
  tolerance?: number;
  json?: boolean;
}

/** Inputs from a JSON file: a nested array [batch][time][features] (or [batch][time] token ids). */
function readInputs(file: string, model: Sequential): Tensor {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ConfigError(`convert --input ${file}: cannot read it as JSON: ${(e as Error).message}`);
  }
  const t = toTensor(raw as NestedArray, `convert --input ${file}`);
  const want = model.inputShape ?? [];
  if (t.rank !== want.length + 1 || want.some((d, i) => d !== t.shape[i + 1])) {
    throw new ConfigError(`convert --input ${file}: shape [${t.shape.join(", ")}] does not fit the model's input [batch, ${want.join(", ")}]`);
  }
  return t;
}

/** Run an ONNX file in onnxruntime-node, when it is installed, on the same inputs. */
async function onnxParity(file: string, model: Sequential, inputs: Tensor, reference: Tensor): Promise<ParityReport | string> {
  let ort: typeof import("onnxruntime-node");
  try {
    ort = await import("onnxruntime-node");
  } catch {
    return "not checked: onnxruntime-node is not installed (npm install onnxruntime-node to check ONNX files)";
  }
  const session = await ort.InferenceSession.create(file);
  const ids = model.layers.find((l) => l.className !== "InputLayer")?.className === "Embedding";
  const feed = ids
    ? new ort.Tensor("int64", BigInt64Array.from(inputs.data, (v) => BigInt(Math.round(v))), [...inputs.shape])
    : new ort.Tensor("float32", inputs.data, [...inputs.shape]);
  const out = await session.run({ [session.inputNames[0]!]: feed });
  const y = out[session.outputNames[0]!]!.data as Float32Array;
  await session.release();
  return compareOutputs(reference, y, inputs.shape[0]!);
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}"`);
    return n;
  };
}

export function registerConvert(program: Command): Command {
  program
    .command("convert")
    .description("Convert a model between file formats and report how closely the written model's predictions match the source's.")
    .argument("<in>", `model to read: a recurrent or TensorFlow.js model directory, a .keras, .h5 or .safetensors file (${READABLE_FORMATS.join(", ")})`)
    .argument("<out>", `where to write: a directory (recurrent, or --to tfjs), a .safetensors or .onnx file (${WRITABLE_FORMATS.join(", ")})`)
    .addOption(new Option("--from <format>", "input format (default: from the path)").choices([...READABLE_FORMATS]))
    .addOption(new Option("--to <format>", "output format (default: from the extension, else a recurrent directory)").choices([...WRITABLE_FORMATS]))
    .option("--input <file.json>", "inputs for the parity check: a JSON array [batch][time][features] (default: random)")
    .option("--samples <n>", "random inputs for the parity check", positiveInt("--samples"), 5)
    .option("--seed <n>", "seed of the random inputs", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--seed must be a non-negative integer, got "${v}"`);
      return n;
    }, 0)
    .option("--tolerance <rel>", "largest relative error accepted before the command fails", (v) => {
      const n = Number(v);
      if (!(n > 0)) throw new InvalidArgumentError(`--tolerance must be a positive number, got "${v}"`);
      return n;
    }, 1e-5)
    .option("--json", "print the parity report as JSON", false)
    .addHelpText("after", [
      "",
      "Examples:",
      "  $ recurrent convert model.keras runs/imported",
      "  $ recurrent convert runs/seattle-lstm/model seattle.onnx",
      "  $ recurrent convert runs/seattle-lstm/model web-model --to tfjs",
      "  $ recurrent convert tfjs-model weights.safetensors",
    ].join("\n"))
    .action(async (input: string, output: string, opts: ConvertCliOptions) => {
      await convertCommand(input, output, opts);
    });
  return program;
}

/** The command's work: convert, check parity, print the report; the exit code. */
export async function convertCommand(input: string, output: string, opts: ConvertCliOptions): Promise<number> {
  const tolerance = opts.tolerance ?? 1e-5;
  // The inputs need the model's shape, so a given file is read after the source model is.
  const { readModelFile, detectInputFormat } = await import("../interop/convert.js");
  let inputs: Tensor | undefined;
  if (opts.input !== undefined) {
    const source = await readModelFile(input, opts.from ?? detectInputFormat(input));
    inputs = readInputs(opts.input, source);
    source.dispose();
  }
  const r = await convertModel(input, output, { from: opts.from, to: opts.to, inputs, samples: opts.samples, seed: opts.seed });
  const parity: ParityReport | string = r.parity ?? (await onnxParity(output, r.model, r.inputs, r.reference));
  r.model.dispose();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ from: r.from, to: r.to, input, output, parity }, null, 2)}\n`);
  } else {
    process.stdout.write(`Converted ${input} (${r.from}) → ${output} (${r.to}).\n`);
    if (typeof parity === "string") {
      process.stdout.write(`Parity ${parity}.\n`);
    } else {
      process.stdout.write(
        `Parity on ${parity.samples} ${opts.input ? "given" : "random"} input${parity.samples === 1 ? "" : "s"} (output [${parity.outputShape.join(", ")}]): ` +
        `max abs error ${parity.maxAbsError.toExponential(2)}, max rel error ${parity.maxRelError.toExponential(2)}` +
        `${r.to === "onnx" ? " (onnxruntime)" : " (written file read back)"}.\n`);
    }
  }
  if (typeof parity !== "string" && !(parity.maxRelError <= tolerance)) {
    throw new ModelFormatError(`convert: the written model's predictions differ from the source's by ${parity.maxRelError.toExponential(2)} relative, above --tolerance ${tolerance}; ${output} was written but should not be trusted`);
  }
  return 0;
}
