// fit's progress on a terminal: a cli-progress bar per epoch with ETA, loss and metrics (verbose 1),
// or one line per epoch (verbose 2). The Node entry installs it as fit's default renderer.

import cliProgress from "cli-progress";
import { epochLine, formatLogs, type ProgressRenderer } from "../models/progress.js";

/** A renderer writing to `stream` (default stdout); a bar needs verbose 1, "auto" picks it on a TTY. */
export function terminalProgress(stream: NodeJS.WritableStream = process.stdout): ProgressRenderer {
  let bar: cliProgress.SingleBar | null = null;
  return {
    interactive: (stream as NodeJS.WriteStream).isTTY === true,
    epochBegin(e) {
      if (e.verbose !== 1) return;
      stream.write(`Epoch ${e.epoch + 1}/${e.epochs}\n`);
      bar = new cliProgress.SingleBar(
        {
          format: " {value}/{total} [{bar}] ETA {eta_formatted} - {metrics}",
          barCompleteChar: "=",
          barIncompleteChar: ".",
          barsize: 30,
          hideCursor: false,
          stream: stream as NodeJS.WriteStream,
          noTTYOutput: true,
          notTTYSchedule: 10_000,
          etaBuffer: 20,
        },
        cliProgress.Presets.legacy,
      );
      bar.start(e.steps, 0, { metrics: "" });
    },
    batchEnd(b) {
      bar?.update(b.batch + 1, { metrics: formatLogs(b.logs) });
    },
    epochEnd(e) {
      if (!bar) {
        stream.write(epochLine(e) + "\n");
        return;
      }
      bar.update(e.steps, { metrics: formatLogs(e.logs) });
      bar.stop();
      bar = null;
      stream.write(` ${e.seconds.toFixed(1)}s - ${formatLogs(e.logs)}\n`);
    },
  };
}
