// The host-neutral face of data parallelism: a model asks for a pool that runs shards of a batch on
// other threads, and a host (Node's worker threads, src/node/threads.ts) provides it. Nothing here
// knows what a thread is, so the core still loads in a browser, where everything runs on one
// thread unless a host registers a pool.

import type { Tensor } from "../tensor/tensor.js";
import { ConfigError } from "../tensor/errors.js";
import type { LayerConfig } from "../layers/layer.js";
import type { LossSpec } from "../kernels/losses.js";
import type { BackendName } from "../backend/backend.js";

/** What a worker needs to rebuild the model: topology, seed, backend (weights come with each call). */
export interface ReplicaSpec {
  layers: { className: string; config: LayerConfig }[];
  inputShape: number[];
  outputShape: number[];
  seed: number;
  backend: BackendName;
}

/** One shard's part of a training step. */
export interface StepResult {
  loss: number;
  output: Tensor;
}

/** What a training call needs beyond the replica: the loss and the per-sample target shape. */
export interface TrainSpec {
  loss: LossSpec;
  targetShape: number[];
}

export interface ParallelPool {
  readonly threads: number;
  /**
   * One training step on a batch split into `threads` contiguous shards: shard 0 through
   * `runLocal` on the calling thread, the others on workers with the current weights. Worker
   * gradients are added into the model's gradients in shard order (a fixed reduction order, so
   * results depend only on the seed and the thread count); outputs come back in row order.
   * `w` holds the batch's per-sample loss weights (sampleWeight / classWeight), sharded with the rows.
   */
  trainStep(
    x: Tensor, y: Tensor, train: TrainSpec, epoch: number,
    runLocal: (x: Tensor, y: Tensor, w: Float32Array | null) => StepResult, w?: Float32Array | null,
  ): StepResult;
  /** Inference on a batch split into shards the same way; outputs in row order. */
  predict(x: Tensor, runLocal: (x: Tensor) => Tensor): Tensor;
  close(): void;
}

export interface ParallelHost {
  /** Cores available to this process. */
  cores(): number;
  /** Start threads-1 workers with replicas of the model, blocking until each is ready. */
  start(spec: ReplicaSpec, parameters: Float32Array, gradients: Float32Array, threads: number): ParallelPool;
}

let host: ParallelHost | null = null;
let defaultThreads: number | "auto" = "auto";

/** Check a user's threads option: a positive integer or "auto". */
export function checkThreads(t: unknown, where: string): number | "auto" {
  if (t === "auto" || (typeof t === "number" && Number.isInteger(t) && t >= 1)) return t;
  throw new ConfigError(`${where}: threads must be a positive integer or "auto", got ${JSON.stringify(t)}`);
}

/** The threads models use when they are not given any (the CLI's --threads sets it). */
export function setDefaultThreads(t: number | "auto"): void {
  defaultThreads = checkThreads(t, "setDefaultThreads");
}

export function getDefaultThreads(): number | "auto" {
  return defaultThreads;
}

/** Called once by a host adapter (Node: src/node/threads.ts) to make threads available to models. */
export function registerParallelHost(h: ParallelHost): void {
  host = h;
}

export function parallelHost(): ParallelHost | null {
  return host;
}

/** Rows [lo, hi) of shard s when n rows are split into k shards as evenly as possible. */
export function shardRange(n: number, k: number, s: number): [number, number] {
  const base = Math.floor(n / k), extra = n % k;
  const lo = s * base + Math.min(s, extra);
  return [lo, lo + base + (s < extra ? 1 : 0)];
}
