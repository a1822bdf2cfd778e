// Shared plumbing for the runnable examples: command-line flags, the output directory, small tables,
// charts as SVG files and "run main() only when executed directly" (the learning tests import each main()).

import { realpathSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { plotGates, toSvg, Tensor, type Plot } from "../src/index.js";

/** Where an example prints; tests pass a collector instead of console.log. */
export type Log = (line: string) => void;

/** Flags every example accepts. */
export interface CommonArgs {
  /** Training epochs (each example has its own default). */
  epochs: number | undefined;
  /** A fast smoke run: little data, one epoch unless --epochs is given. */
  quick: boolean;
  /** Directory for outputs (model, predictions); default under os.tmpdir(), never the repository. */
  out: string;
  seed: number;
  /** Training progress: 0 silent, 1 bar, 2 a line per epoch; default "auto" (bar on a terminal). */
  verbose: 0 | 1 | 2 | "auto";
  /** The example's own flags, as given. */
  extra: Record<string, string | undefined>;
}

/**
 * Reads `--epochs N --quick --out DIR --seed N --verbose 0|1|2` and the example's own string
 * flags (`extra`); unknown flags are an error so that typos do not pass silently.
 */
export function parseExampleArgs(argv: string[], name: string, extra: string[] = []): CommonArgs {
  const options: Record<string, { type: "string" | "boolean" }> = {
    epochs: { type: "string" }, quick: { type: "boolean" }, out: { type: "string" },
    seed: { type: "string" }, verbose: { type: "string" }, help: { type: "boolean" },
  };
  for (const e of extra) options[e] = { type: "string" };
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  if (values.help) {
    const flags = ["--epochs N", "--quick", "--out DIR", "--seed N", "--verbose 0|1|2", ...extra.map((e) => `--${e} VALUE`)];
    throw new HelpRequested(`usage: npx tsx examples/${name}.ts [${flags.join("] [")}]`);
  }
  const epochs = values.epochs === undefined ? undefined : positiveInt(values.epochs as string, "--epochs");
  const v = values.verbose as string | undefined;
  if (v !== undefined && !["0", "1", "2"].includes(v)) throw new Error(`--verbose must be 0, 1 or 2, got "${v}"`);
  const extraValues: Record<string, string | undefined> = {};
  for (const e of extra) extraValues[e] = values[e] as string | undefined;
  return {
    epochs,
    quick: Boolean(values.quick),
    out: (values.out as string | undefined) ?? join(tmpdir(), "recurrent-examples", name),
    seed: values.seed === undefined ? 7 : positiveInt(values.seed as string, "--seed"),
    verbose: v === undefined ? "auto" : (Number(v) as 0 | 1 | 2),
    extra: extraValues,
  };
}

/** Thrown for --help: runCli prints the usage and exits with status 0. */
export class HelpRequested extends Error {}

export function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got "${text}"`);
  return n;
}

export function positiveNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number, got "${text}"`);
  return n;
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** True when the module at `metaUrl` is the script node was started with (not an import). */
export function isMain(metaUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(fileURLToPath(metaUrl)) === realpathSync(script);
  } catch {
    return false;
  }
}

/** Runs an example's main() from the command line, printing errors without a stack trace. */
export function runCli(main: (argv: string[]) => Promise<unknown>): void {
  const t0 = performance.now();
  main(process.argv.slice(2)).then(
    () => console.log(`\nwall time: ${((performance.now() - t0) / 1000).toFixed(1)} s`),
    (err: unknown) => {
      if (err instanceof HelpRequested) {
        console.log(err.message);
        return;
      }
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}

/** A fixed-width table, right-aligned numbers, for printing a few rows of results. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === "number" ? c.toFixed(3) : c)));
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padStart(w[i]!)).join("  ");
  return [line(head), line(w.map((n) => "-".repeat(n))), ...cells.map(line)].join("\n");
}

/**
 * Writes `<name>.svg` under `out` for each plot, prints the terminal rendering of `show` (the one
 * chart worth reading without opening a file) and one line naming the files; returns their paths.
 */
export async function writePlots(out: string, plots: Record<string, Plot>, show: string, log: Log): Promise<string[]> {
  const shown = plots[show];
  if (!shown) throw new Error(`writePlots: no plot named "${show}"`);
  await mkdir(out, { recursive: true });
  const files = await Promise.all(Object.entries(plots).map(async ([name, plot]) => {
    const file = join(out, `${name}.svg`);
    await writeFile(file, await toSvg(plot.spec));
    return file;
  }));
  log(`\n${shown.terminal}`);
  log(`\n${files.length === 1 ? "chart" : "charts"} written: ${files.join(", ")}`);
  return files;
}

/**
 * plotGates on one sample's first `units` units. A wide layer's full heatmap is unreadable at
 * a few pixels per row, and its SVG, one rect per unit and step, runs to megabytes; a per-rect
 * screen-reader label would double that for images nobody tabs through.
 */
export function gatesPlot(internals: Parameters<typeof plotGates>[0], title: string, units = 16): Plot {
  const cut: Record<string, Tensor> = {};
  for (const [key, t] of Object.entries(internals) as [string, Tensor][]) {
    const [, T, H] = t.shape as [number, number, number];
    const k = Math.min(units, H);
    const data = new Float32Array(T * k);
    for (let s = 0; s < T; s++) data.set(t.data.subarray(s * H, s * H + k), s * k);
    cut[key] = new Tensor(data, [1, T, k]);
  }
  const H = internals.hiddenState.shape[2]!;
  const plot = plotGates(cut as unknown as typeof internals, { title: H > units ? `${title}, units 0–${units - 1} of ${H}` : title });
  return { ...plot, spec: { ...plot.spec, config: { ...(plot.spec.config as object), mark: { aria: false } } } };
}
