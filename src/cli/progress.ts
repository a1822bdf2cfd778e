// fit's progress on a terminal. terminalProgress is Keras's: a cli-progress bar per epoch with ETA,
// loss and metrics (verbose 1), or one line per epoch (verbose 2); the Node entry installs it as
// fit's default renderer. calmProgress is the CLI's: one line per training run, redrawn in place,
// because the forecaster trains eight networks of up to 200 epochs and Keras's bars left ~750
// lines behind.

import cliProgress from "cli-progress";
import { epochLine, formatLogs, formatValue, type ProgressRenderer, type RunContext } from "../models/progress.js";

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

/** "Clear the whole line": with a carriage return, redraws a line in place without scrolling. */
const CLEAR_LINE = "\x1b[2K";

function runName(run: RunContext | undefined): string {
  return run ? `${run.label} ${run.index + 1}/${run.count}` : "training";
}

function duration(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s - 60 * m)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export interface CalmProgressOptions {
  /**
   * Off a terminal, write each epoch's line (default true); false writes only the line each run
   * ends with, for callers whose runs are too many to log every epoch.
   */
  epochLines?: boolean;
}

/**
 * One line per training run: `network 2/4 · epoch 13/200 · loss … · val_loss … · ETA 9s`, rewritten
 * in place on a terminal (one line per epoch elsewhere), then a lasting line saying how many epochs
 * ran, the best val_loss (or loss) and why training stopped. The ETA assumes every epoch runs;
 * early stopping usually ends sooner.
 */
export function calmProgress(stream: NodeJS.WritableStream = process.stdout, opts: CalmProgressOptions = {}): ProgressRenderer {
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  const epochLines = opts.epochLines ?? true;
  // This run's epochs so far, cleared when it ends.
  let seen = { epochs: 0, seconds: 0 };
  let best = { key: "", value: Infinity, epoch: -1 };
  // A live line wider than the terminal would wrap, and a carriage return redraws only its last row.
  const fit = (line: string): string => {
    const cols = (stream as NodeJS.WriteStream).columns;
    return tty && cols && line.length >= cols ? line.slice(0, cols - 1) : line;
  };
  const draw = (line: string, lasting: boolean): void => {
    if (tty) stream.write(`\r${CLEAR_LINE}${lasting ? line + "\n" : fit(line)}`);
    else if (lasting || epochLines) stream.write(line + "\n");
  };
  return {
    interactive: tty,
    epochBegin(e) {
      if (tty) draw(`${runName(e.run)} · epoch ${e.epoch + 1}/${e.epochs}`, false);
    },
    epochEnd(e) {
      seen = { epochs: seen.epochs + 1, seconds: seen.seconds + e.seconds };
      const key = e.logs.val_loss !== undefined ? "val_loss" : "loss";
      const v = e.logs[key]!;
      if (v < best.value) best = { key, value: v, epoch: e.epoch };
      const parts = [`${runName(e.run)}`, `epoch ${e.epoch + 1}/${e.epochs}`];
      for (const k of ["loss", "val_loss"]) if (e.logs[k] !== undefined) parts.push(`${k} ${formatValue(e.logs[k]!)}`);
      const left = e.epochs - e.epoch - 1;
      if (left > 0) parts.push(`ETA ${duration((seen.seconds / seen.epochs) * left)}`);
      draw(parts.join(" · "), false);
    },
    trainEnd(t) {
      const parts = [runName(t.run), `${t.epochsRun}/${t.epochs} epochs`];
      if (best.epoch >= 0) parts.push(`best ${best.key} ${formatValue(best.value)} at epoch ${best.epoch + 1}`);
      parts.push(
        t.stoppedBy === "nonFinite" ? `stopped: ${t.stopReason}`
          : t.stoppedBy === "callback" && best.epoch >= 0 ? `stopped early: no better ${best.key} in ${t.epochsRun - best.epoch - 1} epochs`
          : t.stoppedBy === "callback" ? "stopped by a callback"
          : "ran every epoch",
        duration(t.seconds),
      );
      draw(parts.join(" · "), true);
      seen = { epochs: 0, seconds: 0 };
      best = { key: "", value: Infinity, epoch: -1 };
    },
  };
}
