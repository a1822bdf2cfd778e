// The host-neutral face of data-parallel training: fit asks for a trainer that runs one batch's
// shards on other threads, and a host (Node's worker threads, src/node/threads.ts) provides it.
// Nothing here knows what a thread is, so the core still loads in a browser, where fit runs on
// one thread unless a host registers a trainer.

import type { Tensor } from "../tensor/tensor.js";
import type { LayerConfig } from "../layers/layer.js";
import type { LossSpec } from "../kernels/losses.js";
import type { BackendName } from "../backend/backend.js";

/** What a worker needs to rebuild the model: topology, seed, backend and loss (weights come per step). */
export interface ReplicaSpec {
  layers: { className: string; config: LayerConfig }[];
  inputShape: number[];
  outputShape: number[];
  /** Per-sample shape of the targets (the output's, or class ids for sparse cross-entropy). */
  targetShape: number[];
  seed: number;
  backend: BackendName;
  loss: LossSpec;
}

/** One shard's part of a training step. */
export interface StepResult {
  loss: number;
  output: Tensor;
}

export interface ParallelTrainer {
  readonly threads: number;
  /**
   * Run one batch split into `threads` contiguous shards: shard 0 through `runLocal` on the calling
   * thread, the others on workers with the current weights. Worker gradients are added into
   * `gradients` in shard order (a fixed reduction order, so results depend only on the seed and
   * the thread count); outputs come back in row order.
   */
  step(x: Tensor, y: Tensor, epoch: number, runLocal: (x: Tensor, y: Tensor) => StepResult): StepResult;
  close(): void;
}

export interface ParallelHost {
  /** Cores available to this process. */
  cores(): number;
  /** Start threads-1 workers, each with a replica of the model; resolves once every one is ready. */
  start(spec: ReplicaSpec, parameters: Float32Array, gradients: Float32Array, threads: number, maxBatch: number): Promise<ParallelTrainer>;
}

let host: ParallelHost | null = null;

/** Called once by a host adapter (Node: src/node/threads.ts) to make threads available to fit. */
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
