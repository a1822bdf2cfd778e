// Keras-style training output: verbose 1 draws a bar per epoch (cli-progress) with ETA, loss and
// metrics; verbose 2 prints one line per epoch.

import cliProgress from "cli-progress";
import type { Callback, Logs } from "./callbacks.js";

function fmtLogs(logs: Logs): string {
  return Object.entries(logs)
    .filter(([k]) => k !== "lr")
    .map(([k, v]) => `${k}: ${Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4)}`)
    .join(" - ");
}

export class ProgressLogger implements Callback {
  private bar: cliProgress.SingleBar | null = null;
  private start = 0;
  constructor(
    private readonly verbose: 1 | 2,
    private readonly epochs: number,
    private readonly steps: number,
    private readonly stream: NodeJS.WritableStream = process.stdout,
  ) {}

  onEpochBegin(epoch: number): void {
    this.start = performance.now();
    if (this.verbose === 1) {
      this.stream.write(`Epoch ${epoch + 1}/${this.epochs}\n`);
      this.bar = new cliProgress.SingleBar(
        {
          format: " {value}/{total} [{bar}] ETA {eta_formatted} - {metrics}",
          barCompleteChar: "=",
          barIncompleteChar: ".",
          barsize: 30,
          hideCursor: false,
          stream: this.stream as NodeJS.WriteStream,
          noTTYOutput: true,
          notTTYSchedule: 10_000,
          etaBuffer: 20,
        },
        cliProgress.Presets.legacy,
      );
      this.bar.start(this.steps, 0, { metrics: "" });
    }
  }

  onBatchEnd(batch: number, logs: Logs): void {
    this.bar?.update(batch + 1, { metrics: fmtLogs(logs) });
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const secs = (performance.now() - this.start) / 1000;
    if (this.bar) {
      this.bar.update(this.steps, { metrics: fmtLogs(logs) });
      this.bar.stop();
      this.bar = null;
      this.stream.write(` ${secs.toFixed(1)}s - ${fmtLogs(logs)}\n`);
    } else {
      this.stream.write(`Epoch ${epoch + 1}/${this.epochs} - ${secs.toFixed(1)}s - ${fmtLogs(logs)}\n`);
    }
  }
}
