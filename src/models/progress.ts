// Keras-style training output without a host: fit reports epochs and batches to a ProgressRenderer,
// which a terminal (src/cli/progress.ts), a web page or a test draws. Verbose 1 asks for a bar per
// epoch, 2 for one line per epoch; the text of both is formatted here so every renderer agrees.
// A caller training several networks in a row (the forecaster's ensemble) names each run, so a
// renderer can say which network of how many is training instead of only which epoch.

import type { Callback, Logs } from "./callbacks.js";

/** Which of several training runs this is: `network 2/4`. */
export interface RunContext {
  /** What is being trained, e.g. "network" or "refit network". */
  label: string;
  /** 0-based. */
  index: number;
  count: number;
}

export interface EpochStart {
  epoch: number;
  epochs: number;
  steps: number;
  verbose: 1 | 2;
  run?: RunContext;
}

export interface BatchEnd extends EpochStart {
  batch: number;
  logs: Logs;
}

export interface EpochEnd extends EpochStart {
  logs: Logs;
  seconds: number;
}

export interface TrainEnd {
  /** Epochs asked for. */
  epochs: number;
  /** Epochs completed (counting any before initialEpoch). */
  epochsRun: number;
  verbose: 1 | 2;
  run?: RunContext;
  seconds: number;
  /** "callback" (e.g. early stopping) or "nonFinite" when training ended before `epochs`. */
  stoppedBy?: "callback" | "nonFinite";
  /** History.stopReason. */
  stopReason?: string;
}

/** Draws fit's progress. Every method is optional. */
export interface ProgressRenderer {
  /** True when output can redraw in place (a terminal): verbose "auto" then means 1, else 2. */
  readonly interactive?: boolean;
  epochBegin?(e: EpochStart): void;
  batchEnd?(b: BatchEnd): void;
  epochEnd?(e: EpochEnd): void;
  trainEnd?(e: TrainEnd): void;
}

/** `0.1234`, Keras's number format (tiny and huge values in exponent form). */
export function formatValue(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
}

/** `loss: 0.1234 - mae: 0.0567`, Keras's format. */
export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .filter(([k]) => k !== "lr")
    .map(([k, v]) => `${k}: ${formatValue(v)}`)
    .join(" - ");
}

/** The verbose-2 line: `Epoch 3/10 - 0.4s - loss: …`. */
export function epochLine(e: EpochEnd): string {
  return `Epoch ${e.epoch + 1}/${e.epochs} - ${e.seconds.toFixed(1)}s - ${formatLogs(e.logs)}`;
}

/** Where there is no terminal: one console line per epoch, whatever the verbose level. */
export const consoleProgress: ProgressRenderer = {
  interactive: false,
  epochEnd: (e) => console.log(epochLine(e)),
};

let hostDefault: ProgressRenderer | null = null;

/** The renderer fit uses when not given one; a host (the Node entry) installs its terminal's. */
export function setDefaultProgress(renderer: ProgressRenderer | null): void {
  hostDefault = renderer;
}

export function defaultProgress(): ProgressRenderer {
  return hostDefault ?? consoleProgress;
}

/** The callback fit adds for verbose 1 and 2: times each epoch and forwards to a renderer. */
export class ProgressLogger implements Callback {
  private readonly trainStart = performance.now();
  private start = 0;
  private epoch = 0;
  constructor(
    private readonly verbose: 1 | 2,
    private readonly epochs: number,
    private readonly steps: number,
    private readonly renderer: ProgressRenderer,
    private readonly run?: RunContext,
  ) {}

  private info(): EpochStart {
    return { epoch: this.epoch, epochs: this.epochs, steps: this.steps, verbose: this.verbose, ...(this.run ? { run: this.run } : {}) };
  }

  onEpochBegin(epoch: number): void {
    this.start = performance.now();
    this.epoch = epoch;
    this.renderer.epochBegin?.(this.info());
  }

  onBatchEnd(batch: number, logs: Logs): void {
    this.renderer.batchEnd?.({ ...this.info(), batch, logs });
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    this.renderer.epochEnd?.({ ...this.info(), epoch, logs, seconds: (performance.now() - this.start) / 1000 });
  }

  /**
   * Called by fit after every callback's onTrainEnd, not as one itself, because only fit knows
   * why training stopped.
   */
  trainEnd(epochsRun: number, stoppedBy?: TrainEnd["stoppedBy"], stopReason?: string): void {
    this.renderer.trainEnd?.({
      epochs: this.epochs, epochsRun, verbose: this.verbose, seconds: (performance.now() - this.trainStart) / 1000,
      ...(this.run ? { run: this.run } : {}),
      ...(stoppedBy ? { stoppedBy } : {}),
      ...(stopReason ? { stopReason } : {}),
    });
  }
}
