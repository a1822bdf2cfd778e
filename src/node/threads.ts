// Data parallelism on Node's worker threads. Each worker holds a replica of the model built from
// its topology. Per call the main thread publishes the weights and each worker's shard of the batch
// in SharedArrayBuffers and wakes the workers with Atomics; it runs shard 0 itself, then waits and
// gathers outputs (and, when training, adds the workers' gradients in shard order). Everything is
// synchronous, so `predict` stays a plain function. Importing this file registers the pool.

import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { Tensor } from "../tensor/tensor.js";
import {
  registerParallelHost, shardRange, type ParallelPool, type ReplicaSpec, type StepResult, type TrainSpec,
} from "../models/parallel.js";

// ctrl[0]: the worker's state
export const BOOT = 0, IDLE = 1, RUN = 2, DONE = 3, FAILED = 4, EXIT = 5;
// ctrl[1..]: the call
export const MODE = 1, EPOCH = 2, ROWS = 3, GLOBAL = 4, Y_PER = 5, WEIGHTED = 6;
export const TRAIN = 1, PREDICT = 2;
const BOOT_TIMEOUT_MS = 120_000;

/** Shared memory of one worker; data buffers are replaced (and re-sent) when a call needs more room. */
export interface WorkerBuffers {
  ctrl: SharedArrayBuffer; // Int32 [state, mode, epoch, rows, globalBatch, yPer, weighted]
  loss: SharedArrayBuffer; // Float64 [1]
  params: SharedArrayBuffer; // Float32 [P], one for all workers
  grads: SharedArrayBuffer; // Float32 [P]
}

/** Sent with each call that needs bigger data buffers (and each new loss). */
export interface CallSetup {
  x: SharedArrayBuffer; // Float32 [rows · xPer]
  y: SharedArrayBuffer; // Float32 [rows · yPer]
  out: SharedArrayBuffer; // Float32 [rows · outPer]
  w: SharedArrayBuffer; // Float32 [rows]: per-sample loss weights
  loss: TrainSpec["loss"] | null;
}

interface Slot {
  worker: Worker;
  errors: MessagePort;
  setup: MessagePort;
  ctrl: Int32Array;
  loss: Float64Array;
  grads: Float32Array;
  x: Float32Array;
  y: Float32Array;
  out: Float32Array;
  w: Float32Array;
}

/** What a worker is started with. */
export interface WorkerData {
  spec: ReplicaSpec;
  bufs: WorkerBuffers;
  shard: number;
  errors: MessagePort;
  setup: MessagePort;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Start a worker through a small boot script that reports a failure to load the entry (a missing
 * file, a syntax error) on the error port and in shared memory, so a blocked caller sees it.
 * Under a TypeScript runner (tests) the entry is the .ts file, loaded through tsx.
 */
function spawnWorker(workerData: WorkerData, transferList: MessagePort[]): Worker {
  const ts = import.meta.url.endsWith(".ts");
  const entry = new URL(ts ? "./train_worker.ts" : "./train_worker.js", import.meta.url).href;
  const load = ts
    ? `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`
    : `import(${JSON.stringify(entry)})`;
  const boot = `const { workerData } = require("node:worker_threads");
${load}.catch((e) => {
  workerData.errors.postMessage(e && e.stack ? e.stack : String(e));
  const ctrl = new Int32Array(workerData.bufs.ctrl);
  Atomics.store(ctrl, 0, ${FAILED});
  Atomics.notify(ctrl, 0);
});`;
  return new Worker(boot, { eval: true, workerData, transferList });
}

class ThreadPool implements ParallelPool {
  private readonly slots: Slot[] = [];
  private readonly params: Float32Array;
  private readonly xPer: number;
  private readonly outPer: number;
  private loss: TrainSpec["loss"] | null = null;

  constructor(
    spec: ReplicaSpec,
    private readonly parameters: Float32Array,
    private readonly gradients: Float32Array,
    readonly threads: number,
  ) {
    const P = parameters.length;
    const paramsSab = new SharedArrayBuffer(4 * P);
    this.params = new Float32Array(paramsSab);
    this.xPer = size(spec.inputShape);
    this.outPer = size(spec.outputShape);
    for (let s = 1; s < threads; s++) {
      const bufs: WorkerBuffers = {
        ctrl: new SharedArrayBuffer(4 * 8), loss: new SharedArrayBuffer(8), params: paramsSab, grads: new SharedArrayBuffer(4 * P),
      };
      const errors = new MessageChannel(), setup = new MessageChannel();
      const worker = spawnWorker({ spec, bufs, shard: s, errors: errors.port2, setup: setup.port2 }, [errors.port2, setup.port2]);
      worker.unref();
      const empty = new Float32Array(0);
      this.slots.push({
        worker, errors: errors.port1, setup: setup.port1,
        ctrl: new Int32Array(bufs.ctrl), loss: new Float64Array(bufs.loss), grads: new Float32Array(bufs.grads),
        x: empty, y: empty, out: empty, w: empty,
      });
    }
    try {
      this.slots.forEach((slot, k) => this.await(slot, k + 1, BOOT, "start"));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  trainStep(
    x: Tensor, y: Tensor, train: TrainSpec, epoch: number,
    runLocal: (x: Tensor, y: Tensor, w: Float32Array | null) => StepResult, w: Float32Array | null = null,
  ): StepResult {
    const B = x.shape[0]!;
    this.dispatch(x, y, TRAIN, epoch, train.loss, w);
    const [lo0, hi0] = shardRange(B, this.threads, 0);
    const local = runLocal(x.slice0(lo0, hi0), y.slice0(lo0, hi0), w ? w.subarray(lo0, hi0) : null);
    const out = this.gather(B, local.output, "train");
    let loss = local.loss;
    const g = this.gradients;
    for (const [k, slot] of this.slots.entries()) {
      if (this.shardRows(B, k + 1) === 0) continue;
      loss += slot.loss[0]!;
      const wg = slot.grads;
      for (let i = 0; i < g.length; i++) g[i] += wg[i]!;
    }
    return { loss, output: out };
  }

  predict(x: Tensor, runLocal: (x: Tensor) => Tensor): Tensor {
    const B = x.shape[0]!;
    this.dispatch(x, null, PREDICT, 0, null);
    const [lo0, hi0] = shardRange(B, this.threads, 0);
    return this.gather(B, runLocal(x.slice0(lo0, hi0)), "predict");
  }

  /** Publish the weights and each worker's shard, then wake the workers. */
  private dispatch(x: Tensor, y: Tensor | null, mode: number, epoch: number, loss: TrainSpec["loss"] | null, w: Float32Array | null = null): void {
    const B = x.shape[0]!;
    const yPer = y ? y.size / B : 0;
    this.params.set(this.parameters);
    const newLoss = loss !== null && JSON.stringify(loss) !== JSON.stringify(this.loss);
    if (loss !== null) this.loss = loss;
    this.slots.forEach((slot, k) => {
      const [lo, hi] = shardRange(B, this.threads, k + 1);
      const rows = hi - lo;
      if (rows === 0) return; // fewer rows than threads: this one stays idle
      if (slot.x.length < rows * this.xPer || slot.y.length < rows * yPer || slot.out.length < rows * this.outPer || slot.w.length < rows || newLoss) {
        const cap = Math.max(rows, slot.out.length / this.outPer);
        const setup: CallSetup = {
          x: new SharedArrayBuffer(4 * cap * this.xPer), y: new SharedArrayBuffer(4 * cap * Math.max(yPer, 1)),
          out: new SharedArrayBuffer(4 * cap * this.outPer), w: new SharedArrayBuffer(4 * cap), loss: this.loss,
        };
        slot.x = new Float32Array(setup.x); slot.y = new Float32Array(setup.y); slot.out = new Float32Array(setup.out); slot.w = new Float32Array(setup.w);
        slot.setup.postMessage(setup);
      }
      slot.x.set(x.data.subarray(lo * this.xPer, hi * this.xPer));
      if (y) slot.y.set(y.data.subarray(lo * yPer, hi * yPer));
      if (w) slot.w.set(w.subarray(lo, hi));
      slot.ctrl[WEIGHTED] = w ? 1 : 0;
      slot.ctrl[MODE] = mode;
      slot.ctrl[EPOCH] = epoch;
      slot.ctrl[ROWS] = rows;
      slot.ctrl[GLOBAL] = B;
      slot.ctrl[Y_PER] = yPer;
      Atomics.store(slot.ctrl, 0, RUN);
      Atomics.notify(slot.ctrl, 0);
    });
  }

  /** Wait for every worker and assemble the outputs in row order after shard 0's. */
  private gather(B: number, local: Tensor, what: string): Tensor {
    const out = new Float32Array(B * this.outPer);
    out.set(local.data);
    this.slots.forEach((slot, k) => {
      const [lo, hi] = shardRange(B, this.threads, k + 1);
      if (hi === lo) return;
      this.await(slot, k + 1, RUN, what);
      out.set(slot.out.subarray(0, (hi - lo) * this.outPer), lo * this.outPer);
    });
    return new Tensor(out, [B, ...local.shape.slice(1)]);
  }

  private shardRows(B: number, shard: number): number {
    const [lo, hi] = shardRange(B, this.threads, shard);
    return hi - lo;
  }

  /** Block until the worker leaves `state`; a failure becomes an Error with the worker's message. */
  private await(slot: Slot, shard: number, state: number, what: string): void {
    const deadline = state === BOOT ? Date.now() + BOOT_TIMEOUT_MS : Infinity;
    while (Atomics.load(slot.ctrl, 0) === state) {
      Atomics.wait(slot.ctrl, 0, state, 1000);
      if (Date.now() > deadline) throw new Error(`thread ${shard} did not start within ${BOOT_TIMEOUT_MS / 1000} s`);
    }
    const now = Atomics.load(slot.ctrl, 0);
    if (now === FAILED) {
      const msg = receiveMessageOnPort(slot.errors)?.message as string | undefined;
      Atomics.store(slot.ctrl, 0, IDLE);
      throw new Error(`${what} on thread ${shard} failed: ${msg ?? "no message"}`);
    }
    if (now === DONE) Atomics.store(slot.ctrl, 0, IDLE);
  }

  close(): void {
    for (const slot of this.slots) {
      Atomics.store(slot.ctrl, 0, EXIT);
      Atomics.notify(slot.ctrl, 0);
      slot.errors.close();
      slot.setup.close();
      void slot.worker.terminate();
    }
    this.slots.length = 0;
  }
}

registerParallelHost({
  cores: () => availableParallelism(),
  start: (spec, parameters, gradients, threads) => new ThreadPool(spec, parameters, gradients, threads),
});
