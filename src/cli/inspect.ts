// `recurrent inspect <run>`: the gates and states of a trained run's LSTM or GRU on one window of its
// data, as shaded heatmaps in the terminal and, with --svg, as a standalone SVG file.

import { inspectRun } from "../forecast/inspect_run.js";
import { plotGates, toSvg } from "../report/plots.js";
import { writeFileAtomic } from "../node/fs.js";

export interface InspectCliOptions {
  csv?: string;
  layer?: string;
  sample?: number;
  svg?: string;
}

export async function runInspect(runDir: string, opts: InspectCliOptions): Promise<void> {
  const layer = opts.layer !== undefined && /^\d+$/.test(opts.layer) ? Number(opts.layer) : opts.layer;
  const r = await inspectRun(runDir, { csv: opts.csv, layer, sample: opts.sample });
  const plot = plotGates(r.internals, {
    title: `${r.layer} (${r.className}), window ${r.window.index} of ${r.window.count}: ${r.window.from} to ${r.window.to}`,
  });
  process.stdout.write(plot.terminal + "\n");
  if (opts.svg) {
    writeFileAtomic(opts.svg, await toSvg(plot.spec));
    process.stdout.write(`\nSVG written to ${opts.svg}\n`);
  }
}
