// Training callbacks: the Keras set (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, CSVLogger,
// TerminateOnNaN) and the interface user callbacks implement.

import { ConfigError } from "../tensor/errors.js";
import { fileSystem } from "../io/fs.js";
import type { Model, TrainingSnapshot } from "./sequential.js";
import { checkOptions, options, str, nonEmptyStr, bool, nonNegative, nonNegativeInt, finiteNumber, oneOf, z } from "../layers/options.js";

const MODE = oneOf(["auto", "min", "max"] as const).optional();
const EARLY_STOPPING = options({
  monitor: nonEmptyStr().optional(), minDelta: finiteNumber().optional(), patience: nonNegativeInt().optional(),
  mode: MODE, restoreBestWeights: bool().optional(), startFromEpoch: nonNegativeInt().optional(),
});
const MODEL_CHECKPOINT = options({ filepath: nonEmptyStr(), monitor: nonEmptyStr().optional(), saveBestOnly: bool().optional(), mode: MODE });
const REDUCE_LR = options({
  monitor: nonEmptyStr().optional(),
  factor: z.number({ error: "must be in (0, 1)" }).refine((f) => f > 0 && f < 1, { error: "must be in (0, 1)" }).optional(),
  patience: nonNegativeInt().optional(), minDelta: nonNegative().optional(), cooldown: nonNegativeInt().optional(),
  minLr: nonNegative().optional(), mode: MODE,
});
const CSV_LOGGER = options({ filename: nonEmptyStr(), append: bool().optional(), separator: str().optional() });

export type Logs = Record<string, number>;

/** Implement any subset; methods may be async. `model` is set before training starts. */
export interface Callback {
  model?: Model;
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

type Mode = "auto" | "min" | "max";

function better(mode: Mode, monitor: string): (a: number, b: number, minDelta: number) => boolean {
  const m = mode === "auto" ? (/acc/.test(monitor) ? "max" : "min") : mode;
  return m === "max" ? (a, b, d) => a - d > b : (a, b, d) => a + d < b;
}

function monitored(logs: Logs, monitor: string, who: string): number | undefined {
  const v = logs[monitor];
  if (v === undefined) {
    const have = Object.keys(logs).join(", ");
    if (!warned.has(`${who}:${monitor}`)) {
      warned.add(`${who}:${monitor}`);
      console.warn(`${who}: monitored value "${monitor}" is not in the logs (${have}); it has no effect`);
    }
  }
  return v;
}
const warned = new Set<string>();

export interface EarlyStoppingArgs {
  /** Default "val_loss". */
  monitor?: string;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  /** Default "auto" (max for accuracy, min otherwise). */
  mode?: Mode;
  /** Put back the weights of the best epoch when training ends. Default false. */
  restoreBestWeights?: boolean;
  /** Epochs to wait before counting patience. Default 0. */
  startFromEpoch?: number;
}

/**
 * Stops training when the monitored value has not improved for `patience` epochs.
 * With restoreBestWeights the best epoch's weights are restored at the end of training, whether it
 * stopped early or ran all epochs (Keras 2 restored only on an early stop, a common surprise).
 */
export class EarlyStopping implements Callback {
  model?: Model;
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  private readonly isBetter: (a: number, b: number, d: number) => boolean;
  best = NaN;
  bestEpoch = -1;
  stoppedEpoch = -1;
  private wait = 0;
  private bestWeights: TrainingSnapshot | null = null;

  constructor(args: EarlyStoppingArgs = {}) {
    checkOptions(EARLY_STOPPING, args, "earlyStopping");
    this.monitor = args.monitor ?? "val_loss";
    this.minDelta = Math.abs(args.minDelta ?? 0);
    this.patience = args.patience ?? 0;
    this.restoreBestWeights = args.restoreBestWeights ?? false;
    this.startFromEpoch = args.startFromEpoch ?? 0;
    this.isBetter = better(args.mode ?? "auto", this.monitor);
  }

  onTrainBegin(): void {
    this.best = NaN;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.wait = 0;
    this.bestWeights = null;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const v = monitored(logs, this.monitor, "earlyStopping");
    if (v === undefined || epoch < this.startFromEpoch) return;
    if (Number.isNaN(this.best) || this.isBetter(v, this.best, this.minDelta)) {
      this.best = v;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = this.model!.snapshotState();
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    // the optimizer's moments go back with the weights, so training on starts from a consistent point
    if (this.restoreBestWeights && this.bestWeights) this.model!.restoreState(this.bestWeights);
  }
}

export interface ModelCheckpointArgs {
  /** Directory to save into; `{epoch}` and any log name in braces are filled in, e.g. "ckpt/e{epoch}". */
  filepath: string;
  /** Default "val_loss". */
  monitor?: string;
  /** Save only when the monitored value improves. Default false. */
  saveBestOnly?: boolean;
  mode?: Mode;
}

/** Saves the model (weights, optimizer state, epoch) after each epoch, or after each improvement. */
export class ModelCheckpoint implements Callback {
  model?: Model;
  readonly filepath: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  private readonly isBetter: (a: number, b: number, d: number) => boolean;
  best = NaN;
  /** Paths written so far. */
  saved: string[] = [];

  constructor(args: ModelCheckpointArgs) {
    checkOptions(MODEL_CHECKPOINT, args, "modelCheckpoint");
    this.filepath = args.filepath;
    this.monitor = args.monitor ?? "val_loss";
    this.saveBestOnly = args.saveBestOnly ?? false;
    this.isBetter = better(args.mode ?? "auto", this.monitor);
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (this.saveBestOnly) {
      const v = monitored(logs, this.monitor, "modelCheckpoint");
      if (v === undefined) return;
      if (!Number.isNaN(this.best) && !this.isBetter(v, this.best, 0)) return;
      this.best = v;
    }
    const path = this.filepath.replace(/\{(\w+)\}/g, (_, k: string) => (k === "epoch" ? String(epoch + 1) : String(logs[k] ?? k)));
    await this.model!.save(path, { overwrite: true });
    this.saved.push(path);
  }
}

export interface ReduceLrOnPlateauArgs {
  monitor?: string;
  /** New rate = rate · factor. Default 0.1. */
  factor?: number;
  /** Default 10. */
  patience?: number;
  /** Default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction. Default 0. */
  cooldown?: number;
  /** Default 0. */
  minLr?: number;
  mode?: Mode;
}

/** Multiplies the learning rate by `factor` when the monitored value stops improving. */
export class ReduceLrOnPlateau implements Callback {
  model?: Model;
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  private readonly isBetter: (a: number, b: number, d: number) => boolean;
  private best = NaN;
  private wait = 0;
  private cooldownLeft = 0;

  constructor(args: ReduceLrOnPlateauArgs = {}) {
    checkOptions(REDUCE_LR, args, "reduceLrOnPlateau");
    this.monitor = args.monitor ?? "val_loss";
    this.factor = args.factor ?? 0.1;
    if (!(this.factor > 0 && this.factor < 1)) throw new ConfigError(`reduceLrOnPlateau: factor must be in (0, 1), got ${this.factor}`);
    this.patience = args.patience ?? 10;
    this.minDelta = args.minDelta ?? 1e-4;
    this.cooldown = args.cooldown ?? 0;
    this.minLr = args.minLr ?? 0;
    this.isBetter = better(args.mode ?? "auto", this.monitor);
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    const v = monitored(logs, this.monitor, "reduceLrOnPlateau");
    const opt = this.model!.optimizer!;
    logs.lr = opt.learningRate;
    if (v === undefined) return;
    if (this.cooldownLeft > 0) this.cooldownLeft--;
    if (Number.isNaN(this.best) || this.isBetter(v, this.best, this.minDelta)) {
      this.best = v;
      this.wait = 0;
    } else if (this.cooldownLeft === 0) {
      this.wait++;
      if (this.wait >= this.patience && opt.learningRate > this.minLr) {
        opt.learningRate = Math.max(opt.learningRate * this.factor, this.minLr);
        this.cooldownLeft = this.cooldown;
        this.wait = 0;
      }
    }
  }
}

export interface CsvLoggerArgs {
  filename: string;
  /** Append to an existing file instead of replacing it. Default false. */
  append?: boolean;
  separator?: string;
}

/**
 * Writes one CSV row per epoch: epoch, then every log value. The whole file is rewritten atomically
 * each epoch (a log is small), so an interrupted run leaves a complete CSV of the epochs it finished.
 */
export class CsvLogger implements Callback {
  model?: Model;
  private keys: string[] | null = null;
  private text = "";
  constructor(readonly args: CsvLoggerArgs) {
    checkOptions(CSV_LOGGER, args, "csvLogger");
  }

  onTrainBegin(): void {
    const fs = fileSystem("csvLogger");
    this.keys = null;
    this.text = this.args.append && fs.exists(this.args.filename) ? fs.readText(this.args.filename) : "";
    fs.writeAtomic(this.args.filename, this.text);
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const sep = this.args.separator ?? ",";
    if (!this.keys) {
      this.keys = Object.keys(logs).sort();
      if (this.text === "") this.text = ["epoch", ...this.keys].join(sep) + "\n";
    }
    this.text += [String(epoch), ...this.keys.map((k) => String(logs[k] ?? ""))].join(sep) + "\n";
    fileSystem("csvLogger").writeAtomic(this.args.filename, this.text);
  }
}

/** Stops training quietly at the first non-finite loss (weights of the last finite step are kept). */
export class TerminateOnNaN implements Callback {
  model?: Model;
  readonly terminateOnNaN = true;
}

/**
 * Resets the recurrent states of a stateful model at the start of every epoch (truncated BPTT over
 * long sequences: within an epoch each batch continues the streams of the one before; a new epoch
 * starts them again from zeros).
 */
export class ResetStates implements Callback {
  model?: Model;
  onEpochBegin(): void {
    this.model?.resetStates();
  }
}

export const resetStates = (): ResetStates => new ResetStates();
export const earlyStopping = (args?: EarlyStoppingArgs): EarlyStopping => new EarlyStopping(args);
export const modelCheckpoint = (args: ModelCheckpointArgs): ModelCheckpoint => new ModelCheckpoint(args);
export const reduceLrOnPlateau = (args?: ReduceLrOnPlateauArgs): ReduceLrOnPlateau => new ReduceLrOnPlateau(args);
export const csvLogger = (args: CsvLoggerArgs): CsvLogger => new CsvLogger(args);
export const terminateOnNaN = (): TerminateOnNaN => new TerminateOnNaN();
